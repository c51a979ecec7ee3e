"""GQA accuracy: one gold answer per question, exact match after the answer normalisation.

The official evaluation (gqadataset.org ``eval.py``) scores the balanced questions with
``predicted == gold`` and reports the mean overall, for "binary" (structural type not ``query``)
and "open" (``query``) questions, and per structural and semantic type. Gold answers are
lower-case words without a final period. Normalisations (``metrics.normalization``):

- ``gqa`` (default): the prediction stripped of surrounding whitespace and of trailing periods,
  then lower-cased: LLaVA-1.5's ``convert_gqa_for_eval.py`` (``text.rstrip('.').lower()``) on the
  stripped generation, which produced its published GQA numbers.
- ``exact``: the prediction as generated, compared with ``==`` (the official script alone).
"""

from __future__ import annotations

from typing import Literal, Mapping

from mmbench.errors import UserError

GqaNormalization = Literal["gqa", "exact"]
GQA_NORMALIZATIONS: tuple[str, ...] = ("gqa", "exact")


def gqa_normalize(text: str) -> str:
    """``"Yes."`` -> ``"yes"``; ``" the left "`` -> ``"the left"`` (articles are kept, as in GQA's answers)."""
    return text.strip().rstrip(".").lower()


def exact_match_accuracy(predictions: Mapping[str, str], answers: Mapping[str, str],
                         normalization: GqaNormalization = "gqa") -> dict[str, float]:
    """Per question id: 1.0 when the (normalised) prediction equals the gold answer, else 0.0.

    Every question needs a prediction and every prediction a question (UserError otherwise)."""
    if normalization not in GQA_NORMALIZATIONS:
        raise UserError(f"unknown GQA normalization {normalization!r}: choose from {', '.join(GQA_NORMALIZATIONS)}")
    missing = [q for q in answers if q not in predictions]
    extra = [q for q in predictions if q not in answers]
    if missing or extra:
        raise UserError(f"predictions and questions differ: {len(missing)} question(s) without a prediction, "
                        f"{len(extra)} prediction(s) for unknown questions (first: {(missing + extra)[0]})")
    norm = gqa_normalize if normalization == "gqa" else (lambda text: text)
    return {qid: float(norm(predictions[qid]) == gold) for qid, gold in answers.items()}

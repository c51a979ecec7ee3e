"""ANLS (DocVQA, InfographicVQA) as the official RRC / DocVQA evaluation script computes it.

Reference: the Robust Reading Competition's evaluation scripts for DocVQA / InfographicVQA
(rrc.cvc.uab.es, "Infographics VQA Evaluation scripts", ``anls_compute``); lmms-eval
(``lmms_eval/api/metrics.py`` ``anls``) and VLMEvalKit (``vlmeval/dataset/utils/vqa_eval.py``
``anls_compute``) reproduce it. Per reference answer:

- the *distance* is the Levenshtein distance between the two strings stripped, lower-cased and
  with runs of whitespace collapsed to one space;
- it is divided by the length of the longer *raw* string (``len(s.upper())`` of the reference
  and of the prediction as given: whitespace and case changes still count in the length);
  two empty strings have distance 0;
- similarity = 1 - that ratio.

Per question the best similarity over its references, set to 0 when below 0.5 (exactly 0.5 is
kept); ``anls`` is the mean over the questions (0-1).
"""

from __future__ import annotations

from typing import Sequence

THRESHOLD = 0.5


def levenshtein(a: str, b: str) -> int:
    """Edit distance with unit costs (insert, delete, substitute)."""
    if len(a) > len(b):
        a, b = b, a
    previous = list(range(len(a) + 1))
    for j, cb in enumerate(b, 1):
        current = [j]
        for i, ca in enumerate(a, 1):
            current.append(min(previous[i] + 1, current[i - 1] + 1, previous[i - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _clean(text: str) -> str:
    return " ".join(text.strip().lower().split())


def normalized_distance(reference: str, prediction: str) -> float:
    """The official ``anls_compute``: distance of the cleaned strings over the raw strings' longer length."""
    length = max(len(reference.upper()), len(prediction.upper()))
    return 0.0 if length == 0 else levenshtein(_clean(reference), _clean(prediction)) / length


def anls_question(prediction: str, references: Sequence[str], threshold: float = THRESHOLD) -> float:
    """1 - the smallest normalised distance over the references; 0 below ``threshold``."""
    if not references:
        raise ValueError("ANLS needs at least one reference answer")
    score = 1.0 - min(normalized_distance(ref, prediction) for ref in references)
    return 0.0 if score < threshold else score

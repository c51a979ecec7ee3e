"""The result type of caption scoring and the metric names (README "Scoring existing predictions"; protocol facts in docs/protocols.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

BLEU_METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4")
ALL_METRICS = (*BLEU_METRICS, "METEOR", "ROUGE_L", "CIDEr", "SPICE")


@dataclass(frozen=True)
class CaptionScores:
    """Scores of one evaluated set.

    metrics: name -> corpus value, unrounded, 0-1 scale (CIDEr on its native scale).
    per_image: image id -> name -> that image's value (pycocoevalcap's ``imgToEval``).
    unavailable: name -> one-line reason, for requested metrics that could not run.
    notes: anything else a reader of the numbers should know (e.g. the tokenizer used).
    """

    metrics: dict[str, float]
    per_image: dict[str, dict[str, float]]
    unavailable: dict[str, str]
    notes: dict[str, str] = field(default_factory=dict)

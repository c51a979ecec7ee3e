"""COCO caption metrics equal to pycocoevalcap 1.2: BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE.

``score_captions(predictions, references)`` tokenises once (PTB, as pycocoevalcap) and returns a
``CaptionScores``. No torch import anywhere in this package.
"""

from .score import prestart_meteor, score_captions
from .scores import ALL_METRICS, CaptionScores

__all__ = ["ALL_METRICS", "CaptionScores", "prestart_meteor", "score_captions"]

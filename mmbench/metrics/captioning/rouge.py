"""ROUGE-L as pycocoevalcap 1.2 computes it (``pycocoevalcap/rouge``).

Convention: tokens are ``caption.split(" ")`` (so an empty caption is one empty token); for each
reference, precision = LCS / len(candidate) and recall = LCS / len(reference); the best
precision and the best recall over the references are taken separately, then
F = (1 + beta^2) P R / (R + beta^2 P) with beta = 1.2 (0 when either is 0). The corpus value is
the mean over images. The LCS length is computed with a bit-parallel algorithm (Hyyro 2004)
instead of the reference's dynamic-programming table; both give the exact integer length.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

BETA = 1.2


def _position_masks(tokens: list[str]) -> dict[str, int]:
    masks: dict[str, int] = {}
    for position, token in enumerate(tokens):
        masks[token] = masks.get(token, 0) | (1 << position)
    return masks


def lcs_length(masks: dict[str, int], length: int, other: list[str]) -> int:
    """Length of the longest common subsequence of a token list (given as ``_position_masks`` of
    it and its ``length``) and ``other``."""
    full = (1 << length) - 1
    row = full
    for token in other:
        match = row & masks.get(token, 0)
        row = ((row + match) | (row - match)) & full
    return length - row.bit_count()


def rouge_l_image(candidate: str, references: Sequence[str]) -> float:
    """ROUGE-L of one tokenised candidate against its tokenised references."""
    candidate_tokens = candidate.split(" ")
    masks = _position_masks(candidate_tokens)
    best_precision = 0.0
    best_recall = 0.0
    for reference in references:
        reference_tokens = reference.split(" ")
        common = lcs_length(masks, len(candidate_tokens), reference_tokens)
        best_precision = max(best_precision, common / float(len(candidate_tokens)))
        best_recall = max(best_recall, common / float(len(reference_tokens)))
    if best_precision == 0 or best_recall == 0:
        return 0.0
    beta_squared = BETA**2
    return ((1 + beta_squared) * best_precision * best_recall) / float(best_recall + beta_squared * best_precision)


def rouge_l_scores(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> tuple[float, list[float]]:
    """(mean ROUGE-L over images, per-image ROUGE-L in input order)."""
    per_image = [rouge_l_image(c, refs) for c, refs in zip(candidates, references)]
    return float(np.mean(np.array(per_image))), per_image

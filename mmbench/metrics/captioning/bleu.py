"""BLEU-1..4 as pycocoevalcap 1.2 computes it (``pycocoevalcap/bleu``, after David Chiang's
bleu_scorer).

Convention: corpus-level BLEU from summed clipped n-gram matches and summed lengths; each
hypothesis n-gram count is clipped by its largest count in any single reference; the effective
reference length per image is the "closest" reference length (ties go to the shorter one); the
smoothing constants ``tiny = 1e-15`` (numerator) and ``small = 1e-9`` (denominator) avoid
division by zero; the brevity penalty ``exp(1 - r/c)`` applies when the length ratio is below 1.
Per-image scores use the same formula on one image's statistics. Values are on a 0-1 scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .ngrams import CorpusNgrams, lookup, reference_max_counts

TINY = 1e-15
SMALL = 1e-9


@dataclass(frozen=True)
class BleuStatistics:
    """Integer statistics of one image: clipped matches and candidate n-gram counts per order."""

    test_length: int
    reference_length: int
    correct: list[int]
    guess: list[int]


def closest_reference_length(test_length: int, reference_lengths: list[int]) -> int:
    """The reference length nearest ``test_length``; on a tie the shorter (pycocoevalcap rule)."""
    return min((abs(length - test_length), length) for length in reference_lengths)[1]


def image_statistics(ngrams: CorpusNgrams) -> list[BleuStatistics]:
    """BLEU statistics of every image, in image order."""
    table, images, max_order = ngrams.table, ngrams.num_images, ngrams.table.max_order
    ref_keys, ref_max = reference_max_counts(ngrams)
    is_hyp = table.caption < images
    hyp_image = table.caption[is_hyp]
    found, best_ref_count = lookup(ref_keys, ref_max, hyp_image * max(table.num_grams, 1) + table.gram[is_hyp])
    clipped = np.where(found, np.minimum(table.count[is_hyp], best_ref_count), 0)
    correct = np.bincount(
        hyp_image * max_order + table.order[is_hyp], weights=clipped, minlength=images * max_order
    )
    correct_per_image = correct.astype(np.int64).reshape(images, max_order).tolist()
    lengths = table.lengths.tolist()
    offsets = ngrams.ref_offsets.tolist()
    statistics = []
    for image in range(images):
        test_length = lengths[image]
        ref_lengths = lengths[images + offsets[image] : images + offsets[image + 1]]
        statistics.append(
            BleuStatistics(
                test_length,
                closest_reference_length(test_length, ref_lengths),
                correct_per_image[image],
                [max(0, test_length - k) for k in range(max_order)],
            )
        )
    return statistics


def bleu_from_statistics(test_length: int, reference_length: int, correct: list[int], guess: list[int]) -> list[float]:
    """BLEU-1..N from summed statistics, with pycocoevalcap's smoothing and brevity penalty."""
    scores = []
    product = 1.0
    for k, (matches, candidates) in enumerate(zip(correct, guess)):
        product *= (float(matches) + TINY) / (float(candidates) + SMALL)
        scores.append(product ** (1.0 / (k + 1)))
    ratio = (test_length + TINY) / (reference_length + SMALL)
    if ratio < 1:
        scores = [score * math.exp(1 - 1 / ratio) for score in scores]
    return scores


def bleu_scores(ngrams: CorpusNgrams) -> tuple[list[float], list[list[float]]]:
    """(corpus BLEU-1..N, per-image BLEU-1..N as one list per order, in image order)."""
    statistics = image_statistics(ngrams)
    max_order = ngrams.table.max_order
    per_order: list[list[float]] = [[] for _ in range(max_order)]
    for stats in statistics:
        scores = bleu_from_statistics(stats.test_length, stats.reference_length, stats.correct, stats.guess)
        for k, score in enumerate(scores):
            per_order[k].append(score)
    corpus = bleu_from_statistics(
        sum(s.test_length for s in statistics),
        sum(s.reference_length for s in statistics),
        [sum(s.correct[k] for s in statistics) for k in range(max_order)],
        [sum(s.guess[k] for s in statistics) for k in range(max_order)],
    )
    return corpus, per_order

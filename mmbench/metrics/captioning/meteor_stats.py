"""METEOR 1.5's scoring formula, applied in Python to the segment statistics the jar returns.

The jar aligns words (exact, stem, synonym, paraphrase stages) and answers each ``SCORE`` line
with a statistics line; its ``EVAL`` command turns those lines into segment scores and a corpus
score. This module does that last step here, with the same operations in the same order as
``edu.cmu.meteor.scorer.MeteorScorer.computeMetrics`` and ``MeteorStats.addStats`` of
meteor-1.5.jar, so the values equal the jar's (tested against its ``EVAL`` answer).

A statistics line holds 23 numbers: test length, reference length, test function words,
reference function words; then for each of the 4 stages the test content, reference content,
test function and reference function matches; then chunks, test word matches, reference word
matches. The corpus score is computed from summed statistics, except that a segment matched
perfectly in one chunk adds no chunk (the jar's rule; plain summing is off by ~3e-4).

Parameters of ``-l en`` (task "rank", printed by the jar as ``Parameters: 0.85 0.2 0.6 0.75``
and ``Weights: 1.0 0.6 0.8 0.6``): alpha, beta, gamma, delta and one weight per stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

STAGES = 4
STATS_LENGTH = 4 + 4 * STAGES + 3


@dataclass(frozen=True)
class MeteorParameters:
    alpha: float
    beta: float
    gamma: float
    delta: float
    weights: tuple[float, ...]  # exact, stem, synonym, paraphrase


ENGLISH_RANKING = MeteorParameters(alpha=0.85, beta=0.2, gamma=0.6, delta=0.75, weights=(1.0, 0.6, 0.8, 0.6))


@dataclass
class SegmentStats:
    """The alignment statistics of one segment (or a sum of segments), as the jar prints them."""

    test_length: float = 0.0
    reference_length: float = 0.0
    test_function_words: float = 0.0
    reference_function_words: float = 0.0
    test_content: tuple[float, ...] = (0.0,) * STAGES
    reference_content: tuple[float, ...] = (0.0,) * STAGES
    test_function: tuple[float, ...] = (0.0,) * STAGES
    reference_function: tuple[float, ...] = (0.0,) * STAGES
    chunks: float = 0.0
    test_word_matches: float = 0.0
    reference_word_matches: float = 0.0

    @classmethod
    def parse(cls, line: str) -> "SegmentStats":
        values = [float(v) for v in line.split()]
        if len(values) != STATS_LENGTH:
            raise ValueError(f"METEOR statistics line has {len(values)} numbers, expected {STATS_LENGTH}: {line!r}")
        stages = [values[4 + 4 * i : 8 + 4 * i] for i in range(STAGES)]
        return cls(*values[:4], tuple(s[0] for s in stages), tuple(s[1] for s in stages),
                   tuple(s[2] for s in stages), tuple(s[3] for s in stages), *values[-3:])

    @property
    def test_total_matches(self) -> float:
        return _sum_stages(self.test_content, self.test_function)

    @property
    def reference_total_matches(self) -> float:
        return _sum_stages(self.reference_content, self.reference_function)

    def is_perfect_single_chunk(self) -> bool:
        return (self.test_total_matches == self.test_length and self.reference_total_matches == self.reference_length
                and self.chunks == 1.0)


def _sum_stages(content: Sequence[float], function: Sequence[float]) -> float:
    total = 0.0
    for c, f in zip(content, function):  # the jar's order: content then function, stage by stage
        total = total + c
        total = total + f
    return total


def _add(a: Sequence[float], b: Sequence[float]) -> tuple[float, ...]:
    return tuple(x + y for x, y in zip(a, b))


def aggregate(segments: Iterable[SegmentStats]) -> SegmentStats:
    """Corpus statistics: the sum in input order, chunks only from imperfect segments."""
    total = SegmentStats()
    for s in segments:
        total = SegmentStats(
            total.test_length + s.test_length, total.reference_length + s.reference_length,
            total.test_function_words + s.test_function_words, total.reference_function_words + s.reference_function_words,
            _add(total.test_content, s.test_content), _add(total.reference_content, s.reference_content),
            _add(total.test_function, s.test_function), _add(total.reference_function, s.reference_function),
            total.chunks if s.is_perfect_single_chunk() else total.chunks + s.chunks,
            total.test_word_matches + s.test_word_matches, total.reference_word_matches + s.reference_word_matches,
        )
    return total


def _weighted_matches(content: Sequence[float], function: Sequence[float], p: MeteorParameters) -> float:
    matches = 0.0
    for c, w in zip(content, p.weights):
        matches += c * w * p.delta
    for f, w in zip(function, p.weights):
        matches += f * w * (1.0 - p.delta)
    return matches


def _divide(numerator: float, denominator: float) -> float:
    """Java's double division: x/0 is +-inf (nan for 0/0) instead of an exception."""
    if denominator == 0.0:
        if numerator == 0.0 or math.isnan(numerator):
            return math.nan
        return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)
    return numerator / denominator


def meteor_score(s: SegmentStats, p: MeteorParameters = ENGLISH_RANKING) -> float:
    """The jar's score for these statistics (one segment, or an aggregate for the corpus)."""
    test_weighted_length = p.delta * (s.test_length - s.test_function_words) + (1.0 - p.delta) * s.test_function_words
    reference_weighted_length = (p.delta * (s.reference_length - s.reference_function_words)
                                 + (1.0 - p.delta) * s.reference_function_words)
    precision = _divide(_weighted_matches(s.test_content, s.test_function, p), test_weighted_length)
    recall = _divide(_weighted_matches(s.reference_content, s.reference_function, p), reference_weighted_length)
    f_mean = _divide(1.0, _divide(1.0 - p.alpha, precision) + _divide(p.alpha, recall))
    if s.is_perfect_single_chunk():
        fragmentation = 0.0
    else:
        fragmentation = _divide(s.chunks, (s.test_word_matches + s.reference_word_matches) / 2.0)
    penalty = p.gamma * (fragmentation ** p.beta if not math.isnan(fragmentation) else math.nan)
    score = f_mean * (1.0 - penalty)
    return 0.0 if math.isnan(score) else max(score, 0.0)

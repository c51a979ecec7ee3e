"""METEOR's final aggregation in Python (mmbench.metrics.captioning.meteor_stats), no Java needed.

The statistics lines below are what meteor-1.5.jar printed for these segments
(``java -jar meteor-1.5.jar - - -stdio -l en -norm``); the expected scores are the jar's own
answers for them (its plaintext mode printed "Segment 1 score: 0.825", "Segment 2 score: 0.0",
"Final score: 0.6599999999999999" for segments 1 and 2), re-derived by hand in the comments.
Parity on hundreds of generated segments against pycocoevalcap (which uses the jar's EVAL) is
checked in test_captioning_metrics.py.
"""

from __future__ import annotations

import pytest

from mmbench.metrics.captioning.meteor_stats import SegmentStats, aggregate, meteor_score

# "a man riding a horse on the beach" vs "a man rides a horse on a beach": 8 words each, 4 function
# words; exact 2 content + 3 function, stem 1 content, paraphrase 1 + 1; one chunk, all matched.
HORSE = "8.0 8.0 4.0 4.0 2.0 2.0 3.0 3.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 1.0 1.0 1.0 1.0 1.0 8.0 8.0"
# "the cat" vs "a dog": nothing matches
CAT = "2.0 2.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0"
# "a dog" vs "a dog": perfect, one chunk
DOG = "2.0 2.0 1.0 1.0 1.0 1.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 1.0 2.0 2.0"


def test_segment_scores_equal_the_jars() -> None:
    # weighted matches 0.75*(2*1 + 1*0.6 + 1*0.6) + 0.25*(3*1 + 1*0.6) = 3.3 over weighted length 4 -> 0.825;
    # perfect single chunk -> no fragmentation penalty
    assert meteor_score(SegmentStats.parse(HORSE)) == pytest.approx(0.825, abs=1e-15)
    assert meteor_score(SegmentStats.parse(CAT)) == 0.0
    assert meteor_score(SegmentStats.parse(DOG)) == 1.0


def test_corpus_score_comes_from_summed_statistics_as_the_jar_prints_it() -> None:
    corpus = meteor_score(aggregate([SegmentStats.parse(HORSE), SegmentStats.parse(CAT)]))
    assert corpus == 0.6599999999999999  # the jar's "Final score", bit for bit (3.3 / 5)
    mean_of_segments = (0.825 + 0.0) / 2
    assert corpus != pytest.approx(mean_of_segments)


def test_perfect_single_chunk_segments_add_no_chunks() -> None:
    # an imperfect segment: 3 test words, 3 reference words, 2 exact content matches in 2 chunks
    split = SegmentStats.parse("3.0 3.0 0.0 0.0 2.0 2.0 0.0 0.0 " + "0.0 " * 12 + "2.0 2.0 2.0")
    total = aggregate([split, SegmentStats.parse(DOG), SegmentStats.parse(DOG)])
    assert total.chunks == 2.0  # the two perfect "a dog" segments contribute nothing
    assert total.test_length == 7.0 and total.test_word_matches == 6.0
    # P = R = (0.75*2 + 0.75*2 + 0.25*2) / (0.75*3 + 0.75*2 + 0.25*2) = 3.5 / 4.25; frag = 2 / 6
    f_mean = 3.5 / 4.25
    expected = f_mean * (1 - 0.6 * (2 / 6) ** 0.2)
    assert meteor_score(total) == pytest.approx(expected, abs=1e-15)


def test_empty_hypothesis_scores_zero_like_the_jar() -> None:
    # the jar answers 0.0 for an empty hypothesis (0/0 precision is NaN there, then clamped)
    empty = SegmentStats.parse("0.0 3.0 0.0 1.0 " + "0.0 " * 16 + "0.0 0.0 0.0")
    assert meteor_score(empty) == 0.0


def test_malformed_statistics_line_is_named() -> None:
    with pytest.raises(ValueError, match="23"):
        SegmentStats.parse("1.0 2.0")

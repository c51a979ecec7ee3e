"""benchmarks/pairs.py: a speed target is "met" only when the whole interquartile range of at least
7 alternating pairs is under it. Quartiles computed by hand (linear interpolation)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from pairs import MET, NOT_MET, UNRESOLVED, verdict, verdict_line  # noqa: E402


def test_quartiles_by_hand_and_met() -> None:
    ratios = [1.00, 0.96, 1.02, 0.98, 1.01, 0.97, 0.99]  # sorted: .96 .97 .98 .99 1.00 1.01 1.02
    v = verdict(ratios, 1.05)
    # positions (n-1)*q = 1.5, 3, 4.5: q1 = (.97+.98)/2, median .99, q3 = (1.00+1.01)/2
    assert v["q1"] == pytest.approx(0.975) and v["median"] == pytest.approx(0.99) and v["q3"] == pytest.approx(1.005)
    assert v["verdict"] == MET
    assert verdict_line(v, "overhead") == "overhead: median 0.990x (IQR 0.975-1.005 over 7 pairs), target <= 1.05x: met"


def test_the_issues_three_pairs_are_not_enough_and_a_straddling_range_is_unresolved() -> None:
    three = verdict([0.991, 1.068, 0.950], 1.05)  # the committed overhead.txt pairs: median 0.991, spread +-10 %
    assert three["verdict"] == UNRESOLVED and "fewer than 7 pairs" in verdict_line(three, "x")
    straddling = verdict([0.95, 1.10, 0.97, 1.08, 1.00, 1.06, 0.99], 1.05)  # q1 0.98, q3 1.07
    assert straddling["q1"] == pytest.approx(0.98) and straddling["q3"] == pytest.approx(1.07)
    assert straddling["verdict"] == UNRESOLVED


def test_a_range_wholly_above_the_target_is_not_met() -> None:
    assert verdict([1.10, 1.12, 1.09, 1.11, 1.13, 1.08, 1.10], 1.05)["verdict"] == NOT_MET

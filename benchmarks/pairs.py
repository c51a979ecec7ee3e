"""The verdict of a speed claim measured as alternating pairs, so that noise cannot make it.

Each pair runs the two contenders back to back (alternating which goes first) and gives one
ratio (candidate / reference). The claim "ratio <= target" is:

* ``met`` only when the whole interquartile range of the ratios is at or under the target;
* ``not met`` when the whole interquartile range is above it;
* ``not resolved at this machine's noise`` when the range straddles the target, and always
  with fewer than :data:`MIN_PAIRS` pairs (too few to say where the quartiles lie).

Quartiles are linear-interpolation percentiles (``statistics.quantiles(..., method="inclusive")``,
numpy's default).
"""

from __future__ import annotations

import statistics
from typing import Any, Sequence

MIN_PAIRS = 7
MET, NOT_MET, UNRESOLVED = "met", "not met", "not resolved at this machine's noise"


def verdict(ratios: Sequence[float], target: float) -> dict[str, Any]:
    """Median, quartiles and the verdict of ``ratios`` against ``ratio <= target``."""
    if len(ratios) < 2:
        raise ValueError("a verdict needs at least 2 pairs")
    q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    if len(ratios) < MIN_PAIRS:
        outcome = UNRESOLVED
    elif q3 <= target:
        outcome = MET
    elif q1 > target:
        outcome = NOT_MET
    else:
        outcome = UNRESOLVED
    return {"pairs": len(ratios), "ratios": list(ratios), "median": median, "q1": q1, "q3": q3, "target": target,
            "verdict": outcome}


def verdict_line(v: dict[str, Any], what: str) -> str:
    """``what: median 1.012x (IQR 0.981-1.043 over 7 pairs), target <= 1.05x: met``."""
    few = f"; fewer than {MIN_PAIRS} pairs" if v["pairs"] < MIN_PAIRS else ""
    return (f"{what}: median {v['median']:.3f}x (IQR {v['q1']:.3f}-{v['q3']:.3f} over {v['pairs']} pairs), "
            f"target <= {v['target']:.2f}x: {v['verdict']}{few}")

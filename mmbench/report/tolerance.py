"""Tolerances of the ``compare`` gate: in metric units (``accuracy=0.01``) or in samples (``top1=2samples``).

A tolerance in samples is resolved per metric on the baseline run: ``k samples`` is the change of
the metric when ``k`` samples' per-sample scores each change by 1 (one prediction flipping on a
0/1 metric), i.e. ``k x weight / count`` of the stratum the sample belongs to, the largest over
strata (per-class recall: the rarest class). So ``top1=2samples`` allows two flipped predictions
whatever the size of the test set. Corpus-level metrics (BLEU, METEOR) have no per-sample scores:
give them tolerances in metric units.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mmbench.errors import UserError

SAMPLES_SUFFIX = re.compile(r"^\s*([0-9.eE+-]+|inf)\s*samples?\s*$")


@dataclass(frozen=True)
class Tolerance:
    """An allowed change: ``value`` in metric units (results-file scale), or in samples."""

    value: float
    in_samples: bool = False

    def resolve(self, sample_step: float | None) -> float | None:
        """In metric units; ``sample_step`` is the metric change of one sample (None: unknown)."""
        if not self.in_samples or math.isinf(self.value):
            return self.value
        return None if sample_step is None else self.value * sample_step

    def __str__(self) -> str:
        if math.isinf(self.value):
            return "inf"
        return f"{self.value:g} samples" if self.in_samples else f"{self.value:g}"


def as_tolerance(value: float | Tolerance) -> Tolerance:
    return value if isinstance(value, Tolerance) else Tolerance(float(value))


def parse_tolerances(items: Iterable[str]) -> dict[str, Tolerance]:
    """``["CIDEr=0.02", "shapes_vqa:accuracy=0.01", "top1=2samples", "*=0.005"]`` -> dict; values on
    the results-file scale (0.01 = 1 point) or ``<k>samples``, non-negative; ``inf`` ignores a metric."""
    out = {}
    for item in items:
        name, sep, raw = item.partition("=")
        match = SAMPLES_SUFFIX.match(raw)
        try:
            value = float(match.group(1) if match else raw)
        except ValueError:
            value = float("nan")
        if not sep or not name.strip() or not (value >= 0):
            raise UserError(f"--tolerance {item!r}: expected METRIC=VALUE with VALUE >= 0 on the 0-1 scale "
                            "(e.g. accuracy=0.01 for one point; CIDEr on its native scale) or METRIC=<k>samples "
                            "(e.g. top1=2samples)")
        out[name.strip()] = Tolerance(value, in_samples=bool(match))
    return out


def lookup(tolerances: Mapping[str, float | Tolerance], task: str, metric: str) -> Tolerance:
    """The tolerance for ``task:metric``, else ``metric``, else ``*``, else 0."""
    for key in (f"{task}:{metric}", metric, "*"):
        if key in tolerances:
            return as_tolerance(tolerances[key])
    return Tolerance(0.0)

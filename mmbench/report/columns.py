"""Which metric leads each task type, derived metrics, and how values print.

Values in result files are on a 0-1 scale (CIDEr on its native scale, 1.335 for a paper's
133.5); tables print every quality metric x100, as papers do. All metrics are higher-is-better.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

MEAN_R1 = "mean_R@1"

#: A task group's summary metric: the mean of its members' main metrics (mmbench.engine.groups). The
#: task types declare theirs as ``TaskType.main_metric``.
GROUP_MAIN_METRIC = "mean"

#: Captioning metrics computed on the whole corpus: per-image scores do not average to them.
#: metrics where lower is better (the fraction of answers no rule could read): compare gates them the other way
LOWER_IS_BETTER = frozenset({"extraction_failed", "extraction_empty", "judge_unparsed"})
CORPUS_LEVEL_METRICS = frozenset({"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "SPICE"})


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None (missing, null, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def with_derived(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite metrics, plus ``mean_R@1`` = mean of ``i2t_R@1`` and ``t2i_R@1`` when both exist."""
    out = {name: v for name, raw in metrics.items() if (v := finite(raw)) is not None}
    if "i2t_R@1" in out and "t2i_R@1" in out and MEAN_R1 not in out:
        out[MEAN_R1] = (out["i2t_R@1"] + out["t2i_R@1"]) / 2
    return out


def main_metric_name(task_type: str, metrics: Mapping[str, Any]) -> str | None:
    """The task type's main metric (``TaskType.main_metric``, declared once on each type; a group's
    is its mean), or the first metric (sorted) for an unknown type. Task-type modules import
    neither torch nor numpy."""
    from mmbench.registry import task_types

    if task_type == "group":
        return GROUP_MAIN_METRIC
    main = str(task_types.get(task_type).main_metric_for(metrics)) if task_type and task_type in task_types else ""
    return main or (min(metrics) if metrics else None)


def ordered_metric_names(task_type: str, metrics: Mapping[str, Any]) -> list[str]:
    """Main metric first, then the rest in a stable (sorted) order."""
    main = main_metric_name(task_type, metrics)
    rest = sorted((name for name in metrics if name != main), key=natural_key)
    return ([main] if main else []) + rest


def natural_key(name: str) -> list[object]:
    """Sort key putting ``R@5`` before ``R@10`` and ``Bleu_2`` before ``Bleu_10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


#: metrics stored on their benchmark's own printed scale (MME's scores, max 2000 / 800 / 200):
#: tables print them as they are, not x100
PRINTED_AS_IS = ("perception", "cognition")
PRINTED_AS_IS_PREFIXES = ("mme_",)


def points(value: float | None, digits: int = 2, metric: str | None = "") -> str:
    """A metric as printed in tables: x100 (0-1 metrics, CIDEr), as is for MME's scores; an en
    dash when missing."""
    if value is None:
        return "–"
    name = metric or ""
    scale = 1 if name in PRINTED_AS_IS or name.startswith(PRINTED_AS_IS_PREFIXES) else 100
    return f"{value * scale:.{digits}f}"


def number(value: Any, digits: int = 1) -> str:
    v = finite(value)
    return "–" if v is None else f"{v:,.{digits}f}"


def count(value: Any) -> str:
    """A parameter count in millions/billions: 151277313 -> ``151.3M``."""
    v = finite(value)
    if v is None:
        return "–"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:.1f}{unit}"
    return f"{v:.0f}"

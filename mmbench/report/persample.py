"""Per-sample values of each metric, from ``<stem>.samples.jsonl`` records.

Every record has ``id`` and ``metrics`` (per-sample contributions of the metrics that are a mean
over samples). Records are keyed by ``(kind, id)``: retrieval files hold image queries
(``kind: image``, ``i2t_R@K``) and text queries (``kind: text``, ``t2i_R@K``) whose ids may
overlap. Derived per-sample metrics:

- VQA ``accuracy_<answer type>``: ``accuracy`` over the records of that answer type.
- retrieval ``mean_R@1``: two strata (image queries' ``i2t_R@1``, text queries' ``t2i_R@1``),
  weight 1/2 each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mmbench.report.columns import MEAN_R1, finite

SampleKey = tuple[str, str]


@dataclass(frozen=True)
class Stratum:
    """Per-sample values of one metric (or one part of a derived metric) by sample key."""

    values: dict[SampleKey, float]
    weight: float = 1.0


def sample_key(record: dict[str, Any]) -> SampleKey:
    return (str(record.get("kind", "")), json.dumps(record.get("id"), sort_keys=True))


def _values(records: Iterable[dict[str, Any]], metric: str, keep: Callable[[dict[str, Any]], bool] = lambda r: True) -> dict[SampleKey, float]:
    out = {}
    for record in records:
        per = record.get("metrics")
        if isinstance(per, dict) and keep(record) and (v := finite(per.get(metric))) is not None:
            out[sample_key(record)] = v
    return out


def answer_type_metric(answer_type: str) -> str:
    """``yes/no`` -> ``accuracy_yes_no`` (the name used in result files)."""
    return "accuracy_" + re.sub(r"[^0-9a-z]+", "_", answer_type.lower()).strip("_")


def strata_for(metric: str, task_type: str, records: list[dict[str, Any]]) -> list[Stratum] | None:
    """The per-sample values that average to ``metric``, or None when the records lack them."""
    direct = _values(records, metric)
    if direct:
        return [Stratum(direct)]
    if metric == MEAN_R1:
        image, text = _values(records, "i2t_R@1"), _values(records, "t2i_R@1")
        return [Stratum(image, 0.5), Stratum(text, 0.5)] if image and text else None
    if task_type == "vqa" and metric.startswith("accuracy_"):
        by_type = _values(records, "accuracy", lambda r: answer_type_metric(str(r.get("answer_type", ""))) == metric)
        return [Stratum(by_type)] if by_type else None
    return None


def weighted_mean(strata: list[Stratum]) -> float:
    return sum(s.weight * sum(s.values.values()) / len(s.values) for s in strata)

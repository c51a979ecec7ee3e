"""Per-sample values of each metric, from ``<stem>.samples.jsonl`` records, as arrays.

Every record has ``id`` and ``metrics`` (per-sample contributions of the metrics that are a mean
over samples). Records are keyed by ``(kind, id)``: retrieval files hold image queries
(``kind: image``, ``i2t_R@K``) and text queries (``kind: text``, ``t2i_R@K``) whose ids may
overlap. Derived per-sample metrics:

- VQA ``accuracy_<answer type>``: ``accuracy`` over the records of that answer type.
- retrieval ``mean_R@1``: two strata (image queries' ``i2t_R@1``, text queries' ``t2i_R@1``),
  weight 1/2 each.
- zero-shot ``mean_per_class_recall``: one stratum per class present (records' ``label``), each
  the ``top1`` of that class's samples, weight 1/number of classes.

A run's records are read once into a :class:`SampleTable` (one float column per metric, NaN
where a record lacks it); pairing two runs is then vectorised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from mmbench.report.columns import MEAN_R1

SampleKey = tuple[str, str]


def sample_key(record: dict[str, Any]) -> SampleKey:
    return (str(record.get("kind", "")), repr(record.get("id")))


@lru_cache(maxsize=256)
def answer_type_metric(answer_type: str) -> str:
    """``yes/no`` -> ``accuracy_yes_no`` (the name used in result files)."""
    return "accuracy_" + re.sub(r"[^0-9a-z]+", "_", answer_type.lower()).strip("_")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")


@dataclass
class SampleTable:
    """One run's records: ``keys[i]`` and ``columns[metric][i]`` (NaN: no value for record i)."""

    keys: list[SampleKey]
    columns: dict[str, np.ndarray]
    answer_metric: np.ndarray  # object array: accuracy_<answer type> of each record, "" if none
    labels: np.ndarray | None = None  # object array: each record's ``label`` (zero-shot), None if none has one

    @classmethod
    def from_records(cls, records: Sequence[dict[str, Any]]) -> SampleTable:
        n = len(records)
        columns: dict[str, np.ndarray] = {}
        answer_metric = np.full(n, "", dtype=object)
        for i, record in enumerate(records):
            per = record.get("metrics")
            if isinstance(per, dict):
                for name, value in per.items():
                    column = columns.get(name)
                    if column is None:
                        column = columns[name] = np.full(n, np.nan)
                    column[i] = _number(value)
            answer_type = record.get("answer_type")
            if isinstance(answer_type, str):
                answer_metric[i] = answer_type_metric(answer_type)
        for column in columns.values():
            column[~np.isfinite(column)] = np.nan
        labels = np.array([repr(r.get("label")) for r in records], dtype=object)
        has_labels = any("label" in r for r in records)
        return cls([sample_key(r) for r in records], columns, answer_metric, labels if has_labels else None)


@dataclass(frozen=True)
class Stratum:
    """Values of one metric (or one part of a derived metric): ``values[i]`` for record i, NaN if none."""

    values: np.ndarray
    weight: float = 1.0

    @property
    def count(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.values)))

    @property
    def mean(self) -> float:
        return float(np.nanmean(self.values))


def strata_for(metric: str, task_type: str, table: SampleTable) -> list[Stratum] | None:
    """The per-sample values that average to ``metric``, or None when the records lack them."""
    direct = table.columns.get(metric)
    if direct is not None and not np.all(np.isnan(direct)):
        return [Stratum(direct)]
    if metric == MEAN_R1:
        image, text = table.columns.get("i2t_R@1"), table.columns.get("t2i_R@1")
        if image is None or text is None:
            return None
        return [Stratum(image, 0.5), Stratum(text, 0.5)]
    top1 = table.columns.get("top1")
    if metric == "mean_per_class_recall" and top1 is not None and table.labels is not None:
        classes = sorted(set(table.labels[~np.isnan(top1)]))
        return [Stratum(np.where(table.labels == c, top1, np.nan), 1 / len(classes)) for c in classes] or None
    accuracy = table.columns.get("accuracy")
    if task_type == "vqa" and metric.startswith("accuracy_") and accuracy is not None:
        by_type = np.where(table.answer_metric == metric, accuracy, np.nan)
        return [Stratum(by_type)] if not np.all(np.isnan(by_type)) else None
    return None


def weighted_mean(strata: list[Stratum]) -> float:
    return sum(s.weight * s.mean for s in strata)


def alignment(base: SampleTable, cand: SampleTable) -> np.ndarray:
    """For each baseline record, the index of the candidate record with the same key, or -1."""
    if base.keys == cand.keys:
        return np.arange(len(base.keys))
    where = {key: i for i, key in enumerate(cand.keys)}
    return np.array([where.get(key, -1) for key in base.keys], dtype=np.int64)


def paired_values(base: Stratum, cand: Stratum, align: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and candidate values of the samples both have, in baseline order."""
    matched = align >= 0
    cand_values = np.full(base.values.shape, np.nan)
    cand_values[matched] = cand.values[align[matched]]
    keep = ~np.isnan(base.values) & ~np.isnan(cand_values)
    return base.values[keep], cand_values[keep]

"""The leaderboard model: one row per model, one column group per task, history of reruns.

Built from result files only (:func:`build_leaderboard`); rendered by :mod:`.tables` (Markdown,
CSV, JSON) and :mod:`.html`. A column is one task *protocol*: runs of one task name with
different versions or data fingerprints (e.g. a ``--limit`` run) land in separate columns, so a
column never mixes numbers that are not comparable. A row is one model spec (and dtype, when a
spec was run in several). Of several runs of one model on one column the newest's metrics are
shown, and the median of their throughput and p50 latency (one noisy run does not move them); all
runs are kept as its history.

Partial runs (``--limit``, a split short of the task's ``expected_count``, skipped images; see
:mod:`mmbench.data.completeness`) are not the benchmark: they stay out of the table and are listed
apart (``Leaderboard.partial``) with their coverage, unless ``include_partial`` mixes them in,
marked in every output format.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mmbench.report.columns import finite, main_metric_name, with_derived
from mmbench.report.loading import latest_first, model_name, task_name
from mmbench.report.reference import REPORTED, ReportedResult
from mmbench.results import RunCoverage, RunResult, run_coverage

TASK_TYPE_ORDER = ("captioning", "retrieval", "vqa", "zeroshot")


@dataclass(frozen=True)
class TaskColumn:
    """One task protocol: name + version + data fingerprint. ``label`` is unique in a leaderboard."""

    name: str
    task_type: str
    version: str
    fingerprint: str
    label: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.version, self.fingerprint)


@dataclass
class Cell:
    """One model on one task column: the newest run and every run (newest first)."""

    history: list[RunResult]

    @property
    def latest(self) -> RunResult:
        return self.history[0]

    @property
    def metrics(self) -> dict[str, float]:
        return with_derived(self.latest.metrics)

    @property
    def main_metric(self) -> str | None:
        return main_metric_name(str(self.latest.task.get("type", "")), self.metrics)

    @property
    def main_value(self) -> float | None:
        name = self.main_metric
        return self.metrics.get(name) if name else None

    @property
    def coverage(self) -> RunCoverage:
        return run_coverage(self.latest)

    @property
    def items_per_s(self) -> float | None:
        """Median items/s over the runs that recorded it."""
        return _median([finite(r.timing.get("items_per_s")) for r in self.history])

    @property
    def p50_ms(self) -> float | None:
        """Median over the runs of each run's p50 batch latency."""
        return _median([finite(lat.get("p50")) if isinstance(lat := r.timing.get("latency_ms"), dict) else None
                        for r in self.history])

    @property
    def timed_runs(self) -> int:
        """How many runs the throughput median is taken over."""
        return sum(finite(r.timing.get("items_per_s")) is not None for r in self.history)


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


@dataclass
class ModelRow:
    """One model: its cells by column key."""

    label: str
    spec: str
    dtype: str
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)

    def latest_runs(self) -> list[RunResult]:
        return [cell.latest for cell in self.cells.values()]

    @property
    def num_parameters(self) -> float | None:
        return next((v for r in self.latest_runs() if (v := finite(r.model.get("num_parameters"))) is not None), None)

    @property
    def devices(self) -> list[str]:
        found = {str(r.timing.get("device") or r.model.get("device") or "") for r in self.latest_runs()}
        return sorted(d for d in found if d)


@dataclass
class Leaderboard:
    columns: list[TaskColumn]
    rows: list[ModelRow]
    reported: list[ReportedResult]
    warnings: list[str] = field(default_factory=list)
    partial: list[RunResult] = field(default_factory=list)  # partial runs kept out of the table (newest first)


def _dtype(result: RunResult) -> str:
    return str(result.model.get("dtype") or result.timing.get("dtype") or "")


def _column_of(result: RunResult) -> TaskColumn:
    task = result.task
    return TaskColumn(task_name(result), str(task.get("type", "")), str(task.get("version", "")),
                      str(task.get("data_fingerprint", "")))


def _labelled(columns: Iterable[TaskColumn]) -> list[TaskColumn]:
    """Sort columns (task type, name) and give each a unique label: the task name, plus version and
    fingerprint prefix when one name has several protocols."""
    columns = sorted(columns, key=lambda c: (TASK_TYPE_ORDER.index(c.task_type) if c.task_type in TASK_TYPE_ORDER
                                             else len(TASK_TYPE_ORDER), c.name, c.version, c.fingerprint))
    names: dict[str, int] = defaultdict(int)
    for c in columns:
        names[c.name] += 1
    return [TaskColumn(c.name, c.task_type, c.version, c.fingerprint,
                       c.name if names[c.name] == 1 else f"{c.name} (v{c.version or '?'}, data {c.fingerprint[:8] or '?'})")
            for c in columns]


def build_leaderboard(results: Iterable[RunResult], warnings: Iterable[str] = (),
                      include_reported: bool = True, include_partial: bool = False) -> Leaderboard:
    """Group runs by model and task protocol; rows sorted by the first column's main metric.
    Partial runs go to ``Leaderboard.partial`` unless ``include_partial``."""
    results = list(results)
    partial = [] if include_partial else [r for r in results if not run_coverage(r).complete]
    left_out = {id(r) for r in partial}
    runs: dict[tuple[str, str], dict[tuple[str, str, str], list[RunResult]]] = defaultdict(lambda: defaultdict(list))
    columns: dict[tuple[str, str, str], TaskColumn] = {}
    for result in results:
        if id(result) in left_out:
            continue
        column = _column_of(result)
        columns.setdefault(column.key, column)
        runs[(model_name(result), _dtype(result))][column.key].append(result)
    dtypes_per_spec: dict[str, set[str]] = defaultdict(set)
    for spec, dtype in runs:
        dtypes_per_spec[spec].add(dtype)
    rows = []
    for (spec, dtype), by_column in runs.items():
        label = spec if len(dtypes_per_spec[spec]) == 1 else f"{spec} [{dtype or '?'}]"
        row = ModelRow(label, spec, dtype)
        for key, history in by_column.items():
            row.cells[key] = Cell(latest_first(history))
        rows.append(row)
    ordered = _labelled(columns.values())
    rows.sort(key=lambda row: _sort_key(row, ordered))
    partial = sorted(latest_first(partial), key=lambda r: (task_name(r), model_name(r)))  # newest first per pair
    return Leaderboard(ordered, rows, list(REPORTED) if include_reported else [], list(warnings), partial)


def _sort_key(row: ModelRow, columns: list[TaskColumn]) -> tuple[Any, ...]:
    """Best first on the first column where the row has a value; rows without values last."""
    for index, column in enumerate(columns):
        cell = row.cells.get(column.key)
        if cell is not None and cell.main_value is not None:
            return (index, -cell.main_value, row.label)
    return (len(columns), 0.0, row.label)

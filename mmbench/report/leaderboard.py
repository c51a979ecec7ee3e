"""The leaderboard model: one row per model, one column group per task, history of reruns.

Built from the results DataFrame (:func:`mmbench.load_results`, :mod:`mmbench.report.frame`) by
:func:`build_leaderboard`: every number in its tables (metrics, coverage, throughput medians and
run counts, parameter counts, devices) is read from the frame's columns; each run's full record
(``df.attrs["runs"]``) is kept only for the per-run detail (configuration, environment, timing).
Rendered by :mod:`.tables` (Markdown, CSV, JSON) and :mod:`.html`. A column is one task
*protocol*: runs of one task name with different versions, data fingerprints (e.g. a
``--limit`` run) or ``--metric-arg`` options land in separate columns, so a column never mixes numbers that are not
comparable. A row is one model spec (and dtype, when a spec was run in several). Of several runs
of one model on one column the newest's metrics are shown, and the median of their throughput and
p50 latency (one noisy run does not move them); all runs are kept as its history.

Partial runs (``--limit``, a split short of the task's ``expected_count``, skipped images; see
:mod:`mmbench.data.completeness`) are not the benchmark: they stay out of the table and are listed
apart (``Leaderboard.partial``) with their coverage, unless ``include_partial`` mixes them in,
marked in every output format.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.report.columns import finite, main_metric_name
from mmbench.report.frame import RUNS_ATTR, WARNINGS_ATTR, runs_frame
from mmbench.report.reference import REPORTED, ReportedResult
from mmbench.results import RunCoverage, RunResult

if TYPE_CHECKING:
    import pandas

TASK_TYPE_ORDER = ("captioning", "retrieval", "vqa", "zeroshot")


@dataclass(frozen=True)
class TaskColumn:
    """One task protocol: name + version + data fingerprint (+ the command line's metric options,
    ``--metric-arg``, when a run had any). ``label`` is unique in a leaderboard."""

    name: str
    task_type: str
    version: str
    fingerprint: str
    label: str = ""
    options: str = ""  # "key=value, ..." of the runs' --metric-arg; "" for the task file's own options

    @property
    def key(self) -> tuple[str, ...]:
        return (self.name, self.version, self.fingerprint, self.options)


@dataclass(frozen=True)
class RunView:
    """One run as the leaderboard shows it: the values of its DataFrame rows, and ``record`` (the
    full result) for the per-run detail."""

    record: RunResult
    run_id: str
    created_at: str
    spec: str
    task_name: str
    task_type: str
    dtype: str
    device: str
    num_parameters: float | None
    metrics: dict[str, float]
    coverage: RunCoverage
    items_per_s: float | None
    p50_ms: float | None

    @property
    def main_metric(self) -> str | None:
        return main_metric_name(self.task_type, self.metrics)

    @property
    def main_value(self) -> float | None:
        name = self.main_metric
        return self.metrics.get(name) if name else None

    # the record's detail, as written in the result file
    @property
    def task(self) -> dict[str, Any]:
        return self.record.task

    @property
    def model(self) -> dict[str, Any]:
        return self.record.model

    @property
    def timing(self) -> dict[str, Any]:
        return self.record.timing

    @property
    def config(self) -> dict[str, Any]:
        return self.record.config

    @property
    def env(self) -> dict[str, Any]:
        return self.record.env

    @property
    def errors(self) -> dict[str, Any]:
        return self.record.errors

    @property
    def metric_notes(self) -> dict[str, str]:
        return self.record.metric_notes

    @property
    def schema_version(self) -> str:
        return self.record.schema_version

    @property
    def path(self) -> Path | None:
        return self.record.path


@dataclass
class Cell:
    """One model on one task column: every run (newest first) and the medians over them."""

    history: list[RunView]
    items_per_s: float | None = None  # median items/s over the runs that recorded it
    p50_ms: float | None = None  # median over the runs of each run's p50 batch latency
    timed_runs: int = 0  # how many runs the throughput median is taken over

    @property
    def latest(self) -> RunView:
        return self.history[0]

    @property
    def metrics(self) -> dict[str, float]:
        return self.latest.metrics

    @property
    def main_metric(self) -> str | None:
        return self.latest.main_metric

    @property
    def main_value(self) -> float | None:
        return self.latest.main_value

    @property
    def coverage(self) -> RunCoverage:
        return self.latest.coverage


@dataclass
class ModelRow:
    """One model: its cells by column key."""

    label: str
    spec: str
    dtype: str
    cells: dict[tuple[str, ...], Cell] = field(default_factory=dict)

    def latest_runs(self) -> list[RunView]:
        return [cell.latest for cell in self.cells.values()]

    @property
    def num_parameters(self) -> float | None:
        return next((r.num_parameters for r in self.latest_runs() if r.num_parameters is not None), None)

    @property
    def devices(self) -> list[str]:
        return sorted({r.device for r in self.latest_runs() if r.device})


@dataclass
class Leaderboard:
    columns: list[TaskColumn]
    rows: list[ModelRow]
    reported: list[ReportedResult]
    warnings: list[str] = field(default_factory=list)
    partial: list[RunView] = field(default_factory=list)  # partial runs kept out of the table (newest first)


def _text(value: Any) -> str:
    """A frame cell as text: missing -> "", a whole float (an int column pandas widened) -> "1"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float | None:
    """A frame cell as a finite Python float, or None (numpy scalars included)."""
    return finite(value.item() if hasattr(value, "item") else value)


def _count(value: Any) -> int | None:
    v = _number(value)
    return None if v is None else int(v)


def run_views(frame: pandas.DataFrame) -> dict[str, RunView]:
    """Each run of ``frame`` (by ``run_key``, in frame order) with its values and full record."""
    records = frame.attrs.get(RUNS_ATTR)
    if records is None:
        raise ValueError("a results DataFrame from mmbench.load_results is needed (df.attrs['runs'] is missing)")
    views: dict[str, RunView] = {}
    for key, rows in frame.groupby("run_key", sort=False):
        first = rows.iloc[0]
        metrics = {name: float(value) for name, value in zip(rows["metric"], rows["value"])
                   if isinstance(name, str) and _number(value) is not None}
        views[str(key)] = RunView(
            record=records[key], run_id=_text(first["run_id"]), created_at=_text(first["created_at"]),
            spec=_text(first["model"]), task_name=_text(first["task"]), task_type=_text(first["task_type"]),
            dtype=_text(first["dtype"]), device=_text(first["device"]), num_parameters=_number(first["num_parameters"]),
            metrics=metrics, coverage=RunCoverage(bool(first["complete"]), _count(first["samples_scored"]),
                                                  _count(first["samples_total"])),
            items_per_s=_number(first["items_per_s"]), p50_ms=_number(first["p50_ms"]))
    return views


def _newest_first(frame: pandas.DataFrame) -> pandas.DataFrame:
    """One row per run, newest first by ``created_at`` (ISO UTC strings sort chronologically), then run id."""
    return frame.drop_duplicates("run_key").sort_values(["created_at", "run_id"], ascending=False, kind="stable")


def _median(values: pandas.Series) -> float | None:
    return _number(values.median()) if values.notna().any() else None


def _labelled(columns: Iterable[TaskColumn]) -> list[TaskColumn]:
    """Sort columns (task type, name) and give each a unique label: the task name, plus version and
    fingerprint prefix when one name has several protocols, plus ``[key=value]`` for runs with
    ``--metric-arg`` options (scored differently, so never in the default column)."""
    columns = sorted(columns, key=lambda c: (TASK_TYPE_ORDER.index(c.task_type) if c.task_type in TASK_TYPE_ORDER
                                             else len(TASK_TYPE_ORDER), c.name, c.version, c.fingerprint, c.options))
    protocols: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for c in columns:
        protocols[c.name].add((c.version, c.fingerprint))

    def label(c: TaskColumn) -> str:
        text = c.name if len(protocols[c.name]) == 1 else f"{c.name} (v{c.version or '?'}, data {c.fingerprint[:8] or '?'})"
        return f"{text} [{c.options}]" if c.options else text

    return [TaskColumn(c.name, c.task_type, c.version, c.fingerprint, label(c), c.options) for c in columns]


def build_leaderboard(results: pandas.DataFrame | Iterable[RunResult], warnings: Iterable[str] | None = None,
                      include_reported: bool = True, include_partial: bool = False) -> Leaderboard:
    """The leaderboard of a results DataFrame (:func:`mmbench.load_results`; runs in memory are turned
    into one first). Rows sorted by the first column's main metric; partial runs go to
    ``Leaderboard.partial`` unless ``include_partial``. ``warnings`` default to the frame's."""
    import pandas as pd

    frame = results if isinstance(results, pd.DataFrame) else runs_frame(results)
    warnings = list(frame.attrs.get(WARNINGS_ATTR, ()) if warnings is None else warnings)
    views = run_views(frame)
    runs = _newest_first(frame)
    runs = runs.assign(**{name: runs[name].map(_text) for name in ("model", "dtype", "task", "task_type", "task_version",
                                                                    "data_fingerprint")})
    runs = runs.assign(metric_options=runs["run_key"].map(lambda key: _metric_options_text(views[key])))
    shown = runs if include_partial else runs[runs["complete"].astype(bool)]
    columns: dict[tuple[str, ...], TaskColumn] = {}
    by_model: dict[tuple[str, str], dict[tuple[str, ...], Cell]] = defaultdict(dict)
    for (spec, dtype, task, version, fingerprint, options), group in shown.groupby(
            ["model", "dtype", "task", "task_version", "data_fingerprint", "metric_options"], sort=False):
        column = TaskColumn(task, group["task_type"].iloc[0], version, fingerprint, options=options)
        columns.setdefault(column.key, column)
        by_model[(spec, dtype)][column.key] = Cell(
            [views[k] for k in group["run_key"]], _median(group["items_per_s"]), _median(group["p50_ms"]),
            int(group["items_per_s"].notna().sum()))
    dtypes_per_spec: dict[str, set[str]] = defaultdict(set)
    for spec, dtype in by_model:
        dtypes_per_spec[spec].add(dtype)
    rows = [ModelRow(spec if len(dtypes_per_spec[spec]) == 1 else f"{spec} [{dtype or '?'}]", spec, dtype, cells)
            for (spec, dtype), cells in by_model.items()]
    ordered = _labelled(columns.values())
    rows.sort(key=lambda row: _sort_key(row, ordered))
    partial_runs = runs[~runs["complete"].astype(bool)] if not include_partial else runs.iloc[0:0]
    partial = [views[k] for k in partial_runs.sort_values(["task", "model"], kind="stable")["run_key"]]  # newest first per pair
    return Leaderboard(ordered, rows, list(REPORTED) if include_reported else [], warnings, partial)


def _metric_options_text(run: RunView) -> str:
    """``"unparsed=random"``: the run's ``--metric-arg`` options (``task.arguments.metric_args``), sorted."""
    arguments = run.task.get("arguments") if isinstance(run.task, dict) else None
    given = arguments.get("metric_args") if isinstance(arguments, dict) else None
    return ", ".join(f"{k}={v}" for k, v in sorted(given.items())) if isinstance(given, dict) else ""


def _sort_key(row: ModelRow, columns: list[TaskColumn]) -> tuple[Any, ...]:
    """Best first on the first column where the row has a value; rows without values last."""
    for index, column in enumerate(columns):
        cell = row.cells.get(column.key)
        if cell is not None and cell.main_value is not None:
            return (index, -cell.main_value, row.label)
    return (len(columns), 0.0, row.label)

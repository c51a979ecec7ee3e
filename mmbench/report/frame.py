"""Result files as a pandas DataFrame: one row per run and metric, for your own analysis.

    >>> import mmbench
    >>> df = mmbench.load_results(["results/baseline", "results/random-init"])
    >>> df.pivot_table(index="model", columns=["task", "metric"], values="value")   # a leaderboard
    >>> df[df.metric == "top1"].groupby("model").items_per_s.median()              # speed per model

Columns: identity (``run_key``, ``run_id``, ``created_at``, ``task``, ``task_type``, ``task_version``,
``data_fingerprint``, ``num_samples``, ``complete`` (False for partial runs: ``--limit``, a short
split, skipped images; filter on it before comparing), ``samples_scored``, ``samples_total``, ``model``, ``adapter``, ``model_fingerprint``,
``num_parameters``, ``dtype``, ``device``, ``batch_size``), the metric (``metric``, ``value`` on the
results-file scale: 0-1, CIDEr native; ``mean_R@1`` derived as in the leaderboard), timing
(``items_per_s``, ``tokens_per_s``, ``wall_s``, ``p50_ms``, ``p90_ms``, ``p99_ms``,
``peak_memory_mb``; throughput and latency empty for a run served entirely from the prediction
store, which computed nothing) and ``file``. ``dtype`` and ``device`` are what the run used (its timing
record, else the model's). A run without any finite metric keeps one row, its ``metric`` empty, so
no run is lost. Unreadable files are skipped with a warning on stderr.

``mmbench leaderboard`` is built on this frame (:func:`mmbench.report.leaderboard.build_leaderboard`).
Two entries of ``df.attrs`` travel with it: ``"runs"``, each run's full record (configuration,
environment, full timing; :class:`~mmbench.results.RunResult`) by its ``run_key`` column (the run id,
numbered when runs given in memory share one), for per-run detail; and ``"warnings"``, the files
left out. Imports pandas, never torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.report.columns import finite, with_derived
from mmbench.report.loading import load_results as load_runs
from mmbench.report.loading import model_name, task_name
from mmbench.results import RunResult, run_coverage, served_from_store

if TYPE_CHECKING:
    import pandas

RUNS_ATTR = "runs"  # df.attrs key: run_key -> RunResult
WARNINGS_ATTR = "warnings"  # df.attrs key: the files left out, one line each

COLUMNS = ("run_key", "run_id", "created_at", "task", "task_type", "task_version", "data_fingerprint", "num_samples", "complete",
           "samples_scored", "samples_total", "model",
           "adapter", "model_fingerprint", "num_parameters", "dtype", "device", "batch_size", "metric", "value",
           "items_per_s", "tokens_per_s", "wall_s", "p50_ms", "p90_ms", "p99_ms", "peak_memory_mb", "file")


class RunRecords(dict):  # type: ignore[type-arg]
    """``run_key`` -> :class:`RunResult`. Read-only records: pandas copies ``DataFrame.attrs`` on every
    operation, and this mapping is shared instead of deep-copied."""

    def __deepcopy__(self, memo: dict[int, Any]) -> RunRecords:
        return self


def rows(run: RunResult, run_key: str = "") -> list[dict[str, Any]]:
    """One dict per metric of ``run`` (the DataFrame's rows); one with ``metric`` None when it has none."""
    latency = run.timing.get("latency_ms") if isinstance(run.timing.get("latency_ms"), dict) else {}
    stored = served_from_store(run)  # computed nothing: no throughput or latency to report
    coverage = run_coverage(run)
    shared = {
        "run_key": run_key or run.run_id, "run_id": run.run_id, "created_at": run.created_at, "task": task_name(run),
        "task_type": run.task.get("type"),
        "task_version": run.task.get("version"), "data_fingerprint": run.task.get("data_fingerprint"),
        "num_samples": run.task.get("num_samples"), "complete": coverage.complete, "samples_scored": coverage.scored,
        "samples_total": coverage.total, "model": model_name(run), "adapter": run.model.get("adapter"),
        "model_fingerprint": run.model.get("fingerprint"), "num_parameters": run.model.get("num_parameters"),
        "dtype": run.model.get("dtype") or run.timing.get("dtype"),
        "device": run.timing.get("device") or run.model.get("device"), "batch_size": run.timing.get("batch_size"),
        "items_per_s": None if stored else finite(run.timing.get("items_per_s")),
        "tokens_per_s": None if stored else finite(run.timing.get("tokens_per_s")),
        "wall_s": finite(run.timing.get("wall_s")), "p50_ms": None if stored else finite(latency.get("p50")),
        "p90_ms": None if stored else finite(latency.get("p90")), "p99_ms": None if stored else finite(latency.get("p99")),
        "peak_memory_mb": finite(run.timing.get("peak_memory_mb")), "file": str(run.path) if run.path else None,
    }
    metrics = with_derived(run.metrics)
    return [{**shared, "metric": name, "value": value} for name, value in metrics.items()] or [
        {**shared, "metric": None, "value": None}]


def runs_frame(runs: Iterable[RunResult], warnings: Iterable[str] = ()) -> pandas.DataFrame:
    """Runs already in memory as the DataFrame :func:`load_results` gives (records in ``df.attrs``)."""
    import pandas as pd

    records = RunRecords()
    table: list[dict[str, Any]] = []
    for run in runs:
        key, n = run.run_id, 1
        while key in records:  # two in-memory runs with one id stay two runs
            n += 1
            key = f"{run.run_id}#{n}"
        records[key] = run
        table.extend(rows(run, key))
    frame = pd.DataFrame(table, columns=list(COLUMNS))
    frame = frame.sort_values(["task", "model", "metric", "created_at"], kind="stable", ignore_index=True)
    frame.attrs[RUNS_ATTR] = records
    frame.attrs[WARNINGS_ATTR] = list(warnings)
    return frame


def load_results(paths: str | Path | Iterable[str | Path]) -> pandas.DataFrame:
    """Every result file under ``paths`` (files or folders, searched recursively) as a DataFrame.

    Raises :class:`~mmbench.errors.UserError` for a path that does not exist; unreadable files are
    named on stderr and in ``df.attrs["warnings"]``, and left out."""
    loaded = load_runs([paths] if isinstance(paths, (str, Path)) else list(paths))
    loaded.print_warnings()
    return runs_frame(loaded.results, loaded.warnings)

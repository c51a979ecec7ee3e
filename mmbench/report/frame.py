"""Result files as a pandas DataFrame: one row per run and metric, for your own analysis.

    >>> import mmbench
    >>> df = mmbench.load_results(["results/baseline", "results/random-init"])
    >>> df.pivot_table(index="model", columns=["task", "metric"], values="value")   # a leaderboard
    >>> df[df.metric == "top1"].groupby("model").items_per_s.median()              # speed per model

Columns: identity (``run_id``, ``created_at``, ``task``, ``task_type``, ``task_version``,
``data_fingerprint``, ``num_samples``, ``complete`` (False for partial runs: ``--limit``, a short
split, skipped images; filter on it before comparing), ``samples_scored``, ``samples_total``, ``model``, ``adapter``, ``model_fingerprint``,
``num_parameters``, ``dtype``, ``device``, ``batch_size``), the metric (``metric``, ``value`` on the
results-file scale: 0-1, CIDEr native; ``mean_R@1`` derived as in the leaderboard), timing
(``items_per_s``, ``tokens_per_s``, ``wall_s``, ``p50_ms``, ``p90_ms``, ``p99_ms``,
``peak_memory_mb``) and ``file``. Unreadable files are skipped with a warning on stderr, as the
leaderboard does. Imports pandas, never torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.report.columns import finite, with_derived
from mmbench.report.loading import load_results as load_runs
from mmbench.report.loading import model_name, task_name
from mmbench.results import RunResult, run_coverage

if TYPE_CHECKING:
    import pandas

COLUMNS = ("run_id", "created_at", "task", "task_type", "task_version", "data_fingerprint", "num_samples", "complete",
           "samples_scored", "samples_total", "model",
           "adapter", "model_fingerprint", "num_parameters", "dtype", "device", "batch_size", "metric", "value",
           "items_per_s", "tokens_per_s", "wall_s", "p50_ms", "p90_ms", "p99_ms", "peak_memory_mb", "file")


def rows(run: RunResult) -> list[dict[str, Any]]:
    """One dict per metric of ``run`` (the DataFrame's rows)."""
    latency = run.timing.get("latency_ms") if isinstance(run.timing.get("latency_ms"), dict) else {}
    coverage = run_coverage(run)
    shared = {
        "run_id": run.run_id, "created_at": run.created_at, "task": task_name(run), "task_type": run.task.get("type"),
        "task_version": run.task.get("version"), "data_fingerprint": run.task.get("data_fingerprint"),
        "num_samples": run.task.get("num_samples"), "complete": coverage.complete, "samples_scored": coverage.scored,
        "samples_total": coverage.total, "model": model_name(run), "adapter": run.model.get("adapter"),
        "model_fingerprint": run.model.get("fingerprint"), "num_parameters": run.model.get("num_parameters"),
        "dtype": run.model.get("dtype"), "device": run.model.get("device"), "batch_size": run.timing.get("batch_size"),
        "items_per_s": finite(run.timing.get("items_per_s")), "tokens_per_s": finite(run.timing.get("tokens_per_s")),
        "wall_s": finite(run.timing.get("wall_s")), "p50_ms": finite(latency.get("p50")),
        "p90_ms": finite(latency.get("p90")), "p99_ms": finite(latency.get("p99")),
        "peak_memory_mb": finite(run.timing.get("peak_memory_mb")), "file": str(run.path) if run.path else None,
    }
    return [{**shared, "metric": name, "value": value} for name, value in with_derived(run.metrics).items()]


def load_results(paths: str | Path | Iterable[str | Path]) -> pandas.DataFrame:
    """Every result file under ``paths`` (files or folders, searched recursively) as a DataFrame."""
    import pandas as pd

    loaded = load_runs([paths] if isinstance(paths, (str, Path)) else list(paths))
    loaded.print_warnings()
    frame = pd.DataFrame([row for run in loaded.results for row in rows(run)], columns=list(COLUMNS))
    return frame.sort_values(["task", "model", "metric", "created_at"], kind="stable", ignore_index=True)

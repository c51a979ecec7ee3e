"""Plain-text tables of results (metrics x100, as papers print them; CIDEr 1.335 -> 133.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from mmbench.results import RunResult


def fmt_metric(value: Any) -> str:
    return f"{100 * value:.2f}" if isinstance(value, (int, float)) else "-"


def fmt_number(value: Any, digits: int = 1) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) else "-"


#: The items/s and latency cells of a run that computed nothing (every prediction from the store).
FROM_STORE = "from the store"


def results_table(results: Iterable[RunResult], tablefmt: str = "github") -> str:
    """One row per (task, model): every metric x100, items/s, p50 latency per batch, peak memory.
    A partial run's task reads ``vqav2_val [partial 50 / 214354]``; a run served entirely from the
    prediction store has no throughput: its items/s and latency read ``from the store``."""
    from tabulate import tabulate

    from mmbench.results import run_coverage, served_from_store

    rows = []
    for r in results:
        metrics = ", ".join(f"{k} {fmt_metric(v)}" for k, v in r.metrics.items())
        latency = (r.timing.get("latency_ms") or {}).get("p50")
        coverage = run_coverage(r)
        task = r.task.get("name") if coverage.complete else f"{r.task.get('name')} [partial {coverage.label}]"
        speed = [FROM_STORE] * 2 if served_from_store(r) else [fmt_number(r.timing.get("items_per_s")), fmt_number(latency)]
        rows.append([task, r.model.get("spec"), metrics or "(no metrics: " + "; ".join(r.metric_notes.values()) + ")",
                     *speed, fmt_number(r.timing.get("peak_memory_mb"), 0)])
    headers = ["task", "model", "metrics (x100)", "items/s", "p50 ms/batch", "peak MiB"]
    return str(tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True))


def notes_lines(results: Iterable[RunResult]) -> list[str]:
    """One ``note: TASK: ...`` line per metric note (for stderr); a note that names its metric is shown as is."""
    lines = []
    for r in results:
        for name, note in r.metric_notes.items():
            text = note if note.startswith(f"{name} ") else f"{name}: {note}"
            lines.append(f"note: {r.task.get('name')}: {text}")
    return lines

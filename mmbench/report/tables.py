"""Leaderboard as Markdown (README-ready), CSV and JSON.

Markdown and the HTML page print quality metrics x100; CSV and JSON keep the results-file scale
(0-1, CIDEr native). Strings from result files are escaped for each format: Markdown gets HTML
entities and escaped pipes, CSV cells that a spreadsheet would run as formulas get a leading
apostrophe.
"""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

from mmbench.report.columns import count, number, ordered_metric_names, points
from mmbench.data.completeness import COMPLETENESS_NOTE
from mmbench.report.leaderboard import Cell, Leaderboard, ModelRow, RunView, TaskColumn
from mmbench.report.reference import ReportedResult
from mmbench.results import RunCoverage

PARTIAL_TITLE = "Partial runs (not the full benchmark; not in the table above)"
PARTIAL_NOTE = ("Runs that scored fewer samples than the benchmark defines (--limit, an incomplete download, skipped "
                "images). {command} shows them in the table, marked.")  # {command}: the option, as code in each format
INCLUDE_PARTIAL = "mmbench leaderboard --include-partial"
SCALE_NOTE = ("Quality metrics x100 (CIDEr x100 as papers print it), from the newest run; items/s and p50 latency per batch: "
              "the median over the model's runs of the task (the run count beside it when more than one).")


EXTRACTION_FAILED = "extraction_failed"


def md_text(value: Any) -> str:
    """A string safe inside a Markdown table cell: HTML-escaped, pipes escaped, one line."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    return text.replace("|", "\\|").replace("`", "&#96;")


def _md_table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """A pipe table; the first ``text_columns`` columns align left, the rest (numbers) right."""
    rule = "|" + "|".join(":---" if i < text_columns else "---:" for i in range(len(header))) + "|"
    lines = ["| " + " | ".join(header) + " |", rule]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _main_header(column: TaskColumn, lb: Leaderboard) -> str:
    names = {c.main_metric for row in lb.rows if (c := row.cells.get(column.key)) and c.main_metric}
    metric = names.pop() if len(names) == 1 else "main"
    return f"{md_text(column.label)} {md_text(metric)}"


def median_note(cell: Cell) -> str:
    """`` (median of 3)`` beside a throughput taken over several runs."""
    return f" (median of {cell.timed_runs})" if cell.timed_runs > 1 else ""


def to_markdown(lb: Leaderboard) -> str:
    """The leaderboard, then published reference rows, then the history of rerun models."""
    header = ["Model", "Params", "Device"]
    for column in lb.columns:
        header += [_main_header(column, lb), "items/s", "p50 ms"]
    body = []
    for row in lb.rows:
        line = [md_text(row.label), count(row.num_parameters), md_text(", ".join(row.devices)) or "–"]
        for column in lb.columns:
            cell = row.cells.get(column.key)
            runs = f" ({len(cell.history)} runs)" if cell and len(cell.history) > 1 else ""
            line += [points(cell.main_value) + runs + partial_mark(cell.coverage) + extraction_mark(cell.metrics),
                     number(cell.items_per_s) + median_note(cell),
                     number(cell.p50_ms)] if cell else ["–"] * 3
        body.append(line)
    empty = "_No complete runs; partial runs are listed below._" if lb.partial else "_No result files found._"
    parts = ["## Leaderboard (measured)", "", _md_table(header, body) if body else empty, "", SCALE_NOTE]
    if lb.partial:
        parts += ["", f"## {PARTIAL_TITLE}", "", PARTIAL_NOTE.format(command=f"`{INCLUDE_PARTIAL}`"), "",
                  partial_markdown(lb.partial)]
    if lb.reported:
        parts += ["", "## Reported (published numbers, not measured here)", "", reported_markdown(lb.reported)]
    history = history_markdown(lb)
    if history:
        parts += ["", "## History (models run more than once; newest first)", "", history]
    if lb.warnings:
        parts += ["", "Skipped: " + "; ".join(md_text(w) for w in lb.warnings)]
    return "\n".join(parts) + "\n"


def extraction_mark(metrics: dict[str, float]) -> str:
    """`` (extraction_failed 2.22)`` after a multiple-choice value: the share of answers no rule
    could read (x100), shown wherever the run reports it (mmbench.tasks.multiple_choice)."""
    value = metrics.get(EXTRACTION_FAILED)
    return "" if value is None else f" ({EXTRACTION_FAILED} {points(value)})"


def partial_mark(coverage: RunCoverage) -> str:
    """`` (partial 50 / 214354)`` after a partial run's value; nothing for a complete one."""
    return "" if coverage.complete else f" (partial {coverage.label})"


def partial_reason(run: RunView) -> str:
    return str(run.metric_notes.get(COMPLETENESS_NOTE) or "partial (judged from the file: --limit, skips or sample count)")


def partial_markdown(runs: list[RunView]) -> str:
    rows = [[md_text(run.spec), md_text(run.task_name), run.coverage.label,
             f"{md_text(run.main_metric or '')} {points(run.main_value)}", md_text(partial_reason(run)), md_text(run.run_id)]
            for run in runs]
    return _md_table(["Model", "Task", "Samples scored", "Main metric", "Why partial", "Run id"], rows, text_columns=6)


def reported_markdown(reported: list[ReportedResult]) -> str:
    rows = [[md_text(r.model), md_text(r.benchmark),
             ", ".join(f"{md_text(name)} {points(v)}" for name, v in r.metrics.items()), md_text(r.source), "reported"]
            for r in reported]
    return _md_table(["Model", "Benchmark", "Metrics (x100)", "Source", "Status"], rows, text_columns=5)


def history_markdown(lb: Leaderboard) -> str:
    rows = []
    for row in lb.rows:
        for column in lb.columns:
            cell = row.cells.get(column.key)
            if cell is None or len(cell.history) < 2:
                continue
            metric = cell.main_metric or ""
            for run in cell.history:
                value = run.metrics.get(metric) if metric else None
                if value is None and metric:
                    value = run.main_value
                rows.append([md_text(row.label), md_text(column.label), md_text(run.created_at),
                             f"{md_text(metric)} {points(value)}{partial_mark(run.coverage)}",
                             number(run.items_per_s), md_text(run.run_id)])
    return _md_table(["Model", "Task", "Run (UTC)", "Main metric", "items/s", "Run id"], rows, text_columns=4) if rows else ""


def csv_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (OWASP CSV injection advice)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(lb: Leaderboard) -> str:
    """Long format: one line per (source, model, task, metric); values on the results-file scale."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "model", "dtype", "task", "task_type", "metric", "value", "is_main",
                     "items_per_s", "p50_ms", "num_parameters", "device", "run_id", "created_at", "runs",
                     "complete", "samples_scored", "samples_total"])
    for row in lb.rows:
        for column in lb.columns:
            cell = row.cells.get(column.key)
            if cell is None:
                continue
            metrics = cell.metrics
            coverage = cell.coverage
            for name in ordered_metric_names(column.task_type, metrics):
                writer.writerow([csv_text(x) for x in (
                    "measured", row.label, row.dtype, column.label, column.task_type, name, metrics.get(name),
                    int(name == cell.main_metric), cell.items_per_s, cell.p50_ms, row.num_parameters,
                    ", ".join(row.devices), cell.latest.run_id, cell.latest.created_at, len(cell.history),
                    int(coverage.complete), coverage.scored, coverage.total)])
    for run in lb.partial:  # kept out of the table: source "partial"
        for name in ordered_metric_names(run.task_type, run.metrics):
            writer.writerow([csv_text(x) for x in (
                "partial", run.spec, run.dtype, run.task_name, run.task_type, name, run.metrics.get(name),
                int(name == run.main_metric), run.items_per_s, run.p50_ms, run.num_parameters, run.device, run.run_id,
                run.created_at, 1, 0, run.coverage.scored, run.coverage.total)])
    for r in lb.reported:
        for name, value in r.metrics.items():
            writer.writerow([csv_text(x) for x in ("reported", r.model, "", r.task, r.task_type, name, value, "",
                                                   "", "", "", "", "", "", "", "", "", "")])
    return out.getvalue()


def _run_summary(run: RunView) -> dict[str, Any]:
    return {"run_id": run.run_id, "created_at": run.created_at, "schema_version": run.schema_version,
            "main_value": run.main_value, "items_per_s": run.items_per_s, "p50_ms": run.p50_ms,
            "file": str(run.path) if run.path else None}


def _coverage_json(coverage: RunCoverage) -> dict[str, Any]:
    return {"complete": coverage.complete, "coverage": {"scored": coverage.scored, "total": coverage.total}}


def _cell_json(cell: Cell) -> dict[str, Any]:
    run = cell.latest
    return {"main_metric": cell.main_metric, "main_value": cell.main_value, **_coverage_json(cell.coverage),
            "metrics": cell.metrics,
            "metric_notes": run.metric_notes, "items_per_s": cell.items_per_s, "p50_ms": cell.p50_ms,
            "timing": run.timing, "task": run.task, "model": run.model, "config": run.config, "env": run.env,
            "errors": run.errors, "run_id": run.run_id, "created_at": run.created_at,
            "history": [_run_summary(r) for r in cell.history]}


def _partial_json(run: RunView) -> dict[str, Any]:
    return {"source": "partial", "model": run.spec, "task": run.task_name, **_coverage_json(run.coverage),
            "reason": partial_reason(run), "main_metric": run.main_metric, "main_value": run.main_value,
            "metrics": run.metrics, "metric_notes": run.metric_notes, "items_per_s": run.items_per_s,
            "task_record": run.task, "model_record": run.model, "config": run.config, **_run_summary(run)}


def _row_json(row: ModelRow, columns: list[TaskColumn]) -> dict[str, Any]:
    return {"source": "measured", "model": row.label, "spec": row.spec, "dtype": row.dtype,
            "num_parameters": row.num_parameters, "devices": row.devices,
            "tasks": {c.label: _cell_json(row.cells[c.key]) for c in columns if c.key in row.cells}}


def to_dict(lb: Leaderboard) -> dict[str, Any]:
    return {
        "format": "mmbench-leaderboard/1",
        "scale": "0-1 (CIDEr native); tables print x100",
        "tasks": [{"label": c.label, "name": c.name, "type": c.task_type, "version": c.version,
                   "data_fingerprint": c.fingerprint} for c in lb.columns],
        "rows": [_row_json(row, lb.columns) for row in lb.rows],
        "partial": [_partial_json(r) for r in lb.partial],
        "reported": [{"source": "reported", "model": r.model, "task": r.task, "task_type": r.task_type,
                      "benchmark": r.benchmark, "metrics": r.metrics, "reference": r.source} for r in lb.reported],
        "warnings": lb.warnings,
    }


def to_json(lb: Leaderboard) -> str:
    return json.dumps(to_dict(lb), indent=2, ensure_ascii=False, default=str) + "\n"

"""The leaderboard as one self-contained HTML page: no network resources, sortable, filterable.

Every string taken from result files goes through :func:`e` (``html.escape`` with quotes), so a
model named ``<script>alert(1)</script>`` is shown as text. The page's only script is the
packaged ``leaderboard.js``, allowed by a Content-Security-Policy hash: an injected script
would not run even if escaping were missed. Reported (published) numbers get their own table.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from mmbench.report.columns import count, number, ordered_metric_names, points
from mmbench.report.leaderboard import Cell, Leaderboard, ModelRow, TaskColumn
from mmbench.report.svg import Point, scatter_svg
from mmbench.results import RunCoverage
from mmbench.report.tables import INCLUDE_PARTIAL, PARTIAL_NOTE, PARTIAL_TITLE, SCALE_NOTE, extraction_mark, median_note, partial_reason


def e(value: Any) -> str:
    """HTML-escape any value (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def _asset(name: str) -> str:
    return resources.files("mmbench.report").joinpath(name).read_text(encoding="utf-8")


def _num_attr(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _header(lb: Leaderboard) -> str:
    top = ['<th rowspan="2" data-col="0" data-type="text"><button>Model</button></th>',
           '<th rowspan="2" data-col="1" data-type="number"><button>Params</button></th>',
           '<th rowspan="2" data-col="2" data-type="text" class="text"><button>Device</button></th>']
    sub = []
    col = 3
    for column in lb.columns:
        top.append(f'<th colspan="3">{e(column.label)}</th>')
        metric = _main_metric_label(column, lb)
        for name in (metric, "items/s", "p50 ms"):
            sub.append(f'<th data-col="{col}" data-type="number"><button>{e(name)}</button></th>')
            col += 1
    return f"<thead><tr>{''.join(top)}</tr><tr>{''.join(sub)}</tr></thead>"


def _main_metric_label(column: TaskColumn, lb: Leaderboard) -> str:
    names = {c.main_metric for row in lb.rows if (c := row.cells.get(column.key)) and c.main_metric}
    return names.pop() if len(names) == 1 else "main metric"


def _row(index: int, row: ModelRow, lb: Leaderboard) -> str:
    search = " ".join([row.spec, row.dtype, *row.devices])
    cells = [f'<td class="text" data-value="{e(row.label)}"><a class="detail-link" href="#detail-{index}">{e(row.label)}</a></td>',
             f'<td data-value="{_num_attr(row.num_parameters)}">{e(count(row.num_parameters))}</td>',
             f'<td class="text">{e(", ".join(row.devices) or "–")}</td>']
    for column in lb.columns:
        cell = row.cells.get(column.key)
        if cell is None:
            cells += ['<td data-value="">–</td>'] * 3
            continue
        runs = f' <span class="note">({len(cell.history)} runs)</span>' if len(cell.history) > 1 else ""
        cells += [f'<td data-value="{_num_attr(cell.main_value)}">{e(points(cell.main_value))}{runs}{_partial_badge(cell.coverage)}{e(extraction_mark(cell.metrics))}</td>',
                  f'<td data-value="{_num_attr(cell.items_per_s)}">{e(number(cell.items_per_s))}{_median_note(cell)}</td>',
                  f'<td data-value="{_num_attr(cell.p50_ms)}">{e(number(cell.p50_ms))}</td>']
    return f'<tr data-search="{e(search)}">{"".join(cells)}</tr>'


def _partial_badge(coverage: RunCoverage) -> str:
    return "" if coverage.complete else f' <span class="badge partial">partial {e(coverage.label)}</span>'


def _partial(lb: Leaderboard) -> str:
    """The partial runs kept out of the table, with their coverage."""
    if not lb.partial:
        return ""
    rows = "".join(
        f'<tr><td class="text">{e(r.spec)}</td><td class="text">{e(r.task_name)}</td>'
        f'<td>{e(r.coverage.label)}{_partial_badge(r.coverage)}</td><td>{e(r.main_metric or "")} {e(points(r.main_value))}</td>'
        f'<td class="text">{e(partial_reason(r))}</td><td class="text">{e(r.run_id)}</td></tr>'
        for r in lb.partial)
    return (f'<h2>{e(PARTIAL_TITLE)}</h2><p class="note">{e(PARTIAL_NOTE).format(command=f"<code>{e(INCLUDE_PARTIAL)}</code>")}</p><table id="partial"><thead><tr>'
            '<th class="text">Model</th><th class="text">Task</th><th>Samples scored</th><th>Main metric (x100)</th>'
            f'<th class="text">Why partial</th><th class="text">Run id</th></tr></thead><tbody>{rows}</tbody></table>')


def _median_note(cell: Cell) -> str:
    note = median_note(cell)
    return f' <span class="note">{e(note.strip())}</span>' if note else ""


def _reported(lb: Leaderboard) -> str:
    if not lb.reported:
        return ""
    rows = "".join(
        f'<tr><td class="text">{e(r.model)} <span class="badge">reported</span></td><td class="text">{e(r.benchmark)}</td>'
        f'<td class="text">{e(", ".join(f"{k} {points(v)}" for k, v in r.metrics.items()))}</td><td class="text">{e(r.source)}</td></tr>'
        for r in lb.reported)
    return ('<h2>Reported results <span class="badge">reported</span></h2><p class="note">Published numbers, '
            'not measured by mmbench; not part of the table, plots or Pareto fronts above.</p>'
            '<table id="reported"><thead><tr><th>Model</th><th class="text">Benchmark</th><th class="text">Metrics (x100)</th>'
            f'<th class="text">Source</th></tr></thead><tbody>{rows}</tbody></table>')


def _plots(lb: Leaderboard) -> str:
    figures = []
    for column in lb.columns:
        pts = [Point(row.label, cell.items_per_s, cell.main_value) for row in lb.rows
               if (cell := row.cells.get(column.key)) and cell.items_per_s and cell.main_value is not None]
        if not pts:
            continue
        metric = _main_metric_label(column, lb)
        figures.append(f"<figure>{scatter_svg(pts, f'{column.label}: {metric} vs items/s', metric)}"
                       f"<figcaption>{e(column.label)}: {e(metric)} vs throughput; red: Pareto front</figcaption></figure>")
    if not figures:
        return ""
    return f'<h2>Quality vs throughput</h2><div class="plots">{"".join(figures)}</div>'


def _kv_table(data: dict[str, Any], cls: str = "") -> str:
    rows = "".join(f'<tr><td class="text">{e(k)}</td><td class="text">{e(_plain(v))}</td></tr>' for k, v in data.items())
    return f'<table class="{cls}"><tbody>{rows}</tbody></table>' if rows else '<p class="note">none recorded</p>'


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _cell_detail(column: TaskColumn, cell: Cell) -> str:
    run = cell.latest
    notes = run.metric_notes or {}
    metrics = cell.metrics
    metric_rows = "".join(
        f'<tr><td class="text">{e(name)}{" (main)" if name == cell.main_metric else ""}</td>'
        f'<td>{e(points(metrics.get(name), 3))}</td><td class="text">{e(notes.get(name, ""))}</td></tr>'
        for name in ordered_metric_names(column.task_type, metrics))
    metric_rows += "".join(f'<tr><td class="text">{e(name)}</td><td>–</td><td class="text">{e(note)}</td></tr>'
                           for name, note in notes.items() if name not in metrics)
    history = "".join(
        f'<tr><td class="text">{e(r.created_at)}</td><td>{e(points(r.main_value))}</td>'
        f'<td>{e(number(r.items_per_s))}</td><td class="text">{e(r.run_id)}</td>'
        f'<td class="text">{e(r.path.name if r.path else "")}</td></tr>' for r in cell.history)
    skipped = (run.errors or {}).get("skipped") or []
    return (f'<h3>{e(column.label)} <span class="note">({e(column.task_type)}, version {e(column.version)}, '
            f'data {e(column.fingerprint)})</span></h3>'
            f'<table><thead><tr><th>Metric</th><th>x100</th><th class="text">Note</th></tr></thead><tbody>{metric_rows}</tbody></table>'
            f'<p>Skipped samples: {len(skipped) if isinstance(skipped, list) else e(skipped)}</p>'
            f'<h4>Task</h4>{_kv_table(run.task)}<h4>Model</h4>{_kv_table(run.model)}'
            f'<h4>Timing</h4>{_kv_table(run.timing)}<h4>Configuration</h4><pre>{e(json.dumps(run.config, indent=2, ensure_ascii=False, default=str))}</pre>'
            f'<h4>Environment</h4>{_kv_table(run.env)}'
            f'<h4>History ({len(cell.history)} runs, newest first)</h4><table><thead><tr><th>Run (UTC)</th><th>main x100</th>'
            f'<th>items/s</th><th class="text">Run id</th><th class="text">File</th></tr></thead><tbody>{history}</tbody></table>')


def _details(lb: Leaderboard) -> str:
    blocks = []
    for index, row in enumerate(lb.rows):
        inner = "".join(_cell_detail(c, row.cells[c.key]) for c in lb.columns if c.key in row.cells)
        blocks.append(f'<details id="detail-{index}"><summary>{e(row.label)}</summary>{inner}</details>')
    return f'<h2>Per-model detail</h2>{"".join(blocks)}' if blocks else ""


def to_html(lb: Leaderboard, title: str = "mmbench leaderboard") -> str:
    """The full page as a string (UTF-8 text, no external references)."""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = "".join(_row(i, row, lb) for i, row in enumerate(lb.rows))
    warnings = "".join(f"<li>{e(w)}</li>" for w in lb.warnings)
    body = (f"<h1>{e(title)}</h1><p class=\"note\">Generated {e(generated)}. {e(SCALE_NOTE)} Click a column to sort; "
            "click a model for its metrics, configuration, environment and history.</p>"
            '<p><label for="filter">Filter models:</label> <input id="filter" type="search" autocomplete="off" '
            f'placeholder="name, dtype or device"> <span id="shown-count">{len(lb.rows)}</span> of {len(lb.rows)} shown</p>'
            f'<div class="scroll-box"><table id="leaderboard">{_header(lb)}<tbody>{rows}</tbody></table></div>'
            + _partial(lb) + _plots(lb) + _reported(lb) + _details(lb)
            + (f'<h2>Skipped files</h2><ul id="warnings">{warnings}</ul>' if warnings else ""))
    script = _asset("leaderboard.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    page = _asset("template.html")
    for marker, value in (("__SCRIPT_HASH__", f"'sha256-{digest}'"), ("__TITLE__", e(title)),
                          ("__STYLE__", _asset("leaderboard.css")), ("__SCRIPT__", script)):
        page = page.replace(marker, value, 1)
    return page.replace("__BODY__", body, 1)

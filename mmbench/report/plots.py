"""PNG plots with matplotlib (Agg backend, imported only here): quality vs throughput with the
Pareto front, and per-batch latency per model.

Result files record latency percentiles per batch (p50, p90, p99, mean), not every batch, so the
latency plot draws each run's distribution as those percentiles: a bar from p50 to p99 with
markers at p50, p90, p99 and the mean.
"""

from __future__ import annotations

from pathlib import Path

from mmbench.report.columns import finite
from mmbench.report.leaderboard import Leaderboard
from mmbench.report.pareto import pareto_front


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _text(label: str) -> str:
    """A label matplotlib prints literally: ``$`` would otherwise start mathtext."""
    return label[:40].replace("$", r"\$")


def _log_x_ticks(ax, xs: list[float]) -> None:  # type: ignore[no-untyped-def]
    """Log x axis with round plain-number ticks inside the data's range (the HTML plot's ticks)."""
    import math

    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        NullFormatter,
        NullLocator,
    )

    ax.set_xscale("log")
    lo, hi = min(xs), max(xs)
    if hi / lo < 1.01:
        lo, hi = lo / 1.5, hi * 1.5
    from mmbench.report.svg import log_ticks, tick_text

    ax.set_xlim(lo / 1.25, hi * 1.25)
    ax.xaxis.set_major_locator(FixedLocator(log_ticks(math.log10(lo / 1.25), math.log10(hi * 1.25))))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tick_text(v)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 2)
    return (n + cols - 1) // cols, cols


def plot_quality_vs_throughput(lb: Leaderboard, path: str | Path) -> Path | None:
    """One panel per task column (measured runs only); returns the PNG path, or None with no data."""
    panels = []
    for column in lb.columns:
        pts = [(row.label, cell.items_per_s, cell.main_value, cell.main_metric) for row in lb.rows
               if (cell := row.cells.get(column.key)) and cell.items_per_s and cell.main_value is not None]
        if pts:
            panels.append((column.label, pts))
    if not panels:
        return None
    plt = _pyplot()
    rows, cols = _grid(len(panels))
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.2 * rows), squeeze=False)
    for ax, (label, pts) in zip(axes.flat, panels):
        xs, ys = [p[1] for p in pts], [p[2] * 100 for p in pts]
        front = pareto_front(list(zip(xs, ys)))
        ax.scatter(xs, ys, color="#4477aa", zorder=3)
        ax.scatter([xs[i] for i in front], [ys[i] for i in front], color="#cc3311", zorder=4, label="Pareto front")
        if len(front) > 1:
            ax.plot([xs[i] for i in front], [ys[i] for i in front], "--", color="#cc3311", zorder=2)
        for name, x, y in zip((p[0] for p in pts), xs, ys):
            ax.annotate(_text(name), (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
        _log_x_ticks(ax, xs)
        ax.set_xlabel("items/s (log scale)")
        ax.set_ylabel(f"{pts[0][3]} (x100)")
        ax.set_title(_text(label))
        ax.grid(alpha=0.3)
        _legend_outside(ax)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    return _save(plt, fig, path)


def plot_latency(lb: Leaderboard, path: str | Path) -> Path | None:
    """Per-batch latency (ms) per model, one panel per task column; None when no run has latency."""
    panels = []
    for column in lb.columns:
        bars = []
        for row in lb.rows:
            cell = row.cells.get(column.key)
            latency = cell.latest.timing.get("latency_ms") if cell else None
            if isinstance(latency, dict) and finite(latency.get("p50")) is not None:
                bars.append((row.label, {k: finite(latency.get(k)) for k in ("p50", "p90", "p99", "mean")}))
        if bars:
            panels.append((column.label, bars))
    if not panels:
        return None
    plt = _pyplot()
    rows, cols = _grid(len(panels))
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, (0.35 * max(len(b) for _, b in panels) + 1.8) * rows),
                             squeeze=False)
    for ax, (label, bars) in zip(axes.flat, panels):
        for y, (_, q) in enumerate(bars):
            high = q["p99"] if q["p99"] is not None else q["p50"]
            ax.plot([q["p50"], high], [y, y], color="#bbbbbb", linewidth=6, solid_capstyle="butt", zorder=1)
            for key, marker, color in (("p50", "o", "#4477aa"), ("p90", "s", "#ee7733"), ("p99", "^", "#cc3311"),
                                       ("mean", "x", "#000000")):
                if q[key] is not None:
                    ax.scatter([q[key]], [y], marker=marker, color=color, zorder=3, label=key if y == 0 else None)
        ax.set_yticks(range(len(bars)), [_text(name) for name, _ in bars], fontsize=8)
        ax.set_xlabel("latency per batch (ms)")
        ax.set_title(_text(label))
        ax.grid(axis="x", alpha=0.3)
        _legend_outside(ax)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    return _save(plt, fig, path)


def _legend_outside(ax) -> None:  # type: ignore[no-untyped-def]
    """The legend right of the panel, outside its axes, so it never covers a data point."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)


def _save(plt, fig, path: str | Path) -> Path:  # type: ignore[no-untyped-def]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")  # the image grows to hold the legends outside the panels
    plt.close(fig)
    return path


def write_plots(lb: Leaderboard, directory: str | Path) -> list[Path]:
    """Write ``quality_vs_throughput.png`` and ``latency.png`` (when there is data); return their paths."""
    directory = Path(directory)
    written = [plot_quality_vs_throughput(lb, directory / "quality_vs_throughput.png"),
               plot_latency(lb, directory / "latency.png")]
    return [p for p in written if p is not None]

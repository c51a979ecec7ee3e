"""Inline SVG scatter plot (quality vs throughput) with the Pareto front, for the HTML page.

Pure string building, no network resources; every label is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from mmbench.report.pareto import pareto_front

WIDTH, HEIGHT = 460, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44


@dataclass(frozen=True)
class Point:
    label: str
    items_per_s: float  # x, log scale
    value: float  # y, 0-1 scale (printed x100)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def _span(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def _label(x: float, y: float, text: str) -> str:
    """A point's label, placed left of points in the right half so it stays inside the frame."""
    right_half = x > (LEFT + WIDTH - RIGHT) / 2
    anchor, dx = ("end", -7) if right_half else ("start", 7)
    return f'<text class="label" x="{x + dx:.1f}" y="{y - 6:.1f}" text-anchor="{anchor}">{html.escape(text[:40])}</text>'


def scatter_svg(points: list[Point], title: str, y_label: str) -> str:
    """An ``<svg>`` element: x = log10(items/s), y = metric x100; front points joined by a line."""
    e = lambda s: html.escape(str(s), quote=True)
    usable = [p for p in points if p.items_per_s > 0]
    head = (f'<svg class="scatter" role="img" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}"><title>{e(title)}</title>')
    if not usable:
        return head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no runs with throughput</text></svg>'
    x_lo, x_hi = _span([math.log10(p.items_per_s) for p in usable])
    y_lo, y_hi = _span([p.value * 100 for p in usable])
    sx = lambda v: LEFT + (math.log10(v) - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - RIGHT)
    sy = lambda v: TOP + (1 - (v * 100 - y_lo) / (y_hi - y_lo)) * (HEIGHT - TOP - BOTTOM)
    parts = [head, f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" class="frame"/>']
    for t in _ticks(x_lo, x_hi):
        x = LEFT + (t - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - RIGHT)
        parts.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{10 ** t:.3g}</text>')
    for t in _ticks(y_lo, y_hi):
        y = TOP + (1 - (t - y_lo) / (y_hi - y_lo)) * (HEIGHT - TOP - BOTTOM)
        parts.append(f'<text class="tick" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{t:.3g}</text>')
    parts.append(f'<text class="axis" x="{(WIDTH + LEFT) / 2}" y="{HEIGHT - 8}" text-anchor="middle">items/s (log scale)</text>')
    parts.append(f'<text class="axis" transform="translate(14 {(HEIGHT - BOTTOM) / 2 + TOP}) rotate(-90)" '
                 f'text-anchor="middle">{e(y_label)} (x100)</text>')
    front = pareto_front([(p.items_per_s, p.value) for p in usable])
    if len(front) > 1:
        path = " ".join(f"{sx(usable[i].items_per_s):.1f},{sy(usable[i].value):.1f}" for i in front)
        parts.append(f'<polyline class="pareto" points="{path}"><title>Pareto front</title></polyline>')
    on_front = set(front)
    for i, p in enumerate(usable):
        cls = "point front" if i in on_front else "point"
        tip = f"{p.label}: {p.value * 100:.2f} at {p.items_per_s:.3g} items/s" + (" (Pareto front)" if i in on_front else "")
        parts.append(f'<g class="{cls}"><circle cx="{sx(p.items_per_s):.1f}" cy="{sy(p.value):.1f}" r="5">'
                     f'<title>{e(tip)}</title></circle>'
                     f'{_label(sx(p.items_per_s), sy(p.value), p.label)}</g>')
    parts.append("</svg>")
    return "".join(parts)

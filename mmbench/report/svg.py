"""Inline SVG scatter plot (quality vs throughput) with the Pareto front, for the HTML page.

Pure string building, no network resources; every label is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from mmbench.report.pareto import pareto_front

WIDTH, HEIGHT = 420, 300  # three plots side by side on a 1400 px screen
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44


@dataclass(frozen=True)
class Point:
    label: str
    items_per_s: float  # x, log scale
    value: float  # y, 0-1 scale (printed x100)


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values (multiples of 1, 2 or 5 x 10^k) inside [lo, hi], about ``target`` of them."""
    if hi <= lo:
        return [lo]
    magnitude = 10 ** math.floor(math.log10((hi - lo) / max(1, target)))
    count = lambda step: math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) + 1
    step = next((m * magnitude for m in (1, 2, 5, 10, 20) if count(m * magnitude) <= target + 1), 50 * magnitude)
    first = math.ceil(lo / step - 1e-9)
    ticks = [round(k * step, 12) for k in range(first, math.floor(hi / step + 1e-9) + 1)]
    return ticks or [lo]


def log_ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    """Round values (1, 2, 5 x 10^k; only powers of ten when too many) inside [10^lo, 10^hi]."""
    candidates = [m * 10.0 ** k for k in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in (1, 2, 5)]
    inside = [v for v in candidates if lo - 1e-9 <= math.log10(v) <= hi + 1e-9]
    if len(inside) > most:
        inside = [v for v in inside if math.isclose(10 ** round(math.log10(v)), v)]
    if len(inside) < 2:  # a narrow range: round values at a finer step
        inside = [t for t in nice_ticks(10 ** lo, 10 ** hi) if t > 0]
    return inside


def tick_text(value: float) -> str:
    """``1320`` -> ``1,320``; ``0.5`` -> ``0.5``; ``77.85`` -> ``77.85``; never exponent notation."""
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _span(values: list[float], floor: float | None = None, ceiling: float | None = None) -> tuple[float, float]:
    """The axis range: the data's range plus a margin, kept within [floor, ceiling] when the data is."""
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 if hi - lo >= 1e-12 else (abs(lo) * 0.1 or 1.0)
    lo, hi = lo - pad, hi + pad
    if floor is not None and min(values) >= floor:
        lo = max(lo, floor)
    if ceiling is not None and max(values) <= ceiling:
        hi = min(hi, ceiling)
    return lo, hi


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
    y_lo, y_hi = _span([p.value * 100 for p in usable], floor=0.0, ceiling=100.0)  # no negative scores, no 104 %
    sx = lambda v: LEFT + (math.log10(v) - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - RIGHT)
    sy = lambda v: TOP + (1 - (v * 100 - y_lo) / (y_hi - y_lo)) * (HEIGHT - TOP - BOTTOM)
    parts = [head, f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" class="frame"/>']
    for t in log_ticks(x_lo, x_hi):
        x = sx(t)
        # labels near the frame's ends are anchored inwards so that none is cut off
        anchor = "start" if x < LEFT + 12 else "end" if x > WIDTH - RIGHT - 12 else "middle"
        parts.append(f'<line class="tickmark" x1="{x:.1f}" x2="{x:.1f}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM + 4}"/>'
                     f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 15}" text-anchor="{anchor}">{tick_text(t)}</text>')
    for t in nice_ticks(y_lo, y_hi):
        y = TOP + (1 - (t - y_lo) / (y_hi - y_lo)) * (HEIGHT - TOP - BOTTOM)
        parts.append(f'<line class="tickmark" x1="{LEFT - 4}" x2="{LEFT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick_text(t)}</text>')
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
        tip = f"{p.label}: {p.value * 100:.2f} at {p.items_per_s:,.1f} items/s" + (" (Pareto front)" if i in on_front else "")
        parts.append(f'<g class="{cls}"><circle cx="{sx(p.items_per_s):.1f}" cy="{sy(p.value):.1f}" r="5">'
                     f'<title>{e(tip)}</title></circle>'
                     f'{_label(sx(p.items_per_s), sy(p.value), p.label)}</g>')
    parts.append("</svg>")
    return "".join(parts)

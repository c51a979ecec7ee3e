"""Rasterising shape scenes with numpy (4x4 supersampled coverage, so edges are anti-aliased).

Only additions, multiplications and comparisons on floats: the pixels are the same on every
platform, which lets the suite be verified by a checksum of its pixels. Units are pixels; y grows
downwards; shapes are given in unit coordinates (half-extent 1) and scaled by their radius.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from mmbench.data.shapes_spec import COLOURS, POSITIONS, SIZES, Attributes

IMAGE_SIZE = 64
SUPERSAMPLE = 4
SIZE_JITTER = 0.08
COLOUR_JITTER = 15
MIN_GAP = 3.0  # pixels between the bounding boxes of two shapes

# Five-pointed star, outer radius 1, inner 0.45, centred vertically (literal values, no trig at runtime).
STAR = np.array([(0.0, -0.905), (0.2645, -0.2691), (0.9511, -0.214), (0.428, 0.2341), (0.5878, 0.904),
                 (0.0, 0.545), (-0.5878, 0.904), (-0.428, 0.2341), (-0.9511, -0.214), (-0.2645, -0.2691)])
TRIANGLE = np.array([(0.0, -0.95), (1.0, 0.8), (-1.0, 0.8)])


@dataclass(frozen=True)
class Layout:
    """Where each shape goes: centres (x, y) and radii in pixels, fill and background colours."""

    centres: tuple[tuple[float, float], ...]
    radius: float
    fill: tuple[int, int, int]
    background: tuple[int, int, int]


def plan_layout(a: Attributes, rng: random.Random) -> Layout:
    """Random placement of ``a.count`` shapes inside the ``a.position`` third, their bounding boxes at
    least ``MIN_GAP`` pixels apart (so shapes never touch and can be counted)."""
    radius = SIZES[a.size] * (1 + SIZE_JITTER * (2 * rng.random() - 1))
    third = IMAGE_SIZE / 3
    x0 = POSITIONS.index(a.position) * third
    centres: list[tuple[float, float]] = []
    for _ in range(200):
        centres = []
        for _ in range(a.count):
            x = x0 + radius + 0.5 + rng.random() * max(third - 2 * radius - 1, 0.0)
            y = radius + 1 + rng.random() * (IMAGE_SIZE - 2 * radius - 2)
            centres.append((x, y))
        if all(max(abs(p[0] - q[0]), abs(p[1] - q[1])) >= 2 * radius + MIN_GAP
               for i, p in enumerate(centres) for q in centres[:i]):
            break
    else:  # crowded (three large shapes): spread them evenly from top to bottom
        span = IMAGE_SIZE - 2 * radius - 2
        centres = [(x0 + third / 2, radius + 1 + span * i / max(a.count - 1, 1)) for i in range(a.count)]
    fill = tuple(int(np.clip(v + rng.randint(-COLOUR_JITTER, COLOUR_JITTER), 0, 255)) for v in COLOURS[a.colour])
    grey = 238 + rng.randint(-8, 8)
    background = (grey + rng.randint(-4, 4), grey + rng.randint(-4, 4), grey + rng.randint(-4, 4))
    return Layout(tuple(centres), radius, fill, background)  # type: ignore[arg-type]


def render(kind: str, layout: Layout) -> np.ndarray:
    """(H, W, 3) uint8 image of the scene."""
    side = IMAGE_SIZE * SUPERSAMPLE
    inside = np.zeros((side, side), dtype=bool)  # sub-pixel grid (H*S, W*S)
    for cx, cy in layout.centres:
        rows, cols = _window(cy, layout.radius), _window(cx, layout.radius)
        ys = (np.arange(rows.start, rows.stop) + 0.5) / SUPERSAMPLE
        xs = (np.arange(cols.start, cols.stop) + 0.5) / SUPERSAMPLE
        v, u = np.meshgrid((ys - cy) / layout.radius, (xs - cx) / layout.radius, indexing="ij")
        inside[rows, cols] |= _MASKS[kind](u, v)
    coverage = inside.reshape(IMAGE_SIZE, SUPERSAMPLE, IMAGE_SIZE, SUPERSAMPLE).sum(axis=(1, 3)) / SUPERSAMPLE**2
    coverage = coverage[..., None]  # (H, W, 1)
    pixels = np.array(layout.background, float) * (1 - coverage) + np.array(layout.fill, float) * coverage
    return np.rint(pixels).astype(np.uint8)


def _window(centre: float, radius: float) -> slice:
    """Sub-pixel index range covering [centre - radius - 1, centre + radius + 1] pixels, clipped to the image."""
    lo = max(int((centre - radius - 1) * SUPERSAMPLE), 0)
    hi = min(int((centre + radius + 1) * SUPERSAMPLE) + 1, IMAGE_SIZE * SUPERSAMPLE)
    return slice(lo, hi)


def _in_polygon(u: np.ndarray, v: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Even-odd rule: count polygon edges crossed by a ray towards +u."""
    inside = np.zeros(u.shape, dtype=bool)
    for (ua, va), (ub, vb) in zip(vertices, np.roll(vertices, -1, axis=0)):
        straddles = (va > v) != (vb > v)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing_u = ua + (v - va) * (ub - ua) / (vb - va)
        inside ^= straddles & (u < crossing_u)
    return inside


_MASKS = {
    "circle": lambda u, v: u * u + v * v <= 1.0,
    "square": lambda u, v: (np.abs(u) <= 0.85) & (np.abs(v) <= 0.85),
    "triangle": lambda u, v: _in_polygon(u, v, TRIANGLE),
    "star": lambda u, v: _in_polygon(u, v, STAR),
    "cross": lambda u, v: ((np.abs(u) <= 0.32) & (np.abs(v) <= 1.0)) | ((np.abs(v) <= 0.32) & (np.abs(u) <= 1.0)),
}

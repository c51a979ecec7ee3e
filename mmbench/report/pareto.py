"""Pareto front of (throughput, quality) points, both to be maximised."""

from __future__ import annotations

from collections.abc import Sequence


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point dominates, ordered by increasing x.

    A point dominates another when it is at least as good on both axes and better on one.
    Equal points are all kept.
    """
    order = sorted(range(len(points)), key=lambda i: (-points[i][0], -points[i][1]))
    front: list[int] = []
    best_y = float("-inf")
    best_x_at_best_y = float("nan")
    for i in order:
        x, y = points[i]
        if y > best_y or (y == best_y and x == best_x_at_best_y):
            front.append(i)
            if y > best_y:
                best_y, best_x_at_best_y = y, x
    return sorted(front, key=lambda i: (points[i][0], points[i][1]))

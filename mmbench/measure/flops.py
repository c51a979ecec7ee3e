"""FLOPs of a model call, counted by ``torch.utils.flop_counter.FlopCounterMode``.

The counter sees every matmul, convolution and attention the call dispatches (a multiply-add is
2 FLOPs; element-wise work is not counted, as in the usual MFU convention). The runner counts
the first batch of each stage once, on a separate untimed call before that batch's timed one
(:class:`mmbench.engine.execution.StageExecutor`), and divides by its items; for generation that is the FLOPs of the first batch's prompts and
generated tokens, so later batches of other lengths differ somewhat.
"""

from __future__ import annotations

import contextlib
from typing import Iterator


class FlopCount:
    total: int | None = None


class _GlobalOnly:
    """Stands in for ``FlopCounterMode``'s module tracker: every FLOP is attributed to "Global"."""

    parents = frozenset({"Global"})

    def __enter__(self) -> "_GlobalOnly":
        return self

    def __exit__(self, *args: object) -> None:
        return None


@contextlib.contextmanager
def counting_flops() -> Iterator[FlopCount]:
    """``with counting_flops() as count: model(...)``; then ``count.total`` holds the FLOPs."""
    from torch.utils.flop_counter import FlopCounterMode

    count = FlopCount()
    mode = FlopCounterMode(display=False)
    # Only the global total is used. The counter's per-module tracker registers autograd hooks
    # on module inputs, which fails for a parameter viewed under inference_mode (BLIP-2's query
    # tokens); a tracker that only ever reports "Global" counts the same total without hooks.
    mode.mod_tracker = _GlobalOnly()
    with mode:
        yield count
    count.total = int(mode.get_total_flops())


def achieved_tflops(flops_per_item: float | None, items: int, seconds: float) -> float | None:
    """TFLOP/s over ``seconds`` of model time for ``items`` items."""
    if not flops_per_item or seconds <= 0:
        return None
    return flops_per_item * items / seconds / 1e12


def utilisation(achieved: float | None, peak: float | None) -> float | None:
    """Model FLOP utilisation, 0-1; None without a known peak."""
    if achieved is None or not peak:
        return None
    return achieved / peak


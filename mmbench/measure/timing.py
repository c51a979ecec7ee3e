"""Timing: synchronised per-batch timers, latency percentiles, throughput and peak memory.

Latencies are per model call (one batch), measured after the device has finished the work
(``torch.cuda.synchronize`` on CUDA); the first ``warmup`` batches of each stage are excluded
from the percentiles. Throughput counts every item over the wall time of the stage loops,
data loading included, so it is what a user waits for.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from mmbench.measure.devices import device_label


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), without numpy."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


# ---- time to first token and time per output token, marked by the decoders ------------------------

class TokenClock:
    """When one model call produced each decoding step, without stalling the device.

    Synchronisation policy: a decoding step never waits for the device. On CUDA each mark records
    a CUDA event on the device's current stream (the GPU timestamps it when it gets there); only
    the first and the latest are kept, and they are read once the call is over, after the runner's
    one synchronisation at the end of the call. TTFT is the call's start event to the first mark,
    TPOT the first mark to the last over the steps between them. Elsewhere (CPU, MPS) a mark reads
    the host clock (``marks``); on MPS that is when the step was queued, not finished.
    """

    def __init__(self, device: str) -> None:
        self.device = device
        self.start = time.perf_counter()
        self.marks: list[float] = []  # host clock, off CUDA
        self.steps = 0
        self._events: list[Any] | None = None  # CUDA: [start, first mark, latest mark]
        if device.startswith("cuda"):
            self._events = [self._event()]

    def _event(self) -> Any:
        import torch

        event = torch.cuda.Event(enable_timing=True)
        event.record(torch.cuda.current_stream(torch.device(self.device)))
        return event

    def mark(self) -> None:
        self.steps += 1
        if self._events is None:
            self.marks.append(time.perf_counter())
        elif len(self._events) < 3:
            self._events.append(self._event())
        else:
            self._events[2] = self._event()

    def _event_s(self, a: int, b: int) -> float:
        assert self._events is not None
        self._events[b].synchronize()  # already done: the runner synchronised at the end of the call
        return float(self._events[a].elapsed_time(self._events[b])) / 1000.0

    @property
    def ttft_s(self) -> float | None:
        """From the call's start (image encoding and prefill included) to the first new token."""
        if self._events is not None:
            return self._event_s(0, 1) if self.steps else None
        return self.marks[0] - self.start if self.marks else None

    @property
    def tpot_s(self) -> float | None:
        """Mean time per output token after the first."""
        if self._events is not None:
            return self._event_s(1, 2) / (self.steps - 1) if self.steps > 1 else None
        return (self.marks[-1] - self.marks[0]) / (len(self.marks) - 1) if len(self.marks) > 1 else None


_clock: TokenClock | None = None


@contextlib.contextmanager
def token_clock(device: str) -> Iterator[TokenClock]:
    """The clock :func:`mark_token` marks during one generative model call."""
    global _clock
    previous, _clock = _clock, TokenClock(device)
    try:
        yield _clock
    finally:
        _clock = previous


def mark_token() -> None:
    """Called by decoders after each decoding step (all rows of the batch got their next token)."""
    if _clock is not None:
        _clock.mark()


def clock_running() -> bool:
    return _clock is not None


MIN_TIMED_BATCHES = 3  # fewer timed batches give no latency percentiles (a p99 of one batch says nothing)


@dataclass
class StageTiming:
    """One stage's loop: where its wall time went, and what the model did.

    ``input_wait_s``: the loop blocked on the DataLoader (image decoding and preprocessing not
    hidden by the worker processes); ``model_s``: model calls, synchronised; ``postprocess_s``:
    host-side work on the outputs (moving them to the CPU, splitting per item, counting tokens).
    """

    name: str
    items: int = 0
    batches: int = 0
    wall_s: float = 0.0
    model_s: float = 0.0
    input_wait_s: float = 0.0
    postprocess_s: float = 0.0
    tokens: int = 0
    flops_per_item: float | None = None
    batch_size: int | None = None
    batch_size_auto: bool = False
    oom_backoffs: list[dict[str, Any]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # after warm-up
    ttft_ms: list[float] = field(default_factory=list)  # generative stages, after warm-up
    tpot_ms: list[float] = field(default_factory=list)

    @property
    def tflops_per_s(self) -> float | None:
        from mmbench.measure.flops import achieved_tflops

        return achieved_tflops(self.flops_per_item, self.items, self.model_s)

    def summary(self, peak_tflops: float | None = None) -> dict[str, Any]:
        from mmbench.measure.flops import utilisation

        return {
            "items": self.items, "batches": self.batches, "batch_size": self.batch_size,
            "batch_size_auto": self.batch_size_auto, "wall_s": self.wall_s, "model_s": self.model_s,
            "input_wait_s": self.input_wait_s, "postprocess_s": self.postprocess_s,
            "items_per_s": self.items / self.wall_s if self.wall_s > 0 and self.items else None,  # nothing computed: no rate
            "tokens": self.tokens or None,
            "flops_per_item": self.flops_per_item,
            "tflops_per_s": self.tflops_per_s,
            "mfu": utilisation(self.tflops_per_s, peak_tflops),
            "latency_ms": latency_summary(self.latencies_ms),
            "ttft_ms": _mean(self.ttft_ms),
            "tpot_ms": _mean(self.tpot_ms),
        }


class BatchTimer:
    """Collects the per-batch times of one stage (``record``) and its wall time (``finish``)."""

    def __init__(self, name: str, warmup: int) -> None:
        self.timing = StageTiming(name)
        self.warmup = warmup
        self._start = time.perf_counter()
        self._untimed_s = 0.0

    def record(self, n_items: int, seconds: float, tokens: int = 0, *, input_wait_s: float = 0.0,
               postprocess_s: float = 0.0, clock: TokenClock | None = None) -> None:
        """One model call of ``n_items`` that took ``seconds`` (synchronised); ``clock``: its
        decoding steps, for generative calls."""
        t = self.timing
        if t.batches >= self.warmup:
            t.latencies_ms.append(seconds * 1000.0)
            if clock is not None and clock.ttft_s is not None:
                t.ttft_ms.append(clock.ttft_s * 1000.0)
                if clock.tpot_s is not None:
                    t.tpot_ms.append(clock.tpot_s * 1000.0)
        t.batches += 1
        t.items += n_items
        t.model_s += seconds
        t.input_wait_s += input_wait_s
        t.postprocess_s += postprocess_s
        t.tokens += tokens

    def record_flops(self, flops: int, n_items: int) -> None:
        """FLOPs counted on one batch of ``n_items`` (the stage's first)."""
        if flops > 0 and n_items > 0:
            self.timing.flops_per_item = flops / n_items

    def untimed(self, seconds: float) -> None:
        """Time the loop spent on work that is not the run (the untimed FLOP-counting call): left
        out of the stage's wall time, hence out of items/s."""
        self._untimed_s += seconds

    def waited(self, seconds: float) -> None:
        """Time the loop spent blocked on the DataLoader for the next batch."""
        self.timing.input_wait_s += seconds

    def finish(self, *, batch_size: int | None = None, auto: bool = False,
               oom_backoffs: list[dict[str, Any]] | None = None) -> StageTiming:
        t = self.timing
        t.wall_s = time.perf_counter() - self._start - self._untimed_s
        t.batch_size, t.batch_size_auto, t.oom_backoffs = batch_size, auto, list(oom_backoffs or [])
        return t


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def latency_summary(latencies_ms: list[float]) -> dict[str, float | None]:
    """p50/p90/p99/mean of per-batch latencies and ``n``, the number of timed batches they come
    from; percentiles are None below :data:`MIN_TIMED_BATCHES`."""
    n = len(latencies_ms)
    if n == 0:
        return {"p50": None, "p90": None, "p99": None, "mean": None, "n": 0}
    mean = sum(latencies_ms) / n
    if n < MIN_TIMED_BATCHES:
        return {"p50": None, "p90": None, "p99": None, "mean": mean, "n": n}
    return {"p50": percentile(latencies_ms, 50), "p90": percentile(latencies_ms, 90), "p99": percentile(latencies_ms, 99),
            "mean": mean, "n": n}


def combine_stages(stages: list[StageTiming], *, device: str, dtype: str, batch_size: int | str, warmup: int,
                   total_wall_s: float, peak_memory_mb: float | None, memory_kind: str,
                   metric_s: float | None = None) -> dict[str, Any]:
    """The ``timing`` section of a result: totals plus one entry per stage.

    ``predict_s`` (the stage loops) splits into ``input_wait_s``, ``model_s``, ``postprocess_s``
    and loop overhead; ``metric_s`` is scoring, outside the loops. ``tflops_per_s`` is over model
    time; ``mfu`` divides it by the card's dense FP16/BF16 peak (None off CUDA, for FP32 runs and
    for cards not in :mod:`mmbench.measure.accelerators`).
    """
    from mmbench.measure.accelerators import peak_tflops
    from mmbench.measure.flops import achieved_tflops, utilisation

    name = device_label(device)
    peak = peak_tflops(device, name, dtype)
    items = sum(s.items for s in stages)
    loop_wall = sum(s.wall_s for s in stages)
    model_s = sum(s.model_s for s in stages)
    tokens = sum(s.tokens for s in stages)
    gen_wall = sum(s.wall_s for s in stages if s.tokens)
    latencies = [x for s in stages for x in s.latencies_ms]
    counted = [s for s in stages if s.flops_per_item]
    flops = sum(s.flops_per_item * s.items for s in counted)  # type: ignore[operator]
    counted_model_s = sum(s.model_s for s in counted)
    tflops = achieved_tflops(flops, 1, counted_model_s) if counted else None
    return {
        "wall_s": total_wall_s,
        "predict_s": loop_wall,
        "input_wait_s": sum(s.input_wait_s for s in stages),
        "model_s": model_s,
        "postprocess_s": sum(s.postprocess_s for s in stages),
        "metric_s": metric_s,
        "items": items,
        "items_per_s": items / loop_wall if loop_wall > 0 and items else None,  # all from the store: no throughput
        "tokens_per_s": tokens / gen_wall if tokens and gen_wall > 0 else None,
        "flops": flops if counted else None,
        "tflops_per_s": tflops,
        "mfu": utilisation(tflops, peak),
        "peak_tflops": peak,
        "latency_ms": latency_summary(latencies),
        "ttft_ms": _mean([x for s in stages for x in s.ttft_ms]),
        "tpot_ms": _mean([x for s in stages for x in s.tpot_ms]),
        "batch_size": batch_size,
        "oom_backoffs": [b for s in stages for b in s.oom_backoffs],
        "warmup_batches": warmup,
        "batches_timed": len(latencies),
        "device": device,
        "device_name": name,
        "dtype": dtype,
        "peak_memory_mb": peak_memory_mb,
        "peak_memory_kind": memory_kind,
        "stages": {s.name: s.summary(peak) for s in stages},
    }


def reset_peak_memory(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(torch.device(device))


def peak_memory(device: str) -> tuple[float, str]:
    """(MiB, kind): CUDA max allocated on GPU, else the process's peak resident set size."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated(torch.device(device)) / 2**20, "cuda_max_allocated"
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 / 2**20 if sys.platform == "darwin" else 1 / 2**10  # bytes on macOS, KiB on Linux
    return rss_kb * scale, "process_peak_rss"

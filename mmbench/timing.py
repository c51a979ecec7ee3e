"""Timing: synchronised per-batch timers, latency percentiles, throughput and peak memory.

Latencies are per model call (one batch), measured after the device has finished the work
(``torch.cuda.synchronize`` on CUDA); the first ``warmup`` batches of each stage are excluded
from the percentiles. Throughput counts every item over the wall time of the stage loops,
data loading included, so it is what a user waits for.
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from mmbench.devices import device_label


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


@dataclass
class StageTiming:
    name: str
    items: int = 0
    batches: int = 0
    wall_s: float = 0.0
    model_s: float = 0.0
    tokens: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # after warm-up

    def summary(self) -> dict[str, Any]:
        return {
            "items": self.items, "batches": self.batches, "wall_s": self.wall_s, "model_s": self.model_s,
            "items_per_s": self.items / self.wall_s if self.wall_s > 0 else None,
            "tokens": self.tokens or None,
            "latency_ms": latency_summary(self.latencies_ms),
        }


class BatchTimer:
    """Times model calls of one stage: ``with timer.batch(n_items): outputs = model(...)``."""

    def __init__(self, name: str, device: str, warmup: int) -> None:
        self.timing = StageTiming(name)
        self.device = device
        self.warmup = warmup
        self._start = time.perf_counter()

    def record(self, n_items: int, seconds: float, tokens: int = 0) -> None:
        t = self.timing
        if t.batches >= self.warmup:
            t.latencies_ms.append(seconds * 1000.0)
        t.batches += 1
        t.items += n_items
        t.model_s += seconds
        t.tokens += tokens

    def finish(self) -> StageTiming:
        self.timing.wall_s = time.perf_counter() - self._start
        return self.timing


def latency_summary(latencies_ms: list[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"p50": None, "p90": None, "p99": None, "mean": None, "n": 0}
    return {"p50": percentile(latencies_ms, 50), "p90": percentile(latencies_ms, 90), "p99": percentile(latencies_ms, 99),
            "mean": sum(latencies_ms) / len(latencies_ms), "n": len(latencies_ms)}


def combine_stages(stages: list[StageTiming], *, device: str, dtype: str, batch_size: int, warmup: int,
                   total_wall_s: float, peak_memory_mb: float | None, memory_kind: str) -> dict[str, Any]:
    """The ``timing`` section of a result: totals plus one entry per stage."""
    items = sum(s.items for s in stages)
    loop_wall = sum(s.wall_s for s in stages)
    tokens = sum(s.tokens for s in stages)
    gen_wall = sum(s.wall_s for s in stages if s.tokens)
    latencies = [x for s in stages for x in s.latencies_ms]
    return {
        "wall_s": total_wall_s,
        "predict_s": loop_wall,
        "items": items,
        "items_per_s": items / loop_wall if loop_wall > 0 else None,
        "tokens_per_s": tokens / gen_wall if tokens and gen_wall > 0 else None,
        "latency_ms": latency_summary(latencies),
        "batch_size": batch_size,
        "warmup_batches": warmup,
        "batches_timed": len(latencies),
        "device": device,
        "device_name": device_label(device),
        "dtype": dtype,
        "peak_memory_mb": peak_memory_mb,
        "peak_memory_kind": memory_kind,
        "stages": {s.name: s.summary() for s in stages},
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

"""How the runner's batches are formed and executed: length buckets, out-of-memory back-off,
``--batch-size auto``, the timing of each model call and FLOP counting.

The runner (:mod:`mmbench.engine.runner`) owns the loop; this module owns what happens to one loaded
batch. :class:`StageExecutor` calls the stage's step on it, timed and synchronised; on a CUDA
out-of-memory error (``torch.OutOfMemoryError``) it frees the cache, halves its batch size,
retries the same items and carries on at the smaller size; each back-off is recorded
(``timing.oom_backoffs``) and printed once. :func:`find_batch_size` is ``--batch-size auto``:
the largest size that fits for a stage, by doubling from 1 on the stage's first items, before
timing starts. :func:`batch_order` groups the items of generative stages by image token count
(models whose count depends on the image's size) and prompt length (the stage's ``bucket_key``)
so that batches need little padding; outputs keep item order.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from mmbench.errors import UserError

AUTO = "auto"
#: ``--batch-size auto`` never goes beyond this many items per call (GPU) or the CPU cap below
AUTO_MAX_BATCH = 1024
#: on a CPU more items per call stop paying off early, and there is no memory limit to find
AUTO_MAX_BATCH_CPU = 64


def is_out_of_memory(error: BaseException) -> bool:
    import torch

    return isinstance(error, torch.OutOfMemoryError)


def free_device_memory(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def bucket_keys(stage: Any, adapter: Any, root: Path) -> list[tuple[Any, ...]] | None:
    """Per item of a generative stage, the bucket it batches in: (image token count, the stage's
    ``bucket_key``, e.g. the prompt's token length). The image token count is the adapter's
    :meth:`image_token_count` for the image's size, read from the file header, for models whose
    count depends on the image (LLaVA-NeXT's any-resolution tiles), else 0. None when the stage is
    not bucketed (not generative, or neither part varies)."""
    key = getattr(stage, "bucket_key", None)
    by_image = stage.kind in ("images", "conversations") and adapter.image_tokens_vary
    if not stage.generative or (key is None and not by_image):
        return None
    image_tokens = _image_token_counts(stage.items, adapter, root) if by_image else [0] * len(stage.items)
    prompt_keys = [key(adapter, item) for item in stage.items] if key is not None else [0] * len(stage.items)
    return list(zip(image_tokens, prompt_keys))


def _image_token_counts(items: Sequence[Any], adapter: Any, root: Path) -> list[int]:
    """The adapter's image token count per item, summed over a conversation's images (each distinct
    image's header read once); -1 for an item with an unreadable image, which the loader then fails
    or skips as usual."""
    from mmbench.data.images import ImageFile, image_size

    counts: dict[Any, int] = {}

    def count(image: Any) -> int:
        name = str(image) if isinstance(image, ImageFile) else id(image)  # a file: once
        if name not in counts:
            size = image_size(image, root)
            counts[name] = -1 if size is None else int(adapter.image_token_count(*size))
        return counts[name]

    out = []
    for item in items:
        per_image = [count(image) for image in (item.images if hasattr(item, "conversation") else [item.image])]
        out.append(-1 if -1 in per_image else sum(per_image))
    return out


def batch_order(stage: Any, adapter: Any, root: Path) -> list[int]:
    """Item indices in the order they are batched: by :func:`bucket_keys` (stable, so equal
    keys keep their order) for bucketed generative stages, else the items' own order."""
    indices = list(range(len(stage.items)))
    keys = bucket_keys(stage, adapter, root)
    if keys is None:
        return indices
    return sorted(indices, key=keys.__getitem__)


def _slice(inputs: Any, start: int, stop: int, total: int) -> Any:
    """Items ``start:stop`` of a collated batch (a tensor or a list)."""
    if start == 0 and stop == total:
        return inputs
    return inputs[start:stop]


def _memory_description(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        total = torch.cuda.get_device_properties(torch.device(device)).total_memory
        return f"{device} with {total / 2**30:.1f} GiB"
    return device


def _does_not_fit(adapter: Any, stage_name: str) -> UserError:
    name = adapter.spec or adapter.adapter_name
    return UserError(f"model {name} ({adapter.dtype}) does not fit in the memory of {_memory_description(adapter.device)} "
                     f"even at batch size 1 (stage {stage_name!r}): use a smaller dtype (--dtype bf16), a shorter "
                     "generation or a device with more memory")


class StageExecutor:
    """Runs one stage's model calls: timed, synchronised, halving the batch size on out-of-memory.
    FLOPs are counted on a separate, untimed call of the stage's first batch, made before that
    batch's timed call (its outputs are dropped; the random number generators are restored after
    it), so the counter's overhead never lands in ``model_s``, items/s or TFLOP/s, and the time it
    took is left out of the stage's wall time. A model without parameters to count (the mock, a
    served model: ``num_parameters`` 0 or None) gets no such call: its FLOPs are unknown, never a
    second request."""

    def __init__(self, stage: Any, adapter: Any, batch_size: int, timer: Any) -> None:
        self.stage = stage
        self.adapter = adapter
        self.batch_size = batch_size
        self.timer = timer
        self.backoffs: list[dict[str, Any]] = []
        self._count_flops = bool(getattr(adapter, "num_parameters", None))

    def run(self, inputs: Any, indices: Sequence[int]) -> Iterator[tuple[Sequence[int], list[Any]]]:
        """Yield (item indices, one output per item) for a loaded batch, in calls of at most
        ``batch_size`` items; a call that runs out of memory is retried at half the size."""
        total = len(indices)
        start = 0
        while start < total:
            stop = min(start + self.batch_size, total)
            try:
                rows = self._call(_slice(inputs, start, stop, total), [self.stage.items[i] for i in indices[start:stop]])
            except Exception as error:
                if not is_out_of_memory(error):
                    raise
                self._back_off(stop - start)
                continue
            yield indices[start:stop], rows
            start = stop

    def _back_off(self, failed_size: int) -> None:
        free_device_memory(self.adapter.device)
        if failed_size <= 1:
            raise _does_not_fit(self.adapter, self.stage.name) from None
        smaller = max(1, failed_size // 2)
        self.backoffs.append({"stage": self.stage.name, "from": failed_size, "to": smaller})
        print(f"out of memory in stage {self.stage.name!r} at batch size {failed_size}: continuing at {smaller}",
              file=sys.stderr)
        self.batch_size = smaller

    def _call(self, inputs: Any, items: list[Any]) -> list[Any]:
        from mmbench.measure import timing

        device = self.adapter.device
        if self._count_flops:
            self._count_flops_untimed(inputs, items)
        clock = timing.token_clock(device) if self.stage.generative else contextlib.nullcontext(None)
        with clock as token_times:
            start = time.perf_counter()
            result = self.stage.step(self.adapter, inputs, items)
            timing.synchronize(device)
            seconds = time.perf_counter() - start
        rows = output_rows(result, len(items), self.adapter, self.stage.name)
        tokens = self.adapter.count_tokens(rows) if self.stage.generative else 0
        self.timer.record(len(items), seconds, tokens, postprocess_s=time.perf_counter() - start - seconds, clock=token_times)
        return rows


    def _count_flops_untimed(self, inputs: Any, items: list[Any]) -> None:
        """One extra call of the step under the FLOP counter, outside every timer (no token clock:
        its decoding steps are not marked); an out-of-memory error propagates to the back-off,
        and the count is tried again on the smaller batch."""
        import torch

        from mmbench.measure import timing
        from mmbench.measure.flops import counting_flops

        device = self.adapter.device
        start = time.perf_counter()
        cuda = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=cuda), counting_flops() as flop_count:
            self.stage.step(self.adapter, inputs, items)
            timing.synchronize(device)
        self._count_flops = False
        self.timer.record_flops(flop_count.total or 0, len(items))
        self.timer.untimed(time.perf_counter() - start)


def output_rows(result: Any, expected: int, adapter: Any, stage: str) -> list[Any]:
    """A step's result as one entry per item: tensors become float32 numpy rows."""
    if hasattr(result, "detach"):
        result = result.detach().float().cpu().numpy()
    rows = list(result)
    if len(rows) != expected:
        raise RuntimeError(f"adapter {adapter.spec or adapter.adapter_name} returned {len(rows)} outputs for {expected} inputs in stage {stage!r}")
    return rows


def find_batch_size(stage: Any, adapter: Any, probe_inputs: Any, probe_items: Sequence[Any]) -> int:
    """``--batch-size auto`` for one stage: double from 1 on the stage's first items until a call
    runs out of memory or the cap is reached; the largest size that ran. Nothing is timed or kept."""
    from mmbench.measure import timing

    cap = len(probe_items)
    size, fitted = 1, 0
    while True:
        try:
            stage.step(adapter, _slice(probe_inputs, 0, size, cap), list(probe_items[:size]))
            timing.synchronize(adapter.device)
        except Exception as error:
            if not is_out_of_memory(error):
                raise
            free_device_memory(adapter.device)
            break
        fitted = size
        if size >= cap:
            break
        size = min(size * 2, cap)
    if fitted == 0:
        raise _does_not_fit(adapter, stage.name)
    free_device_memory(adapter.device)
    return fitted


def auto_batch_cap(device: str, n_items: int) -> int:
    return max(1, min(n_items, AUTO_MAX_BATCH if device.startswith(("cuda", "mps")) else AUTO_MAX_BATCH_CPU))


# ---- CPU budget: image decoding workers and the model's threads never oversubscribe the cores ----

def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, e.g. a container's share), else the count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def decoding_workers(device: str) -> int:
    """DataLoader workers for image decoding. On a GPU (or for a "remote" served model) the host's cores are free for decoding
    (all but one, at most 8). On the CPU the model needs the cores itself: one worker per 8
    cores (at most 4), so none below 8 cores, where decoding in the loop costs less than a
    worker competing with the model's threads for the same cores."""
    cores = usable_cores()
    if device.startswith(("cuda", "mps", "remote")):
        return max(1, min(8, cores - 1))
    return min(4, cores // 8)


@contextlib.contextmanager
def model_threads(device: str, workers: int) -> Iterator[None]:
    """On the CPU with decoding workers, the model's intra-op threads take the cores the workers
    leave (each worker is single-threaded), restored afterwards."""
    if device != "cpu" or workers == 0:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(before, usable_cores() - workers)))
    try:
        yield
    finally:
        torch.set_num_threads(before)

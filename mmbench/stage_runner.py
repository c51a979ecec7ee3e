"""Runs a task's stages for one evaluation (:func:`run_stages`, :class:`StageRunner`).

:func:`run_stages` asks the task for its next stages, passing the outputs of those already run
(the task/runner contract in :mod:`mmbench.tasks.base`); :class:`StageRunner` runs each stage:

- outputs already in the prediction store (:mod:`mmbench.store`) are taken from it ("resuming:
  N of M predictions already stored"); only the rest is computed, and each batch is committed to
  the store as soon as it is computed, so a killed run loses at most the batch in flight;
- in a torch.distributed job (:mod:`mmbench.distributed`) the remaining items are split into
  contiguous, non-overlapping shares, one per rank, and every rank receives every output at the
  end of the stage;
- batches come from :mod:`mmbench.image_batches` (images decoded in worker processes) and are
  executed by :class:`mmbench.execution.StageExecutor` (timed model calls, out-of-memory back-off,
  ``--batch-size auto``).

Crash injection for the crash-safety tests (never set in normal use): ``MMBENCH_CRASH_AT=commit:N``
sends SIGKILL to the process just before its (N+1)-th batch commit; ``MMBENCH_CRASH_AT=scoring``
just before scoring.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from mmbench import distributed
from mmbench.errors import DataError
from mmbench.execution import AUTO, StageExecutor, auto_batch_cap, batch_order, find_batch_size
from mmbench.image_batches import ImageItems, load_batches, model_batch, next_timed
from mmbench.models.base import check_single_image
from mmbench.store_context import stage_context
from mmbench.tasks.base import Stage, TaskType
from mmbench.types import RunConfig

CRASH_ENV = "MMBENCH_CRASH_AT"


def run_stages(task: TaskType, runner: StageRunner) -> dict[str, list[Any]]:
    """Ask the task for stages until it has none left; returns every stage's outputs."""
    import torch

    outputs: dict[str, list[Any]] = {}
    with torch.inference_mode():
        while stages := task.next_stages(outputs, frozenset(s["id"] for s in runner.skipped)):
            for stage in stages:
                if stage.name in outputs:
                    raise RuntimeError(f"task type {task.type_name!r} returned stage {stage.name!r} twice")
                outputs[stage.name] = runner.run(stage)
    return outputs


class StageRunner:
    """Runs stages for one evaluation: store look-ups and commits, sharding, batches, timing.

    ``skipped`` collects unreadable items (``--on-error skip``) in stage and item order, the same
    whatever the number of processes; ``timings`` holds one list of per-rank timings per stage."""

    def __init__(self, adapter: Any, root: Path, config: RunConfig, batch_size: int | str, label: str,
                 group: distributed.Group, context: dict[str, Any]) -> None:
        self.adapter, self.root, self.config, self.batch_size, self.label = adapter, root, config, batch_size, label
        self.group = group
        self.context = context
        self.skipped: list[dict[str, str]] = []
        self.timings: list[list[Any]] = []
        self.from_store: dict[str, int] = {}
        self.prompts: dict[str, str] = {}  # sample id -> the text the model was given (conversation stages)
        self.commits = 0
        self.store = _open_store(config.store)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def run(self, stage: Stage) -> list[Any]:
        """Per-item outputs of ``stage`` (``None`` for unreadable items), from the store or computed."""
        from mmbench import timing
        from mmbench.store import as_output

        keys = stage.item_keys()
        if stage.kind == "conversations":
            if self.adapter.single_image_only:
                for item in stage.items:
                    check_single_image(self.adapter, item.conversation, item.id)
            if self.group.is_main:
                self.prompts.update((item.id, self.adapter.render_prompt(item.conversation)) for item in stage.items)
        context_id, stored = self._stored(stage, keys)
        have = [i for i, key in enumerate(keys) if key in stored]
        haves = self.group.all_gather(have)  # also a barrier: every rank has read before any writes
        first_owner: dict[int, int] = {}
        for rank in reversed(range(self.group.world_size)):
            first_owner.update((i, rank) for i in haves[rank])
        if first_owner and self.group.is_main:
            print(f"resuming: {len(first_owner)} of {len(keys)} predictions already stored ({self.label}:{stage.name})",
                  file=sys.stderr, flush=True)
        todo = [i for i in batch_order(stage, self.adapter, self.root) if i not in first_owner]  # bucketed: by image tokens, prompt length
        mine: dict[int, Any] = {i: stored[keys[i]] for i in have if first_owner[i] == self.group.rank}
        skipped: list[tuple[int, dict[str, str]]] = []
        timer = timing.BatchTimer(stage.name, self.config.warmup_batches)
        shard = self.group.shard(todo)
        size = self._stage_batch_size(stage, shard)
        executor = StageExecutor(stage, self.adapter, size, timer)
        bar = _progress(len(todo), f"{self.label}:{stage.name}", self.config)
        try:
            batches = load_batches(stage, shard, self.adapter, self.root, self.config, size, skipped)
            while (loaded := next_timed(batches, timer)) is not None:
                loaded_indices, inputs = loaded
                for indices, computed in executor.run(inputs, loaded_indices):
                    rows = [as_output(row) for row in computed]
                    if self.store is not None:
                        crash_point("commit", self.commits)
                        if context_id is None:
                            context_id = self.store.create_context(self._stage_context(stage))
                        self.store.put(context_id, [(keys[i], row) for i, row in zip(indices, rows)])
                        self.commits += 1
                    mine.update(zip(indices, rows))
                bar.update(len(loaded_indices))
        finally:
            bar.close()
        own_timing = timer.finish(batch_size=executor.batch_size, auto=self.batch_size == AUTO,
                                  oom_backoffs=executor.backoffs)
        outputs: list[Any] = [None] * len(keys)
        all_skipped: list[tuple[int, dict[str, str]]] = []
        rank_timings = []
        for part, part_skipped, part_timing in self.group.all_gather((mine, skipped, own_timing)):
            for i, row in part.items():
                outputs[i] = row
            all_skipped += part_skipped
            rank_timings.append(part_timing)
        self.skipped += [entry for _, entry in sorted(all_skipped, key=lambda pair: pair[0])]
        self.timings.append(rank_timings)
        self.from_store[stage.name] = len(first_owner)
        return outputs

    def _stored(self, stage: Stage, keys: list[str]) -> tuple[int | None, dict[str, Any]]:
        if self.store is None:
            return None, {}
        context_id = self.store.context(self._stage_context(stage))
        return context_id, ({} if self.config.fresh else self.store.get(context_id, keys))

    def _stage_context(self, stage: Stage) -> dict[str, Any]:
        return stage_context(self.context, stage)

    def _stage_batch_size(self, stage: Stage, indices: list[int]) -> int:
        """The run's batch size, or for "auto" the largest that fits, probed before timing on the
        last items in batch order (the longest prompts when bucketed)."""
        if self.batch_size != AUTO:
            return int(self.batch_size)
        probe = indices[-auto_batch_cap(self.adapter.device, len(indices)):]
        if not probe:
            return 1
        items = [stage.items[i] for i in probe]
        if stage.kind == "texts":
            return find_batch_size(stage, self.adapter, items, items)
        images = ImageItems(items, self.root, self.adapter.image_transform())
        loaded = [images[i] for i in range(len(items))]
        kept = [(item, value) for item, (_, value, error) in zip(items, loaded) if error is None]
        if not kept:
            raise DataError(f"stage {stage.name!r}: none of the first images could be read to find a batch size ({loaded[0][2]})")
        inputs = model_batch(stage, [value for _, value in kept], self.adapter)
        return find_batch_size(stage, self.adapter, inputs, [item for item, _ in kept])

    def timing_section(self, *, total_wall_s: float, peak_memory: tuple[float, str], metric_s: float | None = None) -> dict[str, Any]:
        """The results file's ``timing``: totals over every rank, per-rank figures, store hits.
        Only computed predictions are timed; ``from_store`` counts the others."""
        from mmbench import timing

        merged = [_merge_timings(rank_timings) for rank_timings in self.timings]
        section = timing.combine_stages(merged, device=self.adapter.device, dtype=self.adapter.dtype,
                                        batch_size=self.batch_size, warmup=self.config.warmup_batches,
                                        total_wall_s=total_wall_s, peak_memory_mb=peak_memory[0], memory_kind=peak_memory[1],
                                        metric_s=metric_s)
        section["from_store"] = sum(self.from_store.values())
        for name, count in self.from_store.items():
            section["stages"][name]["from_store"] = count
        section["processes"] = self.group.world_size
        if self.group.world_size > 1:
            section["ranks"] = [_rank_summary(rank, [stage[rank] for stage in self.timings]) for rank in range(self.group.world_size)]
        return section


def _merge_timings(rank_timings: list[Any]) -> Any:
    """One stage's timing over all ranks: items, batches, tokens and model time add up; the wall
    time is the slowest rank's (they run side by side); latencies are pooled."""
    if len(rank_timings) == 1:
        return rank_timings[0]
    from mmbench.timing import StageTiming

    first = rank_timings[0]
    return StageTiming(first.name, items=sum(t.items for t in rank_timings), batches=sum(t.batches for t in rank_timings),
                       wall_s=max(t.wall_s for t in rank_timings), model_s=sum(t.model_s for t in rank_timings),
                       input_wait_s=sum(t.input_wait_s for t in rank_timings),
                       postprocess_s=sum(t.postprocess_s for t in rank_timings),
                       tokens=sum(t.tokens for t in rank_timings),
                       flops_per_item=next((t.flops_per_item for t in rank_timings if t.flops_per_item), None),
                       batch_size=first.batch_size, batch_size_auto=first.batch_size_auto,
                       oom_backoffs=[b for t in rank_timings for b in t.oom_backoffs],
                       latencies_ms=[x for t in rank_timings for x in t.latencies_ms],
                       ttft_ms=[x for t in rank_timings for x in t.ttft_ms], tpot_ms=[x for t in rank_timings for x in t.tpot_ms])


def _rank_summary(rank: int, stages: list[Any]) -> dict[str, Any]:
    from mmbench.timing import latency_summary

    items = sum(t.items for t in stages)
    wall = sum(t.wall_s for t in stages)
    return {"rank": rank, "items": items, "wall_s": wall, "items_per_s": items / wall if wall > 0 else None,
            "latency_ms": latency_summary([x for t in stages for x in t.latencies_ms])}


def _progress(total: int, desc: str, config: RunConfig) -> Any:
    from tqdm import tqdm

    show = config.progress if config.progress is not None else sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="it", disable=not show, leave=False, dynamic_ncols=True)


def _open_store(path: Path | None) -> Any:
    if path is None:
        return None
    from mmbench.store import PredictionStore

    return PredictionStore(path)


def crash_point(event: str, count: int = 0) -> None:
    """SIGKILL this process at a chosen point (``MMBENCH_CRASH_AT``; for the crash-safety tests)."""
    wanted = os.environ.get(CRASH_ENV)
    if wanted and wanted in (event, f"{event}:{count}"):
        os.kill(os.getpid(), signal.SIGKILL)

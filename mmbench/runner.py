"""``evaluate(task, model, config) -> RunResult``: the only loop over batches.

:func:`run_stages` asks the task for its next stages, passing the outputs of those already run
(the task/runner contract in :mod:`mmbench.tasks.base`); :class:`StageRunner` runs each stage:

- outputs already in the prediction store (:mod:`mmbench.store`) are taken from it ("resuming:
  N of M predictions already stored"); only the rest is computed, and each batch is committed to
  the store as soon as it is computed, so a killed run loses at most the batch in flight;
- in a torch.distributed job (:mod:`mmbench.distributed`) the remaining items are split into
  contiguous, non-overlapping shares, one per rank, and every rank receives every output at the
  end of the stage;
- images are opened and preprocessed in DataLoader worker processes while the model runs, each
  model call is timed (synchronised), unreadable images fail fast or are skipped and listed.

Crash injection for the crash-safety tests (never set in normal use): ``MMBENCH_CRASH_AT=commit:N``
sends SIGKILL to the process just before its (N+1)-th batch commit; ``MMBENCH_CRASH_AT=scoring``
just before scoring.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import sys
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Sequence

from mmbench import distributed
from mmbench.data.completeness import Coverage, expected_count
from mmbench.data.split import DataSplit
from mmbench.devices import to_device
from mmbench.execution import (AUTO, StageExecutor, auto_batch_cap, batch_order, decoding_workers, find_batch_size,
                               model_threads)
from mmbench.errors import CapabilityError, DataError, UserError
from mmbench.registry import task_types
from mmbench.results import RunResult, write_result
from mmbench.tasks.base import Stage, TaskScore, TaskType
from mmbench.tasks.spec import TaskSpec, load_task_spec
from mmbench.types import RunConfig

DEFAULT_BATCH_SIZE = 16
CRASH_ENV = "MMBENCH_CRASH_AT"


def evaluate(task: str | Path | TaskSpec, model: Any, config: RunConfig | None = None, *,
             data: TaskData | None = None, **overrides: Any) -> RunResult:
    """Evaluate ``model`` (a spec string or a ModelAdapter) on ``task`` (name, YAML path or TaskSpec).

    ``overrides`` set RunConfig fields (``batch_size=1``, ``limit=10``, ``output_dir=None`` ...).
    Capabilities are checked before any data is read. ``data``: the task's data as
    :func:`load_task_data` returned it, when the caller read it before loading the model (and
    printed its partial-run warnings); otherwise it is read here and the warnings printed.
    Returns the result; writes it (results JSON plus ``.samples.jsonl``, atomically) when
    ``config.output_dir`` is set (None: nothing is written). In a torch.distributed job every rank
    computes its share; only rank 0 scores and writes (the other ranks return a result without
    metrics).
    """
    config = dataclasses.replace(config or RunConfig(), **overrides)
    started = time.perf_counter()
    spec = task if isinstance(task, TaskSpec) else load_task_spec(task)
    task_cls = _task_type(spec)
    adapter = _load_adapter(model, config)
    config = dataclasses.replace(config, device=adapter.device)  # "auto" resolved, as recorded
    _check_capabilities(task_cls, spec, adapter)

    from mmbench.data import data_fingerprint

    if data is None:
        data = load_task_data(spec, config)
        print_partial_warnings(data.coverage)
    split = data.split
    _seed_everything(config.seed)

    group = distributed.current()
    batch_size = config.batch_size or spec.batch_size or DEFAULT_BATCH_SIZE
    task_obj: TaskType = task_cls(spec, split, adapter.capabilities)
    from mmbench import timing

    timing.reset_peak_memory(adapter.device)
    scoring = config.score and group.is_main
    if scoring:
        task_obj.prepare_scoring()
    runner = StageRunner(adapter, split.root, config, batch_size, spec.name, group,
                         _store_context(spec, data.full_fingerprint, adapter, config))
    try:
        outputs = run_stages(task_obj, runner)
    finally:
        runner.close()
    skipped_ids = frozenset(s["id"] for s in runner.skipped)
    scoring_started = time.perf_counter()
    if scoring:
        _crash_point("scoring")
        scored = task_obj.score(outputs, skipped_ids)
    else:
        note = "skipped (timing run)" if not config.score else f"computed on rank 0 (this is rank {group.rank})"
        scored = TaskScore({}, [], {"scoring": note})
    metric_s = time.perf_counter() - scoring_started if scoring else None
    peak_mb, memory_kind = timing.peak_memory(adapter.device)
    total_wall = time.perf_counter() - started

    from mmbench.env import environment

    coverage = data.coverage.with_skipped(len(skipped_ids))
    result = RunResult(
        task={"name": spec.name, "type": spec.type, "version": spec.version, "arguments": spec.arguments(),
              "data_fingerprint": data_fingerprint(split), "num_samples": len(split.samples),
              "num_scored": coverage.scored, **coverage.record(), "source": spec.source},
        model=adapter.describe(),
        metrics=scored.metrics,
        metric_notes={**scored.notes, **coverage.note()},
        timing=runner.timing_section(total_wall_s=total_wall, peak_memory=(peak_mb, memory_kind), metric_s=metric_s),
        errors={"skipped": runner.skipped} if runner.skipped else {},
        env=environment(),
        config=_config_record(config, batch_size, group),
        samples=scored.samples,
    )
    if group.is_main and config.output_dir is not None:
        path = write_result(result, config.output_dir)
        _write_artifacts(path, scored.artifacts)
    return result


# ---- the data a run evaluates ----------------------------------------------------------------------

@dataclass(frozen=True)
class TaskData:
    """A task's split as the run evaluates it (after ``--limit``) and how much of the benchmark it covers."""

    split: DataSplit
    coverage: Coverage
    full_fingerprint: str  # of the whole split, before --limit: the prediction store's data key


def load_task_data(spec: TaskSpec, config: RunConfig) -> TaskData:
    """Read the task's split and apply ``--limit``; no model needed (``mmbench run`` calls it first)."""
    from mmbench.data import data_fingerprint, load_split

    if config.limit is not None and config.limit < 1:
        raise UserError(f"--limit must be positive, got {config.limit}")
    split = load_split(spec.data, config.data_dir)
    full_fingerprint = data_fingerprint(split)  # a --limit run and a full run share stored predictions
    coverage = Coverage(spec.name, len(split.samples), expected_count(spec.data, spec.source), config.limit)
    if coverage.limited:
        split = dataclasses.replace(split, samples=list(split.samples)[: coverage.evaluated])
    if not split.samples:
        raise DataError(f"{spec.name}: the data split has no samples ({spec.source})")
    return TaskData(split, coverage, full_fingerprint)


def print_partial_warnings(coverage: Coverage) -> None:
    """One line on stderr per reason a run will be partial (the words ``mmbench data check`` uses)."""
    for line in coverage.warnings():
        print(f"warning: {line}", file=sys.stderr)


# ---- the stage and batch loops ----------------------------------------------------------------------

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
        context_id, stored = self._stored(stage, keys)
        have = [i for i, key in enumerate(keys) if key in stored]
        haves = self.group.all_gather(have)  # also a barrier: every rank has read before any writes
        first_owner: dict[int, int] = {}
        for rank in reversed(range(self.group.world_size)):
            first_owner.update((i, rank) for i in haves[rank])
        if first_owner and self.group.is_main:
            print(f"resuming: {len(first_owner)} of {len(keys)} predictions already stored ({self.label}:{stage.name})",
                  file=sys.stderr, flush=True)
        todo = [i for i in batch_order(stage, self.adapter) if i not in first_owner]  # by prompt length when bucketed
        mine: dict[int, Any] = {i: stored[keys[i]] for i in have if first_owner[i] == self.group.rank}
        skipped: list[tuple[int, dict[str, str]]] = []
        timer = timing.BatchTimer(stage.name, self.adapter.device, self.config.warmup_batches)
        shard = self.group.shard(todo)
        size = self._stage_batch_size(stage, shard)
        executor = StageExecutor(stage, self.adapter, size, timer)
        bar = _progress(len(todo), f"{self.label}:{stage.name}", self.config)
        try:
            batches = _batches(stage, shard, self.adapter, self.root, self.config, size, skipped)
            while (loaded := _next_timed(batches, timer)) is not None:
                loaded_indices, inputs = loaded
                for indices, computed in executor.run(inputs, loaded_indices):
                    rows = [as_output(row) for row in computed]
                    if self.store is not None:
                        _crash_point("commit", self.commits)
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
        if stage.shared_as:  # outputs that depend on the model and the item only: shared by every task
            model_only = {k: v for k, v in self.context.items() if k != "task"}
            return {**model_only, "stage": f"shared:{stage.shared_as}", "stage_kind": stage.kind}
        return {**self.context, "stage": stage.name, "stage_kind": stage.kind}

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
        inputs = to_device(self.adapter.collate_images([value for _, value in kept]), self.adapter.device)
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


def _batches(stage: Stage, indices: list[int], adapter: Any, root: Path, config: RunConfig, batch_size: int,
             skipped: list[tuple[int, dict[str, str]]]) -> Any:
    """Yield (item indices, model-ready batch) over ``indices`` of the stage's items. Images are
    decoded in worker processes; an unreadable one fails (``--on-error fail``) or is appended to
    ``skipped`` as (index, entry)."""
    if stage.kind == "texts":
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            yield chunk, [stage.items[i] for i in chunk]
        return
    if not indices:
        return
    from torch.utils.data import DataLoader

    dataset = ImageItems([stage.items[i] for i in indices], root, adapter.image_transform())
    workers = _num_workers(config, adapter.device, len(indices), batch_size)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers, collate_fn=_as_list,
                        worker_init_fn=_single_thread_worker if workers else None,
                        prefetch_factor=4 if workers else None, persistent_workers=False)
    with model_threads(adapter.device, workers):
        yield from _checked(loader, stage, indices, adapter, config, skipped)


def _next_timed(batches: Any, timer: Any) -> Any:
    """The next loaded batch (None at the end); the time spent waiting for it goes to ``timer``."""
    waiting = time.perf_counter()
    loaded = next(batches, None)
    timer.waited(time.perf_counter() - waiting)
    return loaded


def _checked(loader: Any, stage: Stage, indices: list[int], adapter: Any, config: RunConfig,
             skipped: list[tuple[int, dict[str, str]]]) -> Any:
    """The loader's batches without unreadable images (failing or skipping them), collated on the device."""
    for batch in loader:
        chosen, values = [], []
        for position, value, error in batch:
            index = indices[position]
            if error is None:
                chosen.append(index)
                values.append(value)
            elif config.on_error == "fail":
                raise DataError(f"{error} (use --on-error skip to skip unreadable images; they are then listed in the results)")
            else:
                item = stage.items[index]
                skipped.append((index, {"id": str(getattr(item, "id", index)), "image": str(getattr(item, "image", "")), "error": error}))
        if chosen:
            yield chosen, to_device(adapter.collate_images(values), adapter.device)


class ImageItems:
    """Map-style dataset: item i -> (i, transformed image or None, error text or None).

    Errors are returned, not raised, so the main process can fail with one clean line or skip.
    """

    def __init__(self, items: Sequence[Any], root: Path, transform: Any) -> None:
        self.items = items
        self.root = root
        self.transform = transform

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[int, Any, str | None]:
        from mmbench.data import open_image

        item = self.items[index]
        try:
            return index, self.transform(open_image(item.image, self.root)), None
        except DataError as e:
            return index, None, str(e)
        except Exception as e:  # a transform failing on a strange image is still that image's fault
            return index, None, f"{getattr(item, 'image', index)}: cannot preprocess image ({type(e).__name__}: {e})"


def _as_list(batch: list[Any]) -> list[Any]:
    return batch


def _single_thread_worker(_: int) -> None:
    import torch

    torch.set_num_threads(1)


def _num_workers(config: RunConfig, device: str, n_items: int, batch_size: int) -> int:
    if config.num_workers is not None:
        return max(0, config.num_workers)
    return 0 if n_items <= batch_size else decoding_workers(device)


# ---- set-up helpers ---------------------------------------------------------------------------------

def _task_type(spec: TaskSpec) -> type[TaskType]:
    if spec.group:
        raise UserError(f"{spec.name} is a task group ({', '.join(spec.group)}): run it with mmbench.evaluate_group or `mmbench run`")
    cls: type[TaskType] = task_types.get(spec.type)
    return cls


def _load_adapter(model: Any, config: RunConfig) -> Any:
    from mmbench.models.base import ModelAdapter

    if isinstance(model, ModelAdapter):
        if not model.spec:
            model.spec = model.adapter_name
        return model
    if not isinstance(model, str):
        raise UserError(f"model must be a spec string or a ModelAdapter, got {type(model).__name__}")
    from mmbench.models.spec import load_model

    return load_model(model, device=config.device, dtype=config.dtype, **config.model_args)


def _check_capabilities(task_cls: type[TaskType], spec: TaskSpec, adapter: Any) -> None:
    missing = sorted(c.value for c in task_cls.required - adapter.capabilities)
    if missing:
        name = adapter.spec or adapter.adapter_name
        raise CapabilityError(f"model {name} cannot run {spec.name} ({spec.type}): it has no {', '.join(missing)}")


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _progress(total: int, desc: str, config: RunConfig) -> Any:
    from tqdm import tqdm

    show = config.progress if config.progress is not None else sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="it", disable=not show, leave=False, dynamic_ncols=True)


def _config_record(config: RunConfig, batch_size: int, group: distributed.Group) -> dict[str, Any]:
    record = dataclasses.asdict(config)
    record["batch_size"] = batch_size
    for key in ("output_dir", "data_dir"):
        record[key] = str(record[key]) if record[key] is not None else None
    record["store"] = Path(config.store).name if config.store is not None else None  # no machine path in results
    record["processes"] = group.world_size
    return record


# ---- the prediction store ----------------------------------------------------------------------------

def _open_store(path: Path | None) -> Any:
    if path is None:
        return None
    from mmbench.store import PredictionStore

    return PredictionStore(path)


def _store_context(spec: TaskSpec, data_fingerprint: str, adapter: Any, config: RunConfig) -> dict[str, Any]:
    """Everything that determines a stage's outputs except the stage and the item: the model
    (fingerprint, description, preprocessing, options, device kind), the task (name, version, data,
    prompt, generation) and the mmbench version. Not batch size, process count or output folder."""
    from mmbench import __version__

    model = {k: v for k, v in adapter.describe().items() if k not in ("spec", "checkpoint", "device")}
    return {
        "mmbench": __version__,
        "model": model,
        "model_args": dict(config.model_args),
        "preprocessing": _describe(adapter.image_transform()),
        "device_type": str(adapter.device).split(":")[0],
        "task": {"name": spec.name, "type": spec.type, "version": spec.version, "data_fingerprint": data_fingerprint,
                 "prompt": spec.prompt, "generation": spec.generation},
    }


def _describe(transform: Any) -> dict[str, Any]:
    """A transform's class and, for a dataclass (every built-in one), its fields: the store key's
    preprocessing part. Other objects contribute their class only (no reprs with addresses)."""
    cls = type(transform)
    settings = dataclasses.asdict(transform) if dataclasses.is_dataclass(transform) and not isinstance(transform, type) else {}
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "settings": settings}


def _crash_point(event: str, count: int = 0) -> None:
    """SIGKILL this process at a chosen point (``MMBENCH_CRASH_AT``; for the crash-safety tests)."""
    wanted = os.environ.get(CRASH_ENV)
    if wanted and wanted in (event, f"{event}:{count}"):
        os.kill(os.getpid(), signal.SIGKILL)


def _write_artifacts(result_path: Path, artifacts: dict[str, Any]) -> None:
    from mmbench.jsonio import atomic_write_json

    stem = result_path.name[: -len(".json")]
    for suffix, content in artifacts.items():
        atomic_write_json(result_path.with_name(f"{stem}.{suffix}"), content)

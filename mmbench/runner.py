"""``evaluate(task, model, config) -> RunResult``: the only loop over batches.

:func:`run_stages` asks the task for its next stages, passing the outputs of those already run
(the task/runner contract in :mod:`mmbench.tasks.base`); one function, :func:`run_stage`,
iterates over the batches of every stage of every task type:
images are opened and preprocessed in DataLoader worker processes while the model runs, each
model call is timed (synchronised), outputs are gathered per item, unreadable images fail fast
or are skipped and listed. This loop is where a prediction cache, crash-safe resume and
data-parallel sharding plug in.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from mmbench.data.completeness import Coverage, expected_count
from mmbench.data.split import DataSplit
from mmbench.devices import to_device
from mmbench.errors import CapabilityError, DataError, UserError
from mmbench.registry import task_types
from mmbench.results import RunResult, write_result
from mmbench.tasks.base import Stage, TaskScore, TaskType, load_task_types
from mmbench.tasks.spec import TaskSpec, load_task_spec
from mmbench.types import RunConfig

DEFAULT_BATCH_SIZE = 16


def evaluate(task: str | Path | TaskSpec, model: Any, config: RunConfig | None = None, *,
             data: TaskData | None = None, **overrides: Any) -> RunResult:
    """Evaluate ``model`` (a spec string or a ModelAdapter) on ``task`` (name, YAML path or TaskSpec).

    ``overrides`` set RunConfig fields (``batch_size=1``, ``limit=10``, ``output_dir=None`` ...).
    Capabilities are checked before any data is read. ``data``: the task's data as
    :func:`load_task_data` returned it, when the caller read it before loading the model (and
    printed its partial-run warnings); otherwise it is read here and the warnings printed.
    Returns the result; writes it (results JSON plus ``.samples.jsonl``, atomically) when
    ``config.write_results`` and ``output_dir`` are set.
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

    batch_size = config.batch_size or spec.batch_size or DEFAULT_BATCH_SIZE
    task_obj: TaskType = task_cls(spec, split, adapter.capabilities)
    skipped: list[dict[str, str]] = []
    from mmbench import timing

    timing.reset_peak_memory(adapter.device)
    if config.score:
        task_obj.prepare_scoring()
    outputs, stage_timings = run_stages(task_obj, adapter, split.root, config, batch_size, skipped, spec.name)
    skipped_ids = frozenset(s["id"] for s in skipped)
    scored = task_obj.score(outputs, skipped_ids) if config.score else TaskScore({}, [], {"scoring": "skipped (timing run)"})
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
        timing=timing.combine_stages(stage_timings, device=adapter.device, dtype=adapter.dtype, batch_size=batch_size,
                                     warmup=config.warmup_batches, total_wall_s=total_wall, peak_memory_mb=peak_mb,
                                     memory_kind=memory_kind),
        errors={"skipped": skipped} if skipped else {},
        env=environment(),
        config=_config_record(config, batch_size),
        samples=scored.samples,
    )
    if config.write_results and config.output_dir is not None:
        path = write_result(result, config.output_dir)
        _write_artifacts(path, scored.artifacts)
    return result


# ---- the data a run evaluates ----------------------------------------------------------------------

@dataclass(frozen=True)
class TaskData:
    """A task's split as the run evaluates it (after ``--limit``) and how much of the benchmark it covers."""

    split: DataSplit
    coverage: Coverage


def load_task_data(spec: TaskSpec, config: RunConfig) -> TaskData:
    """Read the task's split and apply ``--limit``; no model needed (``mmbench run`` calls it first)."""
    from mmbench.data import load_split

    if config.limit is not None and config.limit < 1:
        raise UserError(f"--limit must be positive, got {config.limit}")
    split = load_split(spec.data, config.data_dir)
    coverage = Coverage(spec.name, len(split.samples), expected_count(spec.data, spec.source), config.limit)
    if coverage.limited:
        split = dataclasses.replace(split, samples=list(split.samples)[: coverage.evaluated])
    if not split.samples:
        raise DataError(f"{spec.name}: the data split has no samples ({spec.source})")
    return TaskData(split, coverage)


def print_partial_warnings(coverage: Coverage) -> None:
    """One line on stderr per reason a run will be partial (the words ``mmbench data check`` uses)."""
    for line in coverage.warnings():
        print(f"warning: {line}", file=sys.stderr)


# ---- the stage and batch loops ----------------------------------------------------------------------

def run_stages(task: TaskType, adapter: Any, root: Path, config: RunConfig, batch_size: int,
               skipped: list[dict[str, str]], label: str) -> tuple[dict[str, list[Any]], list[Any]]:
    """Ask the task for stages until it has none left; returns every stage's outputs and timings.

    Unreadable items are appended to ``skipped`` (``--on-error skip``); the task sees their ids."""
    import torch

    outputs: dict[str, list[Any]] = {}
    stage_timings = []
    with torch.inference_mode():
        while stages := task.next_stages(outputs, frozenset(s["id"] for s in skipped)):
            for stage in stages:
                if stage.name in outputs:
                    raise RuntimeError(f"task type {task.type_name!r} returned stage {stage.name!r} twice")
                outputs[stage.name], stage_timing = run_stage(stage, adapter, root, config, batch_size, skipped, label)
                stage_timings.append(stage_timing)
    return outputs, stage_timings


def run_stage(stage: Stage, adapter: Any, root: Path, config: RunConfig, batch_size: int,
              skipped: list[dict[str, str]], label: str) -> tuple[list[Any], Any]:
    """Run one stage over all its items in batches; returns per-item outputs and the stage timing."""
    from mmbench import timing

    outputs: list[Any] = [None] * len(stage.items)
    timer = timing.BatchTimer(stage.name, adapter.device, config.warmup_batches)
    bar = _progress(len(stage.items), f"{label}:{stage.name}", config)
    try:
        for indices, inputs in _batches(stage, adapter, root, config, batch_size, skipped):
            items = [stage.items[i] for i in indices]
            t0 = time.perf_counter()
            result = stage.step(adapter, inputs, items)
            timing.synchronize(adapter.device)
            seconds = time.perf_counter() - t0
            rows = _rows(result, len(indices), adapter, stage.name)
            for i, row in zip(indices, rows):
                outputs[i] = row
            tokens = adapter.count_tokens(rows) if stage.generative else 0
            timer.record(len(indices), seconds, tokens)
            bar.update(len(indices))
    finally:
        bar.close()
    return outputs, timer.finish()


def _batches(stage: Stage, adapter: Any, root: Path, config: RunConfig, batch_size: int,
             skipped: list[dict[str, str]]) -> Any:
    """Yield (item indices, model-ready batch). Images are decoded in worker processes."""
    if stage.kind == "texts":
        for start in range(0, len(stage.items), batch_size):
            indices = list(range(start, min(start + batch_size, len(stage.items))))
            yield indices, [stage.items[i] for i in indices]
        return
    from torch.utils.data import DataLoader

    dataset = ImageItems(stage.items, root, adapter.image_transform())
    workers = _num_workers(config, len(stage.items), batch_size)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers, collate_fn=_as_list,
                        worker_init_fn=_single_thread_worker if workers else None,
                        prefetch_factor=4 if workers else None, persistent_workers=False)
    for batch in loader:
        indices, values = [], []
        for index, value, error in batch:
            if error is None:
                indices.append(index)
                values.append(value)
            elif config.on_error == "fail":
                raise DataError(f"{error} (use --on-error skip to skip unreadable images; they are then listed in the results)")
            else:
                item = stage.items[index]
                skipped.append({"id": str(getattr(item, "id", index)), "image": str(getattr(item, "image", "")), "error": error})
        if indices:
            yield indices, to_device(adapter.collate_images(values), adapter.device)


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


def _num_workers(config: RunConfig, n_items: int, batch_size: int) -> int:
    if config.num_workers is not None:
        return max(0, config.num_workers)
    if n_items <= batch_size:
        return 0
    return min(4, max(1, (os.cpu_count() or 2) - 1))


def _rows(result: Any, expected: int, adapter: Any, stage: str) -> list[Any]:
    """A step's result as one entry per item: tensors become float32 numpy rows."""
    if hasattr(result, "detach"):
        result = result.detach().float().cpu().numpy()
    rows = list(result)
    if len(rows) != expected:
        raise RuntimeError(f"adapter {adapter.spec or adapter.adapter_name} returned {len(rows)} outputs for {expected} inputs in stage {stage!r}")
    return rows


# ---- set-up helpers ---------------------------------------------------------------------------------

def _task_type(spec: TaskSpec) -> type[TaskType]:
    load_task_types()
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


def _config_record(config: RunConfig, batch_size: int) -> dict[str, Any]:
    record = dataclasses.asdict(config)
    record["batch_size"] = batch_size
    for key in ("output_dir", "data_dir"):
        record[key] = str(record[key]) if record[key] is not None else None
    return record


def _write_artifacts(result_path: Path, artifacts: dict[str, Any]) -> None:
    from mmbench.jsonio import atomic_write_json

    stem = result_path.name[: -len(".json")]
    for suffix, content in artifacts.items():
        atomic_write_json(result_path.with_name(f"{stem}.{suffix}"), content)

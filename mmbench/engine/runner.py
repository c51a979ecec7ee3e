"""``evaluate(task, model, config) -> RunResult``: one evaluation from task and model to result file.

:func:`evaluate` checks capabilities before any data is read, reads the task's data
(:func:`load_task_data`), runs the task's stages (:mod:`mmbench.engine.stage_runner`: prediction store,
sharding over ranks, the only loop over batches), scores on rank 0 and writes the result. Batches
are loaded by :mod:`mmbench.engine.image_batches` and executed by :mod:`mmbench.engine.execution`; the store key
comes from :mod:`mmbench.engine.store_context`.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Any

from mmbench.engine import distributed
from mmbench.data.completeness import Coverage, expected_count
from mmbench.data.split import DataSplit
from mmbench.errors import CapabilityError, DataError, UserError
from mmbench.registry import task_types
from mmbench.results import RunResult, write_result
from mmbench.engine.stage_runner import StageRunner, crash_point, run_stages
from mmbench.engine.store_context import store_context
from mmbench.tasks.base import TaskScore, TaskType
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
    ``config.output_dir`` is set (None: nothing is written). In a torch.distributed job every rank
    computes its share; only rank 0 scores and writes (the other ranks return a result without
    metrics). As on the command line, third-party progress bars (transformers' weight loading, hub
    downloads, datasets) are turned off for the process unless ``progress=True``; the prediction
    store is used only when ``store`` names one (the CLI's ``run`` passes its default).
    """
    config = dataclasses.replace(config or RunConfig(), **overrides)
    from mmbench.console import quiet_library_progress

    quiet_library_progress(config.progress)
    started = time.perf_counter()
    spec = task if isinstance(task, TaskSpec) else load_task_spec(task)
    task_cls = _task_type(spec)
    from mmbench.tasks.metric_options import apply_metric_args

    spec = apply_metric_args(spec, task_cls, config.metric_args)  # a no-op when preflight merged them already
    adapter = _load_adapter(model, config)
    config = dataclasses.replace(config, device=adapter.device)  # "auto" resolved, as recorded
    _check_capabilities(task_cls, spec, adapter)

    from mmbench.data import data_fingerprint

    if data is None:
        data = load_task_data(spec, config)
        print_partial_warnings(data.coverage)
    from mmbench.measure.startup import resume_collection

    resume_collection()  # the model and the data are loaded: collect cycles again (if the CLI paused it)
    split = data.split
    _seed_everything(config.seed)

    group = distributed.current()
    batch_size = config.batch_size or spec.batch_size or DEFAULT_BATCH_SIZE
    task_obj: TaskType = task_cls(spec, split, adapter.capabilities, adapter.prompt_style)
    from mmbench.measure import timing

    timing.reset_peak_memory(adapter.device)
    scoring = config.score and group.is_main
    if scoring:
        task_obj.prepare_scoring()
    runner = StageRunner(adapter, split.root, config, batch_size, spec.name, group,
                         store_context(spec, data.full_fingerprint, adapter, config))
    judge = _load_judge(task_cls, spec, config)
    if judge is not None:
        runner.judge, runner.judge_context = judge, judge_context(spec, judge, config)
    try:
        outputs = run_stages(task_obj, runner)
    finally:
        runner.close()
    skipped_ids = frozenset(s["id"] for s in runner.skipped)
    scoring_started = time.perf_counter()
    if scoring:
        crash_point("scoring")
        scored = task_obj.score(outputs, skipped_ids)
        _add_prompts(scored.samples, runner.prompts, task_obj.generation)
    else:
        note = "skipped (timing run)" if not config.score else f"computed on rank 0 (this is rank {group.rank})"
        scored = TaskScore({}, [], {"scoring": note})
    metric_s = time.perf_counter() - scoring_started if scoring else None
    peak_mb, memory_kind = timing.peak_memory(adapter.device)
    total_wall = time.perf_counter() - started

    from mmbench.env import environment

    served = runner.answer_records_by_id()
    for record in scored.samples if served else []:  # what the server said it ran, per answer
        if str(record.get("id")) in served:
            record["served"] = served[str(record.get("id"))]
    coverage = data.coverage.with_skipped(len(skipped_ids))
    judge_record = judge_identity(judge, spec) if judge is not None else None
    result = RunResult(
        task={"name": spec.name, "type": spec.type, "version": spec.version, "arguments": spec.arguments(),
              "data_fingerprint": data_fingerprint(split), "num_samples": len(split.samples),
              "num_scored": coverage.scored, **coverage.record(), "source": spec.source,
              **({"judge": judge_record} if judge_record else {})},
        model=adapter.describe(),
        metrics=scored.metrics,
        metric_notes={**scored.notes, **coverage.note()},
        timing=_with_requests(runner.timing_section(total_wall_s=total_wall, peak_memory=(peak_mb, memory_kind), metric_s=metric_s),
                              adapter, judge),
        errors={"skipped": runner.skipped} if runner.skipped else {},
        env=environment(),
        config=_config_record(config, batch_size, group, adapter),
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
    missing = sorted(c.value for c in task_cls.required_for(spec.metrics) - adapter.capabilities)
    if missing:
        name = adapter.spec or adapter.adapter_name
        raise CapabilityError(f"model {name} cannot run {spec.name} ({spec.type}): it has no {', '.join(missing)}")


def _add_prompts(records: list[dict[str, Any]], prompts: dict[str, str], generation: Any) -> None:
    """Each generated sample's record keeps the text the model was given and the generation
    settings, so a surprising answer can be traced."""
    if not prompts:
        return
    settings = dataclasses.asdict(generation)
    for record in records:
        prompt = prompts.get(str(record.get("id")))
        if prompt is not None and not record.get("skipped"):
            record["prompt"] = prompt
            record.setdefault("generation", settings)  # a record may say it generated nothing (None: options scored)


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _load_judge(task_cls: type[TaskType], spec: TaskSpec, config: RunConfig) -> Any:
    """The ``--judge`` adapter for a task type that uses one (None otherwise); a judged task without
    ``--judge`` is stopped by the preflight, and here too for API callers."""
    if not task_cls.uses_judge(spec.metrics):
        return None
    if not config.judge:
        raise UserError(f"{spec.name} is graded by a judge model: pass --judge SPEC (e.g. --judge openai:gpt-4o-mini)")
    from mmbench.models.spec import load_model

    judge = load_model(config.judge, device=config.device, dtype=config.dtype, **config.judge_args)
    missing = "generate" not in {c.value for c in judge.capabilities}
    if missing:
        raise UserError(f"--judge {config.judge}: the judge must generate text (it offers {', '.join(sorted(c.value for c in judge.capabilities))})")
    return judge


def judge_context(spec: TaskSpec, judge: Any, config: RunConfig) -> dict[str, Any]:
    """The store key of judge stages: the judge (not the model evaluated: the judge's input holds the
    answer it grades), its options and the task's judge prompt version."""
    from mmbench import __version__

    described = {k: v for k, v in judge.describe().items() if k not in ("spec", "checkpoint", "device")}
    return {"mmbench": __version__, "judge": described, "judge_args": judge.store_model_args(dict(config.judge_args)),
            "task": {"name": spec.name, "type": spec.type, "version": spec.version,
                     "judge_prompt_version": judge_prompt_version(spec)}}


def judge_identity(judge: Any, spec: TaskSpec) -> dict[str, Any]:
    """What a result records of its judge (and ``compare`` matches on): spec, served model name, fingerprint, prompt version."""
    return {"spec": judge.spec, "served_model": getattr(judge, "served_model", None), "fingerprint": judge.fingerprint,
            "prompt_version": judge_prompt_version(spec)}


def judge_prompt_version(spec: TaskSpec) -> Any:
    """The task file's ``metrics.judge_prompt_version``, else the task type's built-in judge prompt's version."""
    task_cls = task_types.get(spec.type)
    return spec.metrics.get("judge_prompt_version") or getattr(task_cls, "judge_prompt_version", None)


def _with_requests(section: dict[str, Any], adapter: Any, judge: Any = None) -> dict[str, Any]:
    """A served model's request statistics (requests/s, latencies, retries, usage, cost) in
    ``timing.requests``; a served judge's in ``timing.judge_requests``."""
    for key, model in (("requests", adapter), ("judge_requests", judge)):
        summary = getattr(model, "request_summary", None)
        if summary is not None:
            section[key] = summary()
    return section


def _config_record(config: RunConfig, batch_size: int, group: distributed.Group, adapter: Any) -> dict[str, Any]:
    record = dataclasses.asdict(config)
    record["model_args"] = adapter.public_model_args(dict(config.model_args))  # e.g. a base URL without credentials
    if config.judge_args.get("base_url"):
        from mmbench.models.api.options import public_url

        record["judge_args"] = {**config.judge_args, "base_url": public_url(str(config.judge_args["base_url"]))}
    record["batch_size"] = batch_size
    for key in ("output_dir", "data_dir"):
        record[key] = str(record[key]) if record[key] is not None else None
    record["store"] = Path(config.store).name if config.store is not None else None  # no machine path in results
    record["processes"] = group.world_size
    return record


def _write_artifacts(result_path: Path, artifacts: dict[str, Any]) -> None:
    from mmbench.jsonio import atomic_write_json

    stem = result_path.name[: -len(".json")]
    for suffix, content in artifacts.items():
        atomic_write_json(result_path.with_name(f"{stem}.{suffix}"), content)

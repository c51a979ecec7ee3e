"""Checks that run before any model loads: a mistake costs seconds, not a 7B model's loading time.

:func:`check_run` validates everything a ``run``/``bench``/``demo`` command can check without the
model, for every task and model of the command, and reports every problem at once (one line
each, exit status 2):

- option values (batch size, limit, workers, dtype) and ``--data-dir`` (it must exist);
- the device: is it one this torch build has (torch is imported only for a non-CPU device);
- each model spec: a known adapter kind; its ``--model-arg`` values against the options the kind
  declares (unknown keys with a "did you mean", values of the wrong type: the same wording for every
  kind); a checkpoint location that exists (a local folder, or a hub id in the local cache when
  offline); its capabilities where the kind tells them;
- each task: its name or file, its type, its ``--metric-arg`` values against the metric options
  the type declares (:mod:`mmbench.tasks.metric_options`), the capabilities it needs against each model, and its
  data files (what ``mmbench data path`` lists), bundled datasets being generated here if needed.

Nothing here imports torch or transformers for a CPU run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from mmbench.errors import UserError
from mmbench.tasks.metric_options import apply_metric_args
from mmbench.models.checkpoint import DTYPE_NAMES
from mmbench.types import Capability, RunConfig
GPU_INSTALL_HINT = 'install a PyTorch build with GPU support: see "GPU install" in the README'
# Adapter kinds whose location is a checkpoint (a local folder or a hub id).
CHECKPOINT_KINDS = ("hf", "clip", "blip", "llava")


class PreflightError(UserError):
    """One or more problems found before loading the model; the message has one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ModelCheck:
    spec: str
    capabilities: frozenset[Capability] | None  # None: only known once the model is loaded


def check_run(tasks: Sequence[str], models: Sequence[str], config: RunConfig, problems: Sequence[str] = ()) -> list[Any]:
    """Validate a command's tasks, models and options; returns the loaded TaskSpecs in order.

    Raises :class:`PreflightError` listing every problem found, after ``problems`` the caller found.
    """
    problems = list(problems) + option_problems(config)
    problems += device_problems(config.device)
    checked_models = []
    for spec in models:
        model, model_problems = check_model(spec, config.model_args, dtype=config.dtype, device=config.device)
        problems += model_problems
        checked_models.append(model)
    specs = []
    data_dir_ok = config.data_dir is None or Path(config.data_dir).expanduser().is_dir()
    for name in tasks:
        task, task_problems = check_task(name, checked_models, config, check_data=data_dir_ok)
        problems += task_problems
        specs.append(task)
    if problems:
        raise PreflightError(_unique(problems))
    return specs


# ---- options -----------------------------------------------------------------------------------------

def option_problems(config: RunConfig) -> list[str]:
    problems = []
    for name, value, minimum in (("--batch-size", config.batch_size, 1), ("--limit", config.limit, 1),
                                 ("--num-workers", config.num_workers, 0)):
        if isinstance(value, int) and value < minimum:  # --batch-size may be "auto"
            problems.append(f"{name} must be at least {minimum}, got {value}")
    if config.dtype not in DTYPE_NAMES:
        problems.append(f"dtype {config.dtype!r} is not one of {', '.join(DTYPE_NAMES)}")
    if config.data_dir is not None and not Path(config.data_dir).expanduser().is_dir():
        problems.append(f"--data-dir {config.data_dir}: no such folder; pass the folder that holds the datasets "
                        f"(e.g. coco/, vqav2/), or leave it out for the default data root")
    return problems


# ---- device ------------------------------------------------------------------------------------------

def device_problems(device: str) -> list[str]:
    """Problems with ``--device``; imports torch only for a non-CPU device."""
    kind, sep, index = device.partition(":")
    if device in ("cpu", "auto"):
        return []
    if kind not in ("cuda", "mps") or (sep and not index.isdigit()) or (kind == "mps" and sep):
        return [f"--device {device!r}: expected cpu, cuda, cuda:N or mps"]
    import torch

    available = available_devices()
    if kind == "cuda":
        if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
            return [f"--device {device}: this PyTorch build ({torch.__version__}) has no CUDA support; "
                    f"devices here: {', '.join(available)}; {GPU_INSTALL_HINT}"]
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            return [f"--device {device}: this PyTorch build has CUDA but sees no GPU (driver, CUDA_VISIBLE_DEVICES?); "
                    f"devices here: {', '.join(available)}"]
        if sep and int(index) >= count:
            return [f"--device {device}: only {count} GPU(s) visible; devices here: {', '.join(available)}"]
        return []
    if not torch.backends.mps.is_available():
        built = torch.backends.mps.is_built()
        why = "has no MPS support (Apple silicon only)" if not built else "has MPS but it is not available on this machine"
        return [f"--device mps: this PyTorch build ({torch.__version__}) {why}; devices here: {', '.join(available)}; "
                f"{GPU_INSTALL_HINT}"]
    return []


def available_devices() -> list[str]:
    """The devices this torch build can use here, e.g. ``["cpu", "cuda:0 (NVIDIA H200)"]``."""
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


# ---- models ------------------------------------------------------------------------------------------

def check_model(spec: str, model_args: dict[str, Any], *, dtype: str = "float32",
                device: str = "cpu") -> tuple[ModelCheck, list[str]]:
    """The model's capabilities where its spec tells them, and the problems found with the spec.

    Capabilities come from the adapter class (``capabilities_for``: a family's, by the checkpoint's
    config.json); a plugin factory's are known only once it has loaded. An ``hf:`` checkpoint found
    here has its weights' memory in ``dtype`` checked against the free memory of ``device``
    (:mod:`mmbench.models.memory`; ``--device auto`` is resolved only where torch is loaded already,
    else the adapter checks once it has resolved it, still before any weights load)."""
    from mmbench.models.bundled import bundled_path
    from mmbench.models.spec import is_adapter_class, parse_model_spec
    from mmbench.registry import models

    try:
        kind, location = parse_model_spec(spec)
        entry = models.entry(kind)
        target = entry.load()
        info = dict(entry.info)
        checkpoint = bundled_path(info["bundled"]) if "bundled" in info else None
    except UserError as e:
        return ModelCheck(spec, None), [f"--model {spec}: {e}" if spec.strip() else str(e)]
    if not is_adapter_class(target):
        return ModelCheck(spec, None), []
    options = target.options_class
    problems = [f"--model {spec}: {p}" for p in options.problems(model_args)] if options is not None else []
    if not problems:  # a served model: one request to its endpoint (no retries)
        problems = [f"--model {spec}: {p}" for p in target.endpoint_problems(location, model_args)]
    if kind not in CHECKPOINT_KINDS:
        return ModelCheck(spec, target.capabilities_for(checkpoint)), problems
    if not location:
        return ModelCheck(spec, None), problems + [f"--model {spec}: {kind}: needs a checkpoint, {kind}:<local folder or hub id>"]
    try:
        checkpoint = _local_checkpoint(location, model_args.get("revision"))
    except UserError as e:
        return ModelCheck(spec, None), problems + [f"--model {spec}: {e}"]
    if checkpoint is not None and not problems and hasattr(target, "checkpoint_problems"):
        problems += [f"--model {spec}: {p}" for p in target.checkpoint_problems(checkpoint, model_args)]
    if checkpoint is not None and kind == "hf" and not problems:
        problems += _memory_problems(checkpoint, model_args, dtype, device)
    if checkpoint is None or "family" in model_args:
        return ModelCheck(spec, None), problems
    return ModelCheck(spec, target.capabilities_for(checkpoint)), problems


def _memory_problems(checkpoint: Path, model_args: dict[str, Any], dtype: str, device: str) -> list[str]:
    """The weights-versus-free-memory line for an ``hf:`` checkpoint (see :func:`check_model`)."""
    import sys

    from mmbench.models.checkpoint import DTYPE_NAMES
    from mmbench.models.hf.common import HFOptions
    from mmbench.models.memory import memory_problem

    if dtype not in DTYPE_NAMES or (device == "auto" and "torch" not in sys.modules):
        return []
    if device == "auto":
        from mmbench.measure.devices import resolve_device

        device = resolve_device(device)
    options = HFOptions.parse(model_args, device=device, dtype=dtype)
    if not options.check_memory:
        return []
    problem = memory_problem(checkpoint, dtype, device, options.device_map)
    return [problem] if problem else []


def _local_checkpoint(location: str, revision: str | None) -> Path | None:
    """The checkpoint folder when it can be found without a download (else None); errors for bad paths."""
    from mmbench.models.checkpoint import resolve_checkpoint

    path = Path(location).expanduser()
    offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes"}
    if path.is_dir() or path.exists() or location.startswith((".", "/", "~")) or location.count("/") > 1 or offline:
        return resolve_checkpoint(location, revision)
    return _cached_hub_checkpoint(location, revision)


def _cached_hub_checkpoint(repo_id: str, revision: str | None) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    return Path(found).parent if isinstance(found, str) else None



# ---- tasks -------------------------------------------------------------------------------------------

def expand_task_groups(names: Sequence[str]) -> tuple[list[str], list[Any], list[str]]:
    """(member task names, group specs, problems): every ``--task`` expanded on its own, so that one
    bad name does not hide the others."""
    from mmbench.engine.groups import expand_groups

    tasks: list[str] = []
    groups: list[Any] = []
    problems: list[str] = []
    for name in names:
        try:
            members, found = expand_groups([name])
        except UserError as e:
            problems.append(str(e))
            continue
        tasks += [t for t in members if t not in tasks]
        groups += found
    return tasks, groups, problems


def check_task(name: str, models: Sequence[ModelCheck], config: RunConfig, *, check_data: bool = True) -> tuple[Any, list[str]]:
    """(TaskSpec or None, problems) for one ``--task`` value."""
    from mmbench.registry import task_types
    from mmbench.tasks.spec import load_task_spec

    try:
        spec = load_task_spec(name)
    except UserError as e:
        return None, [str(e)]
    try:
        task_cls = task_types.get(spec.type)
    except UserError as e:
        return spec, [f"{spec.source or spec.name}: {e}"]
    try:  # --metric-arg: checked against the options the task type declares, merged over metrics:
        spec = apply_metric_args(spec, task_cls, config.metric_args)
    except UserError as e:
        return spec, [str(e)]
    problems = []
    for model in models:
        missing = sorted(c.value for c in task_cls.required_for(spec.metrics) - model.capabilities) if model.capabilities is not None else []
        if missing:
            problems.append(f"model {model.spec} cannot run {spec.name} ({spec.type}): it has no {', '.join(missing)}")
    problems += judge_problems(spec, task_cls, config)
    if check_data:
        problems += data_problems(spec, config.data_dir)
    return spec, problems


def judge_problems(spec: Any, task_cls: Any, config: RunConfig) -> list[str]:
    """A judged task needs ``--judge``; the judge's spec and ``--judge-arg`` options are checked as
    a model's are (for a served judge: one request to its endpoint)."""
    if not task_cls.uses_judge(spec.metrics):
        return []
    if not config.judge:
        return [f"{spec.name} is graded by a judge model: pass --judge SPEC (e.g. --judge openai:gpt-4o-mini, "
                f"or any model spec that generates text)"]
    _, problems = check_model(config.judge, config.judge_args)
    return [p.replace(f"--model {config.judge}:", f"--judge {config.judge}:", 1) for p in problems]


def data_problems(spec: Any, data_dir: Path | None) -> list[str]:
    """Missing data files of a task, as ``mmbench data path`` lists them (one line each)."""
    from mmbench.data.formats import expected_files

    try:
        source, files = expected_files(spec.data, data_dir)
    except UserError as e:
        return [f"{spec.name}: {e}"]
    return [f"{spec.name}: {source.missing(path, what)}" for what, path in files if not path.exists()]


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))

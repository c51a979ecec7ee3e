"""Declarative task files: a benchmark is a task type plus data, prompt, generation settings,
metric options and a version. Built-in files live in the top-level ``tasks/`` folder (shipped in
the wheel as ``mmbench.task_files``); ``--task`` also takes a path to a user's own YAML file, and
plugins add tasks through the ``mmbench.tasks`` entry-point group (value: a path-returning
callable or a module whose folder holds ``*.yaml``).

A task file's optional ``hub`` section names a Hugging Face copy of its data
(:mod:`mmbench.data.hub`); the task name ``<task>@hf`` (``mmbench run --data hf``) reads it
instead of the official files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmbench.data.completeness import expected_count
from mmbench.data.hub import HUB, SEPARATOR, SOURCES, hub_data, hub_metrics, parse_hub, split_name
from mmbench.errors import UserError
from mmbench.registry import tasks as task_registry, unknown_name_message

REQUIRED_KEYS = ("name", "type", "version", "data")
KNOWN_KEYS = {"name", "type", "version", "description", "data", "hub", "prompt", "system", "generation", "metrics",
              "batch_size", "output"}
# A task group names other tasks instead of data: ``group: [task, ...]`` (see mmbench.groups).
GROUP_TYPE = "group"
GROUP_REQUIRED_KEYS = ("name", "version", "group")
GROUP_KEYS = {"name", "type", "version", "description", "group", "aggregate"}
AGGREGATES = ("mean",)  # mean of the members' main metrics


@dataclass(frozen=True)
class TaskSpec:
    """One benchmark definition, as read from its YAML file."""

    name: str
    type: str
    version: str
    data: dict[str, Any]
    description: str = ""
    prompt: str | dict[str, str] | None = None  # a template, or {instruction: ..., plain: ...}
    system: str = ""  # a system message opening every conversation ("" : none, the reference protocols' default)
    generation: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)  # metric options (normalization, ks, rerank_k ...)
    output: dict[str, Any] = field(default_factory=dict)  # extra artefacts (e.g. {"submission": "evalai"})
    batch_size: int | None = None
    source: str = ""  # where the spec came from
    group: tuple[str, ...] = ()  # a task group's members (type "group", no data)
    aggregate: str = ""  # a task group's aggregation of its members' main metrics
    hub: dict[str, Any] | None = None  # the task file's hub source (mmbench.data.hub), None without one
    data_source: str = "official"  # which of the two ``data`` holds: "official" or "hf" (the hub section)

    def arguments(self) -> dict[str, Any]:
        """Everything that defines the benchmark, for results files and cache keys."""
        if self.group:
            return {"type": self.type, "group": list(self.group), "aggregate": self.aggregate}
        arguments = {"type": self.type, "data": self.data, "prompt": self.prompt, "generation": self.generation,
                     "metrics": self.metrics, "output": self.output}
        if self.system:  # only when set, so results written before the key existed still match
            arguments["system"] = self.system
        return arguments


def parse_task_spec(raw: Any, source: str) -> TaskSpec:
    if not isinstance(raw, dict):
        raise UserError(f"{source}: a task file must be a YAML mapping with keys {', '.join(REQUIRED_KEYS)}")
    if "group" in raw:
        return _parse_group(raw, source)
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise UserError(f"{source}: task file lacks required key(s) {', '.join(missing)}")
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise UserError(f"{source}: unknown key(s) {', '.join(unknown)} in task file (known: {', '.join(sorted(KNOWN_KEYS))})")
    if raw.get("prompt") is not None and not isinstance(raw["prompt"], (str, dict)):
        raise UserError(f"{source}: 'prompt' must be a string or a mapping of prompt style -> template")
    if raw.get("system") is not None and not isinstance(raw["system"], str):
        raise UserError(f"{source}: 'system' must be a string (a system message opening every conversation)")
    for key in ("data", "generation", "metrics", "output"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            raise UserError(f"{source}: {key!r} must be a mapping")
    expected_count(raw["data"], source)
    hub = parse_hub(raw["hub"], source) if raw.get("hub") is not None else None
    if hub is not None:
        expected_count(hub, f"{source} (hub)")
    batch_size = raw.get("batch_size")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise UserError(f"{source}: batch_size must be a positive integer")
    return TaskSpec(
        name=str(raw["name"]), type=str(raw["type"]), version=str(raw["version"]), data=dict(raw["data"]),
        description=str(raw.get("description") or ""), prompt=raw.get("prompt"), system=str(raw.get("system") or ""),
        generation=dict(raw.get("generation") or {}), metrics=dict(raw.get("metrics") or {}),
        output=dict(raw.get("output") or {}), batch_size=batch_size, source=source, hub=hub,
    )


def _parse_group(raw: dict[str, Any], source: str) -> TaskSpec:
    missing = [k for k in GROUP_REQUIRED_KEYS if k not in raw]
    if missing:
        raise UserError(f"{source}: task group lacks required key(s) {', '.join(missing)}")
    unknown = sorted(set(raw) - GROUP_KEYS)
    if unknown:
        raise UserError(f"{source}: unknown key(s) {', '.join(unknown)} in a task group (known: {', '.join(sorted(GROUP_KEYS))})")
    members = raw["group"]
    if not isinstance(members, list) or not members or not all(isinstance(m, str) and m for m in members):
        raise UserError(f"{source}: 'group' must be a non-empty list of task names or task file paths")
    if len(set(members)) != len(members):
        raise UserError(f"{source}: 'group' names a task twice")
    if raw.get("type", GROUP_TYPE) != GROUP_TYPE:
        raise UserError(f"{source}: a task file with 'group' has type {GROUP_TYPE} (or none), not {raw['type']!r}")
    aggregate = str(raw.get("aggregate", "mean"))
    if aggregate not in AGGREGATES:
        raise UserError(f"{source}: aggregate must be one of {', '.join(AGGREGATES)} (the mean of the members' main metrics)")
    return TaskSpec(name=str(raw["name"]), type=GROUP_TYPE, version=str(raw["version"]), data={},
                    description=str(raw.get("description") or ""), source=source, group=tuple(members), aggregate=aggregate)


def read_task_file(path: Path) -> TaskSpec:
    import yaml

    if not path.is_file():
        raise UserError(f"{path}: task file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}: malformed YAML{where}: {getattr(e, 'problem', e)}") from None
    return parse_task_spec(raw, str(path))


def builtin_task_dir() -> Path:
    """The shipped task files: the source checkout's ``tasks/`` when this package runs from one
    (so a second checkout, e.g. a git worktree, reads its own files, not those of the checkout the
    editable install points at), else the wheel's ``mmbench.task_files``."""
    from importlib import resources

    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "tasks").is_dir():
        return checkout / "tasks"
    try:
        return Path(str(resources.files("mmbench.task_files")))
    except ModuleNotFoundError:  # running from a source tree that was not installed
        return Path(__file__).resolve().parents[2] / "tasks"


def builtin_task_files() -> dict[str, str]:
    """The task registry's built-in table: every task file shipped in tasks/, by name."""
    return {path.stem: str(path) for path in sorted(builtin_task_dir().glob("*.yaml"))}


def select_data_source(spec: TaskSpec, data_source: str) -> TaskSpec:
    """``spec`` reading ``data_source``: "official" (its ``data``) or "hf" (its ``hub`` section)."""
    if data_source not in SOURCES:
        raise UserError(f"{spec.name}: unknown data source {data_source!r} (known: {', '.join(SOURCES)}; "
                        f"e.g. {spec.name}{SEPARATOR}{HUB})")
    if data_source == "official" or spec.data_source == data_source:
        return spec
    if spec.group:
        raise UserError(f"{spec.name} is a task group: --data {data_source} applies to its members, not to the group")
    if spec.hub is None:
        raise UserError(f"{spec.name}: no hub source (the task file has no 'hub' section); run it without "
                        f"--data {HUB} / {SEPARATOR}{HUB} on the official files (`mmbench data path {spec.name}`)")
    return dataclasses.replace(spec, data=hub_data(spec.hub), metrics=hub_metrics(spec.metrics, spec.hub),
                               data_source=data_source)


def load_task_spec(name_or_path: str | Path) -> TaskSpec:
    """A registered task name, or a path to a YAML task file; ``<either>@hf`` reads its hub source."""
    text = str(name_or_path)
    base, data_source = split_name(text)
    if data_source is not None and not Path(text).is_file():
        return select_data_source(load_task_spec(base), data_source)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return read_task_file(Path(text))
    if text not in task_registry:
        raise UserError(unknown_name_message("task", text, task_registry.names()) + "; or pass a path to a task .yaml file")
    entry = task_registry.entry(text)
    target = entry.target
    if isinstance(target, str) and target.endswith((".yaml", ".yml")):
        return read_task_file(Path(target))
    obj = entry.load()
    value = obj() if callable(obj) else obj
    if isinstance(value, TaskSpec):
        return value
    if isinstance(value, (str, Path)):
        return read_task_file(Path(value))
    return parse_task_spec(value, f"plugin task {text!r}")


def all_task_specs() -> list[TaskSpec]:
    return [load_task_spec(name) for name in task_registry.names()]

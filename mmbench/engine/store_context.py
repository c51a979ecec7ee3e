"""The prediction store's keys: :func:`store_context` is everything that determines a stage's
outputs except the stage and the item; :func:`stage_context` adds the stage (a stage shared by
every task, such as image embeddings, leaves the task out)."""

from __future__ import annotations

import dataclasses
from typing import Any

from mmbench.tasks.base import Stage
from mmbench.tasks.spec import TaskSpec
from mmbench.types import RunConfig


def store_context(spec: TaskSpec, data_fingerprint: str, adapter: Any, config: RunConfig) -> dict[str, Any]:
    """Everything that determines a stage's outputs except the stage and the item: the model
    (fingerprint, description, preprocessing, options, device kind), the task (name, version, data,
    prompt, generation) and the mmbench version. Not batch size, process count or output folder."""
    from mmbench import __version__

    model = {k: v for k, v in adapter.describe().items() if k not in ("spec", "checkpoint", "device")}
    return {
        "mmbench": __version__,
        "model": model,
        "model_args": adapter.store_model_args(dict(config.model_args)),
        "preprocessing": describe_transform(adapter.image_transform()),
        "device_type": str(adapter.device).split(":")[0],
        "task": {"name": spec.name, "type": spec.type, "version": spec.version, "data_fingerprint": data_fingerprint,
                 "prompt": spec.prompt, "generation": spec.generation},
    }


def describe_transform(transform: Any) -> dict[str, Any]:
    """A transform's class and, for a dataclass (every built-in one), its fields: the store key's
    preprocessing part. Other objects contribute their class only (no reprs with addresses)."""
    cls = type(transform)
    settings = dataclasses.asdict(transform) if dataclasses.is_dataclass(transform) and not isinstance(transform, type) else {}
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "settings": settings}


def stage_context(run_context: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """The store key of one stage's outputs: the run's context plus the stage."""
    if stage.shared_as:  # outputs that depend on the model and the item only: shared by every task
        model_only = {k: v for k, v in run_context.items() if k != "task"}
        return {**model_only, "stage": f"shared:{stage.shared_as}", "stage_kind": stage.kind}
    return {**run_context, "stage": stage.name, "stage_kind": stage.kind}

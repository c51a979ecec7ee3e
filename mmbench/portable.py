"""Portable result files: no absolute path of the machine that wrote them.

Applied to every result as it is written (:meth:`mmbench.results.RunResult.to_dict`), so a
committed or shared result neither leaks local paths nor differs between machines:

- ``task.source``: a shipped task as ``mmbench:tasks/<name>.yaml``; another task file relative to
  the working directory when it lies below it, else its file name;
- ``model.checkpoint``: a bundled model as its name, a hub snapshot as ``<id>@<revision>``, any
  other local checkpoint as its folder name (``model.fingerprint`` identifies the weights); the
  same for the location in ``model.spec`` (``hf:/data/ckpt/my-model`` -> ``hf:my-model``);
- data roots not at all (``config.data_dir``, an absolute ``task.arguments.data.dir``): the data
  fingerprint identifies the data; other absolute data paths as their file names;
- ``config.output_dir`` relative to the working directory when below it, else left out;
- any other string that is an absolute path: its last component.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path, PurePath
from typing import Any

HUB_SNAPSHOT = re.compile(r"models--(?P<org>[^/\\]+?)--(?P<name>[^/\\]+)[/\\]snapshots[/\\](?P<rev>[0-9a-fA-F]+)")
DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def is_absolute_path(text: str) -> bool:
    """True for ``/x``, ``~/x``, ``C:\\x`` and ``\\\\server\\x`` (what a result file must not carry)."""
    return text.startswith(("/", "~", "\\\\")) or bool(DRIVE.match(text))


def _below(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def task_source(source: str) -> str:
    if not is_absolute_path(source):
        return source
    from mmbench.tasks.spec import builtin_task_dir

    path = Path(source)
    if _below(path, builtin_task_dir()) is not None:
        return f"mmbench:tasks/{path.name}"
    return _below(path, Path.cwd()) or path.name


def checkpoint(location: str) -> str:
    if not is_absolute_path(location):
        return location
    from mmbench.models.bundled import BUNDLED_DIR

    bundled = _below(Path(location), BUNDLED_DIR)
    if bundled is not None:
        return bundled
    hub = HUB_SNAPSHOT.search(location)
    if hub:
        return f"{hub['org']}/{hub['name']}@{hub['rev']}"
    return PurePath(location).name


def model_spec(spec: str) -> str:
    """``hf:/data/ckpt/my-model`` -> ``hf:my-model``; specs without an absolute location unchanged."""
    prefix, sep, location = spec.partition(":")
    return f"{prefix}:{checkpoint(location)}" if sep and is_absolute_path(location) else spec


def _last_component(value: Any) -> Any:
    if isinstance(value, str):
        return PurePath(value.replace("\\", "/")).name if is_absolute_path(value) else value
    if isinstance(value, dict):
        return {k: _last_component(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_last_component(v) for v in value]
    return value


def portable(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a result dict (as :meth:`RunResult.to_dict` builds it) without absolute paths."""
    out = copy.deepcopy(record)
    task, model, config = out.get("task") or {}, out.get("model") or {}, out.get("config") or {}
    if isinstance(task.get("source"), str):
        task["source"] = task_source(task["source"])
    if isinstance(model.get("checkpoint"), str):
        model["checkpoint"] = checkpoint(model["checkpoint"])
    if isinstance(model.get("spec"), str):
        model["spec"] = model_spec(model["spec"])
    data = (task.get("arguments") or {}).get("data") if isinstance(task.get("arguments"), dict) else None
    if isinstance(data, dict) and isinstance(data.get("dir"), str) and is_absolute_path(data["dir"]):
        data["dir"] = None
    if "data_dir" in config:
        config["data_dir"] = None
    if isinstance(config.get("output_dir"), str) and is_absolute_path(config["output_dir"]):
        config["output_dir"] = _below(Path(config["output_dir"]), Path(os.getcwd()))
    return _last_component(out)

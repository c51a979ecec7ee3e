"""Small validators that turn malformed annotation entries into one-line DataErrors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.errors import DataError


def require_list(obj: Any, key: str, path: Path) -> list[Any]:
    """``obj[key]`` as a list; ``obj`` must be a JSON object holding one."""
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a JSON object with a {key!r} list at the top, found {type(obj).__name__}")
    value = obj.get(key)
    if not isinstance(value, list):
        raise DataError(f"{path}: no {key!r} list at the top level (keys: {sorted(obj)[:8]}); is this the right file?")
    return value


def require(entry: Any, key: str, path: Path, where: str, kind: type | tuple[type, ...] = object) -> Any:
    """``entry[key]``, which must exist and be of ``kind``; ``where`` locates the entry for the message."""
    if not isinstance(entry, dict):
        raise DataError(f"{path}: {where} is not a JSON object")
    if key not in entry:
        raise DataError(f"{path}: {where} has no {key!r}")
    value = entry[key]
    if kind is not object and (not isinstance(value, kind) or isinstance(value, bool) and kind is not bool):
        raise DataError(f"{path}: {where} has {key!r} of type {type(value).__name__}, expected {_kind_name(kind)}")
    return value


def split_names(text: str) -> set[str]:
    """``"train+restval"`` -> ``{"train", "restval"}``."""
    return {part.strip() for part in str(text).split("+") if part.strip()}


def check_unique(ids: list[str], path: Path, what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise DataError(f"{path}: duplicate {what} {item!r}")
        seen.add(item)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)

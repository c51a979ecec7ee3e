"""One small registry class for tasks, task types, models and metrics.

Entries come from decorators in mmbench's own modules and from the entry-point groups
``mmbench.tasks`` and ``mmbench.models`` of installed plugin packages. Factories are imported
lazily so that ``mmbench list`` never imports torch.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable, Generic, Iterator, TypeVar

from mmbench.errors import UserError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    target: T | str  # the object, or "module:attr" resolved on first use
    description: str = ""
    info: tuple[tuple[str, str], ...] = ()  # extra columns for `mmbench list`

    def load(self) -> T:
        if isinstance(self.target, str):
            module, _, attr = self.target.partition(":")
            obj: Any = importlib.import_module(module)
            for part in attr.split(".") if attr else []:
                obj = getattr(obj, part)
            return obj  # type: ignore[no-any-return]
        return self.target


class Registry(Generic[T]):
    """Name -> object (or lazy "module:attr" reference), with did-you-mean on unknown names."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, Entry[T]] = {}
        self._plugins_loaded = False

    def add(self, name: str, target: T | str, description: str = "", **info: str) -> None:
        if name in self._entries and self._entries[name].target != target:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = Entry(name, target, description, tuple(info.items()))

    def register(self, name: str, description: str = "", **info: str) -> Callable[[T], T]:
        """Decorator: ``@models.register("mock", "deterministic fake")``."""

        def decorate(obj: T) -> T:
            doc = description or _first_doc_line(obj)
            self.add(name, obj, doc, **info)
            return obj

        return decorate

    def _load_plugins(self) -> None:
        if self._plugins_loaded or self.entry_point_group is None:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._entries:
                self._entries[ep.name] = Entry(ep.name, ep.value, f"plugin ({ep.value})")

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._entries)

    def entries(self) -> Iterator[Entry[T]]:
        for name in self.names():
            yield self._entries[name]

    def __contains__(self, name: str) -> bool:
        self._load_plugins()
        return name in self._entries

    def entry(self, name: str) -> Entry[T]:
        self._load_plugins()
        if name not in self._entries:
            raise UserError(unknown_name_message(self.kind, name, self.names()))
        return self._entries[name]

    def get(self, name: str) -> T:
        return self.entry(name).load()


def unknown_name_message(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (known: {', '.join(known) or 'none'})"


def _first_doc_line(obj: object) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


task_types: Registry[Any] = Registry("task type", "mmbench.task_types")
models: Registry[Any] = Registry("model", "mmbench.models")
metrics: Registry[Any] = Registry("metric")
tasks: Registry[Any] = Registry("task", "mmbench.tasks")

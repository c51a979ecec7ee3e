"""One small registry class for tasks, task types, models, data formats and bundled datasets.

Every registry is built the same way: a table of its built-ins as lazy ``"module:attr"`` entries
(the table itself may be a ``"module:attr"`` reference, read on first use), then the entry-point
group of installed plugin packages, which uses the same ``"module:attr"`` form. Nothing is imported
until an entry is used, so ``mmbench list`` never imports torch. ``add`` / ``register`` remain for
registering an object from a script or notebook.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable, Generic, Iterator, Mapping, TypeVar, Union

from mmbench.errors import UserError

T = TypeVar("T")
#: a built-in: "module:attr", or ("module:attr", description), or ("module:attr", description, {column: value})
Builtin = Union[str, tuple[str, str], tuple[str, str, Mapping[str, str]]]


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    target: T | str  # the object, or "module:attr" resolved on first use
    description: str = ""
    info: tuple[tuple[str, str], ...] = ()  # extra columns for `mmbench list`

    def load(self) -> T:
        if isinstance(self.target, str):
            return resolve(self.target)  # type: ignore[no-any-return]
        return self.target

    def describe(self) -> str:
        """The description, else the first line of the target's docstring."""
        return self.description or _first_doc_line(self.load())


def resolve(target: str) -> Any:
    """The object a ``"module:attr"`` (or ``"module:Class.attr"``, or ``"module"``) reference names."""
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """Name -> object (or lazy "module:attr" reference), with did-you-mean on unknown names."""

    def __init__(self, kind: str, entry_point_group: str | None = None,
                 builtins: Mapping[str, Builtin] | str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._builtins = builtins
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
        """Read the built-in table, then the plugins' entry points (once; names already taken win)."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        table = self._builtins
        if isinstance(table, str):  # the table itself is a lazy reference (a mapping or a function returning one)
            table = resolve(table)
            table = table() if callable(table) else table
        for name, row in (table or {}).items():
            target, description, info = (row, "", {}) if isinstance(row, str) else (tuple(row) + ("", {}))[:3]
            self._entries.setdefault(name, Entry(name, target, description, tuple(dict(info).items())))
        if self.entry_point_group is None:
            return
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


#: Task types (classes). A new type: its module in mmbench/tasks/ plus one line here.
task_types: Registry[Any] = Registry("task type", "mmbench.task_types", builtins={
    "captioning": "mmbench.tasks.captioning:CaptioningTask",
    "multiple_choice": "mmbench.tasks.multiple_choice:MultipleChoiceTask",
    "retrieval": "mmbench.tasks.retrieval:RetrievalTask",
    "vqa": "mmbench.tasks.vqa:VqaTask",
    "zeroshot": "mmbench.tasks.zeroshot:ZeroShotTask",
    "yes_no": "mmbench.tasks.yes_no:YesNoTask",
    "mme": "mmbench.tasks.yes_no:MmeTask",
    "document_qa": "mmbench.tasks.documents:AnlsTask",
    "chartqa": "mmbench.tasks.documents:ChartQaTask",
    "ocrbench": "mmbench.tasks.documents:OcrBenchTask",
    "mmvet": "mmbench.tasks.judged:MmVetTask",
    "llava_bench": "mmbench.tasks.judged:LlavaBenchTask",
    "mathvista": "mmbench.tasks.mathvista:MathVistaTask",
})
#: Model kinds and bundled models (adapter classes, or factories for plugins): the table is
#: :data:`mmbench.models.spec.BUILTIN_MODELS`.
models: Registry[Any] = Registry("model", "mmbench.models", builtins="mmbench.models.spec:BUILTIN_MODELS")
#: Tasks: the task files shipped in tasks/ (:func:`mmbench.tasks.spec.builtin_task_files`).
tasks: Registry[Any] = Registry("task", "mmbench.tasks", builtins="mmbench.tasks.spec:builtin_task_files")

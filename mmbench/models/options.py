"""``--model-arg key=value`` options of every adapter kind: one parser, typed by the dataclass fields.

An adapter kind declares its options as a frozen dataclass subclassing :class:`AdapterOptions`;
:meth:`AdapterOptions.parse` turns the command line's strings into the field types (``int``,
``float``, ``bool``, ``str``, each optionally ``| None``), refuses unknown keys with a "did you
mean", and reports a bad value as a one-line :class:`UserError` naming the adapter and the key.
A field with ``metadata={"min": N}`` must be at least N. Values that already have the right type
(Python callers) pass through. :meth:`AdapterOptions.problems` finds the same problems without
building anything, so the run's preflight reports them before a model loads; this module and the
options dataclasses import neither torch nor transformers.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from mmbench.errors import UserError
from mmbench.registry import unknown_name_message

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
OptionsT = TypeVar("OptionsT", bound="AdapterOptions")
#: set by the run (--device, --dtype), never by --model-arg: an options field of that name is filled in by the caller
RUN_SETTINGS = ("device", "dtype")


@dataclass(frozen=True)
class AdapterOptions:
    """Base of the adapters' option dataclasses. ``prompt`` / ``max_new_tokens`` live in the subclasses that use them."""

    #: the adapter kind, for messages ("hf", "clip", ...)
    adapter: ClassVar[str] = "model"

    @classmethod
    def parse(cls: type[OptionsT], model_args: Mapping[str, Any], **fixed: Any) -> OptionsT:
        """Typed options from ``--model-arg`` strings; ``fixed`` are values set by the caller (device, dtype)."""
        values, problems = cls._typed(model_args, fixed)
        if problems:
            raise UserError(f"{cls.adapter}: {problems[0]}")
        options = cls(**values)
        options.validate()
        return options

    @classmethod
    def problems(cls, model_args: Mapping[str, Any]) -> list[str]:
        """Every problem :meth:`parse` would find in ``model_args``, one line each, without the adapter
        prefix; the run settings (``device``, ``dtype``) keep their defaults, as the run sets them."""
        fixed = {f.name: f.default for f in fields(cls) if f.name in RUN_SETTINGS}
        values, problems = cls._typed(model_args, fixed)
        if not problems:
            try:
                cls(**values).validate()
            except UserError as e:
                problems.append(str(e))
        return problems

    @classmethod
    def _typed(cls, model_args: Mapping[str, Any], fixed: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """(field values, problems): ``fixed`` plus each ``--model-arg`` converted to its field's type."""
        hints = typing.get_type_hints(cls)
        by_name = {f.name: f for f in fields(cls) if f.name not in fixed}
        values: dict[str, Any] = dict(fixed)
        problems = []
        for name, raw in model_args.items():
            if name not in by_name:
                problems.append(unknown_name_message("model argument", name, sorted(by_name)))
                continue
            try:
                values[name] = _convert(name, raw, hints[name], by_name[name].metadata.get("min"))
            except ValueError as e:
                problems.append(str(e))
        return values, problems

    def validate(self) -> None:
        """Checks across fields (subclasses); raise UserError."""


def _convert(name: str, raw: Any, hint: Any, minimum: float | None) -> Any:
    """``raw`` as the field's type; ValueError with the message for a value that is not one."""
    target = _base_type(hint)
    if raw is None or target is None or (isinstance(raw, target) and not (target is int and isinstance(raw, bool))):
        value = raw
    elif target is bool:
        text = str(raw).strip().lower()
        if text not in _TRUE | _FALSE:
            raise ValueError(f"model argument {name}={raw!r} is not a boolean; use true or false")
        value = text in _TRUE
    elif target in (int, float):
        try:
            value = target(str(raw).strip())
        except ValueError:
            kind = "an integer" if target is int else "a number"
            raise ValueError(f"model argument {name}={raw!r} is not {kind}") from None
    else:
        value = str(raw)
    if minimum is not None and value is not None and value < minimum:
        raise ValueError(f"model argument {name}={raw!r} must be at least {minimum}")
    return value


def _base_type(hint: Any) -> type | None:
    """``int | None`` -> int; ``str`` -> str; anything else -> None (no conversion)."""
    if isinstance(hint, type):
        return hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1 and isinstance(members[0], type):
            return members[0]
    return None

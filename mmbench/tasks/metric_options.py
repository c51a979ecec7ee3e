"""Metric options: ``--metric-arg KEY=VALUE`` over the task file's ``metrics:`` section.

One mechanism for every task type (``mmbench run`` and ``mmbench score --task``): each task type
declares the metric options it accepts (``TaskType.metric_options``: key -> :class:`MetricOption`);
the command line's values are parsed and checked against that declaration before anything
loads (an unknown key or value: one line, exit status 2), merged over the task file's
``metrics:`` section, and recorded in the result (``task.arguments.metrics`` holds the options
the run scored with, ``task.arguments.metric_args`` the ones given on the command line).
``mmbench compare`` refuses to pair runs whose metric options differ unless ``--allow-mismatch``.

Values on the command line are text: ``list`` options take comma-separated values
(``breakdowns=category,l2-category``), ``int_list`` comma-separated integers (``ks=1,5,10``),
``bool`` ``true`` / ``false``.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

from mmbench.errors import UserError

if TYPE_CHECKING:
    from mmbench.tasks.spec import TaskSpec

Kind = Literal["str", "int", "bool", "list", "int_list"]


@dataclass(frozen=True)
class MetricOption:
    """One metric option a task type accepts: its meaning, its allowed values (``choices``, for
    ``str`` options; empty: any) and how a command-line value is read (``kind``)."""

    help: str
    choices: tuple[str, ...] = ()
    kind: Kind = "str"

    def parse(self, key: str, text: str) -> Any:
        """The command-line ``text`` as the value the task file would hold; UserError when invalid."""
        try:
            value = _PARSERS[self.kind](text)
        except ValueError:
            raise UserError(f"--metric-arg {key}={text}: expected {_KIND_WORDS[self.kind]}") from None
        if self.choices and value not in self.choices:
            raise UserError(f"--metric-arg {key}={text}: not one of {', '.join(self.choices)} ({self.help})")
        return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise ValueError(text)


def _items(text: str) -> list[str]:
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise ValueError(text)
    return items


_PARSERS: dict[str, Any] = {
    "str": lambda text: text,
    "int": int,
    "bool": _bool,
    "list": _items,
    "int_list": lambda text: [int(part) for part in _items(text)],
}
_KIND_WORDS = {"str": "a value", "int": "an integer", "bool": "true or false",
               "list": "comma-separated values", "int_list": "comma-separated integers"}


def parse_metric_args(pairs: Sequence[str]) -> dict[str, str]:
    """``["unparsed=random"]`` -> ``{"unparsed": "random"}``; UserError for a pair without ``=``
    or a key given twice."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--metric-arg {pair!r}: expected KEY=VALUE (e.g. --metric-arg unparsed=random)")
        if key in out:
            raise UserError(f"--metric-arg {key} is given twice")
        out[key] = value
    return out


def apply_metric_args(spec: TaskSpec, task_cls: Any, metric_args: Mapping[str, str]) -> TaskSpec:
    """``spec`` with the command line's metric options merged over its ``metrics`` section and
    recorded in ``spec.metric_args``; UserError (one line) for a key the task type does not
    declare, a bad value, or a combination the type refuses (``TaskType.metric_option_problems``)."""
    check = getattr(task_cls, "metric_option_problems", None)
    if not metric_args:  # the task file's own options are checked too, before anything loads
        problems = check(spec.metrics) if check is not None else []
        if problems:
            raise UserError(f"{spec.source or spec.name}: " + "; ".join(problems))
        return spec
    declared: Mapping[str, MetricOption] = getattr(task_cls, "metric_options", {}) or {}
    parsed: dict[str, Any] = {}
    for key, text in metric_args.items():
        if key not in declared:
            close = difflib.get_close_matches(key, list(declared), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(f"{k} ({v.help})" for k, v in declared.items()) or "none"
            raise UserError(f"{spec.name}: unknown metric option {key!r} for task type {spec.type}{hint} (known: {known})")
        parsed[key] = declared[key].parse(key, text)
    merged = {**spec.metrics, **parsed}
    problems = check(merged) if check is not None else []
    if problems:
        raise UserError(f"{spec.name}: " + "; ".join(problems))
    return dataclasses.replace(spec, metrics=merged, metric_args=dict(metric_args))

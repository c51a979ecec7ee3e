"""The exact gate: per-sample predictions of two runs, compared sample by sample.

A sample's prediction is its record's ``prediction`` (caption, answer, class index), else its
``rank`` (retrieval), else its per-sample metrics. Records are matched by ``(kind, id)``; a sample
present on one side only counts as changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mmbench.report.persample import SampleKey, sample_key

MAX_EXAMPLES = 5


@dataclass
class PredictionChanges:
    """How many samples' predictions differ; the first few as (id, before, after)."""

    total: int
    changed: int = 0
    examples: list[tuple[str, Any, Any]] = field(default_factory=list)

    def describe(self) -> str:
        shown = "; ".join(f"{sid}: {before!r} -> {after!r}" for sid, before, after in self.examples)
        return f"{self.changed} of {self.total} samples changed" + (f" (first: {shown})" if shown else "")


def prediction(record: dict[str, Any]) -> Any:
    for key in ("prediction", "rank"):
        if key in record:
            return record[key]
    return record.get("metrics")


def prediction_changes(base: Sequence[dict[str, Any]], cand: Sequence[dict[str, Any]]) -> PredictionChanges:
    before: dict[SampleKey, Any] = {sample_key(r): prediction(r) for r in base}
    after: dict[SampleKey, Any] = {sample_key(r): prediction(r) for r in cand}
    keys = list(before) + [k for k in after if k not in before]
    changes = PredictionChanges(total=len(keys))
    for key in keys:
        old, new = before.get(key, "<absent>"), after.get(key, "<absent>")
        if old != new:
            changes.changed += 1
            if len(changes.examples) < MAX_EXAMPLES:
                kind, sid = key
                changes.examples.append((f"{kind}:{_plain(sid)}" if kind else _plain(sid), old, new))
    return changes


def _plain(key_id: str) -> str:
    """Sample ids are keyed by repr(); show strings without their quotes."""
    return key_id[1:-1] if len(key_id) >= 2 and key_id[0] == key_id[-1] and key_id[0] in "'\"" else key_id

"""What two runs have in common: task version, data fingerprint, model fingerprint, run settings.

``compare`` states each of these as equal or different for every task it compares, so a reader
knows whether a difference comes from the model, the data or the way it was run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmbench.results import RunResult

#: run settings that can change predictions (batch size should not: the batch-invariance tests).
SETTING_KEYS = ("dtype", "device", "limit", "seed", "model_args", "batch_size")


@dataclass(frozen=True)
class Sameness:
    label: str
    equal: bool
    detail: str  # the value when equal, "before -> after" (or the differing keys) when not

    def __str__(self) -> str:
        return f"{self.label} {'equal' if self.equal else 'DIFFERS'} ({self.detail})"


def _value(a: Any, b: Any, label: str) -> Sameness:
    return Sameness(label, a == b, f"{a}" if a == b else f"{a} -> {b}")


def settings_of(run: RunResult) -> dict[str, Any]:
    """Run settings that can change outputs: the run's config keys and the task's arguments."""
    config = {k: run.config.get(k) for k in SETTING_KEYS}
    arguments = run.task.get("arguments")
    if isinstance(arguments, dict):
        config.update({f"task.{k}": v for k, v in arguments.items() if k != "data"})
    return config


def compare_provenance(base: RunResult, cand: RunResult) -> list[Sameness]:
    b_settings, c_settings = settings_of(base), settings_of(cand)
    differing = [k for k in sorted(set(b_settings) | set(c_settings)) if b_settings.get(k) != c_settings.get(k)]
    settings = Sameness("run settings", not differing,
                        "; ".join(f"{k}: {b_settings.get(k)!r} -> {c_settings.get(k)!r}" for k in differing) or
                        ", ".join(f"{k}={b_settings[k]!r}" for k in SETTING_KEYS if b_settings.get(k) is not None))
    return [_value(base.task.get("version"), cand.task.get("version"), "task version"),
            _value(base.task.get("data_fingerprint"), cand.task.get("data_fingerprint"), "data fingerprint"),
            _value(base.model.get("fingerprint"), cand.model.get("fingerprint"), "model fingerprint"),
            settings]

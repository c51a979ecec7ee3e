"""The versioned results format: one JSON per run plus ``<same stem>.samples.jsonl``.

Field order is part of the format (documented in the README): ``schema_version`` first, then
``run_id``, ``created_at``, ``task``, ``model``, ``metrics``, ``metric_notes``, ``timing``,
``errors``, ``env``, ``config``, ``samples_file``. Readers (``leaderboard``, ``compare``) accept
any 1.x schema and ignore unknown fields. Writes are atomic, and a results file is never
overwritten: each run gets its own stem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mmbench.errors import DataError
from mmbench.jsonio import atomic_write_json, atomic_write_jsonl, read_json

SCHEMA_VERSION = "1.0"


@dataclass
class RunResult:
    """What one evaluation produced. ``samples`` go to the ``.samples.jsonl`` file."""

    task: dict[str, Any]  # name, type, version, arguments, data_fingerprint, num_samples, num_scored, expected_count, num_found, complete
    model: dict[str, Any]  # spec, adapter, fingerprint, num_parameters, dtype, device
    metrics: dict[str, float]
    timing: dict[str, Any]
    env: dict[str, Any]
    config: dict[str, Any]
    metric_notes: dict[str, str] = field(default_factory=dict)  # e.g. {"SPICE": "unavailable: ..."}
    errors: dict[str, Any] = field(default_factory=dict)  # {"skipped": [{"id", "file", "error"}]}
    samples: list[dict[str, Any]] = field(default_factory=list, repr=False)
    run_id: str = ""
    created_at: str = ""
    schema_version: str = SCHEMA_VERSION
    path: Path | None = None  # where it was written / read from

    def __post_init__(self) -> None:
        if not self.created_at:
            self.created_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if not self.run_id:
            stamp = self.created_at.replace("-", "").replace(":", "").replace("T", "-").rstrip("Z")
            from mmbench.portable import model_spec  # file names carry no local path either

            self.run_id = f"{self.task.get('name', 'task')}__{slug(model_spec(str(self.model.get('spec', 'model'))))}__{stamp}"

    def to_dict(self) -> dict[str, Any]:
        """The file's content, without absolute paths of this machine (:mod:`mmbench.portable`)."""
        from mmbench.portable import portable

        return portable({
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "task": self.task,
            "model": self.model,
            "metrics": self.metrics,
            "metric_notes": self.metric_notes,
            "timing": self.timing,
            "errors": self.errors,
            "env": self.env,
            "config": self.config,
            "samples_file": f"{self.run_id}.samples.jsonl",
        })

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> RunResult:
        where = str(path) if path else "result"
        if "schema_version" not in data:
            raise DataError(f"{where}: not an mmbench result file (no schema_version)")
        version = str(data["schema_version"])
        if not version.startswith("1."):
            raise DataError(f"{where}: unsupported schema_version {version!r} (this mmbench reads 1.x)")
        for key in ("task", "model", "metrics"):
            if not isinstance(data.get(key), dict):
                raise DataError(f"{where}: not an mmbench result file (missing or invalid {key!r})")
        return cls(
            task=data["task"], model=data["model"], metrics=dict(data["metrics"]),
            timing=dict(data.get("timing") or {}), env=dict(data.get("env") or {}), config=dict(data.get("config") or {}),
            metric_notes=dict(data.get("metric_notes") or {}), errors=dict(data.get("errors") or {}),
            run_id=str(data.get("run_id", "")), created_at=str(data.get("created_at", "")),
            schema_version=version, path=path,
        )


@dataclass(frozen=True)
class RunCoverage:
    """Whether a run scored the whole benchmark: ``scored`` of ``total`` samples (see
    :mod:`mmbench.data.completeness`). ``complete`` is False for ``--limit`` runs, short splits and
    skipped images."""

    complete: bool
    scored: int | None
    total: int | None

    @property
    def label(self) -> str:
        """``50 / 214354`` (``?`` for a count the file does not record)."""
        return f"{'?' if self.scored is None else self.scored} / {'?' if self.total is None else self.total}"


def run_coverage(result: RunResult) -> RunCoverage:
    """``task.complete`` and the counts of a result; files written before completeness was recorded
    are judged by the same rule from what they do record (``--limit``, skips, the declared count)."""
    task = result.task
    n = _count(task.get("num_samples"))
    scored = _count(task.get("num_scored"))
    scored = n if scored is None else scored
    data = (task.get("arguments") or {}).get("data") or {}
    expected = _count(task.get("expected_count", data.get("expected_count") if isinstance(data, dict) else None))
    total = expected if expected is not None else _count(task.get("num_found"))
    if isinstance(task.get("complete"), bool):
        return RunCoverage(task["complete"], scored, total if total is not None else n)
    limit = _count(result.config.get("limit"))
    skipped = (result.errors or {}).get("skipped") or []
    limited = limit is not None and n is not None and n >= limit and n != expected
    complete = not skipped and not limited and (expected is None or n == expected)
    return RunCoverage(complete, scored, total if total is not None else n)


def served_from_store(result: RunResult) -> bool:
    """True when the run computed nothing: every prediction came from the prediction store
    (``timing.items`` 0, ``timing.from_store`` above 0). Such a run has no throughput or latency:
    files written before that was said record ``items_per_s`` 0.0, which is not a measurement."""
    timing = result.timing or {}
    return timing.get("items") == 0 and (_count(timing.get("from_store")) or 0) > 0


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def slug(text: str) -> str:
    """A filename-safe form of a model spec: ``hf:openai/clip`` -> ``hf-openai-clip``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:80] or "model"


def write_result(result: RunResult, output_dir: str | Path) -> Path:
    """Write the samples file, then the result JSON (atomically, both). Never overwrites."""
    output_dir = Path(output_dir)
    path = output_dir / f"{result.run_id}.json"
    n = 1
    while path.exists():  # same second, same task and model: keep both
        n += 1
        path = output_dir / f"{result.run_id}-{n}.json"
    if n > 1:
        result.run_id = f"{result.run_id}-{n}"
    atomic_write_jsonl(samples_path(path), result.samples)
    atomic_write_json(path, result.to_dict())
    result.path = path
    return path


def samples_path(result_path: str | Path) -> Path:
    p = Path(result_path)
    return p.with_name(p.name[: -len(".json")] + ".samples.jsonl") if p.name.endswith(".json") else p.with_suffix(".samples.jsonl")


def read_result(path: str | Path) -> RunResult:
    path = Path(path)
    data = read_json(path, "result file")
    if not isinstance(data, dict):
        raise DataError(f"{path}: not an mmbench result file (top level is not an object)")
    return RunResult.from_dict(data, path)


def read_samples(result_path: str | Path) -> list[dict[str, Any]]:
    """The per-sample records beside a result file; a malformed line is an error naming its number."""
    path = samples_path(result_path)
    if not path.exists():
        raise DataError(f"{path}: per-sample file not found (needed beside {Path(result_path).name})")
    rows = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{lineno}: malformed JSON line ({e.msg})") from None
    return rows

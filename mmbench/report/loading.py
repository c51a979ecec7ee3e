"""Finding and reading result files for reports: unreadable files are named and skipped.

A directory is searched recursively for ``*.json`` files (per-sample ``*.samples.jsonl`` files
are read on demand by :mod:`mmbench.report.compare`). Anything that is not a readable 1.x result
is reported as a warning ("<path>: <why>; skipped") and left out; duplicates of one run (same
``run_id``, e.g. a copied file) count once. The JSON reports this package writes (leaderboard,
compare) are recognised by their ``format`` field and skipped without a warning, so an output
folder may sit inside the results folder.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from mmbench.errors import DataError, UserError
from mmbench.jsonio import read_json
from mmbench.results import RunResult, read_result

REPORT_FORMAT_PREFIX = "mmbench-"  # "format" of leaderboard.json and compare --json output


@dataclass
class LoadedResults:
    """Results read from files, plus one warning line per file left out."""

    results: list[RunResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def print_warnings(self, stream: TextIO | None = None) -> None:
        for line in self.warnings:
            print(f"mmbench: warning: {line}", file=stream or sys.stderr)


def result_files(paths: Iterable[str | Path]) -> list[Path]:
    """Result JSON files named by ``paths`` (files taken as given, directories searched recursively).

    Raises :class:`UserError` for a path that does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.json") if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            found.append(path)
        else:
            raise UserError(f"{path}: no such file or directory (give result files or folders of them)")
    return found


def load_results(paths: Iterable[str | Path]) -> LoadedResults:
    """Read every result file under ``paths``; bad files become warnings, duplicate run ids count once."""
    loaded = LoadedResults()
    seen: dict[str, Path] = {}
    for path in result_files(paths):
        try:
            result = read_result(path)
        except DataError as e:
            if not _is_mmbench_report(path):
                loaded.warnings.append(f"{e}; skipped")
            continue
        key = result.run_id or str(path)
        if key in seen:
            loaded.warnings.append(f"{path}: duplicate of run {key} ({seen[key]}); counted once")
            continue
        seen[key] = path
        loaded.results.append(result)
    return loaded


def _is_mmbench_report(path: Path) -> bool:
    """True for this package's own outputs (``leaderboard.json``, ``compare --json``): skipped silently."""
    try:
        data = read_json(path)
    except DataError:
        return False
    return isinstance(data, dict) and str(data.get("format", "")).startswith(REPORT_FORMAT_PREFIX)


def model_name(result: RunResult) -> str:
    """The model's display name: its spec (``adapter:location``)."""
    return str(result.model.get("spec") or result.model.get("adapter") or "unknown model")


def task_name(result: RunResult) -> str:
    return str(result.task.get("name") or "unknown task")


def latest_first(results: Iterable[RunResult]) -> list[RunResult]:
    """Newest first by ``created_at`` (ISO UTC strings sort chronologically), then run id."""
    return sorted(results, key=lambda r: (r.created_at, r.run_id), reverse=True)

"""ScienceQA (Lu et al., NeurIPS 2022): ``problems.json``, ``pid_splits.json``, ``images/<split>/<pid>/image.png``.

Keys: ``problems`` (default ``problems.json``: pid -> {question, choices, answer (0-based index),
hint, image ("image.png" or null), task, grade, subject, topic, category, skill, lecture,
solution, split}), ``pid_splits`` (default ``pid_splits.json``: split -> [pid]), ``images``
(default ``images``), ``split`` (default ``test``), ``image_only`` (default true: the IMG subset,
the problems whose ``image`` is set; problems without an image are left out).

Samples, in the order ``pid_splits.json`` lists the split: id = the pid; image =
``<images>/<split>/<pid>/<image>``; gold = the answer's letter; meta = question, options (the
choices), hint (the context), subject, grade, topic, category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.data.choices import choice_sample, letter_of_index
from mmbench.data.fields import check_unique, require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json

DEFAULT_PROBLEMS = "problems.json"
DEFAULT_SPLITS = "pid_splits.json"
DEFAULT_IMAGES = "images"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("ScienceQA problems file", source.path("problems", DEFAULT_PROBLEMS)),
            ("ScienceQA split file", source.path("pid_splits", DEFAULT_SPLITS)),
            ("image folder", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    problems_path = source.existing("problems", "ScienceQA problems file", DEFAULT_PROBLEMS)
    splits_path = source.existing("pid_splits", "ScienceQA split file", DEFAULT_SPLITS)
    images = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    problems = read_json(problems_path, "ScienceQA problems file")
    splits = read_json(splits_path, "ScienceQA split file")
    split = source.split("test")
    if not isinstance(problems, dict) or not isinstance(splits, dict):
        raise DataError(f"{problems_path}: expected JSON objects (pid -> problem; split -> [pid])")
    if split not in splits or not isinstance(splits[split], list):
        raise DataError(f"{splits_path}: no split {split!r} (splits: {', '.join(sorted(splits))}); set data.split")
    image_only = bool(source.get("image_only", True))
    samples = []
    for pid in splits[split]:
        pid = str(pid)
        if pid not in problems:
            raise DataError(f"{splits_path}: pid {pid} of split {split} is not in {problems_path.name}")
        problem = problems[pid]
        if image_only and not (isinstance(problem, dict) and problem.get("image")):
            continue
        samples.append(_sample(pid, problem, split, problems_path))
    if not samples:
        raise DataError(f"{problems_path}: no {'image ' if image_only else ''}problems in split {split!r}")
    check_unique([s.id for s in samples], splits_path, "pid")
    return DataSplit(root=images, samples=samples, files=[problems_path, splits_path])


def _sample(pid: str, problem: Any, split: str, path: Path) -> Any:
    where = f"problem {pid}"
    choices = require(problem, "choices", path, where, list)
    answer = require(problem, "answer", path, where, int)
    image = problem.get("image")
    files = (ImageFile(check_relative(f"{split}/{pid}/{image}", f"{path}: {where}")),) if image else ()
    meta: dict[str, Any] = {"question": require(problem, "question", path, where, str), "hint": str(problem.get("hint") or ""),
                            "options": tuple(str(c) for c in choices), "question_type": "multiple-choice"}
    for key in ("subject", "grade", "topic", "category"):
        if problem.get(key) is not None:
            meta[key] = str(problem[key])
    return choice_sample(pid, files, letter_of_index(answer, len(choices), f"{path}: {where}"), meta)

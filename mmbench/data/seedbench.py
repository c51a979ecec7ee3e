"""SEED-Bench (v1, Li et al., CVPR 2024): ``SEED-Bench.json`` and the image folder; image questions only.

Keys: ``questions`` (default ``SEED-Bench.json``: ``{"questions": [{question_id, question,
choice_a .. choice_d, answer ("A".."D"), data_id (image file name or video id), data_type
("image" / "video"), question_type_id}], "question_type": {name: id}}``), ``images`` (default
``SEED-Bench-image``).

Samples: the questions whose ``data_type`` is ``image``, in file order (the video questions are
left out); id = ``question_id`` (as text); image = ``<images>/<data_id>``; gold = ``answer``;
meta = question, options (choice_a .. choice_d), ``dimension`` (the evaluation dimension's
name from ``question_type``, e.g. "Scene Understanding").

Hub rows (lmms-lab/SEED-Bench, through the Hub's parquet conversion: the entries' fields as
columns, ``image`` a list holding the image) are decoded by :func:`sample_from_record`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.data.choices import choice_sample
from mmbench.data.fields import check_unique, require, require_list
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json

DEFAULT_FILE = "SEED-Bench.json"
DEFAULT_IMAGES = "SEED-Bench-image"
CHOICES = ("choice_a", "choice_b", "choice_c", "choice_d")


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("SEED-Bench question file", source.path("questions", DEFAULT_FILE)),
            ("image folder", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    path = source.existing("questions", "SEED-Bench question file", DEFAULT_FILE)
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    content = read_json(path, "SEED-Bench question file")
    questions = require_list(content, "questions", path)
    types = content.get("question_type") or {}
    dimension = {int(v): str(k) for k, v in types.items()} if isinstance(types, dict) else {}
    samples = [_sample(q, f"questions[{i}]", dimension, path) for i, q in enumerate(questions)
               if isinstance(q, dict) and q.get("data_type") == "image"]
    if not samples:
        raise DataError(f"{path}: no image questions (data_type 'image')")
    check_unique([s.id for s in samples], path, "question_id")
    return DataSplit(root=folder, samples=samples, files=[path])


def sample_from_record(record: dict[str, Any], path: Path, where: str) -> Any:
    """One lmms-lab/SEED-Bench row (the question file's fields as columns, the image as a list) as
    the sample :func:`read` makes of it; video questions give None. The rows carry only
    ``question_type_id``, not the dimension names of the file's ``question_type``: ``dimension`` is
    that id as text (the hub section drops the per-dimension breakdown)."""
    if record.get("data_type") != "image":
        return None
    return _sample(record, where, {}, path)


def _sample(entry: dict[str, Any], where: str, dimension: dict[int, str], path: Path) -> Any:
    qid = str(require(entry, "question_id", path, where, (str, int)))
    options = tuple(str(require(entry, key, path, f"{where} ({qid})", (str, int, float))) for key in CHOICES)
    answer = str(require(entry, "answer", path, where, str)).strip()
    if answer not in "ABCD" or len(answer) != 1:
        raise DataError(f"{path}: {where} ({qid}) has answer {answer!r}; expected A, B, C or D")
    image = check_relative(str(require(entry, "data_id", path, where, str)), f"{path}: {where}")
    type_id = entry.get("question_type_id")
    meta = {"question": require(entry, "question", path, where, str), "hint": "", "options": options,
            "question_type": "multiple-choice",
            "dimension": dimension.get(int(type_id), str(type_id)) if type_id is not None else ""}
    return choice_sample(qid, (ImageFile(image),), answer, meta)

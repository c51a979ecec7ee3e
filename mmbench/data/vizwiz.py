"""VizWiz-VQA: ``val.json`` (a list, one question per image) and the ``val/`` image folder.

Keys: ``annotations`` (default ``val.json``: ``[{"image": "VizWiz_val_00000000.jpg", "question",
"answers": [{"answer", "answer_confidence"} x 10], "answer_type", "answerable": 0|1}]``),
``images`` (default ``val``).

Samples: id = the image file name (VizWiz has no question ids; each image has one question);
image = ``<images>/<image>``; texts = the 10 answers as given ("unanswerable" is an answer);
meta = {"question", "answer_type" (yes/no, number, other, unanswerable), "answerable"
("answerable" or "not_answerable", from the 0/1 flag)}.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.data.fields import check_unique, require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_FILE = "val.json"
DEFAULT_IMAGES = "val"
ANSWERABLE = {1: "answerable", 0: "not_answerable"}


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("VizWiz annotations file", source.path("annotations", DEFAULT_FILE)),
            ("image folder", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    path = source.existing("annotations", "VizWiz annotations file", DEFAULT_FILE)
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    entries = read_json(path, "VizWiz annotations file")
    if not isinstance(entries, list) or not entries:
        raise DataError(f"{path}: expected a non-empty JSON list of questions (VizWiz val.json)")
    samples = [_sample(entry, i, path) for i, entry in enumerate(entries)]
    check_unique([s.id for s in samples], path, "image")
    return DataSplit(root=folder, samples=samples, files=[path])


def _sample(entry: Any, index: int, path: Path) -> Sample:
    where = f"[{index}]"
    name = check_relative(require(entry, "image", path, where, str), f"{path}: {where}")
    question = require(entry, "question", path, where, str)
    answers = require(entry, "answers", path, where, list)
    texts = tuple(str(require(a, "answer", path, f"{where}.answers[{j}]", str)) for j, a in enumerate(answers))
    if not texts:
        raise DataError(f"{path}: {where} ({name}) has no answers")
    flag = require(entry, "answerable", path, where, int)
    if flag not in ANSWERABLE:
        raise DataError(f"{path}: {where} ({name}) has answerable={flag!r}; expected 0 or 1")
    meta = {"question": question, "answer_type": require(entry, "answer_type", path, where, str), "answerable": ANSWERABLE[flag]}
    return Sample(id=name, images=(ImageFile(name),), texts=texts, meta=meta)

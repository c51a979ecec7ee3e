"""POPE: ``coco_pope_{random,popular,adversarial}.json`` (JSON lines) over COCO val2014 images.

Keys: ``questions`` (the JSON-lines file of one setting: one object a line, ``{"question_id": int,
"image": "COCO_val2014_000000310196.jpg", "text": "Is there a snowboard in the image?",
"label": "yes"|"no"}``, as github.com/AoiDragon/POPE ``output/coco/`` ships them), ``images``
(default ``val2014``: the COCO val2014 images, by the file names the lines give).

Samples: id = str(question_id) (POPE's own id, so other harnesses' prediction files score as
they are); image = ``<images>/<image>``; texts = (label,); meta = {"question": text}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmbench.data.fields import check_unique, require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

DEFAULT_IMAGES = "val2014"
LABELS = ("yes", "no")


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("POPE questions file", source.path("questions")), ("image folder", source.path("images", DEFAULT_IMAGES))]


def read_json_lines(path: Path, what: str) -> list[Any]:
    """One JSON value per non-empty line; a malformed line is a DataError naming its number."""
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: {what} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise DataError(f"{path}: line {number} is not JSON ({e.msg}); a {what} holds one JSON object a line") from None
    return rows


def read(source: DataSource) -> DataSplit:
    path = source.existing("questions", "POPE questions file")
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    samples = [_sample(row, number, path) for number, row in enumerate(read_json_lines(path, "POPE questions file"), 1)]
    if not samples:
        raise DataError(f"{path}: no questions")
    check_unique([s.id for s in samples], path, "question_id")
    return DataSplit(root=folder, samples=samples, files=[path])


def _sample(row: Any, number: int, path: Path) -> Sample:
    where = f"line {number}"
    qid = str(require(row, "question_id", path, where, (int, str)))
    label = require(row, "label", path, where, str)
    if label.strip().lower() not in LABELS:
        raise DataError(f"{path}: {where} (question {qid}) has label {label!r}; POPE labels are yes or no")
    image = check_relative(require(row, "image", path, where, str), f"{path}: {where}")
    return Sample(id=qid, images=(ImageFile(image),), texts=(label,), meta={"question": require(row, "text", path, where, str)})

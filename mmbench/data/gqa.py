"""GQA: ``testdev_balanced_questions.json`` (a mapping question id -> question) and ``images/``.

Keys: ``questions`` (default ``testdev_balanced_questions.json``: ``{"<qid>": {"imageId",
"question", "answer", "fullAnswer", "isBalanced", "types": {"structural", "semantic",
"detailed"}, "groups", "semantic", ...}}``), ``images`` (default ``images``: ``<imageId>.jpg``).
Questions with ``isBalanced: false`` are left out, as the official evaluation scores the balanced
set only. Question ids and image ids are strings (test-dev image ids look like ``n161313``).

Samples: id = the question id; image = ``<images>/<imageId>.jpg``; texts = (answer,);
meta = {"question", "image_id", "structural" (verify, query, choose, logical, compare), "semantic"
(obj, attr, rel, cat, global), "answer_kind" ("open" for structural type query, else "binary",
as the official evaluation splits them)}.

:func:`sample_from_record` decodes the same entry held as a table row (a hub copy such as
lmms-lab/GQA's ``testdev_balanced_instructions``: the question id in ``id``, ``types`` a struct,
a dict of one-item lists or JSON text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmbench.data.fields import require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_FILE = "testdev_balanced_questions.json"
DEFAULT_IMAGES = "images"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("GQA questions file", source.path("questions", DEFAULT_FILE)),
            ("image folder", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    path = source.existing("questions", "GQA questions file", DEFAULT_FILE)
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    questions = read_json(path, "GQA questions file")
    if not isinstance(questions, dict) or not questions:
        raise DataError(f"{path}: expected a JSON object mapping question ids to questions (GQA *_questions.json)")
    samples = [_sample(str(qid), entry, path) for qid, entry in questions.items()]
    samples = [s for s in samples if s is not None]
    if not samples:
        raise DataError(f"{path}: no balanced questions (isBalanced: true)")
    return DataSplit(root=folder, samples=samples, files=[path])


def _sample(qid: str, entry: Any, path: Path) -> Sample | None:
    where = f"question {qid}"
    if not require(entry, "isBalanced", path, where, bool):
        return None
    image_id = str(require(entry, "imageId", path, where, str))
    types = require(entry, "types", path, where, dict)
    structural = str(require(types, "structural", path, f"{where}.types", str))
    meta = {"question": require(entry, "question", path, where, str), "image_id": image_id, "structural": structural,
            "semantic": str(require(types, "semantic", path, f"{where}.types", str)),
            "answer_kind": "open" if structural == "query" else "binary"}
    image = check_relative(f"{image_id}.jpg", f"{path}: {where}")
    return Sample(id=qid, images=(ImageFile(image),), texts=(require(entry, "answer", path, where, str),), meta=meta)


def sample_from_record(record: Mapping[str, Any], path: Path, where: str) -> Sample | None:
    """One questions-file entry held as a table row, with its question id in ``id``: the sample
    :func:`read` makes of it (None for an unbalanced question)."""
    qid = require(record, "id", path, where, (str, int))
    entry = {**record, "types": _types(record.get("types"), path, f"{where} (question {qid})")}
    return _sample(str(qid), entry, path)


def _types(value: Any, path: Path, where: str) -> Any:
    """``types`` as the questions file holds it (a dict of strings), from a table cell: a struct, a
    dict of one-item lists (a sequence feature) or JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DataError(f"{path}: {where}: types is text but not JSON: {value[:60]!r}") from None
    if isinstance(value, Mapping):
        return {key: item[0] if isinstance(item, list) and len(item) == 1 else item for key, item in value.items()}
    return value

"""DocVQA and InfographicVQA: the RRC annotation file (``{"dataset_name", "dataset_split",
"dataset_version", "data": [...]}``) and its image folder.

Keys: ``annotations`` (DocVQA: ``val/val_v1.0.json`` or its ``val/val_v1.0_withQT.json`` twin;
InfographicVQA: ``infographicsVQA_val_v1.0_withQT.json``), ``images`` (the folder the entries'
image paths are relative to: DocVQA's ``image`` is ``documents/<page>.png`` under ``val/``;
InfographicVQA's ``image_local_name`` is ``<n>.jpeg`` in ``infographicsvqa_images/``).

Entries: ``{"questionId": int, "question", "answers": [str, ...], "image" | "image_local_name",
"question_types" (DocVQA _withQT) | "answer_type" (InfographicVQA), ...}``.

Samples: id = str(questionId); texts = every answer (ANLS takes the best); meta = {"question",
"question_types" (joined with ", ", "" when absent)}.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.data.fields import check_unique, require, require_list
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

IMAGE_KEYS = ("image", "image_local_name")  # DocVQA, InfographicVQA


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("annotation file", source.path("annotations")), ("image folder", source.path("images"))]


def read(source: DataSource) -> DataSplit:
    path = source.existing("annotations", "annotation file")
    folder = source.existing("images", "image folder", folder=True)
    entries = require_list(read_json(path, "annotation file"), "data", path)
    samples = [_sample(entry, f"data[{i}]", path) for i, entry in enumerate(entries)]
    if not samples:
        raise DataError(f"{path}: no questions in 'data'")
    check_unique([s.id for s in samples], path, "questionId")
    return DataSplit(root=folder, samples=samples, files=[path])


def _sample(entry: Any, where: str, path: Path) -> Sample:
    qid = str(require(entry, "questionId", path, where, (int, str)))
    answers = require(entry, "answers", path, where, list)
    if not answers or not all(isinstance(a, str) for a in answers):
        raise DataError(f"{path}: {where} (question {qid}) needs a non-empty list of answer strings")
    key = next((k for k in IMAGE_KEYS if k in entry), None)
    if key is None:
        raise DataError(f"{path}: {where} (question {qid}) has no image or image_local_name")
    image = check_relative(require(entry, key, path, where, str), f"{path}: {where}")
    types = entry.get("question_types") or entry.get("answer_type") or []
    meta = {"question": require(entry, "question", path, where, str),
            "question_types": ", ".join(str(t) for t in types) if isinstance(types, list) else str(types)}
    return Sample(id=qid, images=(ImageFile(image),), texts=tuple(answers), meta=meta)

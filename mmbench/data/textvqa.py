"""TextVQA: ``TextVQA_0.5.1_val.json`` (+ optional Rosetta OCR file) and ``train_images/``.

Keys: ``annotations`` (default ``TextVQA_0.5.1_val.json``: ``{"dataset_name", "dataset_version",
"data": [{"question_id": int, "image_id": str, "question", "answers": [10 str], ...}]}``),
``images`` (default ``train_images``: val images ship in the train_val archive as
``<image_id>.jpg``), ``ocr`` (optional: ``TextVQA_Rosetta_OCR_v0.2_val.json``,
``{"data": [{"image_id", "ocr_tokens": [...]}]}``; entries' own ``ocr_tokens`` win).

Samples: id = str(question_id); image = ``<image_id>.jpg`` in the image folder; texts = the 10 answers;
meta = {"question", "image_id", "ocr_tokens" (tokens joined by ", "), "ocr_reference"
("\\nReference OCR token: <tokens>" as in LLaVA-1.5's TextVQA prompt, "" without tokens)}.
:func:`sample_from_record` decodes the same entry held as a table row (lmms-lab/textvqa).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmbench.data.fields import check_unique, require, require_list
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_FILE = "TextVQA_0.5.1_val.json"
DEFAULT_IMAGES = "train_images"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    files = [("TextVQA annotations file", source.path("annotations", DEFAULT_FILE)),
             ("image folder", source.path("images", DEFAULT_IMAGES))]
    if source.get("ocr"):
        files.append(("Rosetta OCR file", source.path("ocr")))
    return files


def read(source: DataSource) -> DataSplit:
    path = source.existing("annotations", "TextVQA annotations file", DEFAULT_FILE)
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    entries = require_list(read_json(path, "TextVQA annotations file"), "data", path)
    files = [path]
    ocr: dict[str, list[str]] = {}
    if source.get("ocr"):
        ocr_path = source.existing("ocr", "Rosetta OCR file")
        ocr = _ocr_tokens(ocr_path)
        files.append(ocr_path)
    samples = [_sample(entry, f"data[{i}]", path, ocr) for i, entry in enumerate(entries)]
    if not samples:
        raise DataError(f"{path}: no questions in 'data'")
    check_unique([s.id for s in samples], path, "question_id")
    return DataSplit(root=folder, samples=samples, files=files)


def _ocr_tokens(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for i, entry in enumerate(require_list(read_json(path, "Rosetta OCR file"), "data", path)):
        image_id = str(require(entry, "image_id", path, f"data[{i}]", (str, int)))
        found[image_id] = [str(t) for t in require(entry, "ocr_tokens", path, f"data[{i}]", list)]
    return found


def ocr_reference(tokens: list[str]) -> str:
    """LLaVA-1.5's TextVQA prompt line for the OCR tokens (empty when there are none)."""
    return f"\nReference OCR token: {', '.join(tokens)}" if tokens else ""


def sample_from_record(record: Mapping[str, Any], path: Path, where: str) -> Sample:
    """One annotation entry held as a table row (a hub copy such as lmms-lab/textvqa, whose rows
    carry their ``ocr_tokens``): the sample :func:`read` makes of it."""
    return _sample(record, where, path, {})


def _sample(entry: Any, where: str, path: Path, ocr: dict[str, list[str]]) -> Sample:
    qid = str(require(entry, "question_id", path, where, (int, str)))
    image_id = str(require(entry, "image_id", path, where, str))
    question = require(entry, "question", path, where, str)
    answers = require(entry, "answers", path, where, list)
    if not answers or not all(isinstance(a, str) for a in answers):
        raise DataError(f"{path}: {where} (question {qid}) needs a non-empty list of answer strings")
    tokens = entry.get("ocr_tokens")
    tokens = [str(t) for t in tokens] if isinstance(tokens, list) else ocr.get(image_id, [])
    rel = check_relative(f"{image_id}.jpg", f"{path}: {where}")
    meta = {"question": question, "image_id": image_id, "ocr_tokens": ", ".join(tokens), "ocr_reference": ocr_reference(tokens)}
    return Sample(id=qid, images=(ImageFile(rel),), texts=tuple(answers), meta=meta)

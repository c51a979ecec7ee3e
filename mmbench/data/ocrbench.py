"""OCRBench: ``OCRBench/OCRBench.json`` and ``OCRBench_Images/``.

The file is a JSON list of ``{"dataset_name", "id", "image_path", "question", "answers": [str, ...]
| str, "type"}`` (Yuliang-Liu/MultimodalOCR). Keys: ``questions`` (default
``OCRBench/OCRBench.json``), ``images`` (default ``OCRBench_Images``; ``image_path`` is relative to it).

Sample ids: OCRBench's ``id`` repeats across its 29 source datasets, so the id is
``<dataset_name>/<id>``; a pair that still repeats gets ``#2``, ``#3`` ... on its second, third ...
occurrence in file order (the first keeps the plain form). texts = the answers; meta =
{"question", "dataset_name", "type"}.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from mmbench.data.fields import require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_FILE = "OCRBench/OCRBench.json"
DEFAULT_IMAGES = "OCRBench_Images"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("OCRBench questions file", source.path("questions", DEFAULT_FILE)),
            ("image folder", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    path = source.existing("questions", "OCRBench questions file", DEFAULT_FILE)
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    entries = read_json(path, "OCRBench questions file")
    if not isinstance(entries, list) or not entries:
        raise DataError(f"{path}: expected a non-empty JSON list of questions (OCRBench.json)")
    seen: Counter[str] = Counter()
    samples = []
    for i, entry in enumerate(entries):
        sample = _sample(entry, f"[{i}]", path)
        seen[sample.id] += 1
        if seen[sample.id] > 1:
            sample = Sample(id=f"{sample.id}#{seen[sample.id]}", images=sample.images, texts=sample.texts, meta=sample.meta)
        samples.append(sample)
    return DataSplit(root=folder, samples=samples, files=[path])


def _sample(entry: Any, where: str, path: Path) -> Sample:
    dataset = require(entry, "dataset_name", path, where, str)
    item = require(entry, "id", path, where, (int, str))
    answers = require(entry, "answers", path, where, (list, str))
    answers = [answers] if isinstance(answers, str) else answers
    if not answers or not all(isinstance(a, str) for a in answers):
        raise DataError(f"{path}: {where} ({dataset}/{item}) needs an answer string or a non-empty list of them")
    image = check_relative(require(entry, "image_path", path, where, str), f"{path}: {where}")
    meta = {"question": require(entry, "question", path, where, str), "dataset_name": dataset,
            "type": require(entry, "type", path, where, str)}
    return Sample(id=f"{dataset}/{item}", images=(ImageFile(image),), texts=tuple(answers), meta=meta)

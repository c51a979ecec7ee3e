"""ChartQA test: ``test/test_human.json`` + ``test/test_augmented.json`` and ``test/png/``.

Each file is a JSON list of ``{"imgname": "<n>.png", "query": str, "label": str}`` (the ChartQA
release's layout; a number as label is read as its JSON text). Keys: ``human`` (default
``test/test_human.json``), ``augmented`` (default ``test/test_augmented.json``), ``images``
(default ``test/png``).

Samples: the human questions then the augmented ones, each in file order; id = ``human/<n>`` or
``augmented/<n>`` (n the 0-based position in its file: ChartQA has no question ids and one chart
carries several questions); texts = (label,); meta = {"question": query, "subset": human |
augmented}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmbench.data.fields import require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

SUBSETS = {"human": "test/test_human.json", "augmented": "test/test_augmented.json"}
DEFAULT_IMAGES = "test/png"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [(f"ChartQA {name} questions", source.path(name, default)) for name, default in SUBSETS.items()] + [
        ("image folder", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    samples: list[Sample] = []
    files = []
    for subset, default in SUBSETS.items():
        path = source.existing(subset, f"ChartQA {subset} questions", default)
        entries = read_json(path, f"ChartQA {subset} questions")
        if not isinstance(entries, list):
            raise DataError(f"{path}: expected a JSON list of {{imgname, query, label}} (ChartQA test_{subset}.json)")
        samples += [_sample(entry, subset, n, path) for n, entry in enumerate(entries)]
        files.append(path)
    if not samples:
        raise DataError(f"{folder}: no ChartQA questions in {', '.join(str(f) for f in files)}")
    return DataSplit(root=folder, samples=samples, files=files)


def _sample(entry: Any, subset: str, n: int, path: Path) -> Sample:
    where = f"[{n}]"
    label = require(entry, "label", path, where, (str, int, float))
    label = label if isinstance(label, str) else json.dumps(label)
    image = check_relative(require(entry, "imgname", path, where, str), f"{path}: {where}")
    return Sample(id=f"{subset}/{n}", images=(ImageFile(image),), texts=(label,),
                  meta={"question": require(entry, "query", path, where, str), "subset": subset})

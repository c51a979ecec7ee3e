"""ChartQA test: ``test/test_human.json`` + ``test/test_augmented.json`` and ``test/png/``.

Each file is a JSON list of ``{"imgname": "<n>.png", "query": str, "label": str}`` (the ChartQA
release's layout; a number as label is read as its JSON text). Keys: ``human`` (default
``test/test_human.json``), ``augmented`` (default ``test/test_augmented.json``), ``images``
(default ``test/png``).

Samples: the human questions then the augmented ones, each in file order; id = ``human/<n>`` or
``augmented/<n>`` (n the 0-based position in its file: ChartQA has no question ids and one chart
carries several questions); texts = (label,); meta = {"question": query, "subset": human |
augmented}.

Hub rows (lmms-lab/ChartQA: ``type`` human_test | augmented_test, ``question``, ``answer``,
``image``) are decoded by :func:`sample_from_record` into the sample with the id ``human`` or
``augmented``; the hub section's ``id_occurrence`` adds ``/<n>``, the row's position among the
rows of its type (the file position only if the copy keeps each file's order).
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


HUB_TYPES = {"human_test": "human", "augmented_test": "augmented"}  # lmms-lab/ChartQA's type column


def sample_from_record(record: dict[str, Any], path: Path, where: str) -> Sample:
    """One lmms-lab/ChartQA row as a sample of its subset; its id is the subset alone until
    ``id_occurrence`` numbers it (``human/<n>``)."""
    kind = require(record, "type", path, where, str)
    if kind not in HUB_TYPES:
        raise DataError(f"{path}: {where}: type {kind!r} is not one of {', '.join(HUB_TYPES)}")
    answer = require(record, "answer", path, where, (str, int, float))
    answer = answer if isinstance(answer, str) else json.dumps(answer)
    subset = HUB_TYPES[kind]
    return Sample(id=subset, images=(), texts=(answer,),
                  meta={"question": require(record, "question", path, where, str), "subset": subset})

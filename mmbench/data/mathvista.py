"""MathVista as its hub repository holds it (AI4Math/MathVista, downloaded): ``data/testmini-*.parquet``.

Layout (the dataset card's ``dataset_info``, huggingface.co/datasets/AI4Math/MathVista README at
commit d32e834): one row per problem with columns ``pid`` (string), ``question``, ``image`` (the
image's path in the original release, a string), ``decoded_image`` (an Image cell: ``{bytes,
path}``), ``choices`` (list of strings; null for free-form questions), ``unit``, ``precision``
(float64; the number of decimals of a float answer, else null), ``answer`` (string), ``question_type``
(``multi_choice`` | ``free_form``), ``answer_type`` (``text`` | ``integer`` | ``float`` | ``list``),
``metadata`` (struct: category, context, grade, img_height, img_width, language, skills (list),
source, split, task) and ``query`` (the zero-shot prompt MathVista's own inference sends: hint,
question and choices).

Keys: ``files`` (default ``data/testmini-*.parquet``, a glob under the dataset folder ``dir``, files
read in sorted name order). Samples: id = ``pid`` (MathVista's own ids, ``"1"`` .. ``"1000"`` on
testmini); image = the ``decoded_image`` cell; texts = (answer,); meta = query, question,
question_type, answer_type, choices (a tuple; empty for free-form), precision (int or None),
unit, and the metadata fields MathVista's scorer groups by (language, source, category, task,
context, grade as text; skills as a tuple). A combination MathVista's scorer has no rule for
(a free-form question with a ``text`` answer) or a multiple-choice row without choices is refused
with the pid. The hub copy read through ``datasets`` (``records: mathvista``) is decoded by
:func:`sample_from_record`, the same function.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from mmbench.data.images import EncodedImage
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

DEFAULT_FILES = "data/testmini-*.parquet"
QUESTION_TYPES = ("multi_choice", "free_form")
ANSWER_TYPES = ("text", "integer", "float", "list")
#: the metadata fields MathVista's calculate_score.py groups accuracy by (besides question_type, answer_type)
GROUP_FIELDS = ("language", "source", "category", "task", "context", "grade")


def _files(source: DataSource) -> tuple[str, list[Path]]:
    pattern = str(source.get("files", DEFAULT_FILES))
    return pattern, sorted(source.require_dir().glob(pattern))


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    pattern, found = _files(source)
    if found:
        return [("parquet file", path) for path in found]
    return [(f"parquet files ({pattern})", source.require_dir() / pattern)]


def read(source: DataSource) -> DataSplit:
    import pandas as pd

    pattern, files = _files(source)
    if not files:
        raise source.missing(source.require_dir() / pattern, "parquet files")
    samples: list[Sample] = []
    seen: set[str] = set()
    for path in files:
        try:
            table = pd.read_parquet(path)
        except Exception as e:  # noqa: BLE001  (pyarrow raises several kinds for a bad file)
            raise DataError(f"{path}: cannot read the parquet file ({str(e).splitlines()[0]})") from None
        for n, row in enumerate(table.to_dict("records")):
            cell = row.get("decoded_image")
            if not isinstance(cell, dict) or not cell.get("bytes"):
                raise DataError(f"{path}: row {n} (pid {row.get('pid')!r}) has no decoded_image bytes")
            sample = _sample(row, path, f"row {n}", EncodedImage(bytes(cell["bytes"]), f"{path.name} pid {row.get('pid')}"))
            if sample.id in seen:
                raise DataError(f"{path}: pid {sample.id} appears twice")
            seen.add(sample.id)
            samples.append(sample)
    return DataSplit(root=source.require_dir(), samples=samples, files=files)


def _texts(value: Any) -> tuple[str, ...]:
    if value is None or isinstance(value, float) and math.isnan(value):
        return ()
    return tuple(str(v) for v in list(value))


def _text(value: Any) -> str:
    if value is None or isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _sample(row: dict[str, Any], path: Path, where: str, image: Any) -> Sample:
    pid = _text(row.get("pid"))
    if not pid:
        raise DataError(f"{path}: {where} has no pid")
    where = f"{where} (pid {pid})"
    question_type, answer_type = _text(row.get("question_type")), _text(row.get("answer_type"))
    if question_type not in QUESTION_TYPES or answer_type not in ANSWER_TYPES:
        raise DataError(f"{path}: {where}: question_type {question_type!r} / answer_type {answer_type!r} is not one of "
                        f"{', '.join(QUESTION_TYPES)} / {', '.join(ANSWER_TYPES)}")
    choices = _texts(row.get("choices"))
    if question_type == "multi_choice" and not choices:
        raise DataError(f"{path}: {where}: a multi_choice question without choices")
    if question_type == "free_form" and answer_type == "text":
        raise DataError(f"{path}: {where}: a free_form question with a text answer, which MathVista's scorer has no rule for")
    precision = row.get("precision")
    if precision is None or isinstance(precision, float) and math.isnan(precision):
        if answer_type == "float":
            raise DataError(f"{path}: {where}: a float answer without a precision")
        precision = None
    else:
        precision = int(precision)  # MathVista's scorer rounds to int(precision) decimals
    metadata = row.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise DataError(f"{path}: {where}: metadata is not a struct")
    meta: dict[str, Any] = {"query": _text(row.get("query")), "question": _text(row.get("question")),
                            "question_type": question_type, "answer_type": answer_type, "choices": choices,
                            "precision": precision, "unit": _text(row.get("unit"))}
    if not meta["query"]:
        raise DataError(f"{path}: {where} has no query (the prompt MathVista sends)")
    for field in GROUP_FIELDS:
        meta[field] = _text(metadata.get(field))
    meta["skills"] = _texts(metadata.get("skills"))
    return Sample(id=pid, images=(image,), texts=(_text(row.get("answer")),), meta=meta)


def sample_from_record(record: Any, path: Path, where: str) -> Sample:
    """One row of the hub copy read through ``datasets`` (``records: mathvista``), decoded as
    :func:`read` decodes it; the image (``decoded_image``) is attached by :mod:`mmbench.data.hf_records`."""
    return _sample(dict(record), path, where, EncodedImage(b"placeholder", "replaced by the copy's decoded_image"))

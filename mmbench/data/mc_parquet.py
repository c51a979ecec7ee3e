"""Multiple-choice hub parquet files read as the peers read them: AI2D and RealWorldQA.

Layout: the dataset repository as downloaded from the hub, ``data/test-*.parquet`` (key
``files``, a glob under the dataset folder; the files are read in sorted name order). Key
``layout``:

- ``ai2d`` (lmms-lab/ai2d): columns ``question``, ``options`` (a list of texts), ``answer`` (the
  0-based index of the right option, as text), ``image``; gold = that option's letter.
- ``realworldqa`` (RealWorldQA): columns ``image``, ``question`` (with the lettered option lines
  ``A. ...`` and the instruction already in it), ``answer``. A row whose answer is one of the
  letters A-D is a multiple-choice question (options read from the question's ``X. text`` lines);
  any other answer is free-form (``question_type: open``), scored by exact match after
  lower-casing, stripping and removing trailing periods (lmms-eval's ``realworldqa_process_results``).

Samples: id = the 0-based row number over the files in order (the peers' ids); image = the row's
image cell (``{bytes, path}``). The hub copies read through ``datasets`` (``records: mc_parquet``)
are decoded by :func:`sample_from_record`, the same functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from mmbench.data.choices import LETTERS, choice_sample, letter_of_index, options_from_lines
from mmbench.data.images import EncodedImage
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError

DEFAULT_FILES = "data/test-*.parquet"


def _files(source: DataSource) -> tuple[str, list[Path]]:
    pattern = str(source.get("files", DEFAULT_FILES))
    folder = source.require_dir()
    return pattern, sorted(folder.glob(pattern))


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    pattern, found = _files(source)
    if found:
        return [("parquet file", path) for path in found]
    return [(f"parquet files ({pattern})", source.require_dir() / pattern)]


def read(source: DataSource) -> DataSplit:
    import pandas as pd

    layout = str(source.get("layout", ""))
    if layout not in LAYOUTS:
        raise DataError(f"data.layout must be one of {', '.join(LAYOUTS)} (format mc_parquet), not {layout!r}")
    pattern, files = _files(source)
    if not files:
        raise source.missing(source.require_dir() / pattern, "parquet files")
    samples = []
    for path in files:
        try:
            table = pd.read_parquet(path)
        except Exception as e:  # noqa: BLE001  (pyarrow raises several kinds for a bad file)
            raise DataError(f"{path}: cannot read the parquet file ({str(e).splitlines()[0]})") from None
        for row in table.to_dict("records"):
            samples.append(LAYOUTS[layout](row, str(len(samples)), path))
    return DataSplit(root=source.require_dir(), samples=samples, files=files)


def _image(row: dict[str, Any], sample_id: str, path: Path) -> EncodedImage:
    cell = row.get("image")
    if not isinstance(cell, dict) or not cell.get("bytes"):
        raise DataError(f"{path}: row {sample_id} has no image bytes")
    return EncodedImage(bytes(cell["bytes"]), f"{path.name} row {sample_id}")


def _ai2d(row: dict[str, Any], sample_id: str, path: Path) -> Any:
    where = f"{path}: row {sample_id}"
    options = [str(o) for o in list(row.get("options") if row.get("options") is not None else [])]
    if not options:
        raise DataError(f"{where}: no options")
    try:
        index = int(str(row.get("answer")).strip())
    except ValueError:
        raise DataError(f"{where}: answer {row.get('answer')!r} is not an option index") from None
    meta = {"question": str(row.get("question", "")), "hint": "", "options": tuple(options), "question_type": "multiple-choice"}
    return choice_sample(sample_id, (_image(row, sample_id, path),), letter_of_index(index, len(options), where), meta)


def _realworldqa(row: dict[str, Any], sample_id: str, path: Path) -> Any:
    question = str(row.get("question", ""))
    answer = str(row.get("answer", "")).strip()
    letters, texts = options_from_lines(question)
    if answer in ("A", "B", "C", "D"):
        if answer not in letters:  # lettered answer, options not written as lines: the letters alone
            texts = [""] * (LETTERS.index(answer) + 1)
        meta = {"question": question, "hint": "", "options": tuple(texts), "question_type": "multiple-choice"}
    else:
        meta = {"question": question, "hint": "", "options": (), "question_type": "open"}
    return choice_sample(sample_id, (_image(row, sample_id, path),), answer, meta)


LAYOUTS: dict[str, Callable[[dict[str, Any], str, Path], Any]] = {"ai2d": _ai2d, "realworldqa": _realworldqa}


def sample_from_record(record: Any, path: Path, where: str) -> Any:
    """One row of the hub copy read through ``datasets`` (``records: mc_parquet``; ``where`` is
    ``"row N"``, N the 0-based row number, the sample id): decoded as :func:`read` decodes it, the
    layout told by the columns (AI2D rows have ``options``); the image is attached by
    :mod:`mmbench.data.hf_records`."""
    row = dict(record)
    sample_id = where.rpartition(" ")[2]
    if not sample_id.isdigit():
        raise DataError(f"{path}: {where}: expected 'row N'")
    row["image"] = {"bytes": b"placeholder", "path": None}  # replaced by the copy's image column
    return (_ai2d if "options" in row else _realworldqa)(row, sample_id, path)

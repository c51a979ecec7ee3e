"""MMBench / MMStar TSV files (VLMEvalKit's distribution format): one row per question, images in base64.

Keys: ``file`` (default ``MMBench_DEV_EN.tsv``), ``meta_columns`` (columns copied into the
sample's meta; default ``category``, ``l2-category``, ``l2_category``, ``source``, ``split``,
``comment``, those present).

Columns: ``index``, ``question``, ``hint`` (optional), option columns ``A``, ``B``, ... (a
missing or empty cell ends the options), ``answer`` (the gold letter), ``image`` (base64 of the
image file; in a circular copy, a short string holding the original row's index instead), and
the meta columns. A row without option columns (MMStar's original form) carries its options in
the question text, ``"...\\nOptions: A: x, B: y, ..."``: they are read from there and removed from
the question.

MMBench CircularEval: copy i of question q is the row with ``index = q + i * 1,000,000`` (options
rotated); every row's ``circular_group`` is ``index % 1,000,000`` (as VLMEvalKit's evaluator groups
them). Samples: id = the ``index`` as written; images decoded lazily from the base64 text.

Cells are read as text (pandas ``dtype=str``); empty cells and pandas' default missing-value
words (``NA``, ``nan``, ``None`` ...) are missing, as in VLMEvalKit's ``pd.isna`` checks (VLMEvalKit
reads numbers as numbers, so an option "3" of a column that also has missing cells prints as "3.0"
there; here it stays "3").
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmbench.data.choices import LETTERS, choice_sample, options_inline
from mmbench.data.fields import check_unique
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError

DEFAULT_FILE = "MMBench_DEV_EN.tsv"
CIRCULAR_STEP = 1_000_000
META_COLUMNS = ("category", "l2-category", "l2_category", "source", "split", "comment")
REQUIRED = ("index", "question", "answer", "image")


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("question file (TSV)", source.path("file", DEFAULT_FILE))]


@dataclass(frozen=True)
class Base64Image:
    """An image held as the base64 text of its file (a TSV cell); decoded when opened."""

    text: str
    name: str

    def _bytes(self) -> bytes:
        try:
            return base64.b64decode(self.text, validate=False)
        except (binascii.Error, ValueError) as e:
            raise DataError(f"{self.name}: the image cell is not base64 ({e})") from None

    def open(self, root: Path) -> Any:
        from mmbench.data.images import EncodedImage

        return EncodedImage(self._bytes(), self.name).open(root)

    def size(self, root: Path) -> tuple[int, int]:
        from mmbench.data.images import EncodedImage

        return EncodedImage(self._bytes(), self.name).size(root)

    def identity(self) -> str:
        """The prediction store's name for this image: a digest of its base64 text (no decoding)."""
        import hashlib

        return "base64:" + hashlib.sha256(self.text.encode("ascii", "replace")).hexdigest()[:24]


def read_table(path: Path) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(path, sep="\t", dtype=str)
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise DataError(f"{path}: cannot read the TSV file ({str(e).splitlines()[0]})") from None


def read(source: DataSource) -> DataSplit:
    path = source.existing("file", "question file (TSV)", DEFAULT_FILE)
    table = read_table(path)
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise DataError(f"{path}: no column(s) {', '.join(missing)} (columns: {', '.join(map(str, table.columns))}); "
                        f"is this VLMEvalKit's TSV?")
    meta_columns = [c for c in source.get("meta_columns", META_COLUMNS) if c in table.columns]
    rows = table.to_dict("records")
    images = {_text(row["index"]): _text(row["image"]) for row in rows}
    samples = [_sample(row, images, meta_columns, path) for row in rows]
    if not samples:
        raise DataError(f"{path}: no rows")
    check_unique([s.id for s in samples], path, "index")
    return DataSplit(root=path.parent, samples=samples, files=[path])


def _text(value: Any) -> str:
    """A cell as text; a missing cell (NaN) as ""."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def sample_from_record(record: Any, path: Path, where: str) -> Any:
    """One row of a hub copy (lmms-lab/MMBench, Lin-Chen/MMStar: the TSV's columns, the image an
    Image column that :mod:`mmbench.data.hf_records` attaches): decoded as a TSV row is.
    Column names are matched case-insensitively (lmms-lab writes ``L2-category``)."""
    row = {str(key) if len(str(key)) == 1 else str(key).lower(): value for key, value in dict(record).items()}
    missing = [c for c in REQUIRED if c != "image" and c not in row]
    if missing:
        raise DataError(f"{path}: {where} has no {', '.join(missing)} (columns: {', '.join(sorted(row))})")
    return _sample(row, {}, [c for c in META_COLUMNS if c in row], path, with_image=False)


def _sample(row: dict[str, Any], images: dict[str, str], meta_columns: list[str], path: Path, *,
            with_image: bool = True) -> Any:
    index = _text(row["index"]).strip()
    where = f"{path}: row index {index!r}"
    if not index.lstrip("-").isdigit():
        raise DataError(f"{where}: the index is not an integer")
    question = _text(row["question"])
    options = []
    for letter in LETTERS:
        value = _text(row.get(letter)) if letter in row else ""
        if not value:
            break
        options.append(value)
    if not options:
        question, options = options_inline(question)
    if not options:
        raise DataError(f"{where}: no options (no A, B ... columns and no 'Options:' in the question)")
    answer = _text(row["answer"]).strip()
    if answer not in LETTERS[: len(options)]:
        raise DataError(f"{where}: answer {answer!r} is not one of the option letters {LETTERS[:len(options)]}")
    image_sources: tuple[Any, ...] = ()
    if with_image:
        image_text = _text(row["image"])
        if image_text.strip().isdigit() and len(image_text.strip()) <= 12:  # a circular copy names its original's row
            original = image_text.strip()
            if original not in images or images[original].strip().isdigit():
                raise DataError(f"{where}: the image cell refers to row index {original}, which holds no image")
            image_text = images[original]
        if not image_text:
            raise DataError(f"{where}: empty image cell")
        image_sources = (Base64Image(image_text, f"{path.name} index {index}"),)
    meta: dict[str, Any] = {"question": question, "hint": _text(row.get("hint")), "options": tuple(options),
                            "question_type": "multiple-choice", "circular_group": str(int(index) % CIRCULAR_STEP)}
    for column in meta_columns:
        meta[column] = _text(row.get(column))
    return choice_sample(index, image_sources, answer, meta)

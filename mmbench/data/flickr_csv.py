"""Flickr30K captions as CSV, in its two common layouts (+ the image folder).

- long: one row per caption, header ``image,caption`` (also ``image_name| comment_number| comment``
  with ``|`` separators, as in the Kaggle ``results.csv``); the whole file is one split unless
  ``image_list`` names a text file with one image file name per line (e.g. the 1000 test images).
- wide: one row per image, header with ``filename``, ``raw`` (JSON list of captions) and ``split``
  (the ``flickr_annotations_30k.csv`` layout); rows are filtered by ``split``.

Keys: ``captions`` (default ``captions.csv``), ``images`` (default ``flickr30k-images``),
``split`` (wide layout only; default ``test``), ``image_list`` (long layout only, optional).

Samples: id = the file name's stem (``1000092795``); image = file name relative to the image
folder; texts = the captions in file order; meta = {"filename"}.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from mmbench.data.fields import split_names
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

DEFAULT_FILE = "captions.csv"
DEFAULT_IMAGES = "flickr30k-images"
IMAGE_COLUMNS = ("image", "image_name", "filename")
CAPTION_COLUMNS = ("caption", "comment")


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    files = [("captions CSV", source.path("captions", DEFAULT_FILE)), ("image folder", source.path("images", DEFAULT_IMAGES))]
    if source.get("image_list"):
        files.append(("image list", source.path("image_list")))
    return files


def read(source: DataSource) -> DataSplit:
    path = source.existing("captions", "captions CSV", DEFAULT_FILE)
    root = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    header, rows = _read_rows(path)
    files = [path]
    if "raw" in header and "split" in header:
        captions = _wide(header, rows, path, split_names(source.split()))
    else:
        captions = _long(header, rows, path)
        if source.get("image_list"):
            list_path = source.existing("image_list", "image list")
            captions = _select(captions, list_path)
            files.append(list_path)
    if not captions:
        raise DataError(f"{path}: no captions for split {source.split()!r}")
    samples = [Sample(id=Path(name).stem, images=(ImageFile(check_relative(name, f"{path}: image {name!r}")),), texts=tuple(texts),
                      meta={"filename": Path(name).name}) for name, texts in captions.items()]
    return DataSplit(root=root, samples=samples, files=files)


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read the captions CSV: {e}") from None
    first = text.split("\n", 1)[0]
    delimiter = "|" if "|" in first and "," not in first else ","
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
    if not rows:
        raise DataError(f"{path}: empty captions CSV")
    return [h.lower() for h in rows[0]], rows[1:]


def _column(header: list[str], names: tuple[str, ...], path: Path) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise DataError(f"{path}: header {header} has none of the columns {list(names)}; expected 'image,caption' "
                    "or 'filename,raw,split'")


def _long(header: list[str], rows: list[list[str]], path: Path) -> dict[str, list[str]]:
    image_col, caption_col = _column(header, IMAGE_COLUMNS, path), _column(header, CAPTION_COLUMNS, path)
    captions: dict[str, list[str]] = {}
    for line, row in enumerate(rows, start=2):
        if len(row) <= max(image_col, caption_col):
            raise DataError(f"{path}: line {line} has {len(row)} fields, expected at least {max(image_col, caption_col) + 1}")
        captions.setdefault(row[image_col], []).append(row[caption_col])
    return captions


def _wide(header: list[str], rows: list[list[str]], path: Path, wanted: set[str]) -> dict[str, list[str]]:
    name_col, raw_col, split_col = _column(header, ("filename",), path), header.index("raw"), header.index("split")
    captions: dict[str, list[str]] = {}
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}")
        if row[split_col] not in wanted:
            continue
        try:
            texts = json.loads(row[raw_col])
        except json.JSONDecodeError:
            raise DataError(f"{path}: line {line}: 'raw' is not a JSON list of captions") from None
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise DataError(f"{path}: line {line}: 'raw' is not a JSON list of captions")
        captions[row[name_col]] = texts
    return captions


def _select(captions: dict[str, list[str]], list_path: Path) -> dict[str, list[str]]:
    names = [line.strip() for line in list_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [n for n in names if n not in captions]
    if missing:
        raise DataError(f"{list_path}: {len(missing)} listed image(s) have no captions, e.g. {missing[0]!r}")
    return {name: captions[name] for name in names}

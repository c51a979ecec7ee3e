"""Karpathy split files: ``dataset_coco.json``, ``dataset_flickr30k.json`` (+ image folder).

Keys: ``annotations`` (default ``dataset_coco.json``), ``images`` (image folder under ``dir``,
default ``dir`` itself; COCO entries add their ``filepath``, e.g. ``val2014``), ``split`` (one of
the file's splits, ``+``-joined for several: ``train+restval``; default ``test``).

Samples: id = ``cocoid`` when present (COCO), else the file name's stem (Flickr30K ids such as
``1000092795``); image = ``filepath/filename`` relative to the image folder; texts = every
sentence's ``raw`` (COCO has 5-7 per image); meta = {"filename"}.
"""

from __future__ import annotations

from pathlib import Path

from mmbench.data.fields import check_unique, require, require_list, split_names
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_FILE = "dataset_coco.json"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("Karpathy split file", source.path("annotations", DEFAULT_FILE)),
            ("image folder", source.path("images", "."))]


def read(source: DataSource) -> DataSplit:
    path = source.existing("annotations", "Karpathy split file", DEFAULT_FILE)
    root = source.existing("images", "image folder", ".", folder=True)
    wanted = split_names(source.split())
    entries = require_list(read_json(path, "Karpathy split file"), "images", path)
    samples = [_sample(entry, path, i) for i, entry in enumerate(entries)
               if require(entry, "split", path, f"images[{i}]", str) in wanted]
    if not samples:
        present = sorted({str(e.get("split")) for e in entries if isinstance(e, dict)})
        raise DataError(f"{path}: no images in split {source.split()!r} (splits in the file: {present})")
    check_unique([s.id for s in samples], path, "image id")
    return DataSplit(root=root, samples=samples, files=[path])


def _sample(entry: dict, path: Path, index: int) -> Sample:
    where = f"images[{index}]"
    filename = require(entry, "filename", path, where, str)
    folder = check_relative(str(entry["filepath"]), f"{path}: {where}") if entry.get("filepath") else ""
    rel = "/".join(p for p in (folder, check_relative(filename, f"{path}: {where}")) if p)
    sentences = require(entry, "sentences", path, where, list)
    texts = tuple(require(s, "raw", path, f"{where}.sentences[{j}]", str) for j, s in enumerate(sentences))
    if not texts:
        raise DataError(f"{path}: {where} ({filename}) has no sentences")
    image_id = entry["cocoid"] if entry.get("cocoid") is not None else Path(filename).stem
    return Sample(id=str(image_id), images=(ImageFile(rel),), texts=texts, meta={"filename": filename})

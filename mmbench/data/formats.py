"""The ``data.format`` registry and :func:`load_split`.

A format is any object (usually a module) with two functions:

- ``expected_files(source: DataSource) -> list[tuple[str, Path]]``: (what, path) of every file or
  folder the split needs, for ``mmbench data path`` / ``data check``; may be empty (hub datasets).
- ``read(source: DataSource) -> DataSplit``: parse the split; missing files raise
  ``source.missing(path, what)``; malformed content raises a one-line :class:`DataError` naming
  the file and entry.
- optionally ``sample_from_record(record: Mapping, path: Path, where: str) -> Sample | None``: one
  entry of the format's file held as a table row, decoded as ``read`` decodes it (None: an entry
  ``read`` leaves out); used by ``format: hf`` sources with ``records: <format>``
  (:mod:`mmbench.data.hf_records`).

A built-in format is one line in the ``data_formats`` table below (``name: ("module", description)``);
a plugin package registers one through the ``mmbench.data_formats`` entry-point group.

Data-mapping keys shared by all formats (format-specific keys are documented in each reader):
``format`` (required), ``dir`` (see :mod:`mmbench.data.source`), ``split``, ``expected_count``
(number of samples, checked by ``data check``), ``checksums`` ({path relative to dir: sha256},
checked by ``data check``), ``how_to_get`` (one line shown when files are missing), ``downloads``
({path relative to dir: official download location}, named when that file is missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from mmbench.data.source import DataSource, resolve_source
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.registry import Registry

data_formats: Registry[Any] = Registry("data format", "mmbench.data_formats", builtins={
    "karpathy": ("mmbench.data.karpathy", "Karpathy split json (dataset_coco.json, dataset_flickr30k.json)"),
    "coco_captions": ("mmbench.data.coco_captions", "COCO captions_*.json + image folder"),
    "flickr_csv": ("mmbench.data.flickr_csv", "Flickr30K captions CSV (image,caption rows or filename,raw,split)"),
    "vqav2": ("mmbench.data.vqav2", "VQAv2 questions + annotations json, COCO-named images"),
    "textvqa": ("mmbench.data.textvqa", "TextVQA_0.5.1_*.json (+ Rosetta OCR tokens), train_images/<image_id>.jpg"),
    "vizwiz": ("mmbench.data.vizwiz", "VizWiz-VQA val.json / train.json (list of questions), image folder"),
    "gqa": ("mmbench.data.gqa", "GQA *_balanced_questions.json (id -> question), images/<imageId>.jpg"),
    "imagenet_folders": ("mmbench.data.imagenet_folders", "ImageNet-style class folders (wnid or class name per folder)"),
    "imagenet_flat": ("mmbench.data.imagenet_flat", "ImageNet val images in one folder + devkit ground truth or LOC_val_solution.csv"),
    "cifar": ("mmbench.data.cifar", "CIFAR-10/100 python batches (test_batch / test + meta), read without unpickling objects"),
    "hf": ("mmbench.data.hf_format", "Hugging Face datasets (hub id or local folder)"),
})


def get_format(data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping) or "format" not in data:
        raise DataError(f"a task's data section needs a 'format' (one of: {', '.join(data_formats.names())})")
    return data_formats.get(str(data["format"]))


def load_split(data: Mapping[str, Any], data_dir: Path | None = None) -> DataSplit:
    """Read the split a task's ``data`` mapping describes; ``data_dir`` is ``--data-dir`` (or None)."""
    reader = get_format(data)
    split: DataSplit = reader.read(resolve_source(data, data_dir))
    return split


def expected_files(data: Mapping[str, Any], data_dir: Path | None = None) -> tuple[DataSource, list[tuple[str, Path]]]:
    """The resolved source and the (what, path) list its format needs."""
    reader = get_format(data)
    source = resolve_source(data, data_dir)
    return source, list(reader.expected_files(source))

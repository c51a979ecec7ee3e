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
    "pope": ("mmbench.data.pope", "POPE coco_pope_*.json (JSON lines: question_id, image, text, label), COCO val2014 images"),
    "mme": ("mmbench.data.mme", "MME_Benchmark_release_version/<category>/ (both layouts), two question<TAB>Yes|No lines per image"),
    "docvqa": ("mmbench.data.docvqa", "DocVQA / InfographicVQA RRC annotation json ({data: [...]}) + image folder"),
    "chartqa": ("mmbench.data.chartqa", "ChartQA test/test_human.json + test_augmented.json, test/png/"),
    "ocrbench": ("mmbench.data.ocrbench", "OCRBench/OCRBench.json + OCRBench_Images/"),
    "imagenet_folders": ("mmbench.data.imagenet_folders", "ImageNet-style class folders (wnid or class name per folder)"),
    "imagenet_flat": ("mmbench.data.imagenet_flat", "ImageNet val images in one folder + devkit ground truth or LOC_val_solution.csv"),
    "cifar": ("mmbench.data.cifar", "CIFAR-10/100 python batches (test_batch / test + meta), read without unpickling objects"),
    "llava_bench": ("mmbench.data.llava_bench", "LLaVA-Bench in-the-wild: questions.jsonl, context.jsonl, answers_gpt4.jsonl, images/"),
    "mmvet": ("mmbench.data.mmvet", "MM-Vet mm-vet.json (v1_<n> -> imagename, capability, question, answer) + images/"),
    "mc_tsv": ("mmbench.data.mc_tsv", "MMBench / MMStar TSV (VLMEvalKit's format): base64 images, lettered option columns, circular copies"),
    "mmmu": ("mmbench.data.mmmu", "MMMU hub layout: <Subject>/<split>-00000-of-00001.parquet, up to 7 images per question"),
    "scienceqa": ("mmbench.data.scienceqa", "ScienceQA problems.json + pid_splits.json + images/<split>/<pid>/image.png"),
    "seedbench": ("mmbench.data.seedbench", "SEED-Bench.json (image questions) + SEED-Bench-image/"),
    "mathvista": ("mmbench.data.mathvista", "MathVista hub layout (AI4Math/MathVista): data/testmini-*.parquet, ids = pid"),
    "mc_parquet": ("mmbench.data.mc_parquet", "AI2D / RealWorldQA hub parquet (data/test-*.parquet), ids = row numbers"),
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

"""COCO caption files ``captions_{train,val}2014.json`` (+ the image folder they describe).

Keys: ``annotations`` (default ``annotations/captions_val2014.json``), ``images`` (image folder
under ``dir``, default ``val2014``). The file is the split; ``split`` is not used.

Samples: id = str(image ``id``); image = ``file_name`` relative to the image folder; texts =
that image's captions in annotation order; meta = {"filename"} plus the image entry's
``domain`` and ``open_images_id`` where present (NoCaps: ``nocaps_val_4500_captions.json`` is this
format with those two keys; ``domain`` is in-domain, near-domain or out-domain). Images without
captions are kept out (they cannot be scored); captions of unknown images are an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.data.fields import check_unique, require, require_list
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_FILE = "annotations/captions_val2014.json"
DEFAULT_IMAGES = "val2014"
IMAGE_KEYS = ("domain", "open_images_id")  # per-image fields kept in meta (NoCaps)


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("COCO captions file", source.path("annotations", DEFAULT_FILE)),
            ("image folder", source.path("images", DEFAULT_IMAGES))]


def read_captions(path: Path, content: Any = None) -> dict[str, list[str]]:
    """image id (as str) -> its captions in file order, from a COCO captions file's ``annotations``
    (``content``: the parsed file, when the caller has it). ``mmbench run`` and ``mmbench score
    captioning`` (references) both read them here."""
    content = read_json(path, "COCO captions file") if content is None else content
    if not isinstance(content, dict) or not isinstance(content.get("annotations"), list):
        raise DataError(f'{path}: expected a COCO captions file: an object with an "annotations" list')
    if not content["annotations"]:
        raise DataError(f"{path}: the annotations list is empty")
    captions: dict[str, list[str]] = {}
    for i, ann in enumerate(content["annotations"]):
        image_id = str(require(ann, "image_id", path, f"annotations[{i}]", (int, str)))
        caption = ann.get("caption")
        if not isinstance(caption, str):
            raise DataError(f'{path}: annotations[{i}]: "caption" must be a str, got {type(caption).__name__}')
        captions.setdefault(image_id, []).append(caption)
    return captions


def read(source: DataSource) -> DataSplit:
    path = source.existing("annotations", "COCO captions file", DEFAULT_FILE)
    root = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    content = read_json(path, "COCO captions file")
    images = require_list(content, "images", path)
    annotations = require_list(content, "annotations", path)
    files: dict[str, str] = {}
    extra: dict[str, dict[str, str]] = {}
    for i, image in enumerate(images):
        image_id = str(require(image, "id", path, f"images[{i}]", (int, str)))
        name = require(image, "file_name", path, f"images[{i}]", str)
        files[image_id] = check_relative(name, f"{path}: images[{i}]")
        extra[image_id] = {key: str(require(image, key, path, f"images[{i}]", str)) for key in IMAGE_KEYS if key in image}
    check_unique([str(im["id"]) for im in images], path, "image id")
    captions = read_captions(path, content)
    for i, ann in enumerate(annotations):
        if str(ann["image_id"]) not in files:
            raise DataError(f"{path}: annotations[{i}] refers to image_id {ann['image_id']}, which is not in 'images'")
    samples = [Sample(id=image_id, images=(ImageFile(files[image_id]),), texts=tuple(captions[image_id]),
                      meta={"filename": Path(files[image_id]).name, **extra[image_id]})
               for image_id in files if image_id in captions]
    if not samples:
        raise DataError(f"{path}: no image has a caption")
    return DataSplit(root=root, samples=samples, files=[path])

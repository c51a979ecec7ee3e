"""The bundled synthetic suite ``bundled:shapes``: coloured shapes with captions, VQA and classes.

Generated on first use into ``$MMBENCH_CACHE/shapes/v<VERSION>/`` (default ``~/.cache/mmbench``)
and verified against a digest of its pixels and annotation files (:data:`EXPECTED_DIGESTS`).

Splits (64x64 PNG images; see :mod:`mmbench.data.shapes_spec` for the vocabulary):
- ``test``: 300 images, 60 per shape kind, each with a distinct attribute combination;
- ``heldout``: 90 images, one per combination whose (kind, colour) pair never occurs in training;
- ``train``: 6000 images of the 450 training combinations (generated only when asked, ~30 s);
  training uses the first 5500, model selection the last 500 (``mmbench.training.corpus``);
- zero-shot (test split set, ``zeroshot/<test|heldout>/<kind>-<colour>/``): images of their own,
  large shapes of every colour-kind class, unbalanced on purpose (:data:`ZEROSHOT_COUNTS`); all 30
  class folders exist in both splits (the held-out pairs stay candidates for test images and the
  seen pairs for held-out images), so top-5 and mean per-class recall carry information.

Task files use :data:`SHAPES_TASK_DATA` as their ``data:`` sections. Bump :data:`VERSION` (and
the versions of the shapes tasks whose files change) whenever anything here changes the files;
:data:`SEED_VERSION` keeps the images and annotations of earlier versions where they did not change.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from pathlib import Path
from typing import Any, Literal

from mmbench.data.shapes_spec import (COLOURS, COUNTS, HELDOUT_PAIRS, KINDS, POSITIONS, TEMPLATES, ZEROSHOT_CLASSES,
                                      ZEROSHOT_SIZE, Attributes, all_combinations, is_heldout, zeroshot_classname)
from mmbench.data.shapes_write import KARPATHY_FILE, PlannedImage
from mmbench.errors import DataError

VERSION = 2  # 2: zero-shot split of its own, 30 colour-kind classes (tasks shapes_zeroshot* version 2)
SEED_VERSION = 1  # seeds of the plans and renderings: unchanged since version 1
CACHE_ENV = "MMBENCH_CACHE"
TEST_PER_KIND = 60
TRAIN_SIZE = 6000
ID_OFFSETS = {"test": 1, "heldout": 10001, "zeroshot-test": 20001, "zeroshot-heldout": 30001, "train": 100001}
#: images per zero-shot class, cycled over the classes in ZEROSHOT_CLASSES order: a long tail on purpose.
ZEROSHOT_COUNTS = (24, 4, 16, 2, 12, 8, 6)
MARKER = ".complete"
SplitSet = Literal["test", "train"]

#: sha256 of each split set's files (pixels for PNGs), as written by this version.
EXPECTED_DIGESTS: dict[str, str] = {
    "test": "74f750b7cd206a56b255d9b4d7dcb2186f1dfcdbe45fdc8b16569db39be1aa56",
    "train": "e0fc8e5ea1e75cd942ddf2b51589e90dbb780027b92d5facfe90244df179aa87",
}

_HOW = "generated automatically on first use by mmbench.data.shapes (delete the cache folder to regenerate)"
#: sha256 of the test split set's annotation files, for ``mmbench data check``.
_ANNOTATION_SHA256: dict[str, str] = {
    KARPATHY_FILE: "65a2fee9c9841c07747e6500637bb6540cad7b019039a1e451bf30d8d5510116",
    "vqa/questions_test.json": "a76a79c091c33178e978e2d830ace7230fa1c2947c2814db1671820931a23c7a",
    "vqa/annotations_test.json": "36f465e7078786c8fb38e05d3fd5aabe5294891ded5a6e412c6662cd75cfcf8a",
    "vqa/questions_heldout.json": "9fa706a30291b1168cbf983629068975c6cf815234d7e30349db6514aebb4a7f",
    "vqa/annotations_heldout.json": "84bf597232ee13131d6779878ce57c00faa953fb23f90260f7d9af848846618d",
}


def _numbered(split: str, attributes: list, name: str | None = None) -> list[PlannedImage]:
    return [PlannedImage(name or split, ID_OFFSETS[split] + i, a) for i, a in enumerate(attributes)]


def _data(files: list[str], **entries: Any) -> dict[str, Any]:
    checksums = {name: _ANNOTATION_SHA256[name] for name in files}
    return {"dir": "bundled:shapes", **entries, **({"checksums": checksums} if checksums else {}), "how_to_get": _HOW}


def _task_data(split: str, count: int) -> dict[str, dict[str, Any]]:
    suffix = "" if split == "test" else f"_{split}"
    vqa_files = [f"vqa/questions_{split}.json", f"vqa/annotations_{split}.json"]
    captions = _data([KARPATHY_FILE], format="karpathy", annotations=KARPATHY_FILE, split=split, expected_count=count)
    return {
        f"shapes_caption{suffix}": captions,
        f"shapes_retrieval{suffix}": dict(captions),
        f"shapes_vqa{suffix}": _data(vqa_files, format="vqav2", questions=f"vqa/questions_{split}.json",
                                     annotations=f"vqa/annotations_{split}.json", images=split,
                                     image_pattern="COCO_{subtype}_{image_id:012d}.png", expected_count=6 * count),
        f"shapes_zeroshot{suffix}": _data([], format="imagenet_folders", images=f"zeroshot/{split}",
                                          classnames=[zeroshot_classname(k, c) for k, c in ZEROSHOT_CLASSES],
                                          templates=list(TEMPLATES), expected_count=len(plan_zeroshot(split))),
    }


def plan_zeroshot(split: str) -> list[PlannedImage]:
    """The zero-shot images of ``test`` (seen colour-kind pairs) or ``heldout`` (the held-out pairs):
    large shapes, ZEROSHOT_COUNTS[i % 7] images for the i-th class of the split, random count and position."""
    classes = [c for c in ZEROSHOT_CLASSES if (c in HELDOUT_PAIRS) == (split == "heldout")]
    rng = random.Random(f"shapes-v{VERSION}-zeroshot-{split}-plan")
    attributes = [Attributes(kind, colour, ZEROSHOT_SIZE, rng.choice(COUNTS), rng.choice(POSITIONS))
                  for i, (kind, colour) in enumerate(classes) for _ in range(ZEROSHOT_COUNTS[i % len(ZEROSHOT_COUNTS)])]
    return _numbered(f"zeroshot-{split}", attributes, split)


#: ``data:`` sections of the shapes tasks (``*_heldout``: combinations never seen in training).
SHAPES_TASK_DATA: dict[str, dict[str, Any]] = {**_task_data("test", TEST_PER_KIND * len(KINDS)), **_task_data("heldout", 90)}
assert len(ZEROSHOT_CLASSES) == len(KINDS) * len(COLOURS)


def plan_split_set(split_set: SplitSet) -> list[PlannedImage]:
    """Which images a split set holds, in file order (deterministic)."""
    combos = all_combinations()
    seen = [a for a in combos if not is_heldout(a)]
    if split_set == "train":
        rng = random.Random(f"shapes-v{SEED_VERSION}-train-plan")
        chosen: list = []
        while len(chosen) < TRAIN_SIZE:
            chosen += rng.sample(seen, len(seen))
        return _numbered("train", chosen[:TRAIN_SIZE])
    rng = random.Random(f"shapes-v{SEED_VERSION}-test-plan")
    test = [a for kind in KINDS for a in rng.sample([c for c in seen if c.kind == kind], TEST_PER_KIND)]
    heldout = [a for a in combos if is_heldout(a)]
    return _numbered("test", rng.sample(test, len(test))) + _numbered("heldout", rng.sample(heldout, len(heldout)))


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/mmbench").expanduser()


def suite_dir(split_set: SplitSet) -> Path:
    return cache_root() / "shapes" / f"v{VERSION}" / split_set


def ensure_suite(split_set: SplitSet = "test") -> Path:
    """The folder of a split set, generating and verifying it first if needed."""
    if split_set not in ("test", "train"):
        raise DataError(f"unknown shapes split set {split_set!r}; use 'test' or 'train'")
    target = suite_dir(split_set)
    if _is_complete(target, split_set):
        return target
    from mmbench.data.shapes_write import suite_digest, write_suite

    scratch = target.parent / f".{split_set}.{uuid.uuid4().hex}.tmp"
    try:
        zeroshot = [*plan_zeroshot("test"), *plan_zeroshot("heldout")] if split_set == "test" else []
        write_suite(scratch, plan_split_set(split_set), SEED_VERSION, zeroshot)
        digest = suite_digest(scratch)
        expected = EXPECTED_DIGESTS.get(split_set)
        if expected and digest != expected:
            raise DataError(f"the generated shapes suite ({split_set}) differs from the reference: digest {digest[:12]}, "
                            f"expected {expected[:12]}; please report this with your numpy and Pillow versions")
        (scratch / MARKER).write_text(digest, encoding="utf-8")
        _install(scratch, target, split_set)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _is_complete(folder: Path, split_set: str) -> bool:
    marker = folder / MARKER
    if not marker.is_file():
        return False
    expected = EXPECTED_DIGESTS.get(split_set)
    return not expected or marker.read_text(encoding="utf-8").strip() == expected


def _install(scratch: Path, target: Path, split_set: str) -> None:
    """Move the finished folder into place; another process may have done it first."""
    if target.exists() and not _is_complete(target, split_set):
        shutil.rmtree(target, ignore_errors=True)
    try:
        os.rename(scratch, target)
    except OSError:
        if not _is_complete(target, split_set):
            raise


def test_suite_dir() -> Path:
    return ensure_suite("test")


def train_suite_dir() -> Path:
    return ensure_suite("train")

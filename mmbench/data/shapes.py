"""The bundled synthetic suite ``bundled:shapes``: coloured shapes with captions, VQA and classes.

Generated on first use into ``$MMBENCH_CACHE/shapes/v<VERSION>/`` (default ``~/.cache/mmbench``)
and verified against a digest of its pixels and annotation files (:data:`EXPECTED_DIGESTS`).

Splits (64x64 PNG images; see :mod:`mmbench.data.shapes_spec` for the vocabulary):
- ``test``: 300 images, 60 per shape kind, each with a distinct attribute combination;
- ``heldout``: 90 images, one per combination whose (kind, colour) pair never occurs in training;
- ``train``: 6000 images of the 450 training combinations (generated only when asked, ~30 s).

Task files use :data:`SHAPES_TASK_DATA` as their ``data:`` sections. Bump :data:`VERSION` (and
the shapes task versions) whenever anything here changes the files.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from pathlib import Path
from typing import Any, Literal

from mmbench.data.shapes_spec import KINDS, TEMPLATES, all_combinations, is_heldout
from mmbench.data.shapes_write import KARPATHY_FILE, PlannedImage
from mmbench.errors import DataError

VERSION = 1
CACHE_ENV = "MMBENCH_CACHE"
TEST_PER_KIND = 60
TRAIN_SIZE = 6000
ID_OFFSETS = {"test": 1, "heldout": 10001, "train": 100001}
MARKER = ".complete"
SplitSet = Literal["test", "train"]

#: sha256 of each split set's files (pixels for PNGs), as written by this version.
EXPECTED_DIGESTS: dict[str, str] = {
    "test": "816a472a27e538b999f111c2674666d2b60bf72f0f6e9cf5b815d693a782dde7",
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
                                          templates=list(TEMPLATES), expected_count=count),
    }


#: ``data:`` sections of the shapes tasks (``*_heldout``: combinations never seen in training).
SHAPES_TASK_DATA: dict[str, dict[str, Any]] = {**_task_data("test", TEST_PER_KIND * len(KINDS)), **_task_data("heldout", 90)}


def plan_split_set(split_set: SplitSet) -> list[PlannedImage]:
    """Which images a split set holds, in file order (deterministic)."""
    combos = all_combinations()
    seen = [a for a in combos if not is_heldout(a)]
    if split_set == "train":
        rng = random.Random(f"shapes-v{VERSION}-train-plan")
        chosen: list = []
        while len(chosen) < TRAIN_SIZE:
            chosen += rng.sample(seen, len(seen))
        return _numbered("train", chosen[:TRAIN_SIZE])
    rng = random.Random(f"shapes-v{VERSION}-test-plan")
    test = [a for kind in KINDS for a in rng.sample([c for c in seen if c.kind == kind], TEST_PER_KIND)]
    heldout = [a for a in combos if is_heldout(a)]
    return _numbered("test", rng.sample(test, len(test))) + _numbered("heldout", rng.sample(heldout, len(heldout)))


def _numbered(split: str, attributes: list) -> list[PlannedImage]:
    return [PlannedImage(split, ID_OFFSETS[split] + i, a) for i, a in enumerate(attributes)]


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
        write_suite(scratch, plan_split_set(split_set), VERSION, class_folders=split_set == "test")
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


def verify_suite(split_set: SplitSet) -> tuple[bool, str]:
    """Recompute the digest of the files on disk: (matches, digest)."""
    from mmbench.data.shapes_write import suite_digest

    digest = suite_digest(ensure_suite(split_set))
    expected = EXPECTED_DIGESTS.get(split_set)
    return (not expected or digest == expected), digest

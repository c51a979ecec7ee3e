"""ImageNet val as one flat folder of ``ILSVRC2012_val_XXXXXXXX.JPEG`` + a label file.

Label files (``labels`` key, default ``ILSVRC2012_validation_ground_truth.txt``):
- the devkit's ground truth: line i holds the devkit ``ILSVRC2012_ID`` (1..1000) of image i; the
  devkit IDs are not in sorted-wnid order, so ``devkit_meta`` (default
  ``ILSVRC2012_devkit_t12/data/meta.mat``) maps them to wnids: the devkit's ``meta.mat`` (read with
  scipy, no pickle) or a text file with the 1000 wnids in devkit-ID order, one per line;
- ``LOC_val_solution.csv`` (Kaggle; any ``.csv``): ``ImageId,PredictionString``, the first token of
  the prediction string is the wnid.

Other keys: ``images`` (default ``val``), ``templates`` (default ``openai_imagenet``). Class
index = position of the wnid among the 1000 sorted wnids; class names from refdata.
Samples: id = image = file name; meta = {"label"}.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mmbench.data.classes import imagenet_classnames, imagenet_wnids, templates
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

DEFAULT_IMAGES = "val"
DEFAULT_LABELS = "ILSVRC2012_validation_ground_truth.txt"
DEFAULT_META = "ILSVRC2012_devkit_t12/data/meta.mat"
NUM_CLASSES = 1000


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    files = [("image folder", source.path("images", DEFAULT_IMAGES)), ("label file", source.path("labels", DEFAULT_LABELS))]
    if not _is_csv(source.path("labels", DEFAULT_LABELS)):
        files.append(("devkit meta (devkit ID -> wnid)", source.path("devkit_meta", DEFAULT_META)))
    return files


def read(source: DataSource) -> DataSplit:
    root = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    labels_path = source.existing("labels", "label file", DEFAULT_LABELS)
    if _is_csv(labels_path):
        wnid_of_image, files = _read_loc_csv(labels_path), [labels_path]
    else:
        meta_path = source.existing("devkit_meta", "devkit meta (devkit ID -> wnid)", DEFAULT_META)
        wnid_of_image, files = _read_devkit(labels_path, _devkit_wnids(meta_path)), [labels_path, meta_path]
    position = {w: i for i, w in enumerate(imagenet_wnids())}
    samples = []
    for name, wnid in wnid_of_image.items():
        if wnid not in position:
            raise DataError(f"{labels_path}: {name}: {wnid!r} is not an ImageNet-1k wnid")
        rel = check_relative(name, f"{labels_path}: {name}")
        samples.append(Sample(id=rel, images=(ImageFile(rel),), meta={"label": position[wnid]}))
    prompt_templates, template_file = templates(source)
    files += [template_file] if template_file else []
    return DataSplit(root=root, samples=samples, classnames=imagenet_classnames(), templates=prompt_templates, files=files)


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def _read_loc_csv(path: Path) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    if not rows or [h.strip() for h in rows[0][:2]] != ["ImageId", "PredictionString"]:
        raise DataError(f"{path}: expected the header 'ImageId,PredictionString' (LOC_val_solution.csv)")
    found: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[1].split():
            raise DataError(f"{path}: line {line}: expected 'ImageId,wnid x0 y0 x1 y1 ...'")
        found[f"{row[0].strip()}.JPEG"] = row[1].split()[0]
    return found


def _read_devkit(path: Path, devkit_wnids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            devkit_id = int(text.strip())
        except ValueError:
            raise DataError(f"{path}: line {line}: {text.strip()!r} is not a devkit class ID (1..1000)") from None
        if not 1 <= devkit_id <= NUM_CLASSES:
            raise DataError(f"{path}: line {line}: devkit class ID {devkit_id} outside 1..1000")
        found[f"ILSVRC2012_val_{line:08d}.JPEG"] = devkit_wnids[devkit_id - 1]
    if not found:
        raise DataError(f"{path}: no labels")
    return found


def _devkit_wnids(path: Path) -> list[str]:
    """The 1000 wnids in devkit-ID order, from meta.mat (synsets with ILSVRC2012_ID <= 1000) or a text list."""
    if path.suffix.lower() == ".mat":
        wnids = _wnids_from_mat(path)
    else:
        wnids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(wnids) != NUM_CLASSES:
        raise DataError(f"{path}: found {len(wnids)} leaf classes, expected {NUM_CLASSES}")
    return wnids


def _wnids_from_mat(path: Path) -> list[str]:
    from scipy.io import loadmat

    try:
        synsets = loadmat(str(path), squeeze_me=True)["synsets"]
        pairs = sorted((int(s["ILSVRC2012_ID"]), str(s["WNID"])) for s in synsets)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: not a devkit meta.mat with a 'synsets' table ({e})") from None
    return [wnid for devkit_id, wnid in pairs if devkit_id <= NUM_CLASSES]

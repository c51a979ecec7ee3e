"""Class-folder image datasets: ImageNet val as ``val/<wnid>/*.JPEG``, or any ``<class>/*`` tree.

Keys: ``images`` (folder holding the class folders, default ``val``), ``classnames`` and
``templates`` (see :mod:`mmbench.data.classes`; default: ImageNet names when every folder is an
ImageNet wnid, else the folder names; templates default ``openai_imagenet``), ``folders``
(``wnid`` by default; ``class_index`` for ImageNet-V2, whose folders are named ``0`` ... ``999``
by ImageNet class index), ``class_subset`` (ImageNet-R / ImageNet-A: the 200 wnids predictions are
restricted to; see :func:`mmbench.data.classes.class_subset`).

Class index: with ImageNet names, the position of the wnid among the 1000 sorted wnids (so a
subset of folders keeps the standard indices), or with ``class_subset`` its position among the
subset's sorted wnids (the classifier then holds only the subset's classes, as in the CLIP paper);
otherwise the position of the folder in sorted order. Samples: id = image = path relative to the
image folder (``n01440764/x.JPEG``); meta = {"label": class index}.
"""

from __future__ import annotations

from pathlib import Path

from mmbench.data.classes import IMAGENET, class_subset, imagenet_classnames, imagenet_wnids, string_list, templates
from mmbench.data.images import ImageFile
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

DEFAULT_IMAGES = "val"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".ppm"}


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("class-folder image tree", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    root = source.existing("images", "class-folder image tree", DEFAULT_IMAGES, folder=True)
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root}: no class folders; expected one folder per class (e.g. val/n01440764/*.JPEG)")
    classnames, index_of, files = _classes(source, folders, root)
    samples = []
    for folder in folders:
        for image in sorted((root / folder).iterdir()):
            if image.suffix.lower() in IMAGE_SUFFIXES and not image.name.startswith("."):
                rel = f"{folder}/{image.name}"
                samples.append(Sample(id=rel, images=(ImageFile(rel),), meta={"label": index_of[folder]}))
    if not samples:
        raise DataError(f"{root}: class folders hold no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    prompt_templates, template_file = templates(source)
    files += [template_file] if template_file else []
    return DataSplit(root=root, samples=samples, classnames=classnames, templates=prompt_templates, files=files)


def _classes(source: DataSource, folders: list[str], root: Path) -> tuple[list[str], dict[str, int], list[Path]]:
    value = source.get("classnames")
    wnids = imagenet_wnids()
    naming = source.get("folders", "wnid")
    if naming == "class_index":
        return imagenet_classnames(), _index_folders(folders, root, len(wnids)), []
    if naming != "wnid":
        raise DataError(f"data.folders must be wnid or class_index, not {naming!r}")
    subset = class_subset(source)
    if subset is not None:
        outside = sorted(set(folders) - set(subset))
        if outside:
            raise DataError(f"{root}: folder {outside[0]!r} is not one of the {len(subset)} classes of data.class_subset")
        position = {w: i for i, w in enumerate(wnids)}
        names = imagenet_classnames()
        return [names[position[w]] for w in subset], {f: subset.index(f) for f in folders}, []
    if value == IMAGENET or (value is None and set(folders) <= set(wnids)):
        unknown = sorted(set(folders) - set(wnids))
        if unknown:
            raise DataError(f"{root}: folder {unknown[0]!r} is not an ImageNet-1k wnid (classnames: imagenet)")
        position = {w: i for i, w in enumerate(wnids)}
        return imagenet_classnames(), {f: position[f] for f in folders}, []
    if value is None:
        return list(folders), {f: i for i, f in enumerate(folders)}, []
    names, path = string_list(source, "classnames", value)
    if len(names) != len(folders):
        raise DataError(f"{path or 'task file'}: {len(names)} class names for {len(folders)} class folders in {root}; "
                        "give one name per folder, in sorted folder order")
    return names, {f: i for i, f in enumerate(folders)}, [path] if path else []


def _index_folders(folders: list[str], root: Path, n_classes: int) -> dict[str, int]:
    """ImageNet-V2 layout: folder ``k`` holds class index ``k`` (0-based, sorted-wnid order)."""
    index_of = {}
    for folder in folders:
        if not folder.isdigit() or not 0 <= int(folder) < n_classes:
            raise DataError(f"{root}: folder {folder!r} is not a class index 0..{n_classes - 1} (data.folders: class_index)")
        index_of[folder] = int(folder)
    return index_of

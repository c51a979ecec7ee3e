"""Zero-shot class names and prompt templates: refdata (ImageNet, CIFAR) or the task's own lists.

``data.classnames``: ``imagenet`` (the 1000 CLIP class names of refdata, indexed in sorted-wnid
order), ``cifar10`` / ``cifar100`` (CLIP's CIFAR class names, in label order), a list, or a JSON
file (list of names) under ``dir``. ``data.templates``: ``openai_imagenet`` (the 80 CLIP
templates), ``simple_imagenet`` (7), ``openai_cifar`` (CLIP's 18 CIFAR templates), a list, or a
JSON file under ``dir``. Templates carry one ``{c}`` slot. Class names may repeat (ImageNet has two
"crane"s and two "maillot"s): always index them by position.

``data.class_subset``: ``imagenet_r`` / ``imagenet_a`` (the 200 wnids of ImageNet-R and ImageNet-A),
a list of wnids, or a JSON file of them: the classes predictions are restricted to. Sources of
every refdata list: ``docs/refdata.md``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from mmbench.data.source import DataSource
from mmbench.errors import DataError
from mmbench.jsonio import read_json

REFDATA = Path(__file__).resolve().parent.parent / "refdata"
TEMPLATE_SETS = {"openai_imagenet": "imagenet/openai_imagenet_templates.json",
                 "simple_imagenet": "imagenet/simple_imagenet_templates.json",
                 "openai_cifar": "cifar/cifar_templates.json"}
CLASSNAME_SETS = {"cifar10": "cifar/cifar10_classnames.json", "cifar100": "cifar/cifar100_classnames.json"}
CLASS_SUBSETS = {"imagenet_r": "imagenet/imagenet_r_wnids.json", "imagenet_a": "imagenet/imagenet_a_wnids.json"}
IMAGENET = "imagenet"


@lru_cache(maxsize=None)
def _refdata(name: str) -> list[str]:
    values = read_json(REFDATA / name, "reference data file")
    return [str(v) for v in values]


def imagenet_wnids() -> list[str]:
    """The 1000 ImageNet-1k wnids, sorted: position = class index."""
    return _refdata("imagenet/imagenet_wnids_sorted.json")


def imagenet_classnames() -> list[str]:
    """CLIP's 1000 class names in sorted-wnid order (refdata)."""
    return _refdata("imagenet/imagenet_classnames.json")


def named_classnames(name: str) -> list[str]:
    """A shipped class-name list (``cifar10``, ``cifar100``) in label order."""
    return _refdata(CLASSNAME_SETS[name])


def class_subset(source: DataSource) -> list[str] | None:
    """The sorted wnids of ``data.class_subset`` (None when not set); every one an ImageNet-1k wnid."""
    value = source.get("class_subset")
    if value is None:
        return None
    if isinstance(value, str) and value in CLASS_SUBSETS:
        wnids, path = _refdata(CLASS_SUBSETS[value]), None
    else:
        wnids, path = string_list(source, "class_subset", value)
    unknown = sorted(set(wnids) - set(imagenet_wnids()))
    if unknown:
        raise DataError(f"{path or 'task file'}: data.class_subset has {unknown[0]!r}, not an ImageNet-1k wnid "
                        f"(named subsets: {', '.join(CLASS_SUBSETS)})")
    return sorted(set(wnids))


def string_list(source: DataSource, key: str, value: Any) -> tuple[list[str], Path | None]:
    """A list given inline or as a JSON file under ``dir``; returns (list, file read or None)."""
    if isinstance(value, list):
        items, path = value, None
    else:
        path = source.existing(key, f"{key} file")
        from mmbench.jsonio import read_json

        items = read_json(path, f"{key} file")
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise DataError(f"{path or 'task file'}: data.{key} must be a non-empty list of strings")
    return list(items), path


def templates(source: DataSource, default: str = "openai_imagenet") -> tuple[list[str], Path | None]:
    value = source.get("templates", default)
    if isinstance(value, str) and value in TEMPLATE_SETS:
        return _refdata(TEMPLATE_SETS[value]), None
    found, path = string_list(source, "templates", value)
    bad = [t for t in found if "{c}" not in t]
    if bad:
        raise DataError(f"{path or 'task file'}: template {bad[0]!r} has no {{c}} slot for the class name")
    return found, path

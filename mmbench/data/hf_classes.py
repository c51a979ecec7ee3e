"""Class names and label re-indexing of a ``format: hf`` label column (see :mod:`mmbench.data.hf_source`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmbench.data.classes import (
    CLASSNAME_SETS,
    IMAGENET,
    class_subset,
    imagenet_classnames,
    imagenet_wnids,
    named_classnames,
    string_list,
)
from mmbench.data.source import DataSource
from mmbench.errors import DataError

if TYPE_CHECKING:
    import datasets  # type: ignore[import-untyped]


def label_classes(source: DataSource, dataset: datasets.Dataset, column: str | None) -> tuple[dict[int, int] | None, list[str] | None]:
    """(label re-indexing or None, class names) for a label column; (None, None) without one."""
    if column is None:
        return None, None
    feature_names = list(getattr(dataset.features[column], "names", None) or [])
    subset = class_subset(source)
    if subset is not None:  # labels index the subset's sorted wnids
        position = {w: i for i, w in enumerate(imagenet_wnids())}
        names = imagenet_classnames()
        return None, [names[position[w]] for w in subset]
    value = source.get("classnames")
    if value == IMAGENET:
        wnids = imagenet_wnids()
        if feature_names and set(feature_names) <= set(wnids):
            position = {w: i for i, w in enumerate(wnids)}
            return {i: position[w] for i, w in enumerate(feature_names)}, imagenet_classnames()
        return None, imagenet_classnames()
    if isinstance(value, str) and value in CLASSNAME_SETS:  # cifar10 / cifar100: CLIP's names, by label index
        names = named_classnames(value)
        if feature_names and len(feature_names) != len(names):
            raise DataError(f"{source.get('path')}: {len(feature_names)} classes in column {column!r}, {len(names)} in {value}")
        return None, names
    if value is not None:
        return None, string_list(source, "classnames", value)[0]
    if not feature_names:
        raise DataError(f"{source.get('path')}: label column {column!r} has no class names; set data.classnames "
                        f"(imagenet, a list, or a JSON file)")
    return None, feature_names

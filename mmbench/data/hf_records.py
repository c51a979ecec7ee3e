"""``records``: hub rows that are a data format's entries, decoded by that format's own reader.

``records: gqa`` on a ``format: hf`` source (lmms-lab/GQA's instructions, lmms-lab/textvqa) reads
each row as one entry of the format's official file and hands it to the format module's
``sample_from_record(record, path, where) -> Sample | None``: one decoder per format, so the
samples (ids, texts, meta, filtering) are those of the official files; only the image comes from
the copy (its image column, or ``images_from``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from mmbench.data.fields import check_unique
from mmbench.data.hf_images import HFImage, HFImageColumn
from mmbench.data.hf_source import filtered_rows, join_column, joined_images, metadata_files, resolve_columns
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

if TYPE_CHECKING:
    import datasets  # type: ignore[import-untyped]


def read_records(source: DataSource, dataset: datasets.Dataset) -> DataSplit:
    """Rows that are a data format's entries (``records: gqa``), decoded by that format's
    ``sample_from_record``: the same samples as its official files, images from the copy."""
    import datasets

    from mmbench.data.formats import get_format

    name = str(source.get("records"))
    decode = getattr(get_format({"format": name}), "sample_from_record", None)
    if decode is None:
        raise DataError(f"data.records: format {name!r} has no record decoder (sample_from_record); "
                        f"map the columns with data.columns instead")
    path = Path(str(source.get("path")))
    image_columns = [c for c, feature in dataset.features.items() if isinstance(feature, datasets.Image)]
    table = dataset.select_columns([c for c in dataset.column_names if c not in image_columns]).to_dict()
    decoded: dict[int, Sample] = {}
    for row in filtered_rows(source, dataset):
        sample = decode({column: cells[row] for column, cells in table.items()}, path, f"row {row}")
        if sample is not None:
            decoded[row] = sample
    if not decoded:
        raise DataError(f"{path}: no samples in split {source.split()!r} (data.records: {name})")
    if source.get("images_from") is not None:
        on = join_column(source, dataset)
        keys = {row: table[on][row] if on is not None else sample.id for row, sample in decoded.items()}
        image_of, root = joined_images(source, keys)
    else:
        column = resolve_columns(source, dataset).get("image")  # the task's mapping over the defaults
        if column not in image_columns:
            raise DataError(f"{path}: no image column (columns: {dataset.column_names}); set data.columns.image "
                            f"or data.images_from")
        image_column = HFImageColumn(dataset, column)
        image_of, root = (lambda row: HFImage(image_column, row)), source.dir or Path(".")
    samples = [dataclasses.replace(sample, images=(image_of(row),)) for row, sample in decoded.items()]
    check_unique([s.id for s in samples], path, "sample id")
    return DataSplit(root=root, samples=samples, files=metadata_files(source))


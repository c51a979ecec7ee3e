"""``records``: hub rows that are a data format's entries, decoded by that format's own reader.

``records: gqa`` on a ``format: hf`` source (lmms-lab/GQA's instructions, lmms-lab/textvqa) reads
each row as one entry of the format's official file and hands it to the format module's
``sample_from_record(record, path, where) -> Sample | None``: one decoder per format, so the
samples (ids, texts, meta, filtering) are those of the official files; only the image comes from
the copy (its image column, or ``images_from``).

``id_occurrence: true`` numbers the decoded ids by occurrence (``<id>/<n>``, see
:mod:`mmbench.data.hf_source`): lmms-lab/MME's shared ``question_id``, lmms-lab/ChartQA's subset.

A column of image lists (``Sequence(Image())``, lmms-lab/SEED-Bench's ``image``) named as the image
column gives each row its list's first image, read lazily like a single image cell.

``image_columns: [image_1, ..., image_7]`` (rows holding several images, MMMU/MMMU): each row's
record carries those cells as lazy image references (None where the cell is null), in place of
their bytes, and the decoder builds the sample's images from them in its own order; the sample
keeps them (no single image column is attached).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.data.fields import check_unique
from mmbench.data.hf_ids import occurrence_ids, occurrence_ids_wanted
from mmbench.data.hf_images import HFImage, HFImageColumn, is_image_list
from mmbench.data.hf_source import (
    filtered_rows,
    join_column,
    joined_images,
    metadata_files,
    resolve_columns,
)
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
    list_columns = [c for c, feature in dataset.features.items() if is_image_list(feature)]  # read lazily, never decoded here
    table = dataset.select_columns([c for c in dataset.column_names if c not in (*image_columns, *list_columns)]).to_dict()
    in_record = _image_cells(source, dataset, image_columns)
    decoded: dict[int, Sample] = {}
    for row in filtered_rows(source, dataset):
        record = {column: cells[row] for column, cells in table.items()}
        record.update({column: cells(row) for column, cells in in_record.items()})
        sample = decode(record, path, f"row {row}")
        if sample is not None:
            decoded[row] = sample
    if not decoded:
        raise DataError(f"{path}: no samples in split {source.split()!r} (data.records: {name})")
    if occurrence_ids_wanted(source):  # the decoder's ids, numbered by occurrence in row order
        numbered = occurrence_ids([sample.id for sample in decoded.values()])
        decoded = {row: dataclasses.replace(sample, id=new_id)
                   for (row, sample), new_id in zip(decoded.items(), numbered)}
    if in_record:  # the decoder placed the row's images itself
        samples = list(decoded.values())
        check_unique([s.id for s in samples], path, "sample id")
        return DataSplit(root=source.dir or Path("."), samples=samples, files=metadata_files(source))
    if source.get("images_from") is not None:
        on = join_column(source, dataset)
        keys = {row: table[on][row] if on is not None else sample.id for row, sample in decoded.items()}
        image_of, root = joined_images(source, keys)
    else:
        column = resolve_columns(source, dataset).get("image")  # the task's mapping over the defaults
        if column not in (*image_columns, *list_columns):
            raise DataError(f"{path}: no image column (columns: {dataset.column_names}); set data.columns.image "
                            f"or data.images_from")
        # a column of image lists (lmms-lab/SEED-Bench): the row's first image
        image_column = HFImageColumn(dataset, column, item=0 if column in list_columns else None)
        image_of, root = (lambda row: HFImage(image_column, row)), source.dir or Path(".")
    samples = [dataclasses.replace(sample, images=(image_of(row),)) for row, sample in decoded.items()]
    check_unique([s.id for s in samples], path, "sample id")
    return DataSplit(root=root, samples=samples, files=metadata_files(source))


def _image_cells(source: DataSource, dataset: datasets.Dataset, image_columns: list[str]) -> dict[str, Any]:
    """``image_columns``: column -> (row -> a lazy :class:`HFImage`, or None where the cell is null)."""
    wanted = source.get("image_columns")
    if wanted is None:
        return {}
    if not isinstance(wanted, list) or not wanted or not all(isinstance(c, str) for c in wanted):
        raise DataError(f"{source.get('path')}: data.image_columns must be a list of image column names")
    absent = [c for c in wanted if c not in image_columns]
    if absent:
        raise DataError(f"{source.get('path')}: data.image_columns names {absent}, not image columns of the dataset "
                        f"(image columns: {image_columns})")
    cells = {}
    for column in wanted:
        reader = HFImageColumn(dataset, column)
        nulls = dataset.flatten_indices().data.column(column).is_null() if dataset._indices is not None \
            else dataset.data.column(column).is_null()  # null masks only: no image bytes are read here
        present = [not null for null in nulls.to_pylist()]
        cells[column] = (lambda row, reader=reader, present=present: HFImage(reader, row) if present[row] else None)
    return cells

"""The ``hf`` data format (Hugging Face datasets, a hub id or a local folder): rows whose columns
hold the sample's roles (:func:`mmbench.data.hf_source.read_columns`), or rows that are another
format's entries (``records``: :func:`mmbench.data.hf_records.read_records`). This module only
chooses between the two, so neither reader imports the other's module back."""

from __future__ import annotations

from mmbench.data.hf_records import read_records
from mmbench.data.hf_source import expected_files, load_dataset_split, read_columns
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit

__all__ = ["expected_files", "read"]


def read(source: DataSource) -> DataSplit:
    dataset = load_dataset_split(source)
    if source.get("records") is not None:
        return read_records(source, dataset)
    return read_columns(source, dataset)

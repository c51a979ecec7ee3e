"""Image cells of Hugging Face datasets, read lazily: :class:`HFImage` (used by ``format: hf``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.data.images import EncodedImage
from mmbench.errors import DataError

if TYPE_CHECKING:
    from PIL import Image
    import datasets  # type: ignore[import-untyped]


def is_image_list(feature: Any) -> bool:
    """A column of image lists (``Sequence(Image())`` / ``List(Image())``: lmms-lab/SEED-Bench's ``image``)."""
    import datasets

    return isinstance(getattr(feature, "feature", None), datasets.Image)


class HFImageColumn:
    """An image column read one row at a time as ``{"bytes", "path"}`` (undecoded). With ``item``,
    a column of image lists whose ``item``-th image is the row's image (a shorter list is an error)."""

    def __init__(self, dataset: datasets.Dataset, column: str, item: int | None = None) -> None:
        import datasets

        self.column = column
        self.item = item
        undecoded = datasets.Image(decode=False)
        self.table = dataset.select_columns([column]).cast_column(
            column, undecoded if item is None else datasets.Sequence(undecoded))
        self._last: tuple[int, dict[str, Any]] | None = None  # open_image reads a cell twice in a row

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_last": None}

    def cell(self, row: int) -> dict[str, Any]:
        if self._last is not None and self._last[0] == row:
            return self._last[1]
        cell = self._read(row)
        self._last = (row, cell)
        return cell

    def _read(self, row: int) -> dict[str, Any]:
        value = self.table[row][self.column]
        if self.item is not None:
            if not isinstance(value, list) or len(value) <= self.item:
                raise DataError(f"Hugging Face dataset column {self.column!r}, row {row}: no image {self.item} in the "
                                f"row's image list ({len(value) if isinstance(value, list) else 0} images)")
            value = value[self.item]
        cell = dict(value or {})
        if cell.get("bytes") is None and cell.get("path"):  # image files outside the Arrow table (imagefolder)
            path = Path(cell["path"])
            if not path.is_file():
                raise DataError(f"image not found: {path} (Hugging Face dataset column {self.column!r}, row {row})")
            cell["bytes"] = path.read_bytes()
        if cell.get("bytes") is None:
            raise DataError(f"Hugging Face dataset column {self.column!r}, row {row}: empty image cell")
        return cell


@dataclass(frozen=True, eq=False)
class HFImage:
    """A lazy image cell of a Hugging Face dataset: its bytes are read from the memory-mapped table
    only when opened (in the DataLoader worker). Pickles as (column, row)."""

    column: HFImageColumn
    row: int

    def open(self, root: Path) -> Image.Image:
        cell = self.column.cell(self.row)
        name = str(cell.get("path") or f"Hugging Face dataset column {self.column.column!r}, row {self.row}")
        return EncodedImage(cell["bytes"], name).open(root)

    def size(self, root: Path) -> tuple[int, int]:
        """(width, height) from the cell's encoded header, as :meth:`open` would return it."""
        return EncodedImage(self.column.cell(self.row)["bytes"]).size(root)

    def identity(self) -> str:
        """A digest of the cell's encoded bytes (:func:`mmbench.data.images.image_identity`)."""
        import hashlib

        return "bytes:" + hashlib.sha256(self.column.cell(self.row)["bytes"]).hexdigest()[:24]

    def __repr__(self) -> str:
        return f"HFImage(column={self.column.column!r}, row={self.row})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HFImage) and other.column is self.column and other.row == self.row

    def __hash__(self) -> int:
        return hash((id(self.column), self.row))

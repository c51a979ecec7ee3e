"""open_image of each image reference: RGB, EXIF orientation, paths kept inside the root, corrupt files named, picklable."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest
from PIL import Image

from mmbench.data import open_image
from mmbench.data.images import DecodedImage, EncodedImage, ImageFile
from mmbench.errors import DataError


def test_relative_path_opens_as_rgb(tmp_path: Path) -> None:
    Image.new("L", (5, 3), 128).save(tmp_path / "grey.png")
    img = open_image(ImageFile("grey.png"), tmp_path)
    assert img.mode == "RGB" and img.size == (5, 3) and img.getpixel((0, 0)) == (128, 128, 128)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    img = Image.new("RGB", (4, 2), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": a 4x2 stored image shows as 2x4
    img.save(tmp_path / "rotated.jpg", exif=exif.tobytes())
    assert open_image(ImageFile("rotated.jpg"), tmp_path).size == (2, 4)


@pytest.mark.parametrize("bad", ["../secret.png", "a/../../secret.png", "/etc/passwd", "C:\\Windows\\x.png",
                                 "..\\secret.png"])
def test_paths_leaving_the_root_are_rejected(tmp_path: Path, bad: str) -> None:
    with pytest.raises(DataError, match="absolute|leaves the image folder"):
        open_image(ImageFile(bad), tmp_path / "root")


def test_corrupt_image_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(DataError, match="broken.jpg") as info:
        open_image(ImageFile("broken.jpg"), tmp_path)
    assert "\n" not in str(info.value)


def test_truncated_png_names_the_file(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, format="PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[:60])
    with pytest.raises(DataError, match="cut.png"):
        open_image(ImageFile("cut.png"), tmp_path)


def test_missing_image_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="image not found: .*nothere.png"):
        open_image(ImageFile("nothere.png"), tmp_path)


def test_in_memory_forms(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (2, 2), (9, 8, 7, 0)).save(buffer, format="PNG")
    data = buffer.getvalue()
    assert open_image(EncodedImage(data), tmp_path).getpixel((0, 0)) == (9, 8, 7)  # alpha dropped as Image.convert("RGB")
    assert open_image(EncodedImage(data, "x.png"), tmp_path).mode == "RGB"
    assert open_image(DecodedImage(Image.new("L", (1, 1))), tmp_path).mode == "RGB"


def test_open_image_and_file_references_pickle_for_worker_processes() -> None:
    assert pickle.loads(pickle.dumps(open_image)) is open_image
    reference = ImageFile("val2014/a.jpg")
    assert pickle.loads(pickle.dumps(reference)) == reference and str(reference) == "val2014/a.jpg"


def test_image_size_reads_the_header_and_applies_the_exif_orientation(tmp_path: Path) -> None:
    from mmbench.data.images import image_size

    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned by 90 degrees
    Image.new("RGB", (40, 20)).save(tmp_path / "turned.jpg", exif=exif.tobytes())
    Image.new("RGB", (40, 20)).save(tmp_path / "plain.png")
    turned, plain = ImageFile("turned.jpg"), ImageFile("plain.png")
    assert image_size(turned, tmp_path) == open_image(turned, tmp_path).size == (20, 40)
    assert image_size(plain, tmp_path) == (40, 20)
    assert image_size(DecodedImage(Image.new("RGB", (7, 5))), tmp_path) == (7, 5)  # an in-memory image
    (tmp_path / "broken.png").write_bytes(b"not an image")
    assert image_size(ImageFile("broken.png"), tmp_path) is None and image_size(ImageFile("missing.png"), tmp_path) is None
    encoded = EncodedImage((tmp_path / "turned.jpg").read_bytes())  # bytes (a hub dataset cell): the header too
    assert image_size(encoded, tmp_path) == open_image(encoded, tmp_path).size == (20, 40)
    assert image_size(EncodedImage(b"not an image"), tmp_path) is None


def test_hub_image_cells_report_their_size_from_the_header(tmp_path: Path) -> None:
    import datasets

    from mmbench.data.hf_images import HFImage, HFImageColumn
    from mmbench.data.images import image_size

    exif = Image.Exif()
    exif[0x0112] = 8
    buffer = io.BytesIO()
    Image.new("RGB", (30, 10)).save(buffer, format="JPEG", exif=exif.tobytes())
    table = datasets.Dataset.from_dict({"image": [{"bytes": buffer.getvalue(), "path": None}]},
                                       features=datasets.Features({"image": datasets.Image()}))
    cell = HFImage(HFImageColumn(table, "image"), 0)
    assert image_size(cell, tmp_path) == open_image(cell, tmp_path).size == (10, 30)

"""Opening images named by annotation files, safely.

Paths from annotation files are relative to the split's image root and must stay inside it:
absolute paths (POSIX or Windows style) and ``..`` components are rejected lexically. Symlinks
inside the root are allowed (users often link a shared COCO folder into the data root).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mmbench.errors import DataError

if TYPE_CHECKING:
    from PIL import Image


def check_relative(rel: str, where: str) -> str:
    """Return ``rel`` (with ``/`` separators) if it is a relative path without ``..``; else DataError.

    ``where`` names the annotation file / entry for the message.
    """
    text = str(rel)
    if not text:
        raise DataError(f"{where}: empty image path")
    if "\\" in text or ":" in text or text.startswith("/"):  # pathlib only where it matters (0.4 ms a path)
        if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive:
            raise DataError(f"{where}: image path {text!r} is absolute; annotation paths must be relative to the image folder")
        parts: tuple[str, ...] = PureWindowsPath(text).parts  # splits on both / and \
    else:
        parts = tuple(text.split("/"))
    if ".." in parts:
        raise DataError(f"{where}: image path {text!r} leaves the image folder ('..'); fix the annotation file")
    return "/".join(p for p in parts if p not in ("", "."))


def image_path(image: str | Path, root: Path) -> Path:
    """The file an annotation's relative ``image`` path names under ``root``."""
    return Path(root) / check_relative(str(image), f"image {str(image)!r}")


@runtime_checkable
class ImageSource(Protocol):
    """An in-memory or lazily read image a reader puts in ``Sample.image`` (a file is a relative path str)."""

    def open(self, root: Path) -> Image.Image: ...


@dataclass(frozen=True)
class EncodedImage:
    """An encoded image file's bytes (PNG, JPEG ...), e.g. a Hugging Face datasets cell; ``name`` for messages."""

    data: bytes
    name: str = "in-memory image"

    def open(self, root: Path) -> Image.Image:
        return _decode(io.BytesIO(self.data), self.name)


@dataclass(frozen=True)
class DecodedImage:
    """A PIL image held in memory (arrays-only datasets such as CIFAR build one per sample)."""

    image: Image.Image

    def open(self, root: Path) -> Image.Image:
        from PIL import ImageOps

        return _to_rgb(ImageOps.exif_transpose(self.image))


def as_image_source(image: Any) -> str | ImageSource:
    """What a Python caller may pass as an image, as ``Sample.image`` holds it: a relative path str,
    an :class:`ImageSource`; PIL images, encoded bytes and ``{"bytes", "path"}`` dicts are wrapped."""
    from PIL import Image

    if isinstance(image, (str, ImageSource)):
        return image
    if isinstance(image, Path):
        return str(image)
    if isinstance(image, Image.Image):
        return DecodedImage(image)
    if isinstance(image, (bytes, bytearray)):
        return EncodedImage(bytes(image))
    if isinstance(image, dict) and image.get("bytes") is not None:
        return EncodedImage(image["bytes"], str(image.get("path") or "in-memory image"))
    if isinstance(image, dict) and image.get("path"):
        return str(image["path"])
    raise DataError(f"cannot open image of type {type(image).__name__}; expected a relative path, bytes or PIL image")


def open_image(image: Any, root: Path) -> Image.Image:
    """Decode ``Sample.image`` to an RGB PIL image, applying the EXIF orientation.

    A relative path str names a file under ``root``; anything else opens itself (:class:`ImageSource`,
    see :func:`as_image_source`). A missing, unreadable or corrupt file raises :class:`DataError`
    naming it. A plain module-level function, so it pickles into DataLoader worker processes.
    """
    source = as_image_source(image)
    if not isinstance(source, str):
        return source.open(root)
    path = image_path(source, root)
    if not path.is_file():
        raise DataError(f"image not found: {path} (image folder {root}); check the data folder or pass --on-error skip")
    return _decode(path, str(path))


def _decode(source: Any, name: str) -> Image.Image:
    from PIL import Image, ImageOps

    try:
        with Image.open(source) as img:
            img.load()
            return _to_rgb(ImageOps.exif_transpose(img))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise DataError(f"cannot decode image {name}: {e}; replace the file or pass --on-error skip") from None


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB copy; alpha is dropped as ``Image.convert("RGB")`` does (open_clip and HF processors do the same)."""
    return img.convert("RGB") if img.mode != "RGB" else img.copy()

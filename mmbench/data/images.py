"""Opening images named by annotation files, safely.

Paths from annotation files are relative to the split's image root and must stay inside it:
absolute paths (POSIX or Windows style) and ``..`` components are rejected lexically. Symlinks
inside the root are allowed (users often link a shared COCO folder into the data root).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Protocol

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


class ImageSource(Protocol):
    """What ``Sample.images`` hold: a reference to one image that opens itself as an RGB PIL image.

    :class:`ImageFile` (a file under the split's image root), :class:`EncodedImage` (bytes),
    :class:`DecodedImage` (a PIL image in memory) and ``mmbench.data.hf_images.HFImage`` (a lazy
    Hugging Face datasets cell). Each is small and pickles into DataLoader worker processes (our own
    objects, never data read from a file)."""

    def open(self, root: Path) -> Image.Image: ...


class SizedImageSource(ImageSource, Protocol):
    """An image source that also knows its (width, height) after the EXIF orientation without
    decoding the pixels (:class:`ImageFile` and :class:`EncodedImage` read the header): what
    :func:`image_size` asks first, for length bucketing."""

    def size(self, root: Path) -> tuple[int, int]: ...


@dataclass(frozen=True, slots=True)
class ImageFile:
    """An image file by its path relative to the split's image root, as the annotation file names
    it (``/`` separators, checked by :func:`check_relative`); ``str()`` gives that path."""

    path: str

    def open(self, root: Path) -> Image.Image:
        path = image_path(self.path, root)
        if not path.is_file():
            raise DataError(f"image not found: {path} (image folder {root}); check the data folder or pass --on-error skip")
        return _decode(path, str(path))

    def size(self, root: Path) -> tuple[int, int]:
        """(width, height) as :meth:`open` returns it, from the file's header (pixels not decoded)."""
        return _header_size(image_path(self.path, root))

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class EncodedImage:
    """An encoded image file's bytes (PNG, JPEG ...), e.g. a Hugging Face datasets cell; ``name`` for messages."""

    data: bytes
    name: str = "in-memory image"

    def open(self, root: Path) -> Image.Image:
        return _decode(io.BytesIO(self.data), self.name)

    def size(self, root: Path) -> tuple[int, int]:
        return _header_size(io.BytesIO(self.data))


@dataclass(frozen=True)
class DecodedImage:
    """A PIL image held in memory (arrays-only datasets such as CIFAR build one per sample)."""

    image: Image.Image

    def open(self, root: Path) -> Image.Image:
        from PIL import ImageOps

        return _to_rgb(ImageOps.exif_transpose(self.image))


def open_image(image: ImageSource, root: Path) -> Image.Image:
    """Decode an image reference to an RGB PIL image, applying the EXIF orientation: ``image.open(root)``.

    A missing, unreadable or corrupt image raises :class:`DataError` naming it. A plain
    module-level function, so it pickles into DataLoader worker processes.
    """
    return image.open(root)


#: EXIF orientations that turn the stored image by 90 degrees (width and height swap when applied)
_TRANSPOSED_ORIENTATIONS = (5, 6, 7, 8)


def image_size(image: ImageSource, root: Path) -> tuple[int, int] | None:
    """(width, height) of an image reference as :func:`open_image` returns it (EXIF orientation
    applied), or None when it cannot be read (the loader reports that image later): the source's
    own ``size`` where it has one (a header read), else the opened image's."""
    from PIL import Image

    try:
        sized = getattr(image, "size", None)
        if callable(sized):
            width, height = sized(root)
        else:
            width, height = open_image(image, root).size
    except (OSError, ValueError, SyntaxError, DataError, Image.DecompressionBombError):
        return None
    return width, height


def image_identity(image: ImageSource) -> str:
    """A stable text naming an image reference's content, for the prediction store's conversation
    keys: a file's relative path (its bytes are covered by the data fingerprint), else a digest of
    the encoded bytes or of the decoded pixels."""
    import hashlib

    if isinstance(image, ImageFile):
        return f"file:{image.path}"
    if isinstance(image, EncodedImage):
        return "bytes:" + hashlib.sha256(image.data).hexdigest()[:24]
    own = getattr(image, "identity", None)
    if callable(own):
        return str(own())
    opened = image.open(Path("."))
    return "pixels:" + hashlib.sha256(repr((opened.size, opened.mode)).encode() + opened.tobytes()).hexdigest()[:24]


def _header_size(source: Any) -> tuple[int, int]:
    """(width, height) of an encoded image (a path or a file object) after its EXIF orientation,
    from the header: the pixels are not decoded."""
    from PIL import Image

    with Image.open(source) as img:
        width, height = img.size
        turned = img.getexif().get(0x0112) in _TRANSPOSED_ORIENTATIONS
    return (height, width) if turned else (width, height)


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

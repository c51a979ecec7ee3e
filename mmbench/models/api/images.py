"""Images as ``data:`` URLs for chat-completions requests, encoded in DataLoader workers.

:class:`DataURLEncoder` is the ``openai:`` adapter's ``image_transform``: the runner applies it in
worker processes, so the base64 encoding of every image is done before a request is built and
never on the path that sends requests. PNG (default) is lossless; JPEG is smaller and lossy.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

DATA_URL_PREFIX = "data:image/"


@dataclass(frozen=True)
class DataURLEncoder:
    """Picklable: PIL image -> ``data:image/png;base64,...`` (or jpeg). ``max_side``: a larger image
    is shrunk (aspect ratio kept, bicubic) so that its longer side is ``max_side`` pixels."""

    image_format: str = "png"
    jpeg_quality: int = 90
    max_side: int | None = None

    def __call__(self, image: Any) -> str:
        if isinstance(image, str):  # already a URL
            return image
        from PIL import Image

        image = image.convert("RGB")
        if self.max_side is not None and max(image.size) > self.max_side:
            scale = self.max_side / max(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        if self.image_format == "jpeg":
            image.save(buffer, format="JPEG", quality=self.jpeg_quality)
        else:
            image.save(buffer, format="PNG")
        return f"{DATA_URL_PREFIX}{self.image_format};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def decode_data_url(url: str) -> Any:
    """The PIL image (RGB) a ``data:image/...;base64,`` URL holds (the test server's side)."""
    from PIL import Image

    if not url.startswith(DATA_URL_PREFIX) or ";base64," not in url:
        raise ValueError("image_url must be a data:image/...;base64, URL")
    payload = url.split(";base64,", 1)[1]
    return Image.open(io.BytesIO(base64.b64decode(payload, validate=True))).convert("RGB")

"""Data readers for the real on-disk formats, image loading, and the bundled synthetic suite.

Public API (used by the task types): :func:`load_split`, :class:`DataSplit`, :func:`open_image`,
:func:`data_fingerprint`. Importing this package does not import PIL, numpy or torch.
"""

from __future__ import annotations

from mmbench.data.fingerprint import data_fingerprint
from mmbench.data.formats import data_formats, load_split
from mmbench.data.images import open_image
from mmbench.data.split import DataSplit

__all__ = ["DataSplit", "data_fingerprint", "data_formats", "load_split", "open_image"]

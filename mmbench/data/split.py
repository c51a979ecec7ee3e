"""What every data reader returns: :class:`DataSplit`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mmbench.types import Sample


@dataclass(frozen=True)
class DataSplit:
    """One evaluation split as a reader produced it.

    ``root``: the folder that image paths in ``samples`` are relative to (see :func:`open_image`).
    ``samples``: in file order. ``classnames`` / ``templates``: zero-shot class names (index =
    class id, names may repeat) and prompt templates with a ``{c}`` slot; None for other types.
    ``files``: the annotation files read, hashed into :func:`data_fingerprint`.
    """

    root: Path
    samples: list[Sample]
    classnames: list[str] | None = None
    templates: list[str] | None = None
    files: list[Path] = field(default_factory=list)

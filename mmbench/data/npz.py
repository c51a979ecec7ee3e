"""``.npz`` archives of named plain arrays (``mmbench score retrieval`` embeddings, ``mmbench score
classification`` logits), read without unpickling anything."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from mmbench.errors import DataError

#: the arrays of each ``.npz`` format ``mmbench score`` reads
RETRIEVAL_EMBEDDINGS = ("image_embeds", "text_embeds", "text_image")
CLASSIFICATION_LOGITS = ("logits", "labels")


def read_npz(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """The arrays ``names`` of the archive at ``path`` (never unpickled); one-line errors naming ``path``."""
    import numpy as np

    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: expected an .npz file, found a directory")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: not a readable .npz file of plain arrays ({' '.join(str(e).split()) or type(e).__name__})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: expected an .npz archive of named arrays ({', '.join(names)}), found a single array")
    with npz:
        missing = [n for n in names if n not in npz.files]
        if missing:
            raise DataError(f"{path}: missing array(s) {', '.join(missing)} (found: {', '.join(npz.files) or 'none'})")
        try:
            return {n: npz[n] for n in names}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
            reason = " ".join(str(e).split()) or type(e).__name__
            raise DataError(f"{path}: not a readable .npz file of plain arrays ({reason})") from None

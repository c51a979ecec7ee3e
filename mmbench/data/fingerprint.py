"""A short, stable identity of the data a run read: annotation file contents + sample ids."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mmbench.data.split import DataSplit

_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 hex digest of a file's bytes, memoised per (path, size, mtime) within the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_HASHES:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _FILE_HASHES[key] = digest.hexdigest()
    return _FILE_HASHES[key]


def data_fingerprint(split: DataSplit) -> str:
    """``sha256:`` + 16 hex digits over the annotation files' bytes and the ordered sample ids.

    File names do not enter the hash (moving the data folder keeps the fingerprint); contents do.
    """
    digest = hashlib.sha256()
    for path in split.files:
        digest.update(file_sha256(Path(path)).encode())
    for sample in split.samples:
        digest.update(sample.id.encode("utf-8") + b"\0")
    return "sha256:" + digest.hexdigest()[:16]

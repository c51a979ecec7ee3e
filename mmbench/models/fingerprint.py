"""Checkpoint fingerprints: a streamed SHA-256 over every file that determines a model's output.

The digest covers each weight file (``*.safetensors``, ``*.bin``, shard indexes), config
(``config.json``, ``generation_config.json``), tokenizer (``tokenizer*``, vocabularies, merges,
sentencepiece and tiktoken files, special and added tokens) and processor file (``*processor*``,
``chat_template*``), plus remote code (``*.py``), at the top of the checkpoint folder. It is the
SHA-256 of one ``<file name> <sha256 of the file>`` line per file, in name order, so it changes
when any byte of any such file changes, and only then (READMEs, training logs and moved folders
leave it alone).

Per-file hashes are cached in ``$MMBENCH_CACHE/fingerprints.json`` under the file's resolved path,
size and modification time: a 15 GB checkpoint is read once, later runs only stat it. Models that
exist only in memory are fingerprinted from their state dict (:meth:`ModelAdapter.weights_digest`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from pathlib import Path

from mmbench.jsonio import atomic_write_text

#: file-name patterns of the files that determine a checkpoint's output.
OUTPUT_FILES = (
    "*.safetensors", "*.bin", "*.safetensors.index.json", "*.bin.index.json", "config.json", "generation_config.json",
    "tokenizer*", "vocab*", "merges.txt", "*.model", "*.tiktoken", "special_tokens_map.json", "added_tokens.json",
    "*processor*", "chat_template*", "*.py",
)
CACHE_FILE = "fingerprints.json"
CHUNK = 8 << 20


def output_files(checkpoint: Path) -> list[Path]:
    """The files of ``checkpoint`` that enter its fingerprint, in name order."""
    return sorted(p for p in checkpoint.iterdir()
                  if p.is_file() and any(fnmatch.fnmatch(p.name, pattern) for pattern in OUTPUT_FILES))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 8 MiB chunks (constant memory whatever its size)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _cache_path() -> Path:
    return Path(os.environ.get("MMBENCH_CACHE") or "~/.cache/mmbench").expanduser() / CACHE_FILE


class FileHashCache:
    """Per-file SHA-256 keyed by resolved path and valid while size and mtime (ns) are unchanged."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or _cache_path()
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def sha256(self, path: Path) -> str:
        real = path.resolve()  # hub caches link snapshot files to blobs
        stat = real.stat()
        key = str(real)
        entry = self.entries.get(key)
        if entry and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
            return str(entry["sha256"])
        digest = file_sha256(real)
        self.entries[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
        self.changed = True
        return digest

    def save(self) -> None:
        if self.changed:
            try:
                atomic_write_text(self.path, json.dumps(self.entries, indent=0, sort_keys=True))
            except OSError:
                pass  # a read-only cache only costs rehashing next time
            self.changed = False


def checkpoint_digest(checkpoint: Path, cache: FileHashCache | None = None) -> str:
    """The full SHA-256 fingerprint of a checkpoint folder (see the module docstring)."""
    cache = cache or FileHashCache()
    h = hashlib.sha256()
    for path in output_files(Path(checkpoint)):
        h.update(f"{path.name} {cache.sha256(path)}\n".encode())
    cache.save()
    return h.hexdigest()

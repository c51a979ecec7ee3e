"""Checkpoint fingerprints: every byte of every weight, tokenizer, processor and config file counts;
other files do not; per-file hashes are cached by path, size and modification time."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mmbench.models import fingerprint
from mmbench.models.fingerprint import FileHashCache, checkpoint_digest, output_files
from mmbench.models.bundled import BUNDLED_DIR


@pytest.fixture()
def checkpoint(tmp_path: Path) -> Path:
    folder = tmp_path / "shapes-clip"
    shutil.copytree(BUNDLED_DIR / "shapes-clip", folder)
    return folder


def _digest(folder: Path, tmp_path: Path) -> str:
    return checkpoint_digest(folder, FileHashCache(tmp_path / "cache.json"))


def test_covers_weights_tokenizer_processor_and_config(checkpoint: Path) -> None:
    names = {p.name for p in output_files(checkpoint)}
    assert {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "processor_config.json"} <= names
    assert "training.json" not in names


def test_one_byte_in_the_middle_of_the_weights_changes_it(checkpoint: Path, tmp_path: Path) -> None:
    before = _digest(checkpoint, tmp_path)
    weights = checkpoint / "model.safetensors"
    data = bytearray(weights.read_bytes())
    middle = len(data) // 2  # far from the first and last MiB for a multi-MiB file: a head/tail hash misses it
    data[middle] ^= 0x01
    stat = weights.stat()
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert weights.stat().st_size == stat.st_size
    after = _digest(checkpoint, tmp_path)
    assert after != before and len(after) == 64


def test_one_vocabulary_entry_changes_it(checkpoint: Path, tmp_path: Path) -> None:
    before = _digest(checkpoint, tmp_path)
    tokenizer = json.loads((checkpoint / "tokenizer.json").read_text())
    vocab = tokenizer["model"]["vocab"]
    word = next(w for w in vocab if w.startswith("circle"))
    vocab[word.replace("circle", "circlx")] = vocab.pop(word)
    (checkpoint / "tokenizer.json").write_text(json.dumps(tokenizer))
    assert _digest(checkpoint, tmp_path) != before


def test_files_that_do_not_change_the_output_leave_it_alone(checkpoint: Path, tmp_path: Path) -> None:
    before = _digest(checkpoint, tmp_path)
    (checkpoint / "training.json").write_text("{}")
    (checkpoint / "README.md").write_text("notes")
    moved = tmp_path / "elsewhere"
    shutil.move(str(checkpoint), moved)
    assert _digest(moved, tmp_path) == before


def test_each_file_is_hashed_once_while_size_and_mtime_hold(checkpoint: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[str] = []
    real = fingerprint.file_sha256
    monkeypatch.setattr(fingerprint, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    first = _digest(checkpoint, tmp_path)
    assert "model.safetensors" in hashed
    hashed.clear()
    assert _digest(checkpoint, tmp_path) == first and hashed == []  # from the cache file, a new process would too
    (checkpoint / "config.json").write_text((checkpoint / "config.json").read_text() + " ")
    assert _digest(checkpoint, tmp_path) != first and hashed == ["config.json"]


def test_hub_snapshot_links_are_followed(checkpoint: Path, tmp_path: Path) -> None:
    blobs, snapshot = tmp_path / "blobs", tmp_path / "snapshot"
    blobs.mkdir()
    snapshot.mkdir()
    for path in checkpoint.iterdir():
        shutil.copy(path, blobs / path.name)
        (snapshot / path.name).symlink_to(blobs / path.name)
    assert _digest(snapshot, tmp_path) == _digest(checkpoint, tmp_path)

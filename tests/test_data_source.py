"""mmbench.data.source: where a task's data lives, and what a missing file's error says."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmbench.data.source import DATA_ENV, resolve_data_root, resolve_source
from mmbench.errors import DataError, UserError


def test_data_root_order_flag_then_environment_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert resolve_data_root(tmp_path / "flag")[0] == tmp_path / "flag"
    assert resolve_data_root(None)[0] == tmp_path / "env"
    monkeypatch.delenv(DATA_ENV)
    assert resolve_data_root(None)[0] == Path("~/.cache/mmbench/data").expanduser()


def test_relative_absolute_and_absent_dirs(tmp_path: Path) -> None:
    assert resolve_source({"format": "x", "dir": "coco"}, tmp_path).dir == tmp_path / "coco"
    assert resolve_source({"format": "x", "dir": str(tmp_path / "abs")}, "/elsewhere").dir == tmp_path / "abs"
    source = resolve_source({"format": "hf", "path": "a/b"}, tmp_path)
    assert source.dir is None
    with pytest.raises(DataError, match="names no 'dir'"):
        source.require_dir()


def test_a_missing_file_names_where_it_was_looked_for_and_how_to_get_it(tmp_path: Path) -> None:
    data = {"format": "vqav2", "dir": "vqa", "questions": "q.json", "how_to_get": "run the download script",
            "downloads": {"q.json": "https://example.org/q.zip"}}
    source = resolve_source(data, tmp_path)
    with pytest.raises(DataError) as error:
        source.existing("questions", "VQAv2 questions file")
    message = str(error.value)
    assert message.startswith(f"VQAv2 questions file not found: {tmp_path / 'vqa' / 'q.json'} (data root {tmp_path}")
    assert "official download: https://example.org/q.zip; run the download script" in message
    (tmp_path / "vqa").mkdir()
    (tmp_path / "vqa" / "q.json").write_text("{}")
    assert source.existing("questions", "VQAv2 questions file") == tmp_path / "vqa" / "q.json"


def test_unknown_bundled_dataset_suggests_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown bundled dataset 'shape'; did you mean 'shapes'"):
        resolve_source({"format": "karpathy", "dir": "bundled:shape"}, tmp_path)

"""mmbench.jsonio: one-line errors for unreadable JSON, atomic writes that never leave half a file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mmbench.errors import DataError
from mmbench.jsonio import atomic_write_json, atomic_write_jsonl, read_json


@pytest.mark.parametrize("content, message", [
    (None, "predictions file not found"),
    (b'{"a": 1,\n  "b": }', "malformed JSON at line 2, column 8"),
    (b"\xff\xfe{}", "not UTF-8 text"),
])
def test_read_json_errors_name_the_file_in_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "p.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError) as error:
        read_json(path, "predictions file")
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value) and "\n" not in str(error.value)


def test_read_json_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="expected a JSON file, found a directory"):
        read_json(tmp_path)


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "r.json"
    atomic_write_json(path, {"a": [1, 2]})
    atomic_write_json(path, {"b": "é"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"b": "é"}
    atomic_write_jsonl(tmp_path / "rows.jsonl", [{"i": 0}, {"i": 1}])
    assert (tmp_path / "rows.jsonl").read_text().splitlines() == ['{"i": 0}', '{"i": 1}']
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["r.json", "rows.jsonl", "sub"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    atomic_write_json(path, {"ok": 1})
    with pytest.raises(ValueError):
        atomic_write_json(path, {"bad": math.nan})  # NaN is not JSON
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]

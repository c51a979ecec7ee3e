"""Results files: field order, round trip, atomic and never-overwriting writes, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbench import jsonio
from mmbench.errors import DataError
from mmbench.results import RunResult, read_result, read_samples, samples_path, write_result

FIELD_ORDER = ["schema_version", "run_id", "created_at", "task", "model", "metrics", "metric_notes", "timing",
               "errors", "env", "config", "samples_file"]


def _result(**kw: object) -> RunResult:
    base = dict(task={"name": "shapes_vqa", "version": "2", "type": "vqa"}, model={"spec": "hf:org/model"},
                metrics={"accuracy": 0.75}, timing={"items_per_s": 10.0}, env={"python": "3.11"}, config={"batch_size": 4},
                samples=[{"id": "1", "prediction": "red", "metrics": {"accuracy": 1.0}}], created_at="2026-01-02T03:04:05Z")
    base.update(kw)
    return RunResult(**base)  # type: ignore[arg-type]


def test_field_order_and_round_trip(tmp_path: Path) -> None:
    path = write_result(_result(), tmp_path)
    raw = json.loads(path.read_text())
    assert list(raw) == FIELD_ORDER
    assert raw["run_id"] == "shapes_vqa__hf-org-model__20260102-030405"
    back = read_result(path)
    assert back.metrics == {"accuracy": 0.75} and back.task["version"] == "2" and back.path == path
    assert read_samples(path) == [{"id": "1", "prediction": "red", "metrics": {"accuracy": 1.0}}]
    assert samples_path(path).name == "shapes_vqa__hf-org-model__20260102-030405.samples.jsonl"


def test_a_second_run_in_the_same_second_never_overwrites(tmp_path: Path) -> None:
    first = write_result(_result(), tmp_path)
    second = write_result(_result(metrics={"accuracy": 0.1}), tmp_path)
    assert first != second
    assert read_result(first).metrics["accuracy"] == 0.75
    assert read_result(second).metrics["accuracy"] == 0.1
    assert samples_path(second).exists()


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    bad = _result(metrics={"accuracy": float("nan")})  # NaN is not valid JSON: the write must fail cleanly
    with pytest.raises(ValueError):
        write_result(bad, tmp_path)
    assert not list(tmp_path.glob("*.json"))
    assert not list(tmp_path.glob(".*.tmp"))


def test_atomic_write_keeps_old_content_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.json"
    jsonio.atomic_write_json(target, {"good": 1})

    def boom(*args: object, **kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(jsonio.os, "replace", boom)
    with pytest.raises(OSError):
        jsonio.atomic_write_json(target, {"good": 2})
    assert json.loads(target.read_text()) == {"good": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


@pytest.mark.parametrize("content, message", [
    ('{"schema_version": "2.0", "task": {}, "model": {}, "metrics": {}}', "unsupported schema_version '2.0'"),
    ('[1, 2]', "not an mmbench result file"),
    ('{"images": [], "annotations": []}', r"r.json: not an mmbench result file \(no schema_version\)$"),
    ('{"schema_version": "1.0", "task": {}, "model": {}}', "missing or invalid 'metrics'"),
    ('{"schema_version": "1.0", ', "malformed JSON at line 1"),
])
def test_unreadable_results_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        read_result(path)
    assert str(path) in str(info.value)


def test_malformed_samples_line_names_line_number(tmp_path: Path) -> None:
    path = write_result(_result(), tmp_path)
    samples_path(path).write_text('{"id": "1"}\n{oops\n')
    with pytest.raises(DataError, match=r"samples.jsonl:2: malformed JSON line"):
        read_samples(path)


def test_atomic_writes_get_ordinary_permissions(tmp_path: Path) -> None:
    import os

    target = tmp_path / "r.json"
    jsonio.atomic_write_json(target, {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask

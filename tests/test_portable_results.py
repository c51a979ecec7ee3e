"""Result files carry no absolute path of the machine that wrote them (committed ones included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from mmbench.models.bundled import BUNDLED_DIR
from mmbench.portable import is_absolute_path, portable
from mmbench.report.synthetic import synthetic_result
from mmbench.results import write_result
from mmbench.tasks.spec import builtin_task_dir

REPO = Path(__file__).resolve().parents[1]


def _strings(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k, f"{where}/<key>")
            yield from _strings(v, f"{where}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{where}/{i}")


def _absolute_paths(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.suffix == ".jsonl" else [path.read_text(encoding="utf-8")]
    return [f"{path.name}{where}: {text}" for line in lines if line.strip()
            for where, text in _strings(json.loads(line)) if is_absolute_path(text)]


def test_no_committed_result_file_holds_an_absolute_path() -> None:
    files = sorted([*(REPO / "results").rglob("*.json"), *(REPO / "results").rglob("*.jsonl")])
    assert len(files) >= 8
    found = [hit for path in files for hit in _absolute_paths(path)]
    assert not found, "\n".join(found[:10])


def test_the_scan_finds_an_absolute_path(tmp_path: Path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text(json.dumps({"task": {"source": "/home/me/tasks/x.yaml"}, "x": ["C:\\data\\y"]}))
    assert len(_absolute_paths(bad)) == 2


@pytest.mark.parametrize("field,value,expected", [
    (("task", "source"), str(builtin_task_dir() / "shapes_vqa.yaml"), "mmbench:tasks/shapes_vqa.yaml"),
    (("task", "source"), "/somewhere/else/my_task.yaml", "my_task.yaml"),
    (("task", "source"), "tasks/mine.yaml", "tasks/mine.yaml"),
    (("model", "checkpoint"), str(BUNDLED_DIR / "shapes-clip"), "shapes-clip"),
    (("model", "checkpoint"), "/root/.cache/huggingface/hub/models--openai--clip-vit-base-patch32/snapshots/3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268",
     "openai/clip-vit-base-patch32@3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268"),
    (("model", "checkpoint"), "/data/checkpoints/my-finetune", "my-finetune"),
    (("config", "data_dir"), "/data/coco", None),
    (("config", "output_dir"), "/elsewhere/results", None),
])
def test_paths_are_recorded_portably(field: tuple[str, str], value: str, expected: str | None) -> None:
    record = {"task": {"name": "t"}, "model": {"spec": "m"}, "config": {}}
    record[field[0]][field[1]] = value
    assert portable(record)[field[0]][field[1]] == expected


def test_a_written_result_is_portable_and_keeps_its_identity(tmp_path: Path) -> None:
    run = synthetic_result("vqa", "hf:/data/checkpoints/my-finetune", 0.8)
    run.task.update(source=str(builtin_task_dir() / "shapes_vqa.yaml"), arguments={"data": {"dir": "/data/vqa"}})
    run.model["checkpoint"] = "/data/checkpoints/my-finetune"
    run.config.update(data_dir="/data/vqa", output_dir=str(tmp_path))
    path = write_result(run, tmp_path)
    assert not _absolute_paths(path)
    data = json.loads(path.read_text())
    assert data["model"]["spec"] == "hf:my-finetune"
    assert data["model"]["checkpoint"] == "my-finetune" and data["model"]["fingerprint"] == run.model["fingerprint"]
    assert data["task"]["data_fingerprint"] == run.task["data_fingerprint"] and data["task"]["arguments"]["data"]["dir"] is None

"""``mmbench data path|check`` run as a user runs them (subprocess)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from mmbench.data.shapes import SHAPES_TASK_DATA


def mmbench(*args: str, env_data: Path | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if env_data is not None:
        env["MMBENCH_DATA"] = str(env_data)
    return subprocess.run([sys.executable, "-m", "mmbench.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def task_file(folder: Path, data: dict, name: str = "mytask", kind: str = "captioning") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "type": kind, "version": 1, "data": data}), encoding="utf-8")
    return path


@pytest.fixture()
def coco(tmp_path: Path) -> tuple[Path, dict]:
    root = tmp_path / "data" / "coco"
    (root / "val2014").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(root / "val2014" / "a.jpg")
    annotations = {"images": [{"filepath": "val2014", "filename": "a.jpg", "split": "test", "cocoid": 1,
                               "sentences": [{"raw": "a black square."}]}]}
    (root / "dataset_coco.json").write_text(json.dumps(annotations), encoding="utf-8")
    digest = hashlib.sha256((root / "dataset_coco.json").read_bytes()).hexdigest()
    data = {"format": "karpathy", "dir": "coco", "split": "test", "expected_count": 1,
            "checksums": {"dataset_coco.json": digest}, "how_to_get": "fetch it from the moon"}
    return tmp_path, data


def test_path_lists_missing_files_with_how_to_get(tmp_path: Path) -> None:
    spec = task_file(tmp_path, {"format": "karpathy", "dir": "coco", "how_to_get": "fetch it from the moon"})
    result = mmbench("data", "path", str(spec), "--data-dir", str(tmp_path / "root"))
    assert result.returncode == 0, result.stderr
    assert f"MISSING Karpathy split file: {tmp_path / 'root' / 'coco' / 'dataset_coco.json'}" in result.stdout
    assert "to get it: fetch it from the moon" in result.stdout


def test_check_passes_on_complete_data(coco: tuple[Path, dict]) -> None:
    tmp_path, data = coco
    result = mmbench("data", "check", str(task_file(tmp_path, data)), "--decode", env_data=tmp_path / "data")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 samples" in result.stdout and "all checks passed" in result.stdout


def test_check_fails_on_count_checksum_and_missing_image(coco: tuple[Path, dict]) -> None:
    tmp_path, data = coco
    (tmp_path / "data" / "coco" / "val2014" / "a.jpg").unlink()
    data = {**data, "expected_count": 2, "checksums": {"dataset_coco.json": "0" * 64}}
    result = mmbench("data", "check", str(task_file(tmp_path, data)), env_data=tmp_path / "data")
    assert result.returncode == 1
    # the same line `mmbench run` prints before the model loads (mmbench.data.completeness)
    assert "FAIL mytask: found 1 of 2 samples: results are marked partial" in result.stdout
    assert "checksum mismatch" in result.stdout
    assert "image not found" in result.stdout and "a.jpg" in result.stdout


def test_check_reports_missing_files_and_exit_status(tmp_path: Path) -> None:
    spec = task_file(tmp_path, {"format": "vqav2", "dir": "vqa", "how_to_get": "see visualqa.org"})
    result = mmbench("data", "check", str(spec), "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "VQAv2 questions file missing" in result.stdout and "see visualqa.org" in result.stdout


def test_check_shapes_task(tmp_path: Path) -> None:
    spec = task_file(tmp_path, SHAPES_TASK_DATA["shapes_vqa"], name="shapes_vqa", kind="vqa")
    result = mmbench("data", "check", str(spec))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1800 samples" in result.stdout


def test_unknown_task_is_a_one_line_error() -> None:
    result = mmbench("data", "path", "no_such_task_anywhere")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown task" in result.stderr

"""The CLI as a user runs it: real subprocesses, exit codes, one-line errors, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MmbenchCli  # tests/ is on sys.path (rootdir conftest)


@pytest.fixture
def mmbench(mmbench_cli: MmbenchCli) -> MmbenchCli:
    return mmbench_cli


def assert_one_line_error(out: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mmbench: error: "), out.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_run_writes_results_and_prints_a_table(mmbench: MmbenchCli, tmp_path: Path) -> None:
    out = mmbench("run", "--task", "shapes_vqa", "--task", "shapes_zeroshot", "--model", "mock", "--limit", "40",
                  "--batch-size", "8", "--output-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "| shapes_vqa" in out.stdout and "| shapes_zeroshot" in out.stdout and "items/s" in out.stdout
    written = sorted(p.name for p in tmp_path.glob("*.json"))
    assert len(written) == 2 and all(name.endswith(".json") for name in written)
    assert len(list(tmp_path.glob("*.samples.jsonl"))) == 2
    result = json.loads(next(tmp_path.glob("shapes_vqa__mock__*.json")).read_text())
    assert result["task"]["num_samples"] == 40 and result["config"]["batch_size"] == 8


def test_run_json_output_is_machine_readable(mmbench: MmbenchCli, tmp_path: Path) -> None:
    out = mmbench("run", "--task", "shapes_retrieval", "--model", "mock", "--limit", "20", "--json", "--no-write")
    assert out.returncode == 0, out.stderr
    [result] = json.loads(out.stdout)
    assert list(result)[0] == "schema_version" and set(result["metrics"]) >= {"i2t_R@1", "t2i_R@10"}


@pytest.mark.parametrize("args, fragments", [
    (["run", "--task", "shapes_vqa", "--model", "mokc"], ["unknown model 'mokc'", "did you mean 'mock'"]),
    (["run", "--task", "shapes_vq", "--model", "mock"], ["unknown task 'shapes_vq'", "did you mean"]),
    (["run", "--task", "missing.yaml", "--model", "mock"], ["missing.yaml: task file not found"]),
    (["run", "--task", "shapes_vqa", "--model", "mock", "--model-arg", "novalue"], ["expected KEY=VALUE"]),
    (["run", "--task", "shapes_vqa", "--model", "hf:/nonexistent/dir/x"], ["not a checkpoint directory"]),
])
def test_bad_invocations_fail_with_one_line(mmbench: MmbenchCli, args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(mmbench(*args), *fragments)


def test_list_tasks_and_models_do_not_import_torch() -> None:
    code = ("import sys, io, contextlib\nfrom mmbench.cli import main\n"
            "for what in ('tasks', 'models', 'task-types'):\n"
            "    assert main(['list', what]) == 0\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "assert 'transformers' not in sys.modules, 'transformers imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for name in ("shapes_caption", "imagenet_zeroshot", "vqav2_testdev", "encode_images, encode_texts", "mock", "hf", "llava"):
        assert name in out.stdout


def test_bench_reports_each_batch_size(mmbench: MmbenchCli) -> None:
    out = mmbench("bench", "--task", "shapes_zeroshot", "--model", "mock", "--batch-sizes", "1,4", "--limit", "12", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    # one row per stage (class prompts, then images) at each batch size, in the order asked
    assert [(r["batch_size"], r["stage"]) for r in rows] == [
        (1, "class_prompts"), (1, "images"), (4, "class_prompts"), (4, "images")]
    assert all(r["items_per_s"] > 0 and r["p50_ms"] is not None for r in rows)


def test_demo_with_the_mock_model_runs_all_four_tasks(mmbench: MmbenchCli, tmp_path: Path) -> None:
    out = mmbench("demo", "--model", "mock", "--output-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    for task in ("shapes_caption", "shapes_retrieval", "shapes_vqa", "shapes_zeroshot"):
        assert f"| {task}" in out.stdout
    assert len(list(tmp_path.glob("*.samples.jsonl"))) == 4

"""The ``mmbench`` command as a user runs it: the installed entry point in a subprocess (the
``mmbench_cli`` fixture of conftest.py), exit codes, one-line errors, files written, and that the
light commands (score, compare, leaderboard, list) never import torch. Every test that starts the
command lives here, grouped by command; the in-process tests of each command stay in its own
module, and the inputs they share with these tests are imported from there. Two tests run several
light commands in one fresh interpreter (``python -c`` calling ``mmbench.cli.main``) to check what
they import without a process per command.

Left elsewhere, on purpose: the parity tests that compare the CLI output of two adapters on
checkpoints their module builds (tests/test_builtin_blip.py, tests/test_builtin_clip.py,
tests/test_exact_gate_models.py: building those a second time here would double their cost; they
use the same fixture), and the launcher tests of tests/test_scale.py (``torchrun``/``accelerate
launch -m mmbench``, a forked ``main``), which test the launchers' ways in rather than the script.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from conftest import MmbenchCli, cli_environment, installed_entry_point  # tests/ is on sys.path (rootdir conftest)
from png_checks import assert_drawn_png
from mmbench.data.shapes import SHAPES_TASK_DATA
from mmbench.report.synthetic import synthetic_result
from mmbench.results import RunResult, read_result, write_result
from test_compare import _write_all, dirs  # noqa: F401  (a fixture)
from test_compare_gate import _first, _zeroshot_with_flips, base  # noqa: F401  (a fixture)
from test_groups import MEMBERS, group_file
from test_leaderboard import results_dir  # noqa: F401  (a fixture)
from test_partial_reports import _csv_rows, complete, partial, runs
from test_partial_runs import vqav2_val
from test_score_cli import (BAD_INPUTS, CAPTION_PREDICTIONS, CAPTION_REFERENCES, VQA, pycocoevalcap_reference,  # noqa: F401
                            vqa_files, write_json)

REPO = Path(__file__).resolve().parents[1]


def assert_one_line_error(out: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mmbench: error: "), out.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def light_cli(mmbench_cli: MmbenchCli, *args: str) -> subprocess.CompletedProcess[str]:
    """A command that must not import torch (leaderboard, compare): it exits 97 if it does."""
    return mmbench_cli(*args, forbid_imports=("torch",), timeout=120)


# ---- run, bench, demo, list ---------------------------------------------------------------------------

def test_run_writes_results_and_prints_a_table(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    out = mmbench_cli("run", "--task", "shapes_vqa", "--task", "shapes_zeroshot", "--model", "mock", "--limit", "40",
                  "--batch-size", "8", "--output-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "| shapes_vqa" in out.stdout and "| shapes_zeroshot" in out.stdout and "items/s" in out.stdout
    written = sorted(p.name for p in tmp_path.glob("*.json"))
    assert len(written) == 2 and all(name.endswith(".json") for name in written)
    assert len(list(tmp_path.glob("*.samples.jsonl"))) == 2
    result = json.loads(next(tmp_path.glob("shapes_vqa__mock__*.json")).read_text())
    assert result["task"]["num_samples"] == 40 and result["config"]["batch_size"] == 8


def test_run_json_output_is_machine_readable(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    out = mmbench_cli("run", "--task", "shapes_retrieval", "--model", "mock", "--limit", "20", "--json", "--no-write")
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
def test_bad_invocations_fail_with_one_line(mmbench_cli: MmbenchCli, args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(mmbench_cli(*args), *fragments)


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


def test_bench_reports_each_batch_size(mmbench_cli: MmbenchCli) -> None:
    out = mmbench_cli("bench", "--task", "shapes_zeroshot", "--model", "mock", "--batch-sizes", "1,4", "--limit", "12", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    # one row per stage (class prompts, then images) at each batch size, in the order asked
    assert [(r["batch_size"], r["stage"]) for r in rows] == [
        (1, "class_prompts"), (1, "images"), (4, "class_prompts"), (4, "images")]
    assert all(r["items_per_s"] > 0 and r["p50_ms"] is not None for r in rows)


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """`mmbench list tasks | head -1`: the reader is gone before mmbench writes; no traceback, the
    shell's SIGPIPE status (a pipe whose reader never existed makes the write fail every time)."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([installed_entry_point(), "list", "tasks"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=120, env=cli_environment())
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr == ""


@pytest.fixture(scope="module")
def mock_demo(tmp_path_factory: pytest.TempPathFactory, mmbench_cli: MmbenchCli) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``mmbench demo --model mock``, run once for the demo test and the gate's degraded candidate."""
    out_dir = tmp_path_factory.mktemp("mock-demo")
    return mmbench_cli("demo", "--model", "mock", "--output-dir", str(out_dir)), out_dir


def test_demo_with_the_mock_model_runs_every_task(mock_demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    from mmbench.commands.demo import DEMO_PLAN

    out, tmp_path = mock_demo
    assert out.returncode == 0, out.stderr
    for task in ("shapes_caption", "shapes_retrieval", "shapes_vqa", "shapes_zeroshot", "shapes_mc", "shapes_two_image",
                 "shapes_pope", "shapes_chart", "shapes_chart_anls"):
        assert f"| {task}" in out.stdout
    assert len(list(tmp_path.glob("*.samples.jsonl"))) == len(DEMO_PLAN) == 9


def test_run_warns_before_the_model_loads_and_marks_the_summary(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    vqav2_val(tmp_path, 3)
    cmd = ["run", "--task", "vqav2_val", "--data-dir", str(tmp_path),
           "--output-dir", str(tmp_path / "results"), "--num-workers", "0", "--limit", "2"]
    # a checkpoint folder that passes the checks before loading but cannot load (no processor, no weights):
    # the warnings must already be out when its load error comes
    broken = tmp_path / "broken-llava"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "llava", "architectures": ["LlavaForConditionalGeneration"]}')
    failed = mmbench_cli(*cmd, "--model", f"hf:{broken}", timeout=120)
    assert failed.returncode == 2
    lines = failed.stderr.strip().splitlines()
    assert lines[:2] == ["warning: vqav2_val: found 3 of 214354 samples: results are marked partial",
                         "warning: --limit: results are marked partial, for testing only"], failed.stderr
    assert "cannot load" in lines[-1] and all("cannot load" not in line for line in lines[:-1])
    ok = mmbench_cli(*cmd, "--model", "mock", timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "vqav2_val [partial 2 / 214354]" in ok.stdout
    written = read_result(next((tmp_path / "results").glob("*.json")))
    assert written.task["complete"] is False and written.task["num_found"] == 3


def test_cli_group_run_and_leaderboard_group_column(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    out = mmbench_cli("run", "--task", str(group_file(tmp_path)), "--model", "mock",
                      "--output-dir", str(tmp_path / "res"), "--num-workers", "0", timeout=600)
    assert out.returncode == 0, out.stderr
    assert "shapes_pair" in out.stdout and "shapes_zeroshot_heldout" in out.stdout
    from mmbench.report.leaderboard import build_leaderboard
    from mmbench.report.loading import load_results

    loaded = load_results([str(tmp_path / "res")])
    board = build_leaderboard(loaded.results, loaded.warnings, include_reported=False)
    columns = [c.name for c in board.columns]
    assert columns.count("shapes_pair") == 1 and set(MEMBERS) <= set(columns)
    (row,) = board.rows
    member_values = [row.cells[c.key].main_value for c in board.columns if c.name in MEMBERS]
    group_value = next(row.cells[c.key].main_value for c in board.columns if c.name == "shapes_pair")
    assert group_value == pytest.approx(sum(member_values) / 2)


def test_device_cuda_with_the_mock_model_on_this_torch_build_is_one_line(mmbench_cli: MmbenchCli) -> None:
    """The real CLI, end to end (the mock model used to crash in torch.cuda's peak-memory reset)."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: --device cuda is valid here")
    out = mmbench_cli("bench", "--task", "shapes_zeroshot", "--model", "mock", "--device", "cuda", "--batch-sizes", "4",
                      "--limit", "8", timeout=300)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "--device cuda: this PyTorch build" in out.stderr and "GPU install" in out.stderr


# ---- data path | check ------------------------------------------------------------------------------

def data_task_file(folder: Path, data: dict, name: str = "mytask", kind: str = "captioning") -> Path:
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


def test_path_lists_missing_files_with_how_to_get(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    spec = data_task_file(tmp_path, {"format": "karpathy", "dir": "coco", "how_to_get": "fetch it from the moon"})
    result = mmbench_cli("data", "path", str(spec), "--data-dir", str(tmp_path / "root"), timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"MISSING Karpathy split file: {tmp_path / 'root' / 'coco' / 'dataset_coco.json'}" in result.stdout
    assert "to get it: fetch it from the moon" in result.stdout


def test_check_passes_on_complete_data(mmbench_cli: MmbenchCli, coco: tuple[Path, dict]) -> None:
    tmp_path, data = coco
    result = mmbench_cli("data", "check", str(data_task_file(tmp_path, data)), "--decode", env={"MMBENCH_DATA": str(tmp_path / "data")}, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 samples" in result.stdout and "all checks passed" in result.stdout


def test_check_fails_on_count_checksum_and_missing_image(mmbench_cli: MmbenchCli, coco: tuple[Path, dict]) -> None:
    tmp_path, data = coco
    (tmp_path / "data" / "coco" / "val2014" / "a.jpg").unlink()
    data = {**data, "expected_count": 2, "checksums": {"dataset_coco.json": "0" * 64}}
    result = mmbench_cli("data", "check", str(data_task_file(tmp_path, data)), env={"MMBENCH_DATA": str(tmp_path / "data")}, timeout=120)
    assert result.returncode == 1
    # the same line `mmbench run` prints before the model loads (mmbench.data.completeness)
    assert "FAIL mytask: found 1 of 2 samples: results are marked partial" in result.stdout
    assert "checksum mismatch" in result.stdout
    assert "image not found" in result.stdout and "a.jpg" in result.stdout


def test_check_reports_missing_files_and_exit_status(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    spec = data_task_file(tmp_path, {"format": "vqav2", "dir": "vqa", "how_to_get": "see visualqa.org"})
    result = mmbench_cli("data", "check", str(spec), "--data-dir", str(tmp_path), timeout=120)
    assert result.returncode == 1
    assert "VQAv2 questions file missing" in result.stdout and "see visualqa.org" in result.stdout


def test_check_shapes_task(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    spec = data_task_file(tmp_path, SHAPES_TASK_DATA["shapes_vqa"], name="shapes_vqa", kind="vqa")
    result = mmbench_cli("data", "check", str(spec), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1800 samples" in result.stdout


def test_unknown_task_is_a_one_line_error(mmbench_cli: MmbenchCli) -> None:
    result = mmbench_cli("data", "path", "no_such_task_anywhere", timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown task" in result.stderr


# ---- score ----------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.java
def test_real_cli_json_purity_values_and_no_torch(tmp_path, vqa_files, python) -> None:
    predictions = write_json(tmp_path / "captions.json", [{"image_id": i, "caption": c} for i, c in CAPTION_PREDICTIONS.items()])
    references = write_json(tmp_path / "references.json", {
        "images": [{"id": i} for i in CAPTION_REFERENCES],
        "annotations": [{"image_id": i, "id": 100 * i + k, "caption": c} for i, refs in CAPTION_REFERENCES.items() for k, c in enumerate(refs)],
    })
    script = (
        "import sys\n"
        "from mmbench.cli import main\n"
        f"rc = main(['score', 'vqa', '--predictions', {str(vqa_files['predictions'])!r}, '--annotations', {str(vqa_files['annotations'])!r}, '--json'])\n"
        f"rc = rc or main(['score', 'captioning', '--predictions', {str(predictions)!r}, '--references', {str(references)!r}, '--json'])\n"
        "assert 'torch' not in sys.modules, 'scoring captions or VQA imported torch'\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, f"each --json call prints exactly one line on stdout: {done.stdout!r}"
    vqa, captions = json.loads(lines[0]), json.loads(lines[1])
    assert abs(vqa["accuracy"] - VQA["lmms_eval_mean_exact_match"]) <= 1e-9
    assert "1 of 8 reference images have no prediction" in done.stderr
    expected = pycocoevalcap_reference(CAPTION_PREDICTIONS, CAPTION_REFERENCES)
    for name, value in expected.items():
        assert abs(captions[name] - value) <= 1e-9, name
    assert 0 < captions["METEOR"] < 1


@pytest.mark.parametrize("case", ["malformed JSON", "NaN in embeddings"])
def test_bad_input_through_the_real_command(case: str, tmp_path, vqa_files, mmbench_cli: MmbenchCli) -> None:
    argv, file_name = BAD_INPUTS[case][0](tmp_path, vqa_files)
    done = mmbench_cli("score", *argv, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and file_name in lines[0] and BAD_INPUTS[case][1] in lines[0]


# ---- compare --------------------------------------------------------------------------------------------

def test_degraded_run_fails_with_exit_1(mmbench_cli: MmbenchCli, dirs: dict[str, Path]) -> None:
    proc = light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(dirs["degraded"]), "--json", "--bootstrap", "500")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert not data["passed"] and data["exit_code"] == 1
    vqa = next(t for t in data["tasks"] if t["task"] == "shapes_vqa")
    accuracy = next(m for m in vqa["metrics"] if m["metric"] == "accuracy")
    base, cand = (json.loads(next(dirs[k].glob("shapes_vqa*.json")).read_text())["metrics"]["accuracy"] for k in ("baseline", "degraded"))
    assert accuracy["delta"] == pytest.approx(cand - base) and accuracy["status"] == "regressed"
    assert accuracy["ci"][0] <= accuracy["delta"] <= accuracy["ci"][1] and accuracy["test"].startswith("paired t")


def test_identical_runs_pass_with_exit_0(mmbench_cli: MmbenchCli, dirs: dict[str, Path]) -> None:
    proc = light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(dirs["same"]), "--bootstrap", "200")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("PASS: no regression")


def test_refuses_other_task_version_or_data(mmbench_cli: MmbenchCli, dirs: dict[str, Path], tmp_path: Path) -> None:
    other = _write_all(tmp_path / "v2", 0.8, task_version="2")
    proc = light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(other))
    assert proc.returncode == 2 and "task version differs" in proc.stderr and "--allow-mismatch" in proc.stderr
    data = _write_all(tmp_path / "data", 0.8, fingerprint="sha256:other")
    proc = light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(data))
    assert proc.returncode == 2 and "data fingerprint differs" in proc.stderr
    proc = light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(data), "--allow-mismatch", "--markdown", "--bootstrap", "200")
    assert proc.returncode == 0 and "compared anyway: --allow-mismatch" in proc.stdout


@pytest.mark.parametrize("args,message", [
    (["--tolerance", "accuracy"], "expected METRIC=VALUE"),
    (["--tolerance", "accuracy=-1"], "expected METRIC=VALUE"),
    (["--tolerance", "acuracy=0.1"], "unknown metrics ['acuracy']"),
])
def test_bad_input_exits_2(mmbench_cli: MmbenchCli, dirs: dict[str, Path], args: list[str], message: str) -> None:
    proc = light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(dirs["same"]), "--bootstrap", "100", *args)
    assert proc.returncode == 2 and message in proc.stderr


def test_missing_path_and_empty_folder_exit_2(mmbench_cli: MmbenchCli, dirs: dict[str, Path], tmp_path: Path) -> None:
    assert light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(tmp_path / "nope")).returncode == 2
    (tmp_path / "junk.json").write_text("[]")
    proc = light_cli(mmbench_cli, "compare", str(dirs["baseline"]), str(tmp_path))
    assert proc.returncode == 2 and "junk.json" in proc.stderr and "no readable result files" in proc.stderr


def test_cli_exact_exit_code_and_json(mmbench_cli: MmbenchCli, tmp_path: Path, base: RunResult) -> None:
    cand = _zeroshot_with_flips(base, {_first(base, right=True): False})
    for directory, run in (("b", base), ("c", cand)):
        (tmp_path / directory).mkdir()
        write_result(run, tmp_path / directory)
    proc = mmbench_cli("compare", str(tmp_path / "b"), str(tmp_path / "c"), "--exact", "--json", "--bootstrap", "200", timeout=120)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["settings"]["exact"] and data["tasks"][0]["prediction_changes"]["changed"] == 1


# ---- leaderboard (and compare on partial runs) -------------------------------------------------------------

def test_cli_all_formats_without_torch(mmbench_cli: MmbenchCli, results_dir: Path, tmp_path: Path) -> None:
    proc = light_cli(mmbench_cli, "leaderboard", str(results_dir), "--out-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "broken.json" in proc.stderr and "mmbench: warning:" in proc.stderr
    for name in ("leaderboard.md", "leaderboard.csv", "leaderboard.json", "leaderboard.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "| Model |" in (tmp_path / "leaderboard.md").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "leaderboard.json").read_text(encoding="utf-8"))["reported"]  # reported numbers kept by default
    for name in ("quality_vs_throughput.png", "latency.png"):
        assert_drawn_png(tmp_path / name)
    proc = light_cli(mmbench_cli, "leaderboard", str(results_dir), "--format", "json", "--no-reported")
    assert proc.returncode == 0 and json.loads(proc.stdout)["reported"] == []
    proc = light_cli(mmbench_cli, "leaderboard", str(tmp_path), str(results_dir), "--format", "csv")  # own outputs: no warning
    assert proc.returncode == 0 and "leaderboard.json" not in proc.stderr and "broken.json" in proc.stderr


def test_cli_missing_folder_exits_2(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    proc = light_cli(mmbench_cli, "leaderboard", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "no such file or directory" in proc.stderr


def test_runs_of_the_mock_test_model_stay_out_of_the_leaderboard(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    write_result(synthetic_result("vqa", "mock", 0.5), tmp_path)
    write_result(synthetic_result("vqa", "shapes-blip-vqa", 0.8), tmp_path)
    cli = ["leaderboard", str(tmp_path), "--no-reported"]
    out = mmbench_cli(*cli, timeout=120)
    assert out.returncode == 0 and "| shapes-blip-vqa |" in out.stdout and "| mock |" not in out.stdout
    assert "left out 1 run(s) of the mock test model" in out.stderr
    kept = mmbench_cli(*cli, "--include-mock", timeout=120)
    assert "| mock |" in kept.stdout


def test_leaderboard_and_compare_commands(mmbench_cli: MmbenchCli, tmp_path: Path) -> None:
    base, cand = tmp_path / "base", tmp_path / "cand"
    base.mkdir(), cand.mkdir()
    write_result(complete("mock:good", 0.8), base)
    write_result(partial("mock:good", 0.95), cand)
    for run in runs()[1:]:
        write_result(run, tmp_path / "all")
    write_result(complete("mock:good", 0.8), tmp_path / "all")
    board = light_cli(mmbench_cli, "leaderboard", str(tmp_path / "all"), "--no-reported", "--include-partial", "--format", "csv")
    assert board.returncode == 0, board.stderr
    assert {(r["model"], r["complete"]) for r in _csv_rows(board.stdout)} == {("mock:good", "0"), ("mock:smoke", "0")}
    refused = light_cli(mmbench_cli, "compare", str(base), str(cand))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert ("shapes_vqa: complete run against a partial one (baseline complete, 200 / 200 samples, candidate partial, "
            "50 / 214354 samples)") in refused.stderr and "--allow-mismatch" in refused.stderr
    allowed = light_cli(mmbench_cli, "compare", str(base), str(cand), "--allow-mismatch", "--json", "--bootstrap", "200")
    assert allowed.returncode in (0, 1), allowed.stderr
    assert "compared anyway: --allow-mismatch" in json.dumps(json.loads(allowed.stdout))


# ---- the project's own regression gate: the demo must match results/baseline ------------------------------
BASELINE = REPO / "results" / "baseline"
# The degraded-model check uses a metric tolerance: the mock model must fail even a lenient gate.
TOLERANCE = "*=0.005"
#: each shapes task's main metric, as the leaderboard and compare name it (README: "Leaderboard")
MAIN_METRICS = {"shapes_caption": "CIDEr", "shapes_retrieval": "mean_R@1", "shapes_vqa": "accuracy", "shapes_zeroshot": "top1"}


def gate_cli(mmbench_cli: MmbenchCli, *args: str) -> subprocess.CompletedProcess[str]:
    return mmbench_cli(*args, cwd=REPO, timeout=900)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, mmbench_cli: MmbenchCli) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run = gate_cli(mmbench_cli, "demo", "--output-dir", str(out))
    assert run.returncode == 0, run.stderr
    return out


def test_demo_matches_the_committed_baseline(mmbench_cli: MmbenchCli, demo_run: Path) -> None:
    """CPU runs are deterministic (the batch-invariance tests): every prediction must be the same."""
    gate = gate_cli(mmbench_cli, "compare", str(BASELINE), str(demo_run), "--exact", "--same-model", "--markdown")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    for task in ("shapes_caption", "shapes_retrieval", "shapes_vqa", "shapes_zeroshot", "shapes_mc", "shapes_two_image",
                 "shapes_pope", "shapes_chart", "shapes_chart_anls"):
        assert task in gate.stdout


def test_a_degraded_model_fails_the_gate(mmbench_cli: MmbenchCli, mock_demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    degraded, tmp_path = mock_demo  # the mock model's demo run
    assert degraded.returncode == 0, degraded.stderr
    gate = gate_cli(mmbench_cli, "compare", str(BASELINE), str(tmp_path), "--tolerance", TOLERANCE, "--json")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    report = json.loads(gate.stdout)
    assert report["passed"] is False and report["exit_code"] == 1
    for task, metric in MAIN_METRICS.items():
        # the failure names the task, the metric and the drop; its row the samples it was paired over
        assert any(re.fullmatch(rf"{task}: {re.escape(metric)} fell by [0-9.e-]+ \(tolerance 0\.005\)", line)
                   for line in report["failures"]), (task, report["failures"])
        row = next(m for t in report["tasks"] if t["task"] == task for m in t["metrics"] if m["metric"] == metric)
        records = next(BASELINE.glob(f"{task}__*.samples.jsonl")).read_text(encoding="utf-8").splitlines()
        assert row["status"] == "regressed" and row["candidate"] < row["baseline"]
        assert row["n_pairs"] == len(records) > 0, (task, row["n_pairs"])  # every baseline record paired by id


def test_pytest_helper_guards_the_baseline(demo_run: Path) -> None:
    from mmbench.testing import assert_no_regression

    assert_no_regression(BASELINE, demo_run, exact=True, same_model=True)


def test_demo_without_the_bundled_weights_fails_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Never a quiet run of the mock model in their place: exit 2, one line naming the models, nothing written."""
    from mmbench.cli import main
    from mmbench.models import bundled

    shutil.copytree(bundled.BUNDLED_DIR, tmp_path / "bundled")
    (tmp_path / "bundled" / "shapes-blip-vqa" / "model.safetensors").unlink()
    shutil.rmtree(tmp_path / "bundled" / "shapes-clip")
    monkeypatch.setattr(bundled, "BUNDLED_DIR", tmp_path / "bundled")
    assert main(["demo", "--output-dir", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
    assert "bundled model(s) shapes-blip-vqa, shapes-clip not installed" in captured.err and "mock" in captured.err
    assert not (tmp_path / "out").exists()

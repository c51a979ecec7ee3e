"""Long runs: the prediction store, crash-safe resume (SIGKILL at chosen points, then the same
command again, also with another process count), data parallel with torchrun (gloo, 2 processes),
fail-fast teardown of a failing rank.

Single-process runs are forked from this (already imported) test process to save the ~7 s of
imports per run; torchrun runs are real subprocesses. Kills are placed deterministically with
the runner's MMBENCH_CRASH_AT hook, never by timing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import mmbench
from mmbench.models.mock import MockAdapter
from mmbench.results import read_result, samples_path
from mmbench.store import PredictionStore, context_digest, decode

SHAPES = ("shapes_caption", "shapes_retrieval", "shapes_vqa", "shapes_zeroshot")
LIMIT = 40
COMMON = ["--model", "mock", "--limit", str(LIMIT), "--batch-size", "8", "--num-workers", "0"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    output_dir: Path

    def result_files(self) -> list[Path]:
        return sorted(p for p in self.output_dir.glob("*.json") if not p.name.endswith(".samples.jsonl"))

    def only_result(self) -> Path:
        files = self.result_files()
        assert len(files) == 1, (files, self.stderr)
        return files[0]


def _child(argv: list[str], env: dict[str, str], out: str, err: str) -> None:
    os.environ.update(env)
    with open(out, "w") as o, open(err, "w") as e:
        os.dup2(o.fileno(), 1)
        os.dup2(e.fileno(), 2)
        sys.stdout, sys.stderr = o, e
        from mmbench.cli import main

        code = main(argv)
        o.flush()
        e.flush()
    os._exit(code)


def forked_cli(args: list[str], output_dir: Path, env: dict[str, str] | None = None) -> Run:
    """``mmbench run ARGS --output-dir OUTPUT_DIR`` in a forked child of this process."""
    output_dir.mkdir(parents=True, exist_ok=True)
    out, err = output_dir.parent / f"{output_dir.name}.out", output_dir.parent / f"{output_dir.name}.err"
    argv = ["run", *args, "--output-dir", str(output_dir)]
    child = multiprocessing.get_context("fork").Process(target=_child, args=(argv, env or {}, str(out), str(err)))
    child.start()
    child.join(300)
    assert child.exitcode is not None, "forked run hung"
    return Run(child.exitcode, out.read_text(), err.read_text(), output_dir)


def torchrun_cli(args: list[str], output_dir: Path, env: dict[str, str] | None = None, timeout: int = 400,
                 launcher: tuple[str, ...] = ()) -> Run:
    """``torchrun --standalone --nproc_per_node 2 [LAUNCHER] -m mmbench run ARGS`` (gloo, two processes)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *launcher,
           "-m", "mmbench", "run", *args, "--output-dir", str(output_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    return Run(done.returncode, done.stdout, done.stderr, output_dir)


def assert_same_run(run: Path, reference: Path) -> None:
    """Metrics bitwise, the per-sample file byte for byte."""
    assert read_result(run).metrics == read_result(reference).metrics
    assert samples_path(run).read_bytes() == samples_path(reference).read_bytes()


@pytest.fixture(scope="module")
def rerank_task(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """shapes_retrieval with ITM re-ranking of the top 3: a third stage that depends on the first two."""
    from mmbench.tasks.spec import load_task_spec

    source = Path(load_task_spec("shapes_retrieval").source).read_text()
    path = tmp_path_factory.mktemp("tasks") / "shapes_retrieval_rerank.yaml"
    path.write_text(source.replace("name: shapes_retrieval", "name: shapes_retrieval_rerank").replace("metrics:\n", "metrics:\n  rerank_k: 3\n"))
    return path


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory, rerank_task: Path) -> dict[str, Path]:
    """Uninterrupted single-process runs (own store each), the yardstick of every resumed run."""
    base = tmp_path_factory.mktemp("reference")
    out = {}
    for name, task in (("vqa", "shapes_vqa"), ("retrieval", str(rerank_task))):
        run = forked_cli(["--task", task, *COMMON, "--store", str(base / f"{name}.sqlite")], base / name)
        assert run.returncode == 0, run.stderr
        out[name] = run.only_result()
    return out


# ---- crash-safe resume ------------------------------------------------------------------------------

KILLS = [  # (task, kill point, processes killed, processes resuming, predictions stored at the kill)
    ("vqa", "commit:0", 1, 1, 0),  # before the first commit
    ("vqa", "commit:2", 1, 2, 16),  # mid-stage: two batches of 8 committed; resumed by two processes
    ("vqa", "scoring", 1, 1, 40),  # every prediction stored, killed while scoring
    ("retrieval", "commit:0", 1, 1, 0),
    ("retrieval", "commit:2", 2, 1, None),  # two processes (rank 0 commits 16 images; the launcher may stop rank 1 sooner)
    ("retrieval", "scoring", 1, 1, None),  # every stage (images, texts, itm) stored
]


@pytest.mark.parametrize(("name", "point", "killed_by", "resumed_by", "stored"), KILLS, ids=[f"{k[0]}-{k[1]}-{k[2]}to{k[3]}" for k in KILLS])
def test_a_killed_run_resumes_to_the_uninterrupted_result(name: str, point: str, killed_by: int, resumed_by: int, stored: int | None,
                                                            references: dict[str, Path], rerank_task: Path, tmp_path: Path) -> None:
    task = "shapes_vqa" if name == "vqa" else str(rerank_task)
    store = tmp_path / "store.sqlite"
    args = ["--task", task, *COMMON, "--store", str(store)]
    launch = forked_cli if killed_by == 1 else torchrun_cli
    killed = launch(args, tmp_path / "killed", env={"MMBENCH_CRASH_AT": point})
    if killed_by == 1:
        assert killed.returncode == -signal.SIGKILL
    else:
        assert killed.returncode != 0 and "SIGKILL" in killed.stderr
    assert killed.result_files() == []  # nothing half-written
    with sqlite3.connect(store) as db:  # the kill left a consistent store at its last commit
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
    if stored is not None:
        assert count == stored
    elif point != "scoring":
        assert count >= 16

    resume = forked_cli if resumed_by == 1 else torchrun_cli
    resumed = resume(args, tmp_path / "resumed")
    assert resumed.returncode == 0, resumed.stderr
    result = read_result(resumed.only_result())
    reference = read_result(references[name])
    if count:
        first_stage = "answers" if name == "vqa" else "images"
        first_count = LIMIT if point == "scoring" else min(count, LIMIT)
        assert f"resuming: {first_count} of {LIMIT} predictions already stored ({result.task['name']}:{first_stage})" in resumed.stderr
        assert result.timing["from_store"] == count  # only the rest was computed ...
    else:
        assert "resuming" not in resumed.stderr and result.timing["from_store"] == 0
    assert result.timing["from_store"] + result.timing["items"] == reference.timing["items"]  # ... and timed
    assert result.timing["processes"] == resumed_by
    assert_same_run(resumed.only_result(), references[name])


# ---- data parallel -------------------------------------------------------------------------------------

def test_two_processes_equal_one_for_every_shapes_task_with_an_uneven_count(tmp_path: Path) -> None:
    """37 samples (185 captions): shares of 19 and 18, and uneven last batches."""
    args = [arg for task in SHAPES for arg in ("--task", task)] + ["--model", "mock", "--limit", "37", "--batch-size", "8", "--no-cache"]
    parallel = torchrun_cli(args, tmp_path / "two")
    assert parallel.returncode == 0, parallel.stderr
    assert parallel.stdout.count("| shapes_") == 4  # one table, printed by rank 0 only
    files = {read_result(p).task["name"]: p for p in parallel.result_files()}
    assert sorted(files) == sorted(SHAPES)  # one results file per task: the other rank wrote nothing
    mock = MockAdapter.create()
    for task in SHAPES:
        single = mmbench.evaluate(task, mock, output_dir=tmp_path / "one", limit=37, batch_size=8, num_workers=0)
        assert_same_run(files[task], single.path)
        timing = read_result(files[task]).timing
        assert timing["processes"] == 2 and [r["rank"] for r in timing["ranks"]] == [0, 1]
        assert sum(r["items"] for r in timing["ranks"]) == timing["items"] == single.timing["items"]
        # each rank's share of each stage is 18 or more items: 3 or more batches of 8, one of them warm-up
        assert all(r["items"] >= 18 and r["latency_ms"]["n"] >= 2 for r in timing["ranks"]), timing["ranks"]
        assert sum(r["latency_ms"]["n"] for r in timing["ranks"]) == timing["latency_ms"]["n"] == timing["batches_timed"]


def test_accelerate_launch_equals_one_process(tmp_path: Path) -> None:
    """``accelerate launch --multi_gpu --num_processes 2 -m mmbench run`` (gloo on CPU), uneven shares."""
    pytest.importorskip("accelerate", reason="accelerate is a test dependency: pip install -e '.[test]'")
    args = ["--task", "shapes_zeroshot", "--model", "mock", "--limit", "37", "--batch-size", "8", "--no-cache",
            "--output-dir", str(tmp_path / "two")]
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "mmbench", "run", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr
    files = Run(done.returncode, done.stdout, done.stderr, tmp_path / "two").result_files()
    assert len(files) == 1  # rank 0 wrote the one results file
    timing = read_result(files[0]).timing
    single = mmbench.evaluate("shapes_zeroshot", MockAdapter.create(), output_dir=tmp_path / "one", limit=37, batch_size=8,
                              num_workers=0)
    shares = sorted(r["items"] for r in timing["ranks"])
    assert timing["processes"] == 2 and sum(shares) == single.timing["items"] and shares[1] - shares[0] <= 2  # one per stage
    assert_same_run(files[0], single.path)


def test_a_failing_rank_stops_every_rank_naming_the_rank_and_the_cause(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "img").mkdir()
    images = []
    for i in range(6):
        Image.new("RGB", (16, 16), "red").save(tmp_path / "img" / f"{i}.png")
        images.append({"filename": f"{i}.png", "imgid": i, "split": "test", "sentences": [{"raw": "a red square"}]})
    (tmp_path / "img" / "5.png").write_bytes(b"not a png")  # in rank 1's share (items 3-5)
    (tmp_path / "data.json").write_text(json.dumps({"images": images}))
    task = tmp_path / "tiny.yaml"
    task.write_text(f"name: tiny\ntype: captioning\nversion: 1\n"
                    f"data: {{format: karpathy, dir: {tmp_path}, annotations: data.json, images: img, split: test}}\n")
    # torchrun would stop the other rank itself after its next check; a 10 s check interval leaves
    # it to mmbench: rank 0 must stop on its own, naming rank 1 and the cause
    started = time.monotonic()
    run = torchrun_cli(["--task", str(task), "--model", "mock", "--batch-size", "1", "--num-workers", "0", "--no-cache"],
                       tmp_path / "out", timeout=300, launcher=("--monitor-interval", "10"))
    elapsed = time.monotonic() - started
    assert run.returncode != 0
    assert "mmbench: error: rank 1 of 2: cannot decode image" in run.stderr and "5.png" in run.stderr
    assert "mmbench: error: rank 0 of 2 stopped: rank 1 failed: DataError: cannot decode image" in run.stderr
    assert run.result_files() == []
    assert elapsed < 200, f"the job took {elapsed:.0f} s to stop"  # startup (imports) + well under a collective timeout (2 h)


# ---- what the store keys on ---------------------------------------------------------------------------

def test_predictions_under_another_fingerprint_or_version_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mock = MockAdapter.create()
    store = tmp_path / "store.sqlite"
    first = mmbench.evaluate("shapes_vqa", mock, output_dir=None, limit=12, batch_size=4, store=store)
    assert first.timing["from_store"] == 0 and first.timing["items"] == 12
    again = mmbench.evaluate("shapes_vqa", mock, output_dir=None, limit=12, batch_size=5, store=store)
    assert again.timing["from_store"] == 12 and again.timing["items"] == 0  # batch size is not part of the key
    assert [r["prediction"] for r in again.samples] == [r["prediction"] for r in first.samples]

    # the stored rows now claim another model fingerprint, and hold other answers
    with sqlite3.connect(store) as db:
        for context_id, text in db.execute("SELECT id, description FROM contexts").fetchall():
            description = json.loads(text)
            assert description["model"]["fingerprint"] == mock.fingerprint
            description["model"]["fingerprint"] = "mock-otherweights-float32"
            db.execute("UPDATE contexts SET digest = ?, description = ? WHERE id = ?",
                       (context_digest(description), json.dumps(description, sort_keys=True, separators=(",", ":")), context_id))
        db.execute("UPDATE predictions SET value = CAST('poisoned' AS BLOB)")
    edited = mmbench.evaluate("shapes_vqa", mock, output_dir=None, limit=12, batch_size=4, store=store)
    assert edited.timing["from_store"] == 0
    assert [r["prediction"] for r in edited.samples] == [r["prediction"] for r in first.samples]

    monkeypatch.setattr(mmbench, "__version__", "99.0")  # another mmbench version: not reused either
    other_version = mmbench.evaluate("shapes_vqa", mock, output_dir=None, limit=12, batch_size=4, store=store)
    assert other_version.timing["from_store"] == 0
    fresh = mmbench.evaluate("shapes_vqa", mock, output_dir=None, limit=12, batch_size=4, store=store, fresh=True)
    assert fresh.timing["from_store"] == 0 and fresh.timing["items"] == 12


def test_embeddings_are_stored_as_float32_bytes(tmp_path: Path) -> None:
    mock = MockAdapter.create()
    store_path = tmp_path / "store.sqlite"
    result = mmbench.evaluate("shapes_zeroshot", mock, output_dir=None, limit=5, store=store_path)
    with sqlite3.connect(store_path) as db:
        rows = db.execute("SELECT kind, shape, value, typeof(value) FROM predictions").fetchall()
    assert len(rows) == result.timing["items"]
    for kind, shape, value, sqlite_type in rows:
        assert sqlite_type == "blob" and len(value) == 4 * int(shape)  # one float32 per dimension
        assert decode(kind, shape, value).dtype == np.float32
    store = PredictionStore(store_path)
    assert store.count() == len(rows)
    store.close()


def test_store_flags_are_checked_before_anything_loads(tmp_path: Path) -> None:
    run = forked_cli(["--task", "shapes_vqa", "--model", "mock", "--no-cache", "--fresh"], tmp_path / "out")
    assert run.returncode == 2 and "--no-cache cannot be combined" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


# ---- sweeps -----------------------------------------------------------------------------------------------

class BrokenGenerator(MockAdapter):
    """Embeds like the mock; its generate() raises, as a model bug would."""

    adapter_name = "broken-generator"

    def generate(self, conversations: object, cfg: object) -> list[str]:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")


def test_a_sweep_runs_every_pair_continues_past_a_failing_one_and_resumes_from_the_store(tmp_path: Path) -> None:
    from mmbench.registry import models

    models.add("broken-generator", f"{__name__}:BrokenGenerator.create", "test model whose generate() raises")
    try:
        _sweep_twice(tmp_path)
    finally:
        models._entries.pop("broken-generator", None)


def _sweep_twice(tmp_path: Path) -> None:
    args = ["--model", "mock", "--model", "broken-generator", "--task", "shapes_zeroshot", "--task", "shapes_vqa",
            "--limit", "12", "--batch-size", "8", "--num-workers", "0", "--store", str(tmp_path / "store.sqlite")]
    first = forked_cli(args, tmp_path / "first")
    assert first.returncode == 1, first.stderr
    assert "[4/4] broken-generator x shapes_vqa: FAILED: RuntimeError: CUDA error: an illegal memory access" in first.stderr
    table = [line for line in first.stdout.splitlines() if line.startswith("| ") and "wall s" not in line]
    summary = {tuple(cell.strip() for cell in line.strip("|").split("|")[:3]) for line in table[-4:]}
    assert ("mock", "shapes_zeroshot", "ok") in summary and ("broken-generator", "shapes_zeroshot", "ok") in summary
    assert ("broken-generator", "shapes_vqa", "failed: RuntimeError: CUDA error: an illegal memory access was encountered") in summary
    written = {(read_result(p).model["spec"], read_result(p).task["name"]) for p in first.result_files()}
    assert written == {("mock", "shapes_zeroshot"), ("mock", "shapes_vqa"), ("broken-generator", "shapes_zeroshot")}

    again = forked_cli(args, tmp_path / "again")  # the same sweep: finished pairs come from the store
    assert again.returncode == 1
    for path in again.result_files():
        result = read_result(path)
        assert result.timing["items"] == 0 and result.timing["from_store"] >= 12, path.name  # at least the 12 samples
    assert again.stderr.count("resuming: 12 of 12 predictions already stored") == 3  # the per-sample stage of each finished pair


def test_a_sweep_goes_on_past_a_task_whose_data_is_missing(tmp_path: Path) -> None:
    from mmbench.sweep import run_pairs
    from mmbench.types import RunConfig

    task = tmp_path / "absent.yaml"
    task.write_text(f"name: absent\ntype: captioning\nversion: 1\n"
                    f"data: {{format: karpathy, dir: {tmp_path / 'nowhere'}, annotations: data.json, images: img, split: test}}\n")
    outcomes = run_pairs(["mock"], [str(task), "shapes_vqa"], RunConfig(output_dir=tmp_path / "out", limit=4, store=None),
                         keep_going=True)
    assert [(o.task, o.status) for o in outcomes] == [(str(task), "failed"), ("shapes_vqa", "ok")]
    assert "nowhere" in outcomes[0].error
    assert outcomes[1].result.metrics and outcomes[1].result.path.exists()


def test_a_sweep_reports_pairs_a_model_cannot_run_without_loading_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mmbench.sweep import run_pairs, summary_table
    from mmbench.types import RunConfig

    outcomes = run_pairs(["shapes-clip"], ["shapes_vqa", "shapes_caption"], RunConfig(output_dir=tmp_path, limit=2), keep_going=True)
    assert [(o.task, o.status) for o in outcomes] == [("shapes_vqa", "failed"), ("shapes_caption", "failed")]
    assert all("cannot run" in o.error and "it has no generate" in o.error for o in outcomes)
    assert "failed: model shapes-clip cannot run shapes_vqa (vqa): it has no generate" in summary_table(outcomes)
    assert list(tmp_path.iterdir()) == []

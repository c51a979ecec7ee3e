"""The project's own regression gate: the demo (bundled models on the shapes suite) must match
the committed baseline in results/baseline, and a degraded run must fail the gate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "results" / "baseline"
# The degraded-model check uses a metric tolerance: the mock model must fail even a lenient gate.
TOLERANCE = "*=0.005"


def mmbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mmbench.cli", *args], capture_output=True, text=True, timeout=900, cwd=REPO)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run = mmbench("demo", "--output-dir", str(out))
    assert run.returncode == 0, run.stderr
    return out


def test_demo_matches_the_committed_baseline(demo_run: Path) -> None:
    """CPU runs are deterministic (the batch-invariance tests): every prediction must be the same."""
    gate = mmbench("compare", str(BASELINE), str(demo_run), "--exact", "--same-model", "--markdown")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    for task in ("shapes_caption", "shapes_retrieval", "shapes_vqa", "shapes_zeroshot"):
        assert task in gate.stdout


def test_a_degraded_model_fails_the_gate(tmp_path: Path) -> None:
    degraded = mmbench("demo", "--model", "mock", "--output-dir", str(tmp_path))
    assert degraded.returncode == 0, degraded.stderr
    gate = mmbench("compare", str(BASELINE), str(tmp_path), "--tolerance", TOLERANCE, "--json")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert '"regression"' in gate.stdout or "regress" in gate.stdout.lower()


def test_pytest_helper_guards_the_baseline(demo_run: Path) -> None:
    from mmbench.testing import assert_no_regression

    assert_no_regression(BASELINE, demo_run, exact=True, same_model=True)

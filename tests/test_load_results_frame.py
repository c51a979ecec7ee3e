"""mmbench.load_results: result files as a pandas DataFrame, one row per run and metric."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import mmbench
from mmbench.report.synthetic import synthetic_result
from mmbench.results import write_result


def test_one_row_per_run_and_metric_with_identity_and_timing(tmp_path: Path) -> None:
    runs = [synthetic_result("zeroshot", "mock:a", 0.8, items_per_s=50.0), synthetic_result("retrieval", "mock:a", 0.7),
            synthetic_result("zeroshot", "mock:b", 0.6, created_at="2026-11-28T01:00:00Z")]
    for run in runs:
        write_result(run, tmp_path)
    (tmp_path / "junk.json").write_text("[]")
    df = mmbench.load_results(tmp_path)
    assert len(df) == 3 + 6 + 1 + 3  # zeroshot 3 metrics; retrieval 6 plus the derived mean_R@1
    row = df[(df.model == "mock:a") & (df.metric == "top1")].iloc[0]
    assert row.value == pytest.approx(runs[0].metrics["top1"]) and row.items_per_s == 50.0
    assert (row.task, row.task_type, row.model_fingerprint, row.data_fingerprint) == (
        "shapes_zeroshot", "zeroshot", "fp-mock:a", "sha256:feedbeef")
    assert row.p50_ms == pytest.approx(runs[0].timing["latency_ms"]["p50"]) and Path(row.file).is_file()
    mean_r1 = df[df.metric == "mean_R@1"].value.iloc[0]
    assert mean_r1 == pytest.approx((runs[1].metrics["i2t_R@1"] + runs[1].metrics["t2i_R@1"]) / 2)
    table = df.pivot_table(index="model", columns=["task", "metric"], values="value")
    assert table.loc["mock:b", ("shapes_zeroshot", "top1")] == pytest.approx(runs[2].metrics["top1"])


def test_importing_and_loading_needs_no_torch(tmp_path: Path) -> None:
    write_result(synthetic_result("vqa", "mock:a", 0.8), tmp_path)
    code = ("import sys, mmbench\ndf = mmbench.load_results(sys.argv[1])\n"
            "assert 'torch' not in sys.modules\nprint(len(df))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "4", out.stderr

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


def test_the_leaderboard_command_reads_through_load_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from mmbench.cli import main

    write_result(synthetic_result("vqa", "mock:a", 0.8), tmp_path)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    calls = []
    real = mmbench.load_results

    def recording(paths):  # type: ignore[no-untyped-def]
        calls.append(paths)
        return real(paths)

    monkeypatch.setattr(mmbench, "load_results", recording)
    assert main(["leaderboard", str(tmp_path), "--no-reported"]) == 0
    out = capsys.readouterr()
    assert calls == [[str(tmp_path)]] and "| mock:a |" in out.out
    assert "Skipped: " in out.out and "broken.json" in out.err  # the frame's warnings reach the table


def test_leaderboard_of_a_filtered_frame_with_medians_from_the_frame(tmp_path: Path) -> None:
    from mmbench.report.leaderboard import build_leaderboard

    for day, speed, model in ((1, 40.0, "mock:a"), (2, 70.0, "mock:a"), (3, 50.0, "mock:a"), (1, 9.0, "mock:b")):
        write_result(synthetic_result("zeroshot", model, 0.5 + day / 10, items_per_s=speed,
                                      created_at=f"2026-11-2{day}T00:00:00Z"), tmp_path)
    df = mmbench.load_results(tmp_path)
    only_a = df[df.model == "mock:a"]
    board = build_leaderboard(only_a, include_reported=False)
    [row] = board.rows
    [cell] = row.cells.values()
    runs = only_a.drop_duplicates("run_key")
    assert cell.items_per_s == runs.items_per_s.median() == 50.0 and cell.timed_runs == len(runs) == 3
    assert cell.main_value == pytest.approx(only_a[(only_a.metric == "top1")].sort_values("created_at").value.iloc[-1])
    assert [r.created_at[:10] for r in cell.history] == ["2026-11-23", "2026-11-22", "2026-11-21"]
    assert cell.latest.record.run_id == cell.latest.run_id and cell.latest.config == cell.latest.record.config


def test_a_run_without_metrics_keeps_one_row_and_in_memory_runs_sharing_an_id_stay_apart() -> None:
    from mmbench.report.frame import runs_frame
    from mmbench.report.leaderboard import build_leaderboard

    empty = synthetic_result("vqa", "mock:empty", 0.5)
    empty.metrics = {}
    twin_a, twin_b = (synthetic_result("vqa", "mock:twin", q, created_at="2026-11-27T00:00:00Z") for q in (0.4, 0.6))
    assert twin_a.run_id == twin_b.run_id
    df = runs_frame([empty, twin_a, twin_b])
    assert df[df.model == "mock:empty"].metric.isna().tolist() == [True]
    assert df[df.model == "mock:twin"].run_key.nunique() == 2 and set(df.attrs["runs"]) == set(df.run_key)
    board = build_leaderboard(df, include_reported=False)
    cells = {row.label: next(iter(row.cells.values())) for row in board.rows}
    assert cells["mock:empty"].main_value is None and len(cells["mock:twin"].history) == 2

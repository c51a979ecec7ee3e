"""Partial runs in reports: the leaderboard keeps them apart (or mixes them in, marked, with
--include-partial) in every format; compare and assert_no_regression refuse complete vs partial."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from mmbench.errors import UserError
from mmbench.report.compare import Settings, compare_runs
from mmbench.report.html import to_html
from mmbench.report.leaderboard import build_leaderboard
from mmbench.report.synthetic import synthetic_result
from mmbench.report.tables import to_csv, to_dict, to_markdown
from mmbench.results import RunResult, write_result
from mmbench.testing import assert_no_regression

NOTE = "partial (50 of 214354 samples scored): found 50 of 214354 samples"


def partial(model: str, quality: float, created_at: str = "2026-11-28T01:00:00Z") -> RunResult:
    """A run as `mmbench run` records one on 50 of the 214,354 VQAv2 val questions."""
    run = synthetic_result("vqa", model, quality, n=50, created_at=created_at)
    run.task.update(num_scored=50, expected_count=214354, num_found=50, complete=False)
    run.metric_notes["completeness"] = NOTE
    return run


def complete(model: str, quality: float) -> RunResult:
    run = synthetic_result("vqa", model, quality)
    run.task.update(num_scored=200, expected_count=200, num_found=200, complete=True)
    return run


def runs() -> list[RunResult]:
    # mock:good has a complete run and a newer partial one of the same column; mock:smoke only a partial one
    return [complete("mock:good", 0.8), partial("mock:good", 0.95), partial("mock:smoke", 0.99)]


def pts(run: RunResult) -> str:
    return f"{100 * run.metrics['accuracy']:.2f}"


def test_markdown_keeps_partial_runs_apart() -> None:
    good, good_partial, smoke = runs()
    md = to_markdown(build_leaderboard([good, good_partial, smoke], include_reported=False))
    table, _, section = md.partition("## Partial runs")
    assert "| mock:good |" in table and "mock:smoke" not in table
    assert f"| {pts(good)} |" in table and pts(good_partial) not in table  # the complete run, though older
    assert "not the full benchmark" in section
    lines = [line for line in section.splitlines() if line.startswith("| mock:")]
    assert lines == [f"| mock:good | shapes_vqa | 50 / 214354 | accuracy {pts(good_partial)} | {NOTE} | {good_partial.run_id} |",
                     f"| mock:smoke | shapes_vqa | 50 / 214354 | accuracy {pts(smoke)} | {NOTE} | {smoke.run_id} |"]


def test_markdown_include_partial_marks_them_in_the_table() -> None:
    good, good_partial, smoke = runs()
    md = to_markdown(build_leaderboard([good, good_partial, smoke], include_reported=False, include_partial=True))
    assert "## Partial runs" not in md
    assert f"| mock:smoke | 1.0M | cpu | {pts(smoke)} (partial 50 / 214354) |" in md
    assert f"{pts(good_partial)} (2 runs) (partial 50 / 214354)" in md  # newest of mock:good's two runs, marked
    assert f"| accuracy {pts(good)} |" in md  # its complete run in the history, unmarked
    assert f"| accuracy {pts(good_partial)} (partial 50 / 214354) |" in md


def _csv_rows(text: str) -> list[dict[str, str]]:
    return [row for row in csv.DictReader(io.StringIO(text)) if row["metric"] == "accuracy"]


def test_csv_columns() -> None:
    rows = {(r["source"], r["model"]): r for r in _csv_rows(to_csv(build_leaderboard(runs(), include_reported=False)))}
    assert sorted(rows) == [("measured", "mock:good"), ("partial", "mock:good"), ("partial", "mock:smoke")]
    assert (rows["measured", "mock:good"]["complete"], rows["measured", "mock:good"]["samples_total"]) == ("1", "200")
    smoke = rows["partial", "mock:smoke"]
    assert (smoke["complete"], smoke["samples_scored"], smoke["samples_total"]) == ("0", "50", "214354")
    mixed = _csv_rows(to_csv(build_leaderboard(runs(), include_reported=False, include_partial=True)))
    assert {(r["source"], r["model"], r["complete"]) for r in mixed} == {("measured", "mock:good", "0"),
                                                                          ("measured", "mock:smoke", "0")}


def test_json_fields() -> None:
    apart = to_dict(build_leaderboard(runs(), include_reported=False))
    assert [r["model"] for r in apart["rows"]] == ["mock:good"]
    cell = apart["rows"][0]["tasks"]["shapes_vqa"]
    assert cell["complete"] is True and cell["coverage"] == {"scored": 200, "total": 200}
    assert [(p["model"], p["complete"], p["coverage"], p["reason"]) for p in apart["partial"]] == [
        ("mock:good", False, {"scored": 50, "total": 214354}, NOTE), ("mock:smoke", False, {"scored": 50, "total": 214354}, NOTE)]
    mixed = to_dict(build_leaderboard(runs(), include_reported=False, include_partial=True))
    assert mixed["partial"] == []
    assert {r["model"]: r["tasks"]["shapes_vqa"]["complete"] for r in mixed["rows"]} == {"mock:good": False, "mock:smoke": False}


def test_html_section_and_badge() -> None:
    page = to_html(build_leaderboard(runs(), include_reported=False))
    table = page.split('<table id="leaderboard">')[1].split("</table>")[0]
    assert "mock:smoke" not in table and "badge partial" not in table
    section = page.split('<table id="partial">')[1].split("</table>")[0]
    assert section.count('<span class="badge partial">partial 50 / 214354</span>') == 2 and "mock:smoke" in section
    assert "<code>mmbench leaderboard --include-partial</code> shows them" in page and "`" not in page.split("<body")[1].split("<script")[0]
    mixed = to_html(build_leaderboard(runs(), include_reported=False, include_partial=True))
    table = mixed.split('<table id="leaderboard">')[1].split("</table>")[0]
    assert table.count('<span class="badge partial">partial 50 / 214354</span>') == 2
    assert '<table id="partial">' not in mixed


def test_compare_and_assert_no_regression_refuse_complete_against_partial() -> None:
    base, cand = complete("mock:good", 0.8), partial("mock:good", 0.8)
    with pytest.raises(UserError, match="complete run against a partial one"):
        compare_runs(base, cand, Settings(n_resamples=200))
    with pytest.raises(UserError, match="complete run against a partial one"):
        assert_no_regression(base, cand, n_resamples=200)
    report = assert_no_regression(base, cand, n_resamples=200, allow_mismatch=True, tolerances={"*": 1.0})
    assert any("complete run against a partial one" in note and "--allow-mismatch" in note for note in report.tasks[0].notes)
    # two complete runs (or two partial ones of one data set) compare as before
    assert compare_runs(base, complete("mock:good", 0.8), Settings(n_resamples=200)).exit_code == 0
    assert compare_runs(partial("mock:a", 0.8), partial("mock:a", 0.8), Settings(n_resamples=200)).exit_code == 0


def test_load_results_frame_has_completeness_columns(tmp_path: Path) -> None:
    import mmbench

    for run in runs():
        write_result(run, tmp_path)
    df = mmbench.load_results(tmp_path)
    accuracy = df[df.metric == "accuracy"].sort_values(["model", "complete"])
    assert list(zip(accuracy.model, accuracy.complete, accuracy.samples_scored, accuracy.samples_total)) == [
        ("mock:good", False, 50, 214354), ("mock:good", True, 200, 200), ("mock:smoke", False, 50, 214354)]

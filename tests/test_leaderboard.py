"""Leaderboard: grouping, main metrics, history, reported rows, formats, escaping, robustness."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from mmbench.report.html import to_html
from mmbench.report.leaderboard import build_leaderboard
from mmbench.report.loading import load_results
from mmbench.report.pareto import pareto_front
from mmbench.report.synthetic import synthetic_result
from mmbench.report.tables import to_csv, to_dict, to_markdown
from mmbench.results import write_result

EVIL = "<script>alert(1)</script>"
TASK_TYPES = ("captioning", "retrieval", "vqa", "zeroshot")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """good (2 runs each, one duplicated file), fast (1 run), EVIL (1 run), plus broken files."""
    d = tmp_path_factory.mktemp("results")
    for task_type in TASK_TYPES:
        write_result(synthetic_result(task_type, "mock:good", 0.8, items_per_s=50, created_at="2026-11-27T02:00:00Z"), d)
        old = write_result(synthetic_result(task_type, "mock:good", 0.6, items_per_s=40, created_at="2026-11-20T02:00:00Z"), d)
        write_result(synthetic_result(task_type, "mock:fast", 0.5, items_per_s=400), d)
        write_result(synthetic_result(task_type, EVIL, 0.3, items_per_s=100), d)
    shutil.copy(old, d / "copy_of_old_run.json")  # duplicate run id: counted once
    (d / "broken.json").write_text("{not json", encoding="utf-8")
    (d / "notes.json").write_text('{"hello": 1}', encoding="utf-8")
    future = synthetic_result("vqa", "mock:future", 0.9).to_dict() | {"schema_version": "2.0"}
    (d / "future.json").write_text(json.dumps(future), encoding="utf-8")
    newer_minor = synthetic_result("vqa", "mock:minor", 0.7, created_at="2026-11-27T03:00:00Z")
    newer_minor.schema_version = "1.1"
    path = write_result(newer_minor, d)
    data = json.loads(path.read_text()) | {"some_future_field": {"x": 1}}
    del data["metrics"]["accuracy"]  # missing main metric
    path.write_text(json.dumps(data), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def board(results_dir: Path):
    loaded = load_results([results_dir])
    return build_leaderboard(loaded.results, loaded.warnings)


def test_unreadable_files_are_named_and_skipped(board) -> None:
    text = "\n".join(board.warnings)
    assert "broken.json: malformed JSON" in text
    assert "notes.json" in text and "future.json: unsupported schema_version '2.0'" in text
    duplicate = next(w for w in board.warnings if "duplicate of run" in w)
    assert "copy_of_old_run.json" in duplicate and "counted once" in duplicate
    assert {row.label for row in board.rows} == {"mock:good", "mock:fast", EVIL, "mock:minor"}


def test_one_row_per_model_latest_run_with_history(board) -> None:
    good = next(row for row in board.rows if row.label == "mock:good")
    for column in board.columns:
        cell = good.cells[column.key]
        assert [r.created_at for r in cell.history] == ["2026-11-27T02:00:00Z", "2026-11-20T02:00:00Z"]
        assert cell.items_per_s == 45 and cell.timed_runs == 2  # the median of 50 and 40


def test_throughput_is_the_median_over_runs_so_one_noisy_run_does_not_move_it() -> None:
    runs = [synthetic_result("zeroshot", "mock:noisy", 0.7, items_per_s=speed, created_at=f"2026-11-2{day}T00:00:00Z")
            for day, speed in ((1, 400.0), (2, 410.0), (3, 100.0))]  # the newest run is four times slower
    board = build_leaderboard(runs, include_reported=False)
    [cell] = board.rows[0].cells.values()
    assert cell.latest.timing["items_per_s"] == 100.0
    assert cell.items_per_s == 400.0 and cell.timed_runs == 3
    assert "| 400.0 (median of 3) |" in to_markdown(board)
    assert '400.0 <span class="note">(median of 3)</span>' in to_html(board)


def test_main_metric_per_task_type(board) -> None:
    expected = {"captioning": "CIDEr", "retrieval": "mean_R@1", "vqa": "accuracy", "zeroshot": "top1"}
    good = next(row for row in board.rows if row.label == "mock:good")
    for column in board.columns:
        cell = good.cells[column.key]
        assert cell.main_metric == expected[column.task_type]
        raw = cell.latest.metrics
        want = (raw["i2t_R@1"] + raw["t2i_R@1"]) / 2 if column.task_type == "retrieval" else raw[expected[column.task_type]]
        assert cell.main_value == pytest.approx(want, abs=1e-12)


def test_markdown_table(board) -> None:
    md = to_markdown(board)
    measured, _, rest = md.partition("## Reported")
    good = next(row for row in board.rows if row.label == "mock:good")
    vqa = next(c for c in board.columns if c.task_type == "vqa")
    accuracy = good.cells[vqa.key].latest.metrics["accuracy"]
    line = next(l for l in measured.splitlines() if l.startswith("| mock:good |"))
    assert f"{accuracy * 100:.2f} (2 runs)" in line
    assert "| Model | Params | Device | shapes_caption CIDEr | items/s | p50 ms |" in measured
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in measured and EVIL not in md
    minor = next(l for l in measured.splitlines() if l.startswith("| mock:minor |"))
    assert "| – |" in minor  # its VQA main metric is missing
    assert "## History" in rest and "2026-11-20T02:00:00Z" in rest


def test_reported_rows_are_separate_and_marked(board) -> None:
    md = to_markdown(board)
    measured, _, reported = md.partition("## Reported")
    assert "CLIP ViT-B/32" not in measured
    assert "| CLIP ViT-B/32 (OpenAI) | ImageNet val, zero-shot | top1 63.33, top5 88.78 |" in reported
    assert "| BLIP (LAVIS) | COCO Karpathy test | Bleu_4 39.90, CIDEr 133.50, SPICE 23.70 |" in reported
    data = to_dict(board)
    assert all(r["source"] == "measured" for r in data["rows"])
    assert data["reported"] and all(r["source"] == "reported" for r in data["reported"])
    page = to_html(board)
    scatter = page[page.index("Quality vs throughput"):page.index('id="reported"')]
    assert "CLIP" not in scatter and "LLaVA" not in scatter


def test_csv_long_format_and_formula_escaping(tmp_path: Path) -> None:
    write_result(synthetic_result("zeroshot", "=HYPERLINK(\"x\")", 0.5), tmp_path)
    lb = build_leaderboard(load_results([tmp_path]).results, include_reported=False)
    rows = list(csv.DictReader(io.StringIO(to_csv(lb))))
    top1 = next(r for r in rows if r["metric"] == "top1")
    assert top1["model"] == "'=HYPERLINK(\"x\")" and top1["source"] == "measured" and top1["is_main"] == "1"
    assert float(top1["value"]) == pytest.approx(lb.rows[0].cells[lb.columns[0].key].latest.metrics["top1"])


def test_json_has_details_and_history(board) -> None:
    data = json.loads(json.dumps(to_dict(board)))
    good = next(r for r in data["rows"] if r["model"] == "mock:good")
    cell = good["tasks"]["shapes_vqa"]
    assert cell["config"] and cell["env"]["torch"] == "2.13.0" and len(cell["history"]) == 2
    assert cell["history"][0]["created_at"] > cell["history"][1]["created_at"]


def test_versions_and_fingerprints_get_separate_columns(tmp_path: Path) -> None:
    write_result(synthetic_result("zeroshot", "mock:a", 0.5, task_version="1"), tmp_path)
    write_result(synthetic_result("zeroshot", "mock:a", 0.5, task_version="2"), tmp_path)
    write_result(synthetic_result("zeroshot", "mock:a", 0.5, task_version="2", fingerprint="sha256:0ther"), tmp_path)
    lb = build_leaderboard(load_results([tmp_path]).results)
    assert len(lb.columns) == 3 and len({c.label for c in lb.columns}) == 3
    assert all(len(cell.history) == 1 for cell in lb.rows[0].cells.values())


def test_pareto_front_by_hand() -> None:
    points = [(10, 0.5), (20, 0.4), (30, 0.3), (20, 0.2), (5, 0.6), (30, 0.1), (10, 0.5)]
    # (20, 0.2) is dominated by (20, 0.4); (30, 0.1) by (30, 0.3); both (10, 0.5) are kept.
    assert pareto_front(points) == [4, 0, 6, 1, 2]


def test_html_is_escaped_self_contained_and_script_hash_matches(board) -> None:
    page = to_html(board, title="<b>team</b>")
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    assert len(scripts) == 1 and "alert" not in scripts[0]
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # table, scatter label, detail
    assert "<b>team</b>" not in page and "&lt;b&gt;team&lt;/b&gt;" in page
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "page must not load network resources"
    assert "<polyline class=\"pareto\"" in page and 'id="filter"' in page
    assert "Per-model detail" in page and "Environment" in page and "Configuration" in page


def test_png_plots(board, tmp_path: Path) -> None:
    from mmbench.report.plots import write_plots

    written = write_plots(board, tmp_path)
    assert [p.name for p in written] == ["quality_vs_throughput.png", "latency.png"]
    for path in written:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_minimal_and_odd_results_render(tmp_path: Path) -> None:
    """Only the required fields, non-numeric metrics, no timing: every output still renders."""
    minimal = {"schema_version": "1.0", "task": {"name": "t", "type": "zeroshot"}, "model": {"spec": "m"},
               "metrics": {"top1": "n/a", "top5": 0.5}}
    (tmp_path / "minimal.json").write_text(json.dumps(minimal), encoding="utf-8")
    odd = synthetic_result("retrieval", "mock:odd", 0.5)
    odd.timing = {"items_per_s": None, "latency_ms": "?"}
    del odd.metrics["t2i_R@1"]
    write_result(odd, tmp_path)
    loaded = load_results([tmp_path])
    lb = build_leaderboard(loaded.results, loaded.warnings)
    assert not loaded.warnings and len(lb.rows) == 2
    assert all(cell.main_value is None for row in lb.rows for cell in row.cells.values())
    assert "| m | – | – |" in to_markdown(lb)
    assert "Per-model detail" in to_html(lb) and json.loads(json.dumps(to_dict(lb)))
    from mmbench.report.plots import write_plots

    assert write_plots(lb, tmp_path / "plots") == []


def test_every_string_from_result_files_is_escaped(tmp_path: Path) -> None:
    evil_img = '"><img src=x onerror=alert(2)>'
    run = synthetic_result("vqa", EVIL, 0.5, task_name=f"task{evil_img}", fingerprint=EVIL)
    run.task["arguments"] = {"prompt": EVIL, evil_img: evil_img}
    run.config = {"note": EVIL}
    run.env["platform"] = evil_img
    run.metric_notes = {"accuracy": EVIL, evil_img: "unavailable"}
    run.metrics[f"x{evil_img}"] = 0.5
    run.model["dtype"] = evil_img
    lb = build_leaderboard([run])
    page = to_html(lb, title=evil_img)
    assert page.count("<script") == 1 and "<img" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    md = to_markdown(lb)
    assert "<script" not in md and "<img" not in md
    csv_rows = list(csv.reader(io.StringIO(to_csv(lb))))
    assert any(EVIL in cell for row in csv_rows for cell in row)  # CSV keeps the text (quoting, not HTML)


def test_plot_ticks_are_round_values_within_the_data_range() -> None:
    import math

    from mmbench.report.svg import log_ticks, nice_ticks, scatter_svg, Point, tick_text

    assert nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(55.3, 81.2) == [60, 65, 70, 75, 80]
    assert log_ticks(math.log10(17), math.log10(1487)) == [20, 50, 100, 200, 500, 1000]
    assert [tick_text(v) for v in (1320.0, 0.25, 1e6, 77.85)] == ["1,320", "0.25", "1,000,000", "77.85"]
    # R@1 near 0 and 100 for two models: no negative tick and nothing above 100
    svg = scatter_svg([Point("a", 1320.0, 0.002), Point("b", 35.0, 0.998)], "t", "R@1")
    ticks = re.findall(r'class="tick"[^>]*>([^<]+)<', svg)
    values = [float(t.replace(",", "")) for t in ticks]
    assert min(values) >= 0 and max(v for v in values if v <= 100) == 100 and "e+" not in svg
    assert "1,000" in ticks and "1.32e+03" not in svg


def test_the_committed_leaderboard_holds_no_mock_runs() -> None:
    repo = Path(__file__).resolve().parents[1]
    assert not any(r.model.get("spec") == "mock" for r in load_results([repo / "results"]).results)
    page = (repo / "docs" / "leaderboard.html").read_text(encoding="utf-8")
    assert ">mock<" not in page and "shapes-clip" in page


def _served_from_store(run):  # type: ignore[no-untyped-def]
    """``run`` as a re-run whose every prediction came from the store, recorded as files written
    before that was said do: 0 items computed, items/s 0.0, a latency from no batches."""
    run.timing.update(items=0, from_store=run.task["num_samples"], items_per_s=0.0,
                      latency_ms={"p50": 0.0, "p90": 0.0, "p99": 0.0, "mean": 0.0, "n": 0})
    return run


def test_a_run_served_from_the_store_has_no_throughput_and_stays_out_of_the_median() -> None:
    """The issue's example: runs of 0.0 (all from the store), 85.0, 262.4 and 767.0 items/s gave
    "173.7, median of 4"; the computed three give 262.4, median of 3."""
    speeds = (85.0, 262.4, 767.0)
    runs = [synthetic_result("retrieval", "mock:resumed", 0.7, items_per_s=s, created_at=f"2026-11-2{i}T00:00:00Z")
            for i, s in enumerate(speeds, start=1)]
    runs.append(_served_from_store(synthetic_result("retrieval", "mock:resumed", 0.7, created_at="2026-11-28T00:00:00Z")))
    board = build_leaderboard(runs, include_reported=False)
    [cell] = board.rows[0].cells.values()
    assert cell.items_per_s == 262.4 and cell.timed_runs == 3 and len(cell.history) == 4
    assert cell.p50_ms == pytest.approx(1000.0 * 8 / 262.4)  # the latency median leaves it out too
    md = to_markdown(board)
    assert "| 262.4 (median of 3) |" in md and "173.7" not in md
    history = md.split("## History")[1]
    assert history.count("| from the store |") == 1 and "| 0.0 |" not in history
    assert "<td>from the store</td>" in to_html(board)


def test_the_run_summary_says_from_the_store_instead_of_a_rate() -> None:
    from mmbench.tables import results_table

    computed = synthetic_result("vqa", "mock:a", 0.5, items_per_s=40.0)
    stored = _served_from_store(synthetic_result("vqa", "mock:b", 0.5))
    lines = results_table([computed, stored]).splitlines()
    row_a, row_b = (next(line for line in lines if f" {m} " in line) for m in ("mock:a", "mock:b"))
    assert "| 40.0 " in row_a and "from the store" not in row_a
    assert [c.strip() for c in row_b.strip("|").split("|")][3:5] == ["from the store", "from the store"]


def test_markdown_shows_an_ampersand_as_is_and_still_escapes_html() -> None:
    from mmbench.report.tables import md_text

    assert md_text("table 'Zero-shot Captioning & General VQA'") == "table 'Zero-shot Captioning & General VQA'"
    assert md_text("a &lt; b & <b>c</b> | `d`") == "a &amp;lt; b & &lt;b&gt;c&lt;/b&gt; \\| &#96;d&#96;"
    md = to_markdown(build_leaderboard([synthetic_result("vqa", "mock:a", 0.5)]))
    assert "&amp;" not in md and "Captioning & General VQA" in md  # a reported row's source


def test_plot_legends_sit_outside_the_panels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No legend box overlaps its panel's axes (where the points are), in either PNG."""
    from mmbench.report import plots

    figures = []
    save = plots._save

    def keep(plt, fig, path):  # type: ignore[no-untyped-def]
        fig.tight_layout()  # as _save lays it out
        fig.canvas.draw()
        figures.append([(ax.get_window_extent(), ax.get_legend().get_window_extent()) for ax in fig.axes
                        if ax.get_visible() and ax.get_legend() is not None])
        return save(plt, fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    runs = [synthetic_result(t, m, q, items_per_s=s) for t in TASK_TYPES
            for m, q, s in (("mock:a", 0.9, 20.0), ("mock:b", 0.2, 900.0), ("mock:c", 0.6, 150.0))]
    written = plots.write_plots(build_leaderboard(runs, include_reported=False), tmp_path)
    assert [p.name for p in written] == ["quality_vs_throughput.png", "latency.png"] and len(figures) == 2
    for panels in figures:
        assert len(panels) == len(TASK_TYPES)
        for axes_box, legend_box in panels:
            assert not axes_box.overlaps(legend_box), (axes_box, legend_box)

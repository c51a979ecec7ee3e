"""compare: statistics against scipy, the regression gate, mismatch refusal, outputs, pytest helper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.special
import scipy.stats

from mmbench.errors import UserError
from mmbench.report import stats
from mmbench.report.compare import Settings, compare_runs, parse_tolerances
from mmbench.report.compare_render import to_dict, to_markdown
from mmbench.report.synthetic import synthetic_result
from mmbench.results import samples_path, write_result
from mmbench.testing import RegressionError, assert_no_regression

TASK_TYPES = ("captioning", "retrieval", "vqa", "zeroshot")
FAST = Settings(n_resamples=500)


# --- statistics, checked against scipy -------------------------------------------------------

@pytest.mark.parametrize("n", [6, 40, 3000])
def test_paired_t_matches_scipy(n: int) -> None:
    rng = np.random.default_rng(n)
    base = rng.choice([0, 0.3, 0.6, 0.9, 1.0], n)
    cand = np.clip(base + rng.normal(-0.05, 0.3, n), 0, 1)
    ours, ref = stats.paired_t_test(base, cand), scipy.stats.ttest_rel(cand, base)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("x,a,b", [(0.3, 0.5, 0.5), (0.999, 1500.0, 0.5), (0.01, 2.0, 7.5), (0.7, 30.0, 0.5)])
def test_incomplete_beta_matches_scipy(x: float, a: float, b: float) -> None:
    assert stats.regularized_incomplete_beta(x, a, b) == pytest.approx(scipy.special.betainc(a, b, x), rel=1e-10)


@pytest.mark.parametrize("n,flip", [(30, 0.2), (400, 0.1), (20000, 0.05)])
def test_mcnemar_matches_binomial_test(n: int, flip: float) -> None:
    rng = np.random.default_rng(n)
    base = rng.integers(0, 2, n)
    cand = np.where(rng.random(n) < flip, rng.integers(0, 2, n), base)
    b, c = int(np.sum((base == 1) & (cand == 0))), int(np.sum((base == 0) & (cand == 1)))
    expected = scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue
    assert stats.mcnemar_exact(base, cand).p_value == pytest.approx(expected, rel=1e-9)
    assert stats.mcnemar_exact(base, base).p_value == 1.0


def test_bootstrap_is_seeded_and_agrees_with_scipy() -> None:
    rng = np.random.default_rng(0)
    base = rng.random(300)
    cand = base + rng.normal(0.02, 0.1, 300)
    ours = stats.paired_bootstrap([(base, cand)], n_resamples=4000, seed=7)
    assert ours == stats.paired_bootstrap([(base, cand)], n_resamples=4000, seed=7)
    assert ours.delta == pytest.approx(np.mean(cand - base))
    ref = scipy.stats.bootstrap((cand - base,), np.mean, n_resamples=4000, method="percentile", random_state=1)
    width = ref.confidence_interval.high - ref.confidence_interval.low
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.1 * width)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.1 * width)
    hits_base, hits_cand = rng.integers(0, 2, 400), rng.integers(0, 2, 400)  # few distinct values: counts path
    ours = stats.paired_bootstrap([(hits_base, hits_cand)], n_resamples=4000, seed=3)
    ref = scipy.stats.bootstrap((hits_cand - hits_base,), np.mean, n_resamples=4000, method="percentile", random_state=1)
    width = ref.confidence_interval.high - ref.confidence_interval.low
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.1 * width)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.1 * width)
    constant = stats.paired_bootstrap([(np.zeros(10), np.full(10, 0.25))], n_resamples=200)
    assert (constant.low, constant.high, constant.delta) == (0.25, 0.25, 0.25)


# --- the gate -------------------------------------------------------------------------------

def _write_all(directory: Path, quality: float, model: str = "mock:m", **kw) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for task_type in TASK_TYPES:
        write_result(synthetic_result(task_type, model, quality, **kw), directory)
    return directory


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cmp")
    return {"baseline": _write_all(root / "baseline", 0.8), "same": _write_all(root / "same", 0.8),
            "degraded": _write_all(root / "degraded", 0.7)}


def test_tolerance_and_fail_on_significant(dirs: dict[str, Path]) -> None:
    report = compare_runs(str(dirs["baseline"]), str(dirs["degraded"]), Settings(parse_tolerances(["*=10"]), n_resamples=300))
    assert report.exit_code == 0
    assert any(m.significant_drop for t in report.tasks for m in t.metrics)
    strict = Settings(parse_tolerances(["*=10"]), n_resamples=300, fail_on_significant=True)
    assert compare_runs(str(dirs["baseline"]), str(dirs["degraded"]), strict).exit_code == 1


def test_pvalues_are_the_paired_tests_on_the_records() -> None:
    base, cand = synthetic_result("zeroshot", "mock:m", 0.8), synthetic_result("zeroshot", "mock:m", 0.7)
    report = compare_runs(base, cand, FAST)
    top1 = next(m for m in report.tasks[0].metrics if m.metric == "top1")
    b = np.array([r["metrics"]["top1"] for r in base.samples])
    c = np.array([r["metrics"]["top1"] for r in cand.samples])
    n10, n01 = int(np.sum((b == 1) & (c == 0))), int(np.sum((b == 0) & (c == 1)))
    assert top1.p_value == pytest.approx(scipy.stats.binomtest(min(n10, n01), n10 + n01, 0.5).pvalue)
    vb, vc = synthetic_result("vqa", "mock:m", 0.8), synthetic_result("vqa", "mock:m", 0.7)
    accuracy = next(m for m in compare_runs(vb, vc, FAST).tasks[0].metrics if m.metric == "accuracy_number")
    keep = [i for i, r in enumerate(vb.samples) if r["answer_type"] == "number"]
    ref = scipy.stats.ttest_rel([vc.samples[i]["metrics"]["accuracy"] for i in keep], [vb.samples[i]["metrics"]["accuracy"] for i in keep])
    assert accuracy.p_value == pytest.approx(ref.pvalue) and accuracy.n_pairs == len(keep)


def test_mean_recall_and_corpus_metrics() -> None:
    base, cand = synthetic_result("retrieval", "mock:m", 0.8), synthetic_result("retrieval", "mock:m", 0.6)
    metrics = {m.metric: m for m in compare_runs(base, cand, FAST).tasks[0].metrics}
    mean_r1 = metrics["mean_R@1"]
    expected = ((cand.metrics["i2t_R@1"] + cand.metrics["t2i_R@1"]) - (base.metrics["i2t_R@1"] + base.metrics["t2i_R@1"])) / 2
    assert mean_r1.delta == pytest.approx(expected) and mean_r1.test == "paired bootstrap"
    assert mean_r1.ci_low <= expected <= mean_r1.ci_high and mean_r1.n_pairs == len(base.samples)
    cap = {m.metric: m for m in compare_runs(synthetic_result("captioning", "m:m", 0.8),
                                             synthetic_result("captioning", "m:m", 0.7), FAST).tasks[0].metrics}
    assert cap["Bleu_4"].ci_low is None and "corpus-level" in cap["Bleu_4"].note
    assert cap["METEOR"].ci_low is None and cap["CIDEr"].ci_low is not None


def test_matches_latest_run_per_task_and_model(tmp_path: Path) -> None:
    base = _write_all(tmp_path / "b", 0.8)
    cand = _write_all(tmp_path / "c", 0.9, created_at="2026-11-01T00:00:00Z")  # older and better: ignored
    _write_all(cand, 0.7, created_at="2026-11-27T05:00:00Z")
    report = compare_runs(str(base), str(cand), FAST)
    assert all(t.candidate.created_at == "2026-11-27T05:00:00Z" for t in report.tasks) and report.exit_code == 1


def test_missing_task_or_samples(tmp_path: Path) -> None:
    base = _write_all(tmp_path / "b", 0.8)
    cand = tmp_path / "c"
    cand.mkdir()
    path = write_result(synthetic_result("vqa", "mock:m", 0.8), cand)
    samples_path(path).unlink()
    assert compare_runs(str(base), str(cand), Settings(n_resamples=200, require_all_tasks=False)).exit_code == 0
    report = compare_runs(str(base), str(cand), FAST)
    assert report.exit_code == 1 and sorted(report.missing_in_candidate) == ["shapes_caption", "shapes_retrieval", "shapes_zeroshot"]
    vqa = report.tasks[0]
    assert all(m.ci_low is None and m.status == "ok" for m in vqa.metrics)
    assert any("per-sample file not found" in w for w in report.warnings)


def test_missing_metric_fails_and_inf_tolerance_ignores_it() -> None:
    base, cand = synthetic_result("zeroshot", "mock:m", 0.8), synthetic_result("zeroshot", "mock:m", 0.8)
    del cand.metrics["top5"]
    assert compare_runs(base, cand, FAST).failures() == ["shapes_zeroshot: top5 missing in candidate"]
    assert compare_runs(base, cand, Settings({"top5": float("inf")}, n_resamples=200)).exit_code == 1  # still missing
    del base.metrics["top5"]
    assert compare_runs(base, cand, FAST).exit_code == 0


def test_markdown_escapes_strings() -> None:
    evil = "<img src=x onerror=alert(1)>|"
    report = compare_runs(synthetic_result("zeroshot", evil, 0.8), synthetic_result("zeroshot", evil, 0.7), FAST)
    md = to_markdown(report)
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;\\|" in md
    assert md.startswith("### mmbench compare: FAIL") and "| top1 |" in md
    assert to_dict(report)["tasks"][0]["baseline"]["model"] == evil


def test_pytest_helper(dirs: dict[str, Path]) -> None:
    report = assert_no_regression(dirs["baseline"], dirs["same"], n_resamples=200)
    assert report.exit_code == 0
    with pytest.raises(RegressionError, match="shapes_vqa: accuracy fell by"):
        assert_no_regression(dirs["baseline"], dirs["degraded"], n_resamples=200)
    in_memory = synthetic_result("zeroshot", "mock:m", 0.8)
    assert_no_regression(dirs["baseline"], in_memory, n_resamples=200)  # run object, paired on its samples
    with pytest.raises(UserError):
        assert_no_regression(dirs["baseline"], synthetic_result("zeroshot", "mock:m", 0.8, task_version="9"))


def test_ci_example_workflow_commands_parse() -> None:
    """Every `mmbench ...` command in docs/ci-example.yml is accepted by the CLI's parser."""
    import shlex

    import yaml

    from mmbench.cli import build_parser

    workflow = yaml.safe_load((Path(__file__).parents[1] / "docs" / "ci-example.yml").read_text())
    scripts = [step["run"] for step in workflow["jobs"]["evaluate"]["steps"] if "run" in step]
    commands = [line.strip() for script in scripts for line in script.replace("\\\n", " ").splitlines()
                if line.strip().startswith("mmbench ")]
    # the workflow makes its candidate run with `mmbench demo`, as results/baseline was made
    assert {c.split()[1] for c in commands} == {"demo", "compare", "leaderboard"}
    parser = build_parser()
    for command in commands:
        words = shlex.split(command.split(" > ")[0].split(" >> ")[0])
        args = parser.parse_args(words[1:])
        assert callable(args.func), command


def test_pairs_samples_by_id_not_by_position() -> None:
    base, cand = synthetic_result("vqa", "mock:m", 0.8), synthetic_result("vqa", "mock:m", 0.7)
    in_order = {m.metric: m for m in compare_runs(base, cand, FAST).tasks[0].metrics}
    shuffled = synthetic_result("vqa", "mock:m", 0.7)
    shuffled.samples = shuffled.samples[::-1]
    reordered = {m.metric: m for m in compare_runs(base, shuffled, FAST).tasks[0].metrics}
    for name, m in in_order.items():
        assert (reordered[name].ci_low, reordered[name].p_value, reordered[name].n_pairs) == (m.ci_low, m.p_value, m.n_pairs)
    partial = synthetic_result("vqa", "mock:m", 0.7)
    partial.samples = partial.samples[:150]  # metrics in the file still cover all 200
    report = compare_runs(base, partial, FAST)
    accuracy = next(m for m in report.tasks[0].metrics if m.metric == "accuracy")
    assert accuracy.ci_low is None and "do not average" in accuracy.note


def test_a_rise_in_extraction_failed_is_a_regression_and_a_fall_an_improvement() -> None:
    """Lower is better for the fraction of unreadable answers: compare gates it the other way."""
    import dataclasses

    from mmbench.results import read_result

    base = read_result(next((Path(__file__).resolve().parents[1] / "results" / "baseline").glob("shapes_mc__*[!s].json")))
    base = dataclasses.replace(base, samples=[])
    worse = dataclasses.replace(base, metrics={**base.metrics, "extraction_failed": base.metrics["extraction_failed"] + 0.1})
    better = dataclasses.replace(base, metrics={**base.metrics, "extraction_failed": base.metrics["extraction_failed"] - 0.1})
    failing = compare_runs(base, worse, FAST).failures()
    assert any(line.startswith("shapes_mc: extraction_failed rose by 0.1 ") for line in failing), failing
    report = compare_runs(base, better, FAST)
    assert report.exit_code == 0 and any("extraction_failed fell by 0.1 " in line for line in report.improvements())

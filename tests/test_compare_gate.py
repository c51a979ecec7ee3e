"""compare's gate options on synthetic runs: --exact, --two-sided and the improved message,
tolerances in samples, provenance statements, --same-model, and statistics on shared samples
when the sample sets differ (issue 15 item 5)."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from mmbench.errors import UserError
from mmbench.report.compare import Settings, compare_runs
from mmbench.report.compare_render import to_dict, to_text
from mmbench.report.synthetic import synthetic_result
from mmbench.report.tolerance import Tolerance, parse_tolerances
from mmbench.results import RunResult, write_result

FAST = dict(n_resamples=300)


def _zeroshot_with_flips(base: RunResult, flips: dict[int, bool]) -> RunResult:
    """A copy of a zero-shot run whose sample i becomes right (True) or wrong (False); metrics recomputed."""
    cand = copy.deepcopy(base)
    for i, right in flips.items():
        record = cand.samples[i]
        record["prediction"] = record["label"] if right else (record["label"] + 1) % 10
        record["metrics"]["top1"] = int(right)
    hits = [r["metrics"]["top1"] for r in cand.samples]
    cand.metrics["top1"] = float(np.mean(hits))
    classes: dict[int, list[int]] = {}
    for r in cand.samples:
        classes.setdefault(r["label"], []).append(r["metrics"]["top1"])
    cand.metrics["mean_per_class_recall"] = float(np.mean([np.mean(v) for v in classes.values()]))
    return cand


def _first(base: RunResult, right: bool) -> int:
    return next(i for i, r in enumerate(base.samples) if bool(r["metrics"]["top1"]) == right)


@pytest.fixture()
def base() -> RunResult:
    return synthetic_result("zeroshot", "mock:m", 0.8)


def test_exact_fails_on_one_changed_prediction_and_names_it(base: RunResult) -> None:
    i = _first(base, right=True)
    cand = _zeroshot_with_flips(base, {i: False})
    report = compare_runs(base, cand, Settings(exact=True, **FAST))
    assert report.exit_code == 1
    sample_id = base.samples[i]["id"]
    assert any(f"1 of {len(base.samples)} samples changed" in f and sample_id in f for f in report.failures())
    changes = report.tasks[0].prediction_changes
    assert changes is not None and changes.examples[0][0] == sample_id
    assert changes.examples[0][1:] == (base.samples[i]["prediction"], cand.samples[i]["prediction"])
    assert compare_runs(base, copy.deepcopy(base), Settings(exact=True, **FAST)).exit_code == 0


def test_an_improvement_fails_exact_and_two_sided_and_passes_one_sided_with_the_message(tmp_path: Path,
                                                                                         base: RunResult) -> None:
    cand = _zeroshot_with_flips(base, {_first(base, right=False): True})
    cand.run_id, cand.created_at = "shapes_zeroshot__mock-m__20261128-000000", "2026-11-28T00:00:00Z"
    for directory, run in (("b", base), ("c", cand)):
        (tmp_path / directory).mkdir()
        write_result(run, tmp_path / directory)
    b, c = str(tmp_path / "b"), str(tmp_path / "c")
    assert compare_runs(b, c, Settings(exact=True, **FAST)).exit_code == 1
    two_sided = compare_runs(b, c, Settings(two_sided=True, **FAST))
    assert two_sided.exit_code == 1 and any("top1 rose by" in f and "improved" in f for f in two_sided.failures())
    one_sided = compare_runs(b, c, Settings(**FAST))
    assert one_sided.exit_code == 0
    text = to_text(one_sided)
    assert text.startswith("PASS: no regression (improved: refresh the baseline)")
    hint = next(line for line in text.splitlines() if line.startswith("shapes_zeroshot: top1 rose by"))
    assert "improved: refresh the baseline with `cp " in hint and str(tmp_path / "b") in hint
    # the hint is a working command: after it the candidate is the baseline
    subprocess.run(hint.split("`")[1], shell=True, check=True)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(p.name for p in (tmp_path / "c").iterdir())
    assert compare_runs(b, c, Settings(exact=True, **FAST)).exit_code == 0


def test_tolerance_in_samples_allows_that_many_flipped_predictions(base: RunResult) -> None:
    right = [i for i, r in enumerate(base.samples) if r["metrics"]["top1"]]
    two, three = (_zeroshot_with_flips(base, {i: False for i in right[:k]}) for k in (2, 3))
    settings = Settings(parse_tolerances(["top1=2samples", "mean_per_class_recall=inf"]), **FAST)
    assert compare_runs(base, two, settings).exit_code == 0
    report = compare_runs(base, three, settings)
    top1 = next(m for m in report.tasks[0].metrics if m.metric == "top1")
    assert top1.tolerance == pytest.approx(2 / len(base.samples)) and top1.regressed
    assert report.failures() == [f"shapes_zeroshot: top1 fell by {3 / len(base.samples):.6g} "
                                 f"(tolerance {2 / len(base.samples):g} = 2 samples)"]
    assert parse_tolerances(["a=2 samples", "b=1sample", "c=0.5"]) == {
        "a": Tolerance(2.0, True), "b": Tolerance(1.0, True), "c": Tolerance(0.5)}


def test_tolerance_in_samples_for_a_corpus_level_metric_is_refused() -> None:
    base, cand = synthetic_result("captioning", "m:m", 0.8), synthetic_result("captioning", "m:m", 0.8)
    with pytest.raises(UserError, match="Bleu_4.*corpus-level.*metric units"):
        compare_runs(base, cand, Settings(parse_tolerances(["Bleu_4=2samples"]), **FAST))
    cider = compare_runs(base, cand, Settings(parse_tolerances(["CIDEr=2samples"]), **FAST)).tasks[0].metrics[0]
    assert cider.metric == "CIDEr" and cider.tolerance == pytest.approx(2 / len(base.samples))


def test_every_comparison_states_what_is_equal_and_same_model_fails_on_another_model(base: RunResult) -> None:
    other = copy.deepcopy(base)
    other.model["fingerprint"] = "fp-other"
    other.config["dtype"] = "bfloat16"
    report = compare_runs(base, other, Settings(**FAST))
    assert report.exit_code == 0  # equal scores pass the metric gate ...
    line = report.tasks[0].provenance_line()
    assert "task version equal (1)" in line and "data fingerprint equal (sha256:feedbeef)" in line
    assert "model fingerprint DIFFERS (fp-mock:m -> fp-other)" in line
    assert "run settings DIFFERS (dtype: None -> 'bfloat16')" in line and line in to_text(report)
    assert to_dict(report)["tasks"][0]["equal"] == {"task version": True, "data fingerprint": True,
                                                    "model fingerprint": False, "run settings": False}
    same = compare_runs(base, other, Settings(same_model=True, **FAST))  # ... but not --same-model
    assert same.exit_code == 1 and same.failures() == [
        "shapes_zeroshot: model fingerprint differs (--same-model): fp-mock:m -> fp-other"]


def test_different_sample_sets_are_compared_on_the_shared_ids_only() -> None:
    """A --limit 100 run against a full 300-sample run (issue 15 item 5)."""
    full = synthetic_result("zeroshot", "mock:m", 0.8, n=300)
    limited = synthetic_result("zeroshot", "mock:m", 0.7, n=300, fingerprint="sha256:limit100")
    limited.samples = limited.samples[:100]
    limited.metrics["top1"] = float(np.mean([r["metrics"]["top1"] for r in limited.samples]))
    limited.task["num_samples"] = 100
    with pytest.raises(UserError, match="data fingerprint differs"):
        compare_runs(full, limited, Settings(**FAST))
    report = compare_runs(full, limited, Settings(allow_mismatch=True, **FAST))
    task = report.tasks[0]
    assert task.shared is not None and (task.shared.shared, task.shared.baseline, task.shared.candidate) == (100, 300, 100)
    top1 = next(m for m in task.metrics if m.metric == "top1")
    b = np.array([r["metrics"]["top1"] for r in full.samples[:100]], dtype=float)
    c = np.array([r["metrics"]["top1"] for r in limited.samples], dtype=float)
    assert (top1.baseline, top1.candidate, top1.n_pairs) == (pytest.approx(b.mean()), pytest.approx(c.mean()), 100)
    assert top1.delta == pytest.approx(c.mean() - b.mean()) and top1.ci_low <= top1.delta <= top1.ci_high
    n10, n01 = int(np.sum((b == 1) & (c == 0))), int(np.sum((b == 0) & (c == 1)))
    assert top1.test == f"McNemar exact (b={n10} c={n01})"
    assert top1.p_value == pytest.approx(scipy.stats.binomtest(min(n10, n01), n10 + n01, 0.5).pvalue)
    text = to_text(report)
    assert "100 shared samples" in text and "100 shared sample ids (baseline 300, candidate 100)" in text


def test_corpus_metrics_are_not_compared_on_different_sample_sets() -> None:
    full = synthetic_result("captioning", "m:m", 0.8, n=200)
    part = synthetic_result("captioning", "m:m", 0.8, n=200, fingerprint="sha256:part")
    part.samples = part.samples[:50]
    part.metrics.update({m: float(np.mean([r["metrics"][m] for r in part.samples])) for m in ("CIDEr", "ROUGE_L")})
    metrics = {m.metric: m for m in compare_runs(full, part, Settings(allow_mismatch=True, **FAST)).tasks[0].metrics}
    assert metrics["Bleu_4"].status == "not compared" and metrics["Bleu_4"].delta is None
    assert "50 shared samples" in metrics["Bleu_4"].note and metrics["CIDEr"].n_pairs == 50
    assert metrics["CIDEr"].delta == pytest.approx(0.0)  # same quality, same samples: no difference on the shared set

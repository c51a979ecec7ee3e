"""The gate against real model changes (the bundled CLIP on shapes_zeroshot): a model perturbed
until exactly one prediction flips fails --exact and names the sample; a model better on one
sample fails --exact and passes the one-sided gate with the "improved" message; a different
model with equal scores passes --exact but fails --same-model."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import MmbenchCli  # tests/ is on sys.path (rootdir conftest)
from mmbench.models.bundled import BUNDLED_DIR
from mmbench.report.compare import Settings, compare_runs
from mmbench.report.compare_render import to_text

pytestmark = pytest.mark.slow
TASK = "shapes_zeroshot"
PARAMETER = "visual_projection.weight"


@dataclass
class Runs:
    original: Path  # result folders
    one_flip: Path
    no_flip: Path  # weights changed, predictions not
    flipped_id: str


def _run(tmp: Path, name: str, weights: dict | None) -> tuple[Path, list]:
    from safetensors.torch import save_file

    from mmbench.models.spec import load_model
    from mmbench.engine.runner import evaluate

    checkpoint = tmp / "checkpoints" / name
    shutil.copytree(BUNDLED_DIR / "shapes-clip", checkpoint)
    if weights is not None:
        save_file(weights, str(checkpoint / "model.safetensors"), metadata={"format": "pt"})
    out = tmp / "results" / name
    result = evaluate(TASK, load_model(f"hf:{checkpoint}", device="cpu"), output_dir=out)
    return out, [(r["id"], r["prediction"]) for r in result.samples]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    import torch
    from safetensors.torch import load_file

    tmp = tmp_path_factory.mktemp("exact")
    state = load_file(str(BUNDLED_DIR / "shapes-clip" / "model.safetensors"))
    direction = torch.randn(state[PARAMETER].shape, generator=torch.Generator().manual_seed(0))
    original, predictions = _run(tmp, "original", None)

    def perturbed(scale: float, name: str) -> tuple[Path, list[str]]:
        weights = {**state, PARAMETER: state[PARAMETER] + scale * direction}
        out, after = _run(tmp, name, weights)
        return out, [sid for (sid, a), (_, b) in zip(predictions, after) if a != b]

    low, high = 0.0, 0.01
    while True:  # grow until something flips
        out, flipped = perturbed(high, f"grow-{high:g}")
        if flipped:
            break
        low, high = high, high * 4
    for step in range(30):  # bisect until exactly one prediction flips
        if len(flipped) == 1:
            break
        middle = (low + high) / 2
        out_mid, flipped_mid = perturbed(middle, f"bisect-{step}")
        if flipped_mid:
            high, out, flipped = middle, out_mid, flipped_mid
        else:
            low = middle
    assert len(flipped) == 1, f"no scale flips exactly one prediction (last: {flipped})"
    no_flip = perturbed(low / 2 if low else high / 1000, "no-flip")
    assert not no_flip[1]
    return Runs(original, out, no_flip[0], flipped[0])


def test_one_flipped_prediction_fails_exact_and_names_the_sample(runs: Runs, mmbench_cli: MmbenchCli) -> None:
    report = compare_runs(str(runs.original), str(runs.one_flip), Settings(exact=True, n_resamples=200))
    assert report.exit_code == 1
    assert any("1 of " in f and runs.flipped_id in f for f in report.failures()), report.failures()
    proc = mmbench_cli("compare", str(runs.original), str(runs.one_flip), "--exact", timeout=120)
    assert proc.returncode == 1 and runs.flipped_id in proc.stdout and "FAIL" in proc.stdout


def test_a_model_better_on_one_sample_fails_exact_and_passes_one_sided_with_the_improved_message(runs: Runs) -> None:
    """The flip is a loss for the perturbed model or a gain; taken the other way round it is the
    other, so one of the two directions is the model improved on one sample."""
    forward = compare_runs(str(runs.original), str(runs.one_flip), Settings(n_resamples=200))
    better, worse = (runs.one_flip, runs.original) if forward.improvements() else (runs.original, runs.one_flip)
    base, cand = worse, better
    assert compare_runs(str(base), str(cand), Settings(exact=True, n_resamples=200)).exit_code == 1
    one_sided = compare_runs(str(base), str(cand), Settings(n_resamples=200))
    assert one_sided.exit_code == 0
    text = to_text(one_sided)
    assert "improved: refresh the baseline with `cp " in text and "top1 rose by" in text
    assert compare_runs(str(base), str(cand), Settings(two_sided=True, n_resamples=200)).exit_code == 1


def test_a_different_model_with_equal_predictions_fails_same_model_only(runs: Runs) -> None:
    assert compare_runs(str(runs.original), str(runs.no_flip), Settings(exact=True, n_resamples=200)).exit_code == 0
    report = compare_runs(str(runs.original), str(runs.no_flip), Settings(same_model=True, n_resamples=200))
    assert report.exit_code == 1 and "model fingerprint differs (--same-model)" in report.failures()[0]
    assert "model fingerprint DIFFERS" in to_text(report) and "data fingerprint equal" in to_text(report)

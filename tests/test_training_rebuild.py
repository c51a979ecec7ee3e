"""The bundled models are rebuildable: each stage's recipe (mmbench/training/recipes.py) is what
its training.json records, and training it again from the recipe reproduces the recorded losses
of the first 20 steps (CPU, one thread, within 1e-6)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from mmbench.models.bundled import BUNDLED_DIR, NAMES
from mmbench.training.loop import FIRST_STEPS
from mmbench.training.recipes import STAGES, THREADS

RECORDS = {name: json.loads((BUNDLED_DIR / stage.folder / "training.json").read_text()) for name, stage in STAGES.items()}


def test_every_bundled_model_and_intermediate_stage_has_a_recipe() -> None:
    assert set(NAMES) <= set(STAGES) and "shapes-clip-stage1" in STAGES
    for name, stage in STAGES.items():
        assert stage.starts_from is None or stage.starts_from in STAGES
        assert (BUNDLED_DIR / stage.folder / "config.json").is_file(), name


@pytest.mark.parametrize("name", sorted(STAGES))
def test_training_json_records_the_recipe_steps_and_losses(name: str) -> None:
    record, stage = RECORDS[name], STAGES[name]
    recipe = json.loads(json.dumps({k: v for k, v in asdict(stage.recipe).items() if k not in ("init_from", "vision_from")}))  # tuples as JSON lists
    assert record["recipe"] == {**recipe, "starts_from": stage.starts_from}
    assert record["steps"] == stage.recipe.steps and record["threads"] == THREADS
    assert record["command"] == f"python scripts/train_reference_models.py --model {name}"
    losses = record["losses"]
    assert len(losses["first_steps"]) == FIRST_STEPS
    logged_steps = [step for step, _ in losses["logged"]]
    assert logged_steps[0] == 0 and logged_steps[-1] == stage.recipe.steps - 1
    assert all(b - a <= losses["every"] for a, b in zip(logged_steps, logged_steps[1:]))
    assert losses["logged"][-1][1] < losses["logged"][0][1]  # it learned


@pytest.fixture(scope="module")
def train_split():  # noqa: ANN201
    from mmbench.training.corpus import load_shapes_split

    return load_shapes_split("train")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STAGES))
def test_first_steps_reproduce_the_recorded_losses(name: str, train_split) -> None:  # noqa: ANN001
    import torch

    from mmbench.training.recipes import trainer, with_start

    stage = STAGES[name]
    start = str(BUNDLED_DIR / STAGES[stage.starts_from].folder) if stage.starts_from else None
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        _, _, info = trainer(stage.kind)(train_split, with_start(stage, start), None, stop_after=FIRST_STEPS)
    finally:
        torch.set_num_threads(threads)
    recorded = RECORDS[name]["losses"]["first_steps"]
    assert info["losses"]["first_steps"] == pytest.approx(recorded, abs=1e-6, rel=0)

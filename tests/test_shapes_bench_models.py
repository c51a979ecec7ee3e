"""shapes-llava-multi on the shapes counterparts of MMBench, MMMU, POPE and ChartQA: its committed
runs (results/baseline, gated with the demo by tests/test_cli.py) beat chance at least twice over,
chance computed from the data files themselves; the README's table is what those files hold; the
recipe and its record agree (tests/test_training_rebuild.py replays its first steps)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from mmbench.data import shapes_bench as bench

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "results" / "baseline"
MODEL = "shapes-llava-multi"
TASKS = ("shapes_mc", "shapes_two_image", "shapes_pope", "shapes_chart", "shapes_chart_anls")


def committed(task: str) -> dict:
    [path] = BASELINE.glob(f"{task}__{MODEL}__*[0-9].json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def folder() -> Path:
    return bench.ensure_bench()


def required(chance: float) -> float:
    """Twice chance; where that is 1 or more (yes/no: chance 0.5), half of chance's error rate instead."""
    return 2 * chance if 2 * chance < 1 else 1 - (1 - chance) / 2


def chart_chance(folder: Path) -> float:
    """Mean over the questions of a uniform guess's hit rate: 1/8 for a value (1-8), 1/3 for a bar's colour."""
    rows = [json.loads((folder / bench.CHART_DIR / f).read_text()) for f in ("test_human.json", "test_augmented.json")]
    questions = [q for part in rows for q in part]
    return sum(1 / 8 if q["label"].isdigit() else 1 / 3 for q in questions) / len(questions)


def chances(folder: Path) -> dict[tuple[str, str], float]:
    """(task, metric) -> chance level, from the data files."""
    with open(folder / bench.MC_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert all(all(r[c] for c in "ABCD") for r in rows)  # four options everywhere: chance 1/4
    copies: dict[int, int] = {}
    for r in rows:
        group = int(r["index"]) % bench.CIRCULAR_OFFSET
        copies[group] = copies.get(group, 0) + 1
    chart = chart_chance(folder)
    return {("shapes_mc", "accuracy_circular"): sum(0.25 ** n for n in copies.values()) / len(copies),
            ("shapes_mc", "accuracy"): 0.25, ("shapes_two_image", "accuracy"): 0.25,
            ("shapes_pope", "accuracy"): 0.5,  # balanced: 240 yes, 240 no (tests/test_shapes_bench.py)
            ("shapes_chart", "relaxed_accuracy"): chart, ("shapes_chart_anls", "anls"): chart}


def test_every_committed_run_beats_chance_at_least_twice_over(folder: Path) -> None:
    for (task, metric), chance in chances(folder).items():
        value = committed(task)["metrics"][metric]
        assert value >= required(chance), f"{task} {metric}: {value:.4f}, chance {chance:.4f}, needed {required(chance):.4f}"


def test_readme_table_matches_the_committed_runs_and_the_data(folder: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- shapes-bench-table -->\n(.*?)\n<!-- /shapes-bench-table -->", readme, re.S)
    assert block, "README lacks the shapes-bench table"
    rows = [[c.strip().strip("`") for c in line.strip("|").split("|")] for line in block.group(1).splitlines()[2:]]
    levels = chances(folder)
    assert [(task, metric) for task, metric, *_ in rows] == list(levels)
    for task, metric, value, chance, needed in rows:
        assert value == f"{committed(task)['metrics'][metric] * 100:.2f}", (task, metric)
        assert (chance, needed) == (f"{levels[task, metric] * 100:.2f}", f"{required(levels[task, metric]) * 100:.2f}")


def test_the_model_is_in_the_demo_gate() -> None:
    """The runs join the demo, whose gate (tests/test_cli.py) compares them with results/baseline exactly."""
    from mmbench.commands.demo import DEMO_PLAN

    assert [(t, MODEL) for t in TASKS] == [(t, m) for t, m in DEMO_PLAN if m == MODEL]


def test_two_image_conversations_equal_the_checkpoints_own_generate_alone_and_batched() -> None:
    """The hf llava family (multi-image) on shapes-llava-multi: a batch mixing one- and two-image
    conversations gives what the processor's chat template + model.generate give one at a time."""
    import random

    import torch
    from PIL import Image

    from mmbench.data import shapes_scenes as scenes
    from mmbench.models.spec import load_model
    from mmbench.training.llava_multi import mc_text
    from mmbench.types import GenerationConfig

    rng = random.Random("test-two-image")
    conversations = []
    for k in range(4):
        pair, single = scenes.pair_item(rng), scenes.mc_item(rng)
        first, second = Image.fromarray(pair.first), Image.fromarray(pair.second)
        conversations.append([{"role": "user", "content": [
            {"type": "image", "image": first}, {"type": "text", "text": " "}, {"type": "image", "image": second},
            {"type": "text", "text": " " + mc_text("Which image shows more circles?", pair.options)}]}])
        conversations.append([{"role": "user", "content": [
            {"type": "image", "image": Image.fromarray(single.pixels)},
            {"type": "text", "text": mc_text(single.question, single.options)}]}])
    adapter = load_model(MODEL, device="cpu")
    batched = adapter.generate(conversations, GenerationConfig(max_new_tokens=5))
    model, processor = adapter.model, adapter.processor
    alone = []
    for conversation in conversations:
        inputs = processor.apply_chat_template([conversation], add_generation_prompt=True, tokenize=True,
                                               return_dict=True, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=5, do_sample=False)
        alone.append(processor.tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip())
    assert batched == alone
    assert all(len(a) == 1 and a in "ABCD" for a in alone)  # it answers with a letter

"""shapes-llava-multi on the shapes counterparts of MMBench, MMMU, POPE, ChartQA and DocVQA: its
committed runs (results/baseline, gated with the demo by tests/test_cli.py) answer at least twice as
well as chance, chance computed from the data files themselves; the README's table is what those
files hold (tests/test_training_rebuild.py replays the first steps of its recipe;
tests/test_hf_llava_two_images.py checks its two-image answers against its own generate).

"Twice as well as chance": a score at least twice chance's, except for yes/no accuracy, whose chance
is 50 % on the balanced shapes_pope (twice that is 100 %): there it means at most half chance's
error rate (accuracy at least 75 %)."""

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


def required(task: str, chance: float) -> float:
    """Twice chance; for yes/no accuracy, half chance's error rate."""
    return 1 - (1 - chance) / 2 if task == "shapes_pope" else 2 * chance


def chart_chance(folder: Path) -> tuple[float, float, float]:
    """Relaxed accuracy and ANLS of a uniform guess, per question: a bar's value among 1-8, the
    tallest / shortest bar's colour among the chart's three bar colours (a guess that reads the
    chart's colours, so higher than one over the six colour words). Returns (relaxed accuracy over
    the human questions, over all, ANLS over all). The bars come from the generator with the
    benchmark's seeds (tests/test_shapes_bench.py proves the files are its output)."""
    from mmbench.data import shapes_scenes as scenes
    from mmbench.metrics.anls import anls_question

    human = json.loads((folder / bench.CHART_DIR / "test_human.json").read_text(encoding="utf-8"))
    augmented = json.loads((folder / bench.CHART_DIR / "test_augmented.json").read_text(encoding="utf-8"))
    exact, soft = [], []
    for rows in (human, augmented):
        for row, (chart, *_) in zip(rows, bench.chart_items()):
            answer = row["label"]
            guesses = [str(v) for v in scenes.CHART_VALUES] if answer.isdigit() else [c for c, _ in chart.bars]
            assert answer in guesses, row
            exact.append(1 / len(guesses))
            soft.append(sum(anls_question(g, [answer]) for g in guesses) / len(guesses))
    return sum(exact[: len(human)]) / len(human), sum(exact) / len(exact), sum(soft) / len(soft)


def chances(folder: Path) -> dict[tuple[str, str], float]:
    """(task, metric) -> chance level, from the data files."""
    with open(folder / bench.MC_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert all(all(r[c] for c in "ABCD") for r in rows)  # four options everywhere: chance 1/4
    copies: dict[int, int] = {}
    for r in rows:
        group = int(r["index"]) % bench.CIRCULAR_OFFSET
        copies[group] = copies.get(group, 0) + 1
    labels = [json.loads(line)["label"] for line in (folder / bench.POPE_FILE).read_text(encoding="utf-8").splitlines()]
    yes = labels.count("yes") / len(labels)
    human, overall, anls = chart_chance(folder)
    return {("shapes_mc", "accuracy_circular"): sum(0.25 ** n for n in copies.values()) / len(copies),
            ("shapes_mc", "accuracy"): 0.25, ("shapes_two_image", "accuracy"): 0.25,
            # a guess of "yes" with probability q is right with probability q * yes + (1 - q) * (1 - yes): 1/2 on balanced data
            ("shapes_pope", "accuracy"): max(yes, 1 - yes),
            ("shapes_chart", "relaxed_accuracy"): overall, ("shapes_chart", "relaxed_accuracy_human"): human,
            ("shapes_chart_anls", "anls"): anls}


def test_every_committed_run_beats_chance_at_least_twice_over(folder: Path) -> None:
    for (task, metric), chance in chances(folder).items():
        value = committed(task)["metrics"][metric]
        assert value >= required(task, chance), f"{task} {metric}: {value:.4f}, chance {chance:.4f}, needed {required(task, chance):.4f}"


def test_readme_table_matches_the_committed_runs_and_the_data(folder: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- shapes-bench-table -->\n(.*?)\n<!-- /shapes-bench-table -->", readme, re.S)
    assert block, "README lacks the shapes-bench table"
    rows = [[c.strip().strip("`") for c in line.strip("|").split("|")] for line in block.group(1).splitlines()[2:]]
    levels = chances(folder)
    assert [(task, metric) for task, metric, *_ in rows] == list(levels)
    for task, metric, value, chance, needed in rows:
        assert value == f"{committed(task)['metrics'][metric] * 100:.2f}", (task, metric)
        assert (chance, needed) == (f"{levels[task, metric] * 100:.2f}", f"{required(task, levels[task, metric]) * 100:.2f}")


def test_the_model_is_in_the_demo_gate() -> None:
    """The runs join the demo, whose gate (tests/test_cli.py) compares them with results/baseline exactly."""
    from mmbench.commands.demo import DEMO_PLAN

    assert [(t, MODEL) for t in TASKS] == [(t, m) for t, m in DEMO_PLAN if m == MODEL]


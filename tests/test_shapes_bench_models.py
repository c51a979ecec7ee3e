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


def test_every_committed_run_beats_chance_at_least_twice_over(folder: Path) -> None:
    with open(folder / bench.MC_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert all(all(r[c] for c in "ABCD") for r in rows)  # four options everywhere: chance 1/4
    copies: dict[int, int] = {}
    for r in rows:
        copies[int(r["index"]) % bench.CIRCULAR_OFFSET] = copies.get(int(r["index"]) % bench.CIRCULAR_OFFSET, 0) + 1
    circular_chance = sum(0.25 ** n for n in copies.values()) / len(copies)
    mc = committed("shapes_mc")["metrics"]
    assert mc["accuracy"] >= required(0.25) and mc["accuracy_circular"] >= required(circular_chance)
    assert committed("shapes_two_image")["metrics"]["accuracy"] >= required(0.25)
    pope = committed("shapes_pope")["metrics"]
    assert pope["accuracy"] >= required(0.5)  # balanced: 240 yes, 240 no (tests/test_shapes_bench.py)
    chance = chart_chance(folder)
    assert committed("shapes_chart")["metrics"]["relaxed_accuracy"] >= required(chance)
    assert committed("shapes_chart_anls")["metrics"]["anls"] >= required(chance)


def test_readme_table_matches_the_committed_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- shapes-bench-table -->\n(.*?)\n<!-- /shapes-bench-table -->", readme, re.S)
    assert block, "README lacks the shapes-bench table"
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in block.group(1).splitlines()[2:]]
    assert [r[0] for r in rows] == list(TASKS)
    for task, metric, value, _chance, _needed in rows:
        assert f"{committed(task)['metrics'][metric.strip('`')] * 100:.2f}" == value, task


def test_the_model_is_in_the_demo_gate() -> None:
    from mmbench.commands.demo import DEMO_PLAN

    assert [(t, MODEL) for t in TASKS] == [(t, m) for t, m in DEMO_PLAN if m == MODEL]

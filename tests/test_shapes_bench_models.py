"""shapes-llava-multi on the shapes counterparts of MMBench and MMMU: its committed runs
(results/baseline, gated with the demo by tests/test_cli.py) beat chance at least twice over, chance
computed from the data files themselves; the README's table is what those files hold
(tests/test_training_rebuild.py replays the first steps of its recipe; tests/test_hf_llava_two_images.py
checks its two-image answers against its own generate). It stays near chance on shapes_pope and
shapes_chart, which are therefore not in the demo (mmbench/bundled/README.md)."""

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
TASKS = ("shapes_mc", "shapes_two_image")


def committed(task: str) -> dict:
    [path] = BASELINE.glob(f"{task}__{MODEL}__*[0-9].json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def folder() -> Path:
    return bench.ensure_bench()


def required(chance: float) -> float:
    """Twice chance."""
    return 2 * chance


def chances(folder: Path) -> dict[tuple[str, str], float]:
    """(task, metric) -> chance level, from the data files."""
    with open(folder / bench.MC_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert all(all(r[c] for c in "ABCD") for r in rows)  # four options everywhere: chance 1/4
    copies: dict[int, int] = {}
    for r in rows:
        group = int(r["index"]) % bench.CIRCULAR_OFFSET
        copies[group] = copies.get(group, 0) + 1
    return {("shapes_mc", "accuracy_circular"): sum(0.25 ** n for n in copies.values()) / len(copies),
            ("shapes_mc", "accuracy"): 0.25, ("shapes_two_image", "accuracy"): 0.25}


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


#!/usr/bin/env python
"""Rebuild the committed reference results from the bundled models, in one command:

    python scripts/make_reference_results.py            # everything
    python scripts/make_reference_results.py --only baseline
    python scripts/make_reference_results.py --only bench   # shapes-llava-multi's runs only

- ``results/baseline/``: the demo (``mmbench demo --output-dir results/baseline``: the four shapes
  suite tasks with the bundled models, plan ``baseline``, and the runs of plan ``bench``); CI gates
  the demo on it with ``mmbench compare --exact``;
- ``results/random-init/``: the same tasks and configurations with the random-initialised models
  (same architecture, untrained, seed + 1: ``mmbench.training.random_init``), the chance level;
- ``results/runs/``: the held-out-combination tasks, and ``shapes-llava`` on captioning and VQA;
- ``bench`` (into ``results/baseline/``): ``shapes-llava-multi`` on the shapes counterparts of
  MMBench and MMMU (``mmbench.commands.demo.BENCH_PLAN``, part of the demo, so gated with it). ``baseline`` leaves these runs alone and ``bench`` the suite's.

Each folder's previous result files for these task-model pairs are removed first. CPU, default
threads; results are deterministic on one machine (the batch-invariance tests).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mmbench.commands.demo import BENCH_PLAN, SUITE_PLAN  # noqa: E402

HELDOUT_PLAN = tuple((f"{task}_heldout", model) for task, model in SUITE_PLAN) + (
    ("shapes_caption", "shapes-llava"), ("shapes_vqa", "shapes-llava"),
    ("shapes_caption_heldout", "shapes-llava"), ("shapes_vqa_heldout", "shapes-llava"))
FOLDERS = ("baseline", "random-init", "runs", "bench")
TARGET = {"bench": "baseline"}  # plan -> results folder, where they differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=FOLDERS, action="append", help="rebuild only this folder (repeatable)")
    parser.add_argument("--results", type=Path, default=REPO / "results")
    args = parser.parse_args()
    from mmbench.models.bundled import BUNDLED_DIR
    from mmbench.training.random_init import save_random_init
    from mmbench.training.recipes import STAGES

    with tempfile.TemporaryDirectory() as tmp:
        plans: dict[str, list[tuple[str, str]]] = {"baseline": list(SUITE_PLAN), "runs": list(HELDOUT_PLAN),
                                                   "bench": list(BENCH_PLAN)}
        random_plan = []
        for task, model in SUITE_PLAN:
            folder = Path(tmp) / f"{model}-random-init"
            if not folder.exists():
                save_random_init(STAGES[model], BUNDLED_DIR / STAGES[model].folder, folder)
            random_plan.append((task, f"hf:{folder}"))
        plans["random-init"] = random_plan
        for name in args.only or FOLDERS:
            rebuild(args.results / TARGET.get(name, name), plans[name])
    return 0


def rebuild(folder: Path, plan: list[tuple[str, str]]) -> None:
    from mmbench.models.spec import load_model
    from mmbench.results import slug
    from mmbench.engine.runner import evaluate
    from mmbench.types import RunConfig

    folder.mkdir(parents=True, exist_ok=True)
    for task, spec in plan:
        name = slug(spec.rsplit("/", 1)[-1] if spec.startswith("hf:/") else spec)
        for old in folder.glob(f"{task}__*{name}__*"):
            old.unlink()
    loaded = {}
    for task, spec in plan:
        if spec not in loaded:
            loaded[spec] = load_model(spec)
        result = evaluate(task, loaded[spec], RunConfig(output_dir=folder))
        print(f"{folder.name}: {task} {spec.rsplit('/', 1)[-1]} {result.metrics}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""``mmbench demo``: the shapes tasks with the bundled reference models: the four of the shapes suite
and ``shapes-llava-multi`` on the shapes counterparts of MMBench and MMMU."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

# task -> bundled model that runs it; the mock adapter stands in for any model not registered
SUITE_PLAN = (
    ("shapes_zeroshot", "shapes-clip"),
    ("shapes_retrieval", "shapes-clip"),
    ("shapes_caption", "shapes-blip-caption"),
    ("shapes_vqa", "shapes-blip-vqa"),
)
#: shapes-llava-multi on the shapes counterparts it answers (it stays near chance on shapes_pope and shapes_chart)
BENCH_PLAN = (("shapes_mc", "shapes-llava-multi"), ("shapes_two_image", "shapes-llava-multi"))
DEMO_PLAN = SUITE_PLAN + BENCH_PLAN


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the bundled models on the synthetic shapes suite (no downloads)")
    p.add_argument("--output-dir", type=Path, default=Path("results/demo"), help="where results are written (default: results/demo)")
    p.add_argument("--model", default=None, help="run every task with this model instead of the bundled ones (e.g. mock)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.set_defaults(func=run)


def planned_models(override: str | None) -> list[tuple[str, str]]:
    """(task, model spec) pairs; a bundled model whose weights are missing is replaced by ``mock``."""
    from mmbench.models.bundled import BUNDLED_DIR

    if override:
        return [(task, override) for task, _ in DEMO_PLAN]
    plan = []
    for task, model in DEMO_PLAN:
        if not (BUNDLED_DIR / model / "config.json").is_file():
            print(f"note: bundled model {model} is not installed; running {task} with the mock model", file=sys.stderr)
            model = "mock"
        plan.append((task, model))
    return plan


def run(args: argparse.Namespace) -> int:
    from mmbench.console import quiet_library_progress
    from mmbench.models.spec import load_model
    from mmbench.preflight import check_run
    from mmbench.runner import evaluate
    from mmbench.tables import notes_lines, results_table
    from mmbench.types import RunConfig

    started = time.perf_counter()
    config = RunConfig(output_dir=args.output_dir, progress=args.progress)
    plan = planned_models(args.model)
    for model in dict.fromkeys(spec for _, spec in plan):
        check_run([task for task, spec in plan if spec == model], [model], config)
    quiet_library_progress(config.progress)
    loaded: dict[str, Any] = {}
    results = []
    for task, spec in plan:
        if spec not in loaded:
            loaded[spec] = load_model(spec)
        results.append(evaluate(task, loaded[spec], config))
    print(results_table(results))
    for line in notes_lines(results):
        print(line, file=sys.stderr)
    print(f"\n{len(results)} tasks in {time.perf_counter() - started:.1f} s; results in {args.output_dir}/", file=sys.stderr)
    return 0

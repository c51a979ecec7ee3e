"""``mmbench demo``: the shapes tasks with the bundled reference models: the four of the shapes suite
and ``shapes-llava-multi`` on the shapes counterparts of MMBench, MMMU, POPE, ChartQA and DocVQA."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from mmbench.types import DEFAULT_OUTPUT_DIR

# task -> bundled model that runs it; the mock adapter stands in for any model not registered
SUITE_PLAN = (
    ("shapes_zeroshot", "shapes-clip"),
    ("shapes_retrieval", "shapes-clip"),
    ("shapes_caption", "shapes-blip-caption"),
    ("shapes_vqa", "shapes-blip-vqa"),
)
#: shapes-llava-multi on the shapes counterparts of today's benchmarks
BENCH_PLAN = tuple((task, "shapes-llava-multi") for task in
                   ("shapes_mc", "shapes_two_image", "shapes_pope", "shapes_chart", "shapes_chart_anls"))
DEMO_PLAN = SUITE_PLAN + BENCH_PLAN


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the bundled models on the synthetic shapes suite (no downloads)")
    p.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR / "demo",
                   help=f"where results are written (default: {DEFAULT_OUTPUT_DIR / 'demo'}/ in the working directory)")
    p.add_argument("--model", default=None, help="run every task with this model instead of the bundled ones (e.g. mock)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.set_defaults(func=run)


def planned_models(override: str | None) -> list[tuple[str, str]]:
    """(task, model spec) pairs. Raises :class:`~mmbench.errors.UserError` (one line, before anything
    loads) when a bundled model's weights are missing: the demo never quietly runs another model."""
    from mmbench.errors import UserError
    from mmbench.models.bundled import BUNDLED_DIR

    if override:
        return [(task, override) for task, _ in DEMO_PLAN]
    missing = sorted({model for _, model in DEMO_PLAN
                      if not all((BUNDLED_DIR / model / name).is_file() for name in ("config.json", "model.safetensors"))})
    if missing:
        raise UserError(f"bundled model(s) {', '.join(missing)} not installed (no config.json and model.safetensors "
                        f"under {BUNDLED_DIR}): reinstall mmbench from a complete clone or wheel; "
                        "`mmbench demo --model mock` checks the plumbing without them")
    return list(DEMO_PLAN)


def run(args: argparse.Namespace) -> int:
    from mmbench.console import quiet_library_progress
    from mmbench.models.spec import load_model
    from mmbench.engine.preflight import check_run
    from mmbench.engine.runner import evaluate
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

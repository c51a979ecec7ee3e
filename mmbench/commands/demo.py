"""``mmbench demo``: the four shapes tasks with the bundled reference models (mock until they exist)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

# task -> bundled model that runs it; the mock adapter stands in for any model not registered
DEMO_PLAN = (
    ("shapes_zeroshot", "shapes-clip"),
    ("shapes_retrieval", "shapes-clip"),
    ("shapes_caption", "shapes-blip-caption"),
    ("shapes_vqa", "shapes-blip-vqa"),
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the bundled models on the synthetic shapes suite (no downloads)")
    p.add_argument("--output-dir", type=Path, default=Path("results/demo"), help="where results are written (default: results/demo)")
    p.add_argument("--model", default=None, help="run every task with this model instead of the bundled ones (e.g. mock)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.set_defaults(func=run)


def planned_models(override: str | None) -> list[tuple[str, str]]:
    from mmbench.models.spec import _ensure_builtins
    from mmbench.registry import models

    _ensure_builtins()
    return [(task, override or (model if model in models else "mock")) for task, model in DEMO_PLAN]


def run(args: argparse.Namespace) -> int:
    from mmbench.models.spec import load_model
    from mmbench.runner import evaluate
    from mmbench.tables import notes_lines, results_table
    from mmbench.types import RunConfig

    started = time.perf_counter()
    config = RunConfig(output_dir=args.output_dir, progress=args.progress)
    loaded: dict[str, Any] = {}
    results = []
    for task, spec in planned_models(args.model):
        if spec not in loaded:
            loaded[spec] = load_model(spec)
        results.append(evaluate(task, loaded[spec], config))
    print(results_table(results))
    for line in notes_lines(results):
        print(line)
    print(f"\n{len(results)} tasks in {time.perf_counter() - started:.1f} s; results in {args.output_dir}/", file=sys.stderr)
    return 0

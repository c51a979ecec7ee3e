"""``mmbench bench``: throughput and latency of a model on a task at several batch sizes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mmbench.commands.common import add_run_options, run_config
from mmbench.errors import UserError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure throughput and latency at several batch sizes",
                       description="Runs the task's prediction loop (with warm-up batches excluded from latency) at each batch size.")
    p.add_argument("--task", "-t", required=True)
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--batch-sizes", default="1,8,32", help="comma-separated (default: 1,8,32)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up batches excluded from latency (default: 2)")
    p.add_argument("--json", action="store_true")
    add_run_options(p, output=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from mmbench.console import quiet_library_progress
    from mmbench.models.spec import load_model
    from mmbench.preflight import check_run
    from mmbench.runner import evaluate
    from mmbench.tables import fmt_number

    try:
        sizes = [int(s) for s in args.batch_sizes.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--batch-sizes {args.batch_sizes!r}: expected comma-separated integers") from None
    config = run_config(args, output_dir=None, write_results=False, warmup_batches=args.warmup, score=False)
    if any(size < 1 for size in sizes):
        raise UserError(f"--batch-sizes {args.batch_sizes!r}: batch sizes must be positive")
    check_run([args.task], [args.model], config)  # before the model loads
    quiet_library_progress(config.progress)
    model = load_model(args.model, device=config.device, dtype=config.dtype, **config.model_args)
    rows = []
    for size in sizes:
        config.batch_size = size
        t = evaluate(args.task, model, config).timing
        lat = t["latency_ms"]
        rows.append({"batch_size": size, "items_per_s": t["items_per_s"], "tokens_per_s": t["tokens_per_s"],
                     "p50_ms": lat["p50"], "p90_ms": lat["p90"], "p99_ms": lat["p99"], "peak_memory_mb": t["peak_memory_mb"],
                     "device": t["device_name"], "dtype": t["dtype"]})
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    table = [[r["batch_size"], fmt_number(r["items_per_s"]), fmt_number(r["tokens_per_s"]), fmt_number(r["p50_ms"]),
              fmt_number(r["p90_ms"]), fmt_number(r["p99_ms"]), fmt_number(r["peak_memory_mb"], 0)] for r in rows]
    print(f"{args.task} / {args.model} on {rows[0]['device']} ({rows[0]['dtype']})")
    print(tabulate(table, headers=["batch", "items/s", "tokens/s", "p50 ms", "p90 ms", "p99 ms", "peak MiB"], tablefmt="github"))
    return 0

"""``mmbench bench``: throughput, latency and FLOP use of a model on a task at several batch sizes.

The task file and its data are read once for all batch sizes. Each stage gets at least
``MIN_TIMED_BATCHES`` timed batches after its warm-up batches: when the split is too small for
that at a batch size, its samples are repeated (timing only; nothing is scored). A stage whose
items are fixed by the task (zero-shot class prompts) cannot grow that way: its percentiles are
left out, and the table says how many batches were timed. Prediction caches are never read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from mmbench.commands.common import add_data_source_option, add_run_options, run_config
from mmbench.errors import UserError

COLUMNS = ["batch", "stage", "items/s", "tokens/s", "timed batches", "p50 ms", "p90 ms", "p99 ms", "TTFT ms", "TPOT ms",
           "GFLOP/item", "TFLOP/s", "MFU %", "input wait %", "peak MiB"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure throughput, latency and FLOP use at several batch sizes",
                       description="Runs the task's prediction loop at each batch size (warm-up batches excluded from "
                                   "latency, at least 3 timed batches per stage, the data repeated if needed).")
    p.add_argument("--task", "-t", required=True)
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--batch-sizes", default="1,8,32", help="comma-separated (default: 1,8,32)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up batches per stage, excluded from latency (default: 2)")
    p.add_argument("--json", action="store_true")
    add_data_source_option(p)
    add_run_options(p, output=False, batch_size=False)
    p.set_defaults(func=run)


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--batch-sizes {text!r}: expected comma-separated positive integers") from None
    if not sizes or min(sizes) < 1:
        raise UserError(f"--batch-sizes {text!r}: expected comma-separated positive integers")
    return sizes


def repeated(split: Any, count: int) -> Any:
    """The split with its samples cycled up to ``count`` (copies get ids ``<id>~2``, ``~3``...)."""
    samples = list(split.samples)
    if len(samples) >= count:
        return split
    grown = list(samples)
    round_ = 2
    while len(grown) < count:
        grown += [dataclasses.replace(s, id=f"{s.id}~{round_}") for s in samples[: count - len(grown)]]
        round_ += 1
    return dataclasses.replace(split, samples=grown)


def run(args: argparse.Namespace) -> int:
    from mmbench.console import quiet_library_progress
    from mmbench.data.hub import with_source
    from mmbench.models.spec import load_model
    from mmbench.engine.preflight import check_run
    from mmbench.engine.runner import evaluate, load_task_data
    from mmbench.tasks.spec import load_task_spec
    from mmbench.measure.timing import MIN_TIMED_BATCHES

    sizes = parse_sizes(args.batch_sizes)
    if args.warmup < 0:
        raise UserError(f"--warmup must be 0 or more, got {args.warmup}")
    config = run_config(args, output_dir=None, warmup_batches=args.warmup, score=False)
    task = with_source(args.task, args.data_source)
    check_run([task], [args.model], config)  # before the model loads
    quiet_library_progress(config.progress)
    spec = load_task_spec(task)
    data = load_task_data(spec, config)
    model = load_model(args.model, device=config.device, dtype=config.dtype, **config.model_args)
    rows: list[dict[str, Any]] = []
    for size in sizes:
        needed = (args.warmup + MIN_TIMED_BATCHES) * size
        sized = dataclasses.replace(data, split=repeated(data.split, needed))
        timing = evaluate(spec, model, dataclasses.replace(config, batch_size=size), data=sized).timing
        for stage, t in timing["stages"].items():
            rows.append(_row(size, stage, t, timing))
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    _print_table(args, rows, data, timing)
    return 0


def _row(size: int, stage: str, t: dict[str, Any], run_timing: dict[str, Any]) -> dict[str, Any]:
    latency = t["latency_ms"]
    wall = t["wall_s"] or 0.0
    return {"batch_size": size, "stage": stage, "items": t["items"], "items_per_s": t["items_per_s"],
            "tokens_per_s": (t["tokens"] / wall) if t.get("tokens") and wall > 0 else None,
            "timed_batches": latency["n"], "p50_ms": latency["p50"], "p90_ms": latency["p90"], "p99_ms": latency["p99"],
            "ttft_ms": t.get("ttft_ms"), "tpot_ms": t.get("tpot_ms"),
            "flops_per_item": t.get("flops_per_item"), "tflops_per_s": t.get("tflops_per_s"), "mfu": t.get("mfu"),
            "input_wait_fraction": (t.get("input_wait_s", 0.0) / wall) if wall > 0 else None,
            "peak_memory_mb": run_timing["peak_memory_mb"], "device": run_timing["device"],
            "device_name": run_timing["device_name"], "dtype": run_timing["dtype"]}


def _print_table(args: argparse.Namespace, rows: list[dict[str, Any]], data: Any, timing: dict[str, Any]) -> None:
    from tabulate import tabulate

    from mmbench.tables import fmt_number
    from mmbench.measure.timing import MIN_TIMED_BATCHES

    def percent(value: float | None) -> str:
        return fmt_number(None if value is None else 100 * value)

    def gflop(value: float | None) -> str:
        return fmt_number(None if value is None else value / 1e9, 3)

    def significant(value: float | None) -> str:
        return "-" if value is None else f"{value:.3g}"

    table = [[r["batch_size"], r["stage"], fmt_number(r["items_per_s"]), fmt_number(r["tokens_per_s"]), r["timed_batches"],
              fmt_number(r["p50_ms"]), fmt_number(r["p90_ms"]), fmt_number(r["p99_ms"]), fmt_number(r["ttft_ms"]),
              fmt_number(r["tpot_ms"], 2), gflop(r["flops_per_item"]),
              significant(r["tflops_per_s"]), percent(r["mfu"]), percent(r["input_wait_fraction"]),
              fmt_number(r["peak_memory_mb"], 0)] for r in rows]
    print(f"{args.task} / {args.model} on {timing['device_name']} ({timing['device']}, {timing['dtype']}); "
          f"{len(data.split.samples)} samples, {args.warmup} warm-up batches per stage")
    print(tabulate(table, headers=COLUMNS, tablefmt="github"))
    short = sorted({(r["stage"], r["batch_size"]) for r in rows if r["timed_batches"] < MIN_TIMED_BATCHES})
    for stage, size in short:
        print(f"note: stage {stage!r} at batch {size} has fewer than {MIN_TIMED_BATCHES} timed batches (its items are fixed "
              "by the task, so repeating the samples cannot add any): no percentiles", file=sys.stderr)

"""Options shared by the commands that run models (run, demo, bench)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mmbench.errors import UserError
from mmbench.tasks.metric_options import parse_metric_args
from mmbench.types import DEFAULT_OUTPUT_DIR, RunConfig


def add_run_options(parser: argparse.ArgumentParser, *, output: bool = True, batch_size: bool = True) -> None:
    g = parser.add_argument_group("running")
    g.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps (default: auto = cuda if available, else mps, else cpu)")
    g.add_argument("--dtype", default="float32", choices=["float32", "fp32", "float16", "fp16", "bfloat16", "bf16"])
    if batch_size:
        g.add_argument("--batch-size", type=_batch_size, default=None,
                       help="items per model call, or auto: the largest that fits, per stage (default: the task's, else 16)")
    g.add_argument("--limit", type=int, default=None, help="evaluate only the first N samples")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--num-workers", type=int, default=None, help="image decoding processes (default: from the CPU count)")
    g.add_argument("--data-dir", type=Path, default=None, help="data root holding the datasets' folders (default: $MMBENCH_DATA, else ~/.cache/mmbench/data); must exist")
    g.add_argument("--on-error", choices=["fail", "skip"], default="fail",
                   help="an unreadable image: fail naming it (default) or skip it, listed in the results")
    g.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="adapter option, e.g. revision, attn_implementation, max_new_tokens, prompt, trust_remote_code, pad_to_square (llava:), family (hf:)")
    add_metric_arg_option(g)
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar (default: on a terminal)")
    if output:
        g.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR,
                       help=f"where results are written (default: {DEFAULT_OUTPUT_DIR}/ in the working directory)")
        g.add_argument("--no-write", action="store_true", help="do not write result files")


def add_metric_arg_option(parser: Any) -> None:
    parser.add_argument("--metric-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="metric option over the task file's metrics section (repeatable), e.g. unparsed=random; "
                             "checked before anything loads and recorded in the result")


def add_data_source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", choices=["official", "hf"], default="official", dest="data_source",
                        help="where each task's data comes from: official (the dataset's own files under --data-dir; the "
                             "reference) or hf (the task file's pinned Hugging Face copy, loaded through datasets into its "
                             "cache; same as the task name <task>@hf)")


def _batch_size(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or auto, got {text!r}") from None


def parse_model_args(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--model-arg {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def run_config(args: argparse.Namespace, **overrides: Any) -> RunConfig:
    model_args = parse_model_args(args.model_arg)
    # device and dtype are run settings; accept them as --model-arg too (they win over the flags)
    device = model_args.pop("device", args.device)
    dtype = model_args.pop("dtype", args.dtype)
    config = RunConfig(
        batch_size=getattr(args, "batch_size", None), device=device, dtype=dtype, limit=args.limit, seed=args.seed,
        num_workers=args.num_workers, data_dir=args.data_dir, on_error=args.on_error, progress=args.progress,
        model_args=model_args, metric_args=parse_metric_args(getattr(args, "metric_arg", None) or []),
        output_dir=None if getattr(args, "no_write", False) else getattr(args, "output_dir", None),
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return config

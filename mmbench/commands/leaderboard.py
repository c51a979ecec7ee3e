"""``mmbench leaderboard [DIR ...]``: a leaderboard from result files (no torch import)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mmbench.types import DEFAULT_OUTPUT_DIR

if TYPE_CHECKING:
    import pandas

    from mmbench.results import RunResult

FORMATS = ("markdown", "csv", "json", "html")
MOCK_MODEL = "mock"  # the built-in test model's spec (the frame's ``model`` column)
EXTENSIONS = {"markdown": "md", "csv": "csv", "json": "json", "html": "html"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "leaderboard", help="build a leaderboard (Markdown, CSV, JSON, HTML, PNG plots) from result files",
        description="One row per model, one column group per task (main metric first: CIDEr, VQA accuracy, "
                    "mean R@1, top-1), with items/s, p50 latency and parameter count. Published numbers are listed "
                    "separately as 'reported'; partial runs (--limit, incomplete data) in their own section. Unreadable files "
                    "are named on stderr and skipped.")
    p.add_argument("paths", nargs="*", metavar="DIR", default=[str(DEFAULT_OUTPUT_DIR)],
                   help=f"result files or folders searched recursively (default: {DEFAULT_OUTPUT_DIR}, where runs are "
                        "written; the repository's committed reference runs are in results/)")
    p.add_argument("--format", choices=FORMATS, default="markdown", help="what to print on stdout (default: markdown)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the chosen format to FILE instead of stdout")
    p.add_argument("--out-dir", metavar="DIR",
                   help="write leaderboard.md, .csv, .json, .html and the PNG plots into DIR (nothing on stdout)")
    p.add_argument("--plots", metavar="DIR", help="write quality_vs_throughput.png and latency.png into DIR")
    p.add_argument("--no-reported", action="store_true", help="leave out the published reference numbers")
    p.add_argument("--include-partial", action="store_true",
                   help="show partial runs (--limit, incomplete data, skipped images) in the table, marked; by default "
                        "they are listed apart with their coverage")
    p.add_argument("--include-mock", action="store_true",
                   help="keep runs of the built-in `mock` test model (left out by default: it is not a model anyone compares)")
    p.add_argument("--title", default="mmbench leaderboard", help="HTML page title")
    p.set_defaults(func=run)


def render(lb, fmt: str, title: str) -> str:  # type: ignore[no-untyped-def]
    from mmbench.report import html, tables

    renderers = {"markdown": tables.to_markdown, "csv": tables.to_csv, "json": tables.to_json,
                 "html": lambda board: html.to_html(board, title)}
    return renderers[fmt](lb)


def run(args: argparse.Namespace) -> int:
    import mmbench
    from mmbench.jsonio import atomic_write_text
    from mmbench.report.leaderboard import build_leaderboard

    frame = mmbench.load_results(args.paths)  # names unreadable files on stderr
    if not args.include_mock:
        frame = without_mock_runs(frame)
    lb = build_leaderboard(frame, include_reported=not args.no_reported, include_partial=args.include_partial)
    if args.out_dir:
        out = Path(args.out_dir)
        for fmt in FORMATS:
            atomic_write_text(out / f"leaderboard.{EXTENSIONS[fmt]}", render(lb, fmt, args.title))
        written = [out / f"leaderboard.{EXTENSIONS[f]}" for f in FORMATS]
        written += _plots(lb, out)
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    else:
        text = render(lb, args.format, args.title)
        if args.output:
            atomic_write_text(args.output, text)
            print(f"wrote {args.output} ({args.format})", file=sys.stderr)  # as --out-dir says what it wrote
        else:
            sys.stdout.write(text)
    if args.plots:
        written = _plots(lb, Path(args.plots))
        print("wrote " + (", ".join(str(p) for p in written) or "no plots (no runs with timing)"), file=sys.stderr)
    return 0


def without_mock_runs(runs: pandas.DataFrame | list[RunResult]) -> pandas.DataFrame | list[RunResult]:
    """The runs of every model but the built-in ``mock`` test model (a results DataFrame, or a list of
    runs in memory, in the same form); says on stderr how many were left out."""
    import pandas as pd

    from mmbench.report.loading import model_name

    if isinstance(runs, pd.DataFrame):
        mock = runs["model"] == MOCK_MODEL
        left_out, kept = int(runs.loc[mock, "run_key"].nunique()), runs[~mock]
    else:
        kept = [r for r in runs if model_name(r) != MOCK_MODEL]
        left_out = len(runs) - len(kept)
    if left_out:
        print(f"mmbench: note: left out {left_out} run(s) of the mock test model (--include-mock keeps them)",
              file=sys.stderr)
    return kept


def _plots(lb, directory: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from mmbench.report.plots import write_plots

    return write_plots(lb, directory)

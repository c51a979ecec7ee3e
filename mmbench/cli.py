"""The ``mmbench`` command. Each subcommand lives in ``mmbench/commands/<name>.py`` and exposes
``add_parser(subparsers)``; heavy imports (torch, transformers) happen inside the command's
``run`` so that ``list``, ``score captioning|vqa``, ``leaderboard`` and ``compare`` stay light.

Exit status: 0 success, 1 a check failed (``compare`` found a regression), 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from typing import Sequence

from mmbench import __version__
from mmbench.errors import UserError

COMMANDS = ("run", "demo", "score", "list", "data", "leaderboard", "compare", "bench")
#: commands that load models: cycle collection pauses while they start (see mmbench.measure.startup)
MODEL_COMMANDS = ("run", "demo", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmbench", description="Evaluate vision-language models on standard benchmarks.")
    parser.add_argument("--version", action="version", version=f"mmbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"mmbench.commands.{name}").add_parser(sub)
    return parser


def _one_line_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> str:
    return f"mmbench: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning  # type: ignore[assignment]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from mmbench.measure import startup

    if args.command in MODEL_COMMANDS:
        startup.pause_collection()  # resumed by the first evaluation, or below
    try:
        return int(args.func(args) or 0)
    except UserError as e:
        for line in str(e).splitlines() or [type(e).__name__]:  # several problems: one line each
            print(f"mmbench: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mmbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mmbench list tasks | head -1`: the reader left; stop quietly, as a shell tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return 141  # 128 + SIGPIPE
    finally:
        startup.resume_collection()


if __name__ == "__main__":
    sys.exit(main())

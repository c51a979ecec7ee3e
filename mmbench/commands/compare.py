"""``mmbench compare BASELINE CANDIDATE``: regression gate over result files (no torch import).

Exit status: 0 no regression, 1 a metric fell by more than its tolerance (or significantly,
with ``--fail-on-significant``; rose beyond it with ``--two-sided``; any prediction changed with
``--exact``; the model fingerprint differs with ``--same-model``; or a baseline task/metric is
missing), 2 bad input.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare", help="compare two sets of results with paired statistics; exit 1 on regression",
        description="Compare CANDIDATE against BASELINE (result files or folders; runs matched by task, newest per "
                    "task and model). Per metric: difference, paired bootstrap CI, and a paired test. Exit 0: no "
                    "regression; 1: a metric fell by more than its tolerance (see --exact, --two-sided, --same-model); "
                    "2: bad input. Each task states whether task version, data, model and run settings are equal.")
    p.add_argument("baseline", metavar="BASELINE", help="result file or folder")
    p.add_argument("candidate", metavar="CANDIDATE", help="result file or folder")
    p.add_argument("--tolerance", action="append", default=[], metavar="METRIC=VALUE",
                   help="allowed change on the 0-1 scale (CIDEr native): accuracy=0.01 allows one point; or in "
                        "samples: top1=2samples allows two flipped predictions; METRIC may be TASK:METRIC or * for "
                        "every metric; inf ignores it; default 0 (repeatable)")
    p.add_argument("--exact", action="store_true",
                   help="fail on any per-sample prediction change or metric change (for deterministic runs, e.g. "
                        "CPU CI); lists how many samples changed and the first few")
    p.add_argument("--two-sided", action="store_true",
                   help="also fail when a metric rises by more than its tolerance (refresh the baseline then)")
    p.add_argument("--same-model", action="store_true", help="fail when the model fingerprints differ")
    p.add_argument("--fail-on-significant", action="store_true",
                   help="also fail when a metric falls significantly (p < --alpha), whatever the tolerance")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    p.add_argument("--bootstrap", type=int, default=2000, metavar="N", help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--allow-mismatch", action="store_true",
                   help="compare runs of different task versions or data fingerprints (marked in the output)")
    p.add_argument("--only-common-tasks", action="store_true",
                   help="compare only tasks both sides ran (by default a baseline task missing in CANDIDATE fails)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    out.add_argument("--markdown", action="store_true", help="print Markdown for a pull-request comment")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mmbench.errors import UserError
    from mmbench.report import compare_render
    from mmbench.report.compare import Settings, compare_runs, parse_tolerances

    if not 0 < args.alpha < 1 or not 0 < args.confidence < 1 or args.bootstrap < 100:
        raise UserError("--alpha and --confidence must lie in (0, 1), --bootstrap must be at least 100")
    settings = Settings(parse_tolerances(args.tolerance), args.alpha, args.bootstrap, args.seed, args.confidence,
                        args.fail_on_significant, args.allow_mismatch, not args.only_common_tasks, exact=args.exact,
                        two_sided=args.two_sided, same_model=args.same_model)
    report = compare_runs(args.baseline, args.candidate, settings)
    for warning in report.warnings:
        print(f"mmbench: warning: {warning}", file=sys.stderr)
    render = compare_render.to_json if args.json else compare_render.to_markdown if args.markdown else compare_render.to_text
    sys.stdout.write(render(report))
    return report.exit_code

"""``mmbench run --task T --model M``: evaluate, print a table, write results."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mmbench.commands.common import add_data_source_option, add_run_options, run_config
from mmbench.errors import UserError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="evaluate a model on one or more tasks",
                       description="Evaluate a model on tasks; writes <output dir>/<run>.json and .samples.jsonl (default: mmbench-results/).")
    p.add_argument("--task", "-t", action="append", required=True, help="task name or path to a task .yaml (repeatable)")
    p.add_argument("--model", "-m", action="append", required=True,
                   help="model spec: hf:<dir-or-id>, clip:..., blip:..., llava:..., mock, or a bundled name (repeatable: "
                        "several models and tasks run as a sweep of every pair, each model loaded once)")
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout instead of a table")
    add_data_source_option(p)
    add_run_options(p)
    j = p.add_argument_group("judges", "Judged tasks (mmvet) are graded by a judge model; its calls go through the "
                             "prediction store and its identity is part of the result.")
    j.add_argument("--judge", default=None, metavar="SPEC", help="the judge: any model spec that generates text, e.g. openai:gpt-4o-mini")
    j.add_argument("--judge-arg", action="append", default=[], metavar="KEY=VALUE", help="judge option (as --model-arg for the judge)")
    g = p.add_argument_group("prediction store (resume and cache)",
                             "Every output (answers, captions, embeddings, the zero-shot text embeddings) is committed to "
                             "the store per batch: a re-run resumes from it and a finished run only re-scores. "
                             "--fresh recomputes and overwrites what is stored; --no-cache bypasses the store entirely.")
    g.add_argument("--store", type=Path, default=None,
                   help="prediction store (SQLite) that every output is committed to per batch; a re-run resumes from it "
                        "(default: $MMBENCH_CACHE/predictions.sqlite)")
    g.add_argument("--fresh", action="store_true",
                   help="read nothing from the store and compute everything; the new outputs are stored (refresh the cache)")
    g.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the store (no resume, no reuse, nothing left behind): for timing runs")
    g.add_argument("--no-store", dest="no_cache", action="store_true", help=argparse.SUPPRESS)  # the former name
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mmbench.engine import distributed

    config = run_config(args)
    if args.no_cache and (args.store or args.fresh):
        raise UserError("--no-cache cannot be combined with --store or --fresh (it uses no store at all)")
    if not args.no_cache:
        from mmbench.engine.store import default_store_path

        config.store = args.store or default_store_path()
    config.fresh = args.fresh
    from mmbench.commands.common import parse_model_args

    config.judge, config.judge_args = args.judge, parse_model_args(args.judge_arg)
    if not distributed.launched_distributed():
        return _run(args, config)
    from mmbench.measure.devices import resolve_device

    config.device = resolve_device(config.device)
    group = distributed.init(config.device)
    config.device = distributed.rank_device(config.device, group)
    try:
        code = _run(args, config)
    except BaseException as e:
        cause = distributed.failure_elsewhere()
        if cause is not None:  # this rank broke because another one failed first: name that one
            distributed.stop_because_of(cause)
        distributed.announce_failure(e)
        if isinstance(e, UserError):
            raise type(e)(f"{distributed.error_prefix()}{e}") from None
        raise
    distributed.shutdown()
    return code


def _run(args: argparse.Namespace, config: Any) -> int:
    from mmbench.engine import distributed
    from mmbench.data.hub import with_source
    from mmbench.engine.groups import group_summary
    from mmbench.engine.preflight import check_run, expand_task_groups
    from mmbench.engine.sweep import progress_line, run_pairs, summary_table
    from mmbench.tables import notes_lines, results_table

    tasks, groups, problems = expand_task_groups(args.task)  # a task group runs its members, then writes its summary
    tasks = [with_source(task, args.data_source) for task in tasks]  # --data hf: each member's hub source
    if problems:  # unknown names: reported with every other problem of the command, before any model loads
        check_run(tasks, args.model, config, problems)
    sweep = len(args.model) > 1  # several models: every pair runs, a failing pair does not stop the others
    outcomes = run_pairs(args.model, tasks, config, keep_going=sweep,
                         report=(lambda o, done, total: print(progress_line(o, done, total), file=sys.stderr, flush=True)) if sweep else None)
    if not distributed.current().is_main:
        return 0  # rank 0 prints and writes
    results = [o.result for o in outcomes if o.result is not None]
    failed = [o for o in outcomes if o.status != "ok"]
    for model in args.model:
        if not any(o.model == model and o.status != "ok" for o in outcomes):
            results += [group_summary(group, [o.result for o in outcomes if o.model == model], config) for group in groups]
    if args.json:
        json.dump([r.to_dict() for r in results], sys.stdout, indent=2)
        print()
    elif results:
        print(results_table(results))
    for line in notes_lines(results):  # on stderr, with --json too
        print(line, file=sys.stderr)
    if not args.json:
        for r in results:
            if r.path and not sweep:
                print(f"wrote {r.path}", file=sys.stderr)
    if sweep:
        print(("\n" if not args.json else "") + summary_table(outcomes), file=sys.stdout if not args.json else sys.stderr)
        if failed:
            print(f"mmbench: {len(failed)} of {len(outcomes)} pairs failed", file=sys.stderr)
    return 1 if failed else 0

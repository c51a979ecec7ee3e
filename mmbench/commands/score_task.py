"""``mmbench score --task TASK --predictions FILE``: any task's predictions scored exactly as ``run`` scores them.

FILE is JSONL (or a JSON list) of ``{"id": <the benchmark's own sample id>, "prediction": <text>}``.
The task's data is read by the task's own reader (``--data-dir``, ``--data hf`` as for ``run``);
the task type scores the predictions in sample order (``TaskType.score_texts``: the outputs of its
generative stage for generative types, the predicted class for zero-shot), ``--metric-arg``
included. An id the task does
not have, a duplicate id: one line, exit 2. A sample without a prediction: exit 2, or with
``--allow-missing`` an empty prediction (scored wrong) and a note. No model and no torch.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmbench.errors import DataError, UserError, first_ids


@dataclass
class Scored:
    """What one scorer hands back for printing (every ``mmbench score`` scorer)."""

    title: str
    metrics: dict[str, float]
    warnings: list[str] = field(default_factory=list)


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("any task: score --task TASK --predictions FILE")
    g.add_argument("--task", default=None, help="task name or task .yaml: score FILE against the task's own data")
    g.add_argument("--predictions", dest="task_predictions", type=Path, default=None,
                   help='with --task: JSONL or a JSON list of {"id": <sample id>, "prediction": <text>}')
    g.add_argument("--data-dir", type=Path, default=None, help="with --task: data root (default: $MMBENCH_DATA, else ~/.cache/mmbench/data)")
    g.add_argument("--data", choices=["official", "hf"], default="official", dest="data_source",
                   help="with --task: the task's official files (default) or its pinned hub copy")
    g.add_argument("--metric-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="with --task: metric option over the task file's metrics section (repeatable)")
    g.add_argument("--allow-missing", dest="task_allow_missing", action="store_true",
                   help="with --task: score samples without a prediction as wrong (with a note) instead of failing")
    g.add_argument("--json", dest="task_json", action="store_true",
                   help="with --task: print one flat JSON object of metric -> value on stdout and nothing else")


def score_task(args: argparse.Namespace) -> Any:
    from mmbench.data import load_split
    from mmbench.data.hub import with_source
    from mmbench.data.predictions import read_task_predictions
    from mmbench.tasks.metric_options import apply_metric_args, parse_metric_args
    from mmbench.registry import task_types
    from mmbench.tasks.spec import load_task_spec

    if args.task_predictions is None:
        raise UserError("score --task needs --predictions FILE (JSONL of {\"id\", \"prediction\"})")
    spec = load_task_spec(with_source(args.task, args.data_source))
    if spec.group:
        raise UserError(f"{spec.name} is a task group: score its members one at a time ({', '.join(spec.group)})")
    task_cls = task_types.get(spec.type)
    spec = apply_metric_args(spec, task_cls, parse_metric_args(args.metric_arg))  # before any data is read
    if args.data_dir is not None and not args.data_dir.expanduser().is_dir():
        raise UserError(f"--data-dir {args.data_dir}: no such folder")
    predictions = read_task_predictions(args.task_predictions)
    split = load_split(spec.data, args.data_dir)
    ids = [s.id for s in split.samples]
    known = set(ids)
    unknown = [i for i in predictions if i not in known]
    if unknown:
        raise DataError(f"{args.task_predictions}: {len(unknown)} id(s) that {spec.name} does not have, first: "
                        f"{first_ids(unknown)} (ids are the benchmark's own: `mmbench data path {spec.name}`)")
    missing = [i for i in ids if i not in predictions]
    notes: list[str] = []
    if missing and not args.task_allow_missing:
        raise DataError(f"{args.task_predictions}: {len(missing)} of {len(ids)} samples of {spec.name} have no prediction, "
                        f"first: {first_ids(missing)}; pass --allow-missing to score them as wrong")
    if missing:
        notes.append(f"{len(missing)} of {len(ids)} samples had no prediction and were scored as wrong (an empty prediction)")
    task = task_cls(spec, split, frozenset())
    scored = task.score_texts([predictions.get(i, "") for i in ids])
    notes += [f"{name}: {note}" for name, note in scored.notes.items()]
    if spec.metric_args:
        notes.append(f"metric options from the command line: {spec.metric_args}")
    return Scored(f"{spec.name}: {len(ids)} samples ({spec.type})", dict(scored.metrics), notes)

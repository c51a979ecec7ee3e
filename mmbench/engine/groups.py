"""Task groups: a task file that names other tasks (``group: [...]``) and how to aggregate them.

```yaml
name: imagenet_shifts
version: 1
description: ...
group: [imagenet_zeroshot, imagenet_v2_zeroshot, ...]   # task names, or task files (relative to this file)
aggregate: mean                                          # the mean of the members' main metrics
```

Running a group runs each member (the model is loaded once) and writes one result file per
member as usual, then a group summary result (task type ``group``) whose metrics are ``mean`` and
``<member>/<main metric>`` for each member, on the results scale (0-1; CIDEr on its native scale,
so groups should not mix captioning with 0-1 metrics). Main metrics: top1, accuracy, CIDEr and
``mean_R@1`` (the mean of ``i2t_R@1`` and ``t2i_R@1``). The summary is partial when any member is.
Groups do not nest.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any, Sequence

from mmbench.errors import UserError
from mmbench.results import RunResult, run_coverage, write_result
from mmbench.tasks.spec import TaskSpec, load_task_spec
from mmbench.types import RunConfig


def member_refs(group: TaskSpec) -> list[str]:
    """The group's members as task names or absolute file paths (files relative to the group file)."""
    refs = []
    for member in group.group:
        if member.endswith((".yaml", ".yml")) and not Path(member).is_absolute() and group.source:
            refs.append(str(Path(group.source).parent / member))
        else:
            refs.append(member)
    return refs


def expand_groups(tasks: Sequence[str]) -> tuple[list[str], list[TaskSpec]]:
    """``--task`` values with every group replaced by its members (each task once, in order), and the groups."""
    expanded: list[str] = []
    groups: list[TaskSpec] = []
    for task in tasks:
        spec = load_task_spec(task)
        if not spec.group:
            expanded += [] if task in expanded else [task]
            continue
        groups.append(spec)
        for ref in member_refs(spec):
            if load_task_spec(ref).group:
                raise UserError(f"{spec.source}: member {ref!r} is itself a task group; groups do not nest")
            expanded += [] if ref in expanded else [ref]
    return expanded, groups


def group_summary(group: TaskSpec, results: Sequence[RunResult], config: RunConfig | None = None) -> RunResult:
    """The group's summary result from its members' results (the latest result of each member
    task in ``results``); written beside them when ``config`` says results are written."""
    from mmbench.report.columns import main_metric_name, with_derived

    by_name = {str(r.task.get("name")): r for r in results}
    members: list[tuple[str, RunResult]] = []
    for ref in member_refs(group):
        name = load_task_spec(ref).name
        if name not in by_name:
            raise UserError(f"task group {group.name}: no result for member {name}")
        members.append((name, by_name[name]))
    values: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    for name, result in members:
        metrics = with_derived(result.metrics)
        main = main_metric_name(str(result.task.get("type")), metrics)
        if main is None or main not in metrics:
            raise UserError(f"task group {group.name}: member {name} has no main metric (metrics: {sorted(result.metrics)})")
        values[f"{name}/{main}"] = metrics[main]
        coverage = run_coverage(result)
        rows.append({"task": name, "main_metric": main, "value": metrics[main], "run_id": result.run_id,
                     "complete": coverage.complete})
    partial = [row["task"] for row in rows if not row["complete"]]
    notes = {"aggregate": f"mean of the main metrics of {len(rows)} member tasks ({', '.join(values)})"}
    if partial:
        notes["partial"] = f"member run(s) {', '.join(partial)} are partial: the group summary is partial"
    first = members[0][1]
    summary = RunResult(
        task={"name": group.name, "type": group.type, "version": group.version, "arguments": group.arguments(),
              "members": rows, "data_fingerprint": _combined_fingerprint([r for _, r in members]),
              "num_samples": sum(int(r.task.get("num_samples") or 0) for _, r in members),
              "num_scored": sum(int(r.task.get("num_scored") or 0) for _, r in members),
              "complete": not partial, "source": group.source},
        model=dict(first.model),
        metrics={"mean": sum(values.values()) / len(values), **values},
        metric_notes=notes,
        timing={"wall_s": sum(float(r.timing.get("wall_s") or 0.0) for _, r in members), "device": first.timing.get("device")},
        env=dict(first.env),
        config=dict(first.config),
    )
    if config is not None and config.output_dir is not None:
        write_result(summary, config.output_dir)
    return summary


def evaluate_group(group: str | Path | TaskSpec, model: Any, config: RunConfig | None = None, **overrides: Any) -> list[RunResult]:
    """Evaluate every member of a task group with one model; returns the members' results and
    then the group summary (see the module doc)."""
    from mmbench.engine.runner import _load_adapter, evaluate

    config = dataclasses.replace(config or RunConfig(), **overrides)
    spec = group if isinstance(group, TaskSpec) else load_task_spec(group)
    if not spec.group:
        raise UserError(f"{spec.name} is not a task group (no 'group' list); use mmbench.evaluate")
    refs, _ = expand_groups([spec.source] if spec.source.endswith((".yaml", ".yml")) else [spec.name])
    adapter = _load_adapter(model, config)
    results = [evaluate(ref, adapter, config) for ref in refs]
    return results + [group_summary(spec, results, config)]


def _combined_fingerprint(results: Sequence[RunResult]) -> str:
    digest = hashlib.sha256()
    for result in results:
        digest.update(str(result.task.get("data_fingerprint", "")).encode() + b"\0")
    return "sha256:" + digest.hexdigest()[:16]

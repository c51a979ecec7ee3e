"""``mmbench list tasks|models|task-types``: what is registered (never imports torch)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("list", help="list tasks, models or task types")
    p.add_argument("what", choices=["tasks", "models", "task-types"], nargs="?", default="tasks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    rows: list[list[str]]
    if args.what == "models":
        from mmbench.models.spec import list_model_entries

        from mmbench.models.hf.families import list_rows

        rows = [list(r) for r in list_model_entries()]
        at = next((i + 1 for i, r in enumerate(rows) if r[0] == "hf"), len(rows))
        rows[at:at] = [list(r) for r in list_rows()]  # the hf: families under the hf row
        headers = ["name", "type", "offers", "description"]
    elif args.what == "task-types":
        from mmbench.registry import task_types

        rows = [[e.name, _needs(e.load()), ", ".join(e.load().metric_names), e.describe()] for e in task_types.entries()]
        headers = ["type", "needs", "metrics", "description"]
    else:
        from mmbench.registry import task_types
        from mmbench.tasks.spec import all_task_specs

        rows = []
        for spec in all_task_specs():
            needs = _needs(task_types.get(spec.type)) if spec.type in task_types else "?"
            if spec.group:
                needs = f"its {len(spec.group)} member tasks"
            rows.append([spec.name, spec.type, needs, f"v{spec.version}", spec.description])
        headers = ["name", "type", "needs", "version", "description"]
    print(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
    return 0


def _needs(task_cls: Any) -> str:
    return ", ".join(sorted(c.value for c in task_cls.required))

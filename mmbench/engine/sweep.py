"""Sweeps: every (model, task) pair of one ``mmbench run`` with several ``--model``.

Each model is loaded once and runs all its tasks; each pair's results are written as soon as it
finishes; a failing pair (a model lacking a capability the task needs, missing data, a model that
does not load, an exception in the model) is recorded and the sweep goes on. Re-running the same
sweep after a crash takes every finished pair's predictions from the prediction store, so only
unfinished work is computed. In a torch.distributed job only problems found before any model
runs are per-pair (they are the same on every rank); an exception while evaluating stops the job.

With one model (``keep_going=False``) nothing is caught: every task is checked before the model
loads, and any problem is the command's error (exit status 2).
"""

from __future__ import annotations

import gc
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from mmbench.errors import UserError
from mmbench.types import RunConfig


@dataclass
class PairOutcome:
    """How one (model, task) pair ended: ``status`` "ok" with its result, or "failed" with the reason."""

    model: str
    task: str
    status: str
    wall_s: float = 0.0
    error: str = ""
    result: Any = None  # RunResult


def run_pairs(models: Sequence[str], tasks: Sequence[str], config: RunConfig, *, keep_going: bool,
              report: Callable[[PairOutcome, int, int], None] | None = None) -> list[PairOutcome]:
    """Evaluate every (model, task) pair in model-major order; ``report`` is called after each pair."""
    from mmbench.engine import distributed
    from mmbench.console import quiet_library_progress
    from mmbench.data.hub import notes as hub_notes
    from mmbench.engine.preflight import PreflightError, check_model, check_run, check_task, device_problems, option_problems
    from mmbench.engine.runner import load_task_data, print_partial_warnings

    quiet_library_progress(config.progress)  # before any data loads: hub datasets print bars too
    main = distributed.current().is_main
    if not keep_going:
        check_run(tasks, models, config)  # every problem at once, before any model loads
    else:
        problems = option_problems(config) + device_problems(config.device)
        for name in tasks:  # a task file that cannot be read is a mistake in the command, not a failing pair
            problems += check_task(name, [], config, check_data=False)[1]
        if problems:
            raise PreflightError(list(dict.fromkeys(problems)))
    pair_problems: dict[tuple[str, str], str] = {}
    specs: dict[str, Any] = {}
    for model in models:
        checked, model_problems = check_model(model, config.model_args)
        for name in tasks:
            spec, problems = check_task(name, [checked], config)
            specs[name] = spec
            if model_problems or problems:
                pair_problems[(model, name)] = "; ".join(model_problems + problems)
    data: dict[str, Any] = {}
    for name in tasks:
        if all((model, name) in pair_problems for model in models):
            continue
        try:
            data[name] = load_task_data(specs[name], config)
        except UserError as e:
            if not keep_going:
                raise
            for model in models:
                pair_problems.setdefault((model, name), str(e))
            continue
        if main:
            print_partial_warnings(data[name].coverage)
            if specs[name].data_source != "official":
                for line in hub_notes(specs[name].name, specs[name].hub):
                    print(f"note: {line}", file=sys.stderr)

    outcomes: list[PairOutcome] = []
    total = len(models) * len(tasks)

    def record(outcome: PairOutcome) -> None:
        outcomes.append(outcome)
        if report is not None and main:
            report(outcome, len(outcomes), total)

    for model in models:
        runnable = [name for name in tasks if (model, name) not in pair_problems]
        adapter, load_error = (_load(model, config, keep_going) if runnable else (None, ""))
        for name in tasks:
            if (model, name) in pair_problems or adapter is None:
                record(PairOutcome(model, name, "failed", error=pair_problems.get((model, name), load_error)))
                continue
            record(_evaluate(model, name, adapter, specs[name], data[name], config, keep_going))
        del adapter
        if model != models[-1]:  # the next model loads into the memory this one held (after the last: nothing to free)
            _release_memory()
    return outcomes


def _load(model: str, config: RunConfig, keep_going: bool) -> tuple[Any, str]:
    from mmbench.engine import distributed
    from mmbench.console import quiet_library_progress
    from mmbench.models.spec import load_model

    quiet_library_progress(config.progress)
    try:
        return load_model(model, device=config.device, dtype=config.dtype, **config.model_args), ""
    except Exception as e:
        if not keep_going or distributed.current().world_size > 1:
            raise
        return None, f"model did not load: {_reason(e)}"


def _evaluate(model: str, name: str, adapter: Any, spec: Any, data: Any, config: RunConfig, keep_going: bool) -> PairOutcome:
    from mmbench.engine import distributed
    from mmbench.engine.runner import evaluate

    started = time.perf_counter()
    try:
        result = evaluate(spec, adapter, config, data=data)
    except Exception as e:
        if not keep_going or distributed.current().world_size > 1:
            raise
        return PairOutcome(model, name, "failed", time.perf_counter() - started, _reason(e))
    return PairOutcome(model, name, "ok", time.perf_counter() - started, result=result)


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return text if isinstance(error, UserError) else f"{type(error).__name__}: {text}"


def _release_memory() -> None:
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def summary_table(outcomes: Sequence[PairOutcome]) -> str:
    """pair, status, main metric (x100), wall time: one row per pair."""
    from tabulate import tabulate

    from mmbench.report.columns import main_metric_name, with_derived

    rows = []
    for o in outcomes:
        metric = ""
        if o.result is not None:
            metrics = with_derived(o.result.metrics)
            main = main_metric_name(str(o.result.task.get("type")), metrics)
            metric = f"{main} {100 * metrics[main]:.2f}" if main in metrics else "-"
        status = "ok" if o.status == "ok" else f"failed: {o.error}"
        rows.append([o.model, o.task, status, metric, f"{o.wall_s:.1f}"])
    return str(tabulate(rows, headers=["model", "task", "status", "main metric (x100)", "wall s"], tablefmt="github",
                        disable_numparse=True))


def progress_line(outcome: PairOutcome, done: int, total: int) -> str:
    where = f" -> {outcome.result.path}" if outcome.result is not None and outcome.result.path else ""
    status = "ok" if outcome.status == "ok" else f"FAILED: {outcome.error}"
    return f"[{done}/{total}] {outcome.model} x {outcome.task}: {status} ({outcome.wall_s:.1f} s){where}"

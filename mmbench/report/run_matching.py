"""Which runs ``compare`` pairs, and whether a pair is comparable at all.

Runs are matched by task name (and model spec when both sides hold several models); of several
runs of one task and model the newest counts. Different task types, task versions or data
fingerprints, different metric options (``task.arguments.metrics``: the task file's
``metrics`` with ``--metric-arg`` merged in), and a complete run against a partial one, are refused (:class:`UserError`) unless
allowed (``--allow-mismatch``), then noted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from mmbench.errors import UserError
from mmbench.report.loading import latest_first, load_results, model_name, task_name
from mmbench.results import RunCoverage, RunResult, run_coverage


RunsInput = str | Path | RunResult | Sequence[RunResult]  # a path, a run, or several runs


def as_runs(value: RunsInput, side: str, warnings: list[str]) -> list[RunResult]:
    if isinstance(value, RunResult):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, RunResult) for v in value):
        return list(value)
    if not isinstance(value, (str, Path)):
        raise UserError(f"{side}: expected a result file, a folder or run results, got {type(value).__name__}")
    loaded = load_results([value])
    warnings.extend(f"{side}: {w}" for w in loaded.warnings)
    if not loaded.results:
        why = f" ({'; '.join(loaded.warnings)})" if loaded.warnings else ""
        raise UserError(f"{value}: no readable result files in {side}{why}")
    return loaded.results


def _latest_by_task_and_model(runs: Iterable[RunResult]) -> dict[str, dict[str, RunResult]]:
    grouped: dict[str, dict[str, list[RunResult]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        grouped[task_name(run)][model_name(run)].append(run)
    return {task: {model: latest_first(rs)[0] for model, rs in models.items()} for task, models in grouped.items()}


def match_runs(baseline: list[RunResult], candidate: list[RunResult]) -> tuple[list[tuple[RunResult, RunResult]], list[str], list[str]]:
    """Pairs (baseline, candidate) by task; same model spec when possible, else the single run of
    each side. Returns pairs, baseline entries with no candidate, candidate-only tasks."""
    base, cand = _latest_by_task_and_model(baseline), _latest_by_task_and_model(candidate)
    pairs, missing = [], []
    for task in sorted(base):
        b_models, c_models = base[task], cand.get(task, {})
        common = sorted(set(b_models) & set(c_models))
        if common:
            pairs += [(b_models[m], c_models[m]) for m in common]
            missing += [f"{task} ({m})" for m in sorted(set(b_models) - set(c_models))]
        elif len(b_models) == 1 and len(c_models) == 1:
            pairs.append((next(iter(b_models.values())), next(iter(c_models.values()))))
        elif not c_models:
            missing.append(task)
        else:
            raise UserError(f"{task}: cannot pair runs: baseline has models {sorted(b_models)}, candidate has "
                            f"{sorted(c_models)}; pass one result file per side")
    return pairs, missing, sorted(set(cand) - set(base))


def check_protocol(base: RunResult, cand: RunResult, allow: bool) -> list[str]:
    problems = []
    for key, label in (("type", "task type"), ("version", "task version"), ("data_fingerprint", "data fingerprint")):
        b, c = base.task.get(key), cand.task.get(key)
        if b != c:
            problems.append(f"{task_name(base)}: {label} differs (baseline {b!r}, candidate {c!r})")
    b_judge, c_judge = _judge(base), _judge(cand)
    if b_judge != c_judge:  # a judged score depends on its judge (VLMEvalKit #1570: 3 points)
        problems.append(f"{task_name(base)}: judge differs (baseline {b_judge}, candidate {c_judge})")
    b_opts, c_opts = metric_options(base), metric_options(cand)
    if b_opts != c_opts:  # --metric-arg or a task file's metrics section (mmbench.tasks.metric_options)
        problems.append(f"{task_name(base)}: metric options differ (baseline {b_opts}, candidate {c_opts})")
    b_cov, c_cov = run_coverage(base), run_coverage(cand)
    if b_cov.complete != c_cov.complete:  # a partial run is not the benchmark (mmbench.data.completeness)
        problems.append(f"{task_name(base)}: complete run against a partial one (baseline {_coverage_text(b_cov)}, "
                        f"candidate {_coverage_text(c_cov)})")
    if problems and not allow:
        raise UserError("; ".join(problems) + ": the numbers are not comparable; rerun on the same task version "
                        "and data, or pass --allow-mismatch")
    return [p + " (compared anyway: --allow-mismatch)" for p in problems]


def _coverage_text(coverage: RunCoverage) -> str:
    return f"{'complete' if coverage.complete else 'partial'}, {coverage.label} samples"


def _judge(run: RunResult) -> str | None:
    """The judge of a judged run as compare names it: spec, served model name and prompt version."""
    judge = run.task.get("judge")
    if not judge:
        return None
    return f"{judge.get('spec')} (served {judge.get('served_model')}, prompt {judge.get('prompt_version')})"


def metric_options(run: RunResult) -> dict[str, Any]:
    """The metric options a run scored with (its task file's ``metrics`` with ``--metric-arg`` merged in)."""
    arguments = run.task.get("arguments") or {}
    options = arguments.get("metrics") if isinstance(arguments, dict) else None
    return dict(options) if isinstance(options, dict) else {}

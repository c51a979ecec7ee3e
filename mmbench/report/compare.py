"""``compare``: per-metric differences between two sets of runs, with paired statistics.

Runs are matched by task name (and model spec when both sides hold several models); of several
runs of one task and model the newest counts. Runs of different task versions or data
fingerprints are refused (:class:`UserError`, exit 2) unless ``allow_mismatch``.

Per metric: delta = candidate - baseline on the results-file values. With per-sample files:
a paired bootstrap CI for every metric that is a mean of per-sample scores (CIDEr, ROUGE-L,
recall@K, mean R@1, accuracies), and a p-value from McNemar's exact test (0/1 scores), a paired
t-test (graded VQA accuracy) or the bootstrap (other scores). BLEU and METEOR are corpus-level
(per-image scores do not average to them): no CI, marked so. CIDEr's bootstrap keeps each
image's score fixed (document frequencies of the full set), the usual approximation.

A metric *regresses* when delta < -tolerance (default tolerance 0); it *drops significantly*
when delta < 0 and p < alpha. A baseline metric absent from the candidate fails too, and so does
a baseline task (unless ``require_all_tasks`` is off: then only the tasks both sides ran count).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mmbench.errors import DataError, UserError
from mmbench.report import stats
from mmbench.report.columns import (
    CORPUS_LEVEL_METRICS,
    ordered_metric_names,
    with_derived,
)
from mmbench.report.loading import latest_first, load_results, model_name, task_name
from mmbench.report.persample import (
    SampleTable,
    alignment,
    paired_values,
    strata_for,
    weighted_mean,
)
from mmbench.results import RunResult, read_samples

FLOAT_SLACK = 1e-9  # differences below this are float noise, never a regression


@dataclass
class Settings:
    tolerances: dict[str, float] = field(default_factory=dict)  # "metric", "task:metric" or "*"
    alpha: float = 0.05
    n_resamples: int = 2000
    seed: int = 0
    confidence: float = 0.95
    fail_on_significant: bool = False
    allow_mismatch: bool = False
    require_all_tasks: bool = True  # a baseline task absent from the candidate fails

    def tolerance(self, task: str, metric: str) -> float:
        for key in (f"{task}:{metric}", metric, "*"):
            if key in self.tolerances:
                return self.tolerances[key]
        return 0.0


@dataclass
class MetricComparison:
    metric: str
    baseline: float | None
    candidate: float | None
    tolerance: float
    n_pairs: int = 0
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    test: str = ""
    note: str = ""
    regressed: bool = False
    significant_drop: bool = False

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline

    @property
    def status(self) -> str:
        if self.baseline is not None and self.candidate is None:
            return "missing"
        if self.regressed:
            return "regressed"
        if self.significant_drop:
            return "significant drop"
        if self.baseline is None:
            return "new"
        return "ok"


@dataclass
class TaskComparison:
    task: str
    task_type: str
    baseline: RunResult
    candidate: RunResult
    metrics: list[MetricComparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ComparisonReport:
    tasks: list[TaskComparison]
    missing_in_candidate: list[str]
    only_in_candidate: list[str]
    settings: Settings
    warnings: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """One line per reason to fail: regressions, missing tasks or metrics, significant drops (if asked)."""
        out = [f"{name}: missing in candidate" for name in self.missing_in_candidate if self.settings.require_all_tasks]
        for task in self.tasks:
            for m in task.metrics:
                if m.status == "missing":
                    out.append(f"{task.task}: {m.metric} missing in candidate")
                elif m.regressed:
                    out.append(f"{task.task}: {m.metric} fell by {-m.delta:.6g} (tolerance {m.tolerance:g})")  # type: ignore[operator]
                elif m.significant_drop and self.settings.fail_on_significant:
                    out.append(f"{task.task}: {m.metric} fell significantly (p={m.p_value:.3g} < {self.settings.alpha:g})")
        return out

    @property
    def exit_code(self) -> int:
        return 1 if self.failures() else 0


RunsInput = str | Path | RunResult | Sequence[RunResult]  # a path, a run, or several runs


def _as_runs(value: RunsInput, side: str, warnings: list[str]) -> list[RunResult]:
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


def _check_protocol(base: RunResult, cand: RunResult, allow: bool) -> list[str]:
    problems = []
    for key, label in (("type", "task type"), ("version", "task version"), ("data_fingerprint", "data fingerprint")):
        b, c = base.task.get(key), cand.task.get(key)
        if b != c:
            problems.append(f"{task_name(base)}: {label} differs (baseline {b!r}, candidate {c!r})")
    if problems and not allow:
        raise UserError("; ".join(problems) + ": the numbers are not comparable; rerun on the same task version "
                        "and data, or pass --allow-mismatch")
    return [p + " (compared anyway: --allow-mismatch)" for p in problems]


def _records(run: RunResult, warnings: list[str]) -> list[dict[str, Any]] | None:
    if run.samples:
        return run.samples
    if run.path is None:
        return None
    try:
        return read_samples(run.path)
    except DataError as e:
        warnings.append(f"{e}; no confidence intervals for this run")
        return None


def _is_binary(*arrays: np.ndarray) -> bool:
    return all(np.isin(a, (0.0, 1.0)).all() for a in arrays)


@dataclass
class _PairedTables:
    """Both runs' sample tables and their alignment (built once per task)."""

    base: SampleTable
    cand: SampleTable
    align: np.ndarray


def _with_statistics(m: MetricComparison, task_type: str, tables: _PairedTables, settings: Settings) -> None:
    if m.metric in CORPUS_LEVEL_METRICS:
        m.note = "no CI: corpus-level metric (per-sample scores do not average to it)"
        return
    b_strata, c_strata = strata_for(m.metric, task_type, tables.base), strata_for(m.metric, task_type, tables.cand)
    if not b_strata or not c_strata or len(b_strata) != len(c_strata):
        m.note = "no CI: no per-sample scores for this metric"
        return
    for strata, value in ((b_strata, m.baseline), (c_strata, m.candidate)):
        if value is not None and not math.isclose(weighted_mean(strata), value, rel_tol=1e-6, abs_tol=1e-9):
            m.note = "no CI: per-sample scores do not average to the reported value"
            return
    paired = [paired_values(b, c, tables.align) for b, c in zip(b_strata, c_strata)]
    if any(a.size == 0 for a, _ in paired):
        m.note = "no CI: no sample ids in common"
        return
    m.n_pairs = sum(a.size for a, _ in paired)
    boot = stats.paired_bootstrap(paired, [s.weight for s in b_strata], settings.n_resamples, settings.seed,
                                  settings.confidence)
    m.ci_low, m.ci_high, m.p_value, m.test = boot.low, boot.high, boot.p_value, "paired bootstrap"
    if len(paired) == 1 and _is_binary(*paired[0]):
        result = stats.mcnemar_exact(*paired[0])
        m.p_value, m.test = result.p_value, f"McNemar exact ({result.detail})"
    elif len(paired) == 1 and m.metric.startswith("accuracy"):
        result = stats.paired_t_test(*paired[0])
        m.p_value, m.test = result.p_value, f"paired t ({result.detail})"
    unpaired = sum(s.count for s in b_strata) - m.n_pairs
    if unpaired:
        m.note = f"paired on {m.n_pairs} common samples ({unpaired} baseline samples unmatched)"


def compare_pair(base: RunResult, cand: RunResult, settings: Settings, warnings: list[str]) -> TaskComparison:
    """Compare two runs of one task; raises :class:`UserError` on a protocol mismatch unless allowed."""
    task_type = str(base.task.get("type", ""))
    comparison = TaskComparison(task_name(base), task_type, base, cand)
    comparison.notes += _check_protocol(base, cand, settings.allow_mismatch)
    b_metrics, c_metrics = with_derived(base.metrics), with_derived(cand.metrics)
    base_records, cand_records = _records(base, warnings), _records(cand, warnings)
    tables = None
    if base_records is None or cand_records is None:
        comparison.notes.append("per-sample file missing: differences without confidence intervals")
    else:
        b_table, c_table = SampleTable.from_records(base_records), SampleTable.from_records(cand_records)
        tables = _PairedTables(b_table, c_table, alignment(b_table, c_table))
    names = ordered_metric_names(task_type, {**c_metrics, **b_metrics})
    for name in names:
        m = MetricComparison(name, b_metrics.get(name), c_metrics.get(name), settings.tolerance(comparison.task, name))
        if m.delta is not None:
            m.regressed = m.delta < -m.tolerance - FLOAT_SLACK
            if tables is not None:
                _with_statistics(m, task_type, tables, settings)
            m.significant_drop = m.delta < -FLOAT_SLACK and m.p_value is not None and m.p_value < settings.alpha
        comparison.metrics.append(m)
    return comparison


def compare_runs(baseline: RunsInput, candidate: RunsInput, settings: Settings | None = None) -> ComparisonReport:
    """Compare ``candidate`` against ``baseline``: each a result file, a folder, a RunResult or a list of them."""
    settings = settings or Settings()
    warnings: list[str] = []
    base_runs, cand_runs = _as_runs(baseline, "baseline", warnings), _as_runs(candidate, "candidate", warnings)
    pairs, missing, extra = match_runs(base_runs, cand_runs)
    if not pairs:
        raise UserError(f"no task in common: baseline has {sorted({task_name(r) for r in base_runs})}, candidate has "
                        f"{sorted({task_name(r) for r in cand_runs})}")
    tasks = [compare_pair(b, c, settings, warnings) for b, c in pairs]
    _check_tolerance_names(settings, tasks)
    return ComparisonReport(tasks, missing, extra, settings, warnings)


def _check_tolerance_names(settings: Settings, tasks: list[TaskComparison]) -> None:
    known = {m.metric for t in tasks for m in t.metrics} | {f"{t.task}:{m.metric}" for t in tasks for m in t.metrics} | {"*"}
    unknown = sorted(set(settings.tolerances) - known)
    if unknown:
        raise UserError(f"--tolerance names unknown metrics {unknown}; compared metrics: "
                        f"{sorted({m.metric for t in tasks for m in t.metrics})} (use METRIC, TASK:METRIC or *)")


def parse_tolerances(items: Iterable[str]) -> dict[str, float]:
    """``["CIDEr=0.02", "shapes_vqa:accuracy=0.01", "*=0.005"]`` -> dict; values on the results-file
    scale (0.01 = 1 point), non-negative; ``inf`` ignores a metric."""
    out = {}
    for item in items:
        name, sep, raw = item.partition("=")
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not sep or not name.strip() or not (value >= 0):
            raise UserError(f"--tolerance {item!r}: expected METRIC=VALUE with VALUE >= 0 on the 0-1 scale "
                            "(e.g. accuracy=0.01 for one point; CIDEr on its native scale)")
        out[name.strip()] = value
    return out


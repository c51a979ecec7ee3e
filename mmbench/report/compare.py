"""``compare``: per-metric differences between two sets of runs, with paired statistics.

Runs are matched by task name (and model spec when both sides hold several models); of several
runs of one task and model the newest counts. Runs of different task versions or data
fingerprints, and a complete run against a partial one (``--limit``, incomplete data, skipped
images), are refused (:class:`UserError`, exit 2) unless ``allow_mismatch``.

Per metric: delta = candidate - baseline on the results-file values. With per-sample files:
a paired bootstrap CI for every metric that is a mean of per-sample scores (CIDEr, ROUGE-L,
recall@K, mean R@1, accuracies), and a p-value from McNemar's exact test (0/1 scores), a paired
t-test (graded VQA accuracy) or the bootstrap (other scores). BLEU and METEOR are corpus-level
(per-image scores do not average to them): no CI, marked so. CIDEr's bootstrap keeps each
image's score fixed (document frequencies of the full set), the usual approximation.

A metric *regresses* when delta < -tolerance (default tolerance 0, in metric units or in samples:
:mod:`mmbench.report.tolerance`); it *improves* when delta > tolerance (a failure with
``two_sided``, else reported with the command that refreshes the baseline); it *drops
significantly* when delta < 0 and p < alpha. A baseline metric absent from the candidate fails
too, and so does a baseline task (unless ``require_all_tasks`` is off: then only the tasks both
sides ran count). ``exact`` fails on any per-sample prediction change or metric change
(:mod:`mmbench.report.exact`); ``same_model`` fails when the model fingerprints differ. Every task
states whether task version, data, model and run settings are equal (:mod:`mmbench.report.provenance`).

When the two runs hold different sample sets (``allow_mismatch``, e.g. a ``--limit`` run against a
full one), only the shared sample ids are paired, and every number shown for a metric (both
values, the difference, the interval, the test) describes that shared set; metrics that cannot be
recomputed from per-sample scores (corpus-level) are not compared.
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
from mmbench.report.exact import PredictionChanges, prediction_changes
from mmbench.report.loading import latest_first, load_results, model_name, task_name
from mmbench.report.persample import (
    SampleTable,
    Stratum,
    alignment,
    paired_values,
    strata_for,
    weighted_mean,
)
from mmbench.report.provenance import Sameness, compare_provenance
from mmbench.report.tolerance import Tolerance, lookup, parse_tolerances
from mmbench.results import RunCoverage, RunResult, read_samples, run_coverage, samples_path

__all__ = ["ComparisonReport", "MetricComparison", "Settings", "TaskComparison", "compare_runs", "parse_tolerances"]

FLOAT_SLACK = 1e-9  # differences below this are float noise, never a regression


@dataclass
class Settings:
    tolerances: dict[str, float | Tolerance] = field(default_factory=dict)  # "metric", "task:metric" or "*"
    alpha: float = 0.05
    n_resamples: int = 2000
    seed: int = 0
    confidence: float = 0.95
    fail_on_significant: bool = False
    allow_mismatch: bool = False
    require_all_tasks: bool = True  # a baseline task absent from the candidate fails
    exact: bool = False  # any per-sample prediction or metric change fails
    two_sided: bool = False  # an improvement beyond tolerance fails too
    same_model: bool = False  # different model fingerprints fail

    def tolerance(self, task: str, metric: str) -> Tolerance:
        return lookup(self.tolerances, task, metric)


@dataclass
class MetricComparison:
    metric: str
    baseline: float | None
    candidate: float | None
    tolerance: float  # in metric units (resolved from samples where given so)
    n_pairs: int = 0
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    test: str = ""
    note: str = ""
    regressed: bool = False
    improved: bool = False
    significant_drop: bool = False
    comparable: bool = True  # False: not recomputable on the shared samples of different sample sets
    tolerance_text: str = ""  # as given ("2 samples"), when not in metric units

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None or not self.comparable:
            return None
        return self.candidate - self.baseline

    @property
    def status(self) -> str:
        if self.baseline is not None and self.candidate is None:
            return "missing"
        if not self.comparable:
            return "not compared"
        if self.regressed:
            return "regressed"
        if self.improved:
            return "improved"
        if self.significant_drop:
            return "significant drop"
        if self.baseline is None:
            return "new"
        return "ok"


@dataclass(frozen=True)
class SharedSamples:
    """Sample sets that differ: how many ids both runs hold, of how many on each side."""

    shared: int
    baseline: int
    candidate: int

    def __str__(self) -> str:
        return (f"sample sets differ: {self.shared} shared sample ids (baseline {self.baseline}, candidate "
                f"{self.candidate}); every statistic is computed on the shared samples")


@dataclass
class TaskComparison:
    task: str
    task_type: str
    baseline: RunResult
    candidate: RunResult
    metrics: list[MetricComparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provenance: list[Sameness] = field(default_factory=list)
    prediction_changes: PredictionChanges | None = None  # with ``exact``; None: no per-sample files
    shared: SharedSamples | None = None  # set when the sample sets differ

    def provenance_line(self) -> str:
        return "; ".join(str(s) for s in self.provenance)

    def model_differs(self) -> bool:
        return any(s.label == "model fingerprint" and not s.equal for s in self.provenance)


@dataclass
class ComparisonReport:
    tasks: list[TaskComparison]
    missing_in_candidate: list[str]
    only_in_candidate: list[str]
    settings: Settings
    warnings: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """One line per reason to fail: regressions, missing tasks or metrics, significant drops (if asked),
        improvements beyond tolerance (two-sided), any change (exact), another model (same-model)."""
        s = self.settings
        out = [f"{name}: missing in candidate" for name in self.missing_in_candidate if s.require_all_tasks]
        for task in self.tasks:
            if s.same_model and task.model_differs():
                out.append(f"{task.task}: model fingerprint differs (--same-model): "
                           f"{task.baseline.model.get('fingerprint')} -> {task.candidate.model.get('fingerprint')}")
            if s.exact:
                out += _exact_failures(task)
            for m in task.metrics:
                if m.status == "missing":
                    out.append(f"{task.task}: {m.metric} missing in candidate")
                elif m.regressed:
                    out.append(f"{task.task}: {m.metric} fell by {-m.delta:.6g} (tolerance {_tolerance_text(m)})")  # type: ignore[operator]
                elif m.improved and s.two_sided:
                    out.append(f"{task.task}: {m.metric} rose by {m.delta:.6g} (tolerance {_tolerance_text(m)}, "
                               f"--two-sided): improved: {refresh_hint(task)}")
                elif m.significant_drop and s.fail_on_significant:
                    out.append(f"{task.task}: {m.metric} fell significantly (p={m.p_value:.3g} < {s.alpha:g})")
        return out

    def improvements(self) -> list[str]:
        """One line per metric that rose beyond its tolerance, with the command that refreshes the baseline."""
        return [f"{t.task}: {m.metric} rose by {m.delta:.6g} (tolerance {_tolerance_text(m)}): improved: {refresh_hint(t)}"
                for t in self.tasks for m in t.metrics if m.improved]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures() else 0


def _tolerance_text(m: MetricComparison) -> str:
    return f"{m.tolerance:g} = {m.tolerance_text}" if m.tolerance_text else f"{m.tolerance:g}"


def _exact_failures(task: TaskComparison) -> list[str]:
    changes = task.prediction_changes
    out = []
    if changes is None:
        out.append(f"{task.task}: no per-sample files on both sides: --exact cannot check predictions")
    elif changes.changed:
        out.append(f"{task.task}: {changes.describe()} (--exact)")
    moved = [m.metric for m in task.metrics if m.delta is not None and m.delta != 0.0 and m.comparable]
    if moved:
        out.append(f"{task.task}: metric values changed (--exact): {', '.join(moved)}")
    return out


def refresh_hint(task: TaskComparison) -> str:
    """The command that makes the candidate run the new baseline (replacing the baseline run's files)."""
    base, cand = task.baseline.path, task.candidate.path
    if base is None or cand is None:
        return (f"refresh the baseline with `mmbench run --task {task.task} --model {model_name(task.candidate)} "
                f"--output-dir <baseline folder>` and remove the old {task.task} result there")
    copied = {cand.name, samples_path(cand).name}
    old = [str(p) for p in (base, samples_path(base)) if p.name not in copied]
    remove = f" && rm {' '.join(old)}" if old else ""
    return f"refresh the baseline with `cp {cand} {samples_path(cand)} {base.parent}/{remove}`"


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
    shared: SharedSamples | None = None  # set when the two sample sets differ


def _paired_tables(base_records: list[dict[str, Any]], cand_records: list[dict[str, Any]]) -> _PairedTables:
    b_table, c_table = SampleTable.from_records(base_records), SampleTable.from_records(cand_records)
    align = alignment(b_table, c_table)
    b_keys, c_keys = set(b_table.keys), set(c_table.keys)
    shared = None if b_keys == c_keys else SharedSamples(len(b_keys & c_keys), len(b_keys), len(c_keys))
    return _PairedTables(b_table, c_table, align, shared)


def _not_on_shared(m: MetricComparison, tables: _PairedTables, why: str) -> bool:
    """With different sample sets, a metric without usable per-sample scores is not compared; True if so."""
    if tables.shared is None:
        m.note = f"no CI: {why}"
        return False
    m.comparable = False
    m.note = f"not compared: {why}, so it cannot be recomputed on the {tables.shared.shared} shared samples"
    return True


def _strata(metric: str, task_type: str, table: SampleTable) -> list[Stratum] | None:
    return None if metric in CORPUS_LEVEL_METRICS else strata_for(metric, task_type, table)


def sample_step(metric: str, task_type: str, table: SampleTable | None) -> float | None:
    """How much the metric moves when one sample's score changes by 1 (largest over its strata)."""
    strata = _strata(metric, task_type, table) if table is not None else None
    if not strata:
        return None
    return max((s.weight / s.count for s in strata if s.count), default=None)


def _with_statistics(m: MetricComparison, task_type: str, tables: _PairedTables, settings: Settings) -> None:
    if m.metric in CORPUS_LEVEL_METRICS:
        _not_on_shared(m, tables, "corpus-level metric (per-sample scores do not average to it)")
        return
    b_strata, c_strata = strata_for(m.metric, task_type, tables.base), strata_for(m.metric, task_type, tables.cand)
    if not b_strata or not c_strata or len(b_strata) != len(c_strata):
        _not_on_shared(m, tables, "no per-sample scores for this metric")
        return
    for strata, value in ((b_strata, m.baseline), (c_strata, m.candidate)):
        if value is not None and not math.isclose(weighted_mean(strata), value, rel_tol=1e-6, abs_tol=1e-9):
            _not_on_shared(m, tables, "per-sample scores do not average to the reported value")
            return
    paired = [paired_values(b, c, tables.align) for b, c in zip(b_strata, c_strata)]
    if any(a.size == 0 for a, _ in paired):
        _not_on_shared(m, tables, "no sample ids in common")
        return
    m.n_pairs = sum(a.size for a, _ in paired)
    if tables.shared is not None:  # both values on the shared samples, so delta, CI and test agree
        weights = [s.weight for s in b_strata]
        m.baseline = float(sum(w * np.mean(b) for w, (b, _) in zip(weights, paired)))
        m.candidate = float(sum(w * np.mean(c) for w, (_, c) in zip(weights, paired)))
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
    if tables.shared is not None:
        m.note = f"on the {m.n_pairs} shared samples"
    elif unpaired:
        m.note = f"paired on {m.n_pairs} common samples ({unpaired} baseline samples unmatched)"


def compare_pair(base: RunResult, cand: RunResult, settings: Settings, warnings: list[str]) -> TaskComparison:
    """Compare two runs of one task; raises :class:`UserError` on a protocol mismatch unless allowed."""
    task_type = str(base.task.get("type", ""))
    comparison = TaskComparison(task_name(base), task_type, base, cand, provenance=compare_provenance(base, cand))
    comparison.notes += _check_protocol(base, cand, settings.allow_mismatch)
    b_metrics, c_metrics = with_derived(base.metrics), with_derived(cand.metrics)
    base_records, cand_records = _records(base, warnings), _records(cand, warnings)
    tables = None
    if base_records is None or cand_records is None:
        comparison.notes.append("per-sample file missing: differences without confidence intervals")
    else:
        tables = _paired_tables(base_records, cand_records)
        comparison.shared = tables.shared
        if settings.exact:
            comparison.prediction_changes = prediction_changes(base_records, cand_records)
    names = ordered_metric_names(task_type, {**c_metrics, **b_metrics})
    for name in names:
        given = settings.tolerance(comparison.task, name)
        step = sample_step(name, task_type, tables.base if tables else None)
        tolerance = given.resolve(step)
        if tolerance is None:
            raise UserError(f"--tolerance {name}={given}: {comparison.task}'s {name} has no per-sample scores "
                            f"({'corpus-level metric' if name in CORPUS_LEVEL_METRICS else 'no per-sample file'}); "
                            "give its tolerance in metric units (e.g. 0.01)")
        m = MetricComparison(name, b_metrics.get(name), c_metrics.get(name), tolerance,
                             tolerance_text=str(given) if given.in_samples else "")
        if m.delta is not None:
            if tables is not None:
                _with_statistics(m, task_type, tables, settings)
            if m.delta is not None:
                m.regressed = m.delta < -m.tolerance - FLOAT_SLACK
                m.improved = m.delta > m.tolerance + FLOAT_SLACK
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




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

Parts: :mod:`mmbench.report.run_matching` (pairing runs, protocol checks),
:mod:`mmbench.report.paired_statistics` (intervals and tests), :mod:`mmbench.report.comparison`
(the report and its failure lines); this module puts them together per task.
"""

from __future__ import annotations

from mmbench.errors import UserError
from mmbench.report.columns import CORPUS_LEVEL_METRICS, ordered_metric_names, with_derived
from mmbench.report.comparison import ComparisonReport, MetricComparison, Settings, TaskComparison
from mmbench.report.exact import prediction_changes
from mmbench.report.loading import task_name
from mmbench.report.paired_statistics import paired_tables, sample_records, sample_step, with_statistics
from mmbench.report.provenance import compare_provenance
from mmbench.report.run_matching import RunsInput, as_runs, check_protocol, match_runs
from mmbench.report.tolerance import parse_tolerances
from mmbench.results import RunResult

__all__ = ["ComparisonReport", "MetricComparison", "Settings", "TaskComparison", "compare_runs", "parse_tolerances"]

FLOAT_SLACK = 1e-9  # differences below this are float noise, never a regression


def compare_pair(base: RunResult, cand: RunResult, settings: Settings, warnings: list[str]) -> TaskComparison:
    """Compare two runs of one task; raises :class:`UserError` on a protocol mismatch unless allowed."""
    task_type = str(base.task.get("type", ""))
    comparison = TaskComparison(task_name(base), task_type, base, cand, provenance=compare_provenance(base, cand))
    comparison.notes += check_protocol(base, cand, settings.allow_mismatch)
    b_metrics, c_metrics = with_derived(base.metrics), with_derived(cand.metrics)
    base_records, cand_records = sample_records(base, warnings), sample_records(cand, warnings)
    tables = None
    if base_records is None or cand_records is None:
        comparison.notes.append("per-sample file missing: differences without confidence intervals")
    else:
        tables = paired_tables(base_records, cand_records)
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
                with_statistics(m, task_type, tables, settings)
            if m.gain is not None:
                m.regressed = m.gain < -m.tolerance - FLOAT_SLACK
                m.improved = m.gain > m.tolerance + FLOAT_SLACK
                m.significant_drop = m.gain < -FLOAT_SLACK and m.p_value is not None and m.p_value < settings.alpha
        comparison.metrics.append(m)
    return comparison


def compare_runs(baseline: RunsInput, candidate: RunsInput, settings: Settings | None = None) -> ComparisonReport:
    """Compare ``candidate`` against ``baseline``: each a result file, a folder, a RunResult or a list of them."""
    settings = settings or Settings()
    warnings: list[str] = []
    base_runs, cand_runs = as_runs(baseline, "baseline", warnings), as_runs(candidate, "candidate", warnings)
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

"""Per-metric paired statistics of two runs of one task, from their per-sample files.

A paired bootstrap CI for every metric that is a mean of per-sample scores, and a p-value from
McNemar's exact test (0/1 scores), a paired t-test (graded VQA accuracy) or the bootstrap (other
scores). Corpus-level metrics (BLEU, METEOR) get no CI. With different sample sets only the shared
sample ids are paired and both values are recomputed on them; a metric that cannot be recomputed
is marked not compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmbench.errors import DataError
from mmbench.report import stats
from mmbench.report.columns import CORPUS_LEVEL_METRICS
from mmbench.report.comparison import MetricComparison, Settings, SharedSamples
from mmbench.report.persample import (
    SampleTable,
    Stratum,
    alignment,
    paired_values,
    strata_for,
    weighted_mean,
)
from mmbench.results import RunResult, read_samples


def sample_records(run: RunResult, warnings: list[str]) -> list[dict[str, Any]] | None:
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
class PairedTables:
    """Both runs' sample tables and their alignment (built once per task)."""

    base: SampleTable
    cand: SampleTable
    align: np.ndarray
    shared: SharedSamples | None = None  # set when the two sample sets differ


def paired_tables(base_records: list[dict[str, Any]], cand_records: list[dict[str, Any]]) -> PairedTables:
    b_table, c_table = SampleTable.from_records(base_records), SampleTable.from_records(cand_records)
    align = alignment(b_table, c_table)
    b_keys, c_keys = set(b_table.keys), set(c_table.keys)
    shared = None if b_keys == c_keys else SharedSamples(len(b_keys & c_keys), len(b_keys), len(c_keys))
    return PairedTables(b_table, c_table, align, shared)


def _not_on_shared(m: MetricComparison, tables: PairedTables, why: str) -> bool:
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


def with_statistics(m: MetricComparison, task_type: str, tables: PairedTables, settings: Settings) -> None:
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

"""Paired statistics for ``compare``: bootstrap CIs, exact McNemar, paired t-test.

All functions take paired per-sample values (baseline[i] and candidate[i] are the same sample)
and return the difference candidate - baseline. Seeded and deterministic.

- :func:`paired_bootstrap`: percentile CI of the difference of means, resampling samples with
  replacement (stratified: each stratum resampled on its own, e.g. image and text queries of a
  retrieval set), and a two-sided bootstrap p-value. As in Koehn (2004) / ``sacrebleu
  --paired-bs``, for metrics that are a (weighted) mean of per-sample scores.
- :func:`mcnemar_exact`: exact McNemar test for 0/1 scores (top-1, recall@K hits), the two-sided
  binomial test on the discordant pairs; matches ``statsmodels``' ``mcnemar(exact=True)`` and
  ``scipy.stats.binomtest(min(b, c), b + c, 0.5)``.
- :func:`paired_t_test`: for graded per-sample scores (VQA accuracy 0, 0.3, 0.6, 0.9, 1);
  matches ``scipy.stats.ttest_rel``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_CHUNK = 64  # replicates drawn at once: bounds memory to CHUNK x N indices
MAX_DISTINCT_FOR_COUNTS = 64  # fewer distinct differences: resample value counts, not indices


@dataclass(frozen=True)
class BootstrapResult:
    delta: float  # observed difference of (weighted) means, candidate - baseline
    low: float  # CI bounds of the difference
    high: float
    p_value: float  # two-sided: 2 x (smaller tail count + 1) / (resamples + 1), capped at 1
    n_resamples: int
    confidence: float


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float
    name: str
    detail: str = ""


def paired_bootstrap(strata: Sequence[tuple[np.ndarray, np.ndarray]], weights: Sequence[float] | None = None,
                     n_resamples: int = 2000, seed: int = 0, confidence: float = 0.95) -> BootstrapResult:
    """Bootstrap the difference of weighted means sum_s w_s * mean(cand_s - base_s).

    ``strata``: one (baseline, candidate) pair of equal-length 1-D arrays per stratum.
    ``weights`` default to 1 for a single stratum (a plain mean).
    """
    if not strata:
        raise ValueError("paired_bootstrap needs at least one stratum")
    weights = list(weights) if weights is not None else [1.0 / len(strata)] * len(strata)
    diffs = []
    for base, cand in strata:
        base, cand = np.asarray(base, dtype=np.float64), np.asarray(cand, dtype=np.float64)
        if base.shape != cand.shape or base.ndim != 1 or base.size == 0:
            raise ValueError("each stratum needs two non-empty 1-D arrays of equal length")
        diffs.append(cand - base)
    delta = float(sum(w * d.mean() for w, d in zip(weights, diffs)))
    rng = np.random.default_rng(seed)
    replicates = np.zeros(n_resamples)
    for w, d in zip(weights, diffs):
        replicates += w * _resampled_means(d, n_resamples, rng)
    alpha = 1.0 - confidence
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    if np.all(replicates == 0.0):
        p = 1.0
    else:
        tail = min(np.sum(replicates <= 0.0), np.sum(replicates >= 0.0))
        p = min(1.0, 2.0 * (tail + 1) / (n_resamples + 1))  # +1: never 0 from a finite resample
    return BootstrapResult(delta, float(low), float(high), float(p), n_resamples, confidence)


def _resampled_means(d: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_resamples`` resamples of ``d`` with replacement.

    When ``d`` takes few distinct values (0/1 hits, VQA's 0/0.3/0.6/0.9/1 scores) a resample is
    fully described by how often each value is drawn, Multinomial(n, value frequencies): the same
    distribution as drawing n indices, at a cost independent of n.
    """
    values, counts = np.unique(d, return_counts=True)
    if values.size <= MAX_DISTINCT_FOR_COUNTS:
        draws = rng.multinomial(d.size, counts / d.size, size=n_resamples)  # (B, V)
        return draws @ values / d.size
    out = np.empty(n_resamples)
    index_type = np.int32 if d.size < 2**31 else np.int64
    for start in range(0, n_resamples, BOOTSTRAP_CHUNK):
        size = min(BOOTSTRAP_CHUNK, n_resamples - start)
        idx = rng.integers(0, d.size, size=(size, d.size), dtype=index_type)  # (size, N)
        out[start:start + size] = d[idx].mean(axis=1)
    return out


def _log_binom_pmf(k: int, n: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2.0)


def mcnemar_exact(baseline: np.ndarray, candidate: np.ndarray) -> TestResult:
    """Exact McNemar test on paired 0/1 outcomes; statistic = min(b, c), the smaller discordant count.

    b = baseline right and candidate wrong, c = the reverse. p = min(1, 2 P[X <= min(b, c)]),
    X ~ Binomial(b + c, 1/2); p = 1 when there are no discordant pairs.
    """
    base, cand = np.asarray(baseline) > 0.5, np.asarray(candidate) > 0.5
    b = int(np.sum(base & ~cand))
    c = int(np.sum(~base & cand))
    n, k = b + c, min(b, c)
    if n == 0:
        return TestResult(0.0, 1.0, "McNemar exact", "b=0 c=0")
    logs = [_log_binom_pmf(i, n) for i in range(k + 1)]
    top = max(logs)
    tail = math.exp(top) * sum(math.exp(x - top) for x in logs)
    return TestResult(float(k), min(1.0, 2.0 * tail), "McNemar exact", f"b={b} c={c}")


def paired_t_test(baseline: np.ndarray, candidate: np.ndarray) -> TestResult:
    """Two-sided paired t-test on candidate - baseline (df = n - 1)."""
    d = np.asarray(candidate, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    n = d.size
    if n < 2:
        return TestResult(float("nan"), 1.0, "paired t", f"n={n}")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0.0:
        return TestResult(0.0 if mean == 0 else math.copysign(math.inf, mean), 1.0 if mean == 0 else 0.0,
                          "paired t", f"df={n - 1}, all differences equal")
    t = mean / (sd / math.sqrt(n))
    df = n - 1
    p = regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5)
    return TestResult(t, min(1.0, max(0.0, p)), "paired t", f"df={df}")


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) by its continued fraction (modified Lentz), using the symmetry
    I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - regularized_incomplete_beta(1.0 - x, b, a)
    log_front = a * math.log(x) + b * math.log1p(-x) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)) - math.log(a)
    return math.exp(log_front) * _beta_continued_fraction(x, a, b)


def _beta_continued_fraction(x: float, a: float, b: float, max_terms: int = 10_000, eps: float = 1e-15) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, max_terms + 1):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < eps:
            break
    return result

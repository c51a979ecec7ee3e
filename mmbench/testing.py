"""Helpers for a project's own pytest suite: gate on "no regression against results/baseline".

Example (in your tests)::

    from mmbench.testing import assert_no_regression

    def test_no_regression():
        assert_no_regression("results/baseline", "results/candidate",
                             tolerances={"accuracy": 0.01, "CIDEr": 0.02})

or with a run made inside the test (``mmbench.evaluate`` returns a :class:`RunResult` that
carries its per-sample records)::

    result = mmbench.evaluate("shapes_vqa", "mock")
    assert_no_regression("results/baseline", result, tolerances={"*": 0.005})

Tolerances are allowed drops on the results-file scale (0.01 = one point; CIDEr native), keyed
by metric, ``task:metric`` or ``*``. This module does not import torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mmbench.report.compare import ComparisonReport, Settings, compare_runs
from mmbench.report.compare_render import to_markdown
from mmbench.results import RunResult

__all__ = ["RegressionError", "assert_no_regression"]


class RegressionError(AssertionError):
    """A candidate fell below its baseline; ``report`` holds the full comparison."""

    def __init__(self, message: str, report: ComparisonReport) -> None:
        super().__init__(message)
        self.report = report


def assert_no_regression(baseline: str | Path | RunResult | Sequence[RunResult],
                         candidate: str | Path | RunResult | Sequence[RunResult],
                         tolerances: Mapping[str, float] | None = None, *, fail_on_significant: bool = False,
                         alpha: float = 0.05, allow_mismatch: bool = False, n_resamples: int = 2000,
                         seed: int = 0, require_all_tasks: bool | None = None, exact: bool = False,
                         two_sided: bool = False, same_model: bool = False) -> ComparisonReport:
    """Compare as ``mmbench compare`` does; raise :class:`RegressionError` (an AssertionError whose
    message is the Markdown report) when it would exit 1. Bad input raises
    :class:`mmbench.errors.UserError` as the command would exit 2. Returns the report otherwise.

    ``require_all_tasks`` (a baseline task missing from the candidate fails) defaults to True when
    ``candidate`` is a path and False when it is run objects (a test usually runs one task).
    ``exact``, ``two_sided`` and ``same_model`` are the command's ``--exact``, ``--two-sided`` and
    ``--same-model``; tolerances may be floats or ``mmbench.report.tolerance.Tolerance`` (in samples).
    """
    if require_all_tasks is None:
        require_all_tasks = isinstance(candidate, (str, Path))
    settings = Settings(dict(tolerances or {}), alpha, n_resamples, seed, 0.95, fail_on_significant, allow_mismatch,
                        require_all_tasks, exact=exact, two_sided=two_sided, same_model=same_model)
    report = compare_runs(baseline, candidate, settings)
    if report.exit_code:
        raise RegressionError("\n".join(["regression against baseline:", *report.failures(), "", to_markdown(report)]), report)
    return report


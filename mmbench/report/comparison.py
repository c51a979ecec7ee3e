"""What ``compare`` finds: the settings of a comparison, per-metric and per-task comparisons and
the report with its failure and improvement lines (the exit status of ``mmbench compare``).

The comparison itself is :func:`mmbench.report.compare.compare_runs`; rendering is
:mod:`mmbench.report.compare_render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmbench.report.exact import PredictionChanges
from mmbench.report.loading import model_name
from mmbench.report.provenance import Sameness
from mmbench.report.tolerance import Tolerance, lookup
from mmbench.results import RunResult, samples_path


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
    def lower_is_better(self) -> bool:
        from mmbench.report.columns import LOWER_IS_BETTER

        return self.metric in LOWER_IS_BETTER

    @property
    def gain(self) -> float | None:
        """The change in the metric's good direction (``delta``, negated where lower is better)."""
        return None if self.delta is None else (-self.delta if self.lower_is_better else self.delta)

    @property
    def worse_by(self) -> str:
        return "rose" if self.lower_is_better else "fell"

    @property
    def better_by(self) -> str:
        return "fell" if self.lower_is_better else "rose"

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
                    out.append(f"{task.task}: {m.metric} {m.worse_by} by {abs(m.delta):.6g} (tolerance {_tolerance_text(m)})")  # type: ignore[arg-type]
                elif m.improved and s.two_sided:
                    out.append(f"{task.task}: {m.metric} {m.better_by} by {abs(m.delta):.6g} (tolerance {_tolerance_text(m)}, "
                               f"--two-sided): improved: {refresh_hint(task)}")
                elif m.significant_drop and s.fail_on_significant:
                    out.append(f"{task.task}: {m.metric} fell significantly (p={m.p_value:.3g} < {s.alpha:g})")
        return out

    def improvements(self) -> list[str]:
        """One line per metric that rose beyond its tolerance, with the command that refreshes the baseline."""
        return [f"{t.task}: {m.metric} {m.better_by} by {abs(m.delta):.6g} (tolerance {_tolerance_text(m)}): improved: {refresh_hint(t)}"
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

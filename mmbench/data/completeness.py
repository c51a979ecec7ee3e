"""Is a run the whole benchmark? One rule for ``mmbench data check``, ``mmbench run`` and result files.

A run is *complete* when every sample the benchmark defines was scored: the split on disk holds
the task file's ``expected_count`` samples (when it declares one), no ``--limit`` cut the split,
and no image was skipped (``--on-error skip``). Anything else is *partial*: the result file says
so (``task.complete``), the reason is in ``metric_notes``, and ``leaderboard`` / ``compare`` keep
partial runs apart from complete ones.

The words are shared: ``data check`` prints :meth:`Coverage.count_problem` and ``run`` prints
:meth:`Coverage.warnings` before the model loads, e.g.
``vqav2_val: found 50 of 214354 samples: results are marked partial``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from mmbench.errors import UserError

PARTIAL = "results are marked partial"
COMPLETENESS_NOTE = "completeness"  # the metric_notes key holding the reason a run is partial


def expected_count(data: Mapping[str, Any], source: str = "task file") -> int | None:
    """The ``data.expected_count`` a task file declares (a positive integer), or None."""
    value = data.get("expected_count")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{source}: data.expected_count must be a positive integer (the number of samples in the "
                        f"official split), got {value!r}")
    return value


@dataclass(frozen=True)
class Coverage:
    """How much of a benchmark one run covers.

    ``found``: samples in the split on disk; ``expected``: the task file's ``expected_count``;
    ``limit``: ``--limit``; ``skipped``: samples whose images could not be read.
    """

    task: str
    found: int
    expected: int | None = None
    limit: int | None = None
    skipped: int = 0

    @property
    def limited(self) -> bool:
        """True when ``--limit`` left samples out (a limit at or above the split's size cuts nothing)."""
        return self.limit is not None and self.limit < self.found

    @property
    def evaluated(self) -> int:
        return min(self.found, self.limit) if self.limited and self.limit is not None else self.found

    @property
    def scored(self) -> int:
        return self.evaluated - self.skipped

    @property
    def total(self) -> int:
        """What a complete run scores: the declared count, else the split's size."""
        return self.expected if self.expected is not None else self.found

    @property
    def complete(self) -> bool:
        return not self.reasons()

    def with_skipped(self, skipped: int) -> Coverage:
        return replace(self, skipped=skipped)

    def count_problem(self) -> str | None:
        """``found 50 of 214354 samples`` when the split's size is not the declared one."""
        if self.expected is None or self.found == self.expected:
            return None
        if self.found < self.expected:
            return f"found {self.found} of {self.expected} samples"
        return f"found {self.found} samples, {self.expected} expected"

    def reasons(self) -> list[str]:
        """Why the run is partial (empty when complete)."""
        out = [p for p in [self.count_problem()] if p]
        if self.limited:
            out.append(f"--limit {self.limit}: {self.evaluated} of {self.found} samples evaluated")
        if self.skipped:
            out.append(f"{self.skipped} of {self.evaluated} samples skipped (unreadable images)")
        return out

    def count_warning(self) -> str | None:
        """``vqav2_val: found 50 of 214354 samples: results are marked partial`` (``data check`` and ``run``)."""
        problem = self.count_problem()
        return f"{self.task}: {problem}: {PARTIAL}" if problem else None

    def warnings(self) -> list[str]:
        """The lines ``mmbench run`` prints on stderr before the model loads (skips are known only later)."""
        lines = [w for w in [self.count_warning()] if w]
        if self.limited:
            lines.append(f"--limit: {PARTIAL}, for testing only")
        return lines

    def note(self) -> dict[str, str]:
        """The ``metric_notes`` entry of a partial run (empty for a complete one)."""
        reasons = self.reasons()
        if not reasons:
            return {}
        return {COMPLETENESS_NOTE: f"partial ({self.scored} of {self.total} samples scored): " + "; ".join(reasons)}

    def record(self) -> dict[str, Any]:
        """The fields a result file's ``task`` section carries."""
        return {"expected_count": self.expected, "num_found": self.found, "complete": self.complete}

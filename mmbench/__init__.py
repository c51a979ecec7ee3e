"""mmbench: evaluation harness for vision-language models.

``import mmbench`` does not import torch; :func:`evaluate` imports it on first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mmbench.results import RunResult


def evaluate(task: Any, model: Any, config: Any = None, **overrides: Any) -> "RunResult":
    """Run ``task`` (name, path or Task) with ``model`` (spec or adapter); see :mod:`mmbench.engine.runner`."""
    from mmbench.engine.runner import evaluate as _evaluate

    return _evaluate(task, model, config, **overrides)


def evaluate_group(group: Any, model: Any, config: Any = None, **overrides: Any) -> "list[RunResult]":
    """Run every member of a task group, then its summary; see :mod:`mmbench.engine.groups`."""
    from mmbench.engine.groups import evaluate_group as _evaluate_group

    return _evaluate_group(group, model, config, **overrides)


def load_results(paths: Any) -> "pandas.DataFrame":  # noqa: F821
    """Result files or folders as a pandas DataFrame, one row per run and metric; see :mod:`mmbench.report.frame`."""
    from mmbench.report.frame import load_results as _load_results

    return _load_results(paths)


__all__ = ["__version__", "evaluate", "evaluate_group", "load_results"]

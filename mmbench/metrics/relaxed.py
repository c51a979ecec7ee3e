"""ChartQA's relaxed accuracy as pix2struct's ``relaxed_correctness`` computes it.

Reference: google-research/pix2struct ``pix2struct/metrics.py`` (``relaxed_correctness``, used by
``pix2struct_metrics``' ``relaxed_accuracy``). Both strings are turned into numbers with Python's
``float`` (surrounding whitespace is allowed; a trailing ``%`` - every trailing ``%`` - is
removed and the number divided by 100; a comma makes it no number, so ``"1,200"`` is text).
When both are numbers and the target is not 0, the prediction is right when
``|prediction - target| / |target| <= 0.05`` (5 % inclusive). Otherwise (text, or a target of 0)
the two must be equal ignoring case. A question scores its best over its targets (ChartQA has one).

The prediction is taken as the model gave it (pix2struct and lmms-eval do not strip it);
VLMEvalKit strips both strings first: ``convention: vlmevalkit``.
"""

from __future__ import annotations

from typing import Sequence

MAX_RELATIVE_CHANGE = 0.05
CONVENTIONS = ("official", "lmms-eval", "vlmevalkit")  # lmms-eval: the same rule (chartqa/utils.py)


def to_number(text: str) -> float | None:
    """pix2struct's ``_to_float``."""
    try:
        if text.endswith("%"):
            return float(text.rstrip("%")) / 100.0
        return float(text)
    except ValueError:
        return None


def relaxed_correct(target: str, prediction: str, max_relative_change: float = MAX_RELATIVE_CHANGE) -> bool:
    predicted, wanted = to_number(prediction), to_number(target)
    if predicted is not None and wanted:
        return abs(predicted - wanted) / abs(wanted) <= max_relative_change
    return prediction.lower() == target.lower()


def relaxed_question(prediction: str, targets: Sequence[str], convention: str = "official") -> float:
    """1.0 when the prediction is relaxed-correct for one of the targets, else 0.0."""
    if convention == "vlmevalkit":
        prediction, targets = prediction.strip(), [t.strip() for t in targets]
    return 1.0 if any(relaxed_correct(t, prediction) for t in targets) else 0.0

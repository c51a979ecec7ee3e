"""OCRBench's own scoring rule (Yuliang-Liu/MultimodalOCR ``OCRBench/example.py``).

A question is right when one of its answers is a substring of the prediction after both are
normalised: ``lower()``, ``strip()``, newlines as spaces; for the HME100k questions (handwritten
mathematical expressions) the comparison keeps case and drops every space instead
(``strip()``, newlines as spaces, then spaces removed). The answers field is a list or one string.

``accuracy`` is the share of the questions actually scored that are right (the official script
prints "Final Score(Total 1000)" only for a complete run of 1000 questions: a complete run's
accuracy x 1000 is that score); ``accuracy_<type>`` the same per question type.

Peers (named conventions, never the default): lmms-eval (``ocrbench/utils.py``) lower-cases the
prediction before the HME100k rule too and divides the number right by 1000; VLMEvalKit
(``vlmeval/dataset/utils/ocrbench.py``) divides it by 10 for a score out of 100. Both divide by
the full benchmark's size whatever the number of questions answered: ``accuracy`` under
``convention: lmms-eval`` or ``vlmevalkit`` is right / 1000.
"""

from __future__ import annotations

from typing import Sequence

HME_DATASET = "HME100k"
FULL_SIZE = 1000
CONVENTIONS = ("official", "lmms-eval", "vlmevalkit")


def _plain(text: str) -> str:
    return text.lower().strip().replace("\n", " ")


def _expression(text: str) -> str:
    return text.strip().replace("\n", " ").replace(" ", "")


def ocrbench_correct(prediction: str, answers: Sequence[str], dataset_name: str, convention: str = "official") -> bool:
    if dataset_name == HME_DATASET:
        if convention == "lmms-eval":  # lmms-eval lower-cases the prediction before any rule
            prediction = prediction.lower().strip()
        return any(_expression(a) in _expression(prediction) for a in answers)
    return any(_plain(a) in _plain(prediction) for a in answers)


def ocrbench_divisor(scored: int, convention: str = "official") -> int:
    """How many questions the number right is divided by."""
    return scored if convention == "official" else FULL_SIZE

"""Yes/no benchmarks: POPE and MME, as their own evaluation scripts score them.

POPE (``evaluate.py`` of github.com/AoiDragon/POPE, also LLaVA's ``llava/eval/eval_pope.py``):
an answer keeps the text before its first ``.``, loses its commas, is split on single spaces, and
reads "no" when one of the words is exactly ``No``, ``not`` or ``no``, else "yes" (so ``""``,
``"NO"`` and ``"Nope"`` read "yes"). "yes" is the positive class; ``yes_ratio`` is the share of
"yes" *predictions*. Metrics: ``accuracy``, ``precision``, ``recall``, ``f1``, ``yes_ratio``
(0-1). The script divides by zero when no answer reads "yes"; here precision (and f1) are 0.

MME (``eval_tool/calculation.py`` of the MME release, BradyFU/Awesome-Multimodal-Large-Language-
Models ``tools/eval_tool.zip``): an answer is lower-cased; "yes"/"no" as such, else its first four
characters are searched for "yes", then "no"; otherwise it is "other" (always wrong). Per
category: acc = right answers / questions, acc+ = images whose two answers are both right /
images (an image with fewer than two questions scored never counts), score ``mme_<category>`` = (acc + acc+) x 100 (max 200). ``perception`` sums the ten
perception categories (max 2000), ``cognition`` the four cognition ones (max 800): MME's native
scale, as CIDEr keeps its own.

Peers' readings are named conventions (never the default), see :data:`POPE_CONVENTIONS` and
:data:`MME_CONVENTIONS`; docs/protocols.md gives their files and commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

YES, NO, OTHER = "yes", "no", "other"
OFFICIAL = "official"
PERCEPTION = ("existence", "count", "position", "color", "posters", "celebrity", "scene", "landmark", "artwork", "OCR")
COGNITION = ("commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning")


# ---- reading an answer ---------------------------------------------------------------------------

def pope_reading(answer: str) -> str:
    """POPE's evaluate.py: "no" when a word of the first sentence is exactly No / not / no, else "yes"."""
    text = answer.split(".")[0] if "." in answer else answer
    words = text.replace(",", "").split(" ")
    return NO if any(word in ("No", "not", "no") for word in words) else YES


def lmms_eval_pope_reading(answer: str) -> str:
    """lmms-eval's pope/utils.py: the lower-cased, stripped answer must be exactly "yes" or "no"."""
    text = answer.lower().strip()
    return text if text in (YES, NO) else OTHER


def mme_reading(answer: str) -> str:
    """MME's calculation.py: lower-case; "yes"/"no" as such, else "yes" then "no" looked up in
    the first four characters; else "other"."""
    text = answer.lower()
    if text in (YES, NO):
        return text
    prefix = text[:4]
    if YES in prefix:
        return YES
    if NO in prefix:
        return NO
    return OTHER


def lmms_eval_mme_reading(answer: str) -> str:
    """lmms-eval's mme/utils.py (from Otter): lower-cased, stripped, '.' removed; a single "y" /
    "n" counts; else MME's four-character rule."""
    text = answer.lower().strip().replace(".", "")
    if text in (YES, NO):
        return text
    if len(text) == 1:
        return {"y": YES, "n": NO}.get(text, OTHER)
    prefix = text[:4]
    return YES if YES in prefix else NO if NO in prefix else OTHER


@dataclass(frozen=True)
class PopeConvention:
    """How one harness reads a POPE answer and where its yes_ratio comes from."""

    reading: Callable[[str], str]
    yes_ratio_from_labels: bool = False
    source: str = ""


POPE_CONVENTIONS: dict[str, PopeConvention] = {
    OFFICIAL: PopeConvention(pope_reading, False, "POPE evaluate.py"),
    "lmms-eval": PopeConvention(lmms_eval_pope_reading, True, "lmms-eval lmms_eval/tasks/pope/utils.py"),
}
MME_CONVENTIONS: dict[str, Callable[[str], str]] = {
    OFFICIAL: mme_reading,
    "lmms-eval": lmms_eval_mme_reading,
}


def pick(conventions: Mapping[str, object], name: str, what: str) -> object:
    """The named convention, or a UserError listing those that exist."""
    if name not in conventions:
        from mmbench.errors import UserError

        raise UserError(f"{what}: unknown convention {name!r} (known: {', '.join(conventions)}); "
                        f"the default {OFFICIAL!r} is the benchmark's own scorer")
    return conventions[name]


# ---- POPE ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PopeResult:
    metrics: dict[str, float]
    readings: dict[str, str]  # sample id -> "yes" / "no" (/ "other" under lmms-eval)


def pope_scores(predictions: Mapping[str, str], labels: Mapping[str, str], convention: str = OFFICIAL) -> PopeResult:
    """POPE's metrics over the questions in ``labels`` (id -> "yes"/"no", any case)."""
    rules = pick(POPE_CONVENTIONS, convention, "POPE")
    assert isinstance(rules, PopeConvention)
    readings = {qid: rules.reading(predictions[qid]) for qid in labels}
    gold = {qid: label.strip().lower() for qid, label in labels.items()}
    tp = sum(1 for q in gold if gold[q] == YES and readings[q] == YES)
    fp = sum(1 for q in gold if gold[q] != YES and readings[q] == YES)
    fn = sum(1 for q in gold if gold[q] == YES and readings[q] == NO)
    right = sum(1 for q in gold if readings[q] == gold[q])
    n = len(gold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    yes_source = gold if rules.yes_ratio_from_labels else readings
    yes_ratio = sum(1 for v in yes_source.values() if v == YES) / n if n else 0.0
    metrics = {"accuracy": right / n if n else 0.0, "precision": precision, "recall": recall, "f1": f1,
               "yes_ratio": yes_ratio}
    return PopeResult(metrics, readings)


# ---- MME -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MmeQuestion:
    id: str
    category: str
    image: str  # the image's file name within its category: acc+ pairs the questions of one image
    answer: str  # "Yes" / "No"


@dataclass(frozen=True)
class MmeResult:
    metrics: dict[str, float]
    readings: dict[str, str]
    other: dict[str, int]  # per category: answers read as "other"


def mme_scores(predictions: Mapping[str, str], questions: Sequence[MmeQuestion], convention: str = OFFICIAL) -> MmeResult:
    """``mme_<category>`` (acc + acc+, x100), ``perception`` and ``cognition`` (sums over the
    categories present)."""
    reading = pick(MME_CONVENTIONS, convention, "MME")
    assert callable(reading)
    readings = {q.id: reading(predictions[q.id]) for q in questions}
    by_category: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    other: dict[str, int] = defaultdict(int)
    for q in questions:
        by_category[q.category][q.image].append(readings[q.id] == q.answer.strip().lower())
        other[q.category] += readings[q.id] == OTHER
    metrics: dict[str, float] = {}
    for category, images in by_category.items():
        answers = [ok for pair in images.values() for ok in pair]
        acc = sum(answers) / len(answers)
        acc_plus = sum(1 for pair in images.values() if len(pair) == 2 and all(pair)) / len(images)
        metrics[f"mme_{category_suffix(category)}"] = (acc + acc_plus) * 100
    metrics["perception"] = sum(metrics.get(f"mme_{category_suffix(c)}", 0.0) for c in PERCEPTION)
    metrics["cognition"] = sum(metrics.get(f"mme_{category_suffix(c)}", 0.0) for c in COGNITION)
    return MmeResult(metrics, readings, dict(other))


def category_suffix(category: str) -> str:
    """``OCR`` -> ``ocr``, ``code_reasoning`` as is: the metric-name form of an MME category."""
    return re.sub(r"[^0-9A-Za-z]+", "_", category).strip("_").lower()

"""Yes/no benchmarks: ``yes_no`` (POPE's scoring) and ``mme`` (MME's acc + acc+ per category);
the rules are in :mod:`mmbench.metrics.yes_no`. Every sample's record shows how its answer was
read (``reading``: yes / no / other).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mmbench.metrics.yes_no import MME_CONVENTIONS, POPE_CONVENTIONS, MmeQuestion, category_suffix, mme_scores, pope_scores
from mmbench.tasks.short_answer import ShortAnswerTask
from mmbench.types import Sample


class YesNoTask(ShortAnswerTask):
    """Yes/no questions scored as POPE's evaluate.py does: accuracy, precision, recall, F1, yes ratio."""

    type_name = "yes_no"
    metric_names = ("accuracy", "precision", "recall", "f1", "yes_ratio")
    main_metric = "f1"
    conventions = tuple(POPE_CONVENTIONS)

    def score_answers(self, samples: list[Sample], predictions: dict[str, str],
                      convention: str) -> tuple[dict[str, float], dict[str, dict[str, Any]], dict[str, str]]:
        labels = {s.id: s.texts[0] for s in samples}
        result = pope_scores(predictions, labels, convention)
        per_sample = {s.id: {"reading": result.readings[s.id],
                             "metrics": {"accuracy": float(result.readings[s.id] == labels[s.id].strip().lower())}}
                      for s in samples}
        notes = {}
        others = sum(1 for r in result.readings.values() if r == "other")
        if others:
            notes["unread"] = f"{others} of {len(samples)} answers were neither exactly yes nor no ({convention}): scored wrong"
        return result.metrics, per_sample, notes


class MmeTask(ShortAnswerTask):
    """MME: yes/no question pairs per image; acc + acc+ per category, perception and cognition sums."""

    type_name = "mme"
    metric_names = ("perception", "cognition")
    main_metric = "perception"
    conventions = tuple(MME_CONVENTIONS)

    def score_answers(self, samples: list[Sample], predictions: dict[str, str],
                      convention: str) -> tuple[dict[str, float], dict[str, dict[str, Any]], dict[str, str]]:
        questions = [MmeQuestion(s.id, str(s.meta["category"]), str(s.meta["image_name"]), s.texts[0]) for s in samples]
        result = mme_scores(predictions, questions, convention)
        per_sample = {q.id: {"category": q.category, "reading": result.readings[q.id],
                             "metrics": {"accuracy": float(result.readings[q.id] == q.answer.strip().lower())}}
                      for q in questions}
        notes = {}
        other = {category_suffix(c): n for c, n in result.other.items() if n}
        if other:
            notes["unread"] = ("answers read as 'other' (neither yes nor no; scored wrong), per category: "
                               + ", ".join(f"{c} {n}" for c, n in sorted(other.items())))
        per_image = Counter((q.category, q.image) for q in questions)
        unpaired = [key for key, n in per_image.items() if n != 2]
        if unpaired:
            notes["pairs"] = f"{len(unpaired)} images have not both their questions scored: acc+ counts them as not both right"
        return result.metrics, per_sample, notes

"""Documents, charts and OCR: ``document_qa`` (ANLS: DocVQA, InfographicVQA), ``chartqa`` (relaxed
accuracy, per subset) and ``ocrbench`` (OCRBench's substring rule, per question type). The rules
are in :mod:`mmbench.metrics.anls`, :mod:`mmbench.metrics.relaxed` and :mod:`mmbench.metrics.ocrbench`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mmbench.metrics import anls, ocrbench, relaxed
from mmbench.tasks.short_answer import ShortAnswerTask
from mmbench.types import Sample

Scored = tuple[dict[str, float], dict[str, dict[str, Any]], dict[str, str]]


class AnlsTask(ShortAnswerTask):
    """Answer questions about document images; ANLS as the official DocVQA/RRC script computes it."""

    type_name = "document_qa"
    metric_names = ("anls",)
    main_metric = "anls"
    conventions = ("official", "lmms-eval", "vlmevalkit")  # both peers compute the official ANLS

    def score_answers(self, samples: list[Sample], predictions: dict[str, str], convention: str) -> Scored:
        scores = {s.id: anls.anls_question(predictions[s.id], s.texts) for s in samples}
        return {"anls": _mean(list(scores.values()))}, {i: {"metrics": {"anls": v}} for i, v in scores.items()}, {}


class ChartQaTask(ShortAnswerTask):
    """Chart questions; pix2struct's relaxed accuracy overall and per subset (human, augmented)."""

    type_name = "chartqa"
    metric_names = ("relaxed_accuracy", "relaxed_accuracy_human", "relaxed_accuracy_augmented")
    main_metric = "relaxed_accuracy"
    conventions = relaxed.CONVENTIONS

    def score_answers(self, samples: list[Sample], predictions: dict[str, str], convention: str) -> Scored:
        scores = {s.id: relaxed.relaxed_question(predictions[s.id], s.texts, convention) for s in samples}
        by_subset: dict[str, list[float]] = defaultdict(list)
        for s in samples:
            by_subset[str(s.meta.get("subset", ""))].append(scores[s.id])
        metrics = {"relaxed_accuracy": _mean(list(scores.values()))}
        metrics.update({f"relaxed_accuracy_{subset}": _mean(values) for subset, values in by_subset.items() if subset})
        per_sample = {s.id: {"subset": s.meta.get("subset"), "metrics": {"relaxed_accuracy": scores[s.id]}} for s in samples}
        return metrics, per_sample, {}


class OcrBenchTask(ShortAnswerTask):
    """OCRBench: a reference found in the normalised answer (HME100k: case kept, spaces dropped)."""

    type_name = "ocrbench"
    metric_names = ("accuracy",)
    main_metric = "accuracy"
    conventions = ocrbench.CONVENTIONS

    def score_answers(self, samples: list[Sample], predictions: dict[str, str], convention: str) -> Scored:
        from mmbench.tasks.captioning import subset_suffix

        right = {s.id: float(ocrbench.ocrbench_correct(predictions[s.id], s.texts, str(s.meta["dataset_name"]), convention))
                 for s in samples}
        metrics = {"accuracy": sum(right.values()) / ocrbench.ocrbench_divisor(len(samples), convention) if samples else 0.0}
        by_type: dict[str, list[float]] = defaultdict(list)
        for s in samples:
            by_type[str(s.meta["type"])].append(right[s.id])
        for kind, values in by_type.items():
            metrics[f"accuracy_{subset_suffix(kind)}"] = _mean(values)
        per_sample = {s.id: {"dataset_name": s.meta["dataset_name"], "type": s.meta["type"],
                             "metrics": {"accuracy": right[s.id]}} for s in samples}
        notes = {}
        if convention != "official":
            notes["divisor"] = f"accuracy = right / {ocrbench.FULL_SIZE} whatever the number of questions scored ({len(samples)})"
        return metrics, per_sample, notes


def _mean(values: list[float]) -> float:
    return float(sum(values)) / len(values) if values else 0.0

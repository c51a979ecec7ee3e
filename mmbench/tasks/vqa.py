"""VQA: answer each question about its image; the 10-answer VQA accuracy
(see :mod:`mmbench.metrics.vqa`). A task without answers (test-dev) writes the EvalAI
submission file instead of scoring.

Metric options: ``scoring`` ``vqa`` (default: the 10-answer accuracy, ``normalization``
standard | official | evalai | vizwiz) or ``exact_match`` (one gold answer, GQA: see
:mod:`mmbench.metrics.gqa`, ``normalization`` gqa | exact); ``breakdowns``: sample meta keys
whose values split the accuracy into ``accuracy_<value>`` (non-alphanumerics as ``_``:
``accuracy_yes_no``, ``accuracy_not_answerable``, ``accuracy_query``). Without ``breakdowns``
the 10-answer scoring reports the VQAv2 answer types (yes/no, number, other).
"""

from __future__ import annotations

from typing import Sequence

from mmbench.errors import UserError
from mmbench.tasks.base import Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.types import Capability, Sample


class VqaTask(TaskType):
    """Answer a question per image; VQA accuracy overall and per answer type."""

    type_name = "vqa"
    required = frozenset({Capability.GENERATE})
    metric_names = ("accuracy", "accuracy_yes_no", "accuracy_number", "accuracy_other")
    main_metric = "accuracy"

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        if "answers" in outputs:
            return []
        return [self.generation_stage("answers")]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        answers = outputs["answers"]
        predictions = {self.samples[i].id: answers[i] for i in self.kept(skipped)}
        if self.spec.output.get("submission") == "evalai":
            return self._submission(predictions, skipped)
        kept = [self.samples[i] for i in self.kept(skipped)]
        scoring = self.spec.metrics.get("scoring", "vqa")
        if scoring == "vqa":
            metrics, per_question = self._vqa_scores(kept, predictions)
        elif scoring == "exact_match":
            from mmbench.metrics.gqa import exact_match_accuracy

            per_question = exact_match_accuracy(predictions, {s.id: s.texts[0] for s in kept if s.texts},
                                                self.spec.metrics.get("normalization", "gqa"))
            metrics = {"accuracy": _mean(list(per_question.values()))}
        else:
            raise UserError(f"{self.spec.source}: metrics.scoring must be vqa or exact_match, not {scoring!r}")
        breakdowns = list(self.spec.metrics.get("breakdowns") or [])
        if breakdowns:
            metrics = {"accuracy": metrics["accuracy"], **breakdown_metrics(kept, per_question, breakdowns)}
        shown = ("answer_type", "question_type", *breakdowns)
        records = [
            {"id": s.id, "question": s.meta.get("question", ""), "prediction": predictions[s.id], "answers": list(s.texts),
             **{key: s.meta.get(key) for key in dict.fromkeys(shown) if key in s.meta},
             "metrics": {"accuracy": per_question[s.id]}}
            for s in kept
        ] + self.skipped_records(skipped)
        return TaskScore(metrics, records, skipped_note(len(skipped), len(self.samples)))

    def _vqa_scores(self, kept: list[Sample], predictions: dict[str, str]) -> tuple[dict[str, float], dict[str, float]]:
        from mmbench.metrics.vqa import VqaQuestion, vqa_accuracy

        questions = [
            VqaQuestion(question_id=s.id, answers=tuple(s.texts), answer_type=str(s.meta.get("answer_type") or ""),
                        question_type=str(s.meta.get("question_type") or ""))
            for s in kept
        ]
        normalization = self.spec.metrics.get("normalization", "standard")
        result = vqa_accuracy(predictions, questions, normalization=normalization)
        return dict(result.metrics), dict(result.per_question)

    def _submission(self, predictions: dict[str, str], skipped: frozenset[str]) -> TaskScore:
        """EvalAI format: every question, an empty answer where the model gave none."""
        rows = [{"question_id": _as_int(s.id), "answer": predictions.get(s.id, "")} for s in self.samples]
        records = [{"id": s.id, "question": s.meta.get("question", ""), "prediction": predictions[s.id]}
                   for s in self.samples if s.id in predictions] + self.skipped_records(skipped)
        notes = {"submission": "no answers in this split: predictions written to the EvalAI submission file"}
        notes.update(skipped_note(len(skipped), len(self.samples)))
        return TaskScore({}, records, notes, artifacts={"submission.json": rows})


def breakdown_metrics(samples: Sequence[Sample], per_question: dict[str, float], keys: Sequence[str]) -> dict[str, float]:
    """``accuracy_<value>``: the mean accuracy of the samples whose ``meta[key]`` is that value, for each key."""
    from mmbench.tasks.captioning import subset_ids, subset_suffix

    metrics: dict[str, float] = {}
    for key in keys:
        for value, ids in subset_ids(samples, key).items():
            name = f"accuracy_{subset_suffix(value)}"
            if name in metrics:
                raise UserError(f"metrics.breakdowns {list(keys)}: two groups are both named {name}")
            metrics[name] = _mean([per_question[i] for i in ids])
    return metrics


def _mean(values: list[float]) -> float:
    return float(sum(values)) / len(values) if values else 0.0


def _as_int(text: str) -> int | str:
    return int(text) if text.isdigit() else text

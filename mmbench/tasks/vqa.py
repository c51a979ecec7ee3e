"""VQA: answer each question about its image; the 10-answer VQA accuracy
(see :mod:`mmbench.metrics.vqa`). A task without answers (test-dev) writes the EvalAI
submission file instead of scoring."""

from __future__ import annotations

from typing import Any, Sequence

from mmbench.tasks.base import Outputs, Stage, TaskScore, TaskType, register_task_type, skipped_note
from mmbench.types import Capability, Sample


@register_task_type
class VqaTask(TaskType):
    """Answer a question per image; VQA accuracy overall and per answer type."""

    type_name = "vqa"
    required = frozenset({Capability.GENERATE})
    metric_names = ("accuracy", "accuracy_yes_no", "accuracy_number", "accuracy_other")
    main_metric = "accuracy"

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        if "answers" in outputs:
            return []
        cfg = self.generation

        def step(model: Any, batch: Any, items: Sequence[Sample]) -> list[str]:
            return model.generate(batch, [self.prompt_for(s, model.prompt_style) for s in items], cfg)

        return [Stage("answers", "images", self.samples, step, generative=True)]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        answers = outputs["answers"]
        predictions = {self.samples[i].id: answers[i] for i in self.kept(skipped)}
        if self.spec.output.get("submission") == "evalai":
            return self._submission(predictions, skipped)
        from mmbench.metrics.vqa import VqaQuestion, vqa_accuracy

        kept = [self.samples[i] for i in self.kept(skipped)]
        questions = [
            VqaQuestion(question_id=s.id, answers=tuple(s.texts), answer_type=str(s.meta.get("answer_type", "other")),
                        question_type=str(s.meta.get("question_type", "")))
            for s in kept
        ]
        normalization = self.spec.metrics.get("normalization", "standard")
        result = vqa_accuracy(predictions, questions, normalization=normalization)
        records = [
            {"id": s.id, "question": s.meta.get("question", ""), "prediction": predictions[s.id], "answers": list(s.texts),
             "answer_type": s.meta.get("answer_type"), "question_type": s.meta.get("question_type"),
             "metrics": {"accuracy": result.per_question[s.id]}}
            for s in kept
        ] + self.skipped_records(skipped)
        return TaskScore(dict(result.metrics), records, skipped_note(len(skipped), len(self.samples)))

    def _submission(self, predictions: dict[str, str], skipped: frozenset[str]) -> TaskScore:
        """EvalAI format: every question, an empty answer where the model gave none."""
        rows = [{"question_id": _as_int(s.id), "answer": predictions.get(s.id, "")} for s in self.samples]
        records = [{"id": s.id, "question": s.meta.get("question", ""), "prediction": predictions[s.id]}
                   for s in self.samples if s.id in predictions] + self.skipped_records(skipped)
        notes = {"submission": "no answers in this split: predictions written to the EvalAI submission file"}
        notes.update(skipped_note(len(skipped), len(self.samples)))
        return TaskScore({}, records, notes, artifacts={"submission.json": rows})


def _as_int(text: str) -> int | str:
    return int(text) if text.isdigit() else text

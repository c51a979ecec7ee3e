"""Base of the task types that generate one short answer per sample and score it with a
benchmark's own rule (yes/no, documents, charts, OCR): one generative stage, a scorer per type.

Metric options (the task file's ``metrics:``, or ``--metric-arg convention=...`` on ``run`` and
``score --task``: :mod:`mmbench.tasks.metric_options`): ``convention`` names whose reading of the answers
is used: ``official`` (the default: the benchmark's own scorer) or a peer harness's, among those
the type lists in ``conventions`` (docs/protocols.md says how each differs). The convention is
recorded in the result's task arguments (``compare`` refuses to pair runs whose metric options
differ unless ``--allow-mismatch``); one other than ``official`` is also named in ``metric_notes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mmbench.errors import UserError
from mmbench.tasks.metric_options import MetricOption
from mmbench.tasks.base import Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.types import Capability, Sample

OFFICIAL = "official"


def convention_option(conventions: tuple[str, ...]) -> dict[str, MetricOption]:
    """The ``convention`` metric option a short-answer type declares, with the readings it offers."""
    return {"convention": MetricOption(f"whose reading of the answers: {OFFICIAL} (the benchmark's own scorer) "
                                       f"or a peer's", conventions)}


class ShortAnswerTask(TaskType):
    """Generate an answer per sample; subclasses score the answers (:meth:`score_answers`)."""

    required = frozenset({Capability.GENERATE})
    text_stage = "answers"  # `mmbench score --task` fills this stage from a prediction file
    conventions: ClassVar[tuple[str, ...]] = (OFFICIAL,)

    metric_options = convention_option(conventions)  # each type redeclares it with its own conventions

    @classmethod
    def metric_option_problems(cls, metrics: Mapping[str, Any]) -> list[str]:
        """Problems with the metric options (the task file's ``metrics:`` with ``--metric-arg``
        merged in; :func:`mmbench.tasks.metric_options.apply_metric_args` calls this before anything loads)."""
        problems = [f"unknown metric option {key!r} for task type {cls.type_name} (known: {', '.join(cls.metric_options)})"
                    for key in metrics if key not in cls.metric_options]
        convention = metrics.get("convention", OFFICIAL)
        if convention not in cls.conventions:
            problems.append(f"convention {convention!r} is not offered for task type {cls.type_name} "
                            f"(known: {', '.join(cls.conventions)}; {OFFICIAL} is the benchmark's own scorer)")
        return problems

    @property
    def convention(self) -> str:
        problems = self.metric_option_problems(self.spec.metrics)
        if problems:
            raise UserError(f"{self.spec.source or self.spec.name}: {problems[0]}")
        return str(self.spec.metrics.get("convention", OFFICIAL))

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        if "answers" in outputs:
            return []
        return [self.generation_stage("answers")]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        convention = self.convention
        answers = outputs["answers"]
        kept = [self.samples[i] for i in self.kept(skipped)]
        predictions = {self.samples[i].id: str(answers[i]) for i in self.kept(skipped)}
        scored, judged_fields, judged_metrics, judged_notes = self.judged_answers(outputs, skipped, predictions)
        metrics, per_sample, notes = self.score_answers(kept, scored, convention)
        metrics.update(judged_metrics)
        notes.update(judged_notes)
        records = [{"id": s.id, "question": s.meta.get("question", ""), "prediction": predictions[s.id],
                    "answers": list(s.texts), **per_sample[s.id], **judged_fields.get(s.id, {})}
                   for s in kept] + self.skipped_records(skipped)
        if convention != OFFICIAL:
            notes["convention"] = (f"scored with {convention}'s convention, not the benchmark's own scorer "
                                   f"(docs/protocols.md: {self.type_name})")
        notes.update(skipped_note(len(skipped), len(self.samples)))
        return TaskScore(metrics, records, notes)

    def judged_answers(self, outputs: Outputs, skipped: frozenset[str], predictions: dict[str, str]
                       ) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, float], dict[str, str]]:
        """(the answers to score, extra record fields by id, extra metrics, notes): the generated
        answers as they are; a type with a judge fallback swaps in the judge's readable answers."""
        return predictions, {}, {}, {}

    def score_answers(self, samples: list[Sample], predictions: dict[str, str],
                      convention: str) -> tuple[dict[str, float], dict[str, dict[str, Any]], dict[str, str]]:
        """(metrics, per-sample record fields by id (each with its ``metrics``), notes)."""
        raise NotImplementedError

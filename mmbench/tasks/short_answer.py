"""Base of the task types that generate one short answer per sample and score it with a
benchmark's own rule (yes/no, documents, charts, OCR): one generative stage, a scorer per type.

Metric options (the task file's ``metrics:``, or ``--metric-arg convention=...`` on ``run`` and
``score --task``: :mod:`mmbench.metric_options`): ``convention`` names whose reading of the answers
is used: ``official`` (the default: the benchmark's own scorer) or a peer harness's, among those
the type lists in ``conventions`` (docs/protocols.md says how each differs). The convention is
recorded in the result's task arguments (``compare`` refuses to pair runs whose metric options
differ unless ``--allow-mismatch``); one other than ``official`` is also named in ``metric_notes``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mmbench.errors import UserError
from mmbench.metric_options import MetricOption
from mmbench.tasks.base import Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.types import Capability, Sample

OFFICIAL = "official"


class ShortAnswerTask(TaskType):
    """Generate an answer per sample; subclasses score the answers (:meth:`score_answers`)."""

    required = frozenset({Capability.GENERATE})
    conventions: ClassVar[tuple[str, ...]] = (OFFICIAL,)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.metric_options = {"convention": MetricOption(
            f"whose reading of the answers: {OFFICIAL} (the benchmark's own scorer) or a peer's", cls.conventions)}

    @classmethod
    def task_file_option_problems(cls, metrics: dict[str, Any], where: str) -> list[str]:
        """Problems with a task file's ``metrics:`` (``--metric-arg`` values are checked by
        :func:`mmbench.metric_options.apply_metric_args`), found before any model loads."""
        problems = [f"{where}: unknown metric option {key!r} for task type {cls.type_name} "
                    f"(known: {', '.join(cls.metric_options)})" for key in metrics if key not in cls.metric_options]
        convention = metrics.get("convention", OFFICIAL)
        if convention not in cls.conventions:
            problems.append(f"{where}: convention {convention!r} is not offered for task type {cls.type_name} "
                            f"(known: {', '.join(cls.conventions)}; {OFFICIAL} is the benchmark's own scorer)")
        return problems

    @property
    def convention(self) -> str:
        problems = self.task_file_option_problems(self.spec.metrics, self.spec.source or self.spec.name)
        if problems:
            raise UserError(problems[0])
        return str(self.spec.metrics.get("convention", OFFICIAL))

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        return [] if "answers" in outputs else [self.generation_stage("answers")]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        convention = self.convention
        answers = outputs["answers"]
        kept = [self.samples[i] for i in self.kept(skipped)]
        predictions = {self.samples[i].id: str(answers[i]) for i in self.kept(skipped)}
        metrics, per_sample, notes = self.score_answers(kept, predictions, convention)
        records = [{"id": s.id, "question": s.meta.get("question", ""), "prediction": predictions[s.id],
                    "answers": list(s.texts), **per_sample[s.id]} for s in kept] + self.skipped_records(skipped)
        if convention != OFFICIAL:
            notes["convention"] = (f"scored with {convention}'s convention, not the benchmark's own scorer "
                                   f"(docs/protocols.md: {self.type_name})")
        notes.update(skipped_note(len(skipped), len(self.samples)))
        return TaskScore(metrics, records, notes)

    def score_answers(self, samples: list[Sample], predictions: dict[str, str],
                      convention: str) -> tuple[dict[str, float], dict[str, dict[str, Any]], dict[str, str]]:
        """(metrics, per-sample record fields by id (each with its ``metrics``), notes)."""
        raise NotImplementedError

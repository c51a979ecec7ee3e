"""Yes/no benchmarks: ``yes_no`` (POPE's scoring) and ``mme`` (MME's acc + acc+ per category);
the rules are in :mod:`mmbench.metrics.yes_no`. Every sample's record shows how its answer was
read (``reading``: yes / no / other).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from mmbench.conversation import text_part
from mmbench.errors import UserError
from mmbench.metrics.yes_no import (
    MME_CONVENTIONS,
    NO,
    POPE_CONVENTIONS,
    YES,
    MmeQuestion,
    category_suffix,
    mme_scores,
    pope_scores,
)
from mmbench.tasks.base import ConversationItem, Outputs, Stage
from mmbench.tasks.metric_options import MetricOption
from mmbench.tasks.short_answer import ShortAnswerTask, convention_option
from mmbench.types import GenerationConfig, Sample

JUDGE_PROMPT_VERSION = "mmbench-yes-no-judge-v1"
#: the judge's question for an answer the convention reads as neither yes nor no
JUDGE_PROMPT = ("A model answered a yes/no question in free text. Decide whether its answer means yes or no.\n"
                "Question: {question}\nThe model's answer: {answer}\n"
                "Reply with yes or no only, or unclear if the answer means neither.")
JUDGE_MAX_TOKENS = 4


def yes_no_options(conventions: tuple[str, ...]) -> dict[str, MetricOption]:
    return {**convention_option(conventions),
            "judge_unmapped": MetricOption("ask the --judge model whether an answer the rules read as neither yes nor no "
                                           "means yes or no (judged counts those it read)", kind="bool")}


class _JudgeFallback(ShortAnswerTask):
    """Yes/no types with the opt-in judge fallback (``--metric-arg judge_unmapped=true``): answers
    the convention's rule reads as neither yes nor no go to the ``--judge`` model; its reply is read
    by the same rule and, when it is yes or no, scored instead. The notes keep counting what the rule
    could not read; ``judged`` counts what the judge mapped; records say ``reading_rule: judge``."""

    judge_prompt_version = JUDGE_PROMPT_VERSION

    @classmethod
    def uses_judge(cls, metrics: Mapping[str, Any]) -> bool:
        return bool(metrics.get("judge_unmapped"))

    def reading(self) -> Callable[[str], str]:
        """The convention's yes / no / other reading of one answer."""
        raise NotImplementedError

    def _unread(self, outputs: Outputs, skipped: frozenset[str]) -> list[int]:
        read = self.reading()
        return [i for i in self.kept(skipped) if read(str(outputs["answers"][i])) not in (YES, NO)]

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        if "answers" not in outputs:
            return [self.generation_stage("answers")]
        if self.uses_judge(self.spec.metrics) and "judge" not in outputs:
            return [self._judge_stage(self._unread(outputs, skipped), outputs)]
        return []

    def _judge_stage(self, indices: Sequence[int], outputs: Outputs) -> Stage:
        template = str(self.spec.metrics.get("judge_prompt") or JUDGE_PROMPT)
        items = [ConversationItem(self.samples[i].id, [{"role": "user", "content": [text_part(template.format(
                     question=self.samples[i].meta.get("question", ""), answer=str(outputs["answers"][i])))]}])
                 for i in indices]
        cfg = GenerationConfig(max_new_tokens=JUDGE_MAX_TOKENS)

        def step(judge: Any, conversations: Any, batch: Sequence[Any]) -> list[str]:
            return judge.generate(list(conversations), cfg)

        return Stage("judge", "conversations", items, step, generative=True, model="judge")

    def judged_answers(self, outputs: Outputs, skipped: frozenset[str], predictions: dict[str, str]
                       ) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, float], dict[str, str]]:
        if not self.uses_judge(self.spec.metrics):
            return predictions, {}, {}, {}
        if "judge" not in outputs:
            raise UserError(f"{self.spec.name}: judge_unmapped needs a judge, which only `mmbench run --judge SPEC` calls; "
                            "score without judge_unmapped here")
        read = self.reading()
        scored, fields = dict(predictions), {}
        for i, reply in zip(self._unread(outputs, skipped), outputs["judge"]):
            sample_id, verdict = self.samples[i].id, str(reply)
            mapped = read(verdict) in (YES, NO)
            fields[sample_id] = {"judge": verdict, "reading_rule": "judge" if mapped else None}
            if mapped:
                scored[sample_id] = verdict
        judged = sum(1 for f in fields.values() if f["reading_rule"] == "judge")
        note = (f"{len(fields)} answers the rule ({self.convention}) read as neither yes nor no went to the judge; it read "
                f"{judged} of them as yes or no (records: reading_rule judge), the rest are scored wrong")
        return scored, fields, {"judged": float(judged)}, {"judged": note}


class YesNoTask(_JudgeFallback):
    """Yes/no questions scored as POPE's evaluate.py does: accuracy, precision, recall, F1, yes ratio."""

    type_name = "yes_no"
    metric_names = ("accuracy", "precision", "recall", "f1", "yes_ratio")
    main_metric = "f1"
    conventions = tuple(POPE_CONVENTIONS)
    metric_options = yes_no_options(conventions)

    def reading(self) -> Callable[[str], str]:
        return POPE_CONVENTIONS[self.convention].reading

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


class MmeTask(_JudgeFallback):
    """MME: yes/no question pairs per image; acc + acc+ per category, perception and cognition sums."""

    type_name = "mme"
    metric_names = ("perception", "cognition")
    main_metric = "perception"
    conventions = tuple(MME_CONVENTIONS)
    metric_options = yes_no_options(conventions)

    def reading(self) -> Callable[[str], str]:
        return MME_CONVENTIONS[self.convention]

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

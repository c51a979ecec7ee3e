"""Multiple choice by likelihood (metric option ``mode: likelihood``): the option most likely after the prompt.

For each multiple-choice sample the stage ``option_logprobs_<target>`` asks
``model.score_continuations`` (capability ``score_continuations``) for the sum of the
log-probabilities of each option's continuation after the sample's prompt: its letter
(``likelihood_target: letter``, default) or its text (``text``). Outputs: one array per sample, in
letter order. The choice is the largest (the first of equals); no answer is read. Open questions
are generated and read as in generate mode (:func:`mmbench.tasks.multiple_choice.score_choices`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from mmbench.errors import DataError, UserError
from mmbench.tasks.base import ConversationItem, Outputs, Stage, TaskScore, skipped_note
from mmbench.types import Capability, Sample

#: the multiple-choice task (typed loosely: this module may not import mmbench.tasks.multiple_choice)
MultipleChoiceTask = Any


def likelihood_required(metrics: Mapping[str, Any]) -> frozenset[Capability]:
    """The capabilities of mode=likelihood (open questions, if any, are still generated), else empty."""
    if metrics.get("mode", "generate") == "likelihood":
        return frozenset({Capability.SCORE_CONTINUATIONS, Capability.GENERATE})
    return frozenset()


def likelihood_problems(metrics: Mapping[str, Any]) -> list[str]:
    """``mode`` and ``likelihood_target`` checked, and options that read answers refused in likelihood mode."""
    problems = []
    mode = metrics.get("mode", "generate")
    if mode not in ("generate", "likelihood"):
        problems.append(f"metrics.mode must be generate or likelihood, not {mode!r}")
    scored = metrics.get("likelihood_target", "letter")
    if scored not in ("letter", "text"):
        problems.append(f"metrics.likelihood_target must be letter or text, not {scored!r}")
    if mode == "likelihood":
        clash = [key for key, default in (("judge_unmapped", False), ("unparsed", "wrong")) if metrics.get(key, default) != default]
        if clash:
            problems.append(f"mode=likelihood reads no answers, so {' and '.join(clash)} cannot apply; leave "
                            f"{'them' if len(clash) > 1 else 'it'} out")
    return problems


def target(task: MultipleChoiceTask) -> str:
    return str(task.spec.metrics.get("likelihood_target", "letter"))


def stage_name(task: MultipleChoiceTask) -> str:
    """The stage's name names its target, so stored letter and text scores never mix."""
    return f"option_logprobs_{target(task)}"


def continuations(task: MultipleChoiceTask, sample: Sample) -> list[str]:
    """What is scored per option, in letter order: the letters, or the option texts."""
    options = task.options_of(sample)
    return list(options) if target(task) == "letter" else list(options.values())


def likelihood_stage(task: MultipleChoiceTask, samples: Sequence[Sample]) -> Stage:
    """``model.score_continuations`` over each sample's conversation and its options' continuations."""
    items = [ConversationItem(s.id, task.conversation_for(s)) for s in samples]
    wanted = {s.id: continuations(task, s) for s in samples}

    def step(model: Any, conversations: Any, batch: Sequence[ConversationItem]) -> list[list[float]]:
        return model.score_continuations(list(conversations), [wanted[item.id] for item in batch])

    return Stage(stage_name(task), "conversations", items, step)


def score_likelihood(task: MultipleChoiceTask, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
    """Records and metrics of a likelihood run (metrics as :func:`choice_metrics` computes them)."""
    is_open = task.is_open_question
    name = stage_name(task)
    choice = [s for s in task.samples if not is_open(s)]
    free = [s for s in task.samples if is_open(s)]
    if (choice and name not in outputs) or (free and "answers" not in outputs):
        raise UserError(f"{task.spec.name}: mode=likelihood scores the options with the model (`mmbench run`); "
                        "text predictions cannot be scored this way: leave out mode=likelihood")
    logprobs = dict(zip((s.id for s in choice), outputs.get(name, [])))
    answers = dict(zip((s.id for s in free), outputs.get("answers", [])))
    kept = [s for s in task.samples if s.id not in skipped]
    open_records, notes = task.score_open([s for s in kept if is_open(s)], {k: str(v) for k, v in answers.items()},
                                        task.spec.metrics)
    by_id = {r["id"]: r for r in open_records}
    for sample in kept:
        if not is_open(sample):
            by_id[sample.id] = likelihood_record(sample, task.options_of(sample), [float(x) for x in logprobs[sample.id]],
                                                 target(task))
    metrics = task.metrics_of(kept, by_id, list(task.spec.metrics.get("breakdowns") or []))
    notes.update(skipped_note(len(skipped), len(task.samples)))
    return TaskScore(metrics, [by_id[s.id] for s in kept] + task.skipped_records(skipped), notes)


def likelihood_record(sample: Sample, options: Mapping[str, str], logprobs: Sequence[float], scored: str) -> dict[str, Any]:
    """One multiple-choice sample's record (``options``: letter -> text): ``option_logprobs`` (letter -> sum of the continuation's
    token log-probabilities), the chosen letter (the largest; the first of equals), rule ``likelihood``."""
    if len(logprobs) != len(options):
        raise DataError(f"sample {sample.id}: {len(logprobs)} option scores for {len(options)} options")
    scores = dict(zip(options, logprobs))
    best = max(scores.values())
    choice = next(letter for letter, value in scores.items() if value == best)
    gold = sample.texts[0] if sample.texts else ""
    record: dict[str, Any] = {"id": sample.id, "question": sample.meta.get("question", ""), "options": options,
                              "answer": gold, "choice": choice, "option_logprobs": scores, "likelihood_target": scored,
                              "extraction_rule": "likelihood", "extraction_failed": False,
                              "generation": None}  # nothing generated: the run's generation settings do not apply
    for key in ("question_type", "circular_group", "category", "l2-category", "l2_category", "subject", "domain"):
        if key in sample.meta:
            record[key] = sample.meta[key]
    record["metrics"] = {"accuracy": float(choice == gold)}
    return record

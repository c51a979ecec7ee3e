"""Multiple choice: the model answers in free text; a named rule chain reads the option it chose.

Samples (every reader of a multiple-choice benchmark produces them): ``texts = (gold,)``, the gold
option letter (or, for an open question, the gold answer text); ``meta``:

- ``question`` (str), ``hint`` (str, "" when none: MMBench's hint, ScienceQA's context),
  ``options`` (tuple of option texts, lettered A, B, C ... in order; empty for an open question),
  ``question_type`` (``multiple-choice`` or ``open``; default multiple-choice);
- ``circular_group`` (MMBench CircularEval): the index of the original question; a question's
  copies share it, the original row has ``id == circular_group``;
- any breakdown field (``category``, ``l2-category``, ``subject``, ``domain`` ...).

Prompt (the task file's ``prompt`` mapping): ``instruction`` / ``plain`` templates with the
fields ``{question}``, ``{options}`` (one line per option, each formatted by the mapping's
``option`` template, default ``"{letter}. {text}"``), ``{context}`` (the mapping's ``context``
template, default ``"{hint}\\n"``, when the sample has a hint; else empty) and every string
field of the sample's meta. Open questions use ``instruction_open`` / ``plain_open`` when given.

Scoring (metric options, ``metrics:`` in the task file or ``--metric-arg``):

- ``parser: vlmevalkit`` (default): :mod:`mmbench.extraction.choice` (VLMEvalKit's exact matching
  at e8e78f0, corrected "answer is X"); open questions (RealWorldQA's free-form rows) are right
  when the prediction equals the gold after lower-casing, stripping and removing trailing
  periods (rule ``exact_match``, lmms-eval's RealWorldQA scoring). ``parser: mmmu``: :mod:`mmbench.extraction.mmmu` (MMMU's eval_utils)
  for both kinds.
- ``unparsed: wrong`` (default): an answer no rule maps scores 0. ``unparsed: random`` (parser
  mmmu only): MMMU's random fallback, one generator seeded 42 drawing in the samples' order
  (subject, then file order), rule ``random``. Either way the answer counts in
  ``extraction_failed``.
- ``mode: generate`` (default) or ``likelihood`` (with ``likelihood_target: letter | text``): the
  option most likely after the prompt, no answer read (:mod:`mmbench.tasks.mc_likelihood`).
- ``breakdowns``: sample fields whose values split the accuracy into ``accuracy_<slug>`` (slug:
  lower-case, runs of non-alphanumerics as one ``_``: "Art & Design" -> ``art_design``).

Metrics: ``accuracy`` (original rows; every row when there are no circular copies),
``accuracy_circular`` and ``accuracy_circular_<slug>`` when the data has circular copies (a
question counts only if every copy is right; the main metric then), ``extraction_failed`` (the
fraction of scored rows, copies included, that no rule mapped), ``accuracy_<slug>``.
A ``<think>...</think>`` block is removed before extraction; the record keeps the raw text as
``prediction`` and the text the rules read as ``answer_text``.
"""

from __future__ import annotations

import string
from typing import Any, Mapping, Sequence

from mmbench.conversation import Conversation, image_part, interleave, text_part, user_turn
from mmbench.errors import DataError, UserError
from mmbench.extraction import Extraction
from mmbench.tasks.mc_likelihood import likelihood_problems, likelihood_required, likelihood_stage, score_likelihood, stage_name
from mmbench.tasks.metric_options import MetricOption
from mmbench.tasks.base import Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.types import Capability, Sample

JUDGE_PROMPT_VERSION = "mmbench-choice-judge-v1"
#: the judge's question for an answer no rule maps (mmbench's own wording of VLMEvalKit's idea)
JUDGE_PROMPT = ("A model answered a multiple-choice question in free text. Decide which option its answer means.\n"
                "Question: {question}\nOptions:\n{options}\nThe model's answer: {answer}\n"
                "Reply with the option's letter only, or Z if the answer matches none of the options.")
JUDGE_MAX_TOKENS = 4
MULTIPLE_CHOICE = "multiple-choice"
OPEN = "open"
LETTERS = string.ascii_uppercase
DEFAULT_OPTION = "{letter}. {text}"
DEFAULT_CONTEXT = "{hint}\n"


def option_letters(options: Sequence[str]) -> list[str]:
    if len(options) > len(LETTERS):
        raise DataError(f"a question has {len(options)} options; at most {len(LETTERS)} can be lettered")
    return list(LETTERS[: len(options)])


def lettered(sample: Sample) -> dict[str, str]:
    """letter -> option text, in letter order."""
    options = tuple(sample.meta.get("options") or ())
    return dict(zip(option_letters(options), (str(o) for o in options)))


def is_open(sample: Sample) -> bool:
    return sample.meta.get("question_type", MULTIPLE_CHOICE) == OPEN


def free_form_correct(prediction: str, gold: str) -> bool:
    """RealWorldQA's free-form rows (lmms-eval ``realworldqa_process_results``): the prediction
    lower-cased, stripped and without trailing periods equals the stripped, lower-cased gold."""
    return prediction.lower().strip().rstrip(".") == gold.strip().lower()


class MultipleChoiceTask(TaskType):
    """Pick one of lettered options; accuracy (CircularEval where copies exist), extraction_failed."""

    type_name = "multiple_choice"
    required = frozenset({Capability.GENERATE})
    metric_names = ("accuracy", "accuracy_circular", "extraction_failed")
    main_metric = "accuracy"
    text_stage = "answers"
    metric_options = {
        "parser": MetricOption("answer reading: vlmevalkit (VLMEvalKit exact matching, corrected) or mmmu "
                               "(MMMU's eval_utils)", ("vlmevalkit", "mmmu")),
        "unparsed": MetricOption("an answer no rule reads: wrong (default) or random (MMMU's seeded fallback; "
                                 "parser mmmu)", ("wrong", "random")),
        "breakdowns": MetricOption("sample fields splitting the accuracy (accuracy_<value>)", kind="list"),
        "mode": MetricOption("how the chosen option is found: generate (default: the model answers, the rules read it) "
                             "or likelihood (the option most likely after the prompt; models with score_continuations)",
                             ("generate", "likelihood")),
        "likelihood_target": MetricOption("mode=likelihood: the continuation scored per option, its letter (default) or "
                                          "its text", ("letter", "text")),
        "judge_unmapped": MetricOption("ask the --judge model which option an answer no rule maps means "
                                       "(VLMEvalKit's fallback; extraction_failed still counts them, judged those it mapped)",
                                       kind="bool"),
    }
    #: what mc_likelihood uses of this module (it cannot import it: no import circles)
    options_of = staticmethod(lambda sample: lettered(sample))
    is_open_question = staticmethod(lambda sample: is_open(sample))
    score_open = staticmethod(lambda samples, predictions, options: score_choices(samples, predictions, options))
    metrics_of = staticmethod(lambda samples, records, breakdowns: choice_metrics(samples, records, breakdowns))
    #: the built-in prompt of ``judge_unmapped`` (a task file may replace it: metrics.judge_prompt + judge_prompt_version)
    judge_prompt_version = JUDGE_PROMPT_VERSION

    @classmethod
    def uses_judge(cls, metrics: Mapping[str, Any]) -> bool:
        return bool(metrics.get("judge_unmapped"))

    @classmethod
    def required_for(cls, metrics: Mapping[str, Any]) -> frozenset[Capability]:
        return likelihood_required(metrics) or cls.required

    @classmethod
    def main_metric_for(cls, metrics: Mapping[str, Any]) -> str:
        return "accuracy_circular" if "accuracy_circular" in metrics else "accuracy"

    @classmethod
    def metric_option_problems(cls, metrics: Mapping[str, Any]) -> list[str]:
        problems = []
        parser = metrics.get("parser", "vlmevalkit")
        if parser not in ("vlmevalkit", "mmmu"):
            problems.append(f"metrics.parser must be vlmevalkit or mmmu, not {parser!r}")
        unparsed = metrics.get("unparsed", "wrong")
        if unparsed not in ("wrong", "random"):
            problems.append(f"metrics.unparsed must be wrong or random, not {unparsed!r}")
        elif unparsed == "random" and parser != "mmmu":
            problems.append("unparsed=random is MMMU's fallback and needs parser=mmmu (this task reads answers with "
                            f"{parser}, whose reference scores unread answers as wrong)")
        problems += likelihood_problems(metrics)
        return problems

    # ---- prompts -----------------------------------------------------------------------------------
    def _prompt_part(self, key: str, default: str) -> str:
        prompt = self.spec.prompt
        value = prompt.get(key) if isinstance(prompt, dict) else None
        return str(value) if value is not None else default

    def prompt_for(self, sample: Sample, style: str = "instruction") -> str:
        option = self._prompt_part("option", DEFAULT_OPTION)
        lines = [option.format(letter=letter, text=text) for letter, text in lettered(sample).items()]
        hint = str(sample.meta.get("hint") or "")
        fields = {k: v for k, v in sample.meta.items() if isinstance(v, (str, int, float))}
        fields["options"] = "\n".join(lines)
        fields["context"] = self._prompt_part("context", DEFAULT_CONTEXT).format(hint=hint) if hint else ""
        template = self.prompt_template(style)
        if is_open(sample):
            template = self._open_template(style) or template
        try:
            return template.format(**fields)
        except (KeyError, IndexError) as e:
            raise UserError(f"{self.spec.source}: prompt template {template!r} refers to {e}, which sample {sample.id} lacks") from None

    def _open_template(self, style: str) -> str | None:
        prompt = self.spec.prompt
        if not isinstance(prompt, dict):
            return None
        value = prompt.get(f"{style}_open", prompt.get("default_open"))
        return str(value) if value is not None else None

    # ---- conversations -----------------------------------------------------------------------------
    def conversation_for(self, sample: Sample) -> Conversation:
        """One user turn: the images, then the prompt (:func:`mmbench.conversation.user_turn`); for a
        sample whose reader marks ``interleave`` (MMMU) the images stand where the prompt names them
        (``<image n>``, :func:`mmbench.conversation.interleave`), images it never names first."""
        text = self.prompt_for(sample, self.prompt_style)
        if not sample.meta.get("interleave"):
            return user_turn(sample.images, text, self.spec.system or None)
        try:
            parts = interleave(text, sample.images)
        except ValueError as e:
            raise DataError(f"sample {sample.id}: {e}") from None
        named = {id(part["image"]) for part in parts if part["type"] == "image"}
        content = [image_part(image) for image in sample.images if id(image) not in named] + parts
        conversation: Conversation = [{"role": "system", "content": [text_part(self.spec.system)]}] if self.spec.system else []
        conversation.append({"role": "user", "content": content})
        return conversation

    # ---- stages ------------------------------------------------------------------------------------
    def _likelihood(self) -> bool:
        return self.spec.metrics.get("mode", "generate") == "likelihood"

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        if self._likelihood():
            stages = []
            choice = [s for s in self.samples if not is_open(s)]
            free = [s for s in self.samples if is_open(s)]
            if choice and stage_name(self) not in outputs:
                stages.append(likelihood_stage(self, choice))
            if free and "answers" not in outputs:
                stages.append(self.generation_stage("answers", free))
            return stages
        if "answers" not in outputs:
            return [self.generation_stage("answers")]
        if self.spec.metrics.get("judge_unmapped") and "judge" not in outputs:
            return [self._judge_stage(self._unmapped(outputs, skipped), outputs)]
        return []

    def _unmapped(self, outputs: Outputs, skipped: frozenset[str]) -> list[int]:
        """Indices of multiple-choice samples whose answer no rule maps (what the judge is asked about)."""
        from mmbench.extraction.think import has_think, strip_think

        parser = self.spec.metrics.get("parser", "vlmevalkit")
        unmapped = []
        for i in self.kept(skipped):
            sample, raw = self.samples[i], str(outputs["answers"][i])
            text = strip_think(raw) if has_think(raw) else raw
            if not is_open(sample) and _read_choice(text, lettered(sample), parser).failed:
                unmapped.append(i)
        return unmapped

    def _judge_stage(self, indices: Sequence[int], outputs: Outputs) -> Stage:
        from mmbench.tasks.base import ConversationItem
        from mmbench.types import GenerationConfig

        template = str(self.spec.metrics.get("judge_prompt") or JUDGE_PROMPT)
        items = []
        for i in indices:
            sample = self.samples[i]
            options = "\n".join(f"{letter}. {text}" for letter, text in lettered(sample).items())
            text = template.format(question=sample.meta.get("question", ""), options=options, answer=str(outputs["answers"][i]))
            items.append(ConversationItem(sample.id, [{"role": "user", "content": [text_part(text)]}]))
        cfg = GenerationConfig(max_new_tokens=JUDGE_MAX_TOKENS)

        def step(judge: Any, conversations: Any, batch: Sequence[Any]) -> list[str]:
            return judge.generate(list(conversations), cfg)

        return Stage("judge", "conversations", items, step, generative=True, model="judge")

    # ---- scoring -----------------------------------------------------------------------------------
    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        if self._likelihood():
            return score_likelihood(self, outputs, skipped)
        answers = outputs["answers"]
        kept = [self.samples[i] for i in self.kept(skipped)]
        predictions = {self.samples[i].id: str(answers[i]) for i in self.kept(skipped)}
        judged = None
        if self.spec.metrics.get("judge_unmapped") and "judge" not in outputs:
            raise UserError(f"{self.spec.name}: judge_unmapped needs a judge, which only `mmbench run --judge SPEC` calls; "
                            "score without judge_unmapped here")
        if self.spec.metrics.get("judge_unmapped"):
            unmapped = self._unmapped(outputs, skipped)
            judged = {self.samples[i].id: str(out) for i, out in zip(unmapped, outputs["judge"])}
        records, notes = score_choices(kept, predictions, self.spec.metrics, judged)
        metrics = choice_metrics(kept, {r["id"]: r for r in records}, list(self.spec.metrics.get("breakdowns") or []))
        if judged is not None:
            metrics["judged"] = float(sum(1 for r in records if r.get("extraction_rule") == "judge"))
        notes.update(skipped_note(len(skipped), len(self.samples)))
        return TaskScore(metrics, records + self.skipped_records(skipped), notes)


def score_choices(samples: Sequence[Sample], predictions: Mapping[str, str], options: Mapping[str, Any],
                  judged: Mapping[str, str] | None = None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One record per sample, in sample order: what was read, by which rule, and whether it is right.
    ``judged``: sample id -> the judge's answer for answers no rule maps (``judge_unmapped``); the
    judge's answer is read by the same rules over the options and ``Z`` (none of them)."""
    from mmbench.extraction.think import has_think, strip_think

    parser = options.get("parser", "vlmevalkit")
    fallback = None
    if options.get("unparsed", "wrong") == "random":
        from mmbench.extraction.mmmu import MmmuRandom

        fallback = MmmuRandom()
    records = []
    drawn = 0
    for sample in samples:
        raw = predictions[sample.id]
        text = strip_think(raw) if has_think(raw) else raw
        gold = sample.texts[0] if sample.texts else ""
        record: dict[str, Any] = {"id": sample.id, "question": sample.meta.get("question", ""), "prediction": raw}
        if text != raw:
            record["answer_text"] = text
        if is_open(sample):
            correct, read, rule = _score_open(text, gold, parser)
            record.update({"answer": gold, "read": read, "extraction_rule": rule, "extraction_failed": False})
        else:
            options_by_letter = lettered(sample)
            found = _read_choice(text, options_by_letter, parser)
            choice = found.choice
            if found.failed and judged is not None and sample.id in judged:
                verdict = read_judge_choice(judged[sample.id], options_by_letter)
                record["judge_output"] = judged[sample.id]
                if verdict is not None:
                    choice = verdict
                    found = Extraction(None, "judge")  # still an extraction failure of the rules: counted as such
            if found.failed and choice is None and fallback is not None:
                choice, drawn = fallback.choice(list(options_by_letter)), drawn + 1
            correct = choice is not None and choice == gold
            record.update({"options": options_by_letter, "answer": gold, "choice": choice,
                           "extraction_rule": found.rule if not found.failed else ("judge" if found.rule == "judge" else
                                                                                    "random" if choice else None),
                           "extraction_failed": found.failed})
        for key in ("question_type", "circular_group", "category", "l2-category", "l2_category", "subject", "domain"):
            if key in sample.meta:
                record[key] = sample.meta[key]
        record["metrics"] = {"accuracy": float(correct)}
        records.append(record)
    notes = {}
    failed = sum(1 for r in records if r["extraction_failed"])
    if failed:
        how = (f"{drawn} of them answered by MMMU's random fallback (unparsed=random, seed 42)" if fallback is not None
               else "scored as wrong")
        notes["extraction_failed"] = f"{failed} of {len(records)} answers matched no extraction rule: {how}"
    return records, notes


def read_judge_choice(answer: str, options: Mapping[str, str]) -> str | None:
    """The option letter a judge answered (``Z``: none of them, scored wrong), or None when its
    answer is not one letter of the options or Z after stripping spaces and a trailing period."""
    letter = answer.strip().rstrip(".").strip().upper()
    return letter if letter in options or letter == "Z" else None


def _read_choice(text: str, options: Mapping[str, str], parser: str) -> Extraction:
    if parser == "mmmu":
        from mmbench.extraction.mmmu import parse_multi_choice

        return parse_multi_choice(text, options)
    from mmbench.extraction.choice import read_choice

    return read_choice(text, options)


def _score_open(text: str, gold: str, parser: str) -> tuple[bool, Any, str]:
    if parser == "mmmu":
        from mmbench.extraction.mmmu import eval_open, gold_answers, parse_open

        parsed = parse_open(text)
        return eval_open(gold_answers(gold), parsed), parsed, "open"
    return free_form_correct(text, gold), text.lower().strip().rstrip("."), "exact_match"


def choice_metrics(samples: Sequence[Sample], records: Mapping[str, Mapping[str, Any]], breakdowns: Sequence[str]) -> dict[str, float]:
    """accuracy (originals), accuracy_circular where copies exist, extraction_failed, per-group accuracies."""
    from mmbench.tasks.captioning import subset_suffix

    correct = {s.id: records[s.id]["metrics"]["accuracy"] for s in samples}
    originals = [s for s in samples if str(s.meta.get("circular_group", s.id)) == s.id]
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(str(sample.meta.get("circular_group", sample.id)), []).append(sample)
    circular = any(len(members) > 1 for members in groups.values())
    metrics: dict[str, float] = {}
    if circular:
        group_correct = {key: float(all(correct[s.id] for s in members)) for key, members in groups.items()}
        metrics["accuracy_circular"] = _mean(list(group_correct.values()))
    metrics["accuracy"] = _mean([correct[s.id] for s in originals])
    metrics["extraction_failed"] = _mean([float(records[s.id]["extraction_failed"]) for s in samples])
    leaders = {key: members[0] for key, members in groups.items()}  # a group's fields: its first row's (the original)
    for key in breakdowns:
        values: dict[str, list[Sample]] = {}
        for sample in originals:
            values.setdefault(_field(sample, key), []).append(sample)
        for value, members in values.items():
            _put(metrics, f"accuracy_{subset_suffix(value)}", _mean([correct[s.id] for s in members]), breakdowns)
        if circular:
            by_value: dict[str, list[float]] = {}
            for group_key, leader in leaders.items():
                by_value.setdefault(_field(leader, key), []).append(group_correct[group_key])
            for value, hits in by_value.items():
                _put(metrics, f"accuracy_circular_{subset_suffix(value)}", _mean(hits), breakdowns)
    return metrics


def _field(sample: Sample, key: str) -> str:
    value = sample.meta.get(key)
    if value is None or value == "":
        raise DataError(f"sample {sample.id} has no {key!r} (metrics.breakdowns); check the data file or the breakdowns")
    return str(value)


def _put(metrics: dict[str, float], name: str, value: float, breakdowns: Sequence[str]) -> None:
    if name in metrics:
        raise UserError(f"metrics.breakdowns {list(breakdowns)}: two groups are both named {name}")
    metrics[name] = value


def _mean(values: list[float]) -> float:
    return float(sum(values)) / len(values) if values else 0.0

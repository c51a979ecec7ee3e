"""MathVista (``mathvista``): answers extracted by a judge model, then MathVista's own normalisation
and exact comparison; accuracy overall and per group as MathVista's ``calculate_score.py`` reports it.

The rules are those of github.com/lupantech/MathVista at commit 53d5258 (``evaluation/extract_answer.py``,
``evaluation/prompts/ext_ans.py``, ``evaluation/calculate_score.py``; docs/protocols.md "MathVista"):

Extraction (``extract_answer`` without ``--quick_extract``, the default), in this order, the rule
recorded per sample as ``extraction_rule``:

1. ``empty response``: the model's answer is ``""`` -> extraction ``""``;
2. ``response is a choice``: a ``multi_choice`` question whose answer equals one of the choices;
3. ``integer response``: ``answer_type`` integer and Python's ``int(answer)`` succeeds -> ``str(int(answer))``;
4. ``float response``: ``answer_type`` float and ``float(answer)`` succeeds -> ``str(float(answer))``;
5. ``judge``: the judge (``--judge``) is sent one user message: the demo prompt (``metrics.judge_prompt``,
   MathVista's five worked examples, stripped), a blank line, the problem's ``query``, a blank line,
   the model's answer, a blank line, ``Extracted answer: ``; its answer, stripped (MathVista's client
   strips it), is the extraction. A judge that returns nothing gives ``""`` (MathVista's client
   returns ``""`` after its retries).

Normalisation (``normalize_extracted_answer``) and comparison (``safe_equal``):

- ``multi_choice``: the extraction stripped; ``(X)`` in it -> the letter X upper-cased; a letter
  A, B, ... within the number of choices -> that choice's text; anything else -> the choice with
  the smallest Levenshtein distance to it (the first such choice). With MathVista's
  ``ignore_empty_extractions`` (``metrics.ignore_empty_extractions``, default false as in MathVista)
  an empty extraction normalises to nothing (wrong); by default it goes to the nearest choice like
  any other text, and ``extraction_empty`` counts such samples;
- ``integer``: ``str(int(float(x)))``; ``float``: ``str(round(float(x), precision))``; ``list``: the
  text as it is; a number that does not parse normalises to nothing (wrong);
- correct when the normalised extraction equals the ``answer`` string exactly.

Metrics (0-1; MathVista prints them x100): ``accuracy``; ``accuracy_<field>_<value>`` for each
field MathVista groups by (question_type, answer_type, language, source, category, task, context,
grade, skills; a problem counts in every skill it lists), the value lower-cased with runs of other
characters than letters and digits turned into ``_`` (``accuracy_task_figure_question_answering``);
``extraction_judged`` (the share of answers sent to the judge) and ``extraction_empty``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from mmbench.conversation import text_part
from mmbench.errors import UserError
from mmbench.metrics.anls import levenshtein
from mmbench.tasks.metric_options import MetricOption
from mmbench.tasks.base import ConversationItem, Outputs, Stage, TaskScore, skipped_note
from mmbench.tasks.judged import _Judged
from mmbench.types import Capability, GenerationConfig, Sample

#: the fields calculate_score.py groups accuracy by, in its order (``skills`` holds a list)
GROUP_KEYS = ("question_type", "answer_type", "language", "source", "category", "task", "context", "grade", "skills")


def rule_extraction(response: str, meta: dict[str, Any]) -> tuple[str, str] | None:
    """MathVista's extraction before the judge: (extraction, rule), or None when the judge is asked."""
    if response == "":
        return "", "empty response"
    if meta["question_type"] == "multi_choice" and response in meta["choices"]:
        return response, "response is a choice"
    if meta["answer_type"] == "integer":
        try:
            return str(int(response)), "integer response"
        except ValueError:
            pass
    if meta["answer_type"] == "float":
        try:
            return str(float(response)), "float response"
        except ValueError:
            pass
    return None


def judge_message(demo_prompt: str, query: str, response: str) -> str:
    """MathVista's ``create_test_prompt``: demo prompt (stripped), query, response, ``Extracted answer: ``."""
    return f"{demo_prompt.strip()}\n\n{query}\n\n{response}\n\nExtracted answer: "


def normalize_extraction(extraction: str, meta: dict[str, Any], ignore_empty: bool = False) -> str | None:
    """MathVista's ``normalize_extracted_answer``: the text compared with the answer, or None."""
    choices: tuple[str, ...] = meta["choices"]
    if meta["question_type"] == "multi_choice":
        text = extraction.strip()
        if ignore_empty and not text:
            return None
        letters = re.findall(r"\(([a-zA-Z])\)", text)
        if letters:
            text = letters[0].upper()
        sequence = [chr(ord("A") + i) for i in range(len(choices))]
        if text in sequence:
            return choices[sequence.index(text)]
        distances = [levenshtein(text, choice) for choice in choices]
        return choices[distances.index(min(distances))]
    try:
        if meta["answer_type"] == "integer":
            return str(int(float(extraction)))
        if meta["answer_type"] == "float":
            return str(round(float(extraction), int(meta["precision"])))
    except (ValueError, OverflowError, TypeError):
        return None
    return str(extraction)  # list


def _slug(value: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", value.lower()).strip("_") or "none"


class MathVistaTask(_Judged):
    """MathVista: the judge extracts each answer; MathVista's normalisation and exact comparison."""

    type_name = "mathvista"
    required = frozenset({Capability.GENERATE})
    metric_names = ("accuracy",)
    main_metric = "accuracy"
    needs_judge = True
    metric_options: ClassVar[Mapping[str, MetricOption]] = {"ignore_empty_extractions": MetricOption(
        "MathVista's calculate_score.py flag: an empty extraction is wrong instead of matched to the nearest choice", kind="bool")}

    def _prompt(self) -> str:
        prompt = self.spec.metrics.get("judge_prompt")
        if not isinstance(prompt, str) or not prompt.strip() or not self.spec.metrics.get("judge_prompt_version"):
            raise UserError(f"{self.spec.source}: metrics must hold judge_prompt (MathVista's demo prompt) and judge_prompt_version")
        return prompt

    def _ignore_empty(self) -> bool:
        value = self.spec.metrics.get("ignore_empty_extractions", False)
        if not isinstance(value, bool):
            raise UserError(f"{self.spec.source}: metrics.ignore_empty_extractions must be true or false, not {value!r}")
        return value

    def _unresolved(self, outputs: Outputs, kept: Sequence[int]) -> list[int]:
        return [i for i in kept if rule_extraction(str(outputs["answers"][i]), self.samples[i].meta) is None]

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        prompt = self._prompt()
        self._ignore_empty()
        if "answers" not in outputs:
            return [self.generation_stage("answers")]
        if "judge" in outputs:
            return []
        unresolved = self._unresolved(outputs, self.kept(skipped))
        if not unresolved:
            return []
        items = []
        for i in unresolved:
            s = self.samples[i]
            text = judge_message(prompt, s.meta["query"], str(outputs["answers"][i]))
            items.append(ConversationItem(s.id, [{"role": "user", "content": [text_part(text)]}]))
        cfg = GenerationConfig(max_new_tokens=int(self.spec.metrics.get("judge_max_tokens", 1024)))

        def step(judge: Any, conversations: Any, batch: Sequence[ConversationItem]) -> list[str]:
            return judge.generate(list(conversations), cfg)

        return [Stage("judge", "conversations", items, step, generative=True, model="judge")]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        ignore_empty = self._ignore_empty()
        kept = self.kept(skipped)
        judged = dict(zip(self._unresolved(outputs, kept), outputs.get("judge", [])))
        records, right, empty = [], [], 0
        for i in kept:
            s: Sample = self.samples[i]
            response = str(outputs["answers"][i])
            found = rule_extraction(response, s.meta)
            if found is None:
                raw = judged.get(i)
                extraction, rule = ("" if raw is None else str(raw).strip()), "judge"
            else:
                extraction, rule = found
            empty += not extraction.strip()
            normalized = normalize_extraction(extraction, s.meta, ignore_empty)
            correct = normalized is not None and normalized == s.texts[0]
            right.append((s, correct))
            records.append({"id": s.id, "question_type": s.meta["question_type"], "answer_type": s.meta["answer_type"],
                            "prediction": outputs["answers"][i], "extraction_rule": rule,
                            "judge_output": judged.get(i) if found is None else None, "extraction": extraction,
                            "normalized": normalized, "answer": s.texts[0], "correct": correct,
                            "metrics": {"accuracy": float(correct)}})
        metrics = {"accuracy": sum(c for _, c in right) / len(right) if right else float("nan")}
        for key in GROUP_KEYS:
            groups: dict[str, list[bool]] = {}
            for s, correct in right:
                values = s.meta[key] if key == "skills" else (s.meta[key],)
                for value in values:
                    groups.setdefault(_slug(str(value)), []).append(correct)
            for value, flags in sorted(groups.items()):
                metrics[f"accuracy_{key}_{value}"] = sum(flags) / len(flags)
        metrics["extraction_judged"] = len(judged) / len(kept) if kept else 0.0
        metrics["extraction_empty"] = empty / len(kept) if kept else 0.0
        notes = skipped_note(len(skipped), len(self.samples))
        if empty:
            what = ("count as wrong (ignore_empty_extractions)" if ignore_empty else
                    "multiple-choice ones were matched to the nearest choice, as MathVista's scorer does by default")
            notes["extraction_empty"] = f"{empty} of {len(kept)} extractions were empty: {what}"
        return TaskScore(metrics, records + self.skipped_records(skipped), notes)

"""Judged tasks: a judge model (``--judge``) grades each answer; MM-Vet (``mmvet``).

MM-Vet (github.com/yuweihao/MM-Vet, ``mm-vet_evaluator.py``): the judge receives the grading
prompt (few-shot table, versioned in the task file as ``metrics.judge_prompt``), a newline, then
``question | ground truth | prediction | `` (the ground truth with spaces around ``<AND>`` / ``<OR>``),
as one user message, and answers with at most 3 tokens; the first space-separated word of its
answer, read as a number in [0, 1], is the sample's score. An unreadable answer is asked again
once with ``metrics.judge_retry_suffix`` appended (the official evaluator's second prompt; it then
raises the temperature for up to five tries, which mmbench does not do: the judge stays greedy so
that a re-score is reproducible), and a score still unreadable counts 0.0 as the official
evaluator's last resort does, counted in ``judge_unparsed`` and marked per sample. Metrics (0-1;
MM-Vet prints them x100): ``score`` (mean over samples) and ``score_<capability>`` (mean over the
samples of that capability: rec, ocr, know, gen, spat, math).

Judge calls are stages with ``model="judge"``: they go through the prediction store under the
judge's identity, so a re-score pays nothing; the judge's spec, served model name and prompt
version are recorded in the result's ``task.judge`` and matched by ``compare``.
"""

from __future__ import annotations

from typing import Any, Sequence

from mmbench.conversation import text_part
from mmbench.errors import UserError
from mmbench.tasks.base import ConversationItem, Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.types import Capability, GenerationConfig

JUDGE_MAX_TOKENS = 3  # the official evaluator's max_tokens


def mmvet_judge_text(prompt: str, question: str, answer: str, prediction: str) -> str:
    """The official grading message: prompt, newline, ``question | ground truth | prediction | ``."""
    truth = answer.replace("<AND>", " <AND> ").replace("<OR>", " <OR> ")
    return prompt + "\n" + " | ".join([question, truth, prediction, ""])


def read_mmvet_score(content: str | None) -> float | None:
    """The first space-separated word of the judge's answer as a score in [0, 1]; None if it is not one."""
    if content is None:
        return None
    word = content.split(" ")[0].strip()
    try:
        score = float(word)
    except ValueError:
        return None
    return score if 0.0 <= score <= 1.0 else None


class _Judged(TaskType):
    def score_texts(self, texts: Sequence[str]) -> TaskScore:
        raise UserError(f"{self.spec.name} is graded by a judge model, which `mmbench score` does not call; "
                        f"run `mmbench run --task {self.spec.name} --judge SPEC` (stored answers and judgements are reused)")


class MmVetTask(_Judged):
    """MM-Vet: open answers graded 0-1 by a judge model with MM-Vet's few-shot prompt."""

    type_name = "mmvet"
    required = frozenset({Capability.GENERATE})
    metric_names = ("score",)
    main_metric = "score"
    needs_judge = True

    def _options(self) -> tuple[str, str]:
        prompt, suffix = self.spec.metrics.get("judge_prompt"), self.spec.metrics.get("judge_retry_suffix")
        if not isinstance(prompt, str) or not isinstance(suffix, str) or not self.spec.metrics.get("judge_prompt_version"):
            raise UserError(f"{self.spec.source}: metrics must hold judge_prompt, judge_retry_suffix and judge_prompt_version")
        return prompt, suffix

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        prompt, suffix = self._options()
        if "answers" not in outputs:
            return [self.generation_stage("answers")]
        kept = self.kept(skipped)
        if "judge" not in outputs:
            return [self._judge_stage("judge", kept, outputs, prompt, "")]
        if "judge_retry" not in outputs:
            unread = [i for pos, i in enumerate(kept) if read_mmvet_score(outputs["judge"][pos]) is None]
            return [self._judge_stage("judge_retry", unread, outputs, prompt, suffix)]
        return []

    def _judge_stage(self, name: str, indices: Sequence[int], outputs: Outputs, prompt: str, suffix: str) -> Stage:
        items = []
        for i in indices:
            s = self.samples[i]
            text = mmvet_judge_text(prompt, s.meta["question"], s.texts[0], str(outputs["answers"][i])) + suffix
            items.append(ConversationItem(s.id, [{"role": "user", "content": [text_part(text)]}]))
        cfg = GenerationConfig(max_new_tokens=JUDGE_MAX_TOKENS)

        def step(judge: Any, conversations: Any, batch: Sequence[ConversationItem]) -> list[str]:
            return judge.generate(list(conversations), cfg)

        return Stage(name, "conversations", items, step, generative=True, model="judge")

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        kept = self.kept(skipped)
        first = dict(zip(kept, outputs["judge"]))
        unread = [i for i in kept if read_mmvet_score(first[i]) is None]
        retried = dict(zip(unread, outputs.get("judge_retry", [])))
        records, scores, by_capability = [], [], {}
        unparsed = 0
        for i in kept:
            s = self.samples[i]
            score, rule = read_mmvet_score(first[i]), "judge"
            if score is None:
                score, rule = read_mmvet_score(retried.get(i)), "judge_retry"
            if score is None:
                score, rule = 0.0, "unparsed: 0.0 (the official evaluator's last resort)"
                unparsed += 1
            scores.append(score)
            for capability in s.meta["capability"].split(","):
                by_capability.setdefault(capability, []).append(score)
            records.append({"id": s.id, "question": s.meta["question"], "prediction": outputs["answers"][i], "answer": s.texts[0],
                            "capability": s.meta["capability"], "judge_output": first[i], "judge_retry_output": retried.get(i),
                            "score_rule": rule, "metrics": {"score": score}})
        metrics = {"score": sum(scores) / len(scores) if scores else float("nan"),
                   **{f"score_{c}": sum(v) / len(v) for c, v in sorted(by_capability.items())},
                   "judge_unparsed": unparsed / len(kept) if kept else 0.0}
        notes = skipped_note(len(skipped), len(self.samples))
        if unparsed:
            notes["judge_unparsed"] = f"{unparsed} of {len(kept)} judge answers had no score in [0, 1] after the retry prompt: counted 0.0"
        return TaskScore(metrics, records + self.skipped_records(skipped), notes)


# ---- LLaVA-Bench in-the-wild ---------------------------------------------------------------------------

def llava_bench_judge_text(context: str, question: str, reference: str, answer: str, rule: str) -> str:
    """LLaVA's review message (eval_gpt_review_bench.py): context, question, Assistant 1 (the
    reference answer), Assistant 2 (the model's answer), then the category's rule."""
    return (f"[Context]\n{context}\n\n[Question]\n{question}\n\n"
            f"[Assistant 1]\n{reference}\n\n[End of Assistant 1]\n\n"
            f"[Assistant 2]\n{answer}\n\n[End of Assistant 2]\n\n[System]\n{rule}\n\n")


def read_score_pair(review: str | None) -> tuple[float, float] | None:
    """LLaVA's ``parse_score``: the review's first line, commas as spaces, split on single spaces;
    exactly two numbers, else None (LLaVA records [-1, -1])."""
    if review is None:
        return None
    parts = review.split("\n")[0].replace(",", " ").split(" ")
    if len(parts) != 2:
        return None
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        return None


class LlavaBenchTask(_Judged):
    """LLaVA-Bench in-the-wild: the judge rates the reference and the model's answer; relative score."""

    type_name = "llava_bench"
    required = frozenset({Capability.GENERATE})
    metric_names = ("score",)
    main_metric = "score"
    needs_judge = True

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        rules, system = self.spec.metrics.get("judge_rules"), self.spec.metrics.get("judge_system")
        if not isinstance(rules, dict) or not isinstance(system, str) or not self.spec.metrics.get("judge_prompt_version"):
            raise UserError(f"{self.spec.source}: metrics must hold judge_rules (category -> rule), judge_system and judge_prompt_version")
        if "answers" not in outputs:
            return [self.generation_stage("answers")]
        if "judge" in outputs:
            return []
        items = []
        for i in self.kept(skipped):
            s = self.samples[i]
            rule = rules.get(s.meta["category"])
            if rule is None:
                raise UserError(f"{self.spec.source}: no judge rule for category {s.meta['category']!r} (sample {s.id})")
            text = llava_bench_judge_text(s.meta["context"], s.meta["question"], s.texts[0], str(outputs["answers"][i]), rule)
            items.append(ConversationItem(s.id, [{"role": "system", "content": [text_part(system)]},
                                                 {"role": "user", "content": [text_part(text)]}]))
        cfg = GenerationConfig(max_new_tokens=int(self.spec.metrics.get("judge_max_tokens", 1024)))

        def step(judge: Any, conversations: Any, batch: Sequence[ConversationItem]) -> list[str]:
            return judge.generate(list(conversations), cfg)

        return [Stage("judge", "conversations", items, step, generative=True, model="judge")]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        kept = self.kept(skipped)
        pairs: dict[str, list[tuple[float, float]]] = {"all": []}
        records, unparsed = [], 0
        for i, review in zip(kept, outputs["judge"]):
            s = self.samples[i]
            pair = read_score_pair(review)
            record = {"id": s.id, "question": s.meta["question"], "category": s.meta["category"],
                      "prediction": outputs["answers"][i], "reference": s.texts[0], "judge_output": review}
            if pair is None:
                unparsed += 1
                record["score_rule"] = "unparsed: left out of the means"
            else:
                record.update({"reference_score": pair[0], "model_score": pair[1], "score_rule": "judge"})
                pairs["all"].append(pair)
                pairs.setdefault(s.meta["category"], []).append(pair)
            records.append(record)
        metrics: dict[str, float] = {}
        for group, values in pairs.items():
            if values:
                reference = sum(p[0] for p in values) / len(values)
                model = sum(p[1] for p in values) / len(values)
                name = "score" if group == "all" else f"score_{group}"
                metrics[name] = model / reference if reference else float("nan")
        metrics["judge_unparsed"] = unparsed / len(kept) if kept else 0.0
        notes = skipped_note(len(skipped), len(self.samples))
        if unparsed:
            notes["judge_unparsed"] = (f"{unparsed} of {len(kept)} reviews had no score pair on their first line: left out "
                                       "(LLaVA's script averages them in as -1)")
        return TaskScore(metrics, records + self.skipped_records(skipped), notes)

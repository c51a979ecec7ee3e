"""VQAv2 10-answer accuracy, matching the official evaluation code (GT-Vision-Lab/VQA
``PythonEvaluationTools/vqaEvaluation/vqaEval.py``, HEAD a013f00) and lmms-eval.

Per question: the mean over the 10 leave-one-out subsets of the human answers (left out by
index) of ``min(1, matches / 3)``; by the number m of human answers equal to the prediction this
is 0, 0.3, 0.6, 0.9 and 1 for m >= 4. Overall, per answer type and per question type accuracies
are means over questions. Values are fractions in [0, 1] (the official code prints percent).

Normalisations (docs/protocols.md "VQAv2"; tables in ``mmbench/refdata/vqa_normalization_tables.json``):

- ``standard`` (default): answers and prediction are always normalised (:func:`normalize_answer`),
  as lmms-eval does. "Yes" scores against ten "yes".
- ``official``: the official script at its current head: newlines/tabs become spaces and text is
  stripped; answers and prediction are normalised only when the 10 answers are not all identical,
  so "Yes" against ten "yes" scores 0.
- ``evalai`` (TextVQA): the EvalAI answer processor of the TextVQA evaluation (m4c / mmf
  ``EvalAIAnswerProcessor``): lower-case, delete "," and "?", "'s" -> " 's", then the full
  normalisation; applied to the prediction and every answer.
- ``vizwiz``: the VizWiz-VQA evaluation: the prediction is normalised (whitespace, punctuation,
  digits/articles); the 10 answers are compared as the annotation file gives them.

Id policy: every question needs a prediction (else :class:`UserError` listing the first missing
ids, or with ``allow_missing=True`` the question scores 0 and a warning is recorded); a
prediction for a question that is not in ``questions`` is an error (the official code asserts
the same); duplicate question ids are an error.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from mmbench.errors import UserError, first_ids
from mmbench.jsonio import read_json

Normalization = Literal["standard", "official", "evalai", "vizwiz"]
NORMALIZATIONS: tuple[str, ...] = ("standard", "official", "evalai", "vizwiz")
ANSWER_TYPE_METRICS = {"yes/no": "accuracy_yes_no", "number": "accuracy_number", "other": "accuracy_other"}
TABLES_PATH = Path(__file__).resolve().parents[1] / "refdata" / "vqa_normalization_tables.json"
_PERIOD_STRIP_COUNT = 32  # the official code passes re.UNICODE (== 32) as `count` to sub()


@dataclass(frozen=True)
class VqaQuestion:
    """One annotated question: its id, the human answers (10 in VQAv2) and its types."""

    question_id: str
    answers: tuple[str, ...]
    answer_type: str
    question_type: str


@dataclass(frozen=True)
class VqaScores:
    """metrics: ``accuracy`` and ``accuracy_yes_no|number|other`` (answer types present only).
    per_question: question id -> accuracy; per_question_type / per_answer_type: type -> mean.
    warnings: what was tolerated (missing predictions with ``allow_missing``)."""

    metrics: dict[str, float]
    per_question: dict[str, float]
    per_question_type: dict[str, float]
    per_answer_type: dict[str, float]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Tables:
    contractions: dict[str, str]
    number_words: dict[str, str]
    articles: frozenset[str]
    punctuation: tuple[str, ...]
    period_strip: re.Pattern[str]
    digit_comma_digit: re.Pattern[str]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    raw = read_json(TABLES_PATH, "VQA normalisation tables")
    return _Tables(
        contractions=dict(raw["contractions"]),
        number_words=dict(raw["manualMap"]),
        articles=frozenset(raw["articles"]),
        punctuation=tuple(raw["punct"]),
        period_strip=re.compile(raw["periodStrip_pattern"]),
        digit_comma_digit=re.compile(raw["commaStrip_pattern"]),
    )


def clean_whitespace(text: str) -> str:
    """Newlines and tabs to spaces, then strip (applied to every answer by the official code)."""
    return text.replace("\n", " ").replace("\t", " ").strip()


def process_punctuation(text: str) -> str:
    """Official ``processPunctuation``: each mark is deleted when, in the *original* text, it
    touches a space or the text has digit,digit; otherwise it becomes a space. Then periods not
    followed by a digit are removed (at most 32, as the official call does)."""
    tables = _tables()
    delete_all = tables.digit_comma_digit.search(text) is not None
    out = text
    for mark in tables.punctuation:
        if delete_all or (mark + " " in text) or (" " + mark in text):
            out = out.replace(mark, "")
        else:
            out = out.replace(mark, " ")
    return tables.period_strip.sub("", out, count=_PERIOD_STRIP_COUNT)


def process_digit_article(text: str) -> str:
    """Official ``processDigitArticle``: lower-case, split on whitespace, number words to digits,
    drop a/an/the, then the contractions map, joined by single spaces."""
    tables = _tables()
    words = [tables.number_words.get(w, w) for w in text.lower().split()]
    words = [w for w in words if w not in tables.articles]
    return " ".join(tables.contractions.get(w, w) for w in words)


@lru_cache(maxsize=1 << 18)
def normalize_answer(text: str) -> str:
    """The full official normalisation: whitespace cleaning, punctuation, digits/articles."""
    return process_digit_article(process_punctuation(clean_whitespace(text)))


def evalai_normalize(text: str) -> str:
    """The EvalAI answer processor (TextVQA): its word_tokenize step, then :func:`normalize_answer`."""
    return normalize_answer(text.lower().replace(",", "").replace("?", "").replace("'s", " 's").strip())


def question_accuracy(prediction: str, answers: Sequence[str], normalization: Normalization = "standard") -> float:
    """Accuracy of one prediction against the human answers, in [0, 1]."""
    if normalization == "standard":
        pred = normalize_answer(prediction)
        gts = [normalize_answer(a) for a in answers]
    elif normalization == "evalai":
        pred = evalai_normalize(prediction)
        gts = [evalai_normalize(a) for a in answers]
    elif normalization == "vizwiz":
        pred = normalize_answer(prediction)
        gts = list(answers)
    else:
        pred = clean_whitespace(prediction)
        gts = [clean_whitespace(a) for a in answers]
        if len(set(gts)) > 1:
            pred = normalize_answer(pred)
            gts = [normalize_answer(a) for a in gts]
    matches = [gt == pred for gt in gts]
    total = sum(matches)
    per_subset = [min(1.0, float(total - left_out) / 3) for left_out in matches]  # leave one out by index
    return float(sum(per_subset)) / len(per_subset)


def vqa_accuracy(
    predictions: Mapping[str, str],
    questions: Sequence[VqaQuestion],
    normalization: Normalization = "standard",
    allow_missing: bool = False,
) -> VqaScores:
    """Score ``predictions`` (question id -> answer text) on ``questions``; see the module doc."""
    if normalization not in NORMALIZATIONS:
        raise UserError(f"unknown VQA normalization {normalization!r}: choose from {', '.join(NORMALIZATIONS)}")
    notes = _check_ids(predictions, questions, allow_missing)
    per_question: dict[str, float] = {}
    by_question_type: dict[str, list[float]] = {}
    by_answer_type: dict[str, list[float]] = {}
    for q in questions:
        prediction = predictions.get(q.question_id)
        acc = 0.0 if prediction is None else question_accuracy(prediction, q.answers, normalization)
        per_question[q.question_id] = acc
        by_question_type.setdefault(q.question_type, []).append(acc)
        by_answer_type.setdefault(q.answer_type, []).append(acc)
    per_question_type = {k: _mean(v) for k, v in by_question_type.items()}
    per_answer_type = {k: _mean(v) for k, v in by_answer_type.items()}
    metrics = {"accuracy": _mean(list(per_question.values()))}
    for answer_type, name in ANSWER_TYPE_METRICS.items():
        if answer_type in per_answer_type:
            metrics[name] = per_answer_type[answer_type]
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return VqaScores(metrics, per_question, per_question_type, per_answer_type, tuple(notes))


def _mean(values: list[float]) -> float:
    return float(sum(values)) / len(values)


def _check_ids(predictions: Mapping[str, str], questions: Sequence[VqaQuestion], allow_missing: bool) -> list[str]:
    """Validate ids and types; return warnings for what ``allow_missing`` tolerated."""
    if not questions:
        raise UserError("no questions to score: the annotations are empty")
    if not predictions:
        raise UserError("no predictions to score: the predictions are empty")
    seen: set[str] = set()
    duplicates = []
    for q in questions:
        if q.question_id in seen:
            duplicates.append(q.question_id)
        seen.add(q.question_id)
        if not q.answers:
            raise UserError(f"question {q.question_id} has no human answers")
    if duplicates:
        raise UserError(f"duplicate question ids in the annotations: {first_ids(duplicates)}")
    extra = [i for i in predictions if i not in seen]
    if extra:
        raise UserError(f"{len(extra)} prediction(s) for question ids not in the annotations: {first_ids(extra)}")
    bad = [i for i, a in predictions.items() if not isinstance(a, str)]
    if bad:
        raise UserError(f"answers must be strings; not for question ids {first_ids(bad)}")
    missing = [q.question_id for q in questions if q.question_id not in predictions]
    if missing and not allow_missing:
        raise UserError(
            f"predictions are missing {len(missing)} of {len(questions)} questions, first: {first_ids(missing)} "
            "(allow_missing / --allow-missing scores them as wrong)"
        )
    if missing:
        return [f"{len(missing)} of {len(questions)} questions have no prediction and score 0, first: {first_ids(missing)}"]
    return []


def question_key(value: Any, where: str) -> str:
    """Question ids as strings (files hold ints; ``"42"`` and ``42`` name the same question)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise UserError(f"{where}: question_id must be an integer or a non-empty string, got {value!r}")
    return str(value)

"""VQA accuracy against the official evaluation code (golden cases computed by running it, at its
head and as lmms-eval) and against a plain oracle written here from docs/protocols.md's rules."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from mmbench.errors import UserError
from mmbench.metrics.vqa import VqaQuestion, normalize_answer, question_accuracy, vqa_accuracy

GOLDEN = json.loads((Path(__file__).parent / "golden" / "vqa_three_conventions.json").read_text())
CASES = GOLDEN["cases"]
TABLES = json.loads((Path(__file__).parents[1] / "mmbench" / "refdata" / "vqa_normalization_tables.json").read_text())


def golden_questions() -> list[VqaQuestion]:
    return [VqaQuestion(str(c["question_id"]), tuple(c["gt_answers"]), c["answer_type"], c["question_type"]) for c in CASES]


def golden_predictions() -> dict[str, str]:
    return {str(c["question_id"]): c["prediction"] for c in CASES}


# --------------------------------------------------------------------------- golden (official code)


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_official_head_per_question(case: dict) -> None:
    acc = question_accuracy(case["prediction"], case["gt_answers"], "official")
    assert abs(100 * acc - case["official_head_pct"]) <= 1e-9


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_standard_equals_lmms_eval_per_question(case: dict) -> None:
    acc = question_accuracy(case["prediction"], case["gt_answers"], "standard")
    assert abs(acc - case["lmms_eval_frac"]) <= 1e-9


def test_official_head_aggregates() -> None:
    scores = vqa_accuracy(golden_predictions(), golden_questions(), normalization="official")
    expected = GOLDEN["official_head_accuracy"]
    exact_overall = sum(c["official_head_pct"] for c in CASES) / len(CASES) / 100
    assert abs(scores.metrics["accuracy"] - exact_overall) <= 1e-9
    assert round(100 * scores.metrics["accuracy"], 2) == expected["overall"]
    assert {k: round(100 * v, 2) for k, v in scores.per_question_type.items()} == expected["perQuestionType"]
    assert {k: round(100 * v, 2) for k, v in scores.per_answer_type.items()} == expected["perAnswerType"]
    by_type = {"yes/no": "accuracy_yes_no", "number": "accuracy_number", "other": "accuracy_other"}
    for answer_type, name in by_type.items():
        assert round(100 * scores.metrics[name], 2) == expected["perAnswerType"][answer_type]
    for c in CASES:
        assert abs(100 * scores.per_question[str(c["question_id"])] - c["official_head_pct"]) <= 1e-9


def test_standard_aggregate_equals_lmms_eval() -> None:
    scores = vqa_accuracy(golden_predictions(), golden_questions())  # default: standard
    assert abs(scores.metrics["accuracy"] - GOLDEN["lmms_eval_mean_exact_match"]) <= 1e-9


def test_normalize_answer_matches_evalai_processor_on_golden_predictions() -> None:
    for c in CASES:
        assert normalize_answer(c["prediction"]) == c["evalai_processor_call(pred)"], c["note"]


# --------------------------------------------------------------------------- plain oracle

ORACLE_MARKS = [";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]
ORACLE_NUMBERS = {"none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                  "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
ORACLE_ARTICLES = ["a", "an", "the"]


def oracle_clean(text: str) -> str:
    return text.replace("\n", " ").replace("\t", " ").strip()


def oracle_normalize(text: str) -> str:
    """docs/protocols.md's rules, spelled out character by character."""
    text = oracle_clean(text)
    has_digit_comma_digit = any(
        text[i] == "," and text[i - 1].isdecimal() and text[i + 1].isdecimal() for i in range(1, len(text) - 1)
    )
    delete = {}
    for mark in ORACLE_MARKS:
        touches_space = False
        for i, ch in enumerate(text):
            if ch == mark and ((i > 0 and text[i - 1] == " ") or (i + 1 < len(text) and text[i + 1] == " ")):
                touches_space = True
        delete[mark] = touches_space or has_digit_comma_digit
    out = ""
    for ch in text:
        if ch in ORACLE_MARKS:
            out += "" if delete[ch] else " "
        else:
            out += ch
    kept, removed = "", 0
    for i, ch in enumerate(out):
        followed_by_digit = i + 1 < len(out) and out[i + 1].isdecimal()
        if ch == "." and not followed_by_digit and removed < 32:
            removed += 1
            continue
        kept += ch
    words = []
    for word in kept.lower().split():
        if word in ORACLE_NUMBERS:
            word = ORACLE_NUMBERS[word]
        if word in ORACLE_ARTICLES:
            continue
        words.append(word)
    words = [TABLES["contractions"].get(w, w) for w in words]
    return " ".join(words)


def oracle_accuracy(prediction: str, answers: list[str], normalization: str) -> float:
    if normalization == "standard":
        pred, gts = oracle_normalize(prediction), [oracle_normalize(a) for a in answers]
    else:
        pred, gts = oracle_clean(prediction), [oracle_clean(a) for a in answers]
        all_same = all(g == gts[0] for g in gts)
        if not all_same:
            pred, gts = oracle_normalize(pred), [oracle_normalize(g) for g in gts]
    total = 0.0
    for left_out in range(len(gts)):
        matches = 0
        for k, gt in enumerate(gts):
            if k != left_out and gt == pred:
                matches += 1
        total += min(1.0, matches / 3)
    return total / len(gts)


PIECES = ["yes", "Yes", "no", "NO", "two", "2", "ten", "none", "0", "1,000", "1000", "3:00", "3.5", "a", "an", "The",
          "dog", "dogs", "red/white", "red", "white", "dont", "don't", "isnt", "Im", "it's", "x-ray", "(left)", "e.g.",
          "!", "?", ",", ".", "..", ";", "@home", "C++", "\\", "_", "`", "=", "<3", "\"q\"", "{b}", "[c]", "٣", "５",
          "\n", "\t", " ", "café", "NAÏVE", "1,2,3", "a.m.", "..." * 12]


def random_text(rng: random.Random) -> str:
    parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 4))]
    return rng.choice(["", " "]).join(parts) if rng.random() < 0.5 else " ".join(parts)


def test_normalize_answer_equals_oracle_on_random_text() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        text = random_text(rng)
        assert normalize_answer(text) == oracle_normalize(text), repr(text)


@pytest.mark.parametrize("normalization", ["standard", "official"])
def test_accuracy_equals_oracle_on_random_sets(normalization: str) -> None:
    rng = random.Random(11 if normalization == "standard" else 12)
    questions, predictions, expected = [], {}, {}
    for n in range(1500):
        pool = [random_text(rng) for _ in range(rng.randint(1, 4))]
        answers = [rng.choice(pool) for _ in range(10)]
        prediction = rng.choice(pool + [random_text(rng), pool[0].upper(), pool[0] + "."])
        qid = f"q{n}"
        questions.append(VqaQuestion(qid, tuple(answers), rng.choice(["yes/no", "number", "other"]), rng.choice(["what", "how many"])))
        predictions[qid] = prediction
        expected[qid] = oracle_accuracy(prediction, answers, normalization)
    scores = vqa_accuracy(predictions, questions, normalization)
    for qid, value in expected.items():
        assert abs(scores.per_question[qid] - value) <= 1e-9, qid
    assert abs(scores.metrics["accuracy"] - sum(expected.values()) / len(expected)) <= 1e-9
    for answer_type, name in [("yes/no", "accuracy_yes_no"), ("number", "accuracy_number"), ("other", "accuracy_other")]:
        ids = [q.question_id for q in questions if q.answer_type == answer_type]
        assert abs(scores.metrics[name] - sum(expected[i] for i in ids) / len(ids)) <= 1e-9
    distinct = {round(v, 9) for v in expected.values()}
    assert {0.0, 0.3, 0.6, 0.9, 1.0} <= distinct  # the random sets exercise every accuracy level


def test_accuracy_levels_by_number_of_matches() -> None:
    for m, expected in [(0, 0.0), (1, 0.3), (2, 0.6), (3, 0.9), (4, 1.0), (10, 1.0)]:
        answers = ["cat"] * m + ["dog"] * (10 - m)
        assert abs(question_accuracy("cat", answers) - expected) <= 1e-12


# --------------------------------------------------------------------------- id policy


def _qs(*ids: str) -> list[VqaQuestion]:
    return [VqaQuestion(i, ("yes",) * 10, "yes/no", "is the") for i in ids]


def test_missing_predictions_error_lists_first_ids() -> None:
    with pytest.raises(UserError, match=r"missing 7 of 8 questions, first: b, c, d, e, f \.\.\. \(2 more\)"):
        vqa_accuracy({"a": "yes"}, _qs("a", "b", "c", "d", "e", "f", "g", "h"))


def test_allow_missing_scores_zero_with_warning() -> None:
    with pytest.warns(UserWarning, match="1 of 2 questions have no prediction"):
        scores = vqa_accuracy({"a": "yes"}, _qs("a", "b"), allow_missing=True)
    assert scores.per_question == {"a": 1.0, "b": 0.0}
    assert scores.metrics["accuracy"] == 0.5
    assert len(scores.warnings) == 1


def test_extra_duplicate_and_empty_inputs_are_errors() -> None:
    with pytest.raises(UserError, match="not in the annotations: zz"):
        vqa_accuracy({"a": "yes", "zz": "no"}, _qs("a"))
    with pytest.raises(UserError, match="duplicate question ids in the annotations: a"):
        vqa_accuracy({"a": "yes"}, _qs("a", "a"))
    with pytest.raises(UserError, match="predictions are empty"):
        vqa_accuracy({}, _qs("a"))
    with pytest.raises(UserError, match="annotations are empty"):
        vqa_accuracy({"a": "yes"}, [])
    with pytest.raises(UserError, match="unknown VQA normalization"):
        vqa_accuracy({"a": "yes"}, _qs("a"), normalization="lavis")  # type: ignore[arg-type]


def test_answer_types_absent_from_the_set_are_not_reported() -> None:
    scores = vqa_accuracy({"a": "yes"}, _qs("a"))
    assert scores.metrics == {"accuracy": 1.0, "accuracy_yes_no": 1.0}

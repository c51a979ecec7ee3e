"""Answer-extraction rules (mmbench.extraction), each case written from the reference code's rules:
VLMEvalKit matching_util.py at e8e78f0 (can_infer_option / can_infer_text) and MMMU's eval_utils.py."""

from __future__ import annotations

import random

import pytest

from mmbench.extraction.choice import read_choice
from mmbench.extraction.mmmu import MmmuRandom, eval_open, gold_answers, parse_multi_choice, parse_open
from mmbench.extraction.think import strip_think

OPTIONS = {"A": "cat", "B": "dog", "C": "bird", "D": "fish"}


@pytest.mark.parametrize("answer, choice, rule", [
    ("B", "B", "letter"),
    ("(B)", "B", "letter"),
    ("B.", "B", "letter"),
    ("**B**", "B", "letter"),
    ("Answer: B", "B", "letter_token"),
    ("The answer is (C)", "C", "letter_token"),  # 4 tokens, C last
    ("The correct answer is (B)", "B", "letter_token"),  # lmms-eval #1434 read this as "T"
    ("I think it is D", "D", "letter_token"),  # 5 tokens, D is token 4 of 5: index 4 > 5 - 5
    # a lone letter early in a long answer: not a letter rule; the option text decides
    ("B is what I would pick given the image shown here", None, None),
    ("Cannot determine the answer from the image", "Z", "refusal"),
    ("Z", "Z", "letter_z"),
    ("dog", "B", "option_text"),
    ("It is a dog.", "B", "option_text"),
    ("A or B", None, None),  # two letters: no letter rule; no option text
    ("cat or dog", None, None),  # two option texts
    ("", None, None),
    ("The correct answer is **C**. The bird on the left has feathers and wings visible in the photo.", "C", "answer_is"),
    # the documented correction: VLMEvalKit's case-insensitive pattern reads "about" as A
    ("The answer is about the animal on the left side of the picture, which is hard to see.", None, None),
    ("the answer is c because the feathers in the picture show it clearly to me", None, None),  # lower-case letter: not read
])
def test_vlmevalkit_chain(answer: str, choice: str | None, rule: str | None) -> None:
    found = read_choice(answer, dict(OPTIONS))
    assert (found.choice, found.rule) == (choice, rule)


def test_api_failure_skips_the_letter_rules() -> None:
    options = {"A": "a small grey cat", "B": "a large brown dog"}  # 33 characters: answers up to 66 are read
    assert read_choice("Failed to obtain answer via API. A", options).choice is None  # the lone letter is not read
    found = read_choice("Failed to obtain answer via API: a large brown dog", options)
    assert (found.choice, found.rule) == ("B", "option_text")


def test_option_text_length_limit() -> None:
    # twice the summed option lengths (3+3+4+4 = 14 -> 28 characters) is the most text rule 5 reads
    assert read_choice("x" * 20 + " dog", OPTIONS).choice == "B"  # 24 characters
    assert read_choice("x" * 30 + " dog", OPTIONS).choice is None  # 34 characters


def test_letter_position_rule_exactly_as_reference() -> None:
    # splits.index(ch) > len(splits) - 5: with 6 tokens the letter must be at index 2 or later
    assert read_choice("so my final pick is B", OPTIONS).choice == "B"  # index 5 of 6
    assert read_choice("well B is my final pick", OPTIONS).choice is None  # index 1 of 6: 1 > 1 is false


def test_strip_think() -> None:
    assert strip_think("<think>A seems wrong, maybe C</think>\nB") == "B"
    assert strip_think("reasoning without an opening tag</think> (D)") == "(D)"
    assert strip_think("<think>never closed A B C") == ""
    raw = "<think>The answer is A?</think>The answer is B"
    assert read_choice(strip_think(raw), OPTIONS).choice == "B"


MMMU_OPTIONS = {"A": "3.5 m", "B": "7 m", "C": "10 m", "D": "none of these"}


@pytest.mark.parametrize("response, choice, rule", [
    ("(B)", "B", "bracket"),
    ("B", "B", "letter"),
    ("B.", "B", "letter"),  # stripped of '.' then padded: " B "
    ("The answer is (A), not (C).", "C", "bracket"),  # several: the last by rfind
    ("I choose A and then B", "B", "letter"),
    ("The length of the beam is 7 m in total", "B", "option_text"),  # > 5 words
    ("7 m", None, None),  # 2 words: no text matching, no letters
    ("I am not sure at all about this", None, None),
])
def test_mmmu_multi_choice(response: str, choice: str | None, rule: str | None) -> None:
    found = parse_multi_choice(response, MMMU_OPTIONS)
    assert (found.choice, found.rule) == (choice, rule)


def test_mmmu_random_fallback_is_python_random_seeded_42() -> None:
    rng = MmmuRandom()
    reference = random.Random()
    reference.seed(42)
    letters = ["A", "B", "C", "D"]
    assert [rng.choice(letters) for _ in range(5)] == [reference.choice(letters) for _ in range(5)]


def test_mmmu_open() -> None:
    assert eval_open("12", parse_open("So the total is 12."))
    assert eval_open("1,200", parse_open("the result is 1200"))  # both become the float 1200.0
    assert eval_open("3.14159", parse_open("3.14"))  # rounded to 2 places
    assert not eval_open("12", parse_open("It is 13"))
    assert eval_open("paris", parse_open("The capital is Paris"))  # gold string inside the key response
    assert eval_open(gold_answers("['24/7', '3.429']"), parse_open("about 3.429"))
    assert gold_answers("plain") == "plain"


def test_mmmu_scoring_equals_mmmu_own_code_on_its_published_outputs(golden_dir) -> None:
    """LLaVA-1.5-13B's 900 MMMU val responses (MMMU's example_outputs) scored by MMMU's own
    eval_utils (tests/golden/mmmu_llava15_13b_reference.json, computed by running that code):
    every parsed letter, every judgement, the two random draws and the accuracies match."""
    import json

    from mmbench.tasks.multiple_choice import choice_metrics, score_choices
    from mmbench.types import Sample

    rows = json.loads((golden_dir / "mmmu_llava15_13b_reference.json").read_text())["rows"]
    samples = [Sample(id=r["id"], texts=(r["answer"],),
                      meta={"question_type": r["question_type"], "options": tuple(r.get("options", ())), "subject": r["subject"]})
               for r in rows]
    predictions = {r["id"]: r["response"] for r in rows}
    records, notes = score_choices(samples, predictions, {"parser": "mmmu", "unparsed": "random"})
    for row, record in zip(rows, records):
        if row["question_type"] == "multiple-choice":
            assert record["choice"] == row["reference_choice"], row["id"]
        assert record["metrics"]["accuracy"] == float(row["reference_correct"]), row["id"]
    metrics = choice_metrics(samples, {r["id"]: r for r in records}, ["subject"])
    assert metrics["accuracy"] == pytest.approx(sum(r["reference_correct"] for r in rows) / 900)
    assert metrics["accuracy"] == pytest.approx(330 / 900)  # MMMU's code: 330 of 900 right (36.67)
    assert metrics["extraction_failed"] == pytest.approx(2 / 900) and "2 of them answered by MMMU's random" in notes["extraction_failed"]
    accounting = [r for r in rows if r["subject"] == "Accounting"]
    assert metrics["accuracy_accounting"] == pytest.approx(sum(r["reference_correct"] for r in accounting) / len(accounting))
    wrong, _ = score_choices(samples, predictions, {"parser": "mmmu"})  # the default: unread answers are wrong
    assert sum(r["extraction_rule"] is None for r in wrong) == 2

"""MMMU answers parsed and judged as MMMU's own ``mmmu/utils/eval_utils.py`` does.

Reference: github.com/MMMU-Benchmark/MMMU, ``mmmu/utils/eval_utils.py`` (head bb0b95a, May 2025):
``parse_multi_choice_response``, ``parse_open_response``, ``eval_multi_choice``, ``eval_open``.
The rules, restated (names go into the per-sample record):

Multiple choice (``options``: letter -> option text, letters A, B, ...):
  the response is stripped of the characters ``,.!?;:'`` at both ends and padded with a space on
  each side; ``bracket``: the letters written ``(X)`` in it; if none, ``letter``: the letters
  written `` X `` (space-delimited); if none and the response has more than 5 words,
  ``option_text``: the options whose text occurs in it (case-insensitive). Several candidates:
  the one occurring last (``rfind``). None: MMMU's code draws ``random.choice`` of the letters
  from its module-level generator (``random.seed(42)`` at import). Here that answer is
  ``extraction_failed`` and wrong, unless the metric option ``unparsed=random`` asks for MMMU's
  draw (see :class:`MmmuRandom`).
Open: ``parse_open_response`` (key sub-responses after "could be", "so", "is", "thus",
  "therefore", "final", "answer", "result", "=" in the last sentence; the numbers in them; each
  normalised: numbers to floats rounded to 2 places, strings lower-cased, one-character strings
  padded) and ``eval_open`` (a float equal to a gold number, or a gold string contained in a
  predicted string). An open answer always parses (rule ``open``).
"""

from __future__ import annotations

import ast
import random
import re
from typing import Mapping, Union

from mmbench.extraction import Extraction

Normalized = Union[str, float]
SEED = 42  # MMMU's eval_utils: random.seed(42) at import


class MmmuRandom:
    """MMMU's random fallback: one generator seeded 42, drawing ``choice(letters)`` for each
    unparsed multiple-choice answer in the order the answers are scored (MMMU's script: subject
    in its ``CAT_SHORT2LONG`` order, then file order). Python's ``random.Random(42)`` draws the
    same sequence as the module-level ``random.seed(42)`` MMMU uses."""

    def __init__(self, seed: int = SEED) -> None:
        self._rng = random.Random(seed)

    def choice(self, letters: list[str]) -> str:
        return self._rng.choice(letters)


def parse_multi_choice(response: str, options: Mapping[str, str]) -> Extraction:
    """The letter MMMU's ``parse_multi_choice_response`` reads, without its random fallback."""
    letters = list(options)
    for char in (",", ".", "!", "?", ";", ":", "'"):
        response = response.strip(char)
    response = f" {response} "
    rule = "bracket"
    candidates = [letter for letter in letters if f"({letter})" in response]
    if not candidates:
        rule = "letter"
        candidates = [letter for letter in letters if f" {letter} " in response]
    if not candidates and len(response.split()) > 5:
        rule = "option_text"
        candidates = [letter for letter, text in options.items() if text.lower() in response.lower()]
    if not candidates:
        return Extraction(None, None)
    if len(candidates) == 1:
        return Extraction(candidates[0], rule)
    if rule == "bracket":
        positions = [response.rfind(f"({c})") for c in candidates]
    elif rule == "letter":
        positions = [response.rfind(f" {c} ") for c in candidates]
    else:
        positions = [response.lower().rfind(options[c].lower()) for c in candidates]
    return Extraction(candidates[positions.index(max(positions))], rule)  # np.argmax: the first maximum


def check_is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def normalize_str(text: str) -> list[Normalized]:
    text = text.strip()
    if check_is_number(text):
        return [round(float(text.replace(",", "")), 2)]
    text = text.lower()
    return [" " + text, text + " "] if len(text) == 1 else [text]


_COMMAS = re.compile(r"-?\b\d{1,3}(?:,\d{3})+\b")
_SCIENTIFIC = re.compile(r"-?\d+(?:\.\d+)?[eE][+-]?\d+")
_SIMPLE = re.compile(r"-?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])")


def extract_numbers(text: str) -> list[str]:
    return _COMMAS.findall(text) + _SCIENTIFIC.findall(text) + _SIMPLE.findall(text)


_INDICATORS = ("could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ")
_TRIVIAL = (":", ",", ".", "!", "?", ";", "'")


def _key_subresponses(response: str) -> list[str]:
    response = response.strip().strip(".").lower()
    parts = re.split(r"\.\s(?=[A-Z])|\n", response)
    keys = []
    for index, part in enumerate(parts):
        indicators = _INDICATORS + (("=",) if index == len(parts) - 1 else ())
        shortest: str | None = None
        for indicator in indicators:
            if indicator in part:
                tail = part.split(indicator)[-1].strip()
                if not shortest or len(tail) < len(shortest):
                    shortest = tail
        if shortest and shortest.strip() not in _TRIVIAL:
            keys.append(shortest)
    return keys or [response]


def parse_open(response: str) -> list[Normalized]:
    """MMMU's ``parse_open_response``: the normalised candidate answers (as a sorted list here;
    MMMU returns an unordered ``list(set(...))``, which ``eval_open`` reads order-free)."""
    keys = _key_subresponses(response)
    candidates: list[str] = list(keys)
    for key in keys:
        candidates += extract_numbers(key)
    normalized: set[Normalized] = set()
    for candidate in candidates:
        normalized.update(normalize_str(candidate))
    return sorted(normalized, key=lambda v: (isinstance(v, str), str(v)))


def gold_answers(answer: str) -> list[str] | str:
    """An open question's gold: a Python list literal (``"['24/7', '3.429']"``) is a list of
    acceptable answers, read with ``ast.literal_eval`` (never ``eval``); anything else as written."""
    text = answer.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return answer
        if isinstance(value, list):
            return [str(v) for v in value]
    return answer


def eval_open(gold: list[str] | str, predicted: list[Normalized]) -> bool:
    """MMMU's ``eval_open``: a predicted string containing a gold string, or a predicted number
    equal to a gold number (both rounded to 2 places)."""
    norm_answers: list[Normalized] = []
    for answer in gold if isinstance(gold, list) else [gold]:
        norm_answers += normalize_str(answer)
    for pred in predicted:
        if isinstance(pred, str):
            if any(isinstance(a, str) and a in pred for a in norm_answers):
                return True
        elif pred in norm_answers:
            return True
    return False


def eval_multi_choice(gold: list[str] | str, predicted: str | None) -> bool:
    """MMMU's ``eval_multi_choice``: the predicted letter equals the gold (or one of a gold list)."""
    return predicted is not None and (predicted in gold if isinstance(gold, list) else predicted == gold)

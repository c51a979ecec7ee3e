"""Multiple-choice answers read as VLMEvalKit's exact matching reads them, with one correction.

Reference: VLMEvalKit ``vlmeval/utils/matching_util.py`` at commit e8e78f0 (the head of August
2026): ``can_infer(answer, choices)`` = ``can_infer_option`` then ``can_infer_text``, which its
multiple-choice evaluation calls under the ``exact_matching`` policy (no LLM judge); an answer
neither maps scores wrong. The rules, in order (each named; the name goes into the per-sample
record as ``extraction_rule``):

1. ``refusal``: the answer contains one of VLMEvalKit's refusal strings (``Cannot determine the
   answer`` ...): read as ``Z``, which is no option and scores wrong. (The string ``Failed to
   obtain answer via API`` skips rules 1-4 and goes to rule 5, as in VLMEvalKit.)
2. ``letter`` / ``letter_token``: the characters ``.()[],:;!*#{}`` become spaces and the answer is
   split on whitespace; if exactly one option letter occurs among the tokens and its first
   occurrence is among the last four tokens, that option (``letter`` when it is the only token:
   "B", "(B)", "B.", "**B**"; ``letter_token`` otherwise: "Answer: B", "The answer is (B)").
   A letter early in a longer text maps to nothing here ("A dog sits on the left" has the token
   "A" first).
3. ``letter_z``: no option letter among the tokens but a token ``Z``: read as ``Z`` (wrong).
4. ``answer_is``: "(correct) answer is X" (VLMEvalKit PR #1552, June 2026), X one of A-D and an
   option, optionally in ``**``. **Correction**: VLMEvalKit compiles this pattern
   case-insensitively, so it reads the "a" of "the answer is about ..." as option A. Here the
   words "correct answer is" match in any case but the letter only in upper case and only when
   no letter follows it. Every answer this rule maps, VLMEvalKit maps to the same letter.
5. ``option_text``: if the lower-cased answer is at most twice the summed length of the option
   texts and exactly one option's lower-cased text occurs in it, that option.

Nothing matched: no choice (``extraction_failed``), scored wrong. VLMEvalKit's debug-only branch
(``VERBOSE`` set: a lone "A" in a long answer refused as a possible article) is not reproduced:
its default run does not take it.
"""

from __future__ import annotations

import re
from typing import Mapping

from mmbench.extraction import Extraction

#: VLMEvalKit's ``reject_to_answer`` strings (substring match, case-sensitive).
REFUSALS = (
    "Sorry, I can't help with images of people yet.",
    "I can't process this file.",
    "I'm sorry, but without the image provided",
    "Cannot determine the answer",
)
API_FAILURE = "Failed to obtain answer via API"
REFUSAL_CHOICE = "Z"
_SEPARATORS = str.maketrans({c: " " for c in ".()[],:;!*#{}"})
#: the corrected "(correct) answer is X": words in any case, the letter upper-case and alone
ANSWER_IS = re.compile(r"(?i:(?:correct\s+)?answer\s+is)\s+\**([ABCD])\**(?![A-Za-z])")

RULES = ("refusal", "letter", "letter_token", "letter_z", "answer_is", "option_text")


def option_letter(answer: str, letters: list[str] | tuple[str, ...]) -> Extraction:
    """Rules 1-4 (VLMEvalKit's ``can_infer_option``, corrected): a letter read from ``answer``."""
    if API_FAILURE in answer:
        return Extraction(None, None)
    if any(refusal in answer for refusal in REFUSALS):
        return Extraction(REFUSAL_CHOICE, "refusal")
    tokens = answer.translate(_SEPARATORS).split()
    present = [letter for letter in letters if letter in tokens]
    if len(present) == 1:
        letter = present[0]
        if tokens.index(letter) > len(tokens) - 5:
            return Extraction(letter, "letter" if len(tokens) == 1 else "letter_token")
    elif not present and REFUSAL_CHOICE in tokens:
        return Extraction(REFUSAL_CHOICE, "letter_z")
    match = ANSWER_IS.search(answer)
    if match and match.group(1) in letters:
        return Extraction(match.group(1), "answer_is")
    return Extraction(None, None)


def option_text(answer: str, options: Mapping[str, str]) -> Extraction:
    """Rule 5 (VLMEvalKit's ``can_infer_text``): the one option whose text the answer contains."""
    lowered = answer.lower()
    if len(lowered) > 2 * sum(len(str(text)) for text in options.values()):
        return Extraction(None, None)
    found = [letter for letter, text in options.items() if str(text).lower() in lowered]
    return Extraction(found[0], "option_text") if len(found) == 1 else Extraction(None, None)


def read_choice(answer: str, options: Mapping[str, str]) -> Extraction:
    """The option ``answer`` names (``options``: letter -> option text, in letter order), by the
    rule chain above; ``Extraction(None, None)`` when no rule maps it."""
    answer = str(answer)
    found = option_letter(answer, list(options))
    return found if not found.failed else option_text(answer, options)

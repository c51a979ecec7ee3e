"""What the multiple-choice readers share: building a sample, lettered options, option text in a question.

Every multiple-choice reader produces samples as :mod:`mmbench.tasks.multiple_choice` reads them:
``texts = (gold letter or open answer,)``; ``meta`` with ``question``, ``hint``, ``options`` (a
tuple of option texts lettered A, B, ...), ``question_type`` and the benchmark's own fields.
"""

from __future__ import annotations

import re
import string
from typing import Any, Sequence

from mmbench.types import Sample

LETTERS = string.ascii_uppercase


def choice_sample(sample_id: str, images: Sequence[Any], gold: str, meta: dict[str, Any]) -> Sample:
    """A Sample holding ``images`` (one or several, in order) and the gold letter or answer."""
    return Sample(id=sample_id, images=tuple(images), texts=(gold,), meta=meta)


def letter_of_index(index: int, count: int, where: str) -> str:
    """Option ``index`` (0-based) of ``count`` as its letter; DataError when out of range."""
    from mmbench.errors import DataError

    if not 0 <= index < count:
        raise DataError(f"{where}: answer index {index} is not one of the {count} options")
    return LETTERS[index]


_OPTION_LINE = re.compile(r"^\s*([A-Z])\.\s+(.*\S)\s*$")


def options_from_lines(text: str) -> tuple[str, list[str]]:
    """Lettered option lines (``A. text``) in a question: (the letters, the option texts), the
    letters consecutive from A; ("", []) when the text has none."""
    letters, texts = [], []
    for line in text.splitlines():
        match = _OPTION_LINE.match(line)
        if match and match.group(1) == LETTERS[len(letters)]:
            letters.append(match.group(1))
            texts.append(match.group(2))
    return "".join(letters), texts


_INLINE = re.compile(r"(?:^|(?<=[\s,]))([A-H])[:.]\s+")


def options_inline(text: str) -> tuple[str, list[str]]:
    """MMStar's original form: ``"...?\\nOptions: A: x, B: y, C: z, D: w"``: (question without the
    options part, option texts). The letters must run A, B, C ... in order; otherwise no options."""
    head, sep, tail = text.rpartition("Options:")
    if not sep:
        return text, []
    marks = [m for m in _INLINE.finditer(tail)]
    expected = [m for i, m in enumerate(marks) if m.group(1) == LETTERS[i]] if marks else []
    if len(expected) < 2 or len(expected) != len(marks):
        return text, []
    texts = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(tail)
        texts.append(tail[mark.end():end].strip().rstrip(",").strip())
    return head.strip(), texts

"""Answer extraction: named, tested rules that map a model's free text to an answer.

Shared by the task types that read a choice or a short answer out of generated text
(``multiple_choice`` today; yes/no and document tasks may add their own rule modules here).
Each rule has a name that is written into the per-sample record, so a reader of a result can
see how every answer was read, and an answer no rule maps is reported, never guessed.

- :mod:`mmbench.extraction.think`: remove a ``<think>...</think>`` block before extraction.
- :mod:`mmbench.extraction.choice`: VLMEvalKit's exact-matching chain (``can_infer_option`` then
  ``can_infer_text``) with one documented correction.
- :mod:`mmbench.extraction.mmmu`: MMMU's own ``eval_utils`` parsing of multiple-choice and open answers.

Nothing here imports torch or numpy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extraction:
    """What a rule chain read from one answer.

    ``choice``: the option letter (``"Z"`` for a refusal, which scores wrong as in VLMEvalKit), or
    None when no rule mapped the answer. ``rule``: the name of the rule that decided (``None``
    when nothing matched)."""

    choice: str | None
    rule: str | None

    @property
    def failed(self) -> bool:
        return self.choice is None

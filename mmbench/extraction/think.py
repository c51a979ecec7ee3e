"""Models that think aloud: the ``<think>...</think>`` block is removed before extraction.

Reasoning models (DeepSeek-R1 style, Qwen3 thinking mode) write their reasoning inside
``<think>...</think>`` and the answer after it; a letter in the reasoning must not be read as the
answer. The raw text stays in the per-sample record beside the text the rules read.
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_CLOSE = re.compile(r"^.*?</think>", re.DOTALL | re.IGNORECASE)


def strip_think(text: str) -> str:
    """``text`` without its ``<think>...</think>`` blocks, stripped of surrounding whitespace.

    A closing tag without an opening one (chat templates that open the block in the prompt, so
    the model's output starts inside it) removes everything up to and including that tag. An
    opening tag that is never closed (the model ran out of tokens while thinking) leaves no
    answer: the empty string."""
    out = _BLOCK.sub("", text)
    out = _CLOSE.sub("", out)
    lower = out.lower()
    if "<think>" in lower:
        out = out[: lower.index("<think>")]
    return out.strip()


def has_think(text: str) -> bool:
    lower = text.lower()
    return "<think>" in lower or "</think>" in lower

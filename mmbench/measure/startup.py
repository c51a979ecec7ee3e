"""Cycle collection while a model-running command starts.

Importing torch and transformers, reading the task and loading a model create hundreds of
thousands of long-lived objects and almost no cyclic garbage, yet they trigger about a thousand
collections of Python's cycle collector (about 1 s of a 2-core CPU's start-up, measured with
``gc.callbacks``). ``mmbench run``, ``bench`` and ``demo`` pause the collector while they start;
the first evaluation resumes it (the prediction loop does create cyclic garbage). Library users of
:func:`mmbench.evaluate` are unaffected: nothing is paused unless the CLI did it.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collection() -> None:
    """Stop cycle collection until :func:`resume_collection` (no-op if it is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collection() -> None:
    """Collect cycles again, if :func:`pause_collection` stopped it."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()

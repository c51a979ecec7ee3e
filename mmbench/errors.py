"""Errors a user can act on. The CLI prints them as one line and exits with status 2."""

from __future__ import annotations

from collections.abc import Sequence


class UserError(Exception):
    """Bad input, missing data, unknown names: something the user can fix.

    The message is one line: what was wrong, where (file, line, sample id), what to do.
    """


class DataError(UserError):
    """A data file or image is missing, unreadable or malformed."""


class CapabilityError(UserError):
    """The model lacks a capability the task needs."""


def first_ids(ids: Sequence[str], shown: int = 5) -> str:
    """The first ``shown`` of ``ids`` for a one-line message, with how many more there are."""
    return ", ".join(ids[:shown]) + (f" ... ({len(ids) - shown} more)" if len(ids) > shown else "")

"""``id_occurrence``: sample ids numbered by occurrence, for hub copies whose rows lack a position.

With ``id_occurrence: true`` every kept row's id (after ``id_regex`` / ``id_template``, or as a
``records`` decoder gave it) gets ``/<n>`` appended, n the 0-based count of earlier kept rows with
the same id, in row order. For copies whose official ids add a position the copy does not hold:
lmms-lab/MME's ``question_id`` is shared by an image's two questions (official
``<category>/<image>/<0|1>``), lmms-lab's ChartQA rows carry only their subset (official
``human/<n>``). It assumes the copy's row order is the official files' order: the hub section's
note must say so.
"""

from __future__ import annotations

from mmbench.data.source import DataSource
from mmbench.errors import DataError


def occurrence_ids_wanted(source: DataSource) -> bool:
    """``id_occurrence``: true, false or absent (anything else is an error)."""
    value = source.get("id_occurrence", False)
    if not isinstance(value, bool):
        raise DataError(f"data.id_occurrence must be true or false, got {value!r}")
    return value


def occurrence_ids(ids: list[str]) -> list[str]:
    """``id/<n>``, n the 0-based count of earlier equal ids in the list: ``[a, a, b]`` -> ``[a/0, a/1, b/0]``."""
    seen: dict[str, int] = {}
    numbered = []
    for sample_id in ids:
        numbered.append(f"{sample_id}/{seen.get(sample_id, 0)}")
        seen[sample_id] = seen.get(sample_id, 0) + 1
    return numbered

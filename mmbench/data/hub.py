"""Hub sources: a task's data from a Hugging Face dataset instead of the official files.

A task file may carry a ``hub`` section beside ``data``: a well-known copy of the same split on
the Hugging Face hub, read by the ``hf`` format (:mod:`mmbench.data.hf_format`, one reader for
every hub copy). ``mmbench run --data hf`` (or the task name ``<task>@hf``) reads it instead of
the official files, which stay the default and the reference.

```yaml
hub:
  path: lmms-lab/VQAv2                 # the dataset id (required)
  revision: <40-hex commit>            # the pinned commit (required; a branch name is reported as unpinned)
  revision_source: "where the sha was found"
  split: validation                    # required
  columns: {id: question_id, answers: answers}   # role -> column, as format hf
  images_from: {path, revision, split, columns: {id, image}, join_column}   # optional: images joined from a second copy
  id_regex: ...                        # optional, as format hf (also id_template, id_occurrence, records, data_files, filter)
  metrics: {breakdowns: [answer_type]} # optional: the task's metrics keys this copy changes (null drops one),
                                       # for what the copy cannot support (a missing column); say why in note
  expected_count: 214354               # the copy's size
  same_samples: true                   # does the copy hold exactly the official split's samples and ids?
  note: "how the copy differs from the official files"   # required when same_samples is false; printed at every run
```

Every ``format: hf`` key is accepted (``name``, ``data_files``, ``filter``, ``classnames`` ...).
The copy is loaded through ``datasets`` into its cache (``~/.cache/huggingface/datasets``). A
local copy is used instead when ``<data root>/hub/<dataset id>`` exists (a ``save_to_disk``
folder or a download of the dataset repository at that revision): machines without network
copy it there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from mmbench.errors import UserError

HUB = "hf"  # the data-source name: --data hf, <task>@hf
SOURCES = ("official", HUB)
SEPARATOR = "@"
LOCAL_DIR = "hub"  # local copies: <data root>/hub/<dataset id>
REQUIRED = ("path", "revision", "split")
DOC_KEYS = ("revision_source", "same_samples", "note")  # documentation, not reader keys
TASK_KEYS = ("metrics",)  # merged into the task's own sections, not reader keys
_SHA = re.compile(r"[0-9a-f]{40}")


def parse_hub(raw: Any, where: str) -> dict[str, Any]:
    """The task file's ``hub`` section, checked: required keys, types, ``format`` hf."""
    if not isinstance(raw, Mapping):
        raise UserError(f"{where}: 'hub' must be a mapping (path, revision, split, columns ...)")
    missing = [key for key in REQUIRED if not raw.get(key)]
    if missing:
        raise UserError(f"{where}: the hub section lacks {', '.join(missing)} (a hub source names the dataset id, "
                        f"its pinned revision and its split)")
    joined = raw.get("images_from")
    if joined is not None and (not isinstance(joined, Mapping) or any(not joined.get(key) for key in REQUIRED)):
        raise UserError(f"{where}: hub.images_from must name the second dataset's path, revision and split")
    if raw.get("format", HUB) != HUB:
        raise UserError(f"{where}: a hub section is read by format {HUB}, not {raw['format']!r}")
    if not isinstance(raw.get("same_samples", True), bool):
        raise UserError(f"{where}: hub.same_samples must be true or false")
    if raw.get("same_samples") is False and not raw.get("note"):
        raise UserError(f"{where}: hub.same_samples is false: add hub.note saying how the copy differs")
    if raw.get("metrics") is not None and (not isinstance(raw["metrics"], Mapping) or not raw.get("note")):
        raise UserError(f"{where}: hub.metrics must be a mapping of the task's metrics keys this copy changes, "
                        f"with hub.note saying why")
    if raw.get("records") is not None and not isinstance(raw["records"], str):
        raise UserError(f"{where}: hub.records names the data format whose entries the rows are (gqa, textvqa)")
    if joined is not None and joined.get("join_column") is not None and not isinstance(joined["join_column"], str):
        raise UserError(f"{where}: hub.images_from.join_column must be a column name of the first copy")
    return {**dict(raw), "format": HUB}


def hub_metrics(metrics: Mapping[str, Any], hub: Mapping[str, Any]) -> dict[str, Any]:
    """The task's ``metrics`` section as a run on the hub copy uses it: ``hub.metrics`` merged in,
    a null value dropping the key (``{subsets: null}``: the copy has no domain column)."""
    merged = {**metrics, **(hub.get("metrics") or {})}
    return {key: value for key, value in merged.items() if value is not None}


def split_name(text: str) -> tuple[str, str | None]:
    """``"vqav2_val@hf"`` -> (``"vqav2_val"``, ``"hf"``); a name without a source -> (name, None)."""
    base, sep, source = text.rpartition(SEPARATOR)
    if not sep or not base or "/" in source or source.endswith((".yaml", ".yml")):
        return text, None
    return base, source


def with_source(task: str, source: str) -> str:
    """The task name that selects ``source`` (``official`` leaves it as it is)."""
    return task if source == "official" or split_name(task)[1] is not None else f"{task}{SEPARATOR}{source}"


def hub_data(hub: Mapping[str, Any]) -> dict[str, Any]:
    """The ``data`` mapping a run reads for a hub source: format hf, local copies under ``hub/``."""
    data = {key: value for key, value in hub.items() if key not in DOC_KEYS + TASK_KEYS}
    data.setdefault("dir", LOCAL_DIR)
    return data


def is_pinned(revision: Any) -> bool:
    return isinstance(revision, str) and _SHA.fullmatch(revision) is not None


def notes(task: str, hub: Mapping[str, Any]) -> list[str]:
    """What a user reading hub results must know: an unpinned revision, a sample set that differs."""
    lines = []
    for source in (hub, hub.get("images_from") or {}):
        if source and not is_pinned(source.get("revision")):
            lines.append(f"{task}: hub source {source['path']} at revision {source.get('revision')!r} is not pinned to a "
                         f"commit: its content may change")
    if hub.get("same_samples") is False:
        lines.append(f"{task}: hub source {hub['path']} differs from the official files: {hub['note']}")
    elif hub.get("note"):
        lines.append(f"{task}: hub source {hub['path']}: {hub['note']}")
    return lines


def describe(hub: Mapping[str, Any]) -> str:
    """One line: dataset id, revision, split."""
    revision = str(hub.get("revision"))
    shown = revision[:12] if is_pinned(revision) else f"{revision} (unpinned)"
    name = f", config {hub['name']}" if hub.get("name") else ""
    joined = f", images from {describe(hub['images_from'])}" if hub.get("images_from") else ""
    return f"{hub['path']} at {shown}{name}, split {hub['split']}{joined}"


def local_copies(hub: Mapping[str, Any], data_root: Path) -> list[Path]:
    """Where local copies of the source's datasets are looked up (the ``images_from`` one second)."""
    folders = [data_root / LOCAL_DIR / str(source["path"]) for source in (hub, hub.get("images_from")) if source]
    return list(dict.fromkeys(folders))  # one folder when both copies are configurations of one repository

"""Prediction files, as other harnesses and ``mmbench run`` write them, read for ``mmbench score``.

Three formats, each one object per item:

- COCO caption results ``[{"image_id", "caption"}]`` (pycocoevalcap's ``loadRes`` input):
  :func:`read_caption_predictions`;
- VQA answers ``[{"question_id", "answer"}]`` (the EvalAI submission format, which ``mmbench run``
  writes as ``submission.json`` for VQAv2 test-dev): :func:`read_vqa_predictions`;
- any task's predictions ``{"id", "prediction"}`` as JSONL or a JSON list (``mmbench score
  --task``): :func:`read_task_predictions`.

Ids are integers or non-empty strings, returned as strings (the sample ids of ``mmbench run``).
Every problem is one :class:`DataError` line naming the file and the entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.errors import DataError
from mmbench.jsonio import read_json


def read_caption_predictions(path: Path) -> dict[str, str]:
    """COCO results list -> image id (as str) -> caption."""
    return _read_id_value_list(path, "image_id", "caption", "caption per image")


def read_vqa_predictions(path: Path) -> dict[str, str]:
    """``[{"question_id", "answer"}]`` -> question id (as str) -> answer."""
    return _read_id_value_list(path, "question_id", "answer", "answer per question")


def _read_id_value_list(path: Path, id_key: str, value_key: str, one_per: str) -> dict[str, str]:
    data = read_json(path, "predictions file")
    expected = f'a list of {{"{id_key}", "{value_key}"}} objects'
    if not isinstance(data, list):
        raise DataError(f"{path}: expected {expected}, found a JSON {type(data).__name__}")
    if not data:
        raise DataError(f"{path}: no predictions: the list is empty")
    out: dict[str, str] = {}
    for n, row in enumerate(data):
        item_id = id_field(row, id_key, path, f"entry {n}")
        value = _str_field(row, value_key, path, n)
        if item_id in out:
            raise DataError(f"{path}: duplicate {id_key} {item_id} (entry {n}); give one {one_per}")
        out[item_id] = value
    return out


def _str_field(row: Any, key: str, path: Path, n: int) -> str:
    _check_entry(row, key, path, f"entry {n}")
    if not isinstance(row[key], str):
        raise DataError(f'{path}: entry {n}: "{key}" must be a str, got {type(row[key]).__name__}')
    return row[key]


def id_field(row: Any, key: str, path: Path, label: str) -> str:
    """``row[key]`` as a string id: an integer or a non-empty string in the file."""
    _check_entry(row, key, path, label)
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise DataError(f'{path}: {label}: "{key}" must be an integer or a non-empty string, got {value!r}')
    return str(value)


def _check_entry(row: Any, key: str, path: Path, label: str) -> None:
    if not isinstance(row, dict):
        raise DataError(f"{path}: {label} is not an object")
    if key not in row:
        raise DataError(f'{path}: {label} lacks "{key}"')


def read_task_predictions(path: Path) -> dict[str, str]:
    """``mmbench score --task``'s file: JSONL (one object per line) or a JSON list of
    ``{"id": <sample id>, "prediction": <text>}``; an id is a JSON number or string, matched by
    its string form. A duplicate id, a line that is not such an object: one DataError line."""
    if not path.is_file():
        raise DataError(f"{path}: predictions file not found")
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = read_json(path, "predictions file")
        rows = list(enumerate(data, 1)) if isinstance(data, list) else []
        label = "entry"
    else:
        import json

        rows, label = [], "line"
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as e:
                raise DataError(f"{path}: line {number} is not JSON ({e.msg}); expected one "
                                f'{{"id", "prediction"}} object per line') from None
    if not rows:
        raise DataError(f'{path}: no predictions (expected JSONL or a JSON list of {{"id", "prediction"}} objects)')
    out: dict[str, str] = {}
    for number, row in rows:
        where = f"{label} {number}"
        item_id = id_field(row, "id", path, where)
        _check_entry(row, "prediction", path, where)
        if not isinstance(row["prediction"], str):
            raise DataError(f'{path}: {where}: "prediction" must be a string, got {type(row["prediction"]).__name__}')
        if item_id in out:
            raise DataError(f"{path}: {where}: duplicate id {item_id}; give one prediction per sample")
        out[item_id] = row["prediction"]
    return out

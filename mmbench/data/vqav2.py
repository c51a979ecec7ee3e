"""VQAv2 question and annotation files + COCO-named images.

Keys: ``questions`` (default ``v2_OpenEnded_mscoco_val2014_questions.json``), ``annotations``
(default ``v2_mscoco_val2014_annotations.json``; ``null`` for test-dev, which has none),
``images`` (image folder under ``dir``; default the questions file's ``data_subtype``, e.g.
``val2014``), ``image_pattern`` (file name inside the image folder, a format string with
``{subtype}`` and ``{image_id}``; default ``COCO_{subtype}_{image_id:012d}.jpg``). The files are the
split; ``split`` is not used.

Samples: id = str(question_id); image = ``<images>/<pattern>`` relative to ``dir``, e.g.
``val2014/COCO_val2014_000000000042.jpg``; texts = the 10 human answers (empty for test-dev);
meta = {"question", "question_type", "answer_type", "image_id"} (types None for test-dev).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmbench.data.fields import check_unique, require, require_list
from mmbench.data.images import check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_QUESTIONS = "v2_OpenEnded_mscoco_val2014_questions.json"
DEFAULT_ANNOTATIONS = "v2_mscoco_val2014_annotations.json"
DEFAULT_PATTERN = "COCO_{subtype}_{image_id:012d}.jpg"


def _has_annotations(source: DataSource) -> bool:
    return "annotations" not in source.data or source.get("annotations") is not None


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    files = [("VQAv2 questions file", source.path("questions", DEFAULT_QUESTIONS))]
    if _has_annotations(source):
        files.append(("VQAv2 annotations file", source.path("annotations", DEFAULT_ANNOTATIONS)))
    if source.get("images"):
        files.append(("image folder", source.path("images")))
    return files


def read(source: DataSource) -> DataSplit:
    questions_path = source.existing("questions", "VQAv2 questions file", DEFAULT_QUESTIONS)
    content = read_json(questions_path, "VQAv2 questions file")
    questions = require_list(content, "questions", questions_path)
    subtype = str(source.get("images") or content.get("data_subtype") or "")
    if not subtype:
        raise DataError(f"{questions_path}: no 'data_subtype'; set data.images to the image folder (e.g. val2014)")
    folder = source.existing("images", "image folder", subtype, folder=True)
    subtype = Path(subtype).name
    files = [questions_path]
    answers: dict[str, dict[str, Any]] = {}
    if _has_annotations(source):
        annotations_path = source.existing("annotations", "VQAv2 annotations file", DEFAULT_ANNOTATIONS)
        answers = _answers_by_question(annotations_path)
        files.append(annotations_path)
    pattern = str(source.get("image_pattern", DEFAULT_PATTERN))
    root, prefix = _root_and_prefix(source.require_dir(), folder)
    samples = [_sample(q, i, questions_path, answers, prefix, pattern, subtype) for i, q in enumerate(questions)]
    if not samples:
        raise DataError(f"{questions_path}: no questions")
    check_unique([s.id for s in samples], questions_path, "question_id")
    return DataSplit(root=root, samples=samples, files=files)


def _root_and_prefix(dataset_dir: Path, folder: Path) -> tuple[Path, str]:
    """Image paths are ``<folder>/<name>`` relative to the dataset folder, or ``<name>`` under an outside folder."""
    try:
        return dataset_dir, folder.relative_to(dataset_dir).as_posix()
    except ValueError:
        return folder, "."


def _answers_by_question(path: Path) -> dict[str, dict[str, Any]]:
    by_question: dict[str, dict[str, Any]] = {}
    for i, ann in enumerate(require_list(read_json(path, "VQAv2 annotations file"), "annotations", path)):
        where = f"annotations[{i}]"
        qid = str(require(ann, "question_id", path, where, (int, str)))
        answers = require(ann, "answers", path, where, list)
        texts = tuple(str(require(a, "answer", path, f"{where}.answers[{j}]")) for j, a in enumerate(answers))
        if not texts:
            raise DataError(f"{path}: {where} (question {qid}) has no answers")
        by_question[qid] = {"texts": texts, "question_type": ann.get("question_type"), "answer_type": ann.get("answer_type")}
    return by_question


def _sample(question: Any, index: int, path: Path, answers: dict[str, dict[str, Any]], prefix: str,
            pattern: str, subtype: str) -> Sample:
    where = f"questions[{index}]"
    qid = str(require(question, "question_id", path, where, (int, str)))
    image_id = require(question, "image_id", path, where, int)
    text = require(question, "question", path, where, str)
    try:
        name = pattern.format(subtype=subtype, image_id=image_id)
    except (KeyError, IndexError, ValueError) as e:
        raise DataError(f"data.image_pattern {pattern!r} is not a valid pattern ({e}); use {{subtype}} and {{image_id}}") from None
    rel = check_relative(f"{prefix}/{name}", f"{path}: {where}")
    if answers and qid not in answers:
        raise DataError(f"{path}: question {qid} has no entry in the annotations file")
    found = answers.get(qid, {})
    meta = {"question": text, "question_type": found.get("question_type"), "answer_type": found.get("answer_type"),
            "image_id": image_id}
    return Sample(id=qid, image=rel, texts=tuple(found.get("texts", ())), meta=meta)

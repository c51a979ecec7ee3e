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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmbench.data.fields import check_unique, require, require_list
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError, UserError, first_ids
from mmbench.jsonio import read_json
from mmbench.metrics.vqa import VqaQuestion, question_key
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
    require_list(content, "questions", questions_path)  # before the subtype: the wrong file is the first thing to say
    subtype = str(source.get("images") or content.get("data_subtype") or "")
    if not subtype:
        raise DataError(f"{questions_path}: no 'data_subtype'; set data.images to the image folder (e.g. val2014)")
    folder = source.existing("images", "image folder", subtype, folder=True)
    subtype = Path(subtype).name
    files = [questions_path]
    answers: dict[str, VqaQuestion] = {}
    if _has_annotations(source):
        annotations_path = source.existing("annotations", "VQAv2 annotations file", DEFAULT_ANNOTATIONS)
        answers = {q.question_id: q for q in read_annotations(annotations_path)}
        files.append(annotations_path)
    pattern = str(source.get("image_pattern", DEFAULT_PATTERN))
    root, prefix = _root_and_prefix(source.require_dir(), folder)
    entries = read_questions(questions_path, content)
    samples = [_sample(q, i, questions_path, answers, prefix, pattern, subtype) for i, q in enumerate(entries)]
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


@dataclass(frozen=True)
class QuestionEntry:
    """One entry of a VQAv2 question file."""

    question_id: str
    image_id: int
    question: str


def read_questions(path: Path, content: Any = None) -> list[QuestionEntry]:
    """The official question file ``{"questions": [{"question_id", "image_id", "question"}], ...}``
    (``content``: the parsed file, when the caller has it). ``mmbench run`` and ``mmbench score vqa
    --questions`` both read it here."""
    content = read_json(path, "VQAv2 questions file") if content is None else content
    questions = require_list(content, "questions", path)
    entries = []
    for index, question in enumerate(questions):
        where = f"questions[{index}]"
        qid = str(require(question, "question_id", path, where, (int, str)))
        image_id = require(question, "image_id", path, where, int)
        text = require(question, "question", path, where, str)
        entries.append(QuestionEntry(qid, image_id, text))
    return entries


def check_question_ids(path: Path, annotated: set[str], annotations_path: Path) -> None:
    """The question file at ``path`` must hold exactly the question ids of the annotation file."""
    ids = {q.question_id for q in read_questions(path)}
    if ids != annotated:
        only_q, only_a = sorted(ids - annotated), sorted(annotated - ids)
        raise DataError(
            f"{path}: question ids differ from {annotations_path}: {len(only_q)} only in the questions "
            f"(first: {first_ids(only_q)}), {len(only_a)} only in the annotations (first: {first_ids(only_a)})"
        )


def read_annotations(path: Path) -> list[VqaQuestion]:
    """The official annotation file ``{"annotations": [{"question_id", "answers": [{"answer"}...],
    "answer_type", "question_type"}]}``, one :class:`VqaQuestion` per entry (answers in file order;
    a missing type is ""). ``mmbench run`` and ``mmbench score vqa`` both read it here."""
    content = read_json(path, "VQAv2 annotations file")
    if not isinstance(content, dict) or not isinstance(content.get("annotations"), list):
        raise DataError(f'{path}: expected an object with an "annotations" list (the official VQAv2 annotation file)')
    return [_annotation(entry, f"{path}: annotations[{n}]") for n, entry in enumerate(content["annotations"])]


def _annotation(entry: Any, where: str) -> VqaQuestion:
    if not isinstance(entry, dict):
        raise DataError(f"{where} is not an object")
    for key in ("question_id", "answers"):
        if key not in entry:
            raise DataError(f'{where} lacks "{key}"')
    answers = entry["answers"]
    if not isinstance(answers, list) or not answers:
        raise DataError(f'{where}: "answers" must be a non-empty list (question {entry["question_id"]!r})')
    texts = []
    for answer in answers:
        text = answer.get("answer") if isinstance(answer, dict) else None
        if not isinstance(text, str):
            raise DataError(f'{where}: every answer must be an object with a string "answer"')
        texts.append(text)
    types = {key: entry.get(key) or "" for key in ("answer_type", "question_type")}
    for key, value in types.items():
        if not isinstance(value, str):
            raise DataError(f'{where}: "{key}" must be a string')
    try:
        question_id = question_key(entry["question_id"], where)
    except UserError as e:
        raise DataError(str(e)) from None
    return VqaQuestion(question_id, tuple(texts), types["answer_type"], types["question_type"])


def _sample(question: QuestionEntry, index: int, path: Path, answers: dict[str, VqaQuestion], prefix: str,
            pattern: str, subtype: str) -> Sample:
    where = f"questions[{index}]"
    qid, image_id = question.question_id, question.image_id
    try:
        name = pattern.format(subtype=subtype, image_id=image_id)
    except (KeyError, IndexError, ValueError) as e:
        raise DataError(f"data.image_pattern {pattern!r} is not a valid pattern ({e}); use {{subtype}} and {{image_id}}") from None
    rel = check_relative(f"{prefix}/{name}", f"{path}: {where}")
    if answers and qid not in answers:
        raise DataError(f"{path}: question {qid} has no entry in the annotations file")
    found = answers.get(qid)
    meta = {"question": question.question, "question_type": found.question_type or None if found else None,
            "answer_type": found.answer_type or None if found else None, "image_id": image_id}
    return Sample(id=qid, images=(ImageFile(rel),), texts=found.answers if found else (), meta=meta)

"""MMMU (validation / dev) as the hub repository MMMU/MMMU holds it: one parquet file per subject.

Layout under the dataset folder: ``<Subject>/<split>-00000-of-00001.parquet`` for the 30 subjects
(``Accounting`` ... ``Sociology``). Keys: ``split`` (default ``validation``), ``subjects`` (default:
all 30, in MMMU's order).

Columns: ``id`` (``validation_Accounting_1``), ``question``, ``options`` (a Python list literal,
read with ``ast.literal_eval``), ``explanation``, ``image_1`` .. ``image_7`` (``{bytes, path}``
cells, null when absent), ``img_type``, ``answer`` (a letter for multiple-choice questions; the
answer text for open ones), ``topic_difficulty``, ``question_type`` (``multiple-choice`` /
``open``), ``subfield``.

Samples, in subject order (MMMU's ``CAT_SHORT2LONG``, which is alphabetical) then file order,
the order MMMU's script scores them (and draws its random fallback in): id = ``id``; images =
the non-null ``image_1`` .. ``image_7`` in number order, so ``<image n>`` in the text is image n;
meta = question, options, question_type, ``subject`` (the folder name), ``domain`` (MMMU's six
disciplines, named as the issue and the paper print them: "Art & Design" ...), subfield,
img_type, topic_difficulty, and ``interleave`` (the multiple-choice task places each image where
the text says ``<image n>``).

:func:`sample_from_record` decodes one row of a hub copy of the same files (``records: mmmu`` with
``image_columns: [image_1, ..., image_7]``: the image cells arrive as lazy references, None where
null); the subject is read from the id (``validation_Accounting_1`` -> ``Accounting``), since the
rows of the 30 subject folders arrive as one table.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmbench.data.choices import LETTERS, choice_sample
from mmbench.data.fields import check_unique
from mmbench.data.images import EncodedImage
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError

#: MMMU's DOMAIN_CAT2SUB_CAT (mmmu/utils/data_utils.py), with the domain names as the paper prints them
DOMAINS: dict[str, tuple[str, ...]] = {
    "Art & Design": ("Art", "Art_Theory", "Design", "Music"),
    "Business": ("Accounting", "Economics", "Finance", "Manage", "Marketing"),
    "Science": ("Biology", "Chemistry", "Geography", "Math", "Physics"),
    "Health & Medicine": ("Basic_Medical_Science", "Clinical_Medicine", "Diagnostics_and_Laboratory_Medicine",
                          "Pharmacy", "Public_Health"),
    "Humanities & Social Science": ("History", "Literature", "Sociology", "Psychology"),
    "Tech & Engineering": ("Agriculture", "Architecture_and_Engineering", "Computer_Science", "Electronics",
                           "Energy_and_Power", "Materials", "Mechanical_Engineering"),
}
DOMAIN_OF = {subject: domain for domain, subjects in DOMAINS.items() for subject in subjects}
SUBJECTS = tuple(sorted(DOMAIN_OF))  # CAT_SHORT2LONG's order is alphabetical by subject
MAX_IMAGES = 7
COLUMNS = ("id", "question", "options", "answer", "question_type")
_ID = re.compile(r"^[a-z]+_(?P<subject>[A-Za-z_]+?)_\d+$")  # validation_Art_Theory_12


def _subjects(source: DataSource) -> list[str]:
    chosen = source.get("subjects")
    if chosen is None:
        return list(SUBJECTS)
    unknown = [s for s in chosen if s not in DOMAIN_OF]
    if unknown:
        raise DataError(f"data.subjects: unknown MMMU subject(s) {unknown} (known: {', '.join(SUBJECTS)})")
    return [s for s in SUBJECTS if s in chosen]


def _file(source: DataSource, subject: str) -> Path:
    return source.require_dir() / subject / f"{source.split('validation')}-00000-of-00001.parquet"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [(f"MMMU {subject} parquet", _file(source, subject)) for subject in _subjects(source)]


def read(source: DataSource) -> DataSplit:
    import pandas as pd

    samples, files = [], []
    for subject in _subjects(source):
        path = _file(source, subject)
        if not path.is_file():
            raise source.missing(path, f"MMMU {subject} parquet")
        try:
            table = pd.read_parquet(path)
        except Exception as e:  # noqa: BLE001  (pyarrow raises several kinds for a bad file)
            raise DataError(f"{path}: cannot read the parquet file ({str(e).splitlines()[0]})") from None
        missing = [c for c in COLUMNS if c not in table.columns]
        if missing:
            raise DataError(f"{path}: no column(s) {', '.join(missing)}; is this MMMU's parquet?")
        samples += [_sample(row, subject, path) for row in table.to_dict("records")]
        files.append(path)
    check_unique([s.id for s in samples], source.require_dir(), "MMMU id")
    return DataSplit(root=source.require_dir(), samples=samples, files=files)


def _sample(row: dict[str, Any], subject: str, path: Path) -> Any:
    sample_id = str(row["id"])
    where = f"{path}: {sample_id}"
    question_type = str(row["question_type"])
    try:
        options = ast.literal_eval(str(row["options"])) if row["options"] else []
    except (ValueError, SyntaxError):
        raise DataError(f"{where}: options {str(row['options'])[:60]!r} is not a Python list literal") from None
    if not isinstance(options, list):
        raise DataError(f"{where}: options is not a list")
    answer = str(row["answer"])
    if question_type == "multiple-choice":
        if not options:
            raise DataError(f"{where}: a multiple-choice question without options")
        if answer not in LETTERS[: len(options)]:
            raise DataError(f"{where}: answer {answer!r} is not one of the option letters {LETTERS[:len(options)]}")
    elif question_type != "open":
        raise DataError(f"{where}: question_type {question_type!r} is neither multiple-choice nor open")
    images = []
    for n in range(1, MAX_IMAGES + 1):
        cell = row.get(f"image_{n}")
        present = bool(cell.get("bytes")) if isinstance(cell, dict) else cell is not None  # a hub row's lazy image
        if present:
            if len(images) != n - 1:  # <image n> must stay image n
                raise DataError(f"{where}: image_{n} is present but image_{len(images) + 1} is empty")
            images.append(EncodedImage(bytes(cell["bytes"]), f"{sample_id} image_{n}") if isinstance(cell, dict) else cell)
    if not images:
        raise DataError(f"{where}: no image (image_1 .. image_{MAX_IMAGES} are all empty)")
    meta = {"question": str(row["question"]), "hint": "", "options": tuple(str(o) for o in options),
            "question_type": question_type, "subject": subject, "domain": DOMAIN_OF[subject],
            "interleave": True}  # the text names where each image goes: the task interleaves them
    for key in ("subfield", "img_type", "topic_difficulty"):
        if row.get(key) is not None:
            meta[key] = str(row[key])
    return choice_sample(sample_id, images, answer, meta)


def sample_from_record(record: Mapping[str, Any], path: Path, where: str) -> Any:
    """One row of a hub copy of MMMU's parquet files (``records: mmmu``): the sample :func:`read`
    makes of it, its subject read from the id."""
    missing = [c for c in COLUMNS if c not in record]
    if missing:
        raise DataError(f"{path}: {where}: no column(s) {', '.join(missing)}; is this MMMU's parquet?")
    match = _ID.match(str(record["id"]))
    if match is None or match.group("subject") not in DOMAIN_OF:
        raise DataError(f"{path}: {where}: id {record['id']!r} does not name an MMMU subject (<split>_<Subject>_<n>)")
    return _sample(dict(record), match.group("subject"), path)

"""MME: the release folder ``MME_Benchmark_release_version/<category>/`` (14 categories).

Two layouts live side by side in the release, both read: artwork, celebrity, landmark, posters and
scene keep ``images/<stem>.jpg|png`` and ``questions_answers_YN/<stem>.txt``; the other nine keep
``<stem>.jpg|png`` beside ``<stem>.txt``. Each ``.txt`` holds two lines ``question<TAB>Yes|No``
(the "Yes" question first in the release). Keys: ``root`` (default
``MME_Benchmark_release_version``), ``categories`` (default: the 14 of :mod:`mmbench.metrics.yes_no`;
a category folder that is missing is left out: the run is marked partial by ``expected_count``).

Samples, in category order, then file name order, then line order: id =
``<category>/<image file name>/<0|1>`` (0 for the file's first line); image =
``<category>/[images/]<image file name>`` under the release folder; texts = ("Yes" | "No",);
meta = {"question" (as written, with its "Please answer yes or no."), "question_stem" (lmms-eval's
prompt text: stripped, " Please answer yes or no." removed), "category", "image_name"}.

Hub rows (lmms-lab/MME: ``question_id`` = ``<category>/<image file name>``, ``question``,
``answer`` Yes | No, ``category``, ``image``) are decoded by :func:`sample_from_record` into the
same sample with the id ``<category>/<image file name>``; the hub section's ``id_occurrence``
adds the ``/<0|1>`` (the row's position among the image's two rows).
"""

from __future__ import annotations

from pathlib import Path

from mmbench.data.fields import require
from mmbench.data.images import ImageFile
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.metrics.yes_no import COGNITION, PERCEPTION
from mmbench.types import Sample

DEFAULT_ROOT = "MME_Benchmark_release_version"
SPLIT_LAYOUT = "questions_answers_YN"  # <category>/questions_answers_YN/*.txt + <category>/images/
IMAGE_SUFFIXES = (".jpg", ".png", ".jpeg", ".JPG", ".PNG", ".JPEG")
LLAVA_SUFFIX = " Please answer yes or no."  # lmms-eval's mme/utils.py replace_prompt


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("MME release folder", source.path("root", DEFAULT_ROOT))]


def _categories(source: DataSource) -> list[str]:
    return [str(c) for c in source.get("categories") or (*PERCEPTION, *COGNITION)]


def read(source: DataSource) -> DataSplit:
    root = source.existing("root", "MME release folder", DEFAULT_ROOT, folder=True)
    samples: list[Sample] = []
    files: list[Path] = []
    for category in _categories(source):
        folder = root / category
        if not folder.is_dir():
            continue
        split = (folder / SPLIT_LAYOUT).is_dir()
        text_dir, image_dir = (folder / SPLIT_LAYOUT, folder / "images") if split else (folder, folder)
        for txt in sorted(text_dir.glob("*.txt")):
            image = _image_beside(image_dir, txt)
            rel = image.relative_to(root).as_posix()
            for line_no, (question, answer) in enumerate(_pair(txt)):
                meta = {"question": question, "question_stem": question.strip().replace(LLAVA_SUFFIX, ""),
                        "category": category, "image_name": image.name}
                samples.append(Sample(id=f"{category}/{image.name}/{line_no}", images=(ImageFile(rel),), texts=(answer,), meta=meta))
            files.append(txt)
    if not samples:
        raise DataError(f"{root}: no MME question files in any of the category folders "
                        f"({', '.join(_categories(source))}); is this MME_Benchmark_release_version?")
    return DataSplit(root=root, samples=samples, files=files)


def _image_beside(folder: Path, txt: Path) -> Path:
    found = [folder / (txt.stem + suffix) for suffix in IMAGE_SUFFIXES if (folder / (txt.stem + suffix)).is_file()]
    if len(found) != 1:
        what = "no image" if not found else f"{len(found)} images"
        raise DataError(f"{txt}: {what} named {txt.stem}.jpg|png in {folder}; each question file has exactly one image")
    return found[0]


def _pair(txt: Path) -> list[tuple[str, str]]:
    """The file's two ``question<TAB>answer`` lines (the answer Yes or No, any case)."""
    try:
        lines = [line for line in txt.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise DataError(f"{txt}: not UTF-8 text") from None
    if len(lines) != 2:
        raise DataError(f"{txt}: {len(lines)} question lines; an MME question file holds two (question<TAB>Yes|No)")
    pairs = []
    for number, line in enumerate(lines, 1):
        question, tab, answer = line.rpartition("\t")
        if not tab or answer.strip().lower() not in ("yes", "no"):
            raise DataError(f"{txt}: line {number} is not 'question<TAB>Yes|No': {line[:80]!r}")
        pairs.append((question, answer.strip()))
    return pairs


def sample_from_record(record: dict[str, object], path: Path, where: str) -> Sample:
    """One lmms-lab/MME row as the sample :func:`read` makes of the same question, its id without
    the ``/<0|1>`` line position (which the row does not hold: ``id_occurrence`` numbers it)."""
    question_id = str(require(record, "question_id", path, where, str))
    question = require(record, "question", path, where, str)
    answer = str(require(record, "answer", path, where, str)).strip()
    category = require(record, "category", path, where, str)
    prefix = f"{category}/"
    if not question_id.startswith(prefix) or len(question_id) == len(prefix):
        raise DataError(f"{path}: {where}: question_id {question_id!r} is not '<category>/<image file name>' "
                        f"for category {category!r}")
    if answer.lower() not in ("yes", "no"):
        raise DataError(f"{path}: {where}: answer {answer!r} is not Yes or No")
    meta = {"question": question, "question_stem": question.strip().replace(LLAVA_SUFFIX, ""),
            "category": category, "image_name": question_id[len(prefix):]}
    return Sample(id=question_id, images=(), texts=(answer,), meta=meta)

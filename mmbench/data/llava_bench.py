"""LLaVA-Bench in-the-wild as its repository holds it (huggingface.co/datasets/liuhaotian/llava-bench-in-the-wild).

Keys: ``questions`` (default ``questions.jsonl``: ``{"question_id", "image", "text", "category"}``
per line), ``context`` (default ``context.jsonl``: ``{"image", "caption"}``, the caption a string or
a list of sentences), ``references`` (default ``answers_gpt4.jsonl``: ``{"question_id", "text"}``,
the reference answers the judge compares against), ``images`` (default ``images``).

Samples: id = ``question_id``; image = ``<images>/<image>``; texts = (the reference answer,);
meta = {"question", "category" (conv, detail, complex), "context" (the caption, list entries joined
by newlines as LLaVA's eval_gpt_review_bench.py joins them)}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmbench.data.fields import require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

FILES = {"questions": "questions.jsonl", "context": "context.jsonl", "references": "answers_gpt4.jsonl"}


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [(f"LLaVA-Bench {key} file", source.path(key, name)) for key, name in FILES.items()] + [
        ("image folder", source.path("images", "images"))]


def _lines(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{number}: not a JSON line ({e.msg})") from None
    return rows


def read(source: DataSource) -> DataSplit:
    paths = {key: source.existing(key, f"LLaVA-Bench {key} file", name) for key, name in FILES.items()}
    folder = source.existing("images", "image folder", "images", folder=True)
    captions = {}
    for row in _lines(paths["context"]):
        caption = require(row, "caption", paths["context"], f"image {row.get('image')}", (str, list))
        captions[str(require(row, "image", paths["context"], "a context line", str))] = (
            "\n".join(str(c) for c in caption) if isinstance(caption, list) else caption)
    references = {str(require(row, "question_id", paths["references"], "an answer line", (int, str))):
                  str(require(row, "text", paths["references"], f"answer {row.get('question_id')}", str))
                  for row in _lines(paths["references"])}
    samples = []
    for row in _lines(paths["questions"]):
        qid = str(require(row, "question_id", paths["questions"], "a question line", (int, str)))
        where = f"question {qid}"
        image = str(require(row, "image", paths["questions"], where, str))
        if qid not in references:
            raise DataError(f"{paths['references']}: no reference answer for question {qid}")
        if image not in captions:
            raise DataError(f"{paths['context']}: no caption for image {image} (question {qid})")
        samples.append(Sample(id=qid, images=(ImageFile(check_relative(image, f"{paths['questions']}: {where}")),),
                              texts=(references[qid],),
                              meta={"question": require(row, "text", paths["questions"], where, str),
                                    "category": str(require(row, "category", paths["questions"], where, str)),
                                    "context": captions[image]}))
    return DataSplit(root=folder, samples=samples, files=list(paths.values()))

"""Writing the shapes suite to disk in the real formats, and its pixel-level digest.

Layout of a suite folder (``split_set`` "test" holds the ``test`` and ``heldout`` splits,
"train" holds ``train``):

    <split>/COCO_<split>_<image_id:012d>.png     images, COCO-style names (the VQAv2 reader's pattern)
    dataset_shapes.json                          Karpathy split file (5 captions per image, + "attributes")
    vqa/questions_<split>.json                   VQAv2 questions (6 per image)
    vqa/annotations_<split>.json                 VQAv2 annotations (10 answers each)
    zeroshot/<split>/<kind>-<colour>/<file>      zero-shot images of their own, one folder per class,
                                                 all 30 in each split (test split set only)
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mmbench.data.shapes_render import plan_layout, render
from mmbench.data.shapes_spec import (ZEROSHOT_CLASSES, Attributes, captions, human_answers, questions, tokens,
                                      zeroshot_folder)

KARPATHY_FILE = "dataset_shapes.json"


@dataclass(frozen=True)
class PlannedImage:
    split: str
    image_id: int
    attributes: Attributes

    @property
    def filename(self) -> str:
        return f"COCO_{self.split}_{self.image_id:012d}.png"

    def rng(self, purpose: str, version: int) -> random.Random:
        return random.Random(f"shapes-v{version}-{self.split}-{self.image_id}-{purpose}")


def write_suite(folder: Path, plan: list[PlannedImage], version: int, zeroshot: list[PlannedImage] = ()) -> None:
    """Render and write every planned image plus the annotation files, and the zero-shot images
    (``zeroshot/<split>/<kind>-<colour>/``, every class folder in every zero-shot split)."""
    from PIL import Image

    zeroshot_items = set(zeroshot)
    for item in [*plan, *zeroshot]:
        pixels = render(item.attributes.kind, plan_layout(item.attributes, item.rng("layout", version)))
        a = item.attributes
        target = (folder / "zeroshot" / item.split / zeroshot_folder(a.kind, a.colour) if item in zeroshot_items
                  else folder / item.split) / item.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(target, format="PNG")
    for split in sorted({item.split for item in zeroshot}):
        for kind, colour in ZEROSHOT_CLASSES:
            (folder / "zeroshot" / split / zeroshot_folder(kind, colour)).mkdir(parents=True, exist_ok=True)
    _write_json(folder / KARPATHY_FILE, _karpathy(plan))
    for split in sorted({item.split for item in plan}):
        items = [item for item in plan if item.split == split]
        question_file, annotation_file = _vqa(items, split, version)
        _write_json(folder / "vqa" / f"questions_{split}.json", question_file)
        _write_json(folder / "vqa" / f"annotations_{split}.json", annotation_file)


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, separators=(",", ":")), encoding="utf-8")


def _karpathy(plan: list[PlannedImage]) -> dict[str, Any]:
    images, sentence_id = [], 0
    for imgid, item in enumerate(plan):
        sentences = []
        for raw in captions(item.attributes):
            sentences.append({"tokens": tokens(raw), "raw": raw, "imgid": imgid, "sentid": sentence_id})
            sentence_id += 1
        images.append({"filepath": item.split, "filename": item.filename, "imgid": imgid, "split": item.split,
                       "sentids": [s["sentid"] for s in sentences], "sentences": sentences,
                       "cocoid": item.image_id, "attributes": item.attributes.as_dict()})
    return {"images": images, "dataset": "shapes"}


def _vqa(items: list[PlannedImage], split: str, version: int) -> tuple[dict[str, Any], dict[str, Any]]:
    header = {"info": {"description": f"mmbench synthetic shapes suite v{version}"}, "license": {},
              "data_type": "shapes", "data_subtype": split}
    question_rows, annotation_rows = [], []
    for item in items:
        rng = item.rng("qa", version)
        for k, q in enumerate(questions(item.attributes, rng)):
            qid = item.image_id * 10 + k
            question_rows.append({"image_id": item.image_id, "question": q.text, "question_id": qid})
            answers = [{"answer": a, "answer_confidence": "yes", "answer_id": j + 1}
                       for j, a in enumerate(human_answers(q, rng))]
            annotation_rows.append({"question_id": qid, "image_id": item.image_id, "question_type": q.question_type,
                                    "answer_type": q.answer_type, "multiple_choice_answer": q.answer, "answers": answers})
    return ({**header, "task_type": "Open-Ended", "questions": question_rows},
            {**header, "annotations": annotation_rows})


def suite_digest(folder: Path) -> str:
    """sha256 over every file's relative path and content; PNGs contribute decoded pixels, so the
    digest does not depend on the PNG encoder's compression choices."""
    from PIL import Image

    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.suffix == ".png":
            with Image.open(path) as img:
                digest.update(np.asarray(img.convert("RGB")).tobytes())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()

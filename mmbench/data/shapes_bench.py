"""The bundled dataset ``bundled:shapes-bench``: shapes counterparts of today's benchmarks, written
in each benchmark's own on-disk format so that the real readers read them.

Generated on first use into ``$MMBENCH_CACHE/shapes/bench-v<VERSION>/`` (default ``~/.cache/mmbench``)
and verified against :data:`EXPECTED_DIGEST` (decoded pixels and parsed rows, so neither the PNG
encoder nor the parquet writer's version changes it). Scenes and questions come from
:mod:`mmbench.data.shapes_scenes` with seeds ``shapes-bench-test-*`` (the training recipe of
``shapes-llava-multi`` draws with seeds of its own).

Layout (sizes are counts of questions):

    mmbench/shapes_mc.tsv       MMBench TSV (index, question, hint, A-D, answer, category, image as
                                base64 PNG, source, l2-category, comment, split): 120 questions on
                                kind, colour and count (40 each), every second one with three
                                CircularEval copies (index + k * 1,000,000, options rotated left by
                                k, the ``image`` field holding the original's index): 300 rows
    mmmu/Math/validation-00000-of-00001.parquet
                                MMMU layout: 120 two-image questions "<image 1> <image 2> Which image
                                shows more circles?", four options (first, second, the same number,
                                neither) shuffled per question, 30 questions per right answer;
                                ids ``validation_Math_<n>`` (n from 1)
    pope/shapes_pope.json       POPE JSON lines (question_id, image, text, label) over
    pope/images/                120 images of two big shapes (one per half), kinds co-occurring
                                unevenly: 480 questions, 240 yes, 120 adversarial no (the absent kind
                                that co-occurs most with the shown ones, in a colour the image shows:
                                POPE's construction), 120 random no (another absent kind)
    chartqa/test/test_human.json, chartqa/test/test_augmented.json, chartqa/test/png/
                                ChartQA layout: 100 bar charts; human: one question per chart
                                cycling tallest bar, shortest bar (colour words) and a bar's value;
                                augmented: the value of one bar per chart (numbers 1-8)
    docvqa/val/val_v1.0.json, docvqa/val/documents/
                                the same 200 chart questions (human first, questionId from 1) in
                                DocVQA's layout, one reference answer each: scored with ANLS
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import random
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from mmbench.data import shapes_scenes as scenes
from mmbench.data.shapes import cache_root
from mmbench.errors import DataError

VERSION = 2
MC_QUESTIONS = 120
PAIR_QUESTIONS = 120
POPE_IMAGES = 120
CHARTS = 100
MC_FILE = "mmbench/shapes_mc.tsv"
MMMU_SUBJECT = "Math"  # the MMMU reader knows MMMU's 30 subjects only; ids validation_Math_<n>
MMMU_FILE = f"mmmu/{MMMU_SUBJECT}/validation-00000-of-00001.parquet"
POPE_FILE = "pope/shapes_pope.json"
POPE_IMAGES_DIR = "pope/images"
CHART_DIR = "chartqa/test"
DOCVQA_DIR = "docvqa/val"
DOCVQA_FILE = f"{DOCVQA_DIR}/val_v1.0.json"
MC_COLUMNS = ("index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image", "source", "l2-category",
              "comment", "split")
CIRCULAR_OFFSET = 1_000_000
MARKER = ".complete"
#: sha256 of the generated folder (:func:`bench_digest`), as this version writes it.
EXPECTED_DIGEST = "b30ad62ea0c2b5df89a1099e291f8f6b3b144f4adfd86791abc706984c4e930f"


def _rng(*parts: object) -> random.Random:
    return random.Random("-".join(["shapes-bench-test", f"v{VERSION}", *map(str, parts)]))


def png_bytes(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def mc_rows() -> list[dict[str, str]]:
    """The MMBench TSV rows in file order: each question, then (every second question) its copies."""
    rows: list[dict[str, str]] = []
    categories = ("kind", "colour", "count")
    for q in range(MC_QUESTIONS):
        item = scenes.mc_item(_rng("mc", q), categories[q % 3])
        index = q + 1
        copies = range(4) if q % 2 == 0 else range(1)
        for k in copies:
            options, answer = scenes.rotate(item.options, item.answer, k)
            rows.append({"index": str(index + k * CIRCULAR_OFFSET), "question": item.question, "hint": "",
                         **dict(zip(scenes.LETTERS, options)), "answer": answer, "category": item.category,
                         "image": base64.b64encode(png_bytes(item.pixels)).decode() if k == 0 else str(index),
                         "source": "shapes", "l2-category": "attribute_recognition", "comment": "", "split": "dev"})
    return rows


def pair_items() -> list[scenes.PairItem]:
    outcomes = ("first", "second", "same", "neither")
    return [scenes.pair_item(_rng("pair", q), outcomes[q % 4]) for q in range(PAIR_QUESTIONS)]


def pope_items() -> list[tuple[scenes.PopeImage, list[scenes.YesNoQuestion]]]:
    items = []
    for n in range(POPE_IMAGES):
        rng = _rng("pope", n)
        image = scenes.pope_image(rng)
        items.append((image, scenes.pope_questions(image, rng)))
    return items


def chart_items() -> list[tuple[scenes.ChartItem, tuple[str, str, str], tuple[str, str, str]]]:
    """(chart, human question, augmented question) per chart."""
    out = []
    for n in range(CHARTS):
        rng = _rng("chart", n)
        chart = scenes.chart_item(rng)
        wanted = ("tallest", "shortest", "value")[n % 3]
        human = rng.choice([q for q in chart.questions if q[2] == wanted])
        augmented = rng.choice([q for q in chart.questions if q[2] == "value"])
        out.append((chart, human, augmented))
    return out


def write_bench(folder: Path) -> None:
    """Write every file of the dataset under ``folder``."""
    import pandas as pd

    (folder / MC_FILE).parent.mkdir(parents=True, exist_ok=True)
    with open(folder / MC_FILE, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MC_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(mc_rows())

    records = []
    for n, item in enumerate(pair_items(), start=1):
        record: dict[str, Any] = {"id": f"validation_{MMMU_SUBJECT}_{n}", "question": item.question,
                                  "options": str(list(item.options)), "explanation": "",
                                  "image_1": {"bytes": png_bytes(item.first), "path": f"shapes_{n}_1.png"},
                                  "image_2": {"bytes": png_bytes(item.second), "path": f"shapes_{n}_2.png"}}
        record.update({f"image_{k}": None for k in range(3, 8)})
        record.update({"img_type": "['Diagrams']", "answer": item.answer, "topic_difficulty": "Easy",
                       "question_type": "multiple-choice", "subfield": "Counting"})
        records.append(record)
    (folder / MMMU_FILE).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame.from_records(records).to_parquet(folder / MMMU_FILE, index=False)

    (folder / POPE_IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    lines, question_id = [], 1
    for n, (image, questions) in enumerate(pope_items(), start=1):
        name = f"shapes_pope_{n:06d}.png"
        (folder / POPE_IMAGES_DIR / name).write_bytes(png_bytes(image.pixels))
        for q in questions:
            lines.append(json.dumps({"question_id": question_id, "image": name, "text": q.text, "label": q.label}))
            question_id += 1
    (folder / POPE_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")

    (folder / CHART_DIR / "png").mkdir(parents=True, exist_ok=True)
    human, augmented = [], []
    for n, (chart, (hq, ha, _), (aq, aa, _)) in enumerate(chart_items()):
        name = f"shapes_chart_{n:04d}.png"
        (folder / CHART_DIR / "png" / name).write_bytes(png_bytes(chart.pixels))
        human.append({"imgname": name, "query": hq, "label": ha})
        augmented.append({"imgname": name, "query": aq, "label": aa})
    for file, rows in (("test_human.json", human), ("test_augmented.json", augmented)):
        (folder / CHART_DIR / file).write_text(json.dumps(rows, indent=1), encoding="utf-8")

    (folder / DOCVQA_DIR / "documents").mkdir(parents=True, exist_ok=True)
    entries = []
    for n, row in enumerate(human + augmented, start=1):
        shutil.copyfile(folder / CHART_DIR / "png" / row["imgname"], folder / DOCVQA_DIR / "documents" / row["imgname"])
        entries.append({"questionId": n, "question": row["query"], "image": f"documents/{row['imgname']}",
                        "docId": int(row["imgname"][-8:-4]), "ucsf_document_id": "", "ucsf_document_page_no": "1",
                        "answers": [row["label"]], "data_split": "val"})
    document = {"dataset_name": "shapes-bench charts", "dataset_split": "val", "dataset_version": "1.0", "data": entries}
    (folder / DOCVQA_FILE).write_text(json.dumps(document, indent=1), encoding="utf-8")


def _pixel_digest(data: bytes) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return hashlib.sha256(np.asarray(image.convert("RGB")).tobytes()).hexdigest()


def bench_digest(folder: Path) -> str:
    """sha256 over every file's relative path and content, with every image (PNG files, base64 TSV
    cells, parquet image cells) replaced by the digest of its decoded pixels and the parquet file by
    its rows: independent of the PNG encoder's and the parquet writer's choices."""
    import pandas as pd

    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.suffix == ".png":
            digest.update(_pixel_digest(path.read_bytes()).encode())
        elif path.suffix == ".tsv":
            with open(path, encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle, delimiter="\t"):
                    image = row["image"]
                    row["image"] = image if image.isdigit() else _pixel_digest(base64.b64decode(image))
                    digest.update(json.dumps(row, sort_keys=True).encode())
        elif path.suffix == ".parquet":
            for row in pd.read_parquet(path).to_dict("records"):
                cells = {k: (_pixel_digest(v["bytes"]) if isinstance(v, dict) else v) for k, v in row.items()}
                digest.update(json.dumps(cells, sort_keys=True, default=str).encode())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def bench_dir() -> Path:
    return cache_root() / "shapes" / f"bench-v{VERSION}"


def ensure_bench() -> Path:
    """The dataset's folder, generating and verifying it first if needed."""
    target = bench_dir()
    if _is_complete(target):
        return target
    scratch = target.parent / f".bench.{uuid.uuid4().hex}.tmp"
    try:
        write_bench(scratch)
        digest = bench_digest(scratch)
        if EXPECTED_DIGEST and digest != EXPECTED_DIGEST:
            raise DataError(f"the generated shapes-bench dataset differs from the reference: digest {digest[:12]}, "
                            f"expected {EXPECTED_DIGEST[:12]}; please report this with your numpy and Pillow versions")
        (scratch / MARKER).write_text(digest, encoding="utf-8")
        if target.exists() and not _is_complete(target):
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.rename(scratch, target)
        except OSError:
            if not _is_complete(target):
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def ensure_bench_mmmu() -> Path:
    """The MMMU-layout folder inside the dataset (the MMMU reader's ``dir``: subject folders under it)."""
    return ensure_bench() / "mmmu"


def _is_complete(folder: Path) -> bool:
    marker = folder / MARKER
    if not marker.is_file():
        return False
    return not EXPECTED_DIGEST or marker.read_text(encoding="utf-8").strip() == EXPECTED_DIGEST

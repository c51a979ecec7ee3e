"""The shapes counterparts of MMBench, MMMU, POPE and ChartQA (``bundled:shapes-bench``): files in
the benchmarks' own formats, answers that follow from the pixels, balanced designs, a stable digest;
and the chat template of ``shapes-llava-multi`` renders conversations as its training saw them."""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmbench.data import shapes_bench as bench
from mmbench.data import shapes_scenes as scenes
from mmbench.data.shapes_scenes import CHART_BASELINE, CHART_UNIT, PAIR_OPTIONS
from mmbench.data.shapes_spec import COLOURS, KINDS


@pytest.fixture(scope="module")
def folder() -> Path:
    return bench.ensure_bench()  # conftest points MMBENCH_CACHE at a session folder; verified against the digest


def test_generation_is_verified_by_its_digest(folder: Path) -> None:
    assert (folder / bench.MARKER).read_text().strip() == bench.EXPECTED_DIGEST == bench.bench_digest(folder)


def test_mc_tsv_has_mmbench_columns_and_circular_copies(folder: Path) -> None:
    with open(folder / bench.MC_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert list(rows[0]) == list(bench.MC_COLUMNS)
    assert len(rows) == 300
    by_index = {int(r["index"]): r for r in rows}
    originals = [i for i in by_index if i < bench.CIRCULAR_OFFSET]
    assert len(originals) == 120 and Counter(by_index[i]["category"] for i in originals) == {"kind": 40, "colour": 40,
                                                                                              "count": 40}
    copies = [i for i in by_index if i >= bench.CIRCULAR_OFFSET]
    assert len(copies) == 180 and {i % bench.CIRCULAR_OFFSET for i in copies} == {i for i in originals if i % 2 == 1}
    for i in copies:
        copy, original = by_index[i], by_index[i % bench.CIRCULAR_OFFSET]
        shift = i // bench.CIRCULAR_OFFSET
        assert copy["image"] == str(i % bench.CIRCULAR_OFFSET)  # the original's index instead of image data
        texts = [original[c] for c in "ABCD"]
        assert [copy[c] for c in "ABCD"] == texts[shift:] + texts[:shift]
        assert copy[copy["answer"]] == original[original["answer"]]
    for i in originals:
        row = by_index[i]
        image = Image.open(io.BytesIO(base64.b64decode(row["image"])))
        assert image.size == (64, 64)
        vocabulary = {"kind": KINDS, "colour": tuple(COLOURS), "count": ("one", "two", "three", "four")}[row["category"]]
        assert len({row[c] for c in "ABCD"}) == 4 and {row[c] for c in "ABCD"} <= set(vocabulary)


def test_mc_colour_answers_follow_from_the_pixels(folder: Path) -> None:
    """The most saturated pixel's nearest palette colour is the answer of every colour question."""
    with open(folder / bench.MC_FILE, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["category"] == "colour" and len(r["image"]) > 20]
    for row in rows:
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(row["image"]))).convert("RGB")).reshape(-1, 3).astype(int)
        saturated = pixels[np.argmax(pixels.max(1) - pixels.min(1))]
        nearest = min(COLOURS, key=lambda c: sum((saturated - np.array(COLOURS[c])) ** 2))
        assert row[row["answer"]] == nearest, row["index"]


def test_two_image_parquet_is_mmmu_shaped_and_balanced(folder: Path) -> None:
    import pandas as pd

    frame = pd.read_parquet(folder / bench.MMMU_FILE)
    assert len(frame) == 120 and list(frame["id"][:2]) == ["validation_Math_1", "validation_Math_2"]
    rights = Counter()
    for row in frame.to_dict("records"):
        options = ast.literal_eval(row["options"])
        assert sorted(options) == sorted(PAIR_OPTIONS) and row["question"].startswith("<image 1> <image 2> ")
        assert row["image_3"] is None and row["question_type"] == "multiple-choice"
        for key in ("image_1", "image_2"):
            assert Image.open(io.BytesIO(row[key]["bytes"])).size == (64, 64)
        rights[options["ABCD".index(row["answer"])]] += 1
    assert rights == {text: 30 for text in PAIR_OPTIONS}


def test_pope_lines_are_balanced_with_adversarial_negatives(folder: Path) -> None:
    lines = [json.loads(line) for line in (folder / bench.POPE_FILE).read_text().splitlines()]
    assert len(lines) == 480 and [q["question_id"] for q in lines] == list(range(1, 481))
    assert Counter(q["label"] for q in lines) == {"yes": 240, "no": 240}
    by_image: dict[str, list[dict]] = {}
    for q in lines:
        by_image.setdefault(q["image"], []).append(q)
    assert len(by_image) == 120 and all((folder / bench.POPE_IMAGES_DIR / name).is_file() for name in by_image)
    # POPE's construction: the adversarial no names the absent kind that co-occurs most with the
    # image's kinds. Written from the rule, not the code: kinds come in PARTNER pairs (either
    # direction) more often than not, so that kind is one partnered with the most shown kinds.
    partnered = {frozenset(pair) for pair in scenes.PARTNER.items()}
    pairs: Counter = Counter()
    adversarial = 0
    for questions in by_image.values():
        present = [tuple(q["text"].split()[3:5]) for q in questions if q["label"] == "yes"]  # (colour, kind)
        kinds = {k for _, k in present}
        pairs[frozenset(kinds)] += 1
        links = {k: sum(frozenset((k, p)) in partnered for p in kinds) for k in set(scenes.KINDS) - kinds}
        negatives = [tuple(q["text"].split()[3:5]) for q in questions if q["label"] == "no"]
        assert len(kinds) == 2 and len(negatives) == 2 and all(k not in kinds for _, k in negatives)
        assert {k for _, k in negatives} <= set(links) and len({k for _, k in negatives}) == 2
        strongest = [(c, k) for c, k in negatives if links[k] == max(links.values()) and c in {c for c, _ in present}]
        adversarial += bool(strongest)
    assert adversarial == 120  # every image has one no of a most co-occurring absent kind, in a colour it shows
    partner_rate = sum(n for pair, n in pairs.items() if pair in partnered) / 120
    assert partner_rate > 0.45  # partners share an image far more often than the 2 of 10 pairs chance gives (0.2)


def test_chart_labels_follow_from_bar_heights(folder: Path) -> None:
    human = json.loads((folder / bench.CHART_DIR / "test_human.json").read_text())
    augmented = json.loads((folder / bench.CHART_DIR / "test_augmented.json").read_text())
    assert len(human) == len(augmented) == 100 and set(human[0]) == {"imgname", "query", "label"}
    for entry in human + augmented:
        pixels = np.asarray(Image.open(folder / bench.CHART_DIR / "png" / entry["imgname"]).convert("RGB")).astype(int)
        bars = {}
        for colour, rgb in COLOURS.items():  # bar pixels lie within 15 of their palette colour per channel
            mask = (np.abs(pixels - np.array(rgb)) <= 15).all(axis=2)
            if mask.sum() > 20:
                bars[colour] = int(mask.any(axis=1).sum()) // CHART_UNIT  # rows covered / pixels per unit
        assert len(bars) == 3, entry
        words = entry["query"].rstrip("?").split()
        if entry["query"].startswith("What is the value"):
            assert entry["label"] == str(bars[words[-2]])
        elif "tallest" in words:
            assert entry["label"] == max(bars, key=bars.get)
        else:
            assert entry["label"] == min(bars, key=bars.get)
    assert CHART_BASELINE < 64


def test_docvqa_copy_holds_the_chart_questions(folder: Path) -> None:
    document = json.loads((folder / bench.DOCVQA_FILE).read_text())
    charts = [json.loads((folder / bench.CHART_DIR / f).read_text()) for f in ("test_human.json", "test_augmented.json")]
    rows = charts[0] + charts[1]
    assert [e["questionId"] for e in document["data"]] == list(range(1, 201))
    for entry, row in zip(document["data"], rows):
        assert (entry["question"], entry["answers"], entry["image"]) == (row["query"], [row["label"]],
                                                                        f"documents/{row['imgname']}")
        assert (folder / bench.DOCVQA_DIR / entry["image"]).read_bytes() == \
            (folder / bench.CHART_DIR / "png" / row["imgname"]).read_bytes()


def test_chat_template_renders_what_training_saw() -> None:
    from transformers import AutoProcessor

    from mmbench.models.bundled import BUNDLED_DIR
    from mmbench.training.llava_multi import chat_prompt

    processor = AutoProcessor.from_pretrained(BUNDLED_DIR / "shapes-llava-multi")
    q = "Which image shows more circles?\nA. x\nB. y"
    interleaved = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": " "}, {"type": "image"},
                                                 {"type": "text", "text": " " + q}]}]
    images_first = [{"role": "user", "content": [{"type": "image"}, {"type": "image"}, {"type": "text", "text": q}]}]
    for conversation in (interleaved, images_first):
        assert processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False) == chat_prompt(2, q)
    one = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Is there a red circle?"}]}]
    assert processor.apply_chat_template(one, add_generation_prompt=True, tokenize=False) == \
        "USER: <image>\nIs there a red circle? ASSISTANT:"

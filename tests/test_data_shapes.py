"""The synthetic shapes suite: deterministic, verified, consistent with what its captions say."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from mmbench.data import load_split
from mmbench.data import shapes
from mmbench.data.shapes_spec import COLOURS, HELDOUT_PAIRS, KINDS, POSITIONS, is_heldout
from mmbench.data.shapes_write import suite_digest, write_suite


@pytest.fixture(scope="module")
def suite() -> Path:
    return shapes.ensure_suite("test")


@pytest.fixture(scope="module")
def karpathy(suite: Path) -> list[dict]:
    return json.loads((suite / "dataset_shapes.json").read_text())["images"]


def test_generation_is_deterministic_and_matches_the_reference_digest(tmp_path: Path, suite: Path) -> None:
    plan = shapes.plan_split_set("test")
    write_suite(tmp_path / "again", plan, shapes.SEED_VERSION, [*shapes.plan_zeroshot("test"), *shapes.plan_zeroshot("heldout")])
    assert suite_digest(tmp_path / "again") == suite_digest(suite) == shapes.EXPECTED_DIGESTS["test"]


def test_every_shapes_task_loads_with_its_expected_count(suite: Path) -> None:
    for name, data in shapes.SHAPES_TASK_DATA.items():
        split = load_split(data, None)
        assert len(split.samples) == data["expected_count"], name


def test_sizes_and_counts(karpathy: list[dict]) -> None:
    splits = Counter(entry["split"] for entry in karpathy)
    assert splits == {"test": 300, "heldout": 90}
    assert Counter(e["attributes"]["kind"] for e in karpathy if e["split"] == "test") == {k: 60 for k in KINDS}


def test_test_images_have_unique_combinations_and_captions(karpathy: list[dict]) -> None:
    test = [e for e in karpathy if e["split"] == "test"]
    combos = {tuple(sorted(e["attributes"].items())) for e in test}
    assert len(combos) == len(test)
    captions = [s["raw"] for e in test for s in e["sentences"]]
    assert len(set(captions)) == len(captions) == 5 * len(test)


def test_heldout_pairs_never_occur_in_train_plan_and_only_in_heldout(karpathy: list[dict]) -> None:
    train = shapes.plan_split_set("train")
    assert len(train) == shapes.TRAIN_SIZE
    assert not any(is_heldout(item.attributes) for item in train)
    heldout = [e for e in karpathy if e["split"] == "heldout"]
    assert {(e["attributes"]["kind"], e["attributes"]["colour"]) for e in heldout} == set(HELDOUT_PAIRS)
    test_pairs = {(e["attributes"]["kind"], e["attributes"]["colour"]) for e in karpathy if e["split"] == "test"}
    assert not test_pairs & set(HELDOUT_PAIRS)


def test_pixels_agree_with_the_attributes(suite: Path, karpathy: list[dict]) -> None:
    """Independent check with scipy.ndimage: object count, colour, horizontal third, size."""
    for entry in karpathy[:120]:
        a = entry["attributes"]
        pixels = np.asarray(Image.open(suite / entry["filepath"] / entry["filename"]).convert("RGB")).astype(int)
        background = pixels[0, 0] if a["position"] != "left" else pixels[0, -1]
        foreground = np.abs(pixels - background).sum(axis=2) > 60
        labels, count = ndimage.label(foreground)
        assert count == a["count"], entry["filename"]
        core = ndimage.binary_erosion(foreground)
        mean = pixels[core].mean(axis=0)
        nearest = min(COLOURS, key=lambda c: float(np.abs(np.array(COLOURS[c]) - mean).sum()))
        assert nearest == a["colour"], entry["filename"]
        xs = np.nonzero(foreground)[1]
        assert POSITIONS[int(xs.mean() // (64 / 3))] == a["position"], entry["filename"]
        widest = max(sl[1].stop - sl[1].start for sl in ndimage.find_objects(labels))
        assert (widest >= 13.5) == (a["size"] == "large"), entry["filename"]


def test_vqa_answers_come_from_the_attributes(suite: Path, karpathy: list[dict]) -> None:
    by_id = {e["cocoid"]: e["attributes"] for e in karpathy}
    split = load_split(shapes.SHAPES_TASK_DATA["shapes_vqa"], None)
    for sample in split.samples[:300]:
        a = by_id[sample.meta["image_id"]]
        question = sample.meta["question"]
        assert len(sample.texts) == 10
        truth = Counter(sample.texts).most_common(1)[0][0]
        if question.startswith("what color"):
            assert truth == a["colour"]
        elif question.startswith("how many"):
            assert truth == str(a["count"]) and sample.meta["answer_type"] == "number"
        elif question.startswith("is there a"):
            colour, kind = question[len("is there a "):-1].split()
            assert truth == ("yes" if (colour, kind) == (a["colour"], a["kind"]) else "no")


def test_zeroshot_classes_are_colour_kind_pairs_unbalanced_on_purpose(suite: Path) -> None:
    split = load_split(shapes.SHAPES_TASK_DATA["shapes_zeroshot"], None)
    assert len(split.classnames) == 30 >= 20 and "red circle" in split.classnames and "yellow star" in split.classnames
    assert split.templates and all("{c}" in t for t in split.templates)
    assert split.templates[0].format(c="red circle") == "a red circle."  # the captions' phrasing
    counts = Counter(s.meta["label"] for s in split.samples)
    heldout = {split.classnames.index(f"{c} {k}") for k, c in HELDOUT_PAIRS}
    assert set(counts) == set(range(30)) - heldout  # every seen pair has images; all 30 are candidates
    assert max(counts.values()) >= 10 * min(counts.values())  # unbalanced: mean per-class recall != top-1
    held = load_split(shapes.SHAPES_TASK_DATA["shapes_zeroshot_heldout"], None)
    assert held.classnames == split.classnames and set(Counter(s.meta["label"] for s in held.samples)) == heldout
    for sample in split.samples[:40]:  # each image shows its class, large
        kind_colour = sample.id.split("/")[0]
        assert kind_colour == "-".join(split.classnames[sample.meta["label"]].split()[::-1])


def test_cached_suite_is_reused_and_a_stale_one_regenerated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             suite: Path) -> None:
    monkeypatch.setenv("MMBENCH_CACHE", str(tmp_path))
    target = shapes.ensure_suite("test")
    (target / "dataset_shapes.json").write_text("{}")  # tampering leaves the marker; marker is trusted
    assert shapes.ensure_suite("test") == target
    (target / ".complete").write_text("stale")
    shapes.ensure_suite("test")
    assert suite_digest(target) == shapes.EXPECTED_DIGESTS["test"]

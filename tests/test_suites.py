"""The standard suites beyond the first four, each on a miniature copy in its official format,
run through ``mmbench.evaluate`` with the mock model; expected values computed by hand.

The mock model sees only an image's dominant colour: it captions "a <colour> shape", answers
colour questions with the colour, "how many" with 1 and yes/no questions with "yes"; its
embeddings are colour one-hots (text: the colour words it reads).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mmbench.runner import evaluate
from mmbench.tasks.spec import load_task_spec
from tests import suite_files as files

CAPTION_METRICS = ["Bleu_1", "CIDEr"]  # Java METEOR is covered by the caption metric tests


def run(task: str, root: Path, **metric_options: object) -> dict:
    """The run's result as a dict, with its per-sample records under ``samples``."""
    spec = load_task_spec(task)
    if metric_options:
        spec = dataclasses.replace(spec, metrics={**spec.metrics, **metric_options})
    result = evaluate(spec, "mock", data_dir=root, output_dir=None, num_workers=0, batch_size=4)
    return {**result.to_dict(), "samples": result.samples}


# ---- retrieval and captioning -------------------------------------------------------------------

def test_coco5k_retrieval_reads_only_the_karpathy_test_split(tmp_path: Path) -> None:
    files.karpathy_coco(tmp_path, [
        (42, "red", "test", ["A red square.", "red on grey", "a red thing", "something red", "red"]),
        (73, "red", "train", ["a red one"] * 5),      # same colour: would tie with 42 if it were read
        (74, "blue", "test", ["A blue square.", "blue", "a blue thing", "blue block", "blue box", "blue again"]),
        (80, "green", "restval", ["a green one"] * 5),
        (99, "green", "test", ["a green square", "green", "green block", "green box", "green thing"]),
    ])
    out = run("coco5k_retrieval", tmp_path)
    assert out["task"]["num_samples"] == 3  # 42, 74, 99
    # every caption names its own image's colour and the three colours differ: all recalls are 1
    assert out["metrics"]["i2t_R@1"] == out["metrics"]["t2i_R@1"] == 1.0
    samples = {s["id"]: s for s in out["samples"] if s.get("kind") == "image"}
    assert sorted(samples) == ["42", "74", "99"]
    assert sum(1 for s in out["samples"] if s.get("kind") == "text") == 16  # 5 + 6 + 5 captions


def test_flickr30k_caption_karpathy_scores_the_test_split(tmp_path: Path) -> None:
    files.karpathy_flickr(tmp_path, [
        ("1000092795", "red", "test", ["a red shape", "a red square", "red", "a square", "a shape"]),
        ("10002456", "blue", "train", ["a blue shape"] * 5),
        ("1001", "blue", "test", ["a dog runs", "a dog", "the dog", "dog", "dogs"]),
    ])
    out = run("flickr30k_caption_karpathy", tmp_path, metrics=CAPTION_METRICS)
    assert [s["id"] for s in out["samples"]] == ["1000092795", "1001"]
    assert [s["prediction"] for s in out["samples"]] == ["a red shape", "a blue shape"]
    # BLEU-1 by hand: hypotheses "a red shape" (3/3 unigrams in a reference) and "a blue shape"
    # (only "a" clipped against "a dog runs"); 4 matches of 6 words; lengths 3+3 vs closest refs 3+3: no penalty
    assert out["metrics"]["Bleu_1"] == pytest.approx(4 / 6, abs=1e-6)


def test_nocaps_reports_each_domain_on_its_own_references(tmp_path: Path) -> None:
    files.nocaps(tmp_path, [
        ("0013ea2087020901", "red", "in-domain", ["a red shape", "a red square", "red"] + ["a red box"] * 7),
        ("00223d8a1e5e5ae6", "blue", "in-domain", ["a blue shape", "blue", "a blue box"] + ["blue thing"] * 7),
        ("003e3e2d0e3e8f71", "green", "near-domain", ["a dog runs"] * 10),
        ("0044e8c7b4d6c0d6", "yellow", "near-domain", ["a cat sits"] * 10),
        ("00f7b6d0b2a9c1e4", "purple", "out-domain", ["a purple shape"] * 10),
    ])
    out = run("nocaps_val", tmp_path, metrics=CAPTION_METRICS)
    m = out["metrics"]
    assert out["task"]["num_samples"] == 5
    assert {s["id"]: s["domain"] for s in out["samples"]}["2"] == "near-domain"  # integer ids in the file
    # in-domain: both hypotheses are references word for word -> every unigram matches
    assert m["Bleu_1_in_domain"] == pytest.approx(1.0, abs=1e-6)
    # near-domain: "a green shape" vs "a dog runs", "a yellow shape" vs "a cat sits": 2 of 6 unigrams
    assert m["Bleu_1_near_domain"] == pytest.approx(2 / 6, abs=1e-6)
    # out-domain has one image: every n-gram occurs in all (one) reference sets, so its IDF and its
    # CIDEr are 0 when scored on its own references, although the caption equals its references
    assert m["CIDEr_out_domain"] == 0.0
    assert m["CIDEr"] > 0.0  # scored with all 5 images' references, the purple caption is rare: not 0
    assert set(m) == {f"{name}{suffix}" for name in CAPTION_METRICS
                      for suffix in ("", "_in_domain", "_near_domain", "_out_domain")}

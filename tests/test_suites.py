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

# Official split sizes, from the datasets' papers and pages (not read from the task files).
OFFICIAL = {"coco5k_retrieval": ("retrieval", 5000), "flickr30k_caption_karpathy": ("captioning", 1000),
            "nocaps_val": ("captioning", 4500), "okvqa_val": ("vqa", 5046), "textvqa_val": ("vqa", 5000),
            "vizwiz_vqa_val": ("vqa", 4319), "gqa_testdev_balanced": ("vqa", 12578)}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_task_file_declares_type_and_official_count_with_its_source(name: str) -> None:
    import re

    spec = load_task_spec(name)
    assert (spec.type, spec.data["expected_count"]) == OFFICIAL[name]
    assert spec.description
    line = next(text for text in Path(spec.source).read_text().splitlines() if "expected_count:" in text)
    assert re.search(r"#.*source: \S", line), line


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


# ---- VQA ------------------------------------------------------------------------------------------

def test_okvqa_vqa_format_files_and_accuracy(tmp_path: Path) -> None:
    files.okvqa(tmp_path, [
        (2971475, 297147, "red", "What colour is this vehicle?", "one", ["red"] * 10),
        (1424, 142, "blue", "What is this made of?", "three", ["blue shape"] * 2 + ["plastic"] * 8),
    ])
    out = run("okvqa_val", tmp_path)
    # question 2: "a blue shape" -> "blue shape" matches 2 of 10 answers; leaving out one of those 2
    # leaves 1 match (1/3), leaving out any of the other 8 leaves 2 (2/3): (2/3 + 16/3) / 10 = 0.6
    assert out["metrics"] == pytest.approx({"accuracy": 0.8, "accuracy_one": 1.0, "accuracy_three": 0.6})
    assert [s["id"] for s in out["samples"]] == ["2971475", "1424"]


def test_textvqa_offers_ocr_tokens_to_prompts_and_uses_evalai_processing(tmp_path: Path) -> None:
    from mmbench.data import load_split
    from mmbench.metrics.vqa import evalai_normalize, normalize_answer
    from mmbench.tasks.vqa import VqaTask

    files.textvqa(tmp_path, [
        (34602, "003a8ae2ef43b901", "red", "What colour is the sign?", ["red"] * 10, ["STOP", "ahead"]),
        (34603, "00685bc495504d61", "green", "How many words are there?", ["one"] * 3 + ["two"] * 7, []),
    ])
    spec = load_task_spec("textvqa_val")
    split = load_split(spec.data, tmp_path)
    task = VqaTask(spec, split)
    assert task.prompt_for(split.samples[0]) == ("What colour is the sign?\nReference OCR token: STOP, ahead\n"
                                                "Answer the question using a single word or phrase.")
    assert task.prompt_for(split.samples[1]) == "How many words are there?\nAnswer the question using a single word or phrase."
    out = run("textvqa_val", tmp_path)
    # question 2: "1" matches the three "one"s: (3 x 2/3 + 7 x 1) / 10 = 0.9
    assert out["metrics"]["accuracy"] == pytest.approx((1.0 + 0.9) / 2)
    # the EvalAI processor's word_tokenize step: "," and "?" deleted, "'s" split off before the VQA rules
    assert evalai_normalize("Coca-Cola's, inc?") == "coca cola 's inc"
    assert normalize_answer("Coca-Cola's, inc?") == "coca cola's inc"


def test_vizwiz_scores_raw_answers_and_reports_answerable_apart(tmp_path: Path) -> None:
    files.vizwiz(tmp_path, [
        ("red", "What colour is this shirt?", ["red"] * 10, "other", 1),                  # 1
        ("green", "What colour is the cap?", ["Green"] * 10, "other", 1),                 # 0: answers are not normalised
        ("blue", "What is the expiry date?", ["unanswerable"] * 10, "unanswerable", 0),   # 0
        ("yellow", "Is this on?", ["yes"] * 5 + ["no"] * 5, "yes/no", 1),                 # 1: 5 matches, >= 3 in every subset
        ("purple", "How many pills are left?", ["unanswerable"] * 6 + ["1"] * 4, "number", 0),  # 1: 4 matches
    ])
    out = run("vizwiz_vqa_val", tmp_path)
    assert out["metrics"] == pytest.approx({
        "accuracy": 3 / 5, "accuracy_other": 1 / 2, "accuracy_unanswerable": 0.0, "accuracy_yes_no": 1.0,
        "accuracy_number": 1.0, "accuracy_answerable": 2 / 3, "accuracy_not_answerable": 1 / 2})
    assert out["samples"][0]["id"] == "VizWiz_val_00000000.jpg"


def test_vizwiz_normalisation_follows_the_official_rules() -> None:
    from mmbench.metrics.vqa import question_accuracy

    # the prediction goes through punctuation and digit/article processing, the answers do not
    assert question_accuracy("Two.", ["2"] * 10, "vizwiz") == 1.0
    assert question_accuracy("2", ["two"] * 10, "vizwiz") == 0.0
    assert question_accuracy("2", ["two"] * 10, "standard") == 1.0
    assert question_accuracy("Unanswerable", ["unanswerable"] * 3 + ["blue"] * 7, "vizwiz") == pytest.approx(0.9)


def test_gqa_exact_match_per_structural_and_semantic_type(tmp_path: Path) -> None:
    files.gqa(tmp_path, [
        ("20968379", "n161313", "green", "What color is the ball?", "green", "query", "attr", True),       # 1
        ("201640614", "n235859", "red", "Is the ball red?", "yes", "verify", "attr", True),                # 1
        ("20253186", "n578564", "blue", "Which is bigger, the cat or the dog?", "dog", "choose", "rel", True),  # 0
        ("201787366", "n436614", "yellow", "What is on the table?", "cup", "query", "obj", True),          # 0
        ("05515938", "n161313", "green", "Is it green?", "no", "verify", "attr", False),                   # not balanced
    ])
    out = run("gqa_testdev_balanced", tmp_path)
    assert out["task"]["num_samples"] == 4
    assert out["metrics"] == pytest.approx({
        "accuracy": 0.5, "accuracy_open": 0.5, "accuracy_binary": 0.5, "accuracy_query": 0.5, "accuracy_verify": 1.0,
        "accuracy_choose": 0.0, "accuracy_attr": 1.0, "accuracy_rel": 0.0, "accuracy_obj": 0.0})


def test_gqa_normalisation() -> None:
    from mmbench.metrics.gqa import exact_match_accuracy, gqa_normalize

    assert gqa_normalize(" Yes. ") == "yes"
    assert gqa_normalize("The left") == "the left"  # articles stay: GQA answers keep them
    answers = {"1": "yes", "2": "left"}
    assert exact_match_accuracy({"1": "Yes.", "2": "Left"}, answers) == {"1": 1.0, "2": 1.0}
    assert exact_match_accuracy({"1": "Yes.", "2": "left"}, answers, "exact") == {"1": 0.0, "2": 1.0}

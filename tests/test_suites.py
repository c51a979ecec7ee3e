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

from mmbench.engine.runner import evaluate
from mmbench.tasks.spec import load_task_spec
from tests import suite_files as files

CAPTION_METRICS = ["Bleu_1", "CIDEr"]  # Java METEOR is covered by the caption metric tests

# Official split sizes, from the datasets' papers and pages (not read from the task files).
OFFICIAL = {"coco5k_retrieval": ("retrieval", 5000), "flickr30k_caption_karpathy": ("captioning", 1000),
            "nocaps_val": ("captioning", 4500), "okvqa_val": ("vqa", 5046), "textvqa_val": ("vqa", 5000),
            "vizwiz_vqa_val": ("vqa", 4319), "gqa_testdev_balanced": ("vqa", 12578),
            "imagenet_v2_zeroshot": ("zeroshot", 10000), "imagenet_sketch_zeroshot": ("zeroshot", 50889),
            "imagenet_r_zeroshot": ("zeroshot", 30000), "imagenet_a_zeroshot": ("zeroshot", 7500),
            "cifar10_zeroshot": ("zeroshot", 10000), "cifar100_zeroshot": ("zeroshot", 10000)}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_task_file_declares_type_and_official_count_with_its_source(name: str) -> None:
    import re

    spec = load_task_spec(name)
    assert (spec.type, spec.data["expected_count"]) == OFFICIAL[name]
    assert spec.description
    line = next(text for text in Path(spec.source).read_text().splitlines() if "expected_count:" in text)
    assert re.search(r"#.*source: \S", line), line


def run(task: str, root: Path, **metric_options: object) -> dict:
    """The run's result as a dict, with its per-sample records under ``samples``.

    Batches of 4 split the miniature sets. Zero-shot tasks keep their classes but get one prompt
    template instead of 80 (what is tested here is the classes, not the prompt ensemble, which
    tests/test_classification_metrics.py covers), in batches of 1024."""
    spec = load_task_spec(task)
    if metric_options:
        spec = dataclasses.replace(spec, metrics={**spec.metrics, **metric_options})
    if spec.type == "zeroshot":
        spec = dataclasses.replace(spec, data={**spec.data, "templates": ["a photo of a {c}."]})
    batch_size = 1024 if spec.type == "zeroshot" else 4
    result = evaluate(spec, "mock", data_dir=root, output_dir=None, num_workers=0, batch_size=batch_size)
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


# ---- zero-shot ----------------------------------------------------------------------------------

def test_shipped_class_lists_are_the_published_ones() -> None:
    from mmbench.data.classes import imagenet_wnids, named_classnames

    r, a = json_wnids("imagenet_r"), json_wnids("imagenet_a")
    assert len(set(r)) == len(set(a)) == 200 and set(r) | set(a) <= set(imagenet_wnids())
    # spot checks against the datasets' own folder lists (hendrycks/imagenet-r, natural-adv-examples)
    assert r[:3] == ["n01443537", "n01484850", "n01494475"] and r[-1] == "n12267677"
    assert a[:3] == ["n01498041", "n01531178", "n01534433"] and a[-1] == "n12267677"
    assert named_classnames("cifar10") == CIFAR10
    assert len(named_classnames("cifar100")) == 100 and named_classnames("cifar100")[-3:] == ["wolf", "woman", "worm"]

WNID = {"red fox": "n02119022", "green iguana": "n01677366", "black swan": "n01860187", "goldfish": "n01443537",
        "American black bear": "n02133161", "yellow lady's slipper": "n12057211", "orange": "n07747607",
        "brown bear": "n02132136", "hen": "n01514859"}


def test_imagenet_r_predictions_are_restricted_to_its_200_classes(tmp_path: Path) -> None:
    from mmbench.data import load_split

    files.class_folders(tmp_path / "imagenet-r", "imagenet-r", {WNID["red fox"]: "red", WNID["green iguana"]: "green",
                                                                  WNID["black swan"]: "black"})
    split = load_split(load_task_spec("imagenet_r_zeroshot").data, tmp_path)
    assert len(split.classnames) == 200 and "red fox" in split.classnames
    # by hand: the mock's text embeddings carry only colour words; among the 200 ImageNet-R classes
    # "red fox", "green iguana" and "black swan" are the only names with "red", "green" and "black",
    # so each image's nearest class is its own (over all 1000 classes "red" would also be "red wine",
    # "red panda", "red king crab" ... and "black" "black stork", "black grouse" ...)
    out = run("imagenet_r_zeroshot", tmp_path)
    assert out["metrics"]["top1"] == 1.0
    labels = sorted(json_wnids("imagenet_r")).index
    assert sorted((s["label"], s["prediction"]) for s in out["samples"]) == sorted(
        (labels(WNID[c]), labels(WNID[c])) for c in ("red fox", "green iguana", "black swan"))


def test_imagenet_a_subset_and_folders_outside_it(tmp_path: Path) -> None:
    from mmbench.data import load_split
    from mmbench.errors import DataError

    files.class_folders(tmp_path / "imagenet-a", "imagenet-a", {WNID["American black bear"]: "black",
                                                                  WNID["yellow lady's slipper"]: "yellow"})
    (tmp_path / "imagenet-a" / "imagenet-a" / "README.txt").write_text("ImageNet-A")  # shipped beside the folders
    out = run("imagenet_a_zeroshot", tmp_path)
    assert out["metrics"]["top1"] == 1.0 and out["task"]["num_samples"] == 2
    files.class_folders(tmp_path / "imagenet-a", "imagenet-a", {WNID["goldfish"]: "orange"})  # not an ImageNet-A class
    with pytest.raises(DataError, match="n01443537.*not one of the 200 classes"):
        load_split(load_task_spec("imagenet_a_zeroshot").data, tmp_path)


def test_imagenet_v2_class_index_folders(tmp_path: Path) -> None:
    from mmbench.data import load_split
    from mmbench.data.classes import imagenet_wnids
    from mmbench.errors import DataError

    orange, brown_bear = imagenet_wnids().index(WNID["orange"]), imagenet_wnids().index(WNID["brown bear"])
    assert (orange, brown_bear) == (950, 294)  # ImageNet class indices (sorted wnids)
    root = tmp_path / "imagenetv2"
    files.class_folders(root, "imagenetv2-matched-frequency-format-val", {"950": "orange", "294": "brown"}, ".jpeg")
    out = run("imagenet_v2_zeroshot", tmp_path)
    # "orange" and "brown bear" are the only ImageNet names with the words orange and brown
    assert sorted((s["label"], s["prediction"]) for s in out["samples"]) == [(294, 294), (950, 950)]
    assert out["metrics"]["top1"] == 1.0
    files.class_folders(root, "imagenetv2-matched-frequency-format-val", {"1000": "red"}, ".jpeg")
    with pytest.raises(DataError, match="'1000' is not a class index"):
        load_split(load_task_spec("imagenet_v2_zeroshot").data, tmp_path)


def test_imagenet_sketch_wnid_folders(tmp_path: Path) -> None:
    files.class_folders(tmp_path / "imagenet-sketch", "sketch", {WNID["orange"]: "orange", WNID["brown bear"]: "brown",
                                                                  WNID["hen"]: "red"}, ".JPEG")
    out = run("imagenet_sketch_zeroshot", tmp_path)
    assert out["task"]["num_samples"] == 3
    # orange and brown bear are found; "hen" has no colour word, and red is claimed by the red classes
    assert {s["label"]: s["prediction"] == s["label"] for s in out["samples"]} == {950: True, 294: True, 8: False}
    assert out["metrics"]["top1"] == pytest.approx(2 / 3)


def json_wnids(subset: str) -> list[str]:
    import json

    from mmbench.data.classes import CLASS_SUBSETS, REFDATA

    return json.loads((REFDATA / CLASS_SUBSETS[subset]).read_text())


CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def test_cifar10_python_batches_without_unpickling_objects(tmp_path: Path) -> None:
    files.cifar(tmp_path, "cifar-10-batches-py", "test_batch", "batches.meta", "labels", "label_names", CIFAR10,
                [(3, "red"), (5, "blue"), (0, "green")])
    out = run("cifar10_zeroshot", tmp_path)
    assert [s["label"] for s in out["samples"]] == [3, 5, 0]
    # by hand: no CIFAR-10 name has a colour word, so every prompt embedding is orthogonal to the
    # colour part of every image embedding; the images differ only there, so all three get the same
    # logits and the same prediction, and top-1 is the share of labels equal to it
    predictions = {s["prediction"] for s in out["samples"]}
    assert len(predictions) == 1
    assert out["metrics"]["top1"] == pytest.approx(sum(s["label"] in predictions for s in out["samples"]) / 3)


def test_cifar100_fine_labels_and_clip_names(tmp_path: Path) -> None:
    from mmbench.data import load_split
    from mmbench.data.classes import named_classnames

    clip_names = named_classnames("cifar100")
    meta_names = [n.replace(" ", "_") for n in clip_names]  # the meta file writes aquarium_fish, maple_tree ...
    files.cifar(tmp_path, "cifar-100-python", "test", "meta", "fine_labels", "fine_label_names", meta_names,
                [(49, "blue"), (1, "orange")])
    split = load_split(load_task_spec("cifar100_zeroshot").data, tmp_path)
    assert split.classnames[1] == "aquarium fish" and len(split.classnames) == 100
    assert [s.meta["label"] for s in split.samples] == [49, 1]
    assert split.samples[0].image.image.size == (32, 32) and split.samples[0].image.image.getpixel((16, 16)) == files.RGB["blue"]
    assert len(split.templates) == 18 and split.templates[0] == "a photo of a {c}."


def test_cifar_loader_refuses_pickled_objects(tmp_path: Path) -> None:
    import pickle

    from mmbench.data.cifar import load_arrays_pickle
    from mmbench.errors import DataError

    class Payload:
        def __reduce__(self) -> tuple:
            return (print, ("side effect",))

    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps({b"data": Payload()}, protocol=2))
    with pytest.raises(DataError, match="refusing to load .*print"):
        load_arrays_pickle(path)


# ---- published numbers --------------------------------------------------------------------------

def test_every_new_task_has_reported_rows() -> None:
    from mmbench.report.reference import REPORTED

    reported_tasks = {r.task for r in REPORTED}
    new_tasks = set(OFFICIAL) | {"imagenet_shifts", "clip_benchmark_core"}
    assert new_tasks <= reported_tasks
    documented = (Path(__file__).resolve().parents[1] / "docs" / "reported.md").read_text()
    assert all(f"`{name}`" in documented for name in new_tasks)
    # values as the sources print them (docs/reported.md), on the results scale
    rows = {(r.model, r.task): r.metrics for r in REPORTED}
    assert rows[("CLIP ViT-B/32 (OpenAI)", "imagenet_r_zeroshot")] == {"top1": 0.6932, "top5": 0.8887}
    assert rows[("LLaVA-1.5-7B", "gqa_testdev_balanced")] == {"accuracy": 0.620}
    assert rows[("BLIP (LAVIS)", "nocaps_val")]["CIDEr"] == 1.091
    assert rows[("Qwen-VL (Qwen-7B)", "flickr30k_caption_karpathy")] == {"CIDEr": 0.858}
    assert rows[("Qwen-VL-Chat", "vizwiz_vqa_val")] == {"accuracy": 0.389}
    # clip_benchmark_core: the mean of open_clip's nine member rows, top-1 and (i2t R@1 + t2i R@1) / 2 (docs/reported.md)
    b32 = [63.32, 55.92, 42.29, 69.33, 31.55, 89.83, 64.23, (78.90 + 58.78) / 2, (50.12 + 30.44) / 2]
    assert rows[("CLIP ViT-B/32 (OpenAI)", "clip_benchmark_core")]["mean"] == pytest.approx(sum(b32) / 9 / 100, abs=5e-5)
    assert rows[("CLIP ViT-L/14 (OpenAI)", "clip_benchmark_core")] == {"mean": 0.7294}


def test_data_path_names_each_file_and_its_download(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mmbench.cli import main

    assert main(["data", "path", "gqa_testdev_balanced", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"MISSING GQA questions file: {tmp_path / 'gqa' / 'testdev_balanced_questions.json'}" in out
    assert "questions1.2.zip" in out
    files.gqa(tmp_path, [("1", "n1", "red", "Is it red?", "yes", "verify", "attr", True)])
    assert main(["data", "path", "gqa_testdev_balanced", "--data-dir", str(tmp_path)]) == 0
    assert "MISSING" not in capsys.readouterr().out


def test_list_tasks_shows_every_new_task_and_group_with_its_description(capsys: pytest.CaptureFixture[str]) -> None:
    from mmbench.cli import main

    assert main(["list", "tasks"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    for name in [*OFFICIAL, "imagenet_shifts", "clip_benchmark_core"]:
        spec = load_task_spec(name)
        assert name in lines and spec.description[:40] in lines[name], name
    assert " group " in lines["imagenet_shifts"]


def test_cifar_hugging_face_copy_with_clip_names(tmp_path: Path) -> None:
    import datasets
    from PIL import Image

    from mmbench.data import load_split
    from mmbench.data.classes import named_classnames

    # uoft-cs/cifar100's layout: an image column and ClassLabel fine labels with the meta file's names
    meta_names = [n.replace(" ", "_") for n in named_classnames("cifar100")]
    features = datasets.Features({"img": datasets.Image(), "fine_label": datasets.ClassLabel(names=meta_names)})
    ds = datasets.Dataset.from_dict({"img": [Image.new("RGB", (32, 32), (9, 9, 9))], "fine_label": [1]}, features=features)
    ds.save_to_disk(str(tmp_path / "cifar100_hf"))
    split = load_split({"format": "hf", "path": str(tmp_path / "cifar100_hf"), "columns": {"image": "img", "label": "fine_label"},
                        "classnames": "cifar100", "templates": "openai_cifar"})
    assert split.classnames[1] == "aquarium fish" and len(split.templates) == 18
    assert split.samples[0].meta["label"] == 1


@pytest.mark.parametrize("what", ["models", "tasks"])
def test_list_wraps_to_the_terminal_width(what: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """On a 100-column terminal no line is wider than 100; every entry still starts a line and every
    word of its description is printed (wrapped, not cut). Piped, each entry is one line."""
    from mmbench.cli import main
    from mmbench.commands import list as list_command

    assert main(["list", what]) == 0
    piped = capsys.readouterr().out.splitlines()
    entries = {line.split()[0]: line for line in piped[2:] if line.strip()}
    assert max(map(len, piped)) > 100  # the check below is not vacuous
    monkeypatch.setattr(list_command, "terminal_width", lambda: 100)
    assert main(["list", what]) == 0
    wrapped = capsys.readouterr().out.splitlines()
    assert max(map(len, wrapped)) <= 100, max(wrapped, key=len)
    starts = [line.split()[0] for line in wrapped[2:] if line.strip() and not line.startswith(" ")]
    assert starts == list(entries)
    def characters(lines: list[str]) -> int:
        return sum(len("".join(line.split())) for line in lines[2:])

    assert characters(wrapped) == characters(piped)  # wrapping adds only white space: nothing is cut

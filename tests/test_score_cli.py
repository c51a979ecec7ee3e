"""``mmbench score`` in process: formats, values against golden / reference code, --json purity,
and one-line errors (exit 2, no traceback) for bad input files. The real command (no torch for
captions and VQA, bad input through the entry point) is tested in tests/test_cli.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from mmbench.cli import main

GOLDEN_DIR = Path(__file__).parent / "golden"
VQA = json.loads((GOLDEN_DIR / "vqa_three_conventions.json").read_text())
RETRIEVAL = json.loads((GOLDEN_DIR / "retrieval_recall.json").read_text())


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["score", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- input files


@pytest.fixture
def vqa_files(tmp_path: Path) -> dict[str, Path]:
    annotations = {"annotations": [
        {"question_id": c["question_id"], "image_id": 7, "question_type": c["question_type"], "answer_type": c["answer_type"],
         "multiple_choice_answer": c["gt_answers"][0],
         "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": k + 1} for k, a in enumerate(c["gt_answers"])]}
        for c in VQA["cases"]
    ]}
    questions = {"questions": [{"question_id": c["question_id"], "image_id": 7, "question": "?"} for c in VQA["cases"]]}
    predictions = [{"question_id": c["question_id"], "answer": c["prediction"]} for c in VQA["cases"]]
    return {
        "annotations": write_json(tmp_path / "annotations.json", annotations),
        "questions": write_json(tmp_path / "questions.json", questions),
        "predictions": write_json(tmp_path / "predictions.json", predictions),
    }


def golden_retrieval_arrays() -> dict[str, np.ndarray]:
    """Unit-norm embeddings whose products rank exactly as the golden similarity matrix: every
    image row gets the same norm R through one extra dimension, texts are basis vectors."""
    sims = np.asarray(RETRIEVAL["sims_image_by_text"], dtype=np.float64)  # (20, 100)
    radius = np.linalg.norm(sims, axis=1).max() * 1.01
    pad = np.sqrt(radius**2 - (sims**2).sum(axis=1))[:, None]
    images = np.hstack([sims, pad]) / radius  # (20, 101)
    texts = np.eye(sims.shape[1], sims.shape[1] + 1)  # (100, 101)
    owner = np.repeat(np.arange(RETRIEVAL["n_images"]), RETRIEVAL["captions_per_image"])
    return {"image_embeds": images.astype(np.float32), "text_embeds": texts.astype(np.float32), "text_image": owner}


@pytest.fixture
def embeddings_npz(tmp_path: Path) -> Path:
    path = tmp_path / "embeddings.npz"
    np.savez(path, **golden_retrieval_arrays())
    return path


CLASSIFICATION_LOGITS = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.5, 0.4, 0.1]], dtype=np.float32)
CLASSIFICATION_LABELS = np.array([1, 0, 0, 1])  # right, right, wrong (rank 2), wrong (rank 1)


@pytest.fixture
def logits_npz(tmp_path: Path) -> Path:
    path = tmp_path / "logits.npz"
    np.savez(path, logits=CLASSIFICATION_LOGITS, labels=CLASSIFICATION_LABELS)
    return path


# --------------------------------------------------------------------------- values and formats


def only_json_object(out: str) -> dict[str, float]:
    lines = out.splitlines()
    assert len(lines) == 1, f"stdout must hold one JSON object and nothing else, got {out!r}"
    value = json.loads(lines[0])
    assert isinstance(value, dict) and all(isinstance(v, float) for v in value.values())
    return value


@pytest.mark.parametrize(("normalization", "column", "scale"), [("official", "official_head_pct", 100), ("standard", "lmms_eval_frac", 1)])
def test_vqa_json_equals_golden(capsys, vqa_files, normalization: str, column: str, scale: int) -> None:
    rc, out, err = cli(capsys, "vqa", "--predictions", str(vqa_files["predictions"]), "--annotations", str(vqa_files["annotations"]),
                       "--questions", str(vqa_files["questions"]), "--normalization", normalization, "--json")
    assert rc == 0 and err == ""
    metrics = only_json_object(out)
    assert list(metrics) == ["accuracy", "accuracy_yes_no", "accuracy_number", "accuracy_other"]
    expected = sum(c[column] for c in VQA["cases"]) / scale / len(VQA["cases"])
    assert abs(metrics["accuracy"] - expected) <= 1e-9
    if normalization == "official":
        per_type = VQA["official_head_accuracy"]["perAnswerType"]
        assert round(100 * metrics["accuracy_yes_no"], 2) == per_type["yes/no"]
        assert round(100 * metrics["accuracy_number"], 2) == per_type["number"]
        assert round(100 * metrics["accuracy_other"], 2) == per_type["other"]


def test_vqa_table_prints_values_x100(capsys, vqa_files) -> None:
    rc, out, _ = cli(capsys, "vqa", "--predictions", str(vqa_files["predictions"]), "--annotations", str(vqa_files["annotations"]))
    assert rc == 0
    assert "x100" in out and "standard normalization" in out
    row = next(line for line in out.splitlines() if line.startswith("accuracy "))
    assert row.split()[-1] == f"{100 * VQA['lmms_eval_mean_exact_match']:.2f}"


def test_vqa_allow_missing_scores_missing_as_wrong(capsys, vqa_files, tmp_path) -> None:
    predictions = json.loads(vqa_files["predictions"].read_text())[1:]  # drop question 1 (scored 1 officially)
    path = write_json(tmp_path / "partial.json", predictions)
    rc, out, err = cli(capsys, "vqa", "--predictions", str(path), "--annotations", str(vqa_files["annotations"]),
                       "--normalization", "official", "--allow-missing", "--json")
    assert rc == 0
    assert "warning: 1 of 16 questions have no prediction" in err
    expected = sum(c["official_head_pct"] for c in VQA["cases"][1:]) / 100 / 16
    assert abs(only_json_object(out)["accuracy"] - expected) <= 1e-9


def test_retrieval_json_equals_golden(capsys, embeddings_npz) -> None:
    rc, out, err = cli(capsys, "retrieval", "--embeddings", str(embeddings_npz), "--json")
    assert rc == 0 and err == ""
    metrics = only_json_object(out)
    expected = RETRIEVAL["expected_clip_benchmark_style_pct"]
    for k in (1, 5, 10):
        assert abs(100 * metrics[f"i2t_R@{k}"] - expected[f"text_retrieval_recall@{k}"]) <= 1e-9
        assert abs(100 * metrics[f"t2i_R@{k}"] - expected[f"image_retrieval_recall@{k}"]) <= 1e-9


def test_retrieval_table(capsys, embeddings_npz) -> None:
    rc, out, _ = cli(capsys, "retrieval", "--embeddings", str(embeddings_npz))
    assert rc == 0
    assert "20 images, 100 texts" in out
    assert next(line for line in out.splitlines() if line.startswith("i2t_R@1 ")).split()[-1] == "60.00"


def test_classification_json_hand_computed(capsys, logits_npz) -> None:
    rc, out, err = cli(capsys, "classification", "--logits", str(logits_npz), "--json")
    assert rc == 0 and err == ""
    # top1: 2 of 4; top5 (3 classes): all; per class: class 0 1/2, class 1 1/2
    assert only_json_object(out) == {"top1": 0.5, "top5": 1.0, "mean_per_class_recall": 0.5}


# --------------------------------------------------------------------------- real CLI, no torch

CAPTION_PREDICTIONS = {
    1: "A man riding a wave on top of a surfboard.", 2: "two dogs playing with a frisbee", 3: "A plate of food, with 3 eggs & toast!",
    4: "", 5: "a café in São Paulo at night", 6: "The cat's bed (red) is on the sofa.", 7: "a red double decker bus",
}
CAPTION_REFERENCES = {
    1: ["A surfer rides a large wave.", "a man on a surfboard riding a wave", "Someone surfing in the ocean."],
    2: ["Two dogs play with a frisbee on the grass.", "dogs running after a flying disc", "two brown dogs", "A pair of dogs play."],
    3: ["a plate with eggs and toast", "Breakfast: 3 eggs, toast and coffee.", "food on a white plate"],
    4: ["a kitchen with a stove", "An empty kitchen."],
    5: ["people sitting outside a cafe at night", "A small café on a street in Brazil."],
    6: ["a cat lying on a red bed", "The cat is sleeping on its bed on a couch.", "cat's bed"],
    7: ["A red double-decker bus drives down the street.", "a bus in London", "red bus"],
    8: ["an image nobody predicted"],
}


def pycocoevalcap_reference(predictions: dict[int, str], references: dict[int, list[str]]) -> dict[str, float]:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize({i: [{"caption": c} for c in references[i]] for i in predictions})
    res = tokenizer.tokenize({i: [{"caption": c}] for i, c in predictions.items()})
    bleu, _ = Bleu(4).compute_score(gts, res)
    values = {f"Bleu_{n + 1}": bleu[n] for n in range(4)}
    values["ROUGE_L"] = Rouge().compute_score(gts, res)[0]
    values["CIDEr"] = Cider().compute_score(gts, res)[0]
    return values


# --------------------------------------------------------------------------- bad input

Files = dict[str, Path]


def _vqa_args(f: Files, predictions: Path | None = None, annotations: Path | None = None, *extra: str) -> list[str]:
    return ["vqa", "--predictions", str(predictions or f["predictions"]), "--annotations", str(annotations or f["annotations"]), *extra]


def _bad_predictions(content: Any) -> Callable[[Path, Files], tuple[list[str], str]]:
    def make(tmp: Path, f: Files) -> tuple[list[str], str]:
        path = tmp / "bad_predictions.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return _vqa_args(f, predictions=path), "bad_predictions.json"
    return make


def _bad_annotations(content: Any) -> Callable[[Path, Files], tuple[list[str], str]]:
    def make(tmp: Path, f: Files) -> tuple[list[str], str]:
        return _vqa_args(f, annotations=write_json(tmp / "bad_annotations.json", content)), "bad_annotations.json"
    return make


def _bad_npz(task: str, **arrays: Any) -> Callable[[Path, Files], tuple[list[str], str]]:
    def make(tmp: Path, f: Files) -> tuple[list[str], str]:
        path = tmp / "bad.npz"
        np.savez(path, **arrays)
        return [task, "--embeddings" if task == "retrieval" else "--logits", str(path)], "bad.npz"
    return make


def _bad_captions(predictions: Any, references: Any = None) -> Callable[[Path, Files], tuple[list[str], str]]:
    def make(tmp: Path, f: Files) -> tuple[list[str], str]:
        refs = references or {"images": [], "annotations": [{"image_id": 1, "caption": "a dog"}]}
        p = write_json(tmp / "bad_captions.json", predictions)
        r = write_json(tmp / "bad_refs.json", refs)
        return ["captioning", "--predictions", str(p), "--references", str(r)], "bad_captions.json" if references is None else "bad_refs.json"
    return make


def _garbage_file(tmp: Path, f: Files) -> tuple[list[str], str]:
    path = tmp / "garbage.npz"
    path.write_bytes(b"this is not a zip archive")
    return ["retrieval", "--embeddings", str(path)], "garbage.npz"


def _pickled_npz(tmp: Path, f: Files) -> tuple[list[str], str]:
    path = tmp / "pickled.npz"
    np.savez(path, logits=np.array([{"x": 1}], dtype=object), labels=np.array([0]))
    return ["classification", "--logits", str(path)], "pickled.npz"


def _single_array(tmp: Path, f: Files) -> tuple[list[str], str]:
    path = tmp / "single.npy"
    np.save(path, np.zeros((2, 3)))
    return ["classification", "--logits", str(path)], "single.npy"


def _missing_file(tmp: Path, f: Files) -> tuple[list[str], str]:
    return ["classification", "--logits", str(tmp / "nowhere.npz")], "nowhere.npz"


def _questions_mismatch(tmp: Path, f: Files) -> tuple[list[str], str]:
    path = write_json(tmp / "questions_other.json", {"questions": [{"question_id": 999, "image_id": 1, "question": "?"}]})
    return _vqa_args(f, None, None, "--questions", str(path)), "questions_other.json"


def _missing_predictions(tmp: Path, f: Files) -> tuple[list[str], str]:
    path = write_json(tmp / "partial_predictions.json", [{"question_id": 1, "answer": "yes"}])
    return _vqa_args(f, predictions=path), "partial_predictions.json"


def _nonexistent_vqa(tmp: Path, f: Files) -> tuple[list[str], str]:
    return _vqa_args(f, predictions=tmp / "absent.json"), "absent.json"


GOOD_IMAGES = np.eye(3, dtype=np.float32)
GOOD_TEXTS = np.eye(3, dtype=np.float32)
GOOD_OWNER = np.arange(3)

BAD_INPUTS: dict[str, tuple[Callable[[Path, Files], tuple[list[str], str]], str]] = {
    "malformed JSON": (_bad_predictions('[{"question_id": 1, "answer": "yes"'), "malformed JSON"),
    "non-existent file": (_nonexistent_vqa, "not found"),
    "predictions not a list": (_bad_predictions({"question_id": 1}), "expected a list"),
    "empty predictions": (_bad_predictions([]), "the list is empty"),
    "missing key": (_bad_predictions([{"question_id": 1}]), 'lacks "answer"'),
    "wrong type": (_bad_predictions([{"question_id": 1, "answer": 3}]), '"answer" must be a str'),
    "bad id type": (_bad_predictions([{"question_id": [1], "answer": "yes"}]), "must be an integer or a non-empty string"),
    "duplicate ids": (_bad_predictions([{"question_id": 1, "answer": "yes"}, {"question_id": 1, "answer": "no"}]), "duplicate question_id 1"),
    "id absent from annotations": (_bad_predictions([{"question_id": 424242, "answer": "yes"}]), "not in the annotations: 424242"),
    "missing predictions": (_missing_predictions, "missing 15 of 16 questions"),
    "annotations wrong schema": (_bad_annotations([{"question_id": 1}]), 'an "annotations" list'),
    "annotation lacks answers": (_bad_annotations({"annotations": [{"question_id": 1, "answer_type": "other", "question_type": "x"}]}), 'lacks "answers"'),
    "questions file mismatch": (_questions_mismatch, "question ids differ"),
    "caption id absent from references": (_bad_captions([{"image_id": 2, "caption": "a cat"}]), "not in"),
    "caption not a string": (_bad_captions([{"image_id": 1, "caption": None}]), '"caption" must be a str'),
    "duplicate caption ids": (_bad_captions([{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": "b"}]), "duplicate image_id 1"),
    "references without annotations": (_bad_captions([{"image_id": 1, "caption": "a"}], {"images": []}), 'an "annotations" list'),
    "NaN in embeddings": (_bad_npz("retrieval", image_embeds=np.array([[np.nan, 0, 0], [0, 1, 0], [0, 0, 1]]), text_embeds=GOOD_TEXTS, text_image=GOOD_OWNER), "contains NaN or inf"),
    "inf in logits": (_bad_npz("classification", logits=np.array([[0.0, np.inf]]), labels=np.array([0])), "contains NaN or inf"),
    "npz missing an array": (_bad_npz("retrieval", image_embeds=GOOD_IMAGES, text_embeds=GOOD_TEXTS), "missing array(s) text_image"),
    "mismatched dimensions": (_bad_npz("retrieval", image_embeds=GOOD_IMAGES, text_embeds=np.ones((3, 4)), text_image=GOOD_OWNER), "dimension 3 but text_embeds has 4"),
    "text_image out of range": (_bad_npz("retrieval", image_embeds=GOOD_IMAGES, text_embeds=GOOD_TEXTS, text_image=np.array([0, 1, 5])), "not an image index"),
    "image without captions": (_bad_npz("retrieval", image_embeds=GOOD_IMAGES, text_embeds=GOOD_TEXTS, text_image=np.array([0, 1, 1])), "have no caption"),
    "labels out of range": (_bad_npz("classification", logits=np.zeros((2, 3)), labels=np.array([0, 7])), "outside [0, 3)"),
    "labels length mismatch": (_bad_npz("classification", logits=np.zeros((2, 3)), labels=np.array([0])), "labels must have shape (2,)"),
    "not an npz": (_garbage_file, "not a readable .npz"),
    "pickled arrays refused": (_pickled_npz, "not a readable .npz"),
    "non-existent npz": (_missing_file, "file not found"),
    "a single .npy array": (_single_array, "found a single array"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2(case: str, capsys, tmp_path, vqa_files) -> None:
    make, message = BAD_INPUTS[case]
    argv, file_name = make(tmp_path, vqa_files)
    rc, out, err = cli(capsys, *argv)
    assert rc == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mmbench: error: "), err
    assert file_name in lines[0] and message in lines[0], lines[0]


def test_missing_task_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["score"])
    assert exit_info.value.code == 2

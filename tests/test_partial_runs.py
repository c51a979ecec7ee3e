"""Partial runs are marked as such: miniature copies of the four real benchmarks in their official
layout (a few samples of the official split), ``--limit``, skipped images, and a complete run.

The expected counts below are the official split sizes (written here independently of the task
files): VQAv2 val 214,354 questions; COCO Karpathy test 5,000 images; Flickr30K Karpathy test
1,000 images; ImageNet val 50,000 images.
"""

from __future__ import annotations

from pathlib import Path

from dataclasses import replace

import pytest

from mmbench.results import RunResult, run_coverage
from mmbench.engine.runner import evaluate
from mmbench.tasks.spec import TaskSpec, load_task_spec
from tests import suite_files as files

CAPTIONS = ["a red shape", "a red square", "red", "a square", "a shape"]


def vqav2_val(root: Path, n: int) -> None:
    """``vqav2/`` with the official file names: n questions on COCO val2014 images."""
    folder = root / "vqav2"
    questions = [{"image_id": 42 + i, "question": "What color is it?", "question_id": (42 + i) * 1000} for i in range(n)]
    files.write_json(folder / "v2_OpenEnded_mscoco_val2014_questions.json",
                     {"info": {}, "task_type": "Open-Ended", "data_type": "mscoco", "license": {},
                      "data_subtype": "val2014", "questions": questions})
    annotations = [{"question_id": q["question_id"], "image_id": q["image_id"], "question_type": "what color is the",
                    "answer_type": "other", "multiple_choice_answer": "red",
                    "answers": [{"answer": "red", "answer_confidence": "yes", "answer_id": j + 1} for j in range(10)]}
                   for q in questions]
    files.write_json(folder / "v2_mscoco_val2014_annotations.json",
                     {"info": {}, "license": {}, "data_subtype": "val2014", "annotations": annotations})
    for q in questions:
        files.image(folder / "val2014" / f"COCO_val2014_{q['image_id']:012d}.jpg", "red")


def imagenet_val(root: Path) -> None:
    """``imagenet/val/<wnid>/ILSVRC2012_val_*.JPEG``: 3 images of 2 classes."""
    for n, wnid in enumerate(["n01440764", "n01440764", "n01443537"]):
        files.image(root / "imagenet" / "val" / wnid / f"ILSVRC2012_val_{n + 1:08d}.JPEG", "red")


MINIATURES = {
    "vqav2_val": (lambda root: vqav2_val(root, 3), 3, 214354),
    "coco_caption_karpathy": (lambda root: files.karpathy_coco(root, [
        (42, "red", "test", CAPTIONS), (43, "blue", "train", CAPTIONS), (44, "blue", "test", CAPTIONS)]), 2, 5000),
    "flickr30k_retrieval": (lambda root: files.karpathy_flickr(root, [
        ("1000092795", "red", "test", CAPTIONS), ("1001", "blue", "test", CAPTIONS)]), 2, 1000),
    "imagenet_zeroshot": (imagenet_val, 3, 50000),
}


def run(task: str | TaskSpec, root: Path | None, **options: object) -> RunResult:
    return evaluate(task, "mock", data_dir=root, output_dir=None, num_workers=0, batch_size=4, **options)


@pytest.mark.parametrize("task", sorted(MINIATURES))
def test_miniature_copy_of_a_real_benchmark_is_partial(task: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write, found, expected = MINIATURES[task]
    write(tmp_path)
    spec = load_task_spec(task)
    if task == "coco_caption_karpathy":  # Java METEOR is covered by the caption metric tests
        spec = replace(spec, metrics={**spec.metrics, "metrics": ["Bleu_1", "CIDEr"]})
    if task == "imagenet_zeroshot":  # one prompt instead of 80 keeps the mock model quick; the count is the same
        spec = replace(spec, data={**spec.data, "templates": ["a photo of a {c}."]})
    result = run(spec, tmp_path)
    assert result.task["complete"] is False
    assert result.task["expected_count"] == expected and result.task["num_found"] == found
    assert result.metric_notes["completeness"] == (f"partial ({found} of {expected} samples scored): "
                                                   f"found {found} of {expected} samples")
    assert f"warning: {task}: found {found} of {expected} samples: results are marked partial" in capsys.readouterr().err
    coverage = run_coverage(result)
    assert (coverage.complete, coverage.label) == (False, f"{found} / {expected}")


def shapes_count() -> int:
    """The size of the generated shapes zero-shot split, as its task file declares it."""
    return int(load_task_spec("shapes_zeroshot").data["expected_count"])


def test_limit_run_is_marked_partial(capsys: pytest.CaptureFixture[str]) -> None:
    total = shapes_count()
    result = run("shapes_zeroshot", None, limit=10)
    assert result.task["complete"] is False and result.task["num_scored"] == 10 and result.task["num_found"] == total
    assert f"--limit 10: 10 of {total} samples evaluated" in result.metric_notes["completeness"]
    assert run_coverage(result).label == f"10 / {total}"
    assert "warning: --limit: results are marked partial, for testing only" in capsys.readouterr().err


def test_complete_shapes_run_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    result = run("shapes_zeroshot", None)
    assert result.task["complete"] is True and result.task["num_scored"] == shapes_count() == result.task["num_found"]
    assert "completeness" not in result.metric_notes
    assert "warning" not in capsys.readouterr().err


def test_skipped_images_make_a_run_partial(tmp_path: Path) -> None:
    vqav2_val(tmp_path, 3)
    (tmp_path / "vqav2" / "val2014" / "COCO_val2014_000000000044.jpg").write_bytes(b"not a jpeg")
    task = tmp_path / "mini_vqa.yaml"  # no expected_count: complete unless limited or skipped
    task.write_text("name: mini_vqa\ntype: vqa\nversion: 1\ndata: {format: vqav2, dir: vqav2}\nprompt: '{question}'\n",
                    encoding="utf-8")
    result = run(str(task), tmp_path, on_error="skip")
    assert result.task["complete"] is False and result.task["expected_count"] is None
    assert result.metric_notes["completeness"] == "partial (2 of 3 samples scored): 1 of 3 samples skipped (unreadable images)"
    limited = run(str(task), tmp_path, on_error="skip", limit=2)  # the unreadable image is the third: not evaluated
    assert limited.metric_notes["completeness"] == "partial (2 of 3 samples scored): --limit 2: 2 of 3 samples evaluated"


def test_result_files_written_before_completeness_was_recorded(tmp_path: Path) -> None:
    base = {"schema_version": "1.0", "model": {"spec": "m"}, "metrics": {"accuracy": 0.5}}
    full = RunResult.from_dict({**base, "task": {"name": "t", "num_samples": 300, "num_scored": 300,
                                                 "arguments": {"data": {"expected_count": 300}}}})
    short = RunResult.from_dict({**base, "task": {"name": "t", "num_samples": 50, "num_scored": 50,
                                                  "arguments": {"data": {"expected_count": 300}}}})
    limited = RunResult.from_dict({**base, "task": {"name": "t", "num_samples": 10, "num_scored": 10,
                                                    "arguments": {"data": {}}}, "config": {"limit": 10}})
    assert run_coverage(full).complete
    assert (run_coverage(short).complete, run_coverage(short).label) == (False, "50 / 300")
    assert not run_coverage(limited).complete

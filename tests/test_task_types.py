"""The task types driven directly, without a model or the runner: stages out, outputs in, metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmbench.data.split import DataSplit
from mmbench.registry import task_types
from mmbench.tasks.spec import TaskSpec
from mmbench.types import Capability, Sample


def _task(kind: str, samples: list[Sample], **spec: object) -> object:
    split = DataSplit(root=Path("."), samples=samples, classnames=spec.pop("classnames", None),  # type: ignore[arg-type]
                      templates=spec.pop("templates", None))  # type: ignore[arg-type]
    return task_types.get(kind)(TaskSpec(name="t", type=kind, version="1", data={}, source="t.yaml", **spec), split,
                                frozenset(Capability))


VQA = [Sample("1", ("a.png",), ("yes",) * 10, {"question": "is it red?", "answer_type": "yes/no"}),
       Sample("2", ("b.png",), ("2", "2", "3", "3", "3", "3", "3", "3", "3", "3"), {"question": "how many?", "answer_type": "number"}),
       Sample("3", ("c.png",), ("blue",) * 10, {"question": "what colour?", "answer_type": "other"})]


def test_vqa_asks_one_generative_stage_then_scores_vqa_accuracy() -> None:
    task = _task("vqa", VQA, prompt="{question}")
    [stage] = task.next_stages({}, frozenset())
    assert (stage.name, stage.kind, stage.generative, len(stage.items)) == ("answers", "conversations", True, 3)
    # one user turn per sample: its image, then the task's prompt (the conversation contract)
    assert stage.items[0].conversation == [{"role": "user", "content": [{"type": "image", "image": "a.png"},
                                                                         {"type": "text", "text": "is it red?"}]}]
    assert task.next_stages({"answers": ["Yes", "2", "red"]}, frozenset()) == []
    scored = task.score({"answers": ["Yes", "2", "red"]}, frozenset())
    # VQA accuracy: 10 of 10 humans -> 1; 2 of 10 -> 0.6 (min(1, m/3) over leave-one-out subsets); 0 -> 0
    assert scored.metrics["accuracy"] == pytest.approx((1 + 0.6 + 0) / 3)
    assert scored.metrics["accuracy_yes_no"] == 1 and scored.metrics["accuracy_number"] == pytest.approx(0.6)


def test_vqa_leaves_skipped_samples_out_and_says_so() -> None:
    task = _task("vqa", VQA, prompt="{question}")
    scored = task.score({"answers": ["yes", None, "blue"]}, frozenset({"2"}))
    assert scored.metrics["accuracy"] == 1.0
    assert {"id": "2", "skipped": True} in scored.samples and "skipped" in scored.notes


def test_vqa_test_dev_writes_every_question_to_the_submission() -> None:
    task = _task("vqa", [Sample(s.id, s.images, (), s.meta) for s in VQA], prompt="{question}", output={"submission": "evalai"})
    scored = task.score({"answers": ["yes", None, "blue"]}, frozenset({"2"}))
    assert scored.metrics == {}
    assert scored.artifacts["submission.json"] == [{"question_id": 1, "answer": "yes"}, {"question_id": 2, "answer": ""},
                                                   {"question_id": 3, "answer": "blue"}]


def test_zeroshot_builds_class_prompts_and_classifies_by_the_averaged_prompts() -> None:
    samples = [Sample(str(i), (f"{i}.png",), (), {"label": label}) for i, label in enumerate([0, 1, 1])]
    task = _task("zeroshot", samples, classnames=["cat", "dog"], templates=["a {c}.", "the {c}"])
    prompts, images = task.next_stages({}, frozenset())
    assert prompts.items == ["a cat.", "the cat", "a dog.", "the dog"]  # class-major
    assert images.kind == "images" and len(images.items) == 3
    cat, dog = np.array([1.0, 0.0], dtype=np.float32), np.array([0.0, 1.0], dtype=np.float32)
    outputs = {"class_prompts": [cat, cat, dog, dog], "images": [cat, dog, cat]}  # the third image looks like a cat
    scored = task.score(outputs, frozenset())
    assert scored.metrics["top1"] == pytest.approx(2 / 3)
    assert scored.metrics["top5"] == 1.0  # two classes: always in the top 5
    assert scored.metrics["mean_per_class_recall"] == pytest.approx((1 + 0.5) / 2)
    assert [r["prediction"] for r in scored.samples] == [0, 1, 0]


def test_zeroshot_template_without_a_placeholder_is_a_user_error() -> None:
    from mmbench.errors import UserError

    task = _task("zeroshot", [Sample("0", ("0.png",), (), {"label": 0})], classnames=["cat"], templates=["a photo"])
    with pytest.raises(UserError, match=r"t.yaml: template 'a photo' has no \{c\} placeholder"):
        task.next_stages({}, frozenset())

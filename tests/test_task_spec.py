"""Declarative task files: built-ins, user files, clear errors for malformed ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmbench.errors import UserError
from mmbench.tasks.spec import all_task_specs, load_task_spec

REAL = {"coco_caption_karpathy": "captioning", "flickr30k_retrieval": "retrieval", "vqav2_val": "vqa",
        "vqav2_testdev": "vqa", "imagenet_zeroshot": "zeroshot"}
SHAPES = {"shapes_caption": "captioning", "shapes_retrieval": "retrieval", "shapes_vqa": "vqa", "shapes_zeroshot": "zeroshot"}


def test_every_required_benchmark_is_defined_with_its_type() -> None:
    found = {s.name: s.type for s in all_task_specs()}
    for name, kind in {**REAL, **SHAPES}.items():
        assert found.get(name) == kind, name


def test_every_builtin_task_names_a_registered_type_and_format() -> None:
    from mmbench.data.formats import data_formats
    from mmbench.registry import task_types

    names = {spec.name for spec in all_task_specs()}
    for spec in all_task_specs():
        if spec.group:  # a task group names shipped tasks instead of data
            assert set(spec.group) <= names, spec.name
            continue
        assert spec.type in task_types, spec.name
        assert spec.data["format"] in data_formats, spec.name


def test_vqa_prompts_follow_the_llava_protocol_and_testdev_writes_a_submission() -> None:
    val = load_task_spec("vqav2_val")
    assert val.prompt["instruction"] == "{question}\nAnswer the question using a single word or phrase."
    assert val.prompt["plain"] == "{question}"
    assert load_task_spec("vqav2_testdev").output == {"submission": "evalai"}


def test_user_task_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\ntype: retrieval\nversion: 7\ndata: {format: karpathy, dir: /x}\nmetrics: {ks: [1, 2]}\n")
    spec = load_task_spec(str(path))
    assert (spec.name, spec.version, spec.metrics["ks"]) == ("mine", "7", [1, 2])
    assert spec.source == str(path)


@pytest.mark.parametrize("content, message", [
    ("name: x\ntype: vqa\nversion: 1\n", "lacks required key(s) data"),
    ("name: x\ntype: vqa\nversion: 1\ndata: {format: vqav2}\nprompts: oops\n", "unknown key(s) prompts"),
    ("name: x\ntype: vqa\nversion: 1\ndata: [1]\n", "'data' must be a mapping"),
    ("name: x\ntype: vqa\nversion: 1\ndata: {}\nbatch_size: -3\n", "batch_size must be a positive integer"),
    ("name: x\n  type: : vqa\n", "malformed YAML at line"),
    ("- just\n- a list\n", "must be a YAML mapping"),
])
def test_malformed_task_files_get_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(UserError, match=re.escape(message)) as info:
        load_task_spec(str(path))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_unknown_task_name_suggests_the_closest() -> None:
    with pytest.raises(UserError, match=r"did you mean 'vqav2_val'"):
        load_task_spec("vqa2_val")


def test_shapes_task_files_match_the_generated_suite() -> None:
    """The committed shapes YAMLs must describe exactly the files the generator writes."""
    from mmbench.data.shapes import SHAPES_TASK_DATA

    for name, data in SHAPES_TASK_DATA.items():
        assert load_task_spec(name).data == data, f"{name}: run scripts/make_shapes_tasks.py"

"""Task groups: parsing, the shipped groups, a group run checked against its members (in
process); the CLI path with the leaderboard's group column is in tests/test_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbench.errors import UserError
from mmbench.tasks.spec import load_task_spec, parse_task_spec

MEMBERS = ["shapes_zeroshot_heldout", "shapes_retrieval_heldout"]


def group_file(folder: Path, members: list[str] = MEMBERS, name: str = "shapes_pair") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nversion: 1\ndescription: two shapes tasks\ngroup: {json.dumps(members)}\naggregate: mean\n")
    return path


def test_shipped_groups_name_their_members() -> None:
    shifts = load_task_spec("imagenet_shifts")
    assert shifts.type == "group" and shifts.aggregate == "mean"
    assert shifts.group == ("imagenet_zeroshot", "imagenet_v2_zeroshot", "imagenet_sketch_zeroshot",
                            "imagenet_r_zeroshot", "imagenet_a_zeroshot")
    core = load_task_spec("clip_benchmark_core")
    assert set(shifts.group) | {"cifar10_zeroshot", "cifar100_zeroshot", "flickr30k_retrieval", "coco5k_retrieval"} == set(core.group)


@pytest.mark.parametrize(("raw", "message"), [
    ({"name": "g", "version": 1, "group": []}, "non-empty list"),
    ({"name": "g", "version": 1, "group": ["a", "a"]}, "names a task twice"),
    ({"name": "g", "version": 1, "group": ["a"], "aggregate": "max"}, "aggregate must be one of mean"),
    ({"name": "g", "version": 1, "group": ["a"], "data": {}}, "unknown key"),
    ({"name": "g", "group": ["a"]}, "lacks required key"),
])
def test_malformed_groups_are_one_line_errors(raw: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_task_spec(raw, "g.yaml")


def test_groups_do_not_nest(tmp_path: Path) -> None:
    from mmbench.engine.groups import expand_groups

    inner = group_file(tmp_path, name="inner")
    outer = group_file(tmp_path, [inner.name], name="outer")  # a member file relative to the group file
    with pytest.raises(UserError, match="itself a task group"):
        expand_groups([str(outer)])


def test_group_run_writes_members_and_a_summary_checked_against_them(tmp_path: Path) -> None:
    import mmbench
    from mmbench.results import read_result

    results = mmbench.evaluate_group(group_file(tmp_path), "mock", output_dir=tmp_path / "out", num_workers=0)
    zeroshot, retrieval, summary = results
    assert [r.task["name"] for r in results] == [*MEMBERS, "shapes_pair"]
    top1 = zeroshot.metrics["top1"]
    mean_r1 = (retrieval.metrics["i2t_R@1"] + retrieval.metrics["t2i_R@1"]) / 2
    assert summary.metrics == pytest.approx({"mean": (top1 + mean_r1) / 2, "shapes_zeroshot_heldout/top1": top1,
                                             "shapes_retrieval_heldout/mean_R@1": mean_r1})
    assert summary.task["type"] == "group" and summary.task["complete"] is True
    assert [m["run_id"] for m in summary.task["members"]] == [zeroshot.run_id, retrieval.run_id]
    assert summary.task["num_samples"] == zeroshot.task["num_samples"] + retrieval.task["num_samples"]
    written = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    assert len(written) == 3 and read_result(summary.path).metrics == summary.metrics


def test_group_with_a_partial_member_is_partial(tmp_path: Path) -> None:
    import mmbench

    summary = mmbench.evaluate_group(group_file(tmp_path), "mock", output_dir=None, limit=10, num_workers=0)[-1]
    assert summary.task["complete"] is False and "partial" in summary.metric_notes

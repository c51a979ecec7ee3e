"""Completeness: the one rule (mmbench.data.completeness) and the counts the shipped task files declare."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mmbench.data.completeness import Coverage
from mmbench.errors import UserError
from mmbench.tasks.spec import builtin_task_dir, parse_task_spec

# Official split sizes, written here from the datasets' own documentation (not read from the task files).
OFFICIAL_COUNTS = {"vqav2_val": 214354, "vqav2_testdev": 107394, "coco_caption_karpathy": 5000,
                   "flickr30k_retrieval": 1000, "imagenet_zeroshot": 50000}


def test_full_split_is_complete() -> None:
    c = Coverage("t", found=300, expected=300)
    assert c.complete and c.reasons() == [] and c.warnings() == [] and c.note() == {}
    assert (c.scored, c.total) == (300, 300)


def test_short_split_is_partial_with_n_of_m() -> None:
    c = Coverage("vqav2_val", found=50, expected=214354)
    assert not c.complete
    assert c.warnings() == ["vqav2_val: found 50 of 214354 samples: results are marked partial"]
    assert (c.scored, c.total) == (50, 214354)
    assert c.note() == {"completeness": "partial (50 of 214354 samples scored): found 50 of 214354 samples"}


def test_larger_split_than_declared_is_not_the_benchmark() -> None:
    c = Coverage("t", found=12, expected=10)
    assert not c.complete and c.count_problem() == "found 12 samples, 10 expected"


def test_limit_marks_partial_only_when_it_cuts() -> None:
    cut = Coverage("t", found=300, expected=300, limit=10)
    assert not cut.complete and (cut.scored, cut.total) == (10, 300)
    assert cut.warnings() == ["--limit: results are marked partial, for testing only"]
    assert "--limit 10: 10 of 300 samples evaluated" in cut.note()["completeness"]
    assert Coverage("t", found=300, expected=300, limit=300).complete


def test_skipped_images_mark_partial() -> None:
    c = Coverage("t", found=20, limit=None).with_skipped(3)
    assert not c.complete and (c.scored, c.total) == (17, 20)
    assert c.reasons() == ["3 of 20 samples skipped (unreadable images)"]


def test_no_expected_count_is_complete_unless_limited_or_skipped() -> None:
    assert Coverage("t", found=7).complete
    assert not Coverage("t", found=7, limit=3).complete


@pytest.mark.parametrize("bad", [0, -5, "many", 2.5, True])
def test_task_file_rejects_a_bad_expected_count(bad: object) -> None:
    raw = {"name": "t", "type": "vqa", "version": 1, "data": {"format": "vqav2", "expected_count": bad}}
    with pytest.raises(UserError, match="expected_count must be a positive integer"):
        parse_task_spec(raw, "t.yaml")


def _task_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(builtin_task_dir().glob("*.yaml"))}


def test_every_shipped_task_declares_its_count() -> None:
    files = _task_files()
    assert set(OFFICIAL_COUNTS) <= set(files)
    for name, path in files.items():
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "group" in raw:  # a task group has no data of its own: its members declare their counts
            continue
        data = raw["data"]
        assert isinstance(data.get("expected_count"), int) and data["expected_count"] > 0, name


@pytest.mark.parametrize("name", sorted(OFFICIAL_COUNTS))
def test_real_task_count_is_the_official_split_with_its_source(name: str) -> None:
    text = _task_files()[name].read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.strip().startswith("expected_count:"))
    assert yaml.safe_load(text)["data"]["expected_count"] == OFFICIAL_COUNTS[name]
    assert re.search(r"#.*source: \S", line), f"{name}: the expected_count line must name its source in a comment"

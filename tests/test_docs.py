"""Examples in the README and docs/ run as written: the task-file example and docs/ci-example.yml."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

import mmbench
from mmbench.data import shapes as shapes_data

REPO = Path(__file__).resolve().parents[1]


def readme_block(heading: str, language: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_readme_task_file_example_runs_on_a_copy_in_its_layout(tmp_path: Path) -> None:
    """The YAML as printed, on the shapes VQA files laid out as it names them (q.json, a.json, imgs/*.jpg)."""
    import json

    from PIL import Image

    shapes = shapes_data.test_suite_dir()
    questions = json.loads((shapes / "vqa" / "questions_test.json").read_text())
    questions["questions"] = questions["questions"][:12]
    kept = {q["question_id"] for q in questions["questions"]}
    annotations = json.loads((shapes / "vqa" / "annotations_test.json").read_text())
    annotations["annotations"] = [a for a in annotations["annotations"] if a["question_id"] in kept]
    mine = tmp_path / "mine"
    (mine / "imgs").mkdir(parents=True)
    (mine / "q.json").write_text(json.dumps(questions))
    (mine / "a.json").write_text(json.dumps(annotations))
    for image_id in {q["image_id"] for q in questions["questions"]}:
        png = shapes / "test" / f"COCO_test_{image_id:012d}.png"
        Image.open(png).convert("RGB").save(mine / "imgs" / f"COCO_imgs_{image_id:012d}.jpg")  # {subtype} = imgs
    task = tmp_path / "my_vqa.yaml"
    task.write_text(readme_block("## Tasks are files", "yaml").replace("/data/mine", str(mine)))
    result = mmbench.evaluate(str(task), "mock", output_dir=None, num_workers=0)
    assert result.task["num_samples"] == 12 and "accuracy" in result.metrics


def test_the_ci_example_workflow_passes_as_shipped(tmp_path: Path) -> None:
    """Its evaluate and compare steps, run by bash in a copy of the repository's results/baseline."""
    workflow = yaml.safe_load((REPO / "docs" / "ci-example.yml").read_text(encoding="utf-8"))
    steps = {step.get("name"): step for step in workflow["jobs"]["evaluate"]["steps"]}
    shutil.copytree(REPO / "results" / "baseline", tmp_path / "results" / "baseline")
    output = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("Evaluate the candidate", "Compare against the baseline"):
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", steps[name]["run"]], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, f"{name}: {run.stderr[-2000:]}"
    assert output.read_text().strip() == "status=0", (tmp_path / "compare.md").read_text()
    assert "mock" not in steps["Evaluate the candidate"]["run"]

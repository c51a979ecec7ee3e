"""The README and docs/ run as written.

Every fenced shell block (```bash, ```sh, ```shell, ```console) of README.md and docs/*.md is run,
in the file's order, by ``bash -e -o pipefail`` (```python blocks by Python, after them, so they
see what the commands wrote) in one scratch folder per test module: a copy of
the repository's ``results/`` plus the input files the examples name (``captions_results.json``,
``answers.json``, ... made from the committed results and the shapes suite), offline
(``HF_HUB_OFFLINE=1``), with the session's cache, so the generated shapes suite is reused. A block
that cannot run here carries ``<!-- docs-test: skip (why) -->`` on the line right before its fence;
what a command prints is a ```text block; a fence without a language fails. A failing block is
reported with its file, line and text. Also: the README's task-file example, docs/ci-example.yml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import cli_environment  # tests/ is on sys.path (rootdir conftest): this checkout first, hubs offline

import mmbench
from mmbench.data import shapes as shapes_data

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL = ("bash", "sh", "shell", "console")
RUN = (*SHELL, "python")  # the blocks that run unless marked
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*$")
MARKER = re.compile(r"<!--\s*docs-test:(.*?)-->")
SKIP = re.compile(r"\s*skip \((\S.*)\)\s*")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts (1-based line of the opening fence), its language, its text,
    and the docs-test marker on the line right before it (None: no marker)."""

    path: Path
    line: int
    end: int  # 1-based line of the closing fence
    language: str
    text: str
    marker: str | None

    @property
    def where(self) -> str:
        shown = self.path.relative_to(REPO) if self.path.is_relative_to(REPO) else self.path
        return f"{shown}:{self.line}"

    @property
    def skip_reason(self) -> str | None:
        match = SKIP.fullmatch(self.marker) if self.marker is not None else None
        return match.group(1).strip() if match else None

    def script(self) -> str:
        """What a user pastes: the block, or a console block's ``$ `` lines without the prompt."""
        if self.language != "console":
            return self.text
        return "\n".join(line[2:] for line in self.text.splitlines() if line.startswith("$ "))


def fenced_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening.group(2)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), len(lines))
        marker = MARKER.fullmatch(lines[i - 1].strip()) if i else None
        blocks.append(Block(path, i + 1, end + 1, opening.group(3), "\n".join(lines[i + 1:end]) + "\n",
                            marker.group(1) if marker else None))
        i = end + 1
    return blocks


def runnable(path: Path) -> list[Block]:
    """The blocks to run, shell blocks first, in the file's order."""
    blocks = [b for b in fenced_blocks(path) if b.language in RUN and b.marker is None]
    return sorted(blocks, key=lambda b: b.language == "python")


def test_every_block_declares_its_language_and_every_marker_a_reason() -> None:
    """Shell blocks run unless marked; a marker must say why and sit right before a shell block."""
    problems = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        blocks = fenced_blocks(path)
        marked_lines = {b.line - 1 for b in blocks if b.marker is not None}
        inside = {n for b in blocks for n in range(b.line, b.end + 1)}  # examples of the marker in text blocks
        for number, line in enumerate(text.splitlines(), 1):
            if MARKER.search(line) and number not in marked_lines | inside:
                problems.append(f"{path.relative_to(REPO)}:{number}: docs-test marker not right before a fenced block")
        for block in blocks:
            if not block.language:
                problems.append(f"{block.where}: fence without a language: bash for commands to run, text for output")
            if block.marker is not None and block.skip_reason is None:
                problems.append(f"{block.where}: marker {block.marker.strip()!r}: write it as docs-test: skip (the reason)")
            if block.marker is not None and block.language not in RUN:
                problems.append(f"{block.where}: docs-test marker on a {block.language} block (only shell and python blocks run)")
    assert not problems, "\n".join(problems)


def test_the_scan_finds_the_readme_shell_blocks() -> None:
    """The parser sees what a reader sees: the README's run blocks and its skip-marked ones."""
    blocks = fenced_blocks(REPO / "README.md")
    shell = [b for b in blocks if b.language in SHELL]
    assert any("mmbench list tasks" in b.text for b in runnable(REPO / "README.md"))
    assert any(b.skip_reason and "GPU" in b.skip_reason for b in shell)
    assert all(b.text.count("```") == 0 for b in blocks)


def _write_example_inputs(folder: Path) -> None:
    """The files the README's ``mmbench score`` examples name, in their formats: captions and VQA
    answers from the committed baseline's samples, the shapes suite's VQA files under their official
    names, random embeddings and logits of the documented shapes."""
    import numpy as np

    baseline = REPO / "results" / "baseline"

    def samples(task: str) -> list[dict]:
        [path] = baseline.glob(f"{task}__*.samples.jsonl")
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    captions = samples("shapes_caption")
    (folder / "captions_results.json").write_text(json.dumps(
        [{"image_id": int(s["id"]), "caption": s["prediction"]} for s in captions]))
    references = [{"image_id": int(s["id"]), "id": 5 * i + k, "caption": caption}
                  for i, s in enumerate(captions) for k, caption in enumerate(s["references"])]
    (folder / "captions_val2014.json").write_text(json.dumps(
        {"images": [{"id": int(s["id"])} for s in captions], "annotations": references}))
    (folder / "answers.json").write_text(json.dumps(
        [{"question_id": int(s["id"]), "answer": s["prediction"]} for s in samples("shapes_vqa")]))
    vqa = shapes_data.test_suite_dir() / "vqa"
    shutil.copy(vqa / "annotations_test.json", folder / "v2_mscoco_val2014_annotations.json")
    shutil.copy(vqa / "questions_test.json", folder / "v2_OpenEnded_mscoco_val2014_questions.json")
    rng = np.random.default_rng(0)
    np.savez(folder / "emb.npz", image_embeds=rng.standard_normal((20, 8)), text_embeds=rng.standard_normal((40, 8)),
             text_image=np.repeat(np.arange(20), 2))
    np.savez(folder / "logits.npz", logits=rng.standard_normal((30, 5)), labels=np.arange(30) % 5)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the shell blocks run in, as a user's clone: results/ and the examples' input files."""
    folder = tmp_path_factory.mktemp("docs-clone")
    shutil.copytree(REPO / "results", folder / "results")
    _write_example_inputs(folder)
    (folder / "data").mkdir()  # an empty data root: nothing of this machine's is found by accident
    return folder


def run_blocks(blocks: list[Block], folder: Path) -> list[str]:
    """Run each block in ``folder`` (bash -e -o pipefail, or Python); one message per failing block (file:line, text, output)."""
    env = cli_environment(extra={"MMBENCH_DATA": str(folder / "data"),
                                 "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    failures = []
    for block in blocks:
        started = time.perf_counter()
        command = [sys.executable, "-c"] if block.language == "python" else ["bash", "-e", "-o", "pipefail", "-c"]
        run = subprocess.run([*command, block.script()], cwd=folder, env=env, capture_output=True, text=True, timeout=900)
        print(f"{block.where}: exit {run.returncode} in {time.perf_counter() - started:.1f} s")
        if run.returncode != 0:
            output = (run.stdout + run.stderr)[-3000:]
            failures.append(f"{block.where}: exit status {run.returncode} from the block\n{block.text}--- output (end) ---\n{output}")
    return failures


@pytest.mark.parametrize("doc", [p for p in DOCS if runnable(p)], ids=lambda p: str(p.relative_to(REPO)))
def test_the_shell_blocks_run_as_written(doc: Path, clone: Path) -> None:
    failures = run_blocks(runnable(doc), clone)
    assert not failures, "\n\n".join(failures)


def test_a_failing_block_is_reported_with_its_file_line_and_text(tmp_path: Path) -> None:
    """The runner itself: a block whose first command fails is reported, even when a later one succeeds;
    Python blocks run after the shell blocks; marked and text blocks do not run."""
    doc = tmp_path / "guide.md"
    doc.write_text("# guide\n\n```python\nimport pathlib\nassert pathlib.Path('made.txt').read_text() == 'x'\n```\n\n"
                   "```sh\nmmbench list taks\necho after\n```\n\n"
                   "<!-- docs-test: skip (needs a GPU) -->\n```bash\nexit 3\n```\n\n```text\nexit 4\n```\n"
                   "\n```console\n$ mmbench list tasks | grep -c shapes_vqa > made.txt; printf x > made.txt\n2\n```\n")
    blocks = runnable(doc)
    assert [(b.line, b.language) for b in blocks] == [(8, "sh"), (22, "console"), (3, "python")]
    [failure] = run_blocks(blocks, tmp_path)
    assert failure.startswith(f"{doc}:8: exit status 2 from the block\nmmbench list taks\necho after\n")
    assert "invalid choice" in failure and "after" not in failure.split("--- output (end) ---")[1]


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
    env = cli_environment(extra={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
                                 "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    for name in ("Evaluate the candidate", "Compare against the baseline"):
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", steps[name]["run"]], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, f"{name}: {run.stderr[-2000:]}"
    assert output.read_text().strip() == "status=0", (tmp_path / "compare.md").read_text()
    assert "mock" not in steps["Evaluate the candidate"]["run"]

"""Committed pages are what their commands build today, from the committed inputs only: the
README names the command that made ``docs/leaderboard.html``; rebuilding it from the tracked files
of ``results/`` must give the committed page byte for byte. Users' runs go elsewhere by default."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from mmbench.cli import main
from mmbench.types import DEFAULT_OUTPUT_DIR, RunConfig

REPO = Path(__file__).resolve().parents[1]
README = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())


def committed_results() -> list[str]:
    """The paths (relative to the repository) of the committed result files: git's list in a
    checkout (so untracked runs left in ``results/`` cannot change the page), else every file."""
    if (REPO / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "results"], capture_output=True, text=True, timeout=30)
        if listed.returncode == 0 and listed.stdout.strip():
            return listed.stdout.split()
    return [str(p.relative_to(REPO)) for p in (REPO / "results").rglob("*") if p.is_file()]


def test_the_committed_leaderboard_page_is_what_the_readme_command_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    match = re.search(r"`docs/leaderboard\.html` is `(mmbench leaderboard [^`]+)`", README)
    assert match, "the README no longer names the command that builds docs/leaderboard.html"
    argv = shlex.split(match.group(1))
    assert argv[argv.index("-o") + 1] == "docs/leaderboard.html"
    files = committed_results()
    assert len(files) >= 30  # baseline, random-init and the held-out runs, each .json + .samples.jsonl
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, tmp_path / name)
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(argv[1:]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "wrote docs/leaderboard.html (html)"
    built = (tmp_path / "docs" / "leaderboard.html").read_bytes()
    committed = (REPO / "docs" / "leaderboard.html").read_bytes()
    assert built == committed, f"docs/leaderboard.html is stale: rebuild it with `{match.group(1)}` in the repository root"


def test_the_page_holds_every_committed_run() -> None:
    """Independent of the builder: each committed result's model spec appears on the page."""
    import json

    page = (REPO / "docs" / "leaderboard.html").read_text(encoding="utf-8")
    specs = {json.loads((REPO / name).read_text(encoding="utf-8"))["model"]["spec"]
             for name in committed_results() if name.endswith(".json")}
    assert {"shapes-llava", "hf:shapes-clip-random-init", "shapes-blip-vqa"} <= specs
    assert [s for s in sorted(specs) if s not in page] == []


def test_runs_are_written_outside_the_committed_reference_results() -> None:
    default = Path(RunConfig().output_dir or "")
    assert default == DEFAULT_OUTPUT_DIR and not default.is_absolute()
    assert default.parts[0] != "results"
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert f"/{default.as_posix()}/" in ignored
    assert f"`--output-dir` (default `{default.as_posix()}/`" in README


def test_the_cli_writes_and_reads_the_same_default_folder() -> None:
    from mmbench.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["run", "--task", "t", "--model", "m"]).output_dir == DEFAULT_OUTPUT_DIR
    assert parser.parse_args(["demo"]).output_dir == DEFAULT_OUTPUT_DIR / "demo"
    assert parser.parse_args(["leaderboard"]).paths == [str(DEFAULT_OUTPUT_DIR)]

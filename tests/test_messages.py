"""Messages that tell the truth, and quiet logs: stdout holds the table (or JSON) only, notes go to stderr once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mmbench
from mmbench.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out, captured.err


def test_run_prints_only_the_table_on_stdout_and_each_note_once_on_stderr(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)  # restored after the test
    out, err = run_cli(capsys, "run", "--task", "shapes_caption", "--model", "shapes-blip-caption", "--limit", "4",
                       "--no-write", "--num-workers", "0")
    assert all(line.startswith("|") for line in out.splitlines()), out  # the table and nothing else
    assert "Loading weights" not in err and "%|" not in err  # no transformers progress bar without --progress
    assert "caption metrics not computed" not in err
    spice = [line for line in err.splitlines() if "SPICE" in line]
    assert spice == [line for line in spice if line.startswith("note: shapes_caption: SPICE skipped: needs ")] and len(spice) == 1


def test_run_json_keeps_notes_off_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = run_cli(capsys, "run", "--task", "shapes_caption", "--model", "mock", "--limit", "4", "--no-write", "--json",
                       "--num-workers", "0")
    [result] = json.loads(out)
    assert result["metric_notes"]["SPICE"].startswith("SPICE skipped: needs ")
    assert err.count("SPICE skipped") == 1


@pytest.fixture
def no_java(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mmbench.metrics.captioning.score.find_java", lambda: None)


@pytest.mark.usefixtures("no_java")
def test_without_java_the_python_tokenizer_is_named_in_metric_notes() -> None:
    result = mmbench.evaluate("shapes_caption", "mock", limit=4, output_dir=None, num_workers=0)
    assert result.metric_notes["tokenizer"].startswith("pure-Python PTB approximation (no Java)")
    assert result.metric_notes["METEOR"].startswith("METEOR skipped: needs Java")
    assert "METEOR" not in result.metrics and "CIDEr" in result.metrics


@pytest.mark.usefixtures("no_java")
def test_without_java_score_captioning_says_which_tokenizer_it_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = tmp_path / "p.json"
    references = tmp_path / "r.json"
    predictions.write_text(json.dumps([{"image_id": 1, "caption": "a red circle."}]))
    references.write_text(json.dumps({"images": [{"id": 1}], "annotations": [{"image_id": 1, "caption": "A red circle"}]}))
    out, err = run_cli(capsys, "score", "captioning", "--predictions", str(predictions), "--references", str(references))
    assert "mmbench: warning: tokenizer: pure-Python PTB approximation (no Java)" in err
    assert err.count("METEOR skipped: needs Java") == 1 and "CIDEr" in out


def test_a_json_file_that_is_not_a_result_is_named_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "captions_val2014.json").write_text(json.dumps({"images": [], "annotations": []}))
    code = main(["leaderboard", str(tmp_path)])
    err = capsys.readouterr().err
    assert "captions_val2014.json: not an mmbench result file (no schema_version)" in err
    assert "unsupported schema_version" not in err and code in (0, 2)


def test_data_dir_help_states_the_readme_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "default: $MMBENCH_DATA, else ~/.cache/mmbench/data" in help_text
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    assert "`--data-dir`, else `$MMBENCH_DATA`, else `~/.cache/mmbench/data`" in readme


def test_evaluate_quiets_third_party_progress_bars_as_the_cli_does(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS"):
        monkeypatch.delenv(name, raising=False)  # restored after the test
    result = mmbench.evaluate("shapes_vqa", "shapes-blip-vqa", limit=2, output_dir=None, num_workers=0)
    err = capsys.readouterr().err
    assert "accuracy" in result.metrics and "Loading weights" not in err and "%|" not in err
    import os

    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] == "1"
    assert result.config.get("store") is None  # evaluate uses no prediction store unless given one (README)

"""Everything checkable without the model is checked before it loads (run, bench, demo).

The model loader and the runner are replaced by functions that fail the test when called, so
each case proves its error comes before any model loading, for every task of the command.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mmbench.cli import main


@pytest.fixture
def no_model_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the model was loaded (or a task ran) before the command's input was validated")

    monkeypatch.setattr("mmbench.models.spec.load_model", forbidden)
    monkeypatch.setattr("mmbench.engine.runner.evaluate", forbidden)


def errors(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    """Run the CLI in-process; it must exit 2 with only ``mmbench: error:`` lines on stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert lines and all(line.startswith("mmbench: error: ") for line in lines), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    return [line[len("mmbench: error: "):] for line in lines]


def clip_config_dir(tmp_path: Path) -> Path:
    """A checkpoint folder whose config.json says CLIPModel (no weights: it must never be loaded)."""
    folder = tmp_path / "clip-vit-large"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["CLIPModel"], "model_type": "clip"}))
    return folder


@pytest.mark.usefixtures("no_model_loading")
def test_a_misspelt_second_task_fails_before_the_first_task_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = errors(capsys, "run", "--task", "shapes_zeroshot", "--task", "shapes_zeroshott",
                   "--model", f"hf:{clip_config_dir(tmp_path)}")
    assert len(lines) == 1 and "unknown task 'shapes_zeroshott'" in lines[0] and "did you mean 'shapes_zeroshot'" in lines[0]


@pytest.mark.usefixtures("no_model_loading")
def test_every_problem_of_the_command_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = errors(capsys, "run", "--task", "typo_one", "--task", "typo_two", "--model", "mock",
                   "--batch-size", "0", "--limit", "-3")
    assert any("unknown task 'typo_one'" in line for line in lines)
    assert any("unknown task 'typo_two'" in line for line in lines)
    assert "--batch-size must be at least 1, got 0" in lines and "--limit must be at least 1, got -3" in lines


@pytest.mark.usefixtures("no_model_loading")
@pytest.mark.parametrize("command", ["run", "bench"])
def test_a_missing_data_dir_is_an_error_for_the_bundled_tasks_too(command: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    lines = errors(capsys, command, "--task", "shapes_zeroshot", "--model", "mock", "--data-dir", str(tmp_path / "nope"))
    assert lines == [f"--data-dir {tmp_path / 'nope'}: no such folder; pass the folder that holds the datasets "
                     "(e.g. coco/, vqav2/), or leave it out for the default data root"]


@pytest.mark.usefixtures("no_model_loading")
def test_capabilities_are_checked_against_the_model_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = clip_config_dir(tmp_path)
    lines = errors(capsys, "run", "--task", "shapes_zeroshot", "--task", "shapes_vqa", "--model", f"hf:{clip}")
    assert lines == [f"model hf:{clip} cannot run shapes_vqa (vqa): it has no generate"]
    lines = errors(capsys, "run", "--task", "shapes_caption", "--model", "shapes-clip")
    assert lines == ["model shapes-clip cannot run shapes_caption (captioning): it has no generate"]


@pytest.mark.usefixtures("no_model_loading")
def test_missing_data_names_each_file_and_its_official_download(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = errors(capsys, "run", "--task", "vqav2_val", "--model", "mock", "--data-dir", str(tmp_path))
    assert len(lines) == 3  # questions, annotations, images
    questions = next(line for line in lines if "questions file" in line)
    assert questions.startswith(f"vqav2_val: VQAv2 questions file not found: {tmp_path}/vqav2/v2_OpenEnded_mscoco_val2014_questions.json "
                                f"(data root {tmp_path} from --data-dir); ")
    assert "official download: https://s3.amazonaws.com/cvmlp/vqa/mscoco/vqa/v2_Questions_Val_mscoco.zip" in questions
    images = next(line for line in lines if "image folder" in line)
    assert "http://images.cocodataset.org/zips/val2014.zip" in images
    for line in lines:  # no parentheses inside parentheses
        depth = 0
        for char in line:
            depth += {"(": 1, ")": -1}.get(char, 0)
            assert depth <= 1, line


@pytest.mark.usefixtures("no_model_loading")
@pytest.mark.parametrize("argv, expected", [
    (("--model", "mokc"), "--model mokc: unknown model 'mokc'; did you mean 'mock'?"),
    (("--model", "hf:/nonexistent/ckpt"), "--model hf:/nonexistent/ckpt: /nonexistent/ckpt: not a checkpoint directory"),
    (("--model", "clip:"), "--model clip:: clip: needs a checkpoint, clip:<local folder or hub id>"),
    (("--model", "hf:nobody-here/no-such-model"), "not in the local Hugging Face cache"),
    (("--model", "mock", "--device", "gpu"), "--device 'gpu': expected cpu, cuda, cuda:N or mps"),
    (("--model", "mock", "--task", "missing.yaml"), "missing.yaml: task file not found"),
])
def test_bad_models_devices_and_task_files(argv: tuple[str, ...], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    task = () if "--task" in argv else ("--task", "shapes_zeroshot")
    lines = errors(capsys, "run", *task, *argv)
    assert len(lines) == 1 and expected in lines[0], lines


@pytest.mark.usefixtures("no_model_loading")
def test_a_bad_task_type_in_a_task_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = tmp_path / "mine.yaml"
    task.write_text("name: mine\ntype: vqaa\nversion: 1\ndata: {format: vqav2, dir: x}\n")
    [line] = errors(capsys, "run", "--task", str(task), "--model", "mock")
    assert line.startswith(f"{task}: unknown task type 'vqaa'; did you mean 'vqa'?")


def test_the_cpu_preflight_imports_neither_torch_nor_transformers(tmp_path: Path) -> None:
    code = ("import sys\nfrom mmbench.engine.preflight import check_run\nfrom mmbench.types import RunConfig\n"
            f"specs = check_run(['shapes_zeroshot', 'vqav2_val'], ['mock', 'shapes-clip'], RunConfig(data_dir=None))\n"
            "raise SystemExit(0)\n")
    # vqav2_val's data is missing, so this must raise; we only care what was imported by then
    wrapped = ("import sys\ntry:\n" + "".join("    " + line + "\n" for line in code.splitlines()[:-1])
               + "except Exception as e:\n    print(type(e).__name__)\n"
               + "print('torch' in sys.modules, 'transformers' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "MMBENCH_DATA": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["PreflightError", "False", "False"]


def test_the_hub_hint_names_the_installed_huggingface_hub_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    import mmbench.env as env

    for installed, command in (("2.4.0", "hf download org/name"), ("1.0.1", "hf download org/name"),
                               ("0.34.0", "hf download org/name"), ("0.33.2", "huggingface-cli download org/name")):
        monkeypatch.setattr(env, "_version", lambda name, v=installed: v)
        assert env.hub_download_command("org/name") == command
    assert env.hub_download_command("org/data", "dataset") == "huggingface-cli download org/data --repo-type dataset"
    # several --include patterns: one option with the patterns (huggingface-cli, argparse nargs) ...
    assert env.hub_download_command("org/data", "dataset", "a" * 40, ["x/*.parquet", "y/*"], "data") == (
        f"huggingface-cli download org/data --repo-type dataset --revision {'a' * 40} --include 'x/*.parquet' 'y/*' "
        f"--local-dir data")
    monkeypatch.setattr(env, "_version", lambda name: "2.4.0")  # ... the option repeated (hf, typer)
    assert env.hub_download_command("org/data", "dataset", None, ["x/*.parquet", "y/*"]) == (
        "hf download org/data --repo-type dataset --include 'x/*.parquet' --include 'y/*'")


def test_uncached_hub_dataset_names_the_download_of_its_pinned_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from mmbench.cli import main

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    assert main(["run", "--task", "gqa_testdev_balanced@hf", "--model", "mock", "--data-dir", str(tmp_path), "--no-write"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "--revision 6ac3999af690e1f5631e2bf1efcf51e9a9afee4b" in line
    assert "--include 'testdev_balanced_instructions/testdev-*.parquet'" in line
    assert "'testdev_balanced_images/testdev-*.parquet'" in line  # the images config of the same repository
    assert f"copy that folder to {tmp_path / 'hub' / 'lmms-lab' / 'GQA'}" in line


# ---- devices ---------------------------------------------------------------------------------------------
@pytest.fixture
def cpu_only_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """This torch build as a CPU-only one, wherever the test runs."""
    import torch

    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: False)


@pytest.mark.usefixtures("no_model_loading", "cpu_only_torch")
@pytest.mark.parametrize("command", ["run", "bench"])
@pytest.mark.parametrize("device, says", [("cuda", "has no CUDA support"), ("cuda:1", "has no CUDA support"),
                                          ("mps", "has no MPS support")])
def test_an_unavailable_device_is_one_line_naming_the_devices_and_the_gpu_install(
        command: str, device: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    [line] = errors(capsys, command, "--task", "shapes_zeroshot", "--model", "mock", "--device", device)
    assert line == (f"--device {device}: this PyTorch build ({torch.__version__}) {says}"
                    + (" (Apple silicon only)" if device == "mps" else "")
                    + '; devices here: cpu; install a PyTorch build with GPU support: see "GPU install" in the README')


@pytest.mark.usefixtures("no_model_loading")
def test_a_gpu_index_beyond_the_visible_gpus(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    monkeypatch.setattr(torch.version, "cuda", "12.4")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: "Test GPU")
    [line] = errors(capsys, "run", "--task", "shapes_zeroshot", "--model", "mock", "--device", "cuda:2")
    assert line == "--device cuda:2: only 2 GPU(s) visible; devices here: cpu, cuda:0 (Test GPU), cuda:1 (Test GPU)"


@pytest.mark.parametrize("kind", ["hf", "clip", "blip", "llava"])
def test_model_arg_errors_read_the_same_for_every_adapter_kind(kind: str, tmp_path: Path) -> None:
    """Each kind rejects an unknown or mistyped option before touching the checkpoint, in one shared wording."""
    from mmbench.errors import UserError
    from mmbench.models.spec import load_model

    with pytest.raises(UserError) as err:
        load_model(f"{kind}:{tmp_path}", colour="blue")
    assert str(err.value).startswith(f"{kind}: unknown model argument 'colour'")
    if kind != "clip":  # clip: has no integer option
        with pytest.raises(UserError) as err:
            load_model(f"{kind}:{tmp_path}", max_new_tokens="lots")
        assert str(err.value) == f"{kind}: model argument max_new_tokens='lots' is not an integer"


_MODEL_ARG_PROBE = """
import contextlib, io, json, sys
from mmbench.cli import main
outcomes = []
for spec, task, arg in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["run", "--task", task, "--model", spec, "--model-arg", arg])
    outcomes.append([code, err.getvalue()])
print(json.dumps({"outcomes": outcomes, "torch": "torch" in sys.modules, "transformers": "transformers" in sys.modules}))
"""


def test_a_bad_model_arg_fails_before_torch_loads_in_one_line_worded_alike_for_every_kind(tmp_path: Path) -> None:
    """The bundled models and every adapter kind (hf:, clip:, blip:, llava: on a config-only folder, so
    nothing could load anyway): a misspelt key or a mistyped value is one line, exit 2, and the process
    never imported torch or transformers: the options were checked from their declarations."""
    folder = clip_config_dir(tmp_path)
    typo_cases = [("mock", "shapes_vqa"), ("shapes-clip", "shapes_zeroshot"), ("shapes-blip-vqa", "shapes_vqa"),
                  (f"hf:{folder}", "shapes_zeroshot"), (f"clip:{folder}", "shapes_zeroshot"),
                  (f"blip:{folder}", "shapes_vqa"), (f"llava:{folder}", "shapes_vqa")]
    type_cases = [("shapes-blip-vqa", "shapes_vqa"), (f"hf:{folder}", "shapes_zeroshot"),
                  (f"blip:{folder}", "shapes_vqa"), (f"llava:{folder}", "shapes_vqa")]
    cases = [[spec, task, "revison=main"] for spec, task in typo_cases]
    cases += [[spec, task, "max_new_tokens=lots"] for spec, task in type_cases]
    out = subprocess.run([sys.executable, "-c", _MODEL_ARG_PROBE, json.dumps(cases)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout)
    assert probe["torch"] is False and probe["transformers"] is False
    for (spec, _, arg), (code, stderr) in zip(cases, probe["outcomes"]):
        assert code == 2 and stderr.count("\n") == 1 and "Traceback" not in stderr, (spec, arg, stderr)
        line = stderr.strip()
        if arg.startswith("revison") and spec == "mock":  # the mock takes no options at all
            assert line == "mmbench: error: --model mock: unknown model argument 'revison' (known: none)"
        elif arg.startswith("revison"):
            assert re.fullmatch(rf"mmbench: error: --model {re.escape(spec)}: unknown model argument 'revison'; "
                                r"did you mean 'revision'\? \(known: [a-z_, ]*revision[a-z_, ]*\)", line), line
        else:
            assert line == f"mmbench: error: --model {spec}: model argument max_new_tokens='lots' is not an integer"


@pytest.mark.usefixtures("no_model_loading")
def test_an_unknown_hf_family_is_refused_before_the_model_loads(capsys: pytest.CaptureFixture[str]) -> None:
    """Cross-field checks of the options run in the preflight too: ``family`` must name an hf: family."""
    [line] = errors(capsys, "run", "--task", "shapes_vqa", "--model", "shapes-blip-vqa", "--model-arg", "family=blip3")
    assert line.startswith("--model shapes-blip-vqa: model argument family='blip3': unknown family 'blip3'; did you mean ")
    assert "'blip-vqa'" in line.split("did you mean", 1)[1] and "(known: " in line

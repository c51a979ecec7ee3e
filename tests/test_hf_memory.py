"""Big checkpoints: the weights' memory is estimated from the files and compared with the free memory
before any weights load (a one-line refusal, exit 2), and ``--model-arg device_map=auto`` loads
through accelerate's placement and is recorded in the result.

Expected sizes are computed independently: the tensors' own ``numel`` read back with safetensors,
and hand arithmetic for an index claiming 2**50 bytes (2**50 B / 2**30 = 1048576 GiB in the stored
float32; half of it in bf16).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import tiny_checkpoints
import torch

from mmbench.cli import main
from mmbench.errors import UserError
from mmbench.models import memory
from mmbench.models.spec import load_model

CLAIM = 2**50  # bytes the fake index claims: far more than any machine's memory


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoints.build_tiny_clip(tmp_path_factory.mktemp("mem") / "clip")


@pytest.fixture(scope="module")
def huge_dir(clip_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny CLIP's config and processor with a sharded index that claims 1 PiB of float32 weights
    in shards that are not there (loading them would fail: a refusal must come first)."""
    root = tmp_path_factory.mktemp("huge") / "clip-huge"
    shutil.copytree(clip_dir, root)
    (root / "model.safetensors").unlink()
    index = {"metadata": {"total_size": CLAIM},
             "weight_map": {"logit_scale": "model-00001-of-00002.safetensors",
                            "text_projection.weight": "model-00002-of-00002.safetensors"}}
    (root / "model.safetensors.index.json").write_text(json.dumps(index))
    config = json.loads((root / "config.json").read_text())
    assert config.get("dtype", "float32") == "float32"  # the stored dtype the estimate scales from
    return root


def _tensor_elements(path: Path) -> int:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return sum(f.get_tensor(name).numel() for name in f.keys())  # noqa: SIM118  (safe_open is not a dict)


def test_estimate_from_the_safetensors_header(clip_dir: Path, tmp_path: Path) -> None:
    elements = _tensor_elements(clip_dir / "model.safetensors")
    assert memory.weights_bytes(clip_dir, "float32") == (4 * elements, "model.safetensors header")
    assert memory.weights_bytes(clip_dir, "bf16")[0] == 2 * elements  # type: ignore[index]
    # the same checkpoint in shards: every shard's header read, same total
    from transformers import CLIPModel

    sharded = tmp_path / "sharded"
    CLIPModel.from_pretrained(clip_dir).save_pretrained(sharded, max_shard_size="50KB")
    assert (sharded / "model.safetensors.index.json").is_file()
    estimate, source = memory.weights_bytes(sharded, "float32")  # type: ignore[misc]
    assert estimate == 4 * elements and source.startswith("headers of ") and source != "headers of 1 shards"


def test_estimate_from_the_index_when_shards_are_absent(huge_dir: Path) -> None:
    assert memory.weights_bytes(huge_dir, "float32") == (CLAIM, "model.safetensors.index.json metadata.total_size")
    assert memory.weights_bytes(huge_dir, "bf16")[0] == CLAIM // 2  # type: ignore[index]


def test_huge_checkpoint_is_refused_before_loading(huge_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    status = main(["run", "--model", f"hf:{huge_dir}", "--task", "shapes_retrieval", "--limit", "2", "--num-workers", "0",
                   "--device", "cpu", "--output-dir", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 2
    lines = [line for line in captured.err.splitlines() if "weights need" in line]
    assert len(lines) == 1 and "Traceback" not in captured.err
    line = lines[0]
    assert "about 1048576.0 GiB in float32" in line and "GiB is free (CPU RAM" in line
    assert "--dtype bf16" in line and "device_map=auto" in line and "--batch-size" in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json"))  # nothing written


def test_refusal_through_the_python_api_and_the_escape_hatch(huge_dir: Path) -> None:
    with pytest.raises(UserError, match=r"about 524288\.0 GiB in bf16") as refused:
        load_model(f"hf:{huge_dir}", device="cpu", dtype="bf16")
    assert "--dtype bf16" not in str(refused.value)  # already bf16: not offered as a fix
    with pytest.raises(UserError) as skipped:  # no estimate: loading starts, and fails on the absent shards
        load_model(f"hf:{huge_dir}", device="cpu", check_memory="false")
    assert "weights need" not in str(skipped.value)


def test_free_memory_source_is_injectable(clip_dir: Path) -> None:
    need = 4 * _tensor_elements(clip_dir / "model.safetensors")
    one_gpu = lambda device, device_map: [("cuda:0", need - 1)]
    problem = memory.memory_problem(clip_dir, "float32", "cuda:0", free=one_gpu)
    assert problem is not None and "cuda:0 0.0 GiB" in problem and "device_map=auto" in problem
    assert memory.memory_problem(clip_dir, "float32", "cuda:0", free=lambda d, m: [("cuda:0", need)]) is None
    # device_map=auto: the GPUs and the CPU together
    spread = lambda device, device_map: [("cuda:0", need // 2), ("CPU RAM", need // 2 + 1)]
    assert memory.memory_problem(clip_dir, "float32", "cuda", "auto", free=spread) is None
    tight = memory.memory_problem(clip_dir, "float32", "cuda", "auto", free=lambda d, m: [("cuda:0", 1), ("CPU RAM", 1)])
    assert tight is not None and "device_map=auto" not in tight.split("try ")[1]  # already placed by accelerate
    assert memory.memory_problem(clip_dir, "float32", "cpu", free=lambda d, m: []) is None  # unknown: never refuses


def test_bad_device_map_is_refused_before_loading(clip_dir: Path) -> None:
    from mmbench.models.hf.common import HFOptions

    assert any("device_map='everywhere'" in p for p in HFOptions.problems({"device_map": "everywhere"}))


def test_device_map_auto_loads_through_accelerate_and_is_recorded(clip_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import transformers

    seen: list[Any] = []
    original = transformers.CLIPModel.from_pretrained.__func__  # type: ignore[attr-defined]

    def spy(cls: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("device_map"))
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(transformers.CLIPModel, "from_pretrained", classmethod(spy))
    placed = load_model(f"hf:{clip_dir}", device="cpu", device_map="auto")
    assert seen == ["auto"]  # transformers' accelerate placement was asked for
    plain = load_model(f"hf:{clip_dir}", device="cpu")
    assert placed.device == "cpu" and placed.describe()["placement"] == {"cpu": plain.num_parameters}
    texts = ["a red circle", "two squares"]
    torch.testing.assert_close(placed.encode_texts(texts), plain.encode_texts(texts))
    capsys.readouterr()
    status = main(["run", "--model", f"hf:{clip_dir}", "--model-arg", "device_map=auto", "--task", "shapes_retrieval",
                   "--limit", "4", "--num-workers", "0", "--device", "cpu", "--json", "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    result: Any = json.loads(out)
    result = result[0] if isinstance(result, list) else result
    assert result["model"]["device_map"] == "auto"
    assert result["model"]["placement"] == {"cpu": plain.num_parameters}  # every weight on the only device here


def test_readme_example_is_the_message(tmp_path: Path) -> None:
    """The README's refusal line is what this check prints for its example: a bf16 checkpoint whose
    index claims 13 GiB (26 GiB in float32) on a GPU with 21.3 GiB free."""
    import re

    big = tmp_path / "big"
    big.mkdir()
    (big / "config.json").write_text(json.dumps({"model_type": "llava", "dtype": "bfloat16"}))
    (big / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 13 * 2**30},
                                                                  "weight_map": {"w": "model-00001-of-00003.safetensors"}}))
    line = memory.memory_problem(big, "float32", "cuda:0", free=lambda d, m: [("cuda:0", int(21.3 * 2**30))])
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n(/models/big: .*)\n```", readme)
    assert shown and line == shown.group(1).replace("/models/big", str(big))

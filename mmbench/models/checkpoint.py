"""Locating and loading checkpoints: local directories or hub ids, safetensors only.

Shared by the ``hf:`` adapter and the built-in plain-PyTorch models. Offline (``HF_HUB_OFFLINE=1``
or no network) a hub id that is not in the local cache fails at once with what to download and
where to put it; no retry loops. Pickled ``.bin`` weights are read only with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.errors import UserError

if TYPE_CHECKING:
    import torch


def resolve_checkpoint(location: str, revision: str | None = None) -> Path:
    """A local directory as is; otherwise a hub id resolved from the local cache (or downloaded online)."""
    path = Path(location).expanduser()
    if path.is_dir():
        return path
    if path.exists() or location.startswith((".", "/", "~")) or location.count("/") > 1:
        raise UserError(f"{location}: not a checkpoint directory (expected a folder with config.json)")
    return _from_hub(location, revision)


def _from_hub(repo_id: str, revision: str | None) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes"}
    # *.py: remote code is downloaded but only ever executed with an explicit trust_remote_code=true
    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja", "*.py"]
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=patterns, local_files_only=offline, etag_timeout=5))
    except LocalEntryNotFoundError:
        raise UserError(
            f"{repo_id}: not in the local Hugging Face cache and the hub is unreachable (offline); "
            f"on a machine with network run `huggingface-cli download {repo_id}` and copy the cache "
            f"(~/.cache/huggingface/hub) here, or pass a local directory: hf:/path/to/{repo_id.split('/')[-1]}"
        ) from None
    except Exception as e:  # network errors, 404s, gated repos
        raise UserError(f"{repo_id}: cannot fetch from the hub ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                        f"download it elsewhere and pass the local directory") from None


def read_config(checkpoint: Path) -> dict[str, Any]:
    config_path = checkpoint / "config.json"
    if not config_path.is_file():
        raise UserError(f"{checkpoint}: no config.json; is this a Hugging Face checkpoint directory?")
    with config_path.open(encoding="utf-8") as f:
        return dict(json.load(f))


def load_state_dict(checkpoint: Path) -> dict[str, torch.Tensor]:
    """All tensors of a checkpoint: ``model.safetensors`` (single or sharded), else ``.bin`` with weights_only."""
    from safetensors.torch import load_file

    single = checkpoint / "model.safetensors"
    if single.is_file():
        return load_file(str(single))
    index = checkpoint / "model.safetensors.index.json"
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        state: dict[str, torch.Tensor] = {}
        for shard in shards:
            state.update(load_file(str(checkpoint / shard)))
        return state
    bin_file = checkpoint / "pytorch_model.bin"
    if bin_file.is_file():
        import torch

        return dict(torch.load(bin_file, map_location="cpu", weights_only=True))
    raise UserError(f"{checkpoint}: no model.safetensors (or sharded index, or pytorch_model.bin) found")


def check_keys(expected: Iterable[str], found: Iterable[str], checkpoint: Path | str, ignore_unexpected: Iterable[str] = ()) -> None:
    """Strict key check: name every missing and unexpected key (up to 20 of each) in one error."""
    expected_set, found_set = set(expected), set(found)
    missing = sorted(expected_set - found_set)
    unexpected = sorted(k for k in found_set - expected_set if not any(k.startswith(p) for p in ignore_unexpected))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s): {', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s): {', '.join(unexpected[:20])}{' ...' if len(unexpected) > 20 else ''}")
        raise UserError(f"{checkpoint}: checkpoint does not match the model: {'; '.join(parts)}")


def torch_dtype(name: str) -> torch.dtype:
    import torch

    table = {"fp32": torch.float32, "float32": torch.float32, "fp16": torch.float16, "float16": torch.float16,
             "bf16": torch.bfloat16, "bfloat16": torch.bfloat16}
    if name not in table:
        raise UserError(f"unknown dtype {name!r}; use one of fp32, fp16, bf16")
    return table[name]

"""Locating and loading checkpoints: local directories or hub ids, safetensors only.

Shared by the ``hf:`` adapter and the built-in plain-PyTorch models: the one strict weight loader
(:func:`load_strict`), the one tokenizer loader and the one image-transform loader. Every failure
here is a :class:`UserError` naming the checkpoint and what to do. Offline (``HF_HUB_OFFLINE=1``
or no network) a hub id that is not in the local cache fails at once with what to download and
where to put it; no retry loops. Pickled ``.bin`` weights are read only with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mmbench.errors import UserError
from mmbench.jsonio import read_json

if TYPE_CHECKING:
    import torch

    from mmbench.models.preprocess import ImagePreprocessor

ModuleT = TypeVar("ModuleT", bound="torch.nn.Module")


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
        from huggingface_hub import constants

        from mmbench.env import hub_download_command

        raise UserError(  # the hub cache this process reads: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
            f"{repo_id}: not in the local Hugging Face cache and the hub is unreachable (offline); "
            f"on a machine with network run `{hub_download_command(repo_id)}` and copy the cache "
            f"({constants.HF_HUB_CACHE}) here, or pass a local directory: hf:/path/to/{repo_id.split('/')[-1]}"
        ) from None
    except Exception as e:  # network errors, 404s, gated repos
        raise UserError(f"{repo_id}: cannot fetch from the hub ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                        f"download it elsewhere and pass the local directory") from None


def read_config(checkpoint: Path) -> dict[str, Any]:
    config_path = checkpoint / "config.json"
    if not config_path.is_file():
        raise UserError(f"{checkpoint}: no config.json; is this a Hugging Face checkpoint directory?")
    return read_json_object(config_path)


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON file that must hold an object (config.json, preprocessor_config.json ...)."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def read_optional_json(path: Path) -> dict[str, Any] | None:
    """An optional side file of a checkpoint: None when absent."""
    return read_json_object(path) if path.is_file() else None


def load_state_dict(checkpoint: Path) -> dict[str, torch.Tensor]:
    """All tensors of a checkpoint: ``model.safetensors`` (single or sharded), else ``.bin`` with weights_only."""
    from safetensors.torch import load_file

    single = checkpoint / "model.safetensors"
    if single.is_file():
        return load_file(str(single))
    index = checkpoint / "model.safetensors.index.json"
    if index.is_file():
        shards = sorted(set(read_json_object(index).get("weight_map", {}).values()))
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


def load_strict(module: ModuleT, state: Mapping[str, torch.Tensor], *, source: Path | str,
                rename: Callable[[str], str] | None = None, ignore: tuple[str, ...] = (),
                tied: Mapping[str, str] | None = None) -> ModuleT:
    """Adopt ``state``'s tensors into ``module`` (built on the meta device): every key and shape must fit.

    ``rename`` maps a checkpoint key to the module's name (older layouts); keys ending in one of
    ``ignore`` are buffers the module recomputes; ``tied`` maps an alias key to its source key
    (weights shared in the module, optional in a checkpoint: the source tensor fills it). Missing
    and unexpected keys are listed in one :class:`UserError`, then tensors whose shapes differ from
    the module's (a config.json that does not describe the weights).
    """
    tied = dict(tied or {})
    renamed = {(rename(k) if rename else k): v for k, v in state.items() if not k.endswith(ignore)}
    own = module.state_dict()
    check_keys(set(own) - set(tied), set(renamed) - set(tied), source)
    renamed = {k: v for k, v in renamed.items() if k not in tied}  # an alias stored too is the same tensor
    wrong = [f"{k} {tuple(v.shape)} != {tuple(own[k].shape)}" for k, v in renamed.items() if tuple(v.shape) != tuple(own[k].shape)]
    if wrong:
        raise UserError(f"{source}: checkpoint tensors do not fit the config: {len(wrong)} weight(s) have shapes that do not "
                        f"match config.json: {'; '.join(wrong[:10])}{' ...' if len(wrong) > 10 else ''}")
    renamed.update({alias: renamed[origin] for alias, origin in tied.items()})
    module.load_state_dict(renamed, strict=True, assign=True)
    return module


def build_module(factory: Callable[[], ModuleT], source: Path | str) -> ModuleT:
    """``factory()`` on the meta device (no random initialisation; :func:`load_strict` adopts the
    weights). A ValueError there (a config the modules cannot be built from) becomes a UserError naming ``source``."""
    import torch

    try:
        with torch.device("meta"):
            return factory()
    except ValueError as e:
        raise UserError(f"{source}: the config cannot build the model ({e})") from None


def load_tokenizer(location: Path | str, *, revision: str | None = None, hint: str = "") -> Any:
    """The checkpoint's own tokenizer (transformers' ``AutoTokenizer``: tokenisers are not model code)."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(location), revision=revision)
    except (OSError, ValueError, KeyError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"{location}: no usable tokenizer ({first}){'; ' + hint if hint else ''}") from None


def image_processor_config(checkpoint: Path) -> dict[str, Any] | None:
    """preprocessor_config.json, or the ``image_processor`` section of processor_config.json (transformers 5.x)."""
    config = read_optional_json(checkpoint / "preprocessor_config.json")
    if config is not None:
        return config
    section = (read_optional_json(checkpoint / "processor_config.json") or {}).get("image_processor")
    return dict(section) if isinstance(section, dict) else None


def load_image_transform(checkpoint: Path, default: ImagePreprocessor, *, pad: bool | None = None) -> ImagePreprocessor:
    """The transform the checkpoint's image-processor config describes, else ``default``.

    ``pad`` overrides the config's ``do_pad`` (LLaVA's pad-to-square option).
    """
    from mmbench.models.preprocess import transform_from_preprocessor_config

    config = image_processor_config(checkpoint)
    if config is None:
        return default
    try:
        return transform_from_preprocessor_config(config, pad=pad)
    except (ValueError, TypeError, KeyError) as e:
        raise UserError(f"{checkpoint}: unsupported image processor setting ({e}); fix preprocessor_config.json") from None


#: the dtype names every adapter accepts (``--dtype``), each an alias of a torch dtype
DTYPE_NAMES = ("float32", "fp32", "float16", "fp16", "bfloat16", "bf16")


def check_dtype_name(name: str) -> None:
    """A UserError for a dtype name that is not one of :data:`DTYPE_NAMES` (no torch import)."""
    if name not in DTYPE_NAMES:
        raise UserError(f"unknown dtype {name!r}; use one of fp32, fp16, bf16")


def torch_dtype(name: str) -> torch.dtype:
    import torch

    check_dtype_name(name)
    return {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
            "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}[name]

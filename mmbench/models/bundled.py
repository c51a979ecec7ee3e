"""The bundled reference models: tiny checkpoints trained on the shapes suite, shipped in the wheel.

Each name loads ``mmbench/bundled/<name>/`` (a transformers checkpoint: config.json,
model.safetensors, tokenizer and processor files) through the ``hf:`` adapter, so
``--model shapes-clip`` equals ``--model hf:<that folder>``. Trained by
``scripts/train_reference_models.py``; see ``mmbench/bundled/README.md`` for the recipes and scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.errors import UserError

if TYPE_CHECKING:
    from mmbench.models.base import ModelAdapter

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "bundled"
NAMES = ("shapes-clip", "shapes-blip-caption", "shapes-blip-vqa", "shapes-llava")


def bundled_path(name: str) -> Path:
    """The checkpoint folder of a bundled model; UserError if it is not there."""
    path = BUNDLED_DIR / name
    if not (path / "config.json").is_file():
        raise UserError(f"bundled model {name!r} not found at {path}; reinstall mmbench or rebuild it with "
                        f"`python scripts/train_reference_models.py`")
    return path


def _load(name: str, location: str | None, device: str, dtype: str, model_args: dict[str, Any]) -> ModelAdapter:
    from mmbench.models.spec import load_model

    if location:
        raise UserError(f"{name} takes no location (got {location!r}); use plain --model {name}")
    return load_model(f"hf:{bundled_path(name)}", device=device, dtype=dtype, **model_args)


def shapes_clip(location: str | None = None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> ModelAdapter:
    """Tiny CLIP trained on the shapes suite (retrieval, zero-shot)."""
    return _load("shapes-clip", location, device, dtype, model_args)


def shapes_blip_caption(location: str | None = None, *, device: str = "cpu", dtype: str = "float32",
                        **model_args: Any) -> ModelAdapter:
    """Tiny BLIP captioner trained on the shapes suite."""
    return _load("shapes-blip-caption", location, device, dtype, model_args)


def shapes_blip_vqa(location: str | None = None, *, device: str = "cpu", dtype: str = "float32",
                    **model_args: Any) -> ModelAdapter:
    """Tiny BLIP VQA model trained on the shapes suite."""
    return _load("shapes-blip-vqa", location, device, dtype, model_args)


def shapes_llava(location: str | None = None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> ModelAdapter:
    """Tiny LLaVA-style model (CLIP tower + projector + Llama) trained on shapes captions and questions."""
    return _load("shapes-llava", location, device, dtype, model_args)

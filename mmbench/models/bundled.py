"""The bundled reference models: tiny checkpoints trained on the shapes suite, shipped in the wheel.

Each name is the ``hf:`` adapter on ``mmbench/bundled/<name>/`` (a transformers checkpoint:
config.json, model.safetensors, tokenizer and processor files), so ``--model shapes-clip`` equals
``--model hf:<that folder>``. Trained by ``scripts/train_reference_models.py``; see
``mmbench/bundled/README.md`` for the recipes and scores. :data:`BUNDLED` is the one table; the
model registry lists its rows (:data:`mmbench.models.spec.BUILTIN_MODELS`).
"""

from __future__ import annotations

from pathlib import Path

from mmbench.errors import UserError

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "bundled"

#: name -> description of every bundled model
BUNDLED: dict[str, str] = {
    "shapes-clip": "tiny CLIP trained on the shapes suite (bundled)",
    "shapes-blip-caption": "tiny BLIP captioner trained on the shapes suite (bundled)",
    "shapes-blip-vqa": "tiny BLIP VQA model trained on the shapes suite (bundled)",
    "shapes-llava": "tiny LLaVA-style model (CLIP tower + projector + Llama) trained on shapes captions and questions (bundled)",
    "shapes-llava-multi": "shapes-llava fine-tuned for one- or two-image multiple choice (shapes_mc, shapes_two_image; "
                          "near chance on shapes_pope and shapes_chart) (bundled)",
}
NAMES = tuple(BUNDLED)
#: ``--model-arg`` defaults of a bundled model (given ones win): shapes-llava-multi is a LLaVA that takes
#: two images, which the llava family refuses, so it runs as the generic image-text-to-text family.
BUNDLED_ARGS: dict[str, dict[str, str]] = {"shapes-llava-multi": {"family": "image-text-to-text"}}


def bundled_path(name: str) -> Path:
    """The checkpoint folder of a bundled model; UserError if it is not there."""
    path = BUNDLED_DIR / name
    if not (path / "config.json").is_file():
        raise UserError(f"bundled model {name!r} not found at {path}; reinstall mmbench or rebuild it with "
                        f"`python scripts/train_reference_models.py`")
    return path

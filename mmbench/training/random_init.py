"""The random-initialised twins of the bundled models: same architecture, untrained, seed + 1.

They give the chance-level rows of the reference results (``results/random-init/``): saved with
the trained model's tokenizer and processor, so the harness runs them exactly as the trained ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmbench.training.recipes import Stage


def random_init_model(stage: Stage, processor: Any) -> Any:
    """The stage's architecture, untrained, seeded with the recipe's seed + 1."""
    import torch

    from mmbench.training import blip, clip, llava

    torch.manual_seed(stage.recipe.seed + 1)
    tokenizer = processor.tokenizer
    if stage.kind == "clip":
        return clip.build_clip(stage.recipe, tokenizer).eval()
    if stage.kind == "llava":
        return llava.build_llava(stage.recipe, tokenizer).eval()
    if stage.kind == "llava-multi":  # shapes-llava's architecture, which it fine-tunes
        return llava.build_llava(llava.LlavaRecipe(), tokenizer).eval()
    from transformers import BlipForConditionalGeneration, BlipForQuestionAnswering

    cls = BlipForConditionalGeneration if stage.kind == "blip-caption" else BlipForQuestionAnswering
    return cls(blip.blip_config(stage.recipe, tokenizer)).eval()


def save_random_init(stage: Stage, trained: Path, target: Path) -> Path:
    """The untrained model with the trained checkpoint's (``trained``) tokenizer and processor."""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(trained)
    model = random_init_model(stage, processor)
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    processor.save_pretrained(target)
    (target / "training.json").write_text(json.dumps({"model": stage.name, "random_init": True,
                                                      "seed": stage.recipe.seed + 1, "steps": 0}, indent=1) + "\n")
    return target

"""The recipes of the bundled models, one per training stage, each trained by one command:

    python scripts/train_reference_models.py --model <stage>

Step counts are part of the recipe (the schedule follows them, never a time budget); a stage that
starts from another stage's checkpoint names it, and finds it in the same output folder.
``shapes-clip-stage1`` is an intermediate stage: the start of ``shapes-clip`` and the frozen
vision tower of ``shapes-llava``; it is kept in ``mmbench/bundled/stages/`` so the later stages
can be rebuilt (and their first steps replayed in CI) without retraining it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmbench.training.blip import BlipRecipe
from mmbench.training.clip import ClipRecipe
from mmbench.training.llava import LlavaRecipe
from mmbench.training.llava_multi import LlavaMultiRecipe

#: torch threads of every recorded run: float reductions depend on it, the CI replay uses the same.
THREADS = 1


@dataclass(frozen=True)
class Stage:
    name: str
    kind: str  # clip, blip-caption, blip-vqa, llava, llava-multi
    recipe: Any
    folder: str  # where the checkpoint goes, relative to the output folder
    starts_from: str | None = None  # the stage whose checkpoint this one starts from


STAGES: dict[str, Stage] = {stage.name: stage for stage in (
    Stage("shapes-clip-stage1", "clip", ClipRecipe(steps=2984, lr=1e-3, partial_fraction=0.5),
          "stages/shapes-clip-stage1"),
    Stage("shapes-clip", "clip", ClipRecipe(steps=500, lr=3e-4, partial_fraction=0.75), "shapes-clip",
          starts_from="shapes-clip-stage1"),
    Stage("shapes-blip-caption", "blip-caption", BlipRecipe(steps=1049), "shapes-blip-caption"),
    Stage("shapes-blip-vqa", "blip-vqa", BlipRecipe(steps=3263), "shapes-blip-vqa"),
    Stage("shapes-llava", "llava", LlavaRecipe(steps=1500), "shapes-llava", starts_from="shapes-clip-stage1"),
    Stage("shapes-llava-multi", "llava-multi",
          LlavaMultiRecipe(steps=3000, lr=1e-3, reasoned_yes_no="chain",
                           mixture=(("mc", 0.15), ("pair", 0.2), ("yes_no", 0.25), ("chart", 0.15),
                                    ("describe_pope", 0.1), ("describe", 0.15))),
          "shapes-llava-multi", starts_from="shapes-llava"),
)}


def trainer(kind: str) -> Any:
    from mmbench.training import blip, clip, llava, llava_multi

    return {"clip": clip.train_clip, "blip-caption": blip.train_blip_caption, "blip-vqa": blip.train_blip_vqa,
            "llava": llava.train_llava, "llava-multi": llava_multi.train_llava_multi}[kind]


def with_start(stage: Stage, start_path: str | None) -> Any:
    """The stage's recipe pointing at the checkpoint it starts from (CLIP and LLaVA-multi: init_from,
    LLaVA: vision_from)."""
    from dataclasses import replace

    if start_path is None:
        return stage.recipe
    return replace(stage.recipe, **{("init_from" if stage.kind in ("clip", "llava-multi") else "vision_from"): start_path})

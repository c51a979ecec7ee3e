#!/usr/bin/env python
"""Train the tiny reference models on the shapes suite's train split and save them in HF format.

    python scripts/train_reference_models.py --model all --out mmbench/bundled
    python scripts/train_reference_models.py --model clip --steps 800 --threads 2

Each model: fixed seed, CPU, ``--threads`` torch threads (2 by default, as the machine the issue
names), a step count chosen to finish within 20 minutes there. Prints quick scores of the trained
and of the random-initialised model on the test and held-out splits, and writes them to
``<out>/<name>/training.json``. Official scores: ``mmbench run --task shapes_* --model hf:<out>/<name>``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

NAMES = ("clip", "blip-caption", "blip-vqa", "llava")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=(*NAMES, "all"), default="all")
    parser.add_argument("--out", type=Path, default=Path("mmbench/bundled"))
    parser.add_argument("--steps", type=int, default=None, help="override the recipe's step count")
    parser.add_argument("--batch", type=int, default=None, help="override the recipe's batch size")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--hard-negative-beta", type=float, default=None, help="CLIP only")
    parser.add_argument("--patch", type=int, default=None)
    parser.add_argument("--init-from", default=None, help="CLIP only: continue training this checkpoint")
    parser.add_argument("--partial-fraction", type=float, default=None, help="CLIP only: share of partial captions")
    parser.add_argument("--vision-from", default=None, help="LLaVA only: start from (and freeze) this CLIP checkpoint's vision tower")
    parser.add_argument("--minutes", type=float, default=None, help="time budget per model (the schedule decays over it)")
    parser.add_argument("--variant", default="", help="suffix for the output folder (e.g. to compare recipes)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from mmbench.training.corpus import load_shapes_split

    train_split = load_shapes_split("train")
    evaluation = {name: load_shapes_split(name) for name in ("test", "heldout")}
    for name in NAMES if args.model == "all" else (args.model,):
        report = train_one(name, args, train_split, evaluation)
        print(json.dumps(report, indent=1), flush=True)
    return 0


def _recipe(name: str, args: argparse.Namespace):  # noqa: ANN202
    from mmbench.training.blip import BlipRecipe
    from mmbench.training.clip import ClipRecipe
    from mmbench.training.llava import LlavaRecipe

    recipe = {"clip": ClipRecipe(), "blip-caption": BlipRecipe(), "blip-vqa": BlipRecipe(), "llava": LlavaRecipe()}[name]
    overrides = {"steps": args.steps, "batch": args.batch, "lr": args.lr, "patch": args.patch, "seed": args.seed,
                 "minutes": args.minutes}
    if name == "clip":
        overrides["hard_negative_beta"] = args.hard_negative_beta
        overrides["init_from"] = args.init_from
        overrides["partial_fraction"] = args.partial_fraction
    if name == "llava":
        overrides["vision_from"] = args.vision_from
    return replace(recipe, **{k: v for k, v in overrides.items() if v is not None})


def train_one(name: str, args: argparse.Namespace, train_split, evaluation) -> dict:  # noqa: ANN001
    from mmbench.training import blip, clip, llava, quick_eval

    recipe = _recipe(name, args)
    out = args.out / f"shapes-{name}{args.variant}"
    trainers = {"clip": clip.train_clip, "blip-caption": blip.train_blip_caption, "blip-vqa": blip.train_blip_vqa,
                "llava": llava.train_llava}
    started = time.perf_counter()
    model, processor, info = trainers[name](train_split, recipe, out)
    random_model = _random_init(name, recipe, processor)
    report = {"model": name, "recipe": asdict(recipe), **info, "wall_minutes": (time.perf_counter() - started) / 60}
    for split_name, split in evaluation.items():
        for label, candidate in (("trained", model), ("random_init", random_model)):
            report[f"{split_name}/{label}"] = _scores(name, candidate, processor, split, quick_eval)
    (out / "training.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def _random_init(name: str, recipe, processor):  # noqa: ANN001, ANN202
    import torch

    from mmbench.training import blip, clip, llava

    torch.manual_seed(recipe.seed + 1)
    tokenizer = processor.tokenizer
    if name == "clip":
        return clip.build_clip(recipe, tokenizer).eval()
    if name == "llava":
        return llava.build_llava(recipe, tokenizer).eval()
    from transformers import BlipForConditionalGeneration, BlipForQuestionAnswering

    cls = BlipForConditionalGeneration if name == "blip-caption" else BlipForQuestionAnswering
    return cls(blip.blip_config(recipe, tokenizer)).eval()


def _scores(name: str, model, processor, split, quick_eval) -> dict:  # noqa: ANN001
    tokenizer = processor.tokenizer
    if name == "clip":
        return quick_eval.clip_scores(model, tokenizer, split)
    if name == "blip-caption":
        return quick_eval.blip_caption_scores(model, tokenizer, split)
    if name == "blip-vqa":
        return quick_eval.blip_vqa_scores(model, tokenizer, split)
    from mmbench.training.llava import task_prompts

    return quick_eval.llava_scores(model, processor, split, *task_prompts())


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Train one stage of the bundled reference models on the shapes suite's train split, from its recipe.

    python scripts/train_reference_models.py --model shapes-clip-stage1   # then:
    python scripts/train_reference_models.py --model shapes-clip
    python scripts/train_reference_models.py --model shapes-llava
    python scripts/train_reference_models.py --model shapes-blip-caption
    python scripts/train_reference_models.py --model shapes-blip-vqa
    python scripts/train_reference_models.py --model shapes-llava-multi
    python scripts/train_reference_models.py --model shapes-clip --random-init --out OUT

Every recipe (``mmbench/training/recipes.py``) fixes the step count, seed and learning rate; runs
use one torch thread on CPU. The checkpoint and its ``training.json`` (recipe, steps, CPU and wall
minutes, the losses of the first 20 steps and every 50th, quick scores on the validation split
against the random-initialised model) go to ``<out>/<folder>``. Model selection uses the
validation split (the last 500 images of the train split set, never trained on), never the test
split. ``--random-init`` saves the same architecture untrained (seed + 1) to
``<out>/<model>-random-init`` (``scripts/make_reference_results.py`` uses it for the chance-level
runs in ``results/random-init/``). Official scores: ``mmbench run``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmbench.training.recipes import STAGES, THREADS, Stage  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(STAGES), required=True, help="the stage to train")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "mmbench" / "bundled",
                        help="output folder (default: mmbench/bundled); a stage's starting checkpoint is read from it")
    parser.add_argument("--random-init", action="store_true", help="save the untrained model (seed + 1) instead")
    args = parser.parse_args(argv)
    stage = STAGES[args.model]
    start = None
    if stage.starts_from and not args.random_init:
        start = args.out / STAGES[stage.starts_from].folder
        if not (start / "config.json").is_file():
            print(f"{args.model} starts from {stage.starts_from}, not found at {start}; train it first: "
                  f"python scripts/train_reference_models.py --model {stage.starts_from} --out {args.out}", file=sys.stderr)
            return 2
    import torch

    torch.set_num_threads(THREADS)
    if args.random_init:
        from mmbench.models.bundled import BUNDLED_DIR
        from mmbench.training.random_init import save_random_init

        target = save_random_init(stage, BUNDLED_DIR / stage.folder, args.out / f"{stage.name}-random-init")
        print(f"saved the random-initialised {stage.name} to {target}")
        return 0
    report = train_stage(stage, args.out, start)
    print(json.dumps({k: v for k, v in report.items() if k != "losses"}, indent=1), flush=True)
    return 0


def train_stage(stage: Stage, out: Path, start: Path | None) -> dict:
    import torch
    import transformers

    from mmbench.training import quick_eval
    from mmbench.training.corpus import load_shapes_split
    from mmbench.training.random_init import random_init_model
    from mmbench.training.recipes import trainer, with_start

    # shapes-llava-multi draws its examples from the scene generators: no suite split to load
    generated = stage.kind == "llava-multi"
    train_split, validation = (None, None) if generated else (load_shapes_split("train"), load_shapes_split("val"))
    target = out / stage.folder
    started = time.perf_counter()
    model, processor, info = trainer(stage.kind)(train_split, with_start(stage, str(start) if start else None), target)
    random_model = random_init_model(stage, processor)
    recipe = {k: v for k, v in asdict(stage.recipe).items() if k not in ("init_from", "vision_from")}
    report = {"model": stage.name, "recipe": {**recipe, "starts_from": stage.starts_from}, "threads": THREADS,
              "command": f"python scripts/train_reference_models.py --model {stage.name}",
              "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                           "python": platform.python_version()}, **info,
              "total_wall_minutes": (time.perf_counter() - started) / 60,
              "validation": {"trained": scores(stage, model, processor, validation, quick_eval),
                             "random_init": scores(stage, random_model, processor, validation, quick_eval)}}
    (target / "training.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def scores(stage: Stage, model, processor, split, quick_eval) -> dict:  # noqa: ANN001
    tokenizer = processor.tokenizer
    if stage.kind == "clip":
        return quick_eval.clip_scores(model, tokenizer, split)
    if stage.kind == "blip-caption":
        return quick_eval.blip_caption_scores(model, tokenizer, split)
    if stage.kind == "blip-vqa":
        return quick_eval.blip_vqa_scores(model, tokenizer, split)
    if stage.kind == "llava-multi":  # its own validation examples (seeds shapes-bench-val), not the suite's
        from mmbench.training import llava_multi

        return llava_multi.quick_scores(model, tokenizer, llava_multi.validation_set())
    from mmbench.training.llava import task_prompts

    return quick_eval.llava_scores(model, processor, split, *task_prompts())


if __name__ == "__main__":
    sys.exit(main())

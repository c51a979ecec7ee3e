"""The shared optimisation loop: AdamW, linear warm-up then cosine decay over a fixed step count.

Runs are rebuildable: the schedule depends on the step count only (never on wall-clock time), every
source of randomness is seeded, and the loss is recorded at every one of the first
:data:`FIRST_STEPS` steps and every ``log_every`` steps after, so a rerun can be checked against
the record (``tests/test_training_rebuild.py``).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

#: every loss of the first steps is recorded (the CI rebuild test replays them).
FIRST_STEPS = 20


@dataclass(frozen=True)
class Schedule:
    """``steps`` optimiser steps: ``warmup`` linear steps, then cosine decay to 2% of ``lr``."""

    steps: int
    lr: float
    warmup: int = 100
    weight_decay: float = 0.05
    log_every: int = 50

    def progress(self, step: int) -> float:
        return min(1.0, step / self.steps)

    def lr_at(self, step: int) -> float:
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        return self.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * self.progress(step))))


@dataclass(frozen=True)
class TowerSizes:
    """The sizes every shapes recipe shares: a ViT vision tower and a text transformer of one width."""

    width: int = 96
    vision_layers: int = 3
    text_layers: int = 2
    heads: int = 4
    patch: int = 16


def vision_tower(sizes: TowerSizes) -> dict[str, int]:
    """The vision tower's config keys (CLIP/BLIP ViT names) for 64x64 shapes images."""
    return dict(hidden_size=sizes.width, intermediate_size=2 * sizes.width, num_hidden_layers=sizes.vision_layers,
                num_attention_heads=sizes.heads, image_size=64, patch_size=sizes.patch)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(parameters: list[torch.nn.Parameter], step_loss: Callable[[int, float], tuple[torch.Tensor, dict[str, float]]],
          schedule: Schedule, name: str, stop_after: int | None = None) -> dict:
    """Optimise ``step_loss(step, progress) -> (loss, logs)`` for ``schedule.steps`` steps (or only the
    first ``stop_after`` of them, same schedule); returns steps, CPU and wall minutes and the losses."""
    decay = [p for p in parameters if p.ndim >= 2]
    no_decay = [p for p in parameters if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": schedule.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=schedule.lr, betas=(0.9, 0.98))
    start, cpu_start = time.perf_counter(), time.process_time()
    last = schedule.steps if stop_after is None else min(stop_after, schedule.steps)
    first: list[float] = []
    logged: list[list[float]] = []
    for step in range(last):
        for group in optimizer.param_groups:
            group["lr"] = schedule.lr_at(step)
        loss, logs = step_loss(step, schedule.progress(step))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        value = loss.item()
        if step < FIRST_STEPS:
            first.append(value)
        if step % schedule.log_every == 0 or step == schedule.steps - 1:
            logged.append([step, value])
            extra = " ".join(f"{k}={v:.3f}" for k, v in logs.items())
            elapsed = (time.perf_counter() - start) / 60
            print(f"[{name}] step {step}/{schedule.steps} loss={value:.4f} {extra} {elapsed:.1f} min", flush=True)
    return {"steps": last, "cpu_minutes": (time.process_time() - cpu_start) / 60,
            "wall_minutes": (time.perf_counter() - start) / 60,
            "losses": {"first_steps": first, "every": schedule.log_every, "logged": logged}}

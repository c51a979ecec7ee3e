"""The shared optimisation loop: AdamW, linear warm-up then cosine decay, fixed seeds, a time guard."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


@dataclass(frozen=True)
class Schedule:
    """``steps`` optimiser steps, or fewer when ``minutes`` is set and runs out first: the cosine
    decay follows whichever of the two is further along (a time budget makes the run end on a
    decayed learning rate whatever the machine's speed; the steps done are reported)."""

    steps: int
    lr: float
    minutes: float | None = None
    warmup: int = 100
    weight_decay: float = 0.05
    log_every: int = 50

    def progress(self, step: int, elapsed_s: float) -> float:
        by_steps = step / self.steps
        by_time = elapsed_s / (60 * self.minutes) if self.minutes else 0.0
        return min(1.0, max(by_steps, by_time))

    def lr_at(self, step: int, progress: float) -> float:
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        return self.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(parameters: list[torch.nn.Parameter], step_loss: Callable[[int, float], tuple[torch.Tensor, dict[str, float]]],
          schedule: Schedule, name: str) -> dict[str, float]:
    """Optimise ``step_loss(step, progress) -> (loss, logs)`` until the schedule ends; returns steps and minutes."""
    decay = [p for p in parameters if p.ndim >= 2]
    no_decay = [p for p in parameters if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": schedule.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=schedule.lr, betas=(0.9, 0.98))
    start, cpu_start = time.perf_counter(), time.process_time()
    step = 0
    for step in range(schedule.steps):
        progress = schedule.progress(step, time.perf_counter() - start)
        if progress >= 1.0:
            break
        for group in optimizer.param_groups:
            group["lr"] = schedule.lr_at(step, progress)
        loss, logs = step_loss(step, progress)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        elapsed = time.perf_counter() - start
        if step % schedule.log_every == 0 or step == schedule.steps - 1:
            extra = " ".join(f"{k}={v:.3f}" for k, v in logs.items())
            print(f"[{name}] step {step}/{schedule.steps} loss={loss.item():.4f} {extra} {elapsed / 60:.1f} min", flush=True)
    return {"steps": step + 1, "train_minutes": (time.perf_counter() - start) / 60,
            "train_cpu_minutes": (time.process_time() - cpu_start) / 60}

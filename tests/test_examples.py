"""The README's "wrap your own model" example runs as documented."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import mmbench
from mmbench.registry import models

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "simple_clip_adapter.py"


def test_simple_clip_example_registers_and_runs_zero_shot_and_retrieval() -> None:
    spec = importlib.util.spec_from_file_location("simple_clip_adapter", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["simple_clip_adapter"] = module
    spec.loader.exec_module(module)
    assert "simple-clip" in models
    adapter = models.get("simple-clip")(None)
    assert {c.value for c in adapter.capabilities} == {"encode_images", "encode_texts"}
    result = mmbench.evaluate("shapes_zeroshot", adapter, output_dir=None, limit=30)
    assert set(result.metrics) == {"top1", "top5", "mean_per_class_recall"}
    assert result.model["spec"] == "simple-clip" and result.model["num_parameters"] > 0

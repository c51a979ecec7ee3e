"""Out-of-memory back-off, --batch-size auto and length-bucketed generation, on the CPU.

No GPU here: the adapters below raise ``torch.OutOfMemoryError`` (what CUDA raises) whenever a
call gets more items than a limit, so the back-off path runs exactly as it would on a card.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

import mmbench
from mmbench.errors import UserError
from mmbench.models.mock import MockAdapter
from mmbench.types import GenerationConfig


class OutOfMemoryAbove(MockAdapter):
    """The mock model, but any call with more than ``limit`` items runs out of memory."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.calls: list[int] = []

    def _check(self, n: int) -> None:
        self.calls.append(n)
        if n > self.limit:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {n} items")

    def encode_images(self, images: Any) -> Any:
        self._check(len(images))
        return super().encode_images(images)

    def generate(self, images: Any, prompts: list[str], cfg: GenerationConfig) -> list[str]:
        self._check(len(prompts))
        return super().generate(images, prompts, cfg)


def _predictions(result: Any) -> list[Any]:
    return [(r["id"], r.get("prediction")) for r in result.samples]


def test_out_of_memory_halves_the_batch_and_equals_a_plain_run_at_the_small_size(capsys: pytest.CaptureFixture[str]) -> None:
    model = OutOfMemoryAbove(limit=5)
    backed_off = mmbench.evaluate("shapes_vqa", model, output_dir=None, batch_size=16, limit=40)
    plain = mmbench.evaluate("shapes_vqa", MockAdapter(), output_dir=None, batch_size=4, limit=40)
    assert _predictions(backed_off) == _predictions(plain)
    assert backed_off.metrics == plain.metrics
    assert backed_off.timing["oom_backoffs"] == [{"stage": "answers", "from": 16, "to": 8}, {"stage": "answers", "from": 8, "to": 4}]
    assert backed_off.timing["stages"]["answers"]["batch_size"] == 4
    assert max(n for n in model.calls[3:]) <= 4  # after the back-off every call stays at the smaller size
    err = capsys.readouterr().err
    assert err.count("out of memory in stage 'answers' at batch size 16: continuing at 8") == 1
    assert err.count("at batch size 8: continuing at 4") == 1


def test_a_batch_of_one_that_does_not_fit_is_one_clear_error() -> None:
    with pytest.raises(UserError, match=r"model .* \(float32\) does not fit in the memory of cpu even at batch size 1"):
        mmbench.evaluate("shapes_vqa", OutOfMemoryAbove(limit=0), output_dir=None, batch_size=4, limit=8)


def test_auto_batch_size_finds_the_largest_that_fits_per_stage_before_timing() -> None:
    model = OutOfMemoryAbove(limit=6)
    auto = mmbench.evaluate("shapes_zeroshot", model, output_dir=None, batch_size="auto", limit=40)
    plain = mmbench.evaluate("shapes_zeroshot", MockAdapter(), output_dir=None, batch_size=4, limit=40)
    assert _predictions(auto) == _predictions(plain) and auto.metrics == plain.metrics
    images = auto.timing["stages"]["images"]
    assert (images["batch_size"], images["batch_size_auto"]) == (4, True)  # 1, 2, 4 fit; 8 does not
    assert model.calls[:4] == [1, 2, 4, 8]  # the probe doubles, then backs off
    assert auto.timing["oom_backoffs"] == []  # found before timing: no back-off during the run
    assert auto.config["batch_size"] == "auto"


class PromptRecorder(MockAdapter):
    """Records the prompt lengths of every generate call."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []

    def generate(self, images: Any, prompts: list[str], cfg: GenerationConfig) -> list[str]:
        self.batches.append([self.prompt_length(p) for p in prompts])
        return super().generate(images, prompts, cfg)


def test_generation_is_batched_by_prompt_length_and_outputs_keep_their_order() -> None:
    model = PromptRecorder()
    bucketed = mmbench.evaluate("shapes_vqa", model, output_dir=None, batch_size=8, limit=48)
    lengths = [n for batch in model.batches for n in batch]
    assert lengths == sorted(lengths) and len(set(lengths)) > 1  # shortest prompts first, across all batches
    one_by_one = mmbench.evaluate("shapes_vqa", MockAdapter(), output_dir=None, batch_size=1, limit=48)
    assert _predictions(bucketed) == _predictions(one_by_one)  # same order of samples, same answers


def _builtin_llava() -> str:
    from mmbench.models.bundled import bundled_path

    return f"llava:{bundled_path('shapes-llava')}"


@pytest.mark.parametrize("model", ["shapes-blip-vqa", "shapes-llava", "builtin-llava"])
def test_bucketed_greedy_generation_equals_batch_size_one(model: str) -> None:
    """Real (tiny, trained) generators, transformers and built-in, CPU fp32: bucketed batches of 8
    give the batch-1 outputs; TTFT is measured on every timed call."""
    spec = _builtin_llava() if model == "builtin-llava" else model
    bucketed = mmbench.evaluate("shapes_vqa", spec, output_dir=None, batch_size=8, limit=24)
    single = mmbench.evaluate("shapes_vqa", spec, output_dir=None, batch_size=1, limit=24)
    assert _predictions(bucketed) == _predictions(single)
    answers = bucketed.timing["stages"]["answers"]
    assert answers["flops_per_item"] > 0
    assert 0 < answers["ttft_ms"] <= answers["latency_ms"]["mean"]


@pytest.mark.parametrize("builtin", [False, True])
def test_time_per_output_token_is_measured_per_decoding_step(builtin: bool) -> None:
    spec = _builtin_llava() if builtin else "shapes-llava"
    timing = mmbench.evaluate("shapes_caption", spec, output_dir=None, batch_size=2, limit=6, score=False).timing
    captions = timing["stages"]["captions"]
    assert captions["tpot_ms"] is not None and 0 < captions["tpot_ms"] < captions["ttft_ms"] + captions["latency_ms"]["mean"]
    assert timing["ttft_ms"] == captions["ttft_ms"] and timing["tpot_ms"] == captions["tpot_ms"]

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

    def generate(self, conversations: list[Any], cfg: GenerationConfig) -> list[str]:
        self._check(len(conversations))
        return super().generate(conversations, cfg)


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

    def generate(self, conversations: list[Any], cfg: GenerationConfig) -> list[str]:
        from mmbench.conversation import joined_text

        self.batches.append([self.prompt_length(joined_text(c)) for c in conversations])
        return super().generate(conversations, cfg)


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


# ---- LLaVA-NeXT: the image token count (any-resolution tiles) is part of the bucket key ---------------
#: (width, height) per image; the tiny checkpoint's grid pinpoints (32x32, 32x64, 64x32) tile them differently
NEXT_SIZES = [(32, 32), (64, 30), (20, 44), (40, 20), (36, 50)]


@pytest.fixture(scope="module")
def tiny_llava_next(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import tiny_checkpoints  # tests/ is on sys.path (rootdir conftest)

    from mmbench.models.spec import load_model

    directory = tiny_checkpoints.build_tiny_llava_next(tmp_path_factory.mktemp("tiny") / "llava_next")
    return load_model(f"hf:{directory}", device="cpu")


def _resized_vqa(root: Any, count: int) -> tuple[Any, Any]:
    """shapes_vqa's first ``count`` questions, each image saved again at one of NEXT_SIZES under ``root``."""
    import dataclasses

    from mmbench.data import open_image
    from mmbench.engine.runner import load_task_data
    from mmbench.tasks.spec import load_task_spec
    from mmbench.types import RunConfig

    spec = load_task_spec("shapes_vqa")
    data = load_task_data(spec, RunConfig(limit=count))
    from mmbench.data.images import ImageFile

    copies: dict[Any, ImageFile] = {}  # original image -> its resized copy
    samples = []
    for sample in data.split.samples:
        if sample.image not in copies:
            copies[sample.image] = ImageFile(f"{len(copies)}.png")
            size = NEXT_SIZES[(len(copies) - 1) % len(NEXT_SIZES)]
            open_image(sample.image, data.split.root).resize(size).save(root / copies[sample.image].path)
        samples.append(dataclasses.replace(sample, images=(copies[sample.image],)))
    split = dataclasses.replace(data.split, root=root, samples=samples)
    return spec, dataclasses.replace(data, split=split)


def test_llava_next_image_token_count_is_the_processors_expansion(tiny_llava_next: Any) -> None:
    """Independent source: the number of <image> tokens the checkpoint's processor puts in the input."""
    import numpy as np
    from PIL import Image

    from mmbench.conversation import user_turn

    model = tiny_llava_next
    assert model.image_tokens_vary
    counts = set()
    for width, height in NEXT_SIZES:
        image = Image.fromarray(np.zeros((height, width, 3), dtype=np.uint8))
        prompt = model.render_prompt(user_turn([image], "what is it?"))  # the chat template's text, "<image>" unexpanded
        inputs = model.processor(images=[image], text=[prompt], return_tensors="pt")
        expanded = int((inputs["input_ids"] == model.processor.image_token_id).sum())
        assert model.image_token_count(width, height) == expanded
        counts.add(expanded)
    assert len(counts) >= 3  # the sizes really tile differently


def test_items_of_different_image_token_counts_land_in_different_buckets(tiny_llava_next: Any, tmp_path: Any) -> None:
    from PIL import Image

    from mmbench.engine.execution import batch_order, bucket_keys
    from mmbench.tasks.base import Stage

    spec, data = _resized_vqa(tmp_path, 24)
    from mmbench.registry import task_types

    task = task_types.get(spec.type)(spec, data.split, tiny_llava_next.capabilities)
    stage = task.next_stages({}, frozenset())[0]
    keys = bucket_keys(stage, tiny_llava_next, tmp_path)
    assert keys is not None
    for sample, (image_tokens, _) in zip(data.split.samples, keys):
        with Image.open(tmp_path / str(sample.image)) as image:
            assert image_tokens == tiny_llava_next.image_token_count(*image.size)
    assert len({tokens for tokens, _ in keys}) >= 3
    # items whose prompts are equally long but whose image token counts differ: different buckets
    same_prompt = [(a, b) for a in keys for b in keys if a[1] == b[1] and a[0] != b[0]]
    assert same_prompt and all(a != b for a, b in same_prompt)
    ordered = [keys[i] for i in batch_order(stage, tiny_llava_next, tmp_path)]
    assert ordered == sorted(keys)  # equal keys are contiguous: buckets batch together
    # a captioning stage (one prompt for all) is bucketed by the image tokens alone
    captions = Stage("captions", "images", data.split.samples, lambda *_: [], generative=True)
    assert [k[0] for k in bucket_keys(captions, tiny_llava_next, tmp_path) or []] == [k[0] for k in keys]
    assert bucket_keys(captions, MockAdapter(), tmp_path) is None  # fixed image tokens: no buckets


def test_llava_next_bucketed_greedy_generation_equals_batch_size_one(tiny_llava_next: Any, tmp_path: Any) -> None:
    """Tiny LLaVA-NeXT from config, images of five sizes, CPU fp32: batches of 4 in image-token
    buckets give the batch-1 answers in the data's order."""
    spec, data = _resized_vqa(tmp_path, 20)
    model = tiny_llava_next
    generate = model.generate
    batches: list[list[int]] = []

    def recording(conversations: list[Any], cfg: GenerationConfig) -> list[str]:
        from mmbench.conversation import images_in

        batches.append([model.image_token_count(*image.size) for c in conversations for image in images_in(c)])
        return generate(conversations, cfg)

    model.generate = recording
    try:
        bucketed = mmbench.evaluate(spec, model, output_dir=None, batch_size=4, data=data, num_workers=0)
        flat = [n for batch in batches for n in batch]
        assert flat == sorted(flat) and len(set(flat)) >= 3  # grouped by image token count
        single = mmbench.evaluate(spec, model, output_dir=None, batch_size=1, data=data, num_workers=0)
    finally:
        del model.generate
    assert [r["id"] for r in bucketed.samples] == [s.id for s in data.split.samples]
    assert _predictions(bucketed) == _predictions(single)
    assert len({p for _, p in _predictions(single)}) > 1  # the answers depend on the input

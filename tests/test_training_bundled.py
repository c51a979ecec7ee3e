"""The bundled reference models: present, small, loadable through hf:, batch-size invariant, deterministic."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
import torch

from mmbench.conversation import single_image_conversations
from mmbench.data import load_split, open_image
from mmbench.data.shapes import SHAPES_TASK_DATA
from mmbench.models.bundled import BUNDLED_DIR, NAMES
from mmbench.models.spec import load_model

# the bundled models by name, as `--model shapes-clip` loads them
shapes_clip, shapes_llava = partial(load_model, "shapes-clip", device="cpu"), partial(load_model, "shapes-llava", device="cpu")
shapes_blip_caption, shapes_blip_vqa = partial(load_model, "shapes-blip-caption", device="cpu"), partial(load_model, "shapes-blip-vqa", device="cpu")
from mmbench.types import GenerationConfig

MAX_TOTAL_BYTES = 20 * 1024 * 1024


def test_every_bundled_model_is_a_complete_checkpoint_and_all_fit_in_20_mb() -> None:
    total = 0
    for name in NAMES:
        folder = BUNDLED_DIR / name
        for needed in ("config.json", "model.safetensors", "tokenizer_config.json", "processor_config.json"):
            assert (folder / needed).is_file(), f"{name}: {needed} missing"
        total += sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    assert total <= MAX_TOTAL_BYTES, f"bundled models take {total / 2**20:.1f} MiB"


def _images(adapter: Any, task: str, count: int) -> tuple[torch.Tensor, list[Any]]:
    split = load_split(SHAPES_TASK_DATA[task], None)
    samples = split.samples[:count]
    transform = adapter.image_transform()
    pixels = [transform(open_image(s.image, split.root)) for s in samples]
    return (torch.stack(pixels) if isinstance(pixels[0], torch.Tensor) else pixels), samples


def _one_by_one(images: Any) -> list[Any]:
    return [images[i:i + 1] for i in range(len(images))]


def test_clip_predictions_do_not_depend_on_batch_size() -> None:
    adapter = shapes_clip()
    images, _ = _images(adapter, "shapes_zeroshot", 16)
    classes = adapter.encode_texts(["a circle.", "a cross.", "a square.", "a star.", "a triangle."])
    batched = (adapter.encode_images(images) @ classes.t()).argmax(dim=1)
    single = torch.cat([adapter.encode_images(x) for x in _one_by_one(images)]) @ classes.t()
    assert batched.tolist() == single.argmax(dim=1).tolist()


@pytest.mark.parametrize("factory, task, prompt_key", [
    (shapes_blip_caption, "shapes_caption", None), (shapes_blip_vqa, "shapes_vqa", "question"),
    (shapes_llava, "shapes_vqa", "question"), (shapes_llava, "shapes_caption", None)])
def test_generators_are_deterministic_and_batch_size_invariant(factory: Any, task: str, prompt_key: str | None) -> None:
    adapter = factory()
    images, samples = _images(adapter, task, 8)
    if prompt_key is None:
        prompts = ["" if adapter.prompt_style == "plain" else "Provide a one-sentence caption for the provided image."] * len(samples)
    else:
        template = "{q}" if adapter.prompt_style == "plain" else "{q}\nAnswer the question using a single word or phrase."
        prompts = [template.format(q=s.meta["question"]) for s in samples]
    cfg = GenerationConfig(max_new_tokens=20)
    batched = adapter.generate(single_image_conversations(images, prompts), cfg)
    assert batched == adapter.generate(single_image_conversations(images, prompts), cfg)
    single = [adapter.generate(single_image_conversations(x, [p]), cfg)[0] for x, p in zip(_one_by_one(images), prompts)]
    assert single == batched
    assert any(text.strip() for text in batched)


def test_bundled_factory_rejects_a_location() -> None:
    from mmbench.errors import UserError

    with pytest.raises(UserError, match="takes no location"):
        load_model("shapes-clip:somewhere", device="cpu")


def test_bundled_checkpoints_live_inside_the_package() -> None:
    assert BUNDLED_DIR == Path(__file__).resolve().parents[1] / "mmbench" / "bundled"

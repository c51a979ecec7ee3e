"""Two-image conversations through ``hf:`` on the (unfinished, unregistered) shapes-llava-multi
checkpoint, a LLaVA: the llava family takes one image per conversation, so it runs as the generic
image-text-to-text family (``--model-arg family=image-text-to-text``); a batch mixing one- and
two-image conversations equals the checkpoint's own processor + generate one conversation at a time."""

from __future__ import annotations

from mmbench.models.bundled import BUNDLED_DIR

CHECKPOINT = BUNDLED_DIR / "shapes-llava-multi"


def test_two_image_conversations_equal_the_checkpoints_own_generate_alone_and_batched() -> None:
    """A batch mixing one- and two-image conversations gives what the processor's chat template +
    model.generate give one conversation at a time."""
    import random

    import torch
    from PIL import Image

    from mmbench.data import shapes_scenes as scenes
    from mmbench.models.spec import load_model
    from mmbench.training.llava_multi import mc_text
    from mmbench.types import GenerationConfig

    rng = random.Random("test-two-image")
    conversations = []
    for k in range(4):
        pair, single = scenes.pair_item(rng), scenes.mc_item(rng)
        first, second = Image.fromarray(pair.first), Image.fromarray(pair.second)
        conversations.append([{"role": "user", "content": [
            {"type": "image", "image": first}, {"type": "text", "text": " "}, {"type": "image", "image": second},
            {"type": "text", "text": " " + mc_text("Which image shows more circles?", pair.options)}]}])
        conversations.append([{"role": "user", "content": [
            {"type": "image", "image": Image.fromarray(single.pixels)},
            {"type": "text", "text": mc_text(single.question, single.options)}]}])
    adapter = load_model(f"hf:{CHECKPOINT}", device="cpu", family="image-text-to-text")
    batched = adapter.generate(conversations, GenerationConfig(max_new_tokens=5))
    model, processor = adapter.model, adapter.processor
    alone = []
    for conversation in conversations:
        inputs = processor.apply_chat_template([conversation], add_generation_prompt=True, tokenize=True,
                                               return_dict=True, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=5, do_sample=False)
        alone.append(processor.tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip())
    assert batched == alone
    assert all(alone)  # it answers something

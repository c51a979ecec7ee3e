"""Training the tiny LLaVA-style model (``shapes-llava``): CLIP vision tower + projector + tiny Llama.

A transformers ``LlavaForConditionalGeneration`` built from a config, trained on the shapes
captions and questions in the exact prompt format the ``hf:`` LLaVA adapter sends: the chat
template's ``USER: <image>\\n{prompt} ASSISTANT:`` with the shapes tasks' instruction prompts, the
answer after it and ``</s>``. The loss covers the answer tokens only. The ``<image>`` token is
expanded to the 64 patch features (CLS dropped, strategy "default"), as the processor does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from mmbench.training.corpus import MEAN, STD, ShapesSplit, normalise
from mmbench.training.loop import Schedule, TowerSizes, seed_everything, train, vision_tower
from mmbench.training.vocab import llama_bpe

CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<image>\n' }}{% endif %}{% endfor %}"
    "{% for content in message['content'] %}{% if content['type'] == 'text' %}{{ content['text'] + ' ' }}{% endif %}{% endfor %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
IMAGE_TOKEN = "<image>"


@dataclass(frozen=True)
class LlavaRecipe(TowerSizes):
    batch: int = 32
    steps: int = 1500
    lr: float = 1e-3
    caption_fraction: float = 0.3
    vision_from: str | None = None  # a trained CLIP checkpoint whose vision tower starts (and stays) the LLaVA tower
    seed: int = 0


def task_prompts() -> tuple[str, str]:
    """(caption prompt, VQA prompt template) as the shapes task files give them to instruction models."""
    from mmbench.tasks.spec import load_task_spec

    caption = load_task_spec("shapes_caption").prompt
    vqa = load_task_spec("shapes_vqa").prompt
    return (caption["instruction"] if isinstance(caption, dict) else str(caption),
            vqa["instruction"] if isinstance(vqa, dict) else str(vqa))


def chat_prompt(prompt: str) -> str:
    return f"USER: {IMAGE_TOKEN}\n{prompt} ASSISTANT:"  # what CHAT_TEMPLATE renders for one user turn


def build_llava(recipe: LlavaRecipe, tokenizer: Any) -> Any:
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    vision = CLIPVisionConfig(**vision_tower(recipe))
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=recipe.width, intermediate_size=2 * recipe.width,
                       num_hidden_layers=recipe.text_layers, num_attention_heads=recipe.heads,
                       num_key_value_heads=recipe.heads, max_position_embeddings=256, bos_token_id=1, eos_token_id=2,
                       pad_token_id=4)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
                         vision_feature_layer=-1, vision_feature_select_strategy="default")
    return LlavaForConditionalGeneration(config)


def llava_processor(tokenizer: Any, patch: int) -> Any:
    from transformers import CLIPImageProcessor, LlavaProcessor

    images = CLIPImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64},
                                image_mean=list(MEAN), image_std=list(STD))
    return LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=patch,
                          vision_feature_select_strategy="default", num_additional_image_tokens=1,
                          chat_template=CHAT_TEMPLATE)


def _load_vision_tower(model: Any, clip_checkpoint: str) -> None:
    """LLaVA's recipe: a pretrained CLIP vision tower, frozen; only the projector and the LM learn."""
    from transformers import CLIPModel

    clip = CLIPModel.from_pretrained(clip_checkpoint)
    tower = model.model.vision_tower
    tower = getattr(tower, "vision_model", tower)  # transformers < 5.2x nests the transformer one level down
    missing, unexpected = tower.load_state_dict(clip.vision_model.state_dict(), strict=True)
    assert not missing and not unexpected
    for parameter in tower.parameters():
        parameter.requires_grad_(False)


def training_texts(split: ShapesSplit, caption_prompt: str, vqa_prompt: str) -> list[tuple[int, str, str]]:
    """(image index, prompt text, answer) pairs: every caption and every question."""
    rows = [(i, chat_prompt(caption_prompt), c) for i, captions in enumerate(split.captions) for c in captions]
    rows += [(i, chat_prompt(vqa_prompt.format(question=q)), max(set(a), key=a.count)) for i, q, a in split.questions]
    return rows


def train_llava(train_split: ShapesSplit, recipe: LlavaRecipe, out: Path | None = None,
                stop_after: int | None = None) -> tuple[Any, Any, dict]:
    seed_everything(recipe.seed)
    caption_prompt, vqa_prompt = task_prompts()
    rows = training_texts(train_split, caption_prompt, vqa_prompt)
    tokenizer = llama_bpe([p + " " + a for _, p, a in rows[:: max(1, len(rows) // 20000)]])
    model = build_llava(recipe, tokenizer).train()
    if recipe.vision_from:
        _load_vision_tower(model, recipe.vision_from)
    pixels = normalise(train_split.pixels)
    image_tokens = (64 // recipe.patch) ** 2
    image_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
    caption_rows = [r for r in rows if r[1] == chat_prompt(caption_prompt)]
    question_rows = [r for r in rows if r[1] != chat_prompt(caption_prompt)]
    cache: dict[tuple[str, str], tuple[list[int], int]] = {}
    rng = random.Random(recipe.seed)

    def encode(prompt: str, answer: str) -> tuple[list[int], int]:
        """Token ids of prompt + answer + </s> with the image token expanded; and the prompt length."""
        if (prompt, answer) not in cache:
            prompt_ids: list[int] = []
            for token in tokenizer(prompt)["input_ids"]:
                prompt_ids += [image_id] * image_tokens if token == image_id else [token]
            answer_ids = tokenizer(" " + answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            cache[(prompt, answer)] = (prompt_ids + answer_ids, len(prompt_ids))
        return cache[(prompt, answer)]

    def step_loss(step: int, progress: float) -> tuple[torch.Tensor, dict[str, float]]:
        batch = [rng.choice(caption_rows) if rng.random() < recipe.caption_fraction else rng.choice(question_rows)
                 for _ in range(recipe.batch)]
        encoded = [encode(p, a) for _, p, a in batch]
        width = max(len(ids) for ids, _ in encoded)
        input_ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(input_ids)
        targets = torch.full_like(input_ids, -100)
        for row, (ids, prompt_len) in enumerate(encoded):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
            targets[row, prompt_len: len(ids)] = torch.tensor(ids[prompt_len:])
        logits = model(input_ids=input_ids, attention_mask=mask, pixel_values=pixels[[r[0] for r in batch]]).logits
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets[:, 1:].reshape(-1), ignore_index=-100)
        return loss, {}

    info = train([p for p in model.parameters() if p.requires_grad], step_loss, Schedule(recipe.steps, recipe.lr), "llava",
                 stop_after)
    processor = llava_processor(tokenizer, recipe.patch)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        model.eval().save_pretrained(out)
        processor.save_pretrained(out)
    return model.eval(), processor, info

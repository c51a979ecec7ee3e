"""Training the tiny CLIP (``shapes-clip``): a transformers ``CLIPModel`` built from a config.

Vision: ViT on 64x64 images with 16x16 patches (16 patch tokens + CLS); text: a causal transformer
over the suite's word-level vocabulary. Loss: :func:`~mmbench.training.contrastive.info_nce` on
full captions and partial captions in the zero-shot templates' phrasing, plus an auxiliary
attribute-classification loss on the pooled image features (heads discarded after training),
which speeds up learning a ViT from scratch on CPU.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from mmbench.training.contrastive import info_nce, positives
from mmbench.training.corpus import ATTRIBUTE_VALUES, MEAN, STD, ShapesSplit, normalise, partial_caption
from mmbench.training.loop import Schedule, TowerSizes, seed_everything, train, vision_tower
from mmbench.training.vocab import clip_bpe

ALL_ATTRIBUTES = frozenset(ATTRIBUTE_VALUES)


@dataclass(frozen=True)
class ClipRecipe(TowerSizes):
    projection: int = 64
    max_text: int = 24
    batch: int = 96
    steps: int = 1500
    lr: float = 1e-3
    partial_fraction: float = 0.5
    hard_negative_beta: float = 0.0
    aux_weight: float = 1.0
    init_from: str | None = None  # continue from a saved checkpoint (its tokenizer and weights)
    seed: int = 0


def build_clip(recipe: ClipRecipe, tokenizer: Any) -> Any:
    from transformers import CLIPConfig, CLIPModel

    text = dict(vocab_size=len(tokenizer), hidden_size=recipe.width, intermediate_size=2 * recipe.width,
                num_hidden_layers=recipe.text_layers, num_attention_heads=recipe.heads,
                max_position_embeddings=recipe.max_text, bos_token_id=0, eos_token_id=1, pad_token_id=1)
    return CLIPModel(CLIPConfig(text_config=text, vision_config=vision_tower(recipe), projection_dim=recipe.projection))


def clip_processor(tokenizer: Any) -> Any:
    from transformers import CLIPImageProcessor, CLIPProcessor

    images = CLIPImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64},
                                image_mean=list(MEAN), image_std=list(STD))
    return CLIPProcessor(image_processor=images, tokenizer=tokenizer)


def caption_corpus(split: ShapesSplit) -> list[str]:
    rng = random.Random(0)
    texts = [c for captions in split.captions for c in captions]
    texts += [partial_caption(a, rng)[0] for a in split.attributes for _ in range(3)]
    return texts


def train_clip(train_split: ShapesSplit, recipe: ClipRecipe, out: Path | None = None,
               stop_after: int | None = None) -> tuple[Any, Any, dict]:
    """Train; returns (model, processor, info). Saves with save_pretrained when ``out`` is given."""
    seed_everything(recipe.seed)
    if recipe.init_from:
        from transformers import CLIPModel, CLIPProcessor

        tokenizer = CLIPProcessor.from_pretrained(recipe.init_from).tokenizer
        model = CLIPModel.from_pretrained(recipe.init_from).train()
    else:
        tokenizer = clip_bpe(caption_corpus(train_split), recipe.max_text)
        model = build_clip(recipe, tokenizer).train()
    heads = torch.nn.ModuleList(torch.nn.Linear(recipe.width, len(v)) for v in ATTRIBUTE_VALUES.values())
    pixels = normalise(train_split.pixels)
    labels = torch.from_numpy(train_split.labels())
    rng = random.Random(recipe.seed)
    token_cache: dict[str, list[int]] = {}

    def encode_texts(texts: list[str]) -> dict[str, torch.Tensor]:
        ids = [token_cache.setdefault(t, tokenizer(t)["input_ids"][: recipe.max_text]) for t in texts]
        width = max(len(i) for i in ids)
        input_ids = torch.full((len(ids), width), 1, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}

    def step_loss(step: int, progress: float) -> tuple[torch.Tensor, dict[str, float]]:
        index = rng.sample(range(len(pixels)), recipe.batch)
        constraints, texts = [], []
        for i in index:
            attrs = train_split.attributes[i]
            if rng.random() < recipe.partial_fraction:
                text, named = partial_caption(attrs, rng)
            else:
                text, named = rng.choice(train_split.captions[i]), ALL_ATTRIBUTES
            texts.append(text)
            constraints.append((attrs, named))
        vision = model.vision_model(pixel_values=pixels[index])
        image_embeds = F.normalize(model.visual_projection(vision.pooler_output), dim=-1)
        text_out = model.text_model(**encode_texts(texts))
        text_embeds = F.normalize(model.text_projection(text_out.pooler_output), dim=-1)
        positive = positives([train_split.attributes[i] for i in index], constraints)
        contrastive = info_nce(image_embeds, text_embeds, model.logit_scale, positive, recipe.hard_negative_beta)
        pooled = vision.last_hidden_state.mean(dim=1)  # (B, width)
        aux = sum(F.cross_entropy(head(pooled), labels[index, k]) for k, head in enumerate(heads)) / len(heads)
        weight = recipe.aux_weight * (1 - progress)
        return contrastive + weight * aux, {"nce": contrastive.item(), "aux": aux.item(), "scale": model.logit_scale.exp().item()}

    schedule = Schedule(steps=recipe.steps, lr=recipe.lr)
    info = train(list(model.parameters()) + list(heads.parameters()), step_loss, schedule, "clip", stop_after)
    model.eval()
    processor = clip_processor(tokenizer)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out)
        processor.save_pretrained(out)
    return model, processor, info

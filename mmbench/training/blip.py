"""Training the tiny BLIP captioner and BLIP VQA model (``shapes-blip-caption``, ``shapes-blip-vqa``).

Both are transformers classes built from one :class:`BlipRecipe`: a ViT on 64x64 images with 16x16
patches and BERT-style text modules over the suite's word vocabulary. The loss is teacher-forced
next-token cross-entropy on ``[DEC] tokens [SEP]`` (the sequence ``generate`` produces: it starts
from ``bos_token_id`` = ``[DEC]`` and stops at ``[SEP]``), plus an auxiliary attribute loss on the
pooled image features, as for the CLIP.

- captioning: vision -> text decoder cross-attending the image states (``BlipForConditionalGeneration``);
- VQA: vision -> question encoder cross-attending the image -> answer decoder cross-attending the
  question states (``BlipForQuestionAnswering``, the path :class:`HFBlipVqaAdapter` decodes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from mmbench.training.corpus import ATTRIBUTE_VALUES, MEAN, STD, ShapesSplit, normalise
from mmbench.training.loop import Schedule, TowerSizes, seed_everything, train, vision_tower
from mmbench.training.vocab import bert_wordpiece, shapes_words


@dataclass(frozen=True)
class BlipRecipe(TowerSizes):
    batch: int = 64
    steps: int = 1500
    lr: float = 1e-3
    aux_weight: float = 1.0
    seed: int = 0


def blip_config(recipe: BlipRecipe, tokenizer: Any) -> Any:
    from transformers import BlipConfig

    text = dict(vocab_size=len(tokenizer), hidden_size=recipe.width, intermediate_size=2 * recipe.width,
                num_hidden_layers=recipe.text_layers, num_attention_heads=recipe.heads, max_position_embeddings=40,
                encoder_hidden_size=recipe.width, pad_token_id=0, sep_token_id=3, eos_token_id=3,
                bos_token_id=tokenizer.convert_tokens_to_ids("[DEC]"))
    return BlipConfig(text_config=text, vision_config=vision_tower(recipe), projection_dim=64, image_text_hidden_size=64)


def blip_processor(tokenizer: Any) -> Any:
    from transformers import BlipImageProcessor, BlipProcessor

    images = BlipImageProcessor(size={"height": 64, "width": 64}, image_mean=list(MEAN), image_std=list(STD))
    return BlipProcessor(image_processor=images, tokenizer=tokenizer)


class TextBatcher:
    """Tokenises with a cache; returns padded (B, L) ids and mask, first token replaced by ``first``."""

    def __init__(self, tokenizer: Any, first: int | None = None) -> None:
        self.tokenizer = tokenizer
        self.first = first
        self.cache: dict[str, list[int]] = {}

    def __call__(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [self.cache.setdefault(t, self.tokenizer(t)["input_ids"]) for t in texts]
        width = max(len(i) for i in ids)
        input_ids = torch.zeros((len(ids), width), dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        if self.first is not None:
            input_ids[:, 0] = self.first
        return input_ids, mask


def decoder_loss(text_decoder: Any, ids: torch.Tensor, mask: torch.Tensor, states: torch.Tensor,
                 states_mask: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy of ``ids`` (B, L) given cross-attention ``states`` (B, S, D)."""
    logits = text_decoder(input_ids=ids, attention_mask=mask, encoder_hidden_states=states,
                          encoder_attention_mask=states_mask).logits  # (B, L, V)
    targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)


def attribute_loss(heads: torch.nn.ModuleList, states: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    pooled = states.mean(dim=1)  # (B, D)
    return sum(F.cross_entropy(head(pooled), labels[:, k]) for k, head in enumerate(heads)) / len(heads)


def _heads(width: int) -> torch.nn.ModuleList:
    return torch.nn.ModuleList(torch.nn.Linear(width, len(v)) for v in ATTRIBUTE_VALUES.values())


def _save(model: Any, processor: Any, out: Path | None) -> None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out)
        processor.save_pretrained(out)


def train_blip_caption(train_split: ShapesSplit, recipe: BlipRecipe, out: Path | None = None,
                       stop_after: int | None = None) -> tuple[Any, Any, dict]:
    from transformers import BlipForConditionalGeneration

    seed_everything(recipe.seed)
    tokenizer = bert_wordpiece(shapes_words())
    model = BlipForConditionalGeneration(blip_config(recipe, tokenizer)).train()
    heads = _heads(recipe.width)
    pixels, labels = normalise(train_split.pixels), torch.from_numpy(train_split.labels())
    batcher = TextBatcher(tokenizer, first=model.config.text_config.bos_token_id)
    rng = random.Random(recipe.seed)

    def step_loss(step: int, progress: float) -> tuple[torch.Tensor, dict[str, float]]:
        index = rng.sample(range(len(pixels)), recipe.batch)
        states = model.vision_model(pixel_values=pixels[index]).last_hidden_state  # (B, P, D)
        ids, mask = batcher([rng.choice(train_split.captions[i]) for i in index])
        lm = decoder_loss(model.text_decoder, ids, mask, states, torch.ones(states.shape[:2], dtype=torch.long))
        aux = attribute_loss(heads, states, labels[index])
        weight = recipe.aux_weight * (1 - progress)
        return lm + weight * aux, {"lm": lm.item(), "aux": aux.item()}

    return _train_and_save(model, heads, tokenizer, step_loss, recipe, "blip-caption", stop_after, out)


def train_blip_vqa(train_split: ShapesSplit, recipe: BlipRecipe, out: Path | None = None,
                   stop_after: int | None = None) -> tuple[Any, Any, dict]:
    from transformers import BlipForQuestionAnswering

    seed_everything(recipe.seed)
    tokenizer = bert_wordpiece(shapes_words())
    model = BlipForQuestionAnswering(blip_config(recipe, tokenizer)).train()
    heads = _heads(recipe.width)
    pixels, labels = normalise(train_split.pixels), torch.from_numpy(train_split.labels())
    questions = TextBatcher(tokenizer)
    answers = TextBatcher(tokenizer, first=model.config.text_config.bos_token_id)
    rng = random.Random(recipe.seed)

    def step_loss(step: int, progress: float) -> tuple[torch.Tensor, dict[str, float]]:
        rows = [train_split.questions[i] for i in rng.sample(range(len(train_split.questions)), recipe.batch)]
        index = [r[0] for r in rows]
        states = model.vision_model(pixel_values=pixels[index]).last_hidden_state  # (B, P, D)
        q_ids, q_mask = questions([r[1] for r in rows])
        question_states = model.text_encoder(input_ids=q_ids, attention_mask=q_mask, encoder_hidden_states=states,
                                             encoder_attention_mask=torch.ones(states.shape[:2], dtype=torch.long)
                                             ).last_hidden_state  # (B, Lq, D)
        a_ids, a_mask = answers([max(set(r[2]), key=r[2].count) for r in rows])  # the majority answer
        lm = decoder_loss(model.text_decoder, a_ids, a_mask, question_states, q_mask)
        aux = attribute_loss(heads, states, labels[index])
        weight = recipe.aux_weight * (1 - progress)
        return lm + weight * aux, {"lm": lm.item(), "aux": aux.item()}

    return _train_and_save(model, heads, tokenizer, step_loss, recipe, "blip-vqa", stop_after, out)


def _train_and_save(model: Any, heads: Any, tokenizer: Any, step_loss: Any, recipe: BlipRecipe, name: str,
                    stop_after: int | None, out: Path | None) -> tuple[Any, Any, dict]:
    """The loop both BLIP heads share: train model and attribute heads, then save with the processor."""
    info = train(list(model.parameters()) + list(heads.parameters()), step_loss, Schedule(recipe.steps, recipe.lr),
                 name, stop_after)
    processor = blip_processor(tokenizer)
    _save(model.eval(), processor, out)
    return model, processor, info

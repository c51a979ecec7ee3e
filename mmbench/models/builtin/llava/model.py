"""LLaVA in plain PyTorch: the shared CLIP ViT tower -> projector -> image tokens spliced into a Llama decoder.

Reference: transformers' ``LlavaForConditionalGeneration`` (5.x). Parameter names equal its
``state_dict`` keys (``model.vision_tower.*``, ``model.multi_modal_projector.*``,
``model.language_model.*``, ``lm_head.weight``); checkpoints written in the older layout
(``language_model.model.*``, ``vision_tower.vision_model.*``: the llava-hf releases and what
``save_pretrained`` still writes) are mapped by prefix, as transformers' own conversion table does.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from mmbench.models.builtin.decoding import DecodeSettings, KVCache, greedy_search
from mmbench.models.builtin.layers import activation
from mmbench.models.builtin.llava.config import LlavaConfig, config_from_hf
from mmbench.models.builtin.llava.llama import LanguageModel, attention_mask
from mmbench.models.builtin.vit import VisionTransformer
from mmbench.models.checkpoint import build_module, load_state_dict, load_strict, read_config


class MultiModalProjector(nn.Module):
    """Vision features (B, N, layers x Dv) -> decoder embeddings (B, N, D): linear, activation, linear."""

    def __init__(self, cfg: LlavaConfig) -> None:
        super().__init__()
        bias = cfg.multimodal_projector_bias
        self.linear_1 = nn.Linear(cfg.vision.hidden_size * len(cfg.feature_layers), cfg.text.hidden_size, bias=bias)
        self.act = activation(cfg.projector_hidden_act)
        self.linear_2 = nn.Linear(cfg.text.hidden_size, cfg.text.hidden_size, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_2(self.act(self.linear_1(x)))


class LlavaModel(nn.Module):
    def __init__(self, cfg: LlavaConfig) -> None:
        super().__init__()
        self.vision_tower = VisionTransformer(cfg.vision)
        self.multi_modal_projector = MultiModalProjector(cfg)
        self.language_model = LanguageModel(cfg.text)


class Llava(nn.Module):
    """The full model; ``forward`` gives logits, ``generate`` greedy continuations."""

    def __init__(self, cfg: LlavaConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = LlavaModel(cfg)
        self.lm_head = nn.Linear(cfg.text.hidden_size, cfg.text.vocab_size, bias=False)
        self.tie_weights()

    def tie_weights(self) -> None:
        if self.cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.language_model.embed_tokens.weight

    # ---- pieces -----------------------------------------------------------------------------------
    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """Pixels (B, 3, H, W) -> image token embeddings (B, image_seq_length, D)."""
        states = self.model.vision_tower.select_hidden_states(pixels, self.cfg.feature_layers)  # each (B, N+1, Dv)
        if self.cfg.vision_feature_select_strategy == "default":
            states = [s[:, 1:] for s in states]  # drop CLS: (B, N, Dv)
        return self.model.multi_modal_projector(torch.cat(states, dim=-1))  # (B, N, D)

    def embed(self, input_ids: torch.Tensor, pixels: torch.Tensor | None) -> torch.Tensor:
        """Token embeddings (B, T, D) with the image placeholders replaced by image features, in order."""
        embeds = self.model.language_model.embed_tokens(input_ids)  # (B, T, D)
        placeholders = input_ids == self.cfg.image_token_id  # (B, T)
        count = int(placeholders.sum())
        if pixels is None:
            if count:
                raise ValueError(f"{count} image tokens in the input but no pixel values")
            return embeds
        features = self.image_features(pixels)  # (I, N, D)
        if count != features.shape[0] * features.shape[1]:
            raise ValueError(f"image tokens and features do not match: {count} tokens, "
                             f"{features.shape[0]} images x {features.shape[1]} features")
        return embeds.masked_scatter(placeholders[..., None], features.to(embeds.dtype))  # (B, T, D)

    def forward(self, input_ids: torch.Tensor, pixels: torch.Tensor | None = None,
                attention_mask_2d: torch.Tensor | None = None, position_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, T, V) for a whole sequence, no cache. ``attention_mask_2d`` (B, T): 1 = token, 0 = padding."""
        valid = _valid(input_ids, attention_mask_2d)
        if position_ids is None:
            position_ids = positions_from_mask(valid)
        hidden = self.model.language_model(self.embed(input_ids, pixels), position_ids, attention_mask(valid, 0, input_ids.shape[1]))
        return self.lm_head(hidden)  # (B, T, V)

    # ---- generation -------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, input_ids: torch.Tensor, pixels: torch.Tensor | None, attention_mask_2d: torch.Tensor | None,
                 settings: DecodeSettings) -> list[list[int]]:
        """Greedy continuation of each (left-padded) row: new token ids, ending before the first end token.

        Prefills the prompt once, then feeds one token per step through the KV cache; positions
        count only real tokens, so a row gives the same tokens alone or in a padded batch.
        """
        batch, length = input_ids.shape
        valid = _valid(input_ids, attention_mask_2d)  # (B, T)
        text = self.cfg.text
        cache = KVCache(text.num_hidden_layers, batch, text.num_key_value_heads, length + max(settings.max_new_tokens, 0),
                        text.head_dim, input_ids.device, self.lm_head.weight.dtype)
        position_ids = positions_from_mask(valid)  # (B, T)
        state = {"valid": valid, "next_position": position_ids[:, -1:] + 1}

        def step(ids: torch.Tensor) -> torch.Tensor:
            if cache.length == 0:  # the prompt, with the image features spliced in
                hidden = self.model.language_model(self.embed(ids, pixels), position_ids, attention_mask(valid, 0, length), cache)
            else:  # one new token per row
                state["valid"] = torch.cat([state["valid"], valid.new_ones(batch, 1)], dim=1)  # (B, S)
                mask = attention_mask(state["valid"], cache.length, 1)
                hidden = self.model.language_model(self.model.language_model.embed_tokens(ids), state["next_position"], mask, cache)
                state["next_position"] = state["next_position"] + 1
            return self.lm_head(hidden[:, -1]).float()  # (B, V)

        sequences = greedy_search(step, input_ids, settings, valid)
        return _cut_at_eos(sequences[:, length:], settings.eos_token_ids)


def positions_from_mask(valid: torch.Tensor) -> torch.Tensor:
    """Positions (B, T) counting real tokens only; padding gets 0 (transformers' generate convention)."""
    return (valid.long().cumsum(-1) - 1).masked_fill(~valid, 0)


def _valid(input_ids: torch.Tensor, attention_mask_2d: torch.Tensor | None) -> torch.Tensor:
    if attention_mask_2d is None:
        return torch.ones_like(input_ids, dtype=torch.bool)
    return attention_mask_2d.bool()


def _cut_at_eos(tokens: torch.Tensor, eos_token_ids: tuple[int, ...]) -> list[list[int]]:
    rows = []
    for row in tokens.tolist():
        end = next((i for i, t in enumerate(row) if t in eos_token_ids), len(row))
        rows.append(row[:end])
    return rows


# ---- loading a transformers checkpoint ------------------------------------------------------------

#: older checkpoint prefixes -> the 5.x names above (first match wins; same facts as transformers'
#: conversion mapping for "llava" plus CLIPVisionModel's dropped "vision_model." prefix).
LEGACY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("language_model.lm_head.", "lm_head."),
    ("language_model.model.", "model.language_model."),
    ("vision_tower.vision_model.", "model.vision_tower."),
    ("vision_tower.", "model.vision_tower."),
    ("multi_modal_projector.", "model.multi_modal_projector."),
)
# buffers some checkpoints carry that this model recomputes
_IGNORED_SUFFIXES = (".position_ids", ".rotary_emb.inv_freq")


def canonical_key(key: str) -> str:
    for old, new in LEGACY_PREFIXES:
        if key.startswith(old):
            return new + key[len(old):]
    return key


def load_llava(checkpoint: Path, device: str = "cpu", dtype: torch.dtype = torch.float32) -> Llava:
    """A :class:`Llava` with a checkpoint's weights; every missing or unexpected key, or wrong shape, is an error."""
    cfg = config_from_hf(read_config(checkpoint), str(checkpoint / "config.json"))
    model = build_module(lambda: Llava(cfg), checkpoint)
    tied = {"lm_head.weight": "model.language_model.embed_tokens.weight"} if cfg.tie_word_embeddings else {}
    state = {k: v.to(dtype) for k, v in load_state_dict(checkpoint).items()}
    load_strict(model, state, source=checkpoint, rename=canonical_key, ignore=_IGNORED_SUFFIXES, tied=tied)
    model.tie_weights()
    return model.to(device).eval()

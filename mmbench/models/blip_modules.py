"""BLIP building blocks in plain PyTorch: the ViT image encoder and the BERT-style text transformer.

Matches transformers' ``modeling_blip.py`` / ``modeling_blip_text.py`` (5.x) numerically; submodule
names equal the checkpoint keys (``encoder.layers.0.self_attn.qkv``, ``encoder.layer.0.crossattention.self.query``,
``cls.predictions.transform.dense``...) so a state dict loads without renaming. Attention uses
``scaled_dot_product_attention``; the text decoder keeps a key/value cache for generation.

Shapes: B batch, N image tokens (1 + patches), T text tokens, D width, H heads, Dh = D / H.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.errors import UserError
from mmbench.models._layers import FeedForward, activation
from mmbench.models.blip_config import BlipTextConfig, BlipVisionConfig


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, T, D) -> (B, H, T, Dh)."""
    b, t, d = x.shape
    return x.view(b, t, heads, d // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, Dh) -> (B, T, D)."""
    b, h, t, dh = x.shape
    return x.transpose(1, 2).reshape(b, t, h * dh)


def _check_heads(width: int, heads: int) -> None:
    if width % heads:
        raise UserError(f"BLIP config: hidden_size {width} is not a multiple of num_attention_heads {heads}")


# ---- vision ----------------------------------------------------------------------------------------


class VisionEmbeddings(nn.Module):
    def __init__(self, cfg: BlipVisionConfig) -> None:
        super().__init__()
        self.class_embedding = nn.Parameter(torch.zeros(1, 1, cfg.hidden_size))
        self.patch_embedding = nn.Conv2d(3, cfg.hidden_size, kernel_size=cfg.patch_size, stride=cfg.patch_size)
        self.position_embedding = nn.Parameter(torch.zeros(1, cfg.num_positions, cfg.hidden_size))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) -> (B, N, D)."""
        patches = self.patch_embedding(pixels.to(self.patch_embedding.weight.dtype))  # (B, D, S/p, S/p)
        patches = patches.flatten(2).transpose(1, 2)  # (B, N-1, D)
        cls = self.class_embedding.expand(patches.shape[0], 1, -1)  # (B, 1, D)
        x = torch.cat([cls, patches], dim=1)  # (B, N, D)
        return x + self.position_embedding[:, : x.shape[1]]


class VisionAttention(nn.Module):
    def __init__(self, cfg: BlipVisionConfig) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.qkv = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.projection = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)  # (3, B, H, N, Dh)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])  # (B, H, N, Dh)
        return self.projection(merge_heads(out))  # (B, N, D)


class VisionLayer(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, cfg: BlipVisionConfig) -> None:
        super().__init__()
        self.self_attn = VisionAttention(cfg)
        self.layer_norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.mlp = FeedForward(cfg.hidden_size, cfg.intermediate_size, cfg.hidden_act)
        self.layer_norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class VisionEncoder(nn.Module):
    def __init__(self, cfg: BlipVisionConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(VisionLayer(cfg) for _ in range(cfg.num_hidden_layers))

    def blocks(self) -> list[VisionLayer]:
        return cast("list[VisionLayer]", list(self.layers))


class BlipVisionModel(nn.Module):
    """ViT: pixels (B, 3, S, S) -> normalised token states (B, N, D); token 0 is the class token."""

    def __init__(self, cfg: BlipVisionConfig) -> None:
        super().__init__()
        _check_heads(cfg.hidden_size, cfg.num_attention_heads)
        self.embeddings = VisionEmbeddings(cfg)
        self.encoder = VisionEncoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(pixels)
        for layer in self.encoder.blocks():
            x = layer(x)
        return self.post_layernorm(x)  # (B, N, D)


# ---- text --------------------------------------------------------------------------------------------


@dataclass
class DecoderCache:
    """Per-layer self-attention keys/values (preallocated, filled up to ``length``) and cross-attention
    keys/values of the memory (computed once). Rows are sequences (batch x beams)."""

    self_keys: list[torch.Tensor] = field(default_factory=list)  # each (B, H, T_max, Dh)
    self_values: list[torch.Tensor] = field(default_factory=list)
    cross_kv: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)  # each 2 x (B, H, N, Dh)
    cross_mask: torch.Tensor | None = None  # (B, 1, 1, N) bool, True = may attend; None = all
    length: int = 0

    def reorder(self, rows: torch.Tensor) -> None:
        """Keep sequence ``rows[i]`` as row i (beam search). Cross keys are equal across a batch item's beams."""
        for i in range(len(self.self_keys)):
            self.self_keys[i][:, :, : self.length] = self.self_keys[i][rows, :, : self.length]
            self.self_values[i][:, :, : self.length] = self.self_values[i][rows, :, : self.length]


class TextEmbeddings(nn.Module):
    def __init__(self, cfg: BlipTextConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size, padding_idx=cfg.pad_token_id)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, ids: torch.Tensor, start: int = 0) -> torch.Tensor:
        """(B, T) token ids at positions start..start+T-1 -> (B, T, D)."""
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(positions))


class AttentionProjections(nn.Module):
    """Query/key/value projections (transformers' ``BlipTextSelfAttention``, key ``.self``)."""

    def __init__(self, width: int, memory_width: int) -> None:
        super().__init__()
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(memory_width, width)
        self.value = nn.Linear(memory_width, width)


class AddNorm(nn.Module):
    """``LayerNorm(dense(x) + residual)`` (BERT post-norm output)."""

    def __init__(self, width_in: int, width: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(width_in, width)
        self.LayerNorm = nn.LayerNorm(width, eps=eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class TextAttention(nn.Module):
    def __init__(self, cfg: BlipTextConfig, memory_width: int) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.self = AttentionProjections(cfg.hidden_size, memory_width)
        self.output = AddNorm(cfg.hidden_size, cfg.hidden_size, cfg.layer_norm_eps)

    def keys_values(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, Dm) -> keys, values (B, H, T, Dh)."""
        return split_heads(self.self.key(source), self.heads), split_heads(self.self.value(source), self.heads)

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """x (B, T, D) attends to k, v (B, H, S, Dh); mask (B, 1, T, S) bool, True = may attend."""
        q = split_heads(self.self.query(x), self.heads)  # (B, H, T, Dh)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, H, T, Dh)
        return self.output(merge_heads(out), x)


class Dense(nn.Module):
    """A container holding one ``dense`` layer (checkpoint key ``intermediate.dense``)."""

    def __init__(self, width_in: int, width_out: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width_in, width_out)


class TextLayer(nn.Module):
    """Self-attention, then (decoder layers, when memory is given) cross-attention, then the MLP."""

    crossattention: TextAttention  # present when cfg.is_decoder (every BLIP text tower)

    def __init__(self, cfg: BlipTextConfig) -> None:
        super().__init__()
        self.act = activation(cfg.hidden_act)
        self.attention = TextAttention(cfg, cfg.hidden_size)
        if cfg.is_decoder:
            self.crossattention = TextAttention(cfg, cfg.encoder_hidden_size)
        self.intermediate = Dense(cfg.hidden_size, cfg.intermediate_size)
        self.output = AddNorm(cfg.intermediate_size, cfg.hidden_size, cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor, self_kv: tuple[torch.Tensor, torch.Tensor], self_mask: torch.Tensor | None,
                cross_kv: tuple[torch.Tensor, torch.Tensor] | None, cross_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.attention.attend(x, *self_kv, self_mask)
        if cross_kv is not None:
            x = self.crossattention.attend(x, *cross_kv, cross_mask)
        return self.output(self.act(self.intermediate.dense(x)), x)


class TextEncoder(nn.Module):
    def __init__(self, cfg: BlipTextConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(TextLayer(cfg) for _ in range(cfg.num_hidden_layers))

    def blocks(self) -> list[TextLayer]:
        return cast("list[TextLayer]", list(self.layer))


class BlipTextModel(nn.Module):
    """BERT text transformer: bidirectional (encoder) or causal with a KV cache (decoder), with optional
    cross-attention to a memory (image tokens, or question states for the VQA answer decoder)."""

    def __init__(self, cfg: BlipTextConfig) -> None:
        super().__init__()
        _check_heads(cfg.hidden_size, cfg.num_attention_heads)
        self.cfg = cfg
        self.embeddings = TextEmbeddings(cfg)
        self.encoder = TextEncoder(cfg)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor | None = None, memory: torch.Tensor | None = None) -> torch.Tensor:
        """Bidirectional pass. ids, mask (B, T) (1 = token, 0 = padding); memory (B, N, Dm) -> (B, T, D).

        Cross-attention sees every memory position: transformers 5.x drops ``encoder_attention_mask``
        before its cross-attention, and BLIP's image memories have no padding anyway.
        """
        x = self.embeddings(ids)
        self_mask = _key_mask(mask, ids.shape[1])
        for layer in self.encoder.blocks():
            cross_kv = layer.crossattention.keys_values(memory) if memory is not None else None
            x = layer(x, layer.attention.keys_values(x), self_mask, cross_kv)
        return x

    def new_cache(self, memory: torch.Tensor, max_length: int, memory_mask: torch.Tensor | None = None) -> DecoderCache:
        """An empty decoding cache for ``max_length`` tokens per row, with the memory's keys/values.

        memory_mask (B, N): 1 = attend, 0 = ignore (padding); None: every memory position is attended.
        """
        b, heads = memory.shape[0], self.cfg.num_attention_heads
        shape = (b, heads, max_length, self.cfg.hidden_size // heads)
        dtype, device = memory.dtype, memory.device
        return DecoderCache(
            self_keys=[torch.empty(shape, dtype=dtype, device=device) for _ in self.encoder.blocks()],
            self_values=[torch.empty(shape, dtype=dtype, device=device) for _ in self.encoder.blocks()],
            cross_kv=[layer.crossattention.keys_values(memory) for layer in self.encoder.blocks()],
            cross_mask=None if memory_mask is None or bool(memory_mask.all()) else memory_mask.bool()[:, None, None, :],
        )

    def decode(self, ids: torch.Tensor, cache: DecoderCache, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Causal pass over new tokens ids (B, T) that follow ``cache.length`` cached ones -> (B, T, D).

        mask (B, cache.length + T): 1 = token, 0 = padding, over past and new tokens. Cross-attention
        follows ``cache.cross_mask``.
        """
        start, t = cache.length, ids.shape[1]
        end = start + t
        x = self.embeddings(ids, start)
        self_mask = _causal_mask(mask, start, t, ids.device)
        for i, layer in enumerate(self.encoder.blocks()):
            k, v = layer.attention.keys_values(x)  # (B, H, T, Dh)
            cache.self_keys[i][:, :, start:end] = k
            cache.self_values[i][:, :, start:end] = v
            self_kv = (cache.self_keys[i][:, :, :end], cache.self_values[i][:, :, :end])
            x = layer(x, self_kv, self_mask, cache.cross_kv[i], cache.cross_mask)
        cache.length = end
        return x


def _key_mask(mask: torch.Tensor | None, queries: int) -> torch.Tensor | None:
    """(B, S) 0/1 padding mask -> (B, 1, T, S) bool, or None when nothing is masked."""
    if mask is None or bool(mask.all()):
        return None
    return mask.bool()[:, None, None, :].expand(-1, 1, queries, -1)


def _causal_mask(mask: torch.Tensor | None, start: int, t: int, device: torch.device) -> torch.Tensor | None:
    """Bool (B or 1, 1, T, start+T): query i (position start+i) sees keys <= start+i that are not padding."""
    if t == 1 and (mask is None or bool(mask.all())):
        return None  # one new token sees every cached one
    keys = torch.arange(start + t, device=device)
    queries = torch.arange(start, start + t, device=device)
    allowed = (keys[None, :] <= queries[:, None])[None, None]  # (1, 1, T, S)
    if mask is not None and not bool(mask.all()):
        allowed = allowed & mask.bool()[:, None, None, :]  # (B, 1, T, S)
    return allowed


class HeadTransform(nn.Module):
    def __init__(self, cfg: BlipTextConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)


class LMPredictionHead(nn.Module):
    """dense -> act -> LayerNorm -> vocabulary logits (``cls.predictions``)."""

    def __init__(self, cfg: BlipTextConfig) -> None:
        super().__init__()
        self.act = activation(cfg.hidden_act)
        self.transform = HeadTransform(cfg)
        self.decoder = nn.Linear(cfg.hidden_size, cfg.vocab_size)
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))
        self.decoder.bias = self.bias  # one tensor under both names, as in transformers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, T, V)."""
        x = self.transform.LayerNorm(self.act(self.transform.dense(x)))
        return self.decoder(x)


class OnlyMLMHead(nn.Module):
    """Container of the language-model head (checkpoint key ``cls.predictions``)."""

    def __init__(self, cfg: BlipTextConfig) -> None:
        super().__init__()
        self.predictions = LMPredictionHead(cfg)


class BlipTextLMHeadModel(nn.Module):
    """Text decoder: ``bert`` (causal, cross-attending) + ``cls`` language-model head."""

    def __init__(self, cfg: BlipTextConfig, tie_word_embeddings: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self.bert = BlipTextModel(cfg)
        self.cls = OnlyMLMHead(cfg)
        if tie_word_embeddings:
            self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def logits(self, ids: torch.Tensor, cache: DecoderCache, mask: torch.Tensor | None = None,
               last_only: bool = False) -> torch.Tensor:
        """Decode new tokens (B, T) -> logits (B, T, V), or (B, V) of the last token with ``last_only``."""
        x = self.bert.decode(ids, cache, mask)
        return self.cls.predictions(x[:, -1] if last_only else x)


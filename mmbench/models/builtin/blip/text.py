"""BLIP's BERT-style text transformer in plain PyTorch (the image tower is the shared ViT, blip layout).

Matches transformers' ``modeling_blip_text.py`` (5.x) numerically; submodule names equal the
checkpoint keys (``encoder.layer.0.crossattention.self.query``, ``cls.predictions.transform.dense``...)
so a state dict loads without renaming. Attention uses ``scaled_dot_product_attention``; the
decoder keeps a key/value cache (:class:`~mmbench.models.builtin.decoding.KVCache`) for generation.

Shapes: B batch, N memory tokens, T text tokens, D width, H heads, Dh = D / H.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.models.builtin.blip.config import BlipTextConfig
from mmbench.models.builtin.decoding import KVCache
from mmbench.models.builtin.layers import activation
from mmbench.models.builtin.vit import merge_heads, split_heads


# ---- text --------------------------------------------------------------------------------------------


class DecoderCache(KVCache):
    """Self-attention keys/values (preallocated) plus the cross-attention keys/values of the memory
    (computed once; equal across a batch item's beams, so :meth:`reorder` leaves them)."""

    def __init__(self, cfg: BlipTextConfig, memory: torch.Tensor, capacity: int,
                 cross_kv: list[tuple[torch.Tensor, torch.Tensor]], cross_mask: torch.Tensor | None) -> None:
        heads = cfg.num_attention_heads
        super().__init__(cfg.num_hidden_layers, memory.shape[0], heads, capacity, cfg.hidden_size // heads,
                         memory.device, memory.dtype)
        self.cross_kv = cross_kv  # each 2 x (B, H, N, Dh)
        self.cross_mask = cross_mask  # (B, 1, 1, N) bool, True = may attend; None = all


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
        blocks = self.encoder.blocks()
        cross_mask = None if memory_mask is None or bool(memory_mask.all()) else memory_mask.bool()[:, None, None, :]
        return DecoderCache(self.cfg, memory, max_length, [layer.crossattention.keys_values(memory) for layer in blocks], cross_mask)

    def decode(self, ids: torch.Tensor, cache: DecoderCache, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Causal pass over new tokens ids (B, T) that follow ``cache.length`` cached ones -> (B, T, D).

        mask (B, cache.length + T): 1 = token, 0 = padding, over past and new tokens. Cross-attention
        follows ``cache.cross_mask``.
        """
        start, t = cache.length, ids.shape[1]
        x = self.embeddings(ids, start)
        self_mask = _causal_mask(mask, start, t, ids.device)
        for i, layer in enumerate(self.encoder.blocks()):
            self_kv = cache.update(i, *layer.attention.keys_values(x))  # 2 x (B, H, start+T, Dh)
            x = layer(x, self_kv, self_mask, cache.cross_kv[i], cache.cross_mask)
        cache.advance(t)
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


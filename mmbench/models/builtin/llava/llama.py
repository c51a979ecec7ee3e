"""LLaVA's language model: a Llama-family decoder (RMSNorm, rotary positions, grouped-query
attention, SwiGLU MLP) with a preallocated key/value cache.

Matches transformers' ``LlamaModel`` (5.x) numerically: RMSNorm in float32, rotary angles
``position * theta^(-2i/d)`` with the two halves concatenated (``rotate_half`` convention), and
scaled dot-product attention. Submodule names equal the checkpoint keys under
``model.language_model.``. Position ids are explicit so that left-padded batches give each row the
positions it would have alone (transformers' ``generate`` does the same from the attention mask).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.models.builtin.decoding import KVCache
from mmbench.models.builtin.layers import activation
from mmbench.models.builtin.llava.config import TextConfig


class RMSNorm(nn.Module):
    def __init__(self, width: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)  # in float32, as Llama
        return self.weight * x32.to(x.dtype)


def rotary_cos_sin(cfg: TextConfig, position_ids: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles, each (B, T, head_dim), for integer positions (B, T)."""
    dim = cfg.head_dim
    exponents = torch.arange(0, dim, 2, dtype=torch.int64, device=position_ids.device).float() / dim  # (hd/2,)
    inv_freq = 1.0 / (cfg.rope_theta ** exponents)
    if cfg.rope_type == "linear":
        inv_freq = inv_freq / cfg.rope_factor
    angles = position_ids[..., None].float() * inv_freq  # (B, T, hd/2)
    angles = torch.cat([angles, angles], dim=-1)  # (B, T, hd)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate (B, H, T, hd) by angles (B, T, hd); pairs are (i, i + hd/2)."""
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # (B, 1, T, hd)
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)  # (B, H, T, hd)
    return x * cos + rotated * sin


class Attention(nn.Module):
    """Grouped-query attention: ``num_key_value_groups`` query heads share each key/value head."""

    def __init__(self, cfg: TextConfig, layer_index: int) -> None:
        super().__init__()
        self.layer_index = layer_index
        self.num_heads, self.num_kv_heads, self.head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        bias = cfg.attention_bias
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.num_attention_heads * cfg.head_dim, bias=bias)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * cfg.head_dim, bias=bias)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * cfg.head_dim, bias=bias)
        self.o_proj = nn.Linear(cfg.num_attention_heads * cfg.head_dim, cfg.hidden_size, bias=bias)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor | None,
                cache: KVCache | None) -> torch.Tensor:
        """``mask``: bool (B, 1, T, S), True = may attend; None = plain causal (no padding, no earlier cache)."""
        batch, length, _ = x.shape
        q = self.q_proj(x).view(batch, length, self.num_heads, self.head_dim).transpose(1, 2)  # (B, H, T, hd)
        k = self.k_proj(x).view(batch, length, self.num_kv_heads, self.head_dim).transpose(1, 2)  # (B, kvH, T, hd)
        v = self.v_proj(x).view(batch, length, self.num_kv_heads, self.head_dim).transpose(1, 2)  # (B, kvH, T, hd)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        if cache is not None:
            k, v = cache.update(self.layer_index, k, v)  # (B, kvH, S, hd)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None and length > 1,
                                             enable_gqa=self.num_heads != self.num_kv_heads)  # (B, H, T, hd)
        return self.o_proj(out.transpose(1, 2).reshape(batch, length, self.num_heads * self.head_dim))  # (B, T, D)


class MLP(nn.Module):
    """SwiGLU: down(act(gate(x)) * up(x))."""

    def __init__(self, cfg: TextConfig) -> None:
        super().__init__()
        self.act = activation(cfg.hidden_act)
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=cfg.mlp_bias)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=cfg.mlp_bias)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=cfg.mlp_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: TextConfig, layer_index: int) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg, layer_index)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor | None,
                cache: KVCache | None) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class LanguageModel(nn.Module):
    """Token embeddings + decoder layers + final norm (the LM head lives on the outer model)."""

    def __init__(self, cfg: TextConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg, i) for i in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, embeds: torch.Tensor, position_ids: torch.Tensor, mask: torch.Tensor | None,
                cache: KVCache | None = None) -> torch.Tensor:
        """Input embeddings (B, T, D) at positions (B, T) -> final hidden states (B, T, D).

        With a cache the T new positions are appended after ``cache.length`` and the cache advances.
        """
        cos, sin = rotary_cos_sin(self.cfg, position_ids, embeds.dtype)  # (B, T, hd) each
        x = embeds
        for layer in self.layers:
            x = layer(x, cos, sin, mask, cache)
        if cache is not None:
            cache.advance(embeds.shape[1])
        return self.norm(x)


def attention_mask(valid: torch.Tensor, query_start: int, query_length: int) -> torch.Tensor | None:
    """Bool (B, 1, T, S) mask for T queries at cache positions ``query_start...`` over S = start + T keys.

    ``valid`` (B, S): False at padding. A query may attend to earlier-or-equal valid keys. A
    padding query attends to every earlier key instead: its output is never used, but a row with
    no allowed key would give NaNs that could leak through later layers' values. Returns None when
    nothing is padded and a plain causal mask (or none, for one query) does the job.
    """
    if bool(valid.all()) and (query_start == 0 or query_length == 1):
        return None
    keys = valid.shape[1]
    query_pos = torch.arange(query_start, query_start + query_length, device=valid.device)  # (T,)
    causal = torch.arange(keys, device=valid.device)[None, :] <= query_pos[:, None]  # (T, S)
    query_is_pad = ~valid[:, query_start:query_start + query_length]  # (B, T)
    allowed = causal[None] & (valid[:, None, :] | query_is_pad[:, :, None])  # (B, T, S)
    return allowed[:, None]  # (B, 1, T, S)

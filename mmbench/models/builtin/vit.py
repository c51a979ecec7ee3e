"""The one ViT image tower of the built-in models: CLIP's, LLaVA's (a CLIP tower) and BLIP's.

Pre-LN transformer blocks over a class token plus patch tokens with learned positions. Two
checkpoint layouts name the same computation differently, and submodule names equal the
checkpoint keys in both, so weights load without renaming:

- ``layout="clip"`` (transformers' ``CLIPVisionTransformer``; LLaVA's ``vision_tower``):
  ``self_attn.{q,k,v,out}_proj``, a bias-free patch convolution, ``position_embedding.weight``,
  a LayerNorm before the blocks (``pre_layrnorm``, sic).
- ``layout="blip"`` (transformers' ``BlipVisionModel``): one packed ``self_attn.qkv`` and
  ``self_attn.projection``, a patch convolution with bias, a (1, 1, D) class embedding and a
  (1, N+1, D) ``position_embedding`` parameter, no LayerNorm before the blocks.

Both end with ``post_layernorm``. Numerically equal to transformers 5.x in fp32 for all three
families (the parity tests compare every layer). Shapes: B batch, N+1 tokens, D width, H heads.
Modules raise ``ValueError``; the loaders turn bad configs into user errors before building.
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.models.builtin.configs import VisionConfig
from mmbench.models.builtin.layers import FeedForward

__all__ = ["Attention", "Encoder", "EncoderLayer", "VisionConfig", "VisionEmbeddings", "VisionTransformer"]


class BlockConfig(Protocol):
    """What a stack of pre-LN blocks needs (``VisionConfig``, and CLIP's text config)."""

    @property
    def hidden_size(self) -> int: ...
    @property
    def intermediate_size(self) -> int: ...
    @property
    def num_hidden_layers(self) -> int: ...
    @property
    def num_attention_heads(self) -> int: ...
    @property
    def hidden_act(self) -> str: ...
    @property
    def layer_norm_eps(self) -> float: ...


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, T, D) -> (B, H, T, D/H)."""
    batch, length, width = x.shape
    return x.view(batch, length, heads, width // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, D/H) -> (B, T, D)."""
    batch, heads, length, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, length, heads * head_dim)


class Attention(nn.Module):
    """Multi-head self-attention (scaled dot product); q/k/v separate ("clip") or ``packed`` ("blip")."""

    def __init__(self, width: int, num_heads: int, packed: bool = False) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.packed = packed
        if self.packed:
            self.qkv = nn.Linear(width, 3 * width)
            self.projection = nn.Linear(width, width)
        else:
            self.q_proj = nn.Linear(width, width)
            self.k_proj = nn.Linear(width, width)
            self.v_proj = nn.Linear(width, width)
            self.out_proj = nn.Linear(width, width)

    def _qkv(self, query: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Heads of the queries of ``query`` (B, Q, D) and of the keys/values of ``x`` (B, L, D)."""
        if self.packed:
            width = x.shape[-1]
            weight, bias = self.qkv.weight, self.qkv.bias
            q = F.linear(query, weight[:width], bias[:width])
            k, v = F.linear(x, weight[width:], bias[width:]).chunk(2, dim=-1)
        else:
            q, k, v = self.q_proj(query), self.k_proj(x), self.v_proj(x)
        return split_heads(q, self.num_heads), split_heads(k, self.num_heads), split_heads(v, self.num_heads)

    def _out(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(x) if self.packed else self.out_proj(x)

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        """(B, L, D) -> (B, L, D)."""
        if self.packed:
            batch, length, width = x.shape
            qkv = self.qkv(x).view(batch, length, 3, self.num_heads, width // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (B, H, L, D/H) each
        else:
            q, k, v = self._qkv(x, x)
        return self._out(merge_heads(F.scaled_dot_product_attention(q, k, v, is_causal=causal)))

    def forward_at(self, x: torch.Tensor, positions: torch.Tensor, causal: bool = False) -> torch.Tensor:
        """The output at one query position per sequence (B, 1, D), attending to all of ``x`` (B, L, D)
        (with ``causal``: to positions up to the query's)."""
        batch, length, _ = x.shape
        query = x[torch.arange(batch, device=x.device), positions].unsqueeze(1)  # (B, 1, D)
        q, k, v = self._qkv(query, x)  # (B, H, 1, D/H), (B, H, L, D/H) x 2
        mask = None
        if causal:
            mask = (torch.arange(length, device=x.device) <= positions[:, None]).view(batch, 1, 1, length)  # (B, 1, 1, L)
        return self._out(merge_heads(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)))  # (B, 1, D)


class EncoderLayer(nn.Module):
    """Pre-LN residual block: x + attn(ln1(x)), then x + mlp(ln2(x)). CLIP's text tower uses it too."""

    def __init__(self, config: BlockConfig, packed: bool = False) -> None:
        super().__init__()
        width = config.hidden_size
        self.self_attn = Attention(width, config.num_attention_heads, packed)
        self.layer_norm1 = nn.LayerNorm(width, eps=config.layer_norm_eps)
        self.mlp = FeedForward(width, config.intermediate_size, config.hidden_act)
        self.layer_norm2 = nn.LayerNorm(width, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x), causal=causal)
        return x + self.mlp(self.layer_norm2(x))

    def forward_at(self, x: torch.Tensor, positions: torch.Tensor, causal: bool = False) -> torch.Tensor:
        """The block's output (B, 1, D) at one position per sequence: what a pooled last block needs.

        Same values as ``forward(x)[arange(B), positions]``; the MLP and the query side of the
        attention run on B rows instead of B x L.
        """
        residual = x[torch.arange(x.shape[0], device=x.device), positions].unsqueeze(1)  # (B, 1, D)
        y = residual + self.self_attn.forward_at(self.layer_norm1(x), positions, causal=causal)  # (B, 1, D)
        return y + self.mlp(self.layer_norm2(y))


class Encoder(nn.Module):
    def __init__(self, config: BlockConfig, packed: bool = False) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(config, packed) for _ in range(config.num_hidden_layers))

    @property
    def last_layer(self) -> EncoderLayer:
        return self.blocks()[-1]

    def blocks(self) -> list[EncoderLayer]:
        return [layer for layer in self.layers if isinstance(layer, EncoderLayer)]


class VisionEmbeddings(nn.Module):
    """Pixels (B, C, S, S) -> class token + patch tokens, plus learned positions (B, N+1, D)."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        width, blip = config.hidden_size, config.layout == "blip"
        self.image_size = config.image_size
        self.class_embedding = nn.Parameter(torch.zeros((1, 1, width) if blip else (width,)))
        self.patch_embedding = nn.Conv2d(config.num_channels, width, config.patch_size, stride=config.patch_size, bias=blip)
        self.position_embedding: nn.Module | nn.Parameter
        if blip:
            self.position_embedding = nn.Parameter(torch.zeros(1, config.num_positions, width))
        else:
            self.position_embedding = nn.Embedding(config.num_positions, width)

    def positions(self) -> torch.Tensor:
        """(N+1, D) position embeddings, whichever layout holds them."""
        table = self.position_embedding
        weight = table if isinstance(table, nn.Parameter) else table.weight
        return weight.reshape(-1, weight.shape[-1])

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = pixel_values.shape  # (B, C, H, W)
        if height != self.image_size or width != self.image_size:
            raise ValueError(f"image tensor is {height}x{width} pixels but this tower takes {self.image_size}x{self.image_size}")
        weight = self.patch_embedding.weight
        patches = self.patch_embedding(pixel_values.to(weight.dtype)).flatten(2).transpose(1, 2)  # (B, N, D)
        cls = self.class_embedding.reshape(1, 1, -1).expand(batch, 1, -1)  # (B, 1, D)
        return torch.cat([cls, patches], dim=1) + self.positions()  # (B, N+1, D)


class VisionTransformer(nn.Module):
    """The image tower; see the module docstring for the two layouts."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        if config.hidden_size % config.num_attention_heads or config.image_size % config.patch_size:
            raise ValueError(f"inconsistent vision config {config}")
        self.config = config
        self.embeddings = VisionEmbeddings(config)
        if config.layout == "clip":
            self.pre_layrnorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)  # sic: the checkpoint key
        self.encoder = Encoder(config, packed=config.layout == "blip")
        self.post_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    @property
    def dtype(self) -> torch.dtype:
        return self.post_layernorm.weight.dtype

    def _embed(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(pixel_values)  # (B, N+1, D)
        return self.pre_layrnorm(x) if self.config.layout == "clip" else x

    def _index(self, layer: int) -> int:
        count = len(self.encoder.layers)
        index = layer if layer >= 0 else count + 1 + layer
        if not 0 <= index <= count:
            raise ValueError(f"layer {layer} out of range for {count} blocks")
        return index

    def select_hidden_states(self, pixel_values: torch.Tensor, layers: tuple[int, ...]) -> list[torch.Tensor]:
        """``[hidden_states[i] for i in layers]``, indexed as transformers' ``hidden_states``.

        Index 0 is the embeddings (after ``pre_layrnorm`` in the clip layout), i the output of block
        i, negative indices count from the end (-1: last block, -2: the one before, LLaVA's feature
        layer). Blocks after the deepest requested one are not run.
        """
        wanted = [self._index(layer) for layer in layers]
        x = self._embed(pixel_values)  # (B, N+1, D)
        states = {0: x}
        for index, block in enumerate(self.encoder.blocks()[: max(wanted)], start=1):
            x = block(x)  # (B, N+1, D)
            states[index] = x
        return [states[i] for i in wanted]

    def hidden_states(self, pixel_values: torch.Tensor, layer: int = -1) -> torch.Tensor:
        """Token states (B, N+1, D) after block ``layer`` (see :meth:`select_hidden_states`)."""
        return self.select_hidden_states(pixel_values, (layer,))[0]

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Every token after the last block and ``post_layernorm`` (B, N+1, D); token 0 is the class token."""
        return self.post_layernorm(self.hidden_states(pixel_values, -1))

    def pooled(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """``forward(pixels)[:, 0]`` (B, D), with the last block computing only the class token."""
        x = self.hidden_states(pixel_values, -2)  # (B, N+1, D)
        class_token = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)  # (B,) position 0
        return self.post_layernorm(self.encoder.last_layer.forward_at(x, class_token)[:, 0])  # (B, D)

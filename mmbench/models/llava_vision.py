"""LLaVA's image tower: a CLIP ViT that returns the hidden states of chosen layers, not a pooled embedding.

Matches transformers' ``CLIPVisionModel`` (5.x) as LLaVA calls it: ``hidden_states[0]`` is the
embedding output after ``pre_layrnorm``, ``hidden_states[i]`` the output of encoder layer i.
LLaVA-1.5 reads ``hidden_states[-2]``, so the last layer and ``post_layernorm`` never run here;
they exist only so that every checkpoint key has a parameter (strict loading).
Submodule names equal the checkpoint keys under ``model.vision_tower.``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.errors import UserError
from mmbench.models._layers import FeedForward
from mmbench.models.llava_config import VisionConfig


class VisionEmbeddings(nn.Module):
    """Pixels -> class token + patch tokens, plus learned position embeddings."""

    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.class_embedding = nn.Parameter(torch.zeros(cfg.hidden_size))
        self.patch_embedding = nn.Conv2d(cfg.num_channels, cfg.hidden_size, cfg.patch_size, cfg.patch_size, bias=False)
        self.position_embedding = nn.Embedding(cfg.num_patches + 1, cfg.hidden_size)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        batch = pixels.shape[0]
        patches = self.patch_embedding(pixels.to(self.patch_embedding.weight.dtype))  # (B, D, H/p, W/p)
        patches = patches.flatten(2).transpose(1, 2)  # (B, N, D)
        cls = self.class_embedding.expand(batch, 1, -1)  # (B, 1, D)
        return torch.cat([cls, patches], dim=1) + self.position_embedding.weight  # (B, N+1, D)


class VisionAttention(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.num_heads, self.head_dim = cfg.num_attention_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.out_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        heads = (batch, length, self.num_heads, self.head_dim)
        q = self.q_proj(x).view(heads).transpose(1, 2)  # (B, H, T, hd)
        k = self.k_proj(x).view(heads).transpose(1, 2)  # (B, H, T, hd)
        v = self.v_proj(x).view(heads).transpose(1, 2)  # (B, H, T, hd)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, H, T, hd), scale 1/sqrt(hd)
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, width))  # (B, T, D)


class VisionLayer(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.self_attn = VisionAttention(cfg)
        self.layer_norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.mlp = FeedForward(cfg.hidden_size, cfg.intermediate_size, cfg.hidden_act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class VisionEncoder(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(VisionLayer(cfg) for _ in range(cfg.num_hidden_layers))


class VisionTower(nn.Module):
    """CLIP ViT returning selected hidden states (B, N+1, D), CLS first."""

    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embeddings = VisionEmbeddings(cfg)
        self.pre_layrnorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)  # sic: the checkpoint's spelling
        self.encoder = VisionEncoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)  # unused by LLaVA

    def hidden_states(self, pixels: torch.Tensor, layers: tuple[int, ...]) -> list[torch.Tensor]:
        """``[hidden_states[i] for i in layers]``, indices as in transformers (negative from the end).

        Runs the encoder only as deep as the deepest requested layer.
        """
        count = len(self.encoder.layers) + 1  # embeddings + one per layer
        wanted = [i + count if i < 0 else i for i in layers]
        if any(not 0 <= i < count for i in wanted):
            raise UserError(f"vision_feature_layer {layers} is out of range for a tower with {count - 1} layers")
        x = self.pre_layrnorm(self.embeddings(pixels))  # (B, N+1, D)
        states = {0: x} if 0 in wanted else {}
        for index, layer in enumerate(self.encoder.layers[: max(wanted)], start=1):
            x = layer(x)
            if index in wanted:
                states[index] = x
        return [states[i] for i in wanted]

"""CLIP in plain PyTorch (Radford et al. 2021), loading Hugging Face CLIP checkpoints as they are.

Numerically equal to transformers' ``CLIPModel`` (5.x) in fp32: the shared ViT image tower
(:mod:`mmbench.models.builtin.vit`, clip layout; pooled = ``post_layernorm`` of the class token), a causal text transformer pooled at the first end-of-text token, two bias-free
projections and a learned temperature. Submodule names equal the checkpoint's keys
(``vision_model.encoder.layers.0.self_attn.q_proj.weight``), so weights load without renaming;
OpenAI / open_clip state dicts are renamed by :mod:`mmbench.models.builtin.clip.openai`; the
``clip:`` adapter is :mod:`mmbench.models.builtin.clip.adapter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.models.builtin.clip import openai as clip_openai
from mmbench.models.builtin.clip.config import PRESETS, ClipConfig, ClipTextConfig
from mmbench.models.builtin.vit import Encoder, VisionTransformer
from mmbench.models.checkpoint import build_module, load_state_dict, load_strict, read_config

__all__ = ["PRESETS", "ClipConfig", "ClipModel", "ClipTextConfig", "config_from_openai_state_dict", "openai_to_hf_state_dict"]

# ---- modules (names = Hugging Face checkpoint keys) --------------------------------------------


class ClipTextEmbeddings(nn.Module):
    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embedding = nn.Embedding(config.max_position_embeddings, config.hidden_size)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]  # (B, L)
        if length > self.position_embedding.num_embeddings:
            raise ValueError(f"{length} tokens exceed the text context of {self.position_embedding.num_embeddings}; truncate the input")
        return self.token_embedding(input_ids) + self.position_embedding.weight[:length]  # (B, L, D)


class ClipTextTransformer(nn.Module):
    """The text tower: causal blocks, final LN; pooled = the state at the first end-of-text token.

    Padding needs no mask: with causal attention no position up to the first end-of-text token
    sees the (right) padding after it, so the pooled output is the one a padding mask gives. For
    the same reason tokens after the last pooled position are dropped before the blocks run, and
    the last block computes only the pooled rows (as the image tower does for its class token).
    """

    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = ClipTextEmbeddings(config)
        self.encoder = Encoder(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Pooled text features (B, D) of token ids (B, L), right-padded."""
        eos = self.eos_positions(input_ids)  # (B,)
        input_ids = input_ids[:, : int(eos.max()) + 1]  # (B, L') causal: later tokens cannot reach the pooled ones
        x = self.embeddings(input_ids)  # (B, L', D)
        for block in self.encoder.blocks()[:-1]:
            x = block(x, causal=True)  # (B, L', D)
        pooled = self.encoder.last_layer.forward_at(x, eos, causal=True)  # (B, 1, D)
        return self.final_layer_norm(pooled[:, 0])  # (B, D)

    def eos_positions(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(B,) index of the first end-of-text token; eos_token_id 2 means the largest id (as transformers)."""
        if self.config.eos_token_id == 2:
            return input_ids.to(torch.int).argmax(dim=-1)
        return (input_ids == self.config.eos_token_id).to(torch.int).argmax(dim=-1)


class ClipModel(nn.Module):
    """Both towers, their projections into the joint space and the learned temperature."""

    MAX_LOGIT_SCALE = 100.0  # as OpenAI CLIP clamps exp(logit_scale) during training

    def __init__(self, config: ClipConfig) -> None:
        super().__init__()
        self.config = config
        self.vision_model = VisionTransformer(config.vision)
        self.text_model = ClipTextTransformer(config.text)
        self.visual_projection = nn.Linear(config.vision.hidden_size, config.projection_dim, bias=False)
        self.text_projection = nn.Linear(config.text.hidden_size, config.projection_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init_value))

    def encode_image(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) normalised pixels -> (B, P) image embeddings, not normalised."""
        return self.visual_projection(self.vision_model.pooled(pixel_values))

    def encode_text(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(B, L) right-padded token ids -> (B, P) text embeddings, not normalised."""
        return self.text_projection(self.text_model(input_ids))

    def temperature_scale(self) -> torch.Tensor:
        """exp(logit_scale), at most 100 (all released checkpoints sit at or below it)."""
        return self.logit_scale.exp().clamp(max=self.MAX_LOGIT_SCALE)

    def forward(self, pixel_values: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
        """Logits per image (B_img, B_txt): scaled cosine similarities."""
        image = F.normalize(self.encode_image(pixel_values), dim=-1)  # (B_img, P)
        text = F.normalize(self.encode_text(input_ids), dim=-1)  # (B_txt, P)
        return self.temperature_scale() * image @ text.T  # (B_img, B_txt)

    @classmethod
    def from_pretrained(cls, checkpoint: str | Path, *, dtype: torch.dtype = torch.float32, hidden_act: str | None = None) -> ClipModel:
        """Load a Hugging Face CLIP checkpoint directory, or an OpenAI / open_clip state dict directory.

        Strict: a missing or unexpected key fails with the list of keys (UserError).
        ``hidden_act`` overrides the activation of an open_clip checkpoint (default: its
        ``open_clip_config.json``, else OpenAI's quick_gelu).
        """
        path = Path(checkpoint)
        if (path / "config.json").is_file():
            return cls.from_state_dict(ClipConfig.from_hf_dict(read_config(path), str(path / "config.json")),
                                       load_state_dict(path), source=path, dtype=dtype)
        raw = clip_openai.load_open_clip_state_dict(path)
        config = config_from_openai_state_dict(raw, hidden_act=hidden_act or clip_openai.open_clip_activation(path))
        return cls.from_state_dict(config, clip_openai.openai_to_hf_state_dict(raw), source=path, dtype=dtype)

    @classmethod
    def from_state_dict(cls, config: ClipConfig, state: Mapping[str, torch.Tensor], *, source: str | Path = "state dict",
                        dtype: torch.dtype = torch.float32) -> ClipModel:
        """Build on the meta device and adopt the tensors (no random initialisation), after a strict key check."""
        model = build_module(lambda: cls(config), source)
        return load_strict(model, state, source=source, ignore=("position_ids",)).to(dtype).eval()


def config_from_openai_state_dict(state: Mapping[str, torch.Tensor], hidden_act: str = "quick_gelu") -> ClipConfig:
    """The sizes of an OpenAI / open_clip ViT state dict (see :mod:`mmbench.models.builtin.clip.openai`)."""
    return ClipConfig.from_hf_dict(clip_openai.hf_config_from_openai_state_dict(state, hidden_act), "OpenAI state dict")


openai_to_hf_state_dict = clip_openai.openai_to_hf_state_dict

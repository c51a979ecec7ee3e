"""OpenAI CLIP and open_clip ViT checkpoints: their state-dict keys renamed to the Hugging Face
layout that :mod:`mmbench.models.builtin.clip.model` uses, and their sizes read from tensor shapes.

Used by ``ClipModel.from_pretrained`` for a directory without ``config.json`` holding
``open_clip_model.safetensors`` / ``open_clip_pytorch_model.bin`` (read with ``weights_only``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from mmbench.errors import UserError
from mmbench.models.checkpoint import read_json_object

_OPENAI_BLOCK_NAMES = {"ln_1": "layer_norm1", "ln_2": "layer_norm2", "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2",
                       "attn.out_proj": "self_attn.out_proj"}
_OPENAI_NAMES = {
    "visual.class_embedding": "vision_model.embeddings.class_embedding",
    "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
    "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
    "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
    "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
    "visual.ln_post.weight": "vision_model.post_layernorm.weight",
    "visual.ln_post.bias": "vision_model.post_layernorm.bias",
    "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
    "positional_embedding": "text_model.embeddings.position_embedding.weight",
    "ln_final.weight": "text_model.final_layer_norm.weight",
    "ln_final.bias": "text_model.final_layer_norm.bias",
    "logit_scale": "logit_scale",
}
_OPENAI_TRANSPOSED = {"visual.proj": "visual_projection.weight", "text_projection": "text_projection.weight"}  # used as x @ W
_OPENAI_NON_WEIGHTS = ("input_resolution", "context_length", "vocab_size", "attn_mask")


def openai_to_hf_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an OpenAI CLIP / open_clip ViT state dict to the Hugging Face keys this module uses.

    Packed ``attn.in_proj_{weight,bias}`` (q, k, v stacked on dim 0, as ``nn.MultiheadAttention``)
    are split; ``proj`` / ``text_projection`` (applied as ``x @ W``) are transposed. Keys it does
    not know keep their names, so the strict key check reports them.
    """
    out: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        if key.split(".")[-1] in _OPENAI_NON_WEIGHTS:
            continue
        if key in _OPENAI_NAMES:
            out[_OPENAI_NAMES[key]] = tensor
        elif key in _OPENAI_TRANSPOSED:
            out[_OPENAI_TRANSPOSED[key]] = tensor.T.contiguous()
        elif ".resblocks." in key:
            out.update(_rename_openai_block(key, tensor))
        else:
            out[key] = tensor
    return out


def _rename_openai_block(key: str, tensor: torch.Tensor) -> dict[str, torch.Tensor]:
    tower, rest = key.split("transformer.resblocks.", 1)  # "visual." or ""
    index, name = rest.split(".", 1)
    prefix = f"{'vision_model' if tower == 'visual.' else 'text_model'}.encoder.layers.{index}."
    if name in ("attn.in_proj_weight", "attn.in_proj_bias"):
        kind = name.rsplit("_", 1)[1]  # "weight" | "bias"
        q, k, v = tensor.chunk(3, dim=0)  # (3D, ...) -> 3 x (D, ...)
        return {f"{prefix}self_attn.{p}_proj.{kind}": t.contiguous() for p, t in zip("qkv", (q, k, v))}
    module, kind = name.rsplit(".", 1)
    if module not in _OPENAI_BLOCK_NAMES:
        return {key: tensor}
    return {f"{prefix}{_OPENAI_BLOCK_NAMES[module]}.{kind}": tensor}


def hf_config_from_openai_state_dict(state: Mapping[str, torch.Tensor], hidden_act: str = "quick_gelu") -> dict[str, Any]:
    """The transformers ``CLIPConfig`` dict of a state dict's sizes, inferred from tensor shapes as
    OpenAI's ``build_model`` does (64-wide heads)."""
    if "visual.conv1.weight" not in state:
        raise UserError("state dict has no visual.conv1.weight: only ViT CLIP models are supported (not the ResNet ones)")

    def layers(prefix: str) -> int:
        return len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)})

    conv = state["visual.conv1.weight"]  # (D_v, 3, P, P)
    vision_width, patch = int(conv.shape[0]), int(conv.shape[-1])
    grid = round(math.sqrt(state["visual.positional_embedding"].shape[0] - 1))
    text_width = int(state["ln_final.weight"].shape[0])
    vocab_size = int(state["token_embedding.weight"].shape[0])
    vision = {"hidden_size": vision_width, "intermediate_size": 4 * vision_width, "num_hidden_layers": layers("visual.transformer.resblocks."),
              "num_attention_heads": vision_width // 64, "image_size": patch * grid, "patch_size": patch, "hidden_act": hidden_act}
    text = {"vocab_size": vocab_size, "hidden_size": text_width, "intermediate_size": 4 * text_width,
            "num_hidden_layers": layers("transformer.resblocks."), "num_attention_heads": text_width // 64,
            "max_position_embeddings": int(state["positional_embedding"].shape[0]), "hidden_act": hidden_act,
            "eos_token_id": vocab_size - 1}  # the end-of-text token is CLIP's largest id
    return {"model_type": "clip", "vision_config": vision, "text_config": text, "projection_dim": int(state["text_projection"].shape[1])}


_OPEN_CLIP_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin", "model.safetensors")


def load_open_clip_state_dict(path: Path) -> dict[str, torch.Tensor]:
    for name in _OPEN_CLIP_FILES:
        file = path / name
        if file.is_file():
            if file.suffix == ".safetensors":
                from safetensors.torch import load_file

                return load_file(str(file))
            return dict(torch.load(file, map_location="cpu", weights_only=True))
    raise UserError(f"{path}: neither a Hugging Face CLIP checkpoint (config.json) nor an open_clip one ({', '.join(_OPEN_CLIP_FILES)})")


def open_clip_activation(path: Path) -> str:
    config_file = path / "open_clip_config.json"
    if not config_file.is_file():
        return "quick_gelu"  # OpenAI's own weights
    model_cfg = read_json_object(config_file).get("model_cfg", {})
    return "quick_gelu" if model_cfg.get("quick_gelu", False) else "gelu"

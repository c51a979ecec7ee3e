"""CLIP in plain PyTorch (Radford et al. 2021), loading Hugging Face CLIP checkpoints as they are.

Numerically equal to transformers' ``CLIPModel`` (5.x) in fp32: a pre-LN ViT image tower (class
token, learned positions, ``pre_layrnorm`` before the blocks, ``post_layernorm`` on the class
token), a causal text transformer pooled at the first end-of-text token, two bias-free
projections and a learned temperature. Submodule names equal the checkpoint's keys
(``vision_model.encoder.layers.0.self_attn.q_proj.weight``), so weights load without renaming;
OpenAI / open_clip state dicts are renamed by :func:`openai_to_hf_state_dict`.

Spec: ``clip:<dir-or-hub-id>`` (``create`` below).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.errors import UserError
from mmbench.models._layers import FeedForward
from mmbench.models.base import ModelAdapter
from mmbench.models.checkpoint import (
    check_keys,
    load_state_dict,
    read_config,
    resolve_checkpoint,
    torch_dtype,
)
from mmbench.models.preprocess import (
    ImagePreprocessor,
    clip_transform,
    transform_from_preprocessor_config,
)

# ---- configuration -----------------------------------------------------------------------------
# Field names and defaults follow transformers' CLIPVisionConfig / CLIPTextConfig / CLIPConfig,
# because config.json files omit fields equal to those defaults.


@dataclass(frozen=True)
class ClipVisionConfig:
    hidden_size: int = 768
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    num_channels: int = 3
    image_size: int = 224  # pixels, square
    patch_size: int = 32  # pixels, square
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


@dataclass(frozen=True)
class ClipTextConfig:
    vocab_size: int = 49408
    hidden_size: int = 512
    intermediate_size: int = 2048
    num_hidden_layers: int = 12
    num_attention_heads: int = 8
    max_position_embeddings: int = 77  # the context length in tokens
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    eos_token_id: int = 49407  # 2 means "pool at the largest token id" (old HF configs)


@dataclass(frozen=True)
class ClipConfig:
    vision: ClipVisionConfig = ClipVisionConfig()
    text: ClipTextConfig = ClipTextConfig()
    projection_dim: int = 512
    logit_scale_init_value: float = 2.6592  # log(1 / 0.07)

    @classmethod
    def from_hf_dict(cls, config: Mapping[str, Any]) -> ClipConfig:
        """Read a transformers ``CLIPConfig`` dict (``config.json``); ``*_config_dict`` override ``*_config``."""
        if config.get("model_type", "clip") != "clip":
            raise UserError(f"config.json has model_type={config.get('model_type')!r}; the clip: adapter reads CLIP checkpoints (model_type 'clip')")
        vision = {**(config.get("vision_config") or {}), **(config.get("vision_config_dict") or {})}
        text = {**(config.get("text_config") or {}), **(config.get("text_config_dict") or {})}
        return cls(
            vision=_dataclass_from_dict(ClipVisionConfig, vision),
            text=_dataclass_from_dict(ClipTextConfig, text),
            projection_dim=int(config.get("projection_dim", 512)),
            logit_scale_init_value=float(config.get("logit_scale_init_value", 2.6592)),
        )


def _dataclass_from_dict(cls: Any, values: Mapping[str, Any]) -> Any:
    """Known fields only; square sizes given as [h, w] become one int."""
    known = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in values.items() if k in known and v is not None}
    for key in ("image_size", "patch_size"):
        if isinstance(kwargs.get(key), (list, tuple)):
            height, width = kwargs[key]
            if height != width:
                raise UserError(f"non-square {key}={kwargs[key]} is not supported by the built-in CLIP")
            kwargs[key] = height
    if isinstance(kwargs.get("eos_token_id"), list):
        kwargs["eos_token_id"] = kwargs["eos_token_id"][0]
    return cls(**kwargs)


_B32_VISION = ClipVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, patch_size=32)
_L14_VISION = ClipVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16, patch_size=14)
_L14_TEXT = ClipTextConfig(hidden_size=768, intermediate_size=3072, num_attention_heads=12)

#: The OpenAI release sizes (as in openai/clip-vit-*): instantiate with ``ClipModel(PRESETS[name])``.
PRESETS: dict[str, ClipConfig] = {
    "ViT-B/32": ClipConfig(vision=_B32_VISION, text=ClipTextConfig(), projection_dim=512),
    "ViT-B/16": ClipConfig(vision=replace(_B32_VISION, patch_size=16), text=ClipTextConfig(), projection_dim=512),
    "ViT-L/14": ClipConfig(vision=_L14_VISION, text=_L14_TEXT, projection_dim=768),
    "ViT-L/14-336": ClipConfig(vision=replace(_L14_VISION, image_size=336), text=_L14_TEXT, projection_dim=768),
}

# ---- modules (names = Hugging Face checkpoint keys) --------------------------------------------


class ClipAttention(nn.Module):
    """Multi-head self-attention with separate q/k/v projections (scaled dot product, softmax in fp32)."""

    def __init__(self, width: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        batch, length, width = x.shape  # (B, L, D)
        q = self._split_heads(self.q_proj(x))  # (B, H, L, D/H)
        k = self._split_heads(self.k_proj(x))  # (B, H, L, D/H)
        v = self._split_heads(self.v_proj(x))  # (B, H, L, D/H)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)  # (B, H, L, D/H)
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, width))  # (B, L, D)

    def forward_at(self, x: torch.Tensor, positions: torch.Tensor, causal: bool = False) -> torch.Tensor:
        """The output at one query position per sequence (B, 1, D), attending to all of ``x`` (B, L, D)
        (with ``causal``: to positions up to the query's)."""
        batch, length, width = x.shape  # (B, L, D)
        query = x[torch.arange(batch, device=x.device), positions].unsqueeze(1)  # (B, 1, D)
        q = self._split_heads(self.q_proj(query))  # (B, H, 1, D/H)
        k = self._split_heads(self.k_proj(x))  # (B, H, L, D/H)
        v = self._split_heads(self.v_proj(x))  # (B, H, L, D/H)
        mask = None
        if causal:
            mask = (torch.arange(length, device=x.device) <= positions[:, None]).view(batch, 1, 1, length)  # (B, 1, 1, L)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, H, 1, D/H)
        return self.out_proj(out.transpose(1, 2).reshape(batch, 1, width))  # (B, 1, D)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape  # (B, L, D)
        return x.view(batch, length, self.num_heads, width // self.num_heads).transpose(1, 2)  # (B, H, L, D/H)


class ClipEncoderLayer(nn.Module):
    """Pre-LN residual block: x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, config: ClipVisionConfig | ClipTextConfig) -> None:
        super().__init__()
        width = config.hidden_size
        self.self_attn = ClipAttention(width, config.num_attention_heads)
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


class ClipEncoder(nn.Module):
    def __init__(self, config: ClipVisionConfig | ClipTextConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(ClipEncoderLayer(config) for _ in range(config.num_hidden_layers))

    @property
    def last_layer(self) -> ClipEncoderLayer:
        layer = self.layers[-1]
        assert isinstance(layer, ClipEncoderLayer)
        return layer


class ClipVisionEmbeddings(nn.Module):
    def __init__(self, config: ClipVisionConfig) -> None:
        super().__init__()
        width = config.hidden_size
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.patch_embedding = nn.Conv2d(config.num_channels, width, config.patch_size, stride=config.patch_size, bias=False)
        self.position_embedding = nn.Embedding(config.num_patches + 1, width)
        self.image_size = config.image_size

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = pixel_values.shape  # (B, C, H, W)
        if height != self.image_size or width != self.image_size:
            raise UserError(f"image tensor is {height}x{width} pixels but this CLIP takes {self.image_size}x{self.image_size}; "
                            f"use the adapter's image_transform")
        weight = self.patch_embedding.weight
        patches = self.patch_embedding(pixel_values.to(weight.dtype))  # (B, D, H/P, W/P)
        patches = patches.flatten(2).transpose(1, 2)  # (B, N, D)
        cls = self.class_embedding.expand(batch, 1, -1)  # (B, 1, D)
        tokens = torch.cat([cls, patches], dim=1)  # (B, N+1, D)
        return tokens + self.position_embedding.weight  # (B, N+1, D)


class ClipVisionTransformer(nn.Module):
    """The image tower: patches + class token -> pre-LN -> blocks; pooled = post-LN of the class token."""

    def __init__(self, config: ClipVisionConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = ClipVisionEmbeddings(config)
        self.pre_layrnorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)  # sic: the HF key
        self.encoder = ClipEncoder(config)
        self.post_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def hidden_states(self, pixel_values: torch.Tensor, layer: int = -1) -> torch.Tensor:
        """Token states (B, N+1, D) after block ``layer``, indexed as transformers' ``hidden_states``.

        Index 0 is the embeddings after ``pre_layrnorm``, i the output of block i, negative indices
        count from the end (-1: last block, -2: the one before, LLaVA's feature layer). Blocks after
        the requested one are not run.
        """
        num_layers = len(self.encoder.layers)
        index = layer if layer >= 0 else num_layers + 1 + layer
        if not 0 <= index <= num_layers:
            raise ValueError(f"layer {layer} out of range for {num_layers} blocks")
        x = self.pre_layrnorm(self.embeddings(pixel_values))  # (B, N+1, D)
        for block in self.encoder.layers[:index]:
            x = block(x)  # (B, N+1, D)
        return x

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Pooled image features (B, D): post-LN of the class token after the last block."""
        x = self.hidden_states(pixel_values, layer=-2)  # (B, N+1, D)
        class_token = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)  # (B,) position 0
        pooled = self.encoder.last_layer.forward_at(x, class_token)  # (B, 1, D): only the class token is pooled
        return self.post_layernorm(pooled[:, 0])  # (B, D)


class ClipTextEmbeddings(nn.Module):
    def __init__(self, config: ClipTextConfig) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embedding = nn.Embedding(config.max_position_embeddings, config.hidden_size)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]  # (B, L)
        if length > self.position_embedding.num_embeddings:
            raise UserError(f"{length} tokens exceed the text context of {self.position_embedding.num_embeddings}; truncate the input")
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
        self.encoder = ClipEncoder(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Pooled text features (B, D) of token ids (B, L), right-padded."""
        eos = self.eos_positions(input_ids)  # (B,)
        input_ids = input_ids[:, : int(eos.max()) + 1]  # (B, L') causal: later tokens cannot reach the pooled ones
        x = self.embeddings(input_ids)  # (B, L', D)
        for block in self.encoder.layers[:-1]:
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
        self.vision_model = ClipVisionTransformer(config.vision)
        self.text_model = ClipTextTransformer(config.text)
        self.visual_projection = nn.Linear(config.vision.hidden_size, config.projection_dim, bias=False)
        self.text_projection = nn.Linear(config.text.hidden_size, config.projection_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init_value))

    def encode_image(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) normalised pixels -> (B, P) image embeddings, not normalised."""
        return self.visual_projection(self.vision_model(pixel_values))

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
            config = ClipConfig.from_hf_dict(read_config(path))
            state = {k: v for k, v in load_state_dict(path).items() if not k.endswith("position_ids")}
        else:
            raw = _load_open_clip_state_dict(path)
            state = openai_to_hf_state_dict(raw)
            config = config_from_openai_state_dict(raw, hidden_act=hidden_act or _open_clip_activation(path))
        return cls.from_state_dict(config, state, source=path, dtype=dtype)

    @classmethod
    def from_state_dict(cls, config: ClipConfig, state: Mapping[str, torch.Tensor], *, source: str | Path = "state dict",
                        dtype: torch.dtype = torch.float32) -> ClipModel:
        """Build on the meta device and adopt the tensors (no random initialisation), after a strict key check."""
        with torch.device("meta"):
            model = cls(config)
        check_keys(model.state_dict().keys(), state.keys(), source)
        try:
            model.load_state_dict(state, strict=True, assign=True)
        except RuntimeError as e:
            mismatches = [line.strip() for line in str(e).splitlines() if "size mismatch" in line]
            raise UserError(f"{source}: checkpoint tensors do not fit the config: {'; '.join(mismatches[:5]) or e}") from None
        return model.to(dtype).eval()


# ---- OpenAI / open_clip state dicts -------------------------------------------------------------

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


def config_from_openai_state_dict(state: Mapping[str, torch.Tensor], hidden_act: str = "quick_gelu") -> ClipConfig:
    """Infer the sizes from tensor shapes, as OpenAI's ``build_model`` does (64-wide heads)."""
    if "visual.conv1.weight" not in state:
        raise UserError("state dict has no visual.conv1.weight: only ViT CLIP models are supported (not the ResNet ones)")

    def layers(prefix: str) -> int:
        return len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)})

    conv = state["visual.conv1.weight"]  # (D_v, 3, P, P)
    vision_width, patch = conv.shape[0], conv.shape[-1]
    grid = round(math.sqrt(state["visual.positional_embedding"].shape[0] - 1))
    text_width = state["ln_final.weight"].shape[0]
    vocab_size = state["token_embedding.weight"].shape[0]
    vision = ClipVisionConfig(hidden_size=vision_width, intermediate_size=4 * vision_width, num_hidden_layers=layers("visual.transformer.resblocks."),
                              num_attention_heads=vision_width // 64, image_size=patch * grid, patch_size=patch, hidden_act=hidden_act)
    text = ClipTextConfig(vocab_size=vocab_size, hidden_size=text_width, intermediate_size=4 * text_width,
                          num_hidden_layers=layers("transformer.resblocks."), num_attention_heads=text_width // 64,
                          max_position_embeddings=state["positional_embedding"].shape[0], hidden_act=hidden_act,
                          eos_token_id=vocab_size - 1)  # the end-of-text token is CLIP's largest id
    return ClipConfig(vision=vision, text=text, projection_dim=state["text_projection"].shape[1])


_OPEN_CLIP_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin", "model.safetensors")


def _load_open_clip_state_dict(path: Path) -> dict[str, torch.Tensor]:
    for name in _OPEN_CLIP_FILES:
        file = path / name
        if file.is_file():
            if file.suffix == ".safetensors":
                from safetensors.torch import load_file

                return load_file(str(file))
            return dict(torch.load(file, map_location="cpu", weights_only=True))
    raise UserError(f"{path}: neither a Hugging Face CLIP checkpoint (config.json) nor an open_clip one ({', '.join(_OPEN_CLIP_FILES)})")


def _open_clip_activation(path: Path) -> str:
    config_file = path / "open_clip_config.json"
    if not config_file.is_file():
        return "quick_gelu"  # OpenAI's own weights
    model_cfg = json.loads(config_file.read_text(encoding="utf-8")).get("model_cfg", {})
    return "quick_gelu" if model_cfg.get("quick_gelu", False) else "gelu"


# ---- the adapter ---------------------------------------------------------------------------------


class ClipAdapter(ModelAdapter):
    """``clip:<dir-or-id>``: the built-in CLIP as an mmbench dual encoder (encode_images, encode_texts)."""

    adapter_name = "clip"

    def __init__(self, model: ClipModel, tokenizer: Any, transform: ImagePreprocessor, *, device: str = "cpu", dtype: str = "float32") -> None:
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.transform = transform
        self.device = device
        self.dtype = dtype
        self.context_length = model.config.text.max_position_embeddings

    def image_transform(self) -> ImagePreprocessor:
        return self.transform

    @torch.inference_mode()
    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) from ``image_transform`` -> (N, P) float32, L2-normalised."""
        pixels = images.to(self.device, dtype=self.model.logit_scale.dtype)
        return F.normalize(self.model.encode_image(pixels).float(), dim=-1)

    @torch.inference_mode()
    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        """M texts -> (M, P) float32, L2-normalised; tokenised with the checkpoint's tokenizer, truncated to the context."""
        tokens = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.context_length, return_tensors="pt")
        return F.normalize(self.model.encode_text(tokens["input_ids"].to(self.device)).float(), dim=-1)

    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(ids) for ids in self.tokenizer(list(texts))["input_ids"])


_MODEL_ARGS = ("revision", "tokenizer", "hidden_act")


def create(location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> ClipAdapter:
    """Build ``clip:<location>``: a local directory or a hub id (from the local cache when offline).

    model_args: ``revision`` (hub), ``tokenizer`` (a directory or hub id, for open_clip
    checkpoints that ship none), ``hidden_act`` (open_clip checkpoints: quick_gelu or gelu).
    """
    if not location:
        raise UserError("clip: needs a checkpoint, e.g. clip:openai/clip-vit-base-patch32 or clip:/path/to/checkpoint")
    unknown = sorted(set(model_args) - set(_MODEL_ARGS))
    if unknown:
        raise UserError(f"clip: unknown --model-arg {', '.join(unknown)}; known: {', '.join(_MODEL_ARGS)}")
    path = resolve_checkpoint(location, revision=model_args.get("revision"))
    model = ClipModel.from_pretrained(path, dtype=torch_dtype(dtype), hidden_act=model_args.get("hidden_act"))
    tokenizer = _load_tokenizer(Path(model_args["tokenizer"]) if "tokenizer" in model_args else path, model_args.get("revision"))
    return ClipAdapter(model, tokenizer, _image_transform_for(path, model.config), device=device, dtype=dtype)


def _load_tokenizer(location: Path, revision: str | None) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(location), revision=revision)
    except (OSError, ValueError) as e:
        raise UserError(f"{location}: no usable tokenizer ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
                        f"pass one with --model-arg tokenizer=DIR_OR_HUB_ID") from None


def _image_transform_for(path: Path, config: ClipConfig) -> ImagePreprocessor:
    """The checkpoint's ``preprocessor_config.json`` when present, else CLIP's recipe at the tower's size."""
    preprocessor = path / "preprocessor_config.json"
    if preprocessor.is_file():
        return transform_from_preprocessor_config(json.loads(preprocessor.read_text(encoding="utf-8")))
    return clip_transform(config.vision.image_size)

"""LLaVA configuration: frozen dataclasses read from a Hugging Face ``config.json``, and size presets.

The vision tower's config is the shared :class:`VisionConfig` (a CLIP tower). Field names and
defaults follow transformers' ``CLIPVisionConfig``, ``LlamaConfig`` and ``LlavaConfig`` (5.x), because ``config.json`` files omit fields equal to those defaults (the
llava-hf checkpoints list only a handful of text fields). No torch import here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from mmbench.errors import UserError
from mmbench.models.builtin.configs import VisionConfig, check_vision, dataclass_from_dict

SelectStrategy = Literal["default", "full"]


@dataclass(frozen=True)
class TextConfig:
    """Llama-family decoder: RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP."""

    vocab_size: int = 32000
    hidden_size: int = 4096
    intermediate_size: int = 11008
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int = 32
    head_dim: int = 128
    hidden_act: str = "silu"
    max_position_embeddings: int = 2048
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    rope_type: str = "default"  # "default" or "linear"
    rope_factor: float = 1.0  # positions are divided by it for "linear" scaling
    attention_bias: bool = False
    mlp_bias: bool = False
    bos_token_id: int | None = 1
    eos_token_id: int | tuple[int, ...] | None = 2
    pad_token_id: int | None = None

    @property
    def num_key_value_groups(self) -> int:
        """Query heads sharing one key/value head (1 = multi-head, num_attention_heads = multi-query)."""
        return self.num_attention_heads // self.num_key_value_heads


@dataclass(frozen=True)
class LlavaConfig:
    """Vision tower + projector + decoder, and how image features enter the token sequence."""

    vision: VisionConfig
    text: TextConfig
    image_token_id: int = 32000
    vision_feature_layer: int | tuple[int, ...] = -2  # index into the tower's hidden states (0 = embeddings)
    vision_feature_select_strategy: SelectStrategy = "default"  # "default" drops the CLS token
    projector_hidden_act: str = "gelu"
    multimodal_projector_bias: bool = True
    tie_word_embeddings: bool = False  # LM head weight = token embeddings

    @property
    def feature_layers(self) -> tuple[int, ...]:
        layer = self.vision_feature_layer
        return (layer,) if isinstance(layer, int) else tuple(layer)

    @property
    def image_seq_length(self) -> int:
        """Image tokens per image in the decoder's input: patches, plus the CLS token for "full"."""
        return self.vision.num_patches + (1 if self.vision_feature_select_strategy == "full" else 0)


# ---- reading a transformers config.json ---------------------------------------------------------

# LlavaConfig's vision default when config.json has no vision_config: CLIP ViT-L/14 at 336 px.
_LLAVA_DEFAULT_VISION: dict[str, Any] = {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24,
                                         "num_attention_heads": 16, "image_size": 336, "patch_size": 14}
_SUPPORTED_TEXT_MODELS = ("llama", "mistral")


def config_from_hf(raw: dict[str, Any], source: str = "config.json") -> LlavaConfig:
    """A :class:`LlavaConfig` from the dict of a transformers ``LlavaConfig`` config.json."""
    if raw.get("model_type", "llava") != "llava":
        raise UserError(f"{source}: model_type {raw.get('model_type')!r} is not 'llava'; the built-in llava: "
                        f"adapter reads LlavaForConditionalGeneration checkpoints (try hf: for others)")
    vision_raw = raw.get("vision_config") or dict(_LLAVA_DEFAULT_VISION)
    text_raw = raw.get("text_config") or {}
    if vision_raw.get("model_type", "clip_vision_model") != "clip_vision_model":
        raise UserError(f"{source}: vision tower {vision_raw.get('model_type')!r} is not supported by llava: "
                        f"(CLIP only); use hf: for this checkpoint")
    if text_raw.get("model_type", "llama") not in _SUPPORTED_TEXT_MODELS:
        raise UserError(f"{source}: language model {text_raw.get('model_type')!r} is not supported by llava: "
                        f"(one of {', '.join(_SUPPORTED_TEXT_MODELS)}); use hf: for this checkpoint")
    if text_raw.get("sliding_window") is not None:
        raise UserError(f"{source}: sliding-window attention is not supported by llava:; use hf: for this checkpoint")
    text = _text_config(text_raw, source)
    layer = raw.get("vision_feature_layer", -2)
    strategy = raw.get("vision_feature_select_strategy", "default")
    if strategy not in ("default", "full"):
        raise UserError(f"{source}: vision_feature_select_strategy {strategy!r}; expected 'default' or 'full'")
    vision = check_vision(dataclass_from_dict(VisionConfig, vision_raw, source, layout="clip"), f"{source} vision_config")
    layers = (layer,) if isinstance(layer, int) else tuple(layer)
    if not layers or any(not -vision.num_hidden_layers - 1 <= int(i) <= vision.num_hidden_layers for i in layers):
        raise UserError(f"{source}: vision_feature_layer {layer} is out of range for a tower with {vision.num_hidden_layers} layers")
    return LlavaConfig(
        vision=vision,
        text=text,
        image_token_id=int(raw.get("image_token_id", raw.get("image_token_index", 32000))),
        vision_feature_layer=layer if isinstance(layer, int) else tuple(int(x) for x in layer),
        vision_feature_select_strategy=strategy,
        projector_hidden_act=raw.get("projector_hidden_act", "gelu"),
        multimodal_projector_bias=bool(raw.get("multimodal_projector_bias", True)),
        tie_word_embeddings=bool(raw.get("tie_word_embeddings", False) or text_raw.get("tie_word_embeddings", False)),
    )


def _text_config(raw: dict[str, Any], source: str) -> TextConfig:
    values = _pick_values(TextConfig, raw)
    hidden = int(raw.get("hidden_size", TextConfig.hidden_size))
    heads = int(raw.get("num_attention_heads", TextConfig.num_attention_heads))
    values["head_dim"] = int(raw.get("head_dim") or hidden // heads)
    values["num_key_value_heads"] = int(raw.get("num_key_value_heads") or heads)
    eos = raw.get("eos_token_id", TextConfig.eos_token_id)
    values["eos_token_id"] = tuple(eos) if isinstance(eos, list) else eos
    # transformers 5.x: rope_parameters {rope_type, rope_theta, factor}; 4.x: rope_theta + rope_scaling
    rope = dict(raw.get("rope_parameters") or raw.get("rope_scaling") or {})
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    if rope_type not in ("default", "linear"):
        raise UserError(f"{source}: rope type {rope_type!r} is not supported by llava: (default or linear); use hf:")
    values["rope_type"] = rope_type
    values["rope_theta"] = float(rope.get("rope_theta", raw.get("rope_theta", TextConfig.rope_theta)))
    values["rope_factor"] = float(rope.get("factor", 1.0)) if rope_type == "linear" else 1.0
    if heads < 1 or values["num_key_value_heads"] < 1 or heads % values["num_key_value_heads"]:
        raise UserError(f"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {values['num_key_value_heads']}")
    return TextConfig(**values)


def _pick_values(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in raw.items() if k in names}


# ---- presets: the released sizes (random weights; load a checkpoint for real ones) ------------

_CLIP_L14_336 = VisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                             image_size=336, patch_size=14)

#: LLaVA-1.5 as released by llava-hf (Vicuna-v1.5 decoders, CLIP ViT-L/14-336, 576 image tokens).
PRESETS: dict[str, LlavaConfig] = {
    "llava-1.5-7b": LlavaConfig(
        vision=_CLIP_L14_336,
        text=TextConfig(vocab_size=32064, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                        num_attention_heads=32, num_key_value_heads=32, head_dim=128,
                        max_position_embeddings=4096, rms_norm_eps=1e-5, pad_token_id=32001),
    ),
    "llava-1.5-13b": LlavaConfig(
        vision=_CLIP_L14_336,
        text=TextConfig(vocab_size=32064, hidden_size=5120, intermediate_size=13824, num_hidden_layers=40,
                        num_attention_heads=40, num_key_value_heads=40, head_dim=128,
                        max_position_embeddings=4096, rms_norm_eps=1e-5, pad_token_id=32001),
    ),
}


def preset(name: str) -> LlavaConfig:
    if name not in PRESETS:
        raise UserError(f"unknown LLaVA preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]

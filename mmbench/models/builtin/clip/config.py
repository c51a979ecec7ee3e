"""Built-in CLIP configuration: frozen dataclasses read from a transformers ``config.json``, and the
OpenAI release sizes. Field names and defaults follow transformers' ``CLIPTextConfig`` / ``CLIPConfig``
(config.json omits defaults); the image tower's is the shared :class:`VisionConfig`. No torch import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mmbench.errors import UserError
from mmbench.models.builtin.configs import VisionConfig, check_heads, check_vision, dataclass_from_dict

# Field names and defaults follow transformers' CLIPVisionConfig / CLIPTextConfig / CLIPConfig,
# because config.json files omit fields equal to those defaults.


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
    vision: VisionConfig = field(default_factory=VisionConfig)
    text: ClipTextConfig = field(default_factory=ClipTextConfig)
    projection_dim: int = 512
    logit_scale_init_value: float = 2.6592  # log(1 / 0.07)

    @classmethod
    def from_hf_dict(cls, config: Mapping[str, Any], where: str = "config.json") -> ClipConfig:
        """Read a transformers ``CLIPConfig`` dict (``config.json``); ``*_config_dict`` override ``*_config``."""
        if config.get("model_type", "clip") != "clip":
            raise UserError(f"{where}: model_type={config.get('model_type')!r}; the clip: adapter reads CLIP checkpoints (model_type 'clip')")
        vision = {**(config.get("vision_config") or {}), **(config.get("vision_config_dict") or {})}
        text = {**(config.get("text_config") or {}), **(config.get("text_config_dict") or {})}
        if isinstance(text.get("eos_token_id"), list):
            text["eos_token_id"] = text["eos_token_id"][0]
        text_config = dataclass_from_dict(ClipTextConfig, text, where)
        check_heads(text_config.hidden_size, text_config.num_attention_heads, f"{where} text_config")
        return cls(
            vision=check_vision(dataclass_from_dict(VisionConfig, vision, where, layout="clip"), f"{where} vision_config"),
            text=text_config,
            projection_dim=int(config.get("projection_dim", 512)),
            logit_scale_init_value=float(config.get("logit_scale_init_value", 2.6592)),
        )


_B32_VISION = VisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, patch_size=32)
_L14_VISION = VisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16, patch_size=14)
_L14_TEXT = ClipTextConfig(hidden_size=768, intermediate_size=3072, num_attention_heads=12)

#: The OpenAI release sizes (as in openai/clip-vit-*): instantiate with ``ClipModel(PRESETS[name])``.
PRESETS: dict[str, ClipConfig] = {
    "ViT-B/32": ClipConfig(vision=_B32_VISION, text=ClipTextConfig(), projection_dim=512),
    "ViT-B/16": ClipConfig(vision=replace(_B32_VISION, patch_size=16), text=ClipTextConfig(), projection_dim=512),
    "ViT-L/14": ClipConfig(vision=_L14_VISION, text=_L14_TEXT, projection_dim=768),
    "ViT-L/14-336": ClipConfig(vision=replace(_L14_VISION, image_size=336), text=_L14_TEXT, projection_dim=768),
}

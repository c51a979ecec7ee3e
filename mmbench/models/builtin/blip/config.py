"""BLIP configuration: frozen dataclasses read from a Hugging Face ``config.json``, and size presets.

Field names and defaults follow transformers' ``BlipVisionConfig`` / ``BlipTextConfig`` /
``BlipConfig`` (5.x), because ``config.json`` files written by transformers omit fields equal to
those defaults. The image tower's config is the shared :class:`VisionConfig` with BLIP's defaults
and the blip key layout. No torch import here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from mmbench.errors import UserError
from mmbench.models.builtin.configs import VisionConfig, check_heads, check_vision, dataclass_from_dict

#: ``config.json`` "architectures" entry -> head name used by :mod:`mmbench.models.builtin.blip.adapter`
HEAD_OF_ARCHITECTURE: dict[str, str] = {
    "BlipForConditionalGeneration": "caption",
    "BlipForQuestionAnswering": "vqa",
    "BlipForImageTextRetrieval": "itm",
}


#: transformers' ``BlipVisionConfig`` defaults: ViT-B/16 at 384 px, exact GELU, packed q/k/v keys
BLIP_VISION = VisionConfig(image_size=384, patch_size=16, hidden_act="gelu", layout="blip")


@dataclass(frozen=True)
class BlipTextConfig:
    """BERT-style text transformer (post-norm) with optional cross-attention to ``encoder_hidden_size`` memory."""

    vocab_size: int = 30524
    hidden_size: int = 768
    encoder_hidden_size: int = 768  # width of the memory it cross-attends to (the ViT width)
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 8
    max_position_embeddings: int = 512
    hidden_act: str = "gelu"
    layer_norm_eps: float = 1e-12
    bos_token_id: int = 30522  # "[DEC]": first token of every decoded sequence
    pad_token_id: int = 0
    sep_token_id: int = 102  # "[SEP]": end of a decoded sequence
    is_decoder: bool = True  # layers carry cross-attention weights
    tie_word_embeddings: bool = True  # LM head weight = word embeddings


@dataclass(frozen=True)
class BlipConfig:
    """A whole BLIP model: one image tower, one text width, the retrieval projection width."""

    vision: VisionConfig = BLIP_VISION
    text: BlipTextConfig = field(default_factory=BlipTextConfig)
    image_text_hidden_size: int = 256  # ITC embedding width (retrieval head)
    tie_word_embeddings: bool = True

    @classmethod
    def from_hf_dict(cls, config: dict[str, Any], where: str = "config.json") -> BlipConfig:
        """Read a transformers ``BlipConfig`` dict (``config.json``), filling omitted fields with its defaults."""
        vision = dataclass_from_dict(VisionConfig, config.get("vision_config") or {}, where, defaults=BLIP_VISION,
                                     num_channels=3, layout="blip")
        text = dataclass_from_dict(BlipTextConfig, config.get("text_config") or {}, where)
        check_heads(text.hidden_size, text.num_attention_heads, f"{where} text_config")
        # transformers always sets the text memory width to the vision width (BlipConfig.__post_init__)
        text = replace(text, encoder_hidden_size=vision.hidden_size)
        return cls(vision=check_vision(vision, f"{where} vision_config"), text=text,
                   image_text_hidden_size=int(config.get("image_text_hidden_size", 256)),
                   tie_word_embeddings=bool(config.get("tie_word_embeddings", True)))


def head_from_hf_dict(config: dict[str, Any], where: str) -> str:
    """``"caption"``, ``"vqa"`` or ``"itm"`` from ``config.json`` "architectures"."""
    for arch in config.get("architectures") or []:
        if arch in HEAD_OF_ARCHITECTURE:
            return HEAD_OF_ARCHITECTURE[arch]
    raise UserError(f"{where}: config.json architectures {config.get('architectures')} name no BLIP head; "
                    f"expected one of {sorted(HEAD_OF_ARCHITECTURE)}")


# Real sizes (Salesforce BLIP checkpoints on the Hugging Face hub): ViT-B/16 or ViT-L/16 at 384 px and
# a BERT-base text transformer (12 heads). LAVIS fine-tunes VQA at 480 px by interpolating the
# position embeddings; the converted transformers VQA checkpoints keep 384.
_BERT_BASE = BlipTextConfig(num_attention_heads=12)
PRESETS: dict[str, BlipConfig] = {
    "blip-base": BlipConfig(vision=BLIP_VISION, text=_BERT_BASE),
    "blip-large": BlipConfig(
        vision=replace(BLIP_VISION, hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16),
        text=replace(_BERT_BASE, encoder_hidden_size=1024),
    ),
}

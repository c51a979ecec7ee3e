"""BLIP configuration: frozen dataclasses read from a Hugging Face ``config.json``, and size presets.

Field names and defaults follow transformers' ``BlipVisionConfig`` / ``BlipTextConfig`` /
``BlipConfig`` (5.x), because ``config.json`` files written by transformers omit fields equal to
those defaults. No torch import here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from mmbench.errors import UserError

#: ``config.json`` "architectures" entry -> head name used by :mod:`mmbench.models.blip`
HEAD_OF_ARCHITECTURE: dict[str, str] = {
    "BlipForConditionalGeneration": "caption",
    "BlipForQuestionAnswering": "vqa",
    "BlipForImageTextRetrieval": "itm",
}


@dataclass(frozen=True)
class BlipVisionConfig:
    """ViT image encoder (pre-norm, class token, learned positions, final LayerNorm)."""

    hidden_size: int = 768
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    image_size: int = 384  # pixels, square
    patch_size: int = 16  # pixels
    hidden_act: str = "gelu"
    layer_norm_eps: float = 1e-5

    @property
    def num_positions(self) -> int:
        """Class token + patches."""
        return (self.image_size // self.patch_size) ** 2 + 1


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

    vision: BlipVisionConfig = field(default_factory=BlipVisionConfig)
    text: BlipTextConfig = field(default_factory=BlipTextConfig)
    image_text_hidden_size: int = 256  # ITC embedding width (retrieval head)
    tie_word_embeddings: bool = True

    @classmethod
    def from_hf_dict(cls, config: dict[str, Any]) -> BlipConfig:
        """Read a transformers ``BlipConfig`` dict (``config.json``), filling omitted fields with its defaults."""
        vision = _dataclass_from(BlipVisionConfig, config.get("vision_config") or {})
        text = _dataclass_from(BlipTextConfig, config.get("text_config") or {})
        # transformers always sets the text memory width to the vision width (BlipConfig.__post_init__)
        text = replace(text, encoder_hidden_size=vision.hidden_size)
        return cls(vision=vision, text=text,
                   image_text_hidden_size=int(config.get("image_text_hidden_size", 256)),
                   tie_word_embeddings=bool(config.get("tie_word_embeddings", True)))


def head_from_hf_dict(config: dict[str, Any], where: str) -> str:
    """``"caption"``, ``"vqa"`` or ``"itm"`` from ``config.json`` "architectures"."""
    for arch in config.get("architectures") or []:
        if arch in HEAD_OF_ARCHITECTURE:
            return HEAD_OF_ARCHITECTURE[arch]
    raise UserError(f"{where}: config.json architectures {config.get('architectures')} name no BLIP head; "
                    f"expected one of {sorted(HEAD_OF_ARCHITECTURE)}")


def _dataclass_from(cls: type, values: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    kept = {k: v for k, v in values.items() if k in known and v is not None}
    for key in ("image_size", "patch_size"):  # transformers allows [h, w]; BLIP checkpoints are square
        if isinstance(kept.get(key), (list, tuple)):
            kept[key] = int(kept[key][0])
    return cls(**kept)


# Real sizes (Salesforce BLIP checkpoints on the Hugging Face hub): ViT-B/16 or ViT-L/16 at 384 px and
# a BERT-base text transformer (12 heads). LAVIS fine-tunes VQA at 480 px by interpolating the
# position embeddings; the converted transformers VQA checkpoints keep 384.
_BERT_BASE = BlipTextConfig(num_attention_heads=12)
PRESETS: dict[str, BlipConfig] = {
    "blip-base": BlipConfig(vision=BlipVisionConfig(), text=_BERT_BASE),
    "blip-large": BlipConfig(
        vision=BlipVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16),
        text=replace(_BERT_BASE, encoder_hidden_size=1024),
    ),
}

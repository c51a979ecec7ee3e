"""Reading transformers ``config.json`` dicts into the built-in models' frozen dataclasses (no torch).

Field names and defaults follow transformers' config classes, because ``config.json`` files omit
fields equal to those defaults. :class:`VisionConfig` is the one ViT config of CLIP, BLIP and
LLaVA (:mod:`mmbench.models.builtin.vit`). Every problem is a :class:`UserError` naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, TypeVar

from mmbench.errors import UserError

Layout = Literal["clip", "blip"]
T = TypeVar("T")


@dataclass(frozen=True)
class VisionConfig:
    """A ViT image tower; defaults of transformers' ``CLIPVisionConfig``; ``layout`` names the checkpoint keys."""

    hidden_size: int = 768
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    num_channels: int = 3
    image_size: int = 224  # pixels, square
    patch_size: int = 32  # pixels, square
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    layout: Layout = "clip"

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    @property
    def num_positions(self) -> int:
        """Class token + patches."""
        return self.num_patches + 1

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads


def dataclass_from_dict(cls: type[T], values: Mapping[str, Any], where: str = "config.json", *, defaults: T | None = None,
                        **overrides: Any) -> T:
    """Known fields of ``values`` only (None means the default: ``defaults``' value, else the field's);
    square sizes given as [h, w] become one int; ``overrides`` win over both."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    kwargs = asdict(defaults) if defaults is not None else {}  # type: ignore[call-overload]
    kwargs.update({k: v for k, v in values.items() if k in known and v is not None})
    for key in ("image_size", "patch_size"):
        if isinstance(kwargs.get(key), (list, tuple)):
            height, width = kwargs[key]
            if height != width:
                raise UserError(f"{where}: non-square {key}={list(kwargs[key])} is not supported by the built-in models")
            kwargs[key] = int(height)
    kwargs.update(overrides)
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise UserError(f"{where}: unusable config values ({e})") from None


def check_heads(width: int, heads: int, where: str) -> None:
    """The width must split evenly into attention heads."""
    if heads < 1 or width % heads:
        raise UserError(f"{where}: hidden_size {width} is not a multiple of num_attention_heads {heads}")


def check_vision(config: VisionConfig, where: str) -> VisionConfig:
    """A vision config that can build a tower; a UserError naming the file otherwise."""
    check_heads(config.hidden_size, config.num_attention_heads, where)
    if config.patch_size < 1 or config.image_size % config.patch_size:
        raise UserError(f"{where}: image_size {config.image_size} is not a multiple of patch_size {config.patch_size}")
    return config

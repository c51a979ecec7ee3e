"""The ``hf:`` adapter: a transformers checkpoint (local directory or hub id), family from config.json.

``FAMILIES`` is the registry: each row names the adapter class and the config.json ``architectures``
or ``model_type`` values it serves. Architectures are tried first (the three BLIP heads share
``model_type: blip``), then the model type, then any model type transformers can load with
``AutoModelForImageTextToText`` (generic chat-template generation). ``--model-arg family=NAME``
overrides the choice.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from mmbench.errors import UserError
from mmbench.models.checkpoint import read_config, resolve_checkpoint
from mmbench.models.hf.common import HFAdapter, HFOptions


@dataclass(frozen=True)
class Family:
    """One supported checkpoint family: which adapter class serves which configs."""

    name: str
    adapter: str  # "module:Class"
    architectures: tuple[str, ...] = ()
    model_types: tuple[str, ...] = ()
    example: str = ""

    def load_class(self) -> type[HFAdapter]:
        module, _, attr = self.adapter.partition(":")
        cls: type[HFAdapter] = getattr(importlib.import_module(module), attr)
        return cls


GENERIC = Family("image-text-to-text", "mmbench.models.hf.chat:HFImageTextToTextAdapter",
                 example="any AutoModelForImageTextToText checkpoint with a chat template")

FAMILIES: tuple[Family, ...] = (
    Family("clip", "mmbench.models.hf.clip:HFClipAdapter", ("CLIPModel",), ("clip",), "openai/clip-vit-base-patch32"),
    Family("siglip", "mmbench.models.hf.clip:HFSiglipAdapter", ("SiglipModel",), ("siglip",), "google/siglip-base-patch16-224"),
    Family("blip-caption", "mmbench.models.hf.blip:HFBlipCaptionAdapter", ("BlipForConditionalGeneration",), (),
           "Salesforce/blip-image-captioning-base"),
    Family("blip-vqa", "mmbench.models.hf.blip:HFBlipVqaAdapter", ("BlipForQuestionAnswering",), (), "Salesforce/blip-vqa-base"),
    Family("blip-itm", "mmbench.models.hf.blip:HFBlipItmAdapter", ("BlipForImageTextRetrieval",), (), "Salesforce/blip-itm-base-coco"),
    Family("blip-2", "mmbench.models.hf.chat:HFBlip2Adapter", ("Blip2ForConditionalGeneration",), (), "Salesforce/blip2-opt-2.7b"),
    Family("llava", "mmbench.models.hf.chat:HFLlavaAdapter", ("LlavaForConditionalGeneration",), ("llava",),
           "llava-hf/llava-1.5-7b-hf"),
    Family("llava-next", "mmbench.models.hf.chat:HFLlavaNextAdapter", ("LlavaNextForConditionalGeneration",), ("llava_next",),
           "llava-hf/llava-v1.6-mistral-7b-hf"),
    GENERIC,
)


def create(location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> HFAdapter:
    """Build the adapter for ``hf:<location>``; ``model_args`` are ``--model-arg`` strings (see :class:`HFOptions`)."""
    if not location:
        raise UserError("hf: needs a checkpoint: hf:<local dir or hub id>, e.g. hf:openai/clip-vit-base-patch32")
    options = HFOptions.parse(model_args, device=device, dtype=dtype)
    checkpoint = resolve_checkpoint(location, options.revision)
    family = by_name(options.family) if options.family else choose_family(read_config(checkpoint), str(checkpoint))
    return family.load_class()(checkpoint, options)


def by_name(name: str) -> Family:
    for family in FAMILIES:
        if family.name == name:
            return family
    raise UserError(f"hf: unknown family {name!r}; known: {', '.join(f.name for f in FAMILIES)}")


def choose_family(config: dict[str, Any], where: str) -> Family:
    """The family serving a config.json: by architecture, then model type, then the generic fallback."""
    by_architecture = {arch: f for f in FAMILIES for arch in f.architectures}
    by_model_type = {model_type: f for f in FAMILIES for model_type in f.model_types}
    for architecture in config.get("architectures") or []:
        if architecture in by_architecture:
            return by_architecture[architecture]
    model_type = str(config.get("model_type", ""))
    if model_type in by_model_type:
        return by_model_type[model_type]
    if model_type in _image_text_to_text_types() or "AutoModelForImageTextToText" in (config.get("auto_map") or {}):
        return GENERIC
    supported = ", ".join(f.name for f in FAMILIES)
    raise UserError(f"{where}: model_type {model_type!r} (architectures {config.get('architectures')}) is not a supported "
                    f"hf: family ({supported}); pass --model-arg family=NAME to force one")


def _image_text_to_text_types() -> set[str]:
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES,
    )

    return set(MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES)

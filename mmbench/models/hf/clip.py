"""Dual encoders through transformers: CLIP (``CLIPModel``), SigLIP (``SiglipModel``), SigLIP 2
(``Siglip2Model``) and any checkpoint whose model offers ``get_image_features`` / ``get_text_features``.

Embeddings are the projected pooled features of ``get_image_features`` / ``get_text_features``,
L2-normalised in float32. Ranking by cosine similarity is ranking by the models' own logits:
CLIP's are ``exp(logit_scale) * cos``, SigLIP's sigmoid logits ``exp(logit_scale) * cos + logit_bias``,
ALIGN's ``cos / temperature``, all increasing in ``cos``; :meth:`HFDualEncoderAdapter.similarity_to_logits`
applies them.

CLIP and SigLIP take one fixed-size pixel tensor per image. SigLIP 2's variable-resolution
("NaFlex") processor makes three inputs per image: ``pixel_values`` (max_num_patches, 3 * patch**2)
patches, ``pixel_attention_mask`` (max_num_patches,) marking the real ones and ``spatial_shapes``
(2,) the patch grid; :class:`CheckpointImageInputs` keeps every input the processor makes and
:class:`TensorBatch` stacks them, so the model sees exactly what the model card's
``processor(images=...)`` call gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mmbench.errors import UserError
from mmbench.models.base import ImageTransform
from mmbench.models.hf.common import CheckpointImageTransform, HFAdapter, pooled

if TYPE_CHECKING:
    import torch

_PROCESSORS: dict[tuple[str, bool], Any] = {}


@dataclass(frozen=True)
class CheckpointImageInputs:
    """Picklable: PIL image -> every tensor the checkpoint's processor makes of it, as a dict without
    the batch dimension (``pixel_values`` and, for SigLIP 2, ``pixel_attention_mask`` and ``spatial_shapes``).

    The processor (not the bare image processor) is called, as the model cards do: a processor's
    own image defaults (SigLIP 2's ``patch_size`` / ``max_num_patches``) override its image
    processor's. Loaded once per process (each DataLoader worker loads its own copy).
    """

    checkpoint: str
    trust_remote_code: bool = False

    def __call__(self, image: Any) -> dict[str, torch.Tensor]:
        key = (self.checkpoint, self.trust_remote_code)
        processor = _PROCESSORS.get(key)
        if processor is None:
            from transformers import AutoProcessor

            processor = AutoProcessor.from_pretrained(self.checkpoint, trust_remote_code=self.trust_remote_code)
            _PROCESSORS[key] = processor
        outputs = processor(images=[image.convert("RGB")], return_tensors="pt")
        return {name: value[0] for name, value in outputs.items() if hasattr(value, "dim")}


class TensorBatch(dict):  # type: ignore[type-arg]
    """Named tensors of one batch, each with the batch on dim 0; ``batch[a:b]`` slices every one
    (the runner splits a batch that ran out of memory that way)."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return TensorBatch({name: value[key] for name, value in self.items()})
        return super().__getitem__(key)

    def __len__(self) -> int:
        return len(next(iter(self.values()))) if dict.__len__(self) else 0

    @classmethod
    def stack(cls, items: list[dict[str, torch.Tensor]]) -> TensorBatch:
        import torch

        names = list(items[0])
        shapes = {name: {tuple(item[name].shape) for item in items} for name in names}
        uneven = [f"{name} {sorted(found)}" for name, found in shapes.items() if len(found) > 1]
        if uneven:
            raise UserError(f"the processor made inputs of different shapes for the images of one batch ({'; '.join(uneven)}); "
                            f"run with --batch-size 1")
        return cls({name: torch.stack([item[name] for item in items]) for name in names})


class HFDualEncoderAdapter(HFAdapter):
    """Shared encode logic; subclasses fix the tokenizer padding convention."""

    #: "longest" (CLIP: pad to the batch's longest text) or "max_length" (SigLIP: trained on fixed-length text)
    text_padding: ClassVar[str] = "longest"

    def image_transform(self) -> ImageTransform:
        return CheckpointImageTransform(str(self.checkpoint), self.options.trust_remote_code)

    def encode_images(self, images: Any) -> torch.Tensor:
        import torch

        inputs = self.to_device(images) if isinstance(images, dict) else {"pixel_values": self.pixels(images)}
        with torch.inference_mode():
            features = pooled(self.model.get_image_features(**inputs))  # (N, D)
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        import torch

        inputs = self.tokenizer(list(texts), padding=self.text_padding, truncation=True,
                                max_length=self.max_text_length(), return_tensors="pt")
        with torch.inference_mode():
            features = pooled(self.model.get_text_features(**self.to_device(inputs)))  # (M, D)
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def max_text_length(self) -> int | None:
        """The tokenizer's limit, capped by the text tower's position table (77 for CLIP, 64 for SigLIP);
        None when neither is known (a tokenizer without a limit, a config without a position table)."""
        limits = [int(self.tokenizer.model_max_length)] if self.tokenizer.model_max_length < 10**9 else []
        text_config = getattr(self.model.config, "text_config", None)
        positions = getattr(text_config, "max_position_embeddings", None) if text_config is not None else None
        limits += [int(positions)] if positions else []
        return min(limits) if limits else None

    def similarity_to_logits(self, similarity: torch.Tensor) -> torch.Tensor:
        """Cosine similarities -> the model's own logits (CLIP: scaled; SigLIP: scaled plus bias, sigmoid
        logits; ALIGN: divided by its temperature; a model with none of these: the similarities)."""
        logits = similarity.float()
        scale = getattr(self.model, "logit_scale", None)
        temperature = getattr(self.model, "temperature", None)
        if scale is not None:
            logits = logits * scale.detach().float().exp().to(similarity.device)
        elif temperature is not None:
            logits = logits / temperature.detach().float().to(similarity.device)
        bias = getattr(self.model, "logit_bias", None)
        return logits + bias.detach().float().to(similarity.device) if bias is not None else logits


class HFClipAdapter(HFDualEncoderAdapter):
    """CLIP (openai/clip-vit-*, laion CLIP in HF format)."""

    family = "clip"
    model_class = "CLIPModel"
    text_padding = "longest"


class HFSiglipAdapter(HFDualEncoderAdapter):
    """SigLIP (google/siglip-*): texts padded to max_length as the model card does; pooling reads the last token."""

    family = "siglip"
    model_class = "SiglipModel"
    text_padding = "max_length"


class HFDualEncoderFromProcessorAdapter(HFDualEncoderAdapter):
    """Any transformers model with ``get_image_features`` and ``get_text_features`` (ALIGN, AltCLIP,
    Chinese-CLIP, MetaCLIP 2, ...), loaded with ``AutoModel``: images through the checkpoint's
    processor (every input it makes), texts through its tokenizer padded as the processor's own
    text defaults say (``padding`` / ``max_length``; "longest" where it says nothing)."""

    family = "dual-encoder"
    model_class = "AutoModel"

    def __init__(self, checkpoint: Any, options: Any, *args: Any) -> None:
        super().__init__(checkpoint, options, *args)
        missing = [m for m in ("get_image_features", "get_text_features") if not callable(getattr(self.model, m, None))]
        if missing:
            raise UserError(f"{checkpoint}: {type(self.model).__name__} has no {' or '.join(missing)}, so it cannot embed "
                            f"images and texts; pass --model-arg family=NAME for one of the families in `mmbench list models`")
        defaults = processor_text_defaults(self.processor)
        self.text_padding = defaults.get("padding", self.text_padding)  # type: ignore[misc]
        self._processor_max_length = defaults.get("max_length")

    def image_transform(self) -> ImageTransform:
        return CheckpointImageInputs(str(self.checkpoint), self.options.trust_remote_code)

    def collate_images(self, items: list[Any]) -> Any:
        if items and all(isinstance(item, dict) for item in items):
            return TensorBatch.stack(items)
        return super().collate_images(items)

    def max_text_length(self) -> int | None:
        limits = [n for n in (self._processor_max_length, super().max_text_length()) if n]
        return min(int(n) for n in limits) if limits else None


class HFSiglip2Adapter(HFDualEncoderFromProcessorAdapter):
    """SigLIP 2 (google/siglip2-*, fixed-resolution and NaFlex): the processor's variable-resolution
    patches with their ``pixel_attention_mask`` and ``spatial_shapes``; texts lower-cased by its
    tokenizer and padded to ``max_length`` (64), as it was trained and as the model card calls it."""

    family = "siglip2"
    model_class = "Siglip2Model"
    text_padding = "max_length"


def processor_text_defaults(processor: Any) -> dict[str, Any]:
    """The text settings a processor class applies by default (SigLIP 2: ``padding="max_length"``,
    ``max_length=64``): its ``text_kwargs`` class defaults, or the older ``_defaults`` table."""
    defaults: dict[str, Any] = {}
    kwargs_class = getattr(processor, "valid_processor_kwargs", None)
    legacy = getattr(kwargs_class, "_defaults", None) or {}
    defaults.update(legacy.get("text_kwargs", {}) if isinstance(legacy, dict) else {})
    declared = getattr(type(processor), "text_kwargs", None)
    defaults.update(declared if isinstance(declared, dict) else {})
    return defaults

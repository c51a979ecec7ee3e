"""Dual encoders through transformers: CLIP (``CLIPModel``) and SigLIP (``SiglipModel``).

Embeddings are the projected pooled features of ``get_image_features`` / ``get_text_features``,
L2-normalised in float32. Ranking by cosine similarity is ranking by the models' own logits:
CLIP's are ``exp(logit_scale) * cos``, SigLIP's sigmoid logits ``exp(logit_scale) * cos + logit_bias``,
both increasing in ``cos``; :meth:`HFDualEncoderAdapter.similarity_to_logits` applies them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mmbench.models.base import ImageTransform
from mmbench.models.hf.common import CheckpointImageTransform, HFAdapter, pooled

if TYPE_CHECKING:
    import torch


class HFDualEncoderAdapter(HFAdapter):
    """Shared encode logic; subclasses fix the tokenizer padding convention."""

    #: "longest" (CLIP: pad to the batch's longest text) or "max_length" (SigLIP: trained on fixed-length text)
    text_padding: ClassVar[str] = "longest"

    def image_transform(self) -> ImageTransform:
        return CheckpointImageTransform(str(self.checkpoint), self.options.trust_remote_code)

    def encode_images(self, images: Any) -> torch.Tensor:
        import torch

        with torch.inference_mode():
            features = pooled(self.model.get_image_features(pixel_values=self.pixels(images)))  # (N, D)
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        import torch

        inputs = self.tokenizer(list(texts), padding=self.text_padding, truncation=True,
                                max_length=self.max_text_length(), return_tensors="pt")
        with torch.inference_mode():
            features = pooled(self.model.get_text_features(**self.to_device(inputs)))  # (M, D)
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def max_text_length(self) -> int:
        """The tokenizer's limit, capped by the text tower's position table (77 for CLIP, 64 for SigLIP)."""
        positions = int(self.model.config.text_config.max_position_embeddings)
        return min(int(self.tokenizer.model_max_length), positions)

    def similarity_to_logits(self, similarity: torch.Tensor) -> torch.Tensor:
        """Cosine similarities -> the model's own logits (CLIP: scaled; SigLIP: scaled plus bias, sigmoid logits)."""
        scale = self.model.logit_scale.detach().float().exp().to(similarity.device)
        bias = getattr(self.model, "logit_bias", None)
        logits = similarity.float() * scale
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

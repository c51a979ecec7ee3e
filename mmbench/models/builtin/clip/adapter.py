"""``clip:<dir-or-hub-id>``: the built-in CLIP (:mod:`mmbench.models.builtin.clip.model`) as a dual encoder.

Hugging Face CLIP checkpoints load as they are; a directory without ``config.json`` holding an
OpenAI / open_clip state dict is converted (:mod:`mmbench.models.builtin.clip.openai`). Texts go
through the checkpoint's tokenizer, truncated to the context; images through the checkpoint's
``preprocessor_config.json``, else CLIP's recipe at the tower's size. No torch import at module level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmbench.errors import UserError
from mmbench.models.base import ModelAdapter
from mmbench.models.checkpoint import load_image_transform, load_tokenizer, resolve_checkpoint, torch_dtype
from mmbench.models.options import AdapterOptions

if TYPE_CHECKING:
    import torch

    from mmbench.models.builtin.clip.model import ClipModel
    from mmbench.models.preprocess import ImagePreprocessor


@dataclass(frozen=True)
class ClipOptions(AdapterOptions):
    """``revision`` (hub); ``tokenizer``: a directory or hub id, for open_clip checkpoints that ship
    none; ``hidden_act``: open_clip checkpoints' activation (quick_gelu or gelu)."""

    adapter = "clip"
    revision: str | None = None
    tokenizer: str | None = None
    hidden_act: str | None = None


class ClipAdapter(ModelAdapter):
    """Built-in plain-PyTorch CLIP loading Hugging Face (or OpenAI / open_clip) CLIP checkpoints."""

    adapter_name = "clip"
    options_class = ClipOptions

    def __init__(self, model: ClipModel, tokenizer: Any, transform: ImagePreprocessor, *, device: str = "cpu", dtype: str = "float32") -> None:
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.transform = transform
        self.device = device
        self.dtype = dtype
        self.context_length = model.config.text.max_position_embeddings

    @classmethod
    def create(cls, location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> ClipAdapter:
        """Build ``clip:<location>``: a local directory or a hub id (from the local cache when offline)."""
        from mmbench.models.builtin.clip.model import ClipModel
        from mmbench.models.preprocess import clip_transform

        if not location:
            raise UserError("clip: needs a checkpoint, e.g. clip:openai/clip-vit-base-patch32 or clip:/path/to/checkpoint")
        options = ClipOptions.parse(model_args)
        path = resolve_checkpoint(location, revision=options.revision)
        model = ClipModel.from_pretrained(path, dtype=torch_dtype(dtype), hidden_act=options.hidden_act)
        tokenizer = load_tokenizer(options.tokenizer or path, revision=options.revision,
                                   hint="pass one with --model-arg tokenizer=DIR_OR_HUB_ID")
        transform = load_image_transform(path, clip_transform(model.config.vision.image_size))
        return cls(model, tokenizer, transform, device=device, dtype=dtype)

    def image_transform(self) -> ImagePreprocessor:
        return self.transform

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) from ``image_transform`` -> (N, P) float32, L2-normalised."""
        import torch

        with torch.inference_mode():
            pixels = images.to(self.device, dtype=self.model.logit_scale.dtype)
            return torch.nn.functional.normalize(self.model.encode_image(pixels).float(), dim=-1)

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        """M texts -> (M, P) float32, L2-normalised; tokenised with the checkpoint's tokenizer, truncated to the context."""
        import torch

        tokens = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.context_length, return_tensors="pt")
        with torch.inference_mode():
            return torch.nn.functional.normalize(self.model.encode_text(tokens["input_ids"].to(self.device)).float(), dim=-1)

    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(ids) for ids in self.tokenizer(list(texts))["input_ids"])


create = ClipAdapter.create

"""The model adapter contract: batch in, batch out, fixed return types.

An adapter implements any subset of ``encode_images``, ``encode_texts``, ``generate`` and
``match``; its capabilities are derived from which of them it overrides, so a task can refuse a
model before any data is read. Image preprocessing is a separate, picklable callable
(``image_transform``) so that DataLoader worker processes run it while the model computes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mmbench.types import Capability, GenerationConfig

if TYPE_CHECKING:
    from mmbench.models.options import AdapterOptions
    import torch
    from PIL import Image

ImageTransform = Callable[["Image.Image"], Any]


class ModelAdapter:
    """Base class of every model adapter.

    Contracts (N images, M texts, D embedding width):
    - ``encode_images(batch) -> Tensor (N, D)``, float32, L2-normalised rows, on CPU or device.
    - ``encode_texts(texts) -> Tensor (M, D)``, float32, L2-normalised rows.
    - ``generate(batch, prompts, cfg) -> list[str]``, one string per image, prompt stripped.
    - ``match(batch, texts) -> Tensor (N,)``: image-text matching score of aligned pairs
      (image i with text i), higher is better (BLIP ITM logit).
    ``batch`` is what ``collate_images`` made of the outputs of ``image_transform``.
    """

    #: registry name of the adapter kind ("hf", "clip", "mock", ...)
    adapter_name: ClassVar[str] = "base"
    #: which of a task's prompt templates suits the model: "instruction" (chat models: LLaVA,
    #: BLIP-2 ...) or "plain" (BLIP captioning / VQA heads, which take the bare question).
    prompt_style: ClassVar[str] = "instruction"
    #: the ``--model-arg`` options ``create`` accepts; the run's preflight checks them before any
    #: model loads (None: ``create`` checks its own, once called)
    options_class: ClassVar[type[AdapterOptions] | None] = None
    #: True when the number of image tokens in the model's input depends on the image's size
    #: (LLaVA-NeXT's any-resolution tiles): generation then batches images of equal counts together
    image_tokens_vary: ClassVar[bool] = False
    #: the spec the adapter was built from ("hf:openai/clip-vit-base-patch32")
    spec: str = ""
    device: str = "cpu"
    dtype: str = "float32"

    # ---- construction and capabilities ----------------------------------------------------------
    @classmethod
    def create(cls, location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> ModelAdapter:
        """Build the adapter for ``KIND:location`` (the factory a model registry entry names)."""
        raise NotImplementedError(f"{cls.__name__} has no create()")

    @classmethod
    def class_capabilities(cls) -> frozenset[Capability]:
        """The capabilities the class implements (the methods it overrides)."""
        return frozenset(c for c in Capability if _overrides(cls, c.value))

    @classmethod
    def capabilities_for(cls, checkpoint: Path | None) -> frozenset[Capability] | None:
        """What the adapter built from ``checkpoint`` will offer, as far as the class and the
        checkpoint's config.json tell without loading anything (None: known only once loaded)."""
        return cls.class_capabilities()

    @classmethod
    def offers(cls, location: str | None = None) -> str:
        """What ``mmbench list models`` shows: derived from the class (kinds with variants override it)."""
        return ", ".join(sorted(c.value for c in cls.class_capabilities()))

    @property
    def capabilities(self) -> frozenset[Capability]:
        return type(self).class_capabilities()

    @classmethod
    def endpoint_problems(cls, location: str | None, model_args: dict[str, Any]) -> list[str]:
        """Problems found by asking a served model's endpoint, before the run (one line each; served kinds)."""
        return []

    # ---- preprocessing (runs in DataLoader workers: must be picklable) ------------------------
    def image_transform(self) -> ImageTransform:
        """A picklable callable PIL RGB image -> model input for one image (default: the image)."""
        return _identity

    def collate_images(self, items: list[Any]) -> Any:
        """Batch the outputs of ``image_transform``: tensors are stacked, anything else listed."""
        import torch

        if items and all(isinstance(x, torch.Tensor) for x in items):
            shapes = {tuple(x.shape) for x in items}
            if len(shapes) == 1:
                return torch.stack(items)
        return list(items)

    # ---- the four capabilities ------------------------------------------------------------------
    def encode_images(self, images: Any) -> torch.Tensor:
        raise NotImplementedError

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        raise NotImplementedError

    def generate(self, images: Any, prompts: list[str], cfg: GenerationConfig) -> list[str]:
        raise NotImplementedError

    def match(self, images: Any, texts: list[str]) -> torch.Tensor:
        raise NotImplementedError

    # ---- identity, for results and caches -------------------------------------------------------
    def weights_digest(self) -> str:
        """A digest of the weights (default: hash of the state dict's names, shapes and bytes)."""
        module = getattr(self, "model", None)
        if module is None or not hasattr(module, "state_dict"):
            return "none"
        h = hashlib.sha256()
        for name, tensor in sorted(module.state_dict().items()):
            h.update(name.encode())
            h.update(str(tuple(tensor.shape)).encode())
            h.update(tensor.detach().to("cpu").contiguous().view(-1).view(dtype=_byte_dtype()).numpy().tobytes())
        return h.hexdigest()[:16]

    @property
    def fingerprint(self) -> str:
        """adapter + weights hash + dtype: stable across runs, different when any of them changes."""
        cached = getattr(self, "_fingerprint", None)
        if cached is None:
            cached = f"{self.adapter_name}-{self.weights_digest()}-{self.dtype}"
            self._fingerprint = cached
        return cached

    @property
    def num_parameters(self) -> int | None:
        module = getattr(self, "model", None)
        if module is None or not hasattr(module, "parameters"):
            return None
        return sum(p.numel() for p in module.parameters())

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens in generated texts, for tokens/s (default: whitespace words)."""
        return sum(len(t.split()) for t in texts)

    def prompt_length(self, prompt: str) -> int:
        """Length of a task prompt in the model's tokens, to batch prompts of equal length together
        (default: :meth:`count_tokens` of the prompt)."""
        return self.count_tokens([prompt])

    def image_token_count(self, width: int, height: int) -> int:
        """Image tokens the model's input holds for an image of ``width`` x ``height`` pixels, computed
        from the preprocessing alone (no model call); only asked when :attr:`image_tokens_vary`."""
        raise NotImplementedError(f"{type(self).__name__} sets image_tokens_vary but has no image_token_count")

    def store_model_args(self, model_args: dict[str, Any]) -> dict[str, Any]:
        """The ``--model-arg`` values that are part of the prediction store's key (default: all)."""
        return dict(model_args)

    def public_model_args(self, model_args: dict[str, Any]) -> dict[str, Any]:
        """The ``--model-arg`` values as result files record them (default: as given)."""
        return dict(model_args)

    def describe(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "adapter": self.adapter_name,
            "fingerprint": self.fingerprint,
            "num_parameters": self.num_parameters,
            "dtype": self.dtype,
            "device": self.device,
            "capabilities": sorted(c.value for c in self.capabilities),
        }


def _identity(image: Any) -> Any:
    return image


def _byte_dtype() -> Any:
    import torch

    return torch.uint8


def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method, None) is not getattr(ModelAdapter, method)

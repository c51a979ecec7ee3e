"""The model adapter contract: batch in, batch out, fixed return types.

An adapter implements any subset of ``encode_images``, ``encode_texts``, ``generate``, ``match``
and ``score_continuations``; its capabilities are derived from which of them it overrides, so a
task can refuse a model before any data is read. Image preprocessing is a separate, picklable callable
(``image_transform``) so that DataLoader worker processes run it while the model computes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mmbench.conversation import Conversation, images_in, joined_text, prompt_text
from mmbench.errors import UserError
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
    - ``generate(conversations, cfg) -> list[str]``, one string per conversation (one per sample),
      prompt stripped. A conversation is OpenAI's chat shape with images as objects
      (:mod:`mmbench.conversation`); its image parts hold the outputs of ``image_transform``.
    - ``match(batch, texts) -> Tensor (N,)``: image-text matching score of aligned pairs
      (image i with text i), higher is better (BLIP ITM logit).
    - ``score_continuations(conversations, continuations) -> list[list[float]]``: for conversation i
      and each text in ``continuations[i]``, the sum of the natural-log probabilities of the text's
      tokens following the prompt the model is given (the rendered conversation and its generation
      prompt, as ``generate`` sees it); one list per conversation, in continuation order.
    ``batch`` is what ``collate_images`` made of the outputs of ``image_transform``.

    An adapter written against the former ``generate(images, prompts, cfg)`` keeps working: a
    subclass overriding ``generate`` with those three parameters is wrapped by
    :func:`legacy_generate` (single-image conversations only).
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
    #: True for generators that take one user turn with one image (:func:`single_image_inputs`):
    #: a conversation of another shape stops the run before the stage starts, naming the sample
    single_image_only: ClassVar[bool] = False
    #: the spec the adapter was built from ("hf:openai/clip-vit-base-patch32")
    spec: str = ""
    device: str = "cpu"
    dtype: str = "float32"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("generate")
        if own is not None and _takes_images_and_prompts(own):
            cls.generate = legacy_generate(own)  # type: ignore[method-assign]
            cls.single_image_only = True
            cls.legacy_generate = True

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

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        raise NotImplementedError

    def render_prompt(self, conversation: Conversation) -> str:
        """The text the model is given for ``conversation`` (chat models: the chat template's
        rendering), for the per-sample records; default: :func:`mmbench.conversation.prompt_text`."""
        return prompt_text(conversation)

    def match(self, images: Any, texts: list[str]) -> torch.Tensor:
        raise NotImplementedError

    def score_continuations(self, conversations: list[Conversation], continuations: list[list[str]]) -> list[list[float]]:
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


def single_image_inputs(adapter: ModelAdapter, conversations: list[Conversation]) -> tuple[Any, list[str]]:
    """(collated images on the adapter's device, prompts) of conversations that are each one user
    turn holding one image and text: what single-image generators (BLIP, the built-in LLaVA) take.
    Any other shape is refused with one line naming the model."""
    from mmbench.measure.devices import to_device

    images, prompts = [], []
    for conversation in conversations:
        check_single_image(adapter, conversation, "")
        images.append(images_in(conversation)[0])
        prompts.append(joined_text(conversation))
    return to_device(adapter.collate_images(images), adapter.device), prompts


def check_single_image(adapter: ModelAdapter, conversation: Conversation, sample_id: str) -> None:
    """UserError unless ``conversation`` is one user turn holding exactly one image (what a
    single-image generator takes), naming the sample and the fix."""
    found = images_in(conversation)
    if len(conversation) == 1 and conversation[0]["role"] == "user" and len(found) == 1:
        return
    fix = ("port its generate(images, prompts, cfg) to generate(conversations, cfg) as the README's 'Your own model' shows"
           if getattr(adapter, "legacy_generate", False) else
           "use a model that accepts several images or system messages (see the README's model families)")
    where = f"sample {sample_id}: " if sample_id else ""
    raise UserError(f"{where}model {adapter.spec or adapter.adapter_name} takes one user turn with one image; this task gives "
                    f"{len(conversation)} message(s) with {len(found)} image(s): {fix}")


def legacy_generate(old: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """The documented shim for adapters written against ``generate(images, prompts, cfg)``: it
    hands them the collated image batch and the prompt texts of single-image conversations."""

    def generate(self: ModelAdapter, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        images, prompts = single_image_inputs(self, conversations)
        return old(self, images, prompts, cfg)

    generate.__doc__ = old.__doc__
    generate.__wrapped_legacy__ = old  # type: ignore[attr-defined]
    return generate


def _takes_images_and_prompts(method: Any) -> bool:
    """True for ``generate(self, images, prompts, cfg)``, the former contract (three parameters)."""
    import inspect

    try:
        parameters = list(inspect.signature(method).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 3


def _byte_dtype() -> Any:
    import torch

    return torch.uint8


def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method, None) is not getattr(ModelAdapter, method)

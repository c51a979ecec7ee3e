"""``blip:<dir-or-hub-id>``: the built-in plain-PyTorch BLIP behind the adapter contract.

The head comes from ``config.json`` "architectures" (see :mod:`mmbench.models.builtin.blip.heads`), and with it
the capabilities: captioning and VQA ``generate``; retrieval ``encode_images``, ``encode_texts`` and
``match``. Conventions are those of the ``hf:`` adapter on the same checkpoint, so both give the same
metrics: the task's prompt (or ``--model-arg prompt=...``, where ``{prompt}`` stands for the task's)
conditions the captioner and is stripped from its output; VQA prompts are the questions; texts are
tokenised by the checkpoint's tokenizer, truncated to the position limit; generated ids are decoded
with ``skip_special_tokens``. Images: the checkpoint's ``preprocessor_config.json`` (BLIP: square
bicubic resize, CLIP mean/std), else a square resize to the ViT's image size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mmbench.conversation import Conversation
from mmbench.errors import UserError
from mmbench.models.base import ModelAdapter, single_image_inputs
from mmbench.models.builtin.blip.config import head_from_hf_dict
from mmbench.models.checkpoint import (
    load_image_transform,
    load_tokenizer,
    read_config,
    resolve_checkpoint,
    torch_dtype,
)
from mmbench.models.options import AdapterOptions
from mmbench.types import Capability, GenerationConfig

if TYPE_CHECKING:
    import torch

    from mmbench.models.builtin.blip.heads import (
        BlipForConditionalGeneration,
        BlipForImageTextRetrieval,
        BlipForQuestionAnswering,
        BlipHead,
    )
    from mmbench.models.preprocess import ImagePreprocessor


@dataclass(frozen=True)
class BlipOptions(AdapterOptions):
    """``prompt`` replaces the task's prompt (``{prompt}`` inserts it); ``max_new_tokens`` overrides the task's."""

    adapter = "blip"
    prompt: str | None = None
    max_new_tokens: int | None = field(default=None, metadata={"min": 1})
    revision: str | None = None


class BlipAdapter(ModelAdapter):
    """Shared parts of the three BLIP adapters: tokenising, pixels, preprocessing."""

    adapter_name: ClassVar[str] = "blip"
    options_class = BlipOptions
    #: the task's plain prompt: '' for captions, the bare question for VQA (BLIP is not instruction-tuned)
    prompt_style: ClassVar[str] = "plain"

    def __init__(self, model: BlipHead, tokenizer: Any, transform: ImagePreprocessor, *, device: str = "cpu",
                 dtype: str = "float32", prompt: str | None = None, max_new_tokens: int | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.transform = transform
        self.device, self.dtype = device, dtype
        self.prompt = prompt
        self.max_new_tokens = max_new_tokens
        text = model.cfg.text
        self.max_text_tokens = min(int(getattr(tokenizer, "model_max_length", text.max_position_embeddings)),
                                   text.max_position_embeddings)

    @classmethod
    def create(cls, location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> BlipAdapter:
        """Build ``blip:<location>``: a checkpoint directory or a hub id (from the local cache when offline)."""
        from mmbench.models.builtin.blip.heads import load_blip
        from mmbench.models.preprocess import blip_transform

        if not location:
            raise UserError("blip: needs a checkpoint, e.g. blip:Salesforce/blip-image-captioning-base or blip:/path/to/checkpoint")
        options = BlipOptions.parse(model_args)
        path = resolve_checkpoint(location, revision=options.revision)
        adapter = ADAPTERS[head_from_hf_dict(read_config(path), str(path))]
        model = load_blip(path, device=device, dtype=dtype)
        tokenizer = load_tokenizer(path, revision=options.revision,
                                   hint="BLIP checkpoints ship one (vocab.txt, tokenizer_config.json)")
        transform = load_image_transform(path, blip_transform(model.cfg.vision.image_size))
        return adapter(model, tokenizer, transform, device=device, dtype=dtype, prompt=options.prompt,
                       max_new_tokens=options.max_new_tokens)

    @classmethod
    def capabilities_for(cls, checkpoint: Path | None) -> frozenset[Capability] | None:
        if cls is not BlipAdapter:
            return super().capabilities_for(checkpoint)
        try:
            return ADAPTERS[head_from_hf_dict(read_config(checkpoint), str(checkpoint))].class_capabilities() if checkpoint else None
        except UserError:
            return None  # the loader reports it with its own message

    @classmethod
    def offers(cls, location: str | None = None) -> str:
        if cls is not BlipAdapter:
            return super().offers(location)
        return "by head: " + " | ".join(f"{head}: {adapter.offers()}" for head, adapter in ADAPTERS.items())

    def image_transform(self) -> ImagePreprocessor:
        return self.transform

    def pixels(self, images: torch.Tensor) -> torch.Tensor:
        """Stacked (N, 3, S, S) batch on the model's device and dtype."""
        import torch

        if not isinstance(images, torch.Tensor):
            raise UserError("blip: expected a stacked image tensor batch (use the adapter's image_transform)")
        return images.to(device=self.device, dtype=torch_dtype(self.dtype))

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Texts -> ids, mask (M, T) on the device ([CLS] ... [SEP], right padding)."""
        out = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_text_tokens, return_tensors="pt")
        return out["input_ids"].to(self.device), out["attention_mask"].to(self.device)

    def decode(self, ids: torch.Tensor) -> list[str]:
        return [text.strip() for text in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]

    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"])

    def apply_prompt(self, task_prompt: str) -> str:
        return task_prompt if self.prompt is None else self.prompt.replace("{prompt}", task_prompt)

    def settings(self, cfg: GenerationConfig) -> Any:
        return self.model.settings(self.max_new_tokens or cfg.max_new_tokens,  # type: ignore[union-attr]
                                   min_new_tokens=cfg.min_new_tokens, num_beams=cfg.num_beams, repetition_penalty=cfg.repetition_penalty,
                                   length_penalty=cfg.length_penalty)


class BlipCaptionAdapter(BlipAdapter):
    """``BlipForConditionalGeneration``: captions, conditioned on the prompt, prompt stripped."""

    single_image_only = True  # one user turn with one image (single_image_inputs)

    model: BlipForConditionalGeneration

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        images, prompts = single_image_inputs(self, conversations)
        pixels = self.pixels(images)
        prompts = [self.apply_prompt(p) for p in prompts]
        captions = [""] * len(prompts)
        for prompt in dict.fromkeys(prompts):  # one decoder call per distinct prompt: no padding
            rows = [i for i, p in enumerate(prompts) if p == prompt]
            for row, caption in zip(rows, self._caption(pixels[rows], prompt, cfg)):
                captions[row] = caption
        return captions

    def _caption(self, pixels: torch.Tensor, prompt: str, cfg: GenerationConfig) -> list[str]:
        import torch

        n, bos = pixels.shape[0], self.model.cfg.text.bos_token_id
        if prompt.strip():  # transformers: [CLS] prompt [SEP] -> [DEC] prompt (its first token replaced, [SEP] dropped)
            ids, _ = self.tokenize([prompt] * n)
            start = torch.cat([torch.full((n, 1), bos, device=ids.device), ids[:, 1:-1]], dim=1)  # (N, P)
        else:
            start = torch.full((n, 1), bos, dtype=torch.long, device=pixels.device)
        out = self.model.generate(pixels, start, self.settings(cfg))
        return self.decode(out[:, start.shape[1]:])


class BlipVqaAdapter(BlipAdapter):
    """``BlipForQuestionAnswering``: open-ended answers generated for the questions (the prompts).

    The answer decoder ignores padded question positions, so an answer does not depend on the batch
    (as the ``hf:`` adapter, which decodes each question length apart).
    """

    single_image_only = True  # one user turn with one image (single_image_inputs)

    model: BlipForQuestionAnswering

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        images, prompts = single_image_inputs(self, conversations)
        ids, mask = self.tokenize([self.apply_prompt(p) for p in prompts])
        return self.decode(self.model.generate(self.pixels(images), ids, mask, self.settings(cfg)))


class BlipItmAdapter(BlipAdapter):
    """``BlipForImageTextRetrieval``: ITC embeddings, and the ITM "match" logit for re-ranking."""

    model: BlipForImageTextRetrieval

    def encode_images(self, images: Any) -> torch.Tensor:
        return self.model.image_embeds(self.pixels(images)).float()

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        return self.model.text_embeds(*self.tokenize(texts)).float()

    def match(self, images: Any, texts: list[str]) -> torch.Tensor:
        """ITM logit of the "match" class for image i with text i: (N,) float32."""
        return self.model.itm_logits(self.pixels(images), *self.tokenize(texts))[:, 1].float()


#: head name (from config.json "architectures") -> the adapter serving it
ADAPTERS: dict[str, type[BlipAdapter]] = {
    "caption": BlipCaptionAdapter,
    "vqa": BlipVqaAdapter,
    "itm": BlipItmAdapter,
}

create = BlipAdapter.create

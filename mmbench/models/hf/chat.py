"""Decoder-only image-to-text generators through transformers: LLaVA, LLaVA-NeXT, BLIP-2 and any
``AutoModelForImageTextToText`` checkpoint whose processor has a chat template.

The checkpoint's processor builds the inputs exactly as its model card does: the chat template
places the image token, the processor expands it to the right number of image tokens (LLaVA-NeXT's
count depends on each image's size) and preprocesses the pixels. That is why these families hand
PIL images to the main process (``image_transform`` only converts to RGB) instead of pixel tensors.
Batches are left-padded with an attention mask, so a batch's greedy outputs equal those of one image
at a time. Only the newly generated text is returned, stripped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mmbench.conversation import Conversation, joined_text
from mmbench.errors import UserError
from mmbench.models.base import ImageTransform, single_image_inputs
from mmbench.models.hf.common import HFAdapter, HFOptions, RGBImage
from mmbench.types import GenerationConfig

if TYPE_CHECKING:
    import torch


class HFImageTextToTextAdapter(HFAdapter):
    """Any image-text-to-text checkpoint: one user turn holding the image then the prompt, via the chat template."""

    single_image_only = True  # one user turn with one image (single_image_inputs)

    family = "image-text-to-text"
    model_class = "AutoModelForImageTextToText"

    def __init__(self, checkpoint: Path, options: HFOptions) -> None:
        super().__init__(checkpoint, options)
        tokenizer = self.tokenizer
        tokenizer.padding_side = "left"  # decoder-only: new tokens follow the prompt directly
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token

    def image_transform(self) -> ImageTransform:
        return RGBImage()

    def format_prompt(self, prompt: str) -> str:
        if not getattr(self.processor, "chat_template", None):
            raise UserError(f"{self.checkpoint}: the processor has no chat template, so the image token cannot be placed; "
                            f"add chat_template.jinja to the checkpoint")
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
        return str(self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))

    def render_prompt(self, conversation: Conversation) -> str:
        return self.format_prompt(self.options.apply_prompt(joined_text(conversation)))

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        images, prompts = single_image_inputs(self, conversations)
        import torch

        texts = [self.format_prompt(self.options.apply_prompt(p)) for p in prompts]
        inputs = self.to_device(self.processor(images=list(images), text=texts, padding=True, return_tensors="pt"))
        with torch.inference_mode():
            output = self.model.generate(**inputs, **self.generation_kwargs(cfg), pad_token_id=self.tokenizer.pad_token_id)
        return self.decode(new_tokens(output, inputs["input_ids"]))


class HFLlavaAdapter(HFImageTextToTextAdapter):
    """LLaVA-1.5 (llava-hf/llava-1.5-*-hf): "USER: <image>\\n{prompt} ASSISTANT:" from its chat template."""

    family = "llava"
    model_class = "LlavaForConditionalGeneration"


class HFLlavaNextAdapter(HFImageTextToTextAdapter):
    """LLaVA-NeXT / 1.6 (llava-hf/llava-v1.6-*-hf): any-resolution tiles, image-size-dependent token count."""

    family = "llava-next"
    model_class = "LlavaNextForConditionalGeneration"
    image_tokens_vary = True

    def image_token_count(self, width: int, height: int) -> int:
        """The processor's own count (its image grid pinpoints, patch size and feature selection):
        the number of ``<image>`` tokens it expands the placeholder to for an image of this size."""
        counts = self.processor._get_num_multimodal_tokens(image_sizes=[(height, width)])
        return int(counts["num_image_tokens"][0])


class HFBlip2Adapter(HFImageTextToTextAdapter):
    """BLIP-2 (Salesforce/blip2-*): no chat template; the processor prepends the query tokens.

    The task's plain prompt (the bare question; '' for captions) is wrapped as the model card does,
    "Question: {q} Answer:"; an empty prompt captions. ``--model-arg prompt=...`` replaces the wrapper.
    """

    family = "blip-2"
    model_class = "Blip2ForConditionalGeneration"
    prompt_style = "plain"
    question_format = "Question: {prompt} Answer:"

    def format_prompt(self, prompt: str) -> str:
        if self.options.prompt is not None or not prompt.strip():
            return prompt
        return self.question_format.replace("{prompt}", prompt)


def new_tokens(output: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
    """The generated part of ``generate``'s output: decoder-only models echo the prompt first, others do not."""
    import torch

    length = input_ids.shape[1]
    if output.shape[1] >= length and torch.equal(output[:, :length], input_ids):
        return output[:, length:]
    return output

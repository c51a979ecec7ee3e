"""PaliGemma (google/paligemma-*, google/paligemma2-*): a prefix prompt, no chat template.

The model card's call is ``processor(images=image, text=prompt, return_tensors="pt")``: the
processor writes ``<image>`` x (image tokens) for each image, then BOS, the prompt and a newline, and
the model attends to that prefix bidirectionally (``token_type_ids``). mmbench hands the processor
the conversation's user text as the prompt, with no task prefix added (PaliGemma's mix checkpoints
were trained on prefixes such as ``answer en`` / ``caption en``: give one with ``--model-arg
prompt="answer en {prompt}"``), and each sample's images as one list, with one ``<image>`` per image
written in front of the prompt as the processor asks (the processor infers the same when it is
left out, with a warning). The system prompt, which PaliGemma has no place for, is refused.
"""

from __future__ import annotations

from typing import Any

from mmbench.errors import UserError
from mmbench.models.base import ModelAdapter
from mmbench.models.hf.chat import Conversation, HFChatAdapter, _images_of, _text_of


class HFPaliGemmaAdapter(HFChatAdapter):
    """PaliGemma 1 and 2: ``processor(images=[images of each sample], text=[prompts], padding="longest")``, left-padded."""

    family = "paligemma"
    model_class = "PaliGemmaForConditionalGeneration"
    score_continuations = ModelAdapter.score_continuations  # not offered yet (per-token masks the generic path does not extend)

    def _check_template(self) -> None:
        if self.options.system_prompt is not None:
            raise UserError(f"{self.checkpoint}: PaliGemma takes a bare prefix prompt, with no place for a system prompt; "
                            f"leave out --model-arg system_prompt (or put the text into --model-arg prompt)")

    def prepare(self, conversation: Conversation) -> Conversation:
        prepared = super().prepare(conversation)
        if any(m["role"] != "user" for m in prepared):
            raise UserError(f"{self.checkpoint}: PaliGemma takes one bare prefix prompt; this conversation has a "
                            f"{next(m['role'] for m in prepared if m['role'] != 'user')} turn, which it has no place for")
        return prepared

    def render_prompt(self, conversation: Conversation) -> str:
        """The prefix the processor receives: one ``<image>`` per image, then the prompt (it adds BOS and ``\\n``)."""
        prepared = self.prepare(conversation)
        return self.processor.image_token * len(_images_of(prepared)) + _text_of(prepared)

    def model_inputs(self, conversations: list[Conversation]) -> Any:
        prepared = [self.prepare(c) for c in conversations]
        images = [_images_of(c) for c in prepared]
        if any(not found for found in images):
            raise UserError(f"{self.checkpoint}: PaliGemma needs at least one image per sample")
        texts = [self.processor.image_token * len(found) + _text_of(c) for found, c in zip(images, prepared)]
        inputs = self.processor(images=images, text=texts, padding="longest", return_tensors="pt", **self.processor_kwargs())
        inputs.pop("labels", None)  # the processor's training labels (from token_type_ids); generate takes none
        return self.to_device(inputs)

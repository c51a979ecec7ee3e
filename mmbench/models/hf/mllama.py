"""Mllama (meta-llama/Llama-3.2-*-Vision-Instruct): the generic chat path, with its template's one rule
checked before any image is processed.

Upstream's chat template raises for a conversation that holds images and a system message
("Prompting with images is incompatible with system messages."); mmbench refuses
``--model-arg system_prompt`` before the weights load, and a task's system turn beside images with
one line naming the sample's conversation, instead of a template traceback mid-run.
"""

from __future__ import annotations

from mmbench.errors import UserError
from mmbench.models.base import ModelAdapter
from mmbench.models.hf.chat import Conversation, HFChatAdapter, _images_of

_RULE = "Llama-3.2-Vision's chat template does not take a system message with images"


class HFMllamaAdapter(HFChatAdapter):
    """Llama-3.2-Vision: one ``<|image|>`` token per image, tiles through cross-attention."""

    family = "mllama"
    model_class = "MllamaForConditionalGeneration"
    score_continuations = ModelAdapter.score_continuations  # not offered yet (per-token masks the generic path does not extend)

    def _check_template(self) -> None:
        super()._check_template()
        if self.options.system_prompt is not None:
            raise UserError(f"{self.checkpoint}: {_RULE}; leave out --model-arg system_prompt")

    def prepare(self, conversation: Conversation) -> Conversation:
        prepared = super().prepare(conversation)
        if _images_of(prepared) and any(m["role"] == "system" for m in prepared):
            raise UserError(f"{self.checkpoint}: {_RULE}; this conversation has both (drop the task's system message)")
        return prepared

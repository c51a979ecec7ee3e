"""BLIP's three heads through transformers: captioning, VQA and image-text matching/retrieval.

- Captioning (``BlipForConditionalGeneration``): ``model.generate``; with a prompt ("a picture of ")
  the decoder continues it and only the continuation is returned, as LAVIS strips its prompt.
- VQA (``BlipForQuestionAnswering``): vision encoder -> question encoder (cross-attending the image)
  -> answer decoder, called part by part: the answer decoder runs once per question length on
  unpadded question states. transformers 5.x BLIP text cross-attention ignores
  ``encoder_attention_mask`` (``BlipTextAttention`` forwards it as ``attention_mask``, which the
  cross-attention then replaces with ``None``), and ``BlipForQuestionAnswering.generate`` passes an
  all-ones mask anyway, so with padding a batched answer would depend on the other questions'
  lengths. Grouping by length gives exactly the one-question-at-a-time answers.
- Matching (``BlipForImageTextRetrieval``): ITC embeddings (``vision_proj`` / ``text_proj`` of the
  [CLS] states) for ``encode_*`` and the ITM head's "match" logit for ``match``, as LAVIS re-ranks.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from mmbench.conversation import Conversation
from mmbench.models.base import ImageTransform, single_image_inputs
from mmbench.models.hf.common import CheckpointImageTransform, HFAdapter
from mmbench.types import GenerationConfig

if TYPE_CHECKING:
    import torch

K = TypeVar("K", bound=Hashable)


class HFBlipAdapter(HFAdapter):
    """Shared BLIP preprocessing: the checkpoint's square resize in the DataLoader workers."""

    def image_transform(self) -> ImageTransform:
        return CheckpointImageTransform(str(self.checkpoint), self.options.trust_remote_code)

    def tokenize(self, texts: list[str], padding: bool = True) -> dict[str, Any]:
        limit = min(int(self.tokenizer.model_max_length), int(self.model.config.text_config.max_position_embeddings))
        inputs = self.tokenizer(list(texts), padding=padding, truncation=True, max_length=limit, return_tensors="pt")
        return self.to_device({"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]})

    def image_states(self, images: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Vision encoder output (N, P, D) and its all-ones attention mask (N, P)."""
        import torch

        states = self.model.vision_model(pixel_values=self.pixels(images)).last_hidden_state  # (N, P, D)
        return states, torch.ones(states.shape[:-1], dtype=torch.long, device=states.device)


class HFBlipCaptionAdapter(HFBlipAdapter):
    """BLIP captioning (Salesforce/blip-image-captioning-*)."""

    single_image_only = True  # one user turn with one image (single_image_inputs)

    family = "blip-caption"
    model_class = "BlipForConditionalGeneration"
    prompt_style = "plain"  # the task's plain prompt ('' for captions): BLIP was not instruction-tuned

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        images, prompts = single_image_inputs(self, conversations)
        import torch

        pixel_values = self.pixels(images)
        prompts = [self.options.apply_prompt(p) for p in prompts]
        captions = [""] * len(prompts)
        for prompt, rows in _rows_by_value(prompts).items():  # one decoder call per distinct prompt: no padding
            index = torch.tensor(rows, device=pixel_values.device)
            for row, caption in zip(rows, self._caption(pixel_values[index], prompt, cfg)):
                captions[row] = caption
        return captions

    def _caption(self, pixel_values: torch.Tensor, prompt: str, cfg: GenerationConfig) -> list[str]:
        import torch

        kwargs = self.generation_kwargs(cfg)
        with torch.inference_mode():
            if prompt.strip():
                inputs = self.tokenize([prompt] * pixel_values.shape[0])
                output = self.model.generate(pixel_values=pixel_values, **inputs, **kwargs)
                start = inputs["input_ids"].shape[1] - 1  # the model drops the prompt's final [SEP]
            else:
                output = self.model.generate(pixel_values=pixel_values, **kwargs)
                start = 1  # the decoder start token
        return self.decode(output[:, start:])


class HFBlipVqaAdapter(HFBlipAdapter):
    """BLIP VQA (Salesforce/blip-vqa-*): generated open-ended answers."""

    single_image_only = True  # one user turn with one image (single_image_inputs)

    family = "blip-vqa"
    model_class = "BlipForQuestionAnswering"
    prompt_style = "plain"  # the bare question, as BLIP was trained

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        images, prompts = single_image_inputs(self, conversations)
        import torch

        model = self.model
        questions = self.tokenize([self.options.apply_prompt(p) for p in prompts])  # right-padded
        answers = [""] * len(prompts)
        with torch.inference_mode():
            image_states, image_mask = self.image_states(images)
            question_states = model.text_encoder(
                input_ids=questions["input_ids"], attention_mask=questions["attention_mask"],
                encoder_hidden_states=image_states, encoder_attention_mask=image_mask,
            ).last_hidden_state  # (N, L, H)
            lengths = [int(n) for n in questions["attention_mask"].sum(dim=1).tolist()]
            for length, rows in _rows_by_value(lengths).items():
                index = torch.tensor(rows, device=question_states.device)
                for row, answer in zip(rows, self._answer(question_states[index, :length], cfg)):
                    answers[row] = answer
        return answers

    def _answer(self, question_states: torch.Tensor, cfg: GenerationConfig) -> list[str]:
        """Greedy answers from unpadded question states (n, length, H)."""
        import torch

        model, text_config = self.model, self.model.config.text_config
        n, length = question_states.shape[:2]
        start = torch.full((n, 1), model.decoder_start_token_id, device=question_states.device)
        output = model.text_decoder.generate(
            input_ids=start, eos_token_id=text_config.sep_token_id, pad_token_id=text_config.pad_token_id,
            encoder_hidden_states=question_states,
            encoder_attention_mask=torch.ones((n, length), dtype=torch.long, device=question_states.device),
            **self.generation_kwargs(cfg),
        )
        return self.decode(output)


class HFBlipItmAdapter(HFBlipAdapter):
    """BLIP retrieval (Salesforce/blip-itm-*): ITC embeddings plus the ITM head for re-ranking."""

    family = "blip-itm"
    model_class = "BlipForImageTextRetrieval"

    def encode_images(self, images: Any) -> torch.Tensor:
        import torch

        with torch.inference_mode():
            states, _ = self.image_states(images)
            features = self.model.vision_proj(states[:, 0, :])  # (N, E) from the [CLS] state
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        import torch

        inputs = self.tokenize(texts)
        with torch.inference_mode():
            states = self.model.text_encoder(**inputs).last_hidden_state  # (M, L, H), text only (unimodal)
            features = self.model.text_proj(states[:, 0, :])  # (M, E)
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def match(self, images: Any, texts: list[str]) -> torch.Tensor:
        """ITM logit of the "match" class for image i with text i: (N,) float32."""
        import torch

        inputs = self.tokenize(texts)
        with torch.inference_mode():
            image_states, image_mask = self.image_states(images)
            states = self.model.text_encoder(**inputs, encoder_hidden_states=image_states,
                                             encoder_attention_mask=image_mask).last_hidden_state  # (N, L, H)
            logits = self.model.itm_head(states[:, 0, :])  # (N, 2): no-match, match
        return logits[:, 1].float()


def _rows_by_value(values: list[K]) -> dict[K, list[int]]:
    """Row indices grouped by value, in first-seen order."""
    rows: dict[K, list[int]] = {}
    for row, value in enumerate(values):
        rows.setdefault(value, []).append(row)
    return rows

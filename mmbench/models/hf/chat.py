"""Image-text-to-text generators through transformers: one generic path for every chat family
(Qwen2/2.5/3-VL, InternVL, Idefics3, SmolVLM, LLaVA, LLaVA-NeXT, LLaVA-OneVision, ...) and BLIP-2.

A batch of conversations (one per sample, images as PIL RGB images inside the messages) becomes
the model's input exactly as the model cards build one conversation:
``processor.apply_chat_template(conversations, add_generation_prompt=True, tokenize=True,
return_dict=True, return_tensors="pt", processor_kwargs={"padding": True, ...})`` (the processor
options given as ``--model-arg``s go in ``processor_kwargs``). The chat template renders each
conversation and the processor tokenizes it, adding the tokenizer's special tokens only when the
rendered text does not already begin with the BOS token (templates that write it themselves, e.g.
Idefics3, get exactly one), expands each image placeholder to the image's tokens and preprocesses
the pixels, one image list per conversation. Batches are left-padded with an attention mask, so
each sample's greedy output equals its output alone; only the new tokens are decoded, stripped.

The per-family differences are data (:mod:`mmbench.models.hf.families`): the model class, whether
a conversation may hold several images, whether the image-token count varies with the image size
(then :meth:`HFChatAdapter.image_token_count` reads it from the processor, without the model, so the
runner batches equal counts together; measured on a blank image where the family row says so), and
the processor options a family accepts.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.errors import UserError
from mmbench.models.base import ImageTransform, ModelAdapter
from mmbench.models.hf.common import HFAdapter, HFOptions, RGBImage
from mmbench.models.hf.families import Family
from mmbench.types import GenerationConfig

if TYPE_CHECKING:
    import torch

Conversation = list[dict[str, Any]]


class HFChatAdapter(HFAdapter):
    """Any image-text-to-text checkpoint whose processor has a chat template (the family row declares the rest)."""

    family = "image-text-to-text"
    model_class = "AutoModelForImageTextToText"

    def __init__(self, checkpoint: Path, options: HFOptions, family: Family | None = None, model_type: str = "") -> None:
        row = family or _row(self.family)
        self.model_class = row.model_class or type(self).model_class
        self.image_tokens_vary = row.image_tokens_vary
        self._measured_counts: dict[Hashable, int] = {}  # image_count_key -> measured image tokens
        self._text_turn_length: int | None = None
        super().__init__(checkpoint, options, row, model_type)
        self.family = row.name
        tokenizer = self.tokenizer
        tokenizer.padding_side = "left"  # decoder-only: new tokens follow the prompt directly
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._check_template()

    def _check_template(self) -> None:
        if not getattr(self.processor, "chat_template", None):
            raise UserError(f"{self.checkpoint}: the processor has no chat template, so the image token cannot be placed; "
                            f"add chat_template.jinja to the checkpoint")

    def image_transform(self) -> ImageTransform:
        return RGBImage()

    # ---- inputs ----------------------------------------------------------------------------------
    def processor_kwargs(self) -> dict[str, Any]:
        """The family's processor options given as ``--model-arg``s, under the processor's own keywords."""
        return {self.family_row.option_keyword(name) or name: value for name, value in self.options.processor_options().items()}

    def prepare(self, conversation: Conversation) -> Conversation:
        """The conversation as the model receives it: the ``prompt`` override applied to its last
        text, the ``system_prompt`` added when it has no system turn; several images refused where
        the family takes one."""
        messages = [dict(m, content=list(m["content"])) if isinstance(m.get("content"), list) else dict(m) for m in conversation]
        if self.options.prompt is not None:
            _replace_last_text(messages, self.options.apply_prompt)
        if self.options.system_prompt is not None and not any(m["role"] == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": [{"type": "text", "text": self.options.system_prompt}]})
        images = sum(1 for m in messages if isinstance(m["content"], list) for p in m["content"] if p.get("type") == "image")
        if images > 1 and not self.family_row.multi_image:
            raise UserError(f"{self.checkpoint}: the {self.family_row.name} family takes one image per conversation, "
                            f"this one has {images}; use a multi-image family")
        return messages

    def render_prompt(self, conversation: Conversation) -> str:
        """The text the model sees: the chat template's rendering (images as the template writes them)."""
        return str(self.processor.apply_chat_template(self.prepare(conversation), add_generation_prompt=True, tokenize=False))

    def model_inputs(self, conversations: list[Conversation]) -> Any:
        """The processor's batch for these conversations (left-padded), on the model's device."""
        inputs = self.processor.apply_chat_template([self.prepare(c) for c in conversations], add_generation_prompt=True,
                                                    tokenize=True, return_dict=True, return_tensors="pt",
                                                    processor_kwargs={"padding": True, **self.processor_kwargs()})
        return self.to_device(inputs)

    # ---- generation --------------------------------------------------------------------------------
    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        import torch

        inputs = self.model_inputs(list(conversations))
        with torch.inference_mode():
            output = self.model.generate(**inputs, **self.generation_kwargs(cfg), pad_token_id=self.tokenizer.pad_token_id)
        return self.decode(new_tokens(output, inputs["input_ids"]))

    # ---- option scoring ----------------------------------------------------------------------------
    def score_continuations(self, conversations: list[Conversation], continuations: list[list[str]]) -> list[list[float]]:
        """Sum of the log-probabilities (natural log, float32 log-softmax of the model's logits) of each
        continuation's tokens after the model's prompt for its conversation (the chat template's
        rendering with its generation prompt, tokenized and with the images expanded exactly as
        :meth:`generate` gives them). A continuation is tokenized on its own, without special tokens,
        and its tokens are appended to the prompt's: "A" after "ASSISTANT:" is scored as the tokens of
        "A". One forward pass per batch over every (conversation, continuation) row, right-padded
        (each row's positions are those of the row alone; causal attention never sees the padding)."""
        import torch

        if len(continuations) != len(conversations):
            raise ValueError(f"{len(conversations)} conversations but {len(continuations)} continuation lists")
        rows = [i for i, texts in enumerate(continuations) for _ in texts]
        if not rows:
            return [[] for _ in conversations]
        inputs = self.model_inputs([conversations[i] for i in rows])
        mask = inputs["attention_mask"].bool()
        prompts = [inputs["input_ids"][r][mask[r]] for r in range(len(rows))]
        targets = []
        for texts in continuations:
            for text in texts:
                ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
                if not ids:
                    raise UserError(f"{self.checkpoint}: the continuation {text!r} has no tokens, so it cannot be scored")
                targets.append(torch.tensor(ids, dtype=prompts[0].dtype, device=prompts[0].device))
        width = max(len(p) + len(t) for p, t in zip(prompts, targets))
        ids = torch.full((len(rows), width), int(self.tokenizer.pad_token_id), dtype=prompts[0].dtype, device=prompts[0].device)
        attention = torch.zeros((len(rows), width), dtype=inputs["attention_mask"].dtype, device=ids.device)
        for r, (prompt, target) in enumerate(zip(prompts, targets)):
            ids[r, : len(prompt) + len(target)] = torch.cat([prompt, target])
            attention[r, : len(prompt) + len(target)] = 1
        batch = {key: value for key, value in inputs.items() if key not in ("input_ids", "attention_mask")}
        for key, value in batch.items():
            if not (isinstance(value, torch.Tensor) and value.dim() >= 2 and tuple(value.shape[:2]) == tuple(mask.shape)):
                continue
            if key not in _TEXT_TYPE_IDS:
                raise UserError(f"{self.checkpoint}: the processor gives a per-token {key!r}, which option scoring does not "
                                f"extend; this family cannot score options yet")
            extended = torch.zeros((len(rows), width), dtype=value.dtype, device=value.device)  # 0: a text token
            for r, prompt in enumerate(prompts):
                extended[r, : len(prompt)] = value[r][mask[r]]
            batch[key] = extended
        with torch.inference_mode():
            logits = self.model(input_ids=ids, attention_mask=attention, **batch).logits
        scores: list[float] = []
        for r, (prompt, target) in enumerate(zip(prompts, targets)):
            start = len(prompt)
            steps = torch.log_softmax(logits[r, start - 1 : start - 1 + len(target)].float(), dim=-1)
            scores.append(float(steps.gather(1, target.view(-1, 1)).sum()))
        out, k = [], 0
        for texts in continuations:
            out.append(scores[k : k + len(texts)])
            k += len(texts)
        return out

    def image_token_count(self, width: int, height: int) -> int:
        """The tokens one image of this size adds to the input (with the processor options given), for
        bucketing: the processor's own count from the size (no pixels processed), or, where the family
        row says ``image_count="measured"`` or the processor has no count, :meth:`measured_image_token_count`."""
        kwargs = self.processor_kwargs()
        counter = getattr(self.processor, "_get_num_multimodal_tokens", None)
        if counter is not None and self.family_row.image_count != "measured":
            try:
                return int(counter(image_sizes=[(height, width)], **kwargs)["num_image_tokens"][0])
            except (NotImplementedError, AttributeError, KeyError, TypeError):
                pass
        return self.measured_image_token_count(width, height)

    def measured_image_token_count(self, width: int, height: int) -> int:
        """The input length of a one-image user turn (a blank image of this size, then "x") minus the
        length of the same turn without the image, as the chat template and the processor build it:
        exact in every transformers version, whatever the processor's own count leaves out
        (transformers 5.25 counts only the feature placeholders, not Pixtral's row breaks, Aya
        Vision's tile markers or Idefics3/SmolVLM's row, column and newline tokens). No model call;
        one preprocessing of a blank image per distinct :meth:`image_count_key` (cached)."""
        key = self.image_count_key(width, height)
        if key not in self._measured_counts:
            from PIL import Image

            text = {"type": "text", "text": "x"}
            if self._text_turn_length is None:
                self._text_turn_length = self._turn_length([text])
            with_image = self._turn_length([{"type": "image", "image": Image.new("RGB", (width, height))}, text])
            self._measured_counts[key] = with_image - self._text_turn_length
        return self._measured_counts[key]

    def image_count_key(self, width: int, height: int) -> Hashable:
        """Sizes with equal keys expand to the same image tokens: the image processor's tiling
        (``get_number_of_image_patches`` with the processor options: Idefics3/SmolVLM's crops, rows
        and columns, Aya Vision's tiles; the same call transformers' own count makes) where it has
        one, else the size itself. Measuring once per tiling keeps large datasets cheap."""
        tiling = getattr(self.processor.image_processor, "get_number_of_image_patches", None)
        if tiling is not None:
            try:
                found = tiling(height, width, self.processor_kwargs())
                return ("tiling", tuple(found) if isinstance(found, (tuple, list)) else int(found))
            except (NotImplementedError, AttributeError, KeyError, TypeError, ValueError):
                pass
        return ("size", width, height)

    def _turn_length(self, content: list[dict[str, Any]]) -> int:
        inputs = self.processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True,
                                                    tokenize=True, return_dict=True, processor_kwargs=self.processor_kwargs())
        return len(inputs["input_ids"][0])

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "model_class": self.model_class}


HFImageTextToTextAdapter = HFChatAdapter  # the generic family's adapter (former name)


class HFBlip2Adapter(HFChatAdapter):
    """BLIP-2 (Salesforce/blip2-*): no chat template; the processor prepends the query tokens.

    The conversation's text (the task's plain prompt: the bare question; '' for captions) is wrapped
    as the model card does, "Question: {q} Answer:"; an empty prompt captions. ``--model-arg
    prompt=...`` replaces the wrapper. One image per conversation.
    """

    family = "blip-2"
    model_class = "Blip2ForConditionalGeneration"
    prompt_style = "plain"
    single_image_only = True  # one user turn with one image: the runner checks before the stage
    score_continuations = ModelAdapter.score_continuations  # not offered: the generic path is for decoder-only chat models
    question_format = "Question: {prompt} Answer:"

    def _check_template(self) -> None:
        pass

    def format_prompt(self, prompt: str) -> str:
        if self.options.prompt is not None or not prompt.strip():
            return prompt
        return self.question_format.replace("{prompt}", prompt)

    def render_prompt(self, conversation: Conversation) -> str:
        return self.format_prompt(_text_of(self.prepare(conversation)))

    def model_inputs(self, conversations: list[Conversation]) -> Any:
        prepared = [self.prepare(c) for c in conversations]
        images = [_images_of(c)[0] for c in prepared]
        texts = [self.format_prompt(_text_of(c)) for c in prepared]
        return self.to_device(self.processor(images=images, text=texts, padding=True, return_tensors="pt"))


#: per-token type ids a processor may return, 0 marking a text token (the continuation's tokens are text)
_TEXT_TYPE_IDS = ("token_type_ids", "mm_token_type_ids")


def _row(name: str) -> Family:
    from mmbench.models.hf.common import by_name

    return by_name(name)


def _replace_last_text(messages: list[dict[str, Any]], replace: Any) -> None:
    for message in reversed(messages):
        if message["role"] != "user" or not isinstance(message["content"], list):
            continue
        for i in range(len(message["content"]) - 1, -1, -1):
            part = message["content"][i]
            if part.get("type") == "text":
                message["content"][i] = {**part, "text": replace(part["text"])}
                return


def _text_of(conversation: Conversation) -> str:
    return "".join(p["text"] for m in conversation if m["role"] == "user" and isinstance(m["content"], list)
                   for p in m["content"] if p.get("type") == "text")


def _images_of(conversation: Conversation) -> list[Any]:
    return [p["image"] for m in conversation if isinstance(m["content"], list) for p in m["content"] if p.get("type") == "image"]


def new_tokens(output: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
    """The generated part of ``generate``'s output: decoder-only models echo the prompt first, others do not."""
    import torch

    length = input_ids.shape[1]
    if output.shape[1] >= length and torch.equal(output[:, :length], input_ids):
        return output[:, length:]
    return output

"""``llava:<dir-or-id>``: the built-in plain-PyTorch LLaVA (see :mod:`mmbench.models.builtin.llava.model`).

Loads Hugging Face ``LlavaForConditionalGeneration`` checkpoints (config.json + safetensors) with
a strict key check. Text goes through the checkpoint's own tokenizer (transformers' tokenizer:
tokenisers are not model code) and chat template; images through mmbench's preprocessing, equal
to the checkpoint's own image processor: CLIP processing (shortest side, bicubic, centre crop,
normalise), after padding to a square with the mean colour when its config says ``do_pad: true``
(``LlavaImageProcessor``). The llava-hf releases ship a ``CLIPImageProcessor``, which does not pad;
``--model-arg pad_to_square=true`` applies the original LLaVA-1.5 recipe (pad, as docs/protocols.md
"Preprocessing" describes) and ``false`` turns padding off. A checkpoint without any image-processor config is
padded (LLaVA-1.5) and processed at the tower's resolution.

Prompt: one user turn holding the image then the task's prompt, rendered by the chat template;
without one, LLaVA-1.5's ``"USER: <image>\\n{prompt} ASSISTANT:"``. As transformers' processors do,
the single image token is expanded to one token per image feature (576 for LLaVA-1.5). Batches
are left-padded; greedy outputs of a batch equal those of one image at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mmbench.conversation import Conversation, joined_text
from mmbench.errors import UserError
from mmbench.models.base import ModelAdapter, single_image_inputs
from mmbench.models.checkpoint import (
    load_image_transform,
    load_tokenizer,
    read_optional_json,
    resolve_checkpoint,
    torch_dtype,
)
from mmbench.models.options import AdapterOptions
from mmbench.types import GenerationConfig

if TYPE_CHECKING:
    import torch

    from mmbench.models.builtin.llava.model import Llava
    from mmbench.models.preprocess import ImagePreprocessor

#: LLaVA-1.5's conversation format, used when the checkpoint ships no chat template
DEFAULT_PROMPT_FORMAT = "USER: <image>\n{prompt} ASSISTANT:"


@dataclass(frozen=True)
class LlavaOptions(AdapterOptions):
    """``--model-arg`` options. ``prompt`` replaces the task's prompt; ``{prompt}`` in it stands for the task's."""

    adapter = "llava"
    revision: str | None = None
    max_new_tokens: int | None = field(default=None, metadata={"min": 1})
    prompt: str | None = None
    pad_to_square: bool | None = None  # None: the checkpoint processor's do_pad (absent: False; no processor: True)


class LlavaAdapter(ModelAdapter):
    """Generation with the built-in LLaVA: image + prompt -> stripped new text."""

    single_image_only = True  # one user turn with one image (single_image_inputs)

    adapter_name: ClassVar[str] = "llava"
    options_class = LlavaOptions

    def __init__(self, checkpoint: Path, model: Llava, tokenizer: Any, options: LlavaOptions, *, device: str, dtype: str) -> None:
        self.checkpoint, self.model, self.tokenizer, self.options = checkpoint, model, tokenizer, options
        self.device, self.dtype = device, dtype
        self.torch_dtype = torch_dtype(dtype)
        self.chat_template = _chat_template(checkpoint, tokenizer)
        self.eos_token_ids = _eos_token_ids(checkpoint, model)
        self.image_token = getattr(tokenizer, "image_token", None) or "<image>"
        self.pad_token_id = _pad_token_id(tokenizer, model)

    @classmethod
    def create(cls, location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> LlavaAdapter:
        """The ``llava:`` factory: ``location`` is a checkpoint directory or a hub id."""
        from mmbench.models.builtin.llava.model import load_llava

        if not location:
            raise UserError("llava: needs a checkpoint, e.g. llava:llava-hf/llava-1.5-7b-hf or llava:/path/to/checkpoint")
        options = LlavaOptions.parse(model_args)
        checkpoint = resolve_checkpoint(location, options.revision)
        model = load_llava(checkpoint, device=device, dtype=torch_dtype(dtype))
        return cls(checkpoint, model, load_tokenizer(checkpoint), options, device=device, dtype=dtype)

    # ---- preprocessing --------------------------------------------------------------------------
    def image_transform(self) -> ImagePreprocessor:
        from mmbench.models.preprocess import llava_transform

        pad = self.options.pad_to_square
        default = llava_transform(size=self.model.cfg.vision.image_size, pad=True if pad is None else pad)
        return load_image_transform(self.checkpoint, default, pad=pad)

    def format_prompt(self, prompt: str) -> str:
        """The chat-formatted text of one user turn: the image, then ``prompt``."""
        if self.chat_template is None:
            return DEFAULT_PROMPT_FORMAT.replace("<image>", self.image_token).format(prompt=prompt)
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
        return str(self.tokenizer.apply_chat_template(messages, chat_template=self.chat_template,
                                                      add_generation_prompt=True, tokenize=False))

    def encode_prompts(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-padded token ids (B, T) with each image token expanded, and the attention mask (B, T)."""
        import torch

        return self._left_pad(self._prompt_rows(prompts))

    def _prompt_rows(self, prompts: list[str]) -> list[list[int]]:
        """Each prompt's token ids, chat-formatted, the image token expanded (unpadded)."""
        texts = [self.format_prompt(self.options.prompt.replace("{prompt}", p) if self.options.prompt else p) for p in prompts]
        return [self._expand_image_token(ids, text) for ids, text in zip(self.tokenizer(texts)["input_ids"], texts)]

    def _left_pad(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        length = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), length), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, length - len(row):] = torch.tensor(row)
            mask[i, length - len(row):] = 1
        return input_ids, mask

    def _expand_image_token(self, ids: list[int], text: str) -> list[int]:
        image_id, count = self.model.cfg.image_token_id, self.model.cfg.image_seq_length
        if ids.count(image_id) != 1:
            raise UserError(f"llava: prompt {text!r} holds {ids.count(image_id)} image tokens (id {image_id}); expected one "
                            f"(check the chat template and the tokenizer's {self.image_token!r} token)")
        at = ids.index(image_id)
        return ids[:at] + [image_id] * count + ids[at + 1:]

    # ---- generation -----------------------------------------------------------------------------
    def render_prompt(self, conversation: Conversation) -> str:
        text = joined_text(conversation)
        return self.format_prompt(self.options.prompt.replace("{prompt}", text) if self.options.prompt else text)

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        images, prompts = single_image_inputs(self, conversations)
        from mmbench.models.builtin.decoding import DecodeSettings

        if cfg.num_beams != 1:
            raise UserError(f"llava: beam search (num_beams={cfg.num_beams}) is not implemented; the built-in LLaVA decodes greedily")
        input_ids, mask = self.encode_prompts(prompts)
        pixels = self.collate_images(list(images)) if isinstance(images, list) else images
        settings = DecodeSettings(max_new_tokens=self.options.max_new_tokens or cfg.max_new_tokens,
                                  min_new_tokens=cfg.min_new_tokens, repetition_penalty=cfg.repetition_penalty,
                                  eos_token_ids=self.eos_token_ids)
        tokens = self.model.generate(input_ids.to(self.device), pixels.to(self.device, self.torch_dtype), mask.to(self.device), settings)
        return [text.strip() for text in self.tokenizer.batch_decode(tokens, skip_special_tokens=True)]

    def score_continuations(self, conversations: list[Conversation], continuations: list[list[str]]) -> list[list[float]]:
        """Sum of the log-probabilities (float32 log-softmax) of each continuation's tokens after the
        prompt ``generate`` gives the model; a continuation is tokenized alone, without special tokens,
        and appended to the prompt's tokens. One forward pass over every (conversation,
        continuation) row, left-padded (positions count real tokens only, as in ``generate``)."""
        import torch

        images, prompts = single_image_inputs(self, conversations)
        pixels = self.collate_images(list(images)) if isinstance(images, list) else images
        pairs = [(i, text) for i, texts in enumerate(continuations) for text in texts]
        if not pairs:
            return [[] for _ in conversations]
        prompt_rows = self._prompt_rows(prompts)
        targets = [self.tokenizer(text, add_special_tokens=False)["input_ids"] for _, text in pairs]
        if any(not t for t in targets):
            raise UserError(f"llava: a continuation has no tokens ({[text for (_, text), t in zip(pairs, targets) if not t][0]!r})")
        input_ids, mask = self._left_pad([prompt_rows[i] + t for (i, _), t in zip(pairs, targets)])
        chosen = pixels[torch.tensor([i for i, _ in pairs], device=pixels.device)]
        with torch.inference_mode():
            logits = self.model(input_ids.to(self.device), chosen.to(self.device, self.torch_dtype), mask.to(self.device))
        width = input_ids.shape[1]
        scores = []
        for r, target in enumerate(targets):
            steps = torch.log_softmax(logits[r, width - len(target) - 1 : width - 1].float(), dim=-1)
            scores.append(float(steps.gather(1, torch.tensor(target, device=steps.device).view(-1, 1)).sum()))
        out, k = [], 0
        for texts in continuations:
            out.append(scores[k : k + len(texts)])
            k += len(texts)
        return out

    # ---- identity -----------------------------------------------------------------------------------
    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"])

    def weights_digest(self) -> str:
        from mmbench.models.hf.common import checkpoint_digest

        return checkpoint_digest(self.checkpoint)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "checkpoint": str(self.checkpoint), "image_tokens": self.model.cfg.image_seq_length}


create = LlavaAdapter.create


# ---- checkpoint side files ----------------------------------------------------------------------------
def _chat_template(checkpoint: Path, tokenizer: Any) -> str | None:
    """The tokenizer's chat template, else the processor's (chat_template.jinja / .json), else None."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, str) and template:
        return template
    if (checkpoint / "chat_template.jinja").is_file():
        return (checkpoint / "chat_template.jinja").read_text(encoding="utf-8")
    data = read_optional_json(checkpoint / "chat_template.json")
    return str(data["chat_template"]) if data and data.get("chat_template") else None


def _eos_token_ids(checkpoint: Path, model: Llava) -> tuple[int, ...]:
    """generation_config.json's eos_token_id (what transformers' generate stops on), else config.json's."""
    generation = read_optional_json(checkpoint / "generation_config.json") or {}
    eos = generation.get("eos_token_id", model.cfg.text.eos_token_id)
    if eos is None:
        return ()
    return tuple(int(e) for e in eos) if isinstance(eos, (list, tuple)) else (int(eos),)


def _pad_token_id(tokenizer: Any, model: Llava) -> int:
    for candidate in (tokenizer.pad_token_id, model.cfg.text.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0

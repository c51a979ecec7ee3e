"""The three BLIP heads of transformers, in plain PyTorch, and loading their checkpoints.

- ``BlipForConditionalGeneration`` (captioning): ViT -> text decoder cross-attending to all image tokens.
- ``BlipForQuestionAnswering`` (VQA): ViT -> question encoder (cross-attends to the image) ->
  answer decoder (cross-attends to the question states).
- ``BlipForImageTextRetrieval``: ITC (``vision_proj`` / ``text_proj`` of the class tokens, unimodal
  text encoder) and ITM (text encoder cross-attending to the image, ``itm_head`` on the class token).

Top-level attribute names equal the checkpoint prefixes (``vision_model``, ``text_encoder``,
``text_decoder``, ``vision_proj``, ``text_proj``, ``itm_head``). Generation conventions follow
transformers' ``generate`` of each head (decoding starts from ``bos_token_id`` "[DEC]", ends at
``sep_token_id``; the VQA decoder cross-attends to every question position, padding included).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.models.builtin.blip.config import BlipConfig, head_from_hf_dict
from mmbench.models.builtin.blip.text import BlipTextLMHeadModel, BlipTextModel
from mmbench.models.builtin.decoding import DecodeSettings, beam_search, greedy_search
from mmbench.models.builtin.vit import VisionTransformer
from mmbench.models.checkpoint import build_module, load_state_dict, load_strict, read_config, torch_dtype


class BlipHead(nn.Module):
    """Common parts: the ViT and, for heads with a decoder, cached generation."""

    def __init__(self, cfg: BlipConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.vision_model = VisionTransformer(cfg.vision)

    def tied_keys(self) -> dict[str, str]:
        """Checkpoint keys that alias another tensor (alias -> source), optional in a checkpoint."""
        return {}

    def tie_weights(self) -> None:
        """Make aliased parameters one tensor again (after loading or moving)."""

    def image_states(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) -> (B, N, Dv)."""
        return self.vision_model(pixels.to(self.vision_model.dtype))

    @property
    def dtype(self) -> torch.dtype:
        return self.vision_model.dtype


class _DecodingHead(BlipHead):
    def __init__(self, cfg: BlipConfig) -> None:
        super().__init__(cfg)
        self.text_decoder = BlipTextLMHeadModel(cfg.text, cfg.tie_word_embeddings)

    def tied_keys(self) -> dict[str, str]:
        tied = {"text_decoder.cls.predictions.decoder.bias": "text_decoder.cls.predictions.bias"}
        if self.cfg.tie_word_embeddings:
            tied["text_decoder.cls.predictions.decoder.weight"] = "text_decoder.bert.embeddings.word_embeddings.weight"
        return tied

    def tie_weights(self) -> None:
        head = self.text_decoder.cls.predictions
        head.decoder.bias = head.bias
        if self.cfg.tie_word_embeddings:
            head.decoder.weight = self.text_decoder.bert.embeddings.word_embeddings.weight

    def settings(self, max_new_tokens: int, **options: float) -> DecodeSettings:
        text = self.cfg.text
        return DecodeSettings(eos_token_ids=(text.sep_token_id,), pad_token_id=text.pad_token_id,
                              max_new_tokens=max_new_tokens, **options)  # type: ignore[arg-type]

    def decode(self, memory: torch.Tensor, prompt: torch.Tensor, s: DecodeSettings,
               memory_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Generate after prompt (B, P) while cross-attending to memory (B, M, Dm) -> (B, P + n) ids.

        memory_mask (B, M): 1 = attend, 0 = ignore; None attends to every memory position.
        """
        k = s.num_beams
        if k > 1:  # one row per beam, item-major, as transformers expands its inputs
            memory, prompt = memory.repeat_interleave(k, dim=0), prompt.repeat_interleave(k, dim=0)
            memory_mask = memory_mask.repeat_interleave(k, dim=0) if memory_mask is not None else None
        cache = self.text_decoder.bert.new_cache(memory, prompt.shape[1] + s.max_new_tokens, memory_mask)

        def step(ids: torch.Tensor) -> torch.Tensor:
            return self.text_decoder.logits(ids, cache, last_only=True).float()  # (R, V)

        if k == 1:
            return greedy_search(step, prompt, s)
        return beam_search(step, cache.reorder, prompt, s)


class BlipForConditionalGeneration(_DecodingHead):
    """Image captioning: the decoder continues ``[DEC] prompt`` conditioned on all image tokens."""

    def logits(self, pixels: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) of ids (B, T) (transformers' forward ``.logits``)."""
        memory = self.image_states(pixels)
        cache = self.text_decoder.bert.new_cache(memory, ids.shape[1])
        return self.text_decoder.logits(ids, cache, mask)

    @torch.no_grad()
    def generate(self, pixels: torch.Tensor, prompt: torch.Tensor, s: DecodeSettings) -> torch.Tensor:
        """prompt (B, P) starting with [DEC] (no trailing [SEP]) -> ids (B, P + n)."""
        return self.decode(self.image_states(pixels), prompt, s)


class BlipForQuestionAnswering(_DecodingHead):
    """VQA: generates the answer after [DEC], cross-attending to the image-grounded question states."""

    def __init__(self, cfg: BlipConfig) -> None:
        super().__init__(cfg)
        self.text_encoder = BlipTextModel(cfg.text)

    def question_states(self, pixels: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Question ids, mask (B, T) -> states (B, T, D) cross-attending to the image tokens."""
        return self.text_encoder.encode(ids, mask, memory=self.image_states(pixels))

    def answer_logits(self, pixels: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor | None,
                      answer_ids: torch.Tensor) -> torch.Tensor:
        """Teacher-forced answer logits (B, A, V) (transformers: ``text_decoder(...).logits``)."""
        states = self.question_states(pixels, ids, mask)
        cache = self.text_decoder.bert.new_cache(states, answer_ids.shape[1])
        return self.text_decoder.logits(answer_ids, cache)

    @torch.no_grad()
    def generate(self, pixels: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor | None, s: DecodeSettings,
                 mask_question_padding: bool = True) -> torch.Tensor:
        """Question ids, mask (B, T) -> answer ids (B, 1 + n) starting with [DEC].

        With ``mask_question_padding`` the decoder ignores padded question positions, so an answer does not
        depend on the other questions of the batch (equal to generating each question alone). Without it,
        as transformers' ``BlipForQuestionAnswering.generate`` (and BLIP's original generate mode), it
        attends to them too.
        """
        states = self.question_states(pixels, ids, mask)
        start = torch.full((ids.shape[0], 1), self.cfg.text.bos_token_id, dtype=torch.long, device=ids.device)
        return self.decode(states, start, s, mask if mask_question_padding else None)


class BlipForImageTextRetrieval(BlipHead):
    """Retrieval: ITC embeddings of images and texts, ITM logits of image-text pairs."""

    def __init__(self, cfg: BlipConfig) -> None:
        super().__init__(cfg)
        self.text_encoder = BlipTextModel(cfg.text)
        self.vision_proj = nn.Linear(cfg.vision.hidden_size, cfg.image_text_hidden_size)
        self.text_proj = nn.Linear(cfg.text.hidden_size, cfg.image_text_hidden_size)
        self.itm_head = nn.Linear(cfg.text.hidden_size, 2)

    def image_embeds(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) -> L2-normalised (B, E)."""
        return F.normalize(self.vision_proj(self.image_states(pixels)[:, 0]), dim=-1)

    def text_embeds(self, ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Unimodal text encoder (no cross-attention): ids, mask (B, T) -> L2-normalised (B, E)."""
        return F.normalize(self.text_proj(self.text_encoder.encode(ids, mask)[:, 0]), dim=-1)

    def itm_logits(self, pixels: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Aligned pairs (image i, text i) -> logits (B, 2): [no match, match]."""
        states = self.text_encoder.encode(ids, mask, memory=self.image_states(pixels))
        return self.itm_head(states[:, 0])


HEADS: dict[str, type[BlipHead]] = {
    "caption": BlipForConditionalGeneration,
    "vqa": BlipForQuestionAnswering,
    "itm": BlipForImageTextRetrieval,
}


def load_blip(checkpoint: Path, *, device: str = "cpu", dtype: str = "float32") -> BlipHead:
    """The head named by ``config.json`` "architectures", with the checkpoint's weights (strict key and shape check)."""
    raw = read_config(checkpoint)
    cfg = BlipConfig.from_hf_dict(raw, str(checkpoint / "config.json"))
    head = HEADS[head_from_hf_dict(raw, str(checkpoint))]
    model = build_module(lambda: head(cfg), checkpoint)
    load_strict(model, load_state_dict(checkpoint), source=checkpoint, ignore=(".position_ids",), tied=model.tied_keys())
    model = model.to(device=device, dtype=torch_dtype(dtype))
    model.tie_weights()
    return model.eval().requires_grad_(False)

"""Tiny random-initialised Hugging Face checkpoints for tests, one builder per family.

Each ``build_tiny_*(directory)`` writes a complete checkpoint (config.json, model.safetensors,
tokenizer and processor files) with ``save_pretrained``, exactly as a hub checkpoint is laid out,
and returns the directory. Weights are random (seeded), tokenizers are written locally (byte-level
BPE or a letter-level WordPiece vocabulary, so any English text tokenises), images are 32x32 with
8x8 patches. Nothing is downloaded. Shared by the ``hf:`` adapter tests and any other test that
needs a real transformers model on disk.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

HIDDEN = 32
IMAGE_SIZE = 32
PATCH = 8
# Larger than transformers' 0.02 so that random models' outputs depend visibly on their inputs.
INIT = 0.2
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

# LLaVA-1.5's conversation format ("USER: <image>\n... ASSISTANT:"), written as a chat template.
LLAVA_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<image>\n' }}{% endif %}{% endfor %}"
    "{% for content in message['content'] %}{% if content['type'] == 'text' %}{{ content['text'] + ' ' }}{% endif %}{% endfor %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
# Mistral's instruction format as LLaVA-NeXT (v1.6-mistral) uses it.
LLAVA_NEXT_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' }}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<image>\n' }}{% endif %}{% endfor %}"
    "{% for content in message['content'] %}{% if content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}"
    "{{ ' [/INST]' }}{% else %}{% for content in message['content'] %}{{ ' ' + content['text'] }}{% endfor %}{% endif %}{% endfor %}"
)


def _seed() -> None:
    import torch

    torch.manual_seed(0)


def _vision(**extra: Any) -> dict[str, Any]:
    return dict(hidden_size=HIDDEN, intermediate_size=2 * HIDDEN, num_hidden_layers=2, num_attention_heads=2,
                image_size=IMAGE_SIZE, patch_size=PATCH, initializer_range=INIT, **extra)


def _byte_level_bpe(specials: list[str], **kwargs: Any) -> Any:
    """A GPT-2 style byte-level BPE tokenizer: the special tokens, then the 256 byte symbols, no merges."""
    from tokenizers import pre_tokenizers
    from transformers import GPT2Tokenizer

    vocab = {tok: i for i, tok in enumerate(specials)}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(symbol, len(vocab))
    return GPT2Tokenizer(vocab=vocab, merges=[], **kwargs)


def _clip_bpe() -> Any:
    """A CLIP tokenizer over single byte symbols (each also as a word-final ``</w>`` symbol)."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
        vocab[symbol + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[])


def _bert_wordpiece() -> Any:
    """A BERT WordPiece tokenizer over letters and digits (word starts and ``##`` continuations)."""
    from transformers import BertTokenizer

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]"])}
    for symbol in string.ascii_lowercase + string.digits + string.punctuation:
        vocab[symbol] = len(vocab)
    for symbol in string.ascii_lowercase + string.digits:
        vocab["##" + symbol] = len(vocab)
    return BertTokenizer(vocab=vocab, bos_token="[DEC]", extra_special_tokens=["[ENC]"])


def _save(directory: Path | str, model: Any, processor: Any) -> Path:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


# ---- dual encoders ---------------------------------------------------------------------------------
def build_tiny_clip(directory: Path | str) -> Path:
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    _seed()
    tokenizer = _clip_bpe()
    text = {"vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
                "num_attention_heads": 2, "max_position_embeddings": 77, "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
    config = CLIPConfig(text_config=text, vision_config=_vision(), projection_dim=16)
    images = CLIPImageProcessorPil(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                                   image_mean=MEAN, image_std=STD)
    return _save(directory, CLIPModel(config).eval(), CLIPProcessor(image_processor=images, tokenizer=tokenizer))


def build_tiny_siglip(directory: Path | str) -> Path:
    from transformers import (
        SiglipConfig,
        SiglipImageProcessorPil,
        SiglipModel,
        SiglipProcessor,
    )

    _seed()
    tokenizer = _byte_level_bpe(["<pad>", "</s>", "<unk>"], pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                bos_token="</s>", model_max_length=16)
    text = {"vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
                "num_attention_heads": 2, "max_position_embeddings": 16, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 1}
    config = SiglipConfig(text_config=text, vision_config=_vision())
    images = SiglipImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    return _save(directory, SiglipModel(config).eval(), SiglipProcessor(image_processor=images, tokenizer=tokenizer))


# ---- BLIP heads ------------------------------------------------------------------------------------
def _blip_parts() -> tuple[Any, Any]:
    from transformers import BlipConfig, BlipImageProcessorPil, BlipProcessor

    tokenizer = _bert_wordpiece()
    text = {"vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
                "num_attention_heads": 2, "max_position_embeddings": 64, "encoder_hidden_size": HIDDEN, "initializer_range": INIT,
                "pad_token_id": 0, "bos_token_id": tokenizer.convert_tokens_to_ids("[DEC]"), "sep_token_id": 3, "eos_token_id": 3}
    config = BlipConfig(text_config=text, vision_config=_vision(), projection_dim=16, image_text_hidden_size=16)
    images = BlipImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, image_mean=MEAN, image_std=STD)
    return config, BlipProcessor(image_processor=images, tokenizer=tokenizer)


def build_tiny_blip_caption(directory: Path | str) -> Path:
    from transformers import BlipForConditionalGeneration

    _seed()
    config, processor = _blip_parts()
    return _save(directory, BlipForConditionalGeneration(config).eval(), processor)


def build_tiny_blip_vqa(directory: Path | str) -> Path:
    from transformers import BlipForQuestionAnswering

    _seed()
    config, processor = _blip_parts()
    return _save(directory, BlipForQuestionAnswering(config).eval(), processor)


def build_tiny_blip_itm(directory: Path | str) -> Path:
    from transformers import BlipForImageTextRetrieval

    _seed()
    config, processor = _blip_parts()
    return _save(directory, BlipForImageTextRetrieval(config).eval(), processor)


# ---- decoder-only generators -------------------------------------------------------------------------
def _llm_tokenizer() -> Any:
    """Byte-level BPE with Llama-style specials and an ``<image>`` token (id 3)."""
    from transformers import AddedToken

    tokenizer = _byte_level_bpe(["<unk>", "<s>", "</s>", "<image>", "<pad>"], unk_token="<unk>", bos_token="<s>",
                                eos_token="</s>", pad_token="<pad>", add_bos_token=True)
    tokenizer.add_tokens([AddedToken("<image>", special=True, normalized=False)], special_tokens=True)
    return tokenizer


def _llama(vocab_size: int) -> dict[str, Any]:
    return {"model_type": "llama", "vocab_size": vocab_size, "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN,
                "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 512,
                "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 4, "initializer_range": INIT}


def build_tiny_blip2(directory: Path | str) -> Path:
    from transformers import (
        Blip2Config,
        Blip2ForConditionalGeneration,
        Blip2Processor,
        BlipImageProcessorPil,
    )

    _seed()
    tokenizer = _byte_level_bpe(["<pad>", "</s>", "<unk>", "<image>"], pad_token="<pad>", bos_token="</s>",
                                eos_token="</s>", unk_token="<unk>", add_bos_token=True)
    images = BlipImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, image_mean=MEAN, image_std=STD)
    processor = Blip2Processor(image_processor=images, tokenizer=tokenizer, num_query_tokens=4)
    image_token_id = tokenizer.convert_tokens_to_ids("<image>")
    opt = {"model_type": "opt", "vocab_size": len(tokenizer), "hidden_size": HIDDEN, "ffn_dim": 2 * HIDDEN, "num_hidden_layers": 2,
               "num_attention_heads": 2, "max_position_embeddings": 128, "word_embed_proj_dim": HIDDEN,
               "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 1}
    qformer = {"hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2, "num_attention_heads": 2,
                   "encoder_hidden_size": HIDDEN, "vocab_size": len(tokenizer)}
    config = Blip2Config(vision_config=_vision(), qformer_config=qformer, text_config=opt, num_query_tokens=4,
                         image_token_index=image_token_id)
    return _save(directory, Blip2ForConditionalGeneration(config).eval(), processor)


def build_tiny_llava(directory: Path | str) -> Path:
    from transformers import (
        CLIPImageProcessorPil,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    _seed()
    tokenizer = _llm_tokenizer()
    images = CLIPImageProcessorPil(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                                   image_mean=MEAN, image_std=STD)
    processor = LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=PATCH, num_additional_image_tokens=1,
                               vision_feature_select_strategy="default", chat_template=LLAVA_CHAT_TEMPLATE)
    config = LlavaConfig(vision_config=dict(model_type="clip_vision_model", **_vision()), text_config=_llama(len(tokenizer)),
                         image_token_index=tokenizer.convert_tokens_to_ids("<image>"), vision_feature_layer=-2,
                         vision_feature_select_strategy="default", projector_hidden_act="gelu")
    return _save(directory, LlavaForConditionalGeneration(config).eval(), processor)


def build_tiny_llava_next(directory: Path | str) -> Path:
    from transformers import (
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        LlavaNextImageProcessorPil,
        LlavaNextProcessor,
    )

    _seed()
    tokenizer = _llm_tokenizer()
    pinpoints = [[IMAGE_SIZE, IMAGE_SIZE], [IMAGE_SIZE, 2 * IMAGE_SIZE], [2 * IMAGE_SIZE, IMAGE_SIZE]]
    images = LlavaNextImageProcessorPil(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                                        image_grid_pinpoints=pinpoints, image_mean=MEAN, image_std=STD)
    processor = LlavaNextProcessor(image_processor=images, tokenizer=tokenizer, patch_size=PATCH, num_additional_image_tokens=1,
                                   vision_feature_select_strategy="default", chat_template=LLAVA_NEXT_CHAT_TEMPLATE)
    config = LlavaNextConfig(vision_config=dict(model_type="clip_vision_model", **_vision()), text_config=_llama(len(tokenizer)),
                             image_token_index=tokenizer.convert_tokens_to_ids("<image>"), image_grid_pinpoints=pinpoints,
                             vision_feature_layer=-2, vision_feature_select_strategy="default", projector_hidden_act="gelu")
    return _save(directory, LlavaNextForConditionalGeneration(config).eval(), processor)


BUILDERS = {
    "clip": build_tiny_clip,
    "siglip": build_tiny_siglip,
    "blip_caption": build_tiny_blip_caption,
    "blip_vqa": build_tiny_blip_vqa,
    "blip_itm": build_tiny_blip_itm,
    "blip2": build_tiny_blip2,
    "llava": build_tiny_llava,
    "llava_next": build_tiny_llava_next,
}

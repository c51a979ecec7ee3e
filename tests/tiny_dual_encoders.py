"""Tiny random dual-encoder checkpoints beyond CLIP/SigLIP: SigLIP 2 (variable-resolution "NaFlex"
processor) and Chinese-CLIP (a model type mmbench has no row for: served by the generic
``get_image_features`` / ``get_text_features`` path). Written with ``save_pretrained`` in the hub
layout; nothing is downloaded.

SigLIP 2's processor class fixes ``patch_size=16`` and ``max_num_patches=256`` as its image
defaults (they override its image processor's settings in a ``processor(images=...)`` call), so the
tiny checkpoint uses 16-pixel patches like the real ones; its tokenizer is SigLIP 2's own class (a
Gemma-style byte-fallback BPE that lower-cases) over the 256 byte tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tiny_checkpoints as tiny

SIGLIP2_TEXT_LENGTH = 64  # the text tower's positions = the processor's max_length, as in google/siglip2-*


def build_tiny_siglip2(directory: Path | str) -> Path:
    from transformers import (
        Siglip2Config,
        Siglip2ImageProcessorPil,
        Siglip2Model,
        Siglip2Processor,
        Siglip2Tokenizer,
    )

    tiny._seed()
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<mask>": 4}
    for byte in range(256):
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    tokenizer = Siglip2Tokenizer(vocab=vocab, merges=[])
    text = {"vocab_size": len(vocab), "hidden_size": tiny.HIDDEN, "intermediate_size": 2 * tiny.HIDDEN, "num_hidden_layers": 2,
            "num_attention_heads": 2, "max_position_embeddings": SIGLIP2_TEXT_LENGTH, "pad_token_id": 0, "bos_token_id": 2,
            "eos_token_id": 1}
    vision = {"hidden_size": tiny.HIDDEN, "intermediate_size": 2 * tiny.HIDDEN, "num_hidden_layers": 2, "num_attention_heads": 2,
              "num_patches": 16, "patch_size": 16}
    config = Siglip2Config(text_config=text, vision_config=vision, initializer_factor=4.0)
    images = Siglip2ImageProcessorPil(patch_size=16, max_num_patches=256)
    return tiny._save(directory, Siglip2Model(config).eval(), Siglip2Processor(image_processor=images, tokenizer=tokenizer))


def build_tiny_chinese_clip(directory: Path | str) -> Path:
    from transformers import (
        ChineseCLIPConfig,
        ChineseCLIPImageProcessorPil,
        ChineseCLIPModel,
        ChineseCLIPProcessor,
    )

    tiny._seed()
    tokenizer = tiny._bert_wordpiece()
    text = {"vocab_size": len(tokenizer), "hidden_size": tiny.HIDDEN, "intermediate_size": 2 * tiny.HIDDEN, "num_hidden_layers": 2,
            "num_attention_heads": 2, "max_position_embeddings": 64, "initializer_range": tiny.INIT, "pad_token_id": 0}
    config = ChineseCLIPConfig(text_config=text, vision_config=tiny._vision(), projection_dim=16)
    images = ChineseCLIPImageProcessorPil(size={"shortest_edge": tiny.IMAGE_SIZE},
                                          crop_size={"height": tiny.IMAGE_SIZE, "width": tiny.IMAGE_SIZE},
                                          image_mean=tiny.MEAN, image_std=tiny.STD)
    return tiny._save(directory, ChineseCLIPModel(config).eval(), ChineseCLIPProcessor(image_processor=images, tokenizer=tokenizer))


BUILDERS: dict[str, Any] = {"siglip2": build_tiny_siglip2, "chinese_clip": build_tiny_chinese_clip}

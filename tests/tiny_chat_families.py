"""Tiny random checkpoints of the dynamic-resolution chat families, laid out as on the hub.

Each ``build_tiny_<family>(directory)`` writes config.json, model.safetensors, the tokenizer (a
byte-level BPE holding the family's special tokens under the names its processor looks up), the
image processor's preprocessor_config.json and processor_config.json / chat_template.jinja with the
family's chat template, written out from the upstream checkpoint named beside it. No video processor
is written: these processors' video processors need torchvision, which the test machines cannot
install (a hub checkpoint that has one loads the same way in mmbench, which never reads it).

Weights are random with an initialiser scale of 0.2 (transformers' 0.02 gives near-tied logits, so
that padding noise could flip greedy choices), two layers of width 32-64, images of a few patches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tiny_checkpoints import _byte_level_bpe

INIT = 0.2
HIDDEN = 32

# Qwen/Qwen2-VL-2B-Instruct and Qwen/Qwen2.5-VL-3B-Instruct chat_template (the default system turn when
# the conversation has none; one vision block per image, in place).
QWEN2_VL_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Qwen/Qwen3-VL-2B-Instruct chat_template, its message rendering (no default system turn); the
# tool-calling and reasoning branches of the upstream template are left out (never reached here).
QWEN3_VL_TEMPLATE = (
    "{%- if messages[0].role == 'system' %}<|im_start|>system\n"
    "{%- if messages[0].content is string %}{{ messages[0].content }}{%- else %}"
    "{%- for content in messages[0].content %}{%- if 'text' in content %}{{ content.text }}{%- endif %}{%- endfor %}{%- endif %}"
    "<|im_end|>\n{%- endif %}"
    "{%- set image_count = namespace(value=0) %}"
    "{%- for message in messages %}{%- if message.role == 'user' or (message.role == 'assistant') %}"
    "<|im_start|>{{ message.role }}\n{%- if message.content is string %}{{ message.content }}{%- else %}"
    "{%- for content in message.content %}"
    "{%- if content.type == 'image' or 'image' in content or 'image_url' in content %}"
    "{%- set image_count.value = image_count.value + 1 %}{%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{%- elif 'text' in content %}{{ content.text }}{%- endif %}{%- endfor %}{%- endif %}<|im_end|>\n"
    "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
)
# OpenGVLab/InternVL3-1B-hf chat_template: ChatML, each image as <IMG_CONTEXT> on its own line.
INTERNVL_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}{% if message['content'] is string %}"
    "{{ message['content'] }}{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}"
    "{{ '<IMG_CONTEXT>\n' }}{% elif content['type'] == 'video' %}{{ '<video>\n' }}{% elif content['type'] == 'text' %}"
    "{{ content['text'] }}{% endif %}{% endfor %}{% endif %}{{'<|im_end|>\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{'<|im_start|>assistant\n' }}{% endif %}"
)
# HuggingFaceM4/Idefics3-8B-Llama3 chat_template: begins with the BOS token (the tokenizer must not add another).
IDEFICS3_TEMPLATE = (
    "<|begin_of_text|>{% for message in messages %}{{message['role'].capitalize()}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}{% elif line['type'] == 'image' %}"
    "{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
# HuggingFaceTB/SmolVLM-256M-Instruct chat_template.
SMOLVLM_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}{% elif line['type'] == 'image' %}"
    "{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
# llava-hf/llava-onevision-qwen2-0.5b-ov-hf chat_template: images first, then the texts, each on a new line.
ONEVISION_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + ' '}}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>' }}{% endfor %}"
    "{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ '\n' + content['text'] }}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ '\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}{{'<|im_end|>'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _seed() -> None:
    import torch

    torch.manual_seed(0)


def _write(directory: Path | str, model: Any, tokenizer: Any, image_processor: Any, template: str,
           processor_class: str, **processor_config: Any) -> Path:
    """The files a hub checkpoint holds, as ``save_pretrained`` of each part writes them."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    image_processor.save_pretrained(out)
    (out / "chat_template.jinja").write_text(template, encoding="utf-8")
    (out / "processor_config.json").write_text(json.dumps({"processor_class": processor_class, **processor_config}, indent=2),
                                               encoding="utf-8")
    for file in ("preprocessor_config.json", "tokenizer_config.json"):
        data = json.loads((out / file).read_text(encoding="utf-8"))
        data["processor_class"] = processor_class
        (out / file).write_text(json.dumps(data, indent=2), encoding="utf-8")
    return out


def _qwen_tokenizer() -> Any:
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
                "<|video_pad|>"]
    tokenizer = _byte_level_bpe(specials, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None, bos_token=None)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[1:]})
    return tokenizer


def _qwen_text(vocab: int, **extra: Any) -> dict[str, Any]:
    return {"vocab_size": vocab, "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
            "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 1024, "initializer_range": INIT,
            "tie_word_embeddings": False, **extra}


def _qwen_ids(tokenizer: Any) -> dict[str, int]:
    ids = tokenizer.convert_tokens_to_ids
    return {"image_token_id": ids("<|image_pad|>"), "video_token_id": ids("<|video_pad|>"),
            "vision_start_token_id": ids("<|vision_start|>"), "vision_end_token_id": ids("<|vision_end|>")}


def _qwen_image_processor(patch: int) -> Any:
    from transformers import AutoImageProcessor  # the PIL processor here, the fast one where torchvision is installed

    unit = patch * 2  # patch x spatial merge
    cls = type(AutoImageProcessor.for_model("qwen2_vl")) if hasattr(AutoImageProcessor, "for_model") else None
    del cls
    from transformers import Qwen2VLImageProcessorPil

    return Qwen2VLImageProcessorPil(size={"shortest_edge": unit * unit * 4, "longest_edge": unit * unit * 16},
                                    patch_size=patch, merge_size=2, temporal_patch_size=2)


def build_tiny_qwen2_vl(directory: Path | str) -> Path:
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    _seed()
    tokenizer = _qwen_tokenizer()
    vision = {"depth": 2, "embed_dim": HIDDEN, "hidden_size": HIDDEN, "num_heads": 2, "mlp_ratio": 2, "patch_size": 14,
              "spatial_merge_size": 2, "temporal_patch_size": 2, "initializer_range": INIT}
    text = _qwen_text(len(tokenizer), rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]})
    config = Qwen2VLConfig(text_config=text, vision_config=vision, **_qwen_ids(tokenizer), eos_token_id=tokenizer.eos_token_id,
                           pad_token_id=tokenizer.pad_token_id)
    model = Qwen2VLForConditionalGeneration(config).eval()
    return _write(directory, model, tokenizer, _qwen_image_processor(14), QWEN2_VL_TEMPLATE, "Qwen2VLProcessor")

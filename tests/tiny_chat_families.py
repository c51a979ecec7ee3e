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
    "{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0].content is string %}{{- messages[0].content }}{%- else %}"
    "{%- for content in messages[0].content %}{%- if 'text' in content %}{{- content.text }}{%- endif %}{%- endfor %}{%- endif %}"
    "{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- set image_count = namespace(value=0) %}"
    "{%- for message in messages %}{%- if message.role == 'user' or message.role == 'assistant' %}"
    "{{- '<|im_start|>' + message.role + '\\n' }}{%- if message.content is string %}{{- message.content }}{%- else %}"
    "{%- for content in message.content %}"
    "{%- if content.type == 'image' or 'image' in content or 'image_url' in content %}"
    "{%- set image_count.value = image_count.value + 1 %}{%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}"
    "{{- '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{%- elif 'text' in content %}{{- content.text }}{%- endif %}{%- endfor %}{%- endif %}{{- '<|im_end|>\\n' }}"
    "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
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
    from transformers import Qwen2VLImageProcessorPil

    unit = patch * 2  # patch x spatial merge
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


def build_tiny_qwen2_5_vl(directory: Path | str) -> Path:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    _seed()
    tokenizer = _qwen_tokenizer()
    vision = {"depth": 2, "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_heads": 2, "out_hidden_size": HIDDEN,
              "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56,
              "fullatt_block_indexes": [1], "initializer_range": INIT}
    text = _qwen_text(len(tokenizer), rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]})
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **_qwen_ids(tokenizer), eos_token_id=tokenizer.eos_token_id,
                              pad_token_id=tokenizer.pad_token_id)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    return _write(directory, model, tokenizer, _qwen_image_processor(14), QWEN2_VL_TEMPLATE, "Qwen2_5_VLProcessor")


def build_tiny_qwen3_vl(directory: Path | str) -> Path:
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

    _seed()
    tokenizer = _qwen_tokenizer()
    vision = {"depth": 2, "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_heads": 2, "out_hidden_size": HIDDEN,
              "patch_size": 16, "spatial_merge_size": 2, "temporal_patch_size": 2, "num_position_embeddings": 64,
              "deepstack_visual_indexes": [0], "initializer_range": INIT}
    text = _qwen_text(len(tokenizer), head_dim=16,
                      rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3],
                                       "mrope_interleaved": True})
    config = Qwen3VLConfig(text_config=text, vision_config=vision, **_qwen_ids(tokenizer), eos_token_id=tokenizer.eos_token_id,
                           pad_token_id=tokenizer.pad_token_id)
    model = Qwen3VLForConditionalGeneration(config).eval()
    return _write(directory, model, tokenizer, _qwen_image_processor(16), QWEN3_VL_TEMPLATE, "Qwen3VLProcessor")


def build_tiny_internvl(directory: Path | str) -> Path:
    from transformers import GotOcr2ImageProcessorPil, InternVLConfig, InternVLForConditionalGeneration

    _seed()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<IMG_CONTEXT>", "<video>"]
    tokenizer = _byte_level_bpe(specials, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None, bos_token=None,
                                extra_special_tokens={"start_image_token": "<img>", "end_image_token": "</img>",
                                                      "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"})
    tokenizer.add_special_tokens({"additional_special_tokens": specials[1:]})
    vision = {"hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2, "num_attention_heads": 2,
              "image_size": [56, 56], "patch_size": [14, 14], "initializer_range": INIT}
    text = {"model_type": "qwen2", **_qwen_text(len(tokenizer))}
    config = InternVLConfig(vision_config=vision, text_config=text, image_token_id=tokenizer.convert_tokens_to_ids("<IMG_CONTEXT>"),
                            image_seq_length=4, downsample_ratio=0.5, eos_token_id=tokenizer.eos_token_id,
                            pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    model = InternVLForConditionalGeneration(config).eval()
    images = GotOcr2ImageProcessorPil(size={"height": 56, "width": 56}, crop_to_patches=True, min_patches=1, max_patches=4,
                                      image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    return _write(directory, model, tokenizer, images, INTERNVL_TEMPLATE, "InternVLProcessor", image_seq_length=4)


def _idefics_tokenizer(bos: str, eos: str, pad: str) -> Any:
    specials = [bos, eos, pad, "<image>", "<fake_token_around_image>", "<global-img>"]
    specials += [f"<row_{i + 1}_col_{j + 1}>" for i in range(6) for j in range(6)]
    specials = list(dict.fromkeys(specials))
    tokenizer = _byte_level_bpe(specials, bos_token=bos, eos_token=eos, pad_token=pad, unk_token=None, add_bos_token=True)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[3:]})
    return tokenizer


def _idefics_config(cls: Any, tokenizer: Any, eos: str) -> Any:
    vision = {"hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2, "num_attention_heads": 2,
              "image_size": 32, "patch_size": 8, "initializer_range": INIT}
    text = {"model_type": "llama", "vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 2048,
            "initializer_range": INIT, "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.convert_tokens_to_ids(eos),
            "pad_token_id": tokenizer.pad_token_id}
    return cls(vision_config=vision, text_config=text, image_token_id=tokenizer.convert_tokens_to_ids("<image>"), scale_factor=2,
               pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)


def build_tiny_idefics3(directory: Path | str) -> Path:
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration, Idefics3ImageProcessorPil

    _seed()
    tokenizer = _idefics_tokenizer("<|begin_of_text|>", "<end_of_utterance>", "<|end_of_text|>")
    model = Idefics3ForConditionalGeneration(_idefics_config(Idefics3Config, tokenizer, "<end_of_utterance>")).eval()
    images = Idefics3ImageProcessorPil(size={"longest_edge": 64}, max_image_size={"longest_edge": 32}, do_image_splitting=True,
                                       image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return _write(directory, model, tokenizer, images, IDEFICS3_TEMPLATE, "Idefics3Processor", image_seq_len=4)


def build_tiny_smolvlm(directory: Path | str) -> Path:
    from transformers import SmolVLMConfig, SmolVLMForConditionalGeneration, SmolVLMImageProcessorPil

    _seed()
    tokenizer = _idefics_tokenizer("<|im_start|>", "<end_of_utterance>", "<|im_end|>")
    model = SmolVLMForConditionalGeneration(_idefics_config(SmolVLMConfig, tokenizer, "<end_of_utterance>")).eval()
    images = SmolVLMImageProcessorPil(size={"longest_edge": 64}, max_image_size={"longest_edge": 32}, do_image_splitting=True,
                                      image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return _write(directory, model, tokenizer, images, SMOLVLM_TEMPLATE, "SmolVLMProcessor", image_seq_len=4)


def build_tiny_llava_onevision(directory: Path | str) -> Path:
    from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, LlavaOnevisionImageProcessorPil

    _seed()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
    tokenizer = _byte_level_bpe(specials, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None, bos_token=None)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[1:]})
    pinpoints = [[32, 32], [32, 64], [64, 32], [64, 64]]
    vision = {"model_type": "siglip_vision_model", "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
              "num_attention_heads": 2, "image_size": 32, "patch_size": 8, "vision_use_head": False}
    text = {"model_type": "qwen2", **_qwen_text(len(tokenizer))}
    config = LlavaOnevisionConfig(vision_config=vision, text_config=text, image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
                                  video_token_index=tokenizer.convert_tokens_to_ids("<video>"), image_grid_pinpoints=pinpoints,
                                  vision_feature_select_strategy="full", vision_feature_layer=-1, vision_aspect_ratio="anyres_max_9",
                                  initializer_range=INIT, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    model = LlavaOnevisionForConditionalGeneration(config).eval()
    images = LlavaOnevisionImageProcessorPil(size={"height": 32, "width": 32}, image_grid_pinpoints=pinpoints,
                                             image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return _write(directory, model, tokenizer, images, ONEVISION_TEMPLATE, "LlavaOnevisionProcessor", num_image_tokens=16,
                  vision_feature_select_strategy="full", vision_aspect_ratio="anyres_max_9")


BUILDERS = {
    "qwen2-vl": build_tiny_qwen2_vl,
    "qwen2.5-vl": build_tiny_qwen2_5_vl,
    "qwen3-vl": build_tiny_qwen3_vl,
    "internvl": build_tiny_internvl,
    "idefics3": build_tiny_idefics3,
    "smolvlm": build_tiny_smolvlm,
    "llava-onevision": build_tiny_llava_onevision,
}

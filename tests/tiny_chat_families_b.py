"""Tiny random checkpoints of PaliGemma, Gemma 3, Mllama (Llama-3.2-Vision), Mistral3 (Pixtral
vision tower) and Aya Vision, laid out as on the hub (config.json, model.safetensors, the tokenizer
holding the family's special tokens under the names its processor looks up, the image processor's
preprocessor_config.json, processor_config.json and chat_template.jinja; generation_config.json where
upstream stops on more than one token).

The chat templates are written out from the upstream checkpoints named beside each (their message
rendering: the tool-calling branches, never reached by an image question, are left out). PaliGemma
has no chat template upstream and gets none. Weights are random with an initialiser scale of 0.2
(transformers' 0.02 gives near-tied logits, which padding noise could flip), two layers of width 32.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiny_chat_families import _seed, _write
from tiny_checkpoints import _byte_level_bpe

INIT = 0.2
HIDDEN = 32

# google/gemma-3-4b-it chat_template: BOS written by the template; a system turn is folded into the
# first user turn; each image as <start_of_image> (the processor expands it); texts trimmed.
GEMMA3_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- if messages[0]['content'] is string -%}{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- else -%}{%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}{%- endif -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = \"\" -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}{%- endif -%}"
    "{%- if (message['role'] == 'assistant') -%}{%- set role = \"model\" -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}"
    "{%- if message['content'] is string -%}{{ message['content'] | trim }}"
    "{%- elif message['content'] is iterable -%}{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' -%}{{ '<start_of_image>' }}{%- elif item['type'] == 'text' -%}{{ item['text'] | trim }}{%- endif -%}"
    "{%- endfor -%}{%- else -%}{{ raise_exception(\"Invalid content type\") }}{%- endif -%}"
    "{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{'<start_of_turn>model\n'}}{%- endif -%}"
)


# mistralai/Mistral-Small-3.1-24B-Instruct-2503 chat_template (Mistral v7 "tekken"): BOS from the template,
# [SYSTEM_PROMPT] always (a default one when the conversation has none; upstream's is a long text with
# today's date, shortened here), each image as [IMG] inside [INST] ... [/INST].
MISTRAL3_TEMPLATE = (
    "{%- set default_system_message = \"You are Mistral Small 3, a Large Language Model (LLM) created by Mistral AI.\" %}"
    "{{- bos_token }}"
    "{%- if messages[0]['role'] == 'system' %}"
    "{%- if messages[0]['content'] is string %}{%- set system_message = messages[0]['content'] %}"
    "{%- else %}{%- set system_message = messages[0]['content'][0]['text'] %}{%- endif %}"
    "{%- set loop_messages = messages[1:] %}"
    "{%- else %}{%- set system_message = default_system_message %}{%- set loop_messages = messages %}{%- endif %}"
    "{{- '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}"
    "{%- for message in loop_messages %}"
    "{%- if message['role'] == 'user' %}"
    "{%- if message['content'] is string %}{{- '[INST]' + message['content'] + '[/INST]' }}"
    "{%- else %}{{- '[INST]' }}{%- for block in message['content'] %}"
    "{%- if block['type'] == 'text' %}{{- block['text'] }}"
    "{%- elif block['type'] in ['image', 'image_url'] %}{{- '[IMG]' }}"
    "{%- else %}{{- raise_exception('Only text and image blocks are supported in message content!') }}{%- endif %}"
    "{%- endfor %}{{- '[/INST]' }}{%- endif %}"
    "{%- elif message['role'] == 'system' %}"
    "{%- if message['content'] is string %}{{- '[SYSTEM_PROMPT]' + message['content'] + '[/SYSTEM_PROMPT]' }}"
    "{%- else %}{{- '[SYSTEM_PROMPT]' + message['content'][0]['text'] + '[/SYSTEM_PROMPT]' }}{%- endif %}"
    "{%- elif message['role'] == 'assistant' %}"
    "{%- if message['content'] is string %}{{- message['content'] + eos_token }}"
    "{%- else %}{{- message['content'][0]['text'] + eos_token }}{%- endif %}"
    "{%- else %}{{- raise_exception('Only user, system and assistant roles are supported!') }}{%- endif %}"
    "{%- endfor %}"
)


# meta-llama/Llama-3.2-11B-Vision-Instruct chat_template without its tool-calling branches: BOS from the
# template; no system block when the conversation holds images (and an error for a system message
# with images, as upstream); otherwise a system block with the knowledge cutoff and the date.
MLLAMA_TEMPLATE = (
    "{{- bos_token }}"
    "{%- if not date_string is defined %}{%- if strftime_now is defined %}{%- set date_string = strftime_now(\"%d %b %Y\") %}"
    "{%- else %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}{%- endif %}"
    "{%- if messages[0]['role'] == 'system' %}"
    "{%- if messages[0]['content'] is string %}{%- set system_message = messages[0]['content']|trim %}"
    "{%- else %}{%- set system_message = messages[0]['content'][0]['text']|trim %}{%- endif %}"
    "{%- set messages = messages[1:] %}"
    "{%- else %}{%- set system_message = \"\" %}{%- endif %}"
    "{%- set image_ns = namespace(has_images=false) %}"
    "{%- for message in messages %}{%- if message['content'] is not string %}{%- for content in message['content'] %}"
    "{%- if content['type'] == 'image' %}{%- set image_ns.has_images = true %}{%- endif %}{%- endfor %}{%- endif %}{%- endfor %}"
    "{%- if image_ns.has_images and not system_message == \"\" %}"
    "{{- raise_exception(\"Prompting with images is incompatible with system messages.\") }}{%- endif %}"
    "{%- if not image_ns.has_images %}"
    "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}"
    "{{- \"Cutting Knowledge Date: December 2023\\n\" }}{{- \"Today Date: \" + date_string + \"\\n\\n\" }}"
    "{{- system_message }}{{- \"<|eot_id|>\" }}{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{%- if message['content'] is string %}{{- message['content'] }}"
    "{%- else %}{%- for content in message['content'] %}"
    "{%- if content['type'] == 'image' %}{{- '<|image|>' }}{%- elif content['type'] == 'text' %}{{- content['text'] }}{%- endif %}"
    "{%- endfor %}{%- endif %}{{- '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)


# CohereForAI/aya-vision-8b chat_template: BOS from the template, an optional system turn, each image as
# <image> (the processor expands it to tiles of <|IMG_PATCH|>), texts trimmed, the chatbot turn to answer.
AYA_VISION_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% if messages[0]['content'] is string %}{% set system_message = messages[0]['content'] %}"
    "{% else %}{% set system_message = messages[0]['content'][0]['text'] %}{% endif %}"
    "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% if system_message != false %}{{ '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + system_message + '<|END_OF_TURN_TOKEN|>' }}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' }}"
    "{% elif message['role'] == 'assistant' %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}"
    "{% if message['content'] is string %}{{ message['content'] | trim }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}{{ '<image>' }}{% elif content['type'] == 'text' %}{{ content['text'] | trim }}{% endif %}"
    "{% endfor %}{% endif %}{{ '<|END_OF_TURN_TOKEN|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}"
)


def _generation_config(directory: Path, **values: Any) -> None:
    from transformers import GenerationConfig

    GenerationConfig(**values).save_pretrained(directory)


# ---- Gemma 3 -------------------------------------------------------------------------------------------
def build_tiny_gemma3(directory: Path | str) -> Path:
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3ImageProcessorPil,
    )

    _seed()
    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>",
                "<image_soft_token>"]
    tokenizer = _byte_level_bpe(specials, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>",
                                add_bos_token=True,
                                extra_special_tokens={"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>",
                                                      "image_token": "<image_soft_token>"})
    tokenizer.add_special_tokens({"additional_special_tokens": specials[4:]})
    ids = tokenizer.convert_tokens_to_ids
    text = {"vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
            "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "query_pre_attn_scalar": 16,
            "sliding_window": 64, "layer_types": ["sliding_attention", "full_attention"], "max_position_embeddings": 1024,
            "initializer_range": INIT, "pad_token_id": 0, "eos_token_id": [1, ids("<end_of_turn>")], "bos_token_id": 2,
            "tie_word_embeddings": False}
    vision = {"hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2, "num_attention_heads": 2,
              "image_size": 32, "patch_size": 8, "vision_use_head": False}
    config = Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4, boi_token_index=ids("<start_of_image>"),
                          eoi_token_index=ids("<end_of_image>"), image_token_index=ids("<image_soft_token>"),
                          initializer_range=INIT, tie_word_embeddings=False)
    model = Gemma3ForConditionalGeneration(config).eval()
    images = Gemma3ImageProcessorPil(size={"height": 32, "width": 32}, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    out = _write(directory, model, tokenizer, images, GEMMA3_TEMPLATE, "Gemma3Processor", image_seq_length=4)
    _generation_config(out, bos_token_id=2, pad_token_id=0, eos_token_id=[1, ids("<end_of_turn>")])  # as upstream: <eos>, <end_of_turn>
    return out


# ---- PaliGemma: no chat template; the processor writes "<image>" x N, BOS, the prompt, "\n" ------------------
def build_tiny_paligemma(directory: Path | str) -> Path:
    from transformers import (
        PaliGemmaConfig,
        PaliGemmaForConditionalGeneration,
        PaliGemmaProcessor,
        SiglipImageProcessorPil,
    )

    _seed()
    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<image>"]
    tokenizer = _byte_level_bpe(specials, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>",
                                add_bos_token=True, extra_special_tokens={"image_token": "<image>"})
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    images = SiglipImageProcessorPil(size={"height": 32, "width": 32}, image_mean=[0.5] * 3, image_std=[0.5] * 3,
                                     image_seq_length=16)
    images.image_seq_length = 16  # (32 / 8)^2 patches, as google/paligemma-3b-mix-224's 256 = (224 / 14)^2
    processor = PaliGemmaProcessor(image_processor=images, tokenizer=tokenizer)  # adds the <loc>/<seg> tokens
    ids = tokenizer.convert_tokens_to_ids
    text = {"model_type": "gemma", "vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
            "max_position_embeddings": 1024, "initializer_range": INIT, "pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2,
            "tie_word_embeddings": False}
    vision = {"model_type": "siglip_vision_model", "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
              "num_attention_heads": 2, "image_size": 32, "patch_size": 8, "projection_dim": HIDDEN, "vision_use_head": False}
    config = PaliGemmaConfig(vision_config=vision, text_config=text, image_token_index=ids("<image>"), projection_dim=HIDDEN,
                             hidden_size=HIDDEN, pad_token_id=0, tie_word_embeddings=False)
    model = PaliGemmaForConditionalGeneration(config).eval()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


# ---- Mistral3: Pixtral vision tower (any image size: rows of [IMG] ended by [IMG_BREAK], then [IMG_END]) ---------
def build_tiny_mistral3(directory: Path | str) -> Path:
    from transformers import (
        Mistral3Config,
        Mistral3ForConditionalGeneration,
        PixtralImageProcessorPil,
    )

    _seed()
    specials = ["<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[IMG]", "[IMG_BREAK]", "[IMG_END]", "[SYSTEM_PROMPT]",
                "[/SYSTEM_PROMPT]", "<pad>"]
    tokenizer = _byte_level_bpe(specials, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                add_bos_token=True)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[3:]})
    ids = tokenizer.convert_tokens_to_ids
    vision = {"model_type": "pixtral", "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
              "num_attention_heads": 2, "head_dim": 16, "image_size": 64, "patch_size": 8, "initializer_range": INIT}
    text = {"model_type": "mistral", "vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
            "max_position_embeddings": 2048, "initializer_range": INIT, "bos_token_id": 1, "eos_token_id": 2,
            "pad_token_id": ids("<pad>"), "tie_word_embeddings": False}
    config = Mistral3Config(vision_config=vision, text_config=text, image_token_index=ids("[IMG]"), spatial_merge_size=2,
                            vision_feature_layer=-1, multimodal_projector_bias=False, tie_word_embeddings=False)
    model = Mistral3ForConditionalGeneration(config).eval()
    images = PixtralImageProcessorPil(size={"longest_edge": 64}, patch_size=8, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    return _write(directory, model, tokenizer, images, MISTRAL3_TEMPLATE, "PixtralProcessor", patch_size=8,
                  spatial_merge_size=2, image_token="[IMG]", image_break_token="[IMG_BREAK]", image_end_token="[IMG_END]")


# ---- Mllama (Llama-3.2-Vision): tiled images reaching the decoder through cross-attention layers ----------------
def build_tiny_mllama(directory: Path | str) -> Path:
    from transformers import (
        MllamaConfig,
        MllamaForConditionalGeneration,
        MllamaImageProcessorPil,
    )

    _seed()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|image|>"]
    tokenizer = _byte_level_bpe(specials, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                                pad_token="<|finetune_right_pad_id|>", unk_token=None, add_bos_token=True)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[3:]})
    ids = tokenizer.convert_tokens_to_ids
    stops = [ids("<|end_of_text|>"), ids("<|eom_id|>"), ids("<|eot_id|>")]  # as upstream's generation_config.json
    vision = {"hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2, "num_global_layers": 1,
              "attention_heads": 2, "image_size": 32, "patch_size": 8, "max_num_tiles": 4, "intermediate_layers_indices": [0],
              "vision_output_dim": 2 * HIDDEN, "supported_aspect_ratios": [[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [3, 1],
                                                                            [4, 1]], "initializer_range": INIT}
    text = {"vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 3,
            "num_attention_heads": 2, "num_key_value_heads": 1, "cross_attention_layers": [1], "max_position_embeddings": 1024,
            "initializer_range": INIT, "bos_token_id": ids("<|begin_of_text|>"), "eos_token_id": stops,
            "pad_token_id": ids("<|finetune_right_pad_id|>"), "tie_word_embeddings": False}
    config = MllamaConfig(vision_config=vision, text_config=text, image_token_index=ids("<|image|>"))
    model = MllamaForConditionalGeneration(config).eval()
    images = MllamaImageProcessorPil(size={"height": 32, "width": 32}, max_image_tiles=4)
    out = _write(directory, model, tokenizer, images, MLLAMA_TEMPLATE, "MllamaProcessor")
    _generation_config(out, bos_token_id=ids("<|begin_of_text|>"), pad_token_id=ids("<|finetune_right_pad_id|>"), eos_token_id=stops)
    return out


# ---- Aya Vision: SigLIP tiles (GOT-OCR2 cropping), pixel-shuffled, Cohere2 decoder -----------------------------
def build_tiny_aya_vision(directory: Path | str) -> Path:
    from transformers import (
        AyaVisionConfig,
        AyaVisionForConditionalGeneration,
        GotOcr2ImageProcessorPil,
    )

    _seed()
    specials = ["<PAD>", "<UNK>", "<CLS>", "<SEP>", "<MASK_TOKEN>", "<BOS_TOKEN>", "<EOS_TOKEN>", "<|START_OF_TURN_TOKEN|>",
                "<|END_OF_TURN_TOKEN|>", "<|USER_TOKEN|>", "<|CHATBOT_TOKEN|>", "<|SYSTEM_TOKEN|>", "<image>", "<|START_OF_IMG|>",
                "<|END_OF_IMG|>", "<|IMG_PATCH|>", "<|IMG_LINE_BREAK|>", "TILE", "TILE_GLOBAL"]
    specials += [f"TILE_{i}" for i in range(1, 13)]  # one token each, as the processor's token count assumes
    tokenizer = _byte_level_bpe(specials, pad_token="<PAD>", unk_token="<UNK>", bos_token="<BOS_TOKEN>",
                                eos_token="<|END_OF_TURN_TOKEN|>", add_bos_token=True)
    tokenizer.add_special_tokens({"additional_special_tokens": specials[2:5] + specials[6:]})
    ids = tokenizer.convert_tokens_to_ids
    vision = {"model_type": "siglip_vision_model", "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN, "num_hidden_layers": 2,
              "num_attention_heads": 2, "image_size": 32, "patch_size": 8, "vision_use_head": False}
    text = {"model_type": "cohere2", "vocab_size": len(tokenizer), "hidden_size": HIDDEN, "intermediate_size": 2 * HIDDEN,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "logit_scale": 1.0,
            "sliding_window": 64, "layer_types": ["sliding_attention", "full_attention"], "max_position_embeddings": 2048,
            "initializer_range": INIT, "pad_token_id": 0, "bos_token_id": ids("<BOS_TOKEN>"),
            "eos_token_id": ids("<|END_OF_TURN_TOKEN|>"), "tie_word_embeddings": False}
    config = AyaVisionConfig(vision_config=vision, text_config=text, downsample_factor=2, image_token_index=ids("<|IMG_PATCH|>"),
                             vision_feature_select_strategy="full", vision_feature_layer=-1, tie_word_embeddings=False)
    model = AyaVisionForConditionalGeneration(config).eval()
    images = GotOcr2ImageProcessorPil(size={"height": 32, "width": 32}, crop_to_patches=True, min_patches=1, max_patches=4,
                                      image_mean=[0.5] * 3, image_std=[0.5] * 3)
    out = _write(directory, model, tokenizer, images, AYA_VISION_TEMPLATE, "AyaVisionProcessor", patch_size=8, img_size=32,
                 downsample_factor=2)
    _generation_config(out, bos_token_id=ids("<BOS_TOKEN>"), pad_token_id=0, eos_token_id=ids("<|END_OF_TURN_TOKEN|>"))
    return out


BUILDERS = {
    "gemma3": build_tiny_gemma3,
    "paligemma": build_tiny_paligemma,
    "mistral3": build_tiny_mistral3,
    "mllama": build_tiny_mllama,
    "aya-vision": build_tiny_aya_vision,
}

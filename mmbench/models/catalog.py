"""Registers the built-in adapter kinds and bundled models (lazily, by "module:attr" string).

Each factory has the signature ``create(location, *, device, dtype, **model_args) -> ModelAdapter``.
"""

from __future__ import annotations

from mmbench.models.spec import register_builtin

register_builtin("hf", "mmbench.models.hf:create", "Hugging Face transformers checkpoint (hub id or local dir); family from config.json",
                 type="transformers", offers="by family: CLIP/SigLIP encode+; BLIP caption/VQA generate; BLIP ITM encode+match; BLIP-2/LLaVA generate")
register_builtin("clip", "mmbench.models.builtin.clip:create", "built-in plain-PyTorch CLIP loading HF CLIP checkpoints",
                 type="built-in", offers="encode_images, encode_texts")
register_builtin("blip", "mmbench.models.builtin.blip.adapter:create", "built-in plain-PyTorch BLIP (caption, VQA, ITM heads) loading HF Blip checkpoints",
                 type="built-in", offers="by head: generate | encode_images, encode_texts, match")
register_builtin("llava", "mmbench.models.builtin.llava.adapter:create", "built-in plain-PyTorch LLaVA (CLIP tower + projector + Llama decoder)",
                 type="built-in", offers="generate")

# The bundled reference models (tiny checkpoints trained on the shapes suite, shipped in the wheel).
register_builtin("shapes-clip", "mmbench.models.bundled:shapes_clip", "tiny CLIP trained on the shapes suite (bundled)",
                 type="bundled", offers="encode_images, encode_texts")
register_builtin("shapes-blip-caption", "mmbench.models.bundled:shapes_blip_caption", "tiny BLIP captioner trained on the shapes suite (bundled)",
                 type="bundled", offers="generate")
register_builtin("shapes-blip-vqa", "mmbench.models.bundled:shapes_blip_vqa", "tiny BLIP VQA model trained on the shapes suite (bundled)",
                 type="bundled", offers="generate")
register_builtin("shapes-llava", "mmbench.models.bundled:shapes_llava", "tiny LLaVA-style model trained on the shapes suite (bundled)",
                 type="bundled", offers="generate")

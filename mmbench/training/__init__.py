"""Training the tiny reference models on the shapes suite (``scripts/train_reference_models.py``).

Follows the "build a simple CLIP" tutorial this project grew from: a contrastive InfoNCE loss with
a learnable temperature (optional in-batch hard-negative weighting) for the dual encoder, and a
teacher-forced language-model loop for the BLIP captioner, the BLIP VQA model and the LLaVA-style
model. Models are plain transformers classes built from configs and saved with ``save_pretrained``
together with locally built tokenizers and processors, so they load through ``hf:``.
Imports torch and transformers: never import this package from ``mmbench`` itself.
"""

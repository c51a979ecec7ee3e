"""The built-in plain-PyTorch models (CLIP, BLIP, LLaVA): one ViT, one decoder loop, one strict loader."""

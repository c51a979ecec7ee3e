"""Built-in CLIP: the model (shared ViT + text tower), the OpenAI/open_clip converter, the adapter."""

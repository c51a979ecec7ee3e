"""Model adapters. ``load_model("hf:openai/clip-vit-base-patch32")`` builds one from a spec."""

from mmbench.models.spec import load_model, parse_model_spec

__all__ = ["load_model", "parse_model_spec"]

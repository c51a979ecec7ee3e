"""Model specs: ``ADAPTER:LOCATION`` (``hf:openai/clip-vit-base-patch32``), or a bare registered name.

:data:`BUILTIN_MODELS` is the model registry's table of built-ins: each model kind names its
adapter class lazily as ``"module:Class"``; the class's ``create(location, *, device, dtype,
**model_args)`` builds it and its ``offers()`` says what it can do (derived from the methods it
implements). Plugins add factories through the ``mmbench.models`` entry-point group. Listing
models imports the adapter classes' modules, which import neither torch nor transformers.
"""

from __future__ import annotations

from typing import Any

from mmbench.errors import UserError
from mmbench.models.base import ModelAdapter
from mmbench.models.bundled import BUNDLED, BUNDLED_ARGS, bundled_path
from mmbench.registry import models

_HF = "mmbench.models.hf.common:HFAdapter"

#: name -> ("module:Class" of the adapter, description, extra columns). A new model family: its
#: package under mmbench/models/ plus one line here.
BUILTIN_MODELS: dict[str, tuple[str, str, dict[str, str]]] = {
    "mock": ("mmbench.models.mock:MockAdapter", "deterministic fake model for tests and demos", {"type": "fake"}),
    "hf": (_HF, "Hugging Face transformers checkpoint (hub id or local dir); family from config.json", {"type": "transformers"}),
    "clip": ("mmbench.models.builtin.clip.adapter:ClipAdapter", "built-in plain-PyTorch CLIP loading HF CLIP checkpoints",
             {"type": "built-in"}),
    "blip": ("mmbench.models.builtin.blip.adapter:BlipAdapter",
             "built-in plain-PyTorch BLIP (caption, VQA, ITM heads) loading HF Blip checkpoints", {"type": "built-in"}),
    "llava": ("mmbench.models.builtin.llava.adapter:LlavaAdapter",
              "built-in plain-PyTorch LLaVA (CLIP tower + projector + Llama decoder)", {"type": "built-in"}),
    "openai": ("mmbench.models.api.adapter:OpenAIAdapter",
               "any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, hosted APIs): openai:<served model name>",
               {"type": "served"}),
    # the bundled models: the hf: adapter on a checkpoint folder shipped in the wheel
    **{name: (_HF, description, {"type": "bundled", "bundled": name}) for name, description in BUNDLED.items()},
}


def parse_model_spec(spec: str) -> tuple[str, str | None]:
    """``"hf:dir"`` -> ``("hf", "dir")``; ``"mock"`` -> ``("mock", None)``."""
    spec = spec.strip()
    if not spec:
        raise UserError("empty model spec; use ADAPTER:LOCATION (e.g. hf:openai/clip-vit-base-patch32) or a name from `mmbench list models`")
    adapter, sep, location = spec.partition(":")
    if sep and adapter and len(adapter) > 1:  # "C:\\..." style paths are not adapter prefixes
        return adapter, location or None
    return spec, None


def load_model(spec: str, *, device: str = "auto", dtype: str = "float32", **model_args: Any) -> ModelAdapter:
    """Build the adapter a spec names, on ``device`` ("auto": cuda, else mps, else cpu) in ``dtype``."""
    from mmbench.measure.devices import announce_device, resolve_device

    name, location = parse_model_spec(spec)
    entry = models.entry(name)
    bundled = dict(entry.info).get("bundled")
    if bundled:
        if location:
            raise UserError(f"{name} takes no location (got {location!r}); use plain --model {name}")
        location = str(bundled_path(bundled))
        model_args = {**BUNDLED_ARGS.get(bundled, {}), **model_args}
    target = entry.load()
    factory = target.create if is_adapter_class(target) else target
    requested, device = device, resolve_device(device)
    announce_device(requested, device)
    adapter: ModelAdapter = factory(location, device=device, dtype=dtype, **model_args)
    adapter.spec = spec
    return adapter


def list_model_entries() -> list[tuple[str, str, str, str]]:
    """(name, type, capabilities offered, description) rows for ``mmbench list models``."""
    rows = []
    for entry in models.entries():
        info = dict(entry.info)
        target = entry.load()
        if is_adapter_class(target):
            location = str(bundled_path(info["bundled"])) if "bundled" in info else None
            offers = target.offers(location)
        else:
            offers = info.get("offers", "?")
        rows.append((entry.name, info.get("type", "plugin"), offers, entry.describe()))
    return rows


def is_adapter_class(target: Any) -> bool:
    """A ModelAdapter subclass (a built-in kind), rather than a plugin's factory function."""
    return isinstance(target, type) and issubclass(target, ModelAdapter)

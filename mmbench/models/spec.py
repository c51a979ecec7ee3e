"""Model specs: ``ADAPTER:LOCATION`` (``hf:openai/clip-vit-base-patch32``), or a bare registered name.

Every adapter kind registers a factory ``factory(location, *, device, dtype, **model_args)``
returning a :class:`~mmbench.models.base.ModelAdapter`. Factories are registered lazily as
``"module:attr"`` strings so that listing models never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmbench.errors import UserError
from mmbench.registry import models

if TYPE_CHECKING:
    from mmbench.models.base import ModelAdapter

# Built-in adapter kinds and bundled models. Plugins add theirs through the
# ``mmbench.models`` entry-point group or ``models.register``.
_BUILTIN: dict[str, tuple[str, str, dict[str, str]]] = {
    "mock": ("mmbench.models.mock:MockAdapter.create", "deterministic fake model for tests and demos",
             {"type": "fake", "offers": "encode_images, encode_texts, generate, match"}),
}


def register_builtin(name: str, target: str, description: str, **info: str) -> None:
    _BUILTIN[name] = (target, description, info)


def _ensure_builtins() -> None:
    import mmbench.models.catalog  # noqa: F401  (registers hf:, clip:, blip:, llava:, bundled models)

    for name, (target, description, info) in _BUILTIN.items():
        if name not in models:
            models.add(name, target, description, **info)


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
    from mmbench.devices import announce_device, resolve_device

    _ensure_builtins()
    adapter_name, location = parse_model_spec(spec)
    factory = models.get(adapter_name)
    requested, device = device, resolve_device(device)
    announce_device(requested, device)
    adapter: ModelAdapter = factory(location, device=device, dtype=dtype, **model_args)
    adapter.spec = spec
    return adapter


def list_model_entries() -> list[tuple[str, str, str, str]]:
    """(name, type, capabilities offered, description) rows for ``mmbench list models``."""
    _ensure_builtins()
    rows = []
    for entry in models.entries():
        info = dict(entry.info)
        rows.append((entry.name, info.get("type", "plugin"), info.get("offers", "?"), entry.description))
    return rows

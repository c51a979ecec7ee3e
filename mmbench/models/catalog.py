"""Registers the built-in adapter kinds and bundled models (lazily, by module path)."""

from __future__ import annotations

from mmbench.models.spec import register_builtin

# Adapter kinds and bundled models are added here as their modules land:
# register_builtin("hf", "mmbench.models.hf:create", "...", type="hub/local", offers="...")

"""Mistral3 (Mistral-Small-3.1, Pixtral vision tower): its ``PixtralProcessor`` without torchvision.

In transformers 5.x ``processing_pixtral`` imports one helper, ``get_resize_output_image_size``
(the image size after Pixtral's resize to a multiple of the patch), from the torchvision image
processor module, so the processor class cannot even be imported where torchvision is absent
(``transformers.PixtralProcessor`` is then a placeholder that raises), although an image task needs
nothing of torchvision: ``AutoImageProcessor`` picks the PIL image processor, whose module defines
the same helper with the same signature. Where torchvision cannot be imported,
:func:`pixtral_processor_class` registers a stand-in for that module holding the PIL module's
helper, then imports the real processor class; where torchvision is present nothing is replaced.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from mmbench.errors import UserError
from mmbench.models.hf.chat import HFChatAdapter

_TORCHVISION_MODULE = "transformers.models.pixtral.image_processing_pixtral"


def pixtral_processor_class() -> type:
    """transformers' ``PixtralProcessor`` class, importable with or without torchvision."""
    try:
        import torchvision  # noqa: F401
    except ImportError:
        if _TORCHVISION_MODULE not in sys.modules:
            from transformers.models.pixtral import image_processing_pil_pixtral as pil

            stand_in = types.ModuleType(_TORCHVISION_MODULE, "stand-in: the PIL module's resize helper (no torchvision here)")
            stand_in.get_resize_output_image_size = pil.get_resize_output_image_size  # type: ignore[attr-defined]
            sys.modules[_TORCHVISION_MODULE] = stand_in
    from transformers.models.pixtral.processing_pixtral import PixtralProcessor

    return PixtralProcessor


def load_pixtral_processor(checkpoint: Path) -> Any:
    try:
        return pixtral_processor_class().from_pretrained(checkpoint)
    except (OSError, ValueError, KeyError, TypeError, ImportError) as e:
        first = " ".join(str(e).split()).split(". ")[0]
        raise UserError(f"{checkpoint}: cannot load the checkpoint's PixtralProcessor ({type(e).__name__}: {first})") from None


class HFMistral3Adapter(HFChatAdapter):
    """Mistral3 / Pixtral checkpoints whose processor is ``PixtralProcessor``: the generic chat path,
    the processor loaded as :func:`pixtral_processor_class` says."""

    family = "mistral3"
    model_class = "Mistral3ForConditionalGeneration"

    def _load_processor(self) -> Any:
        if self.options.trust_remote_code:
            return super()._load_processor()
        return load_pixtral_processor(self.checkpoint)

    def image_count_key(self, width: int, height: int) -> Hashable:
        """The image size after Pixtral's resize (longest edge, multiple of patch x spatial merge), the
        same computation as the processor's own count: the expansion (one token per patch, one break
        per row) depends on nothing else."""
        import numpy as np
        from transformers.models.pixtral.image_processing_pil_pixtral import get_resize_output_image_size

        try:
            longest = int(self.processor.image_processor.size["longest_edge"])
            patch = int(self.processor.patch_size) * int(getattr(self.processor, "spatial_merge_size", 1))
        except (AttributeError, KeyError, TypeError):
            return super().image_count_key(width, height)
        resized = get_resize_output_image_size(np.zeros((height, width, 3), dtype=np.uint8), size=(longest, longest),
                                               patch_size=(patch, patch))
        return ("resized", *map(int, resized))

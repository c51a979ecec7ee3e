"""Loading a checkpoint's processor for image tasks: without its video processor.

In transformers 5.x the processors of Qwen2/2.5/3-VL, InternVL, LLaVA-OneVision and SmolVLM take a
video processor, and video processors need torchvision; ``AutoProcessor.from_pretrained`` therefore
fails on a machine without torchvision even though an image task never calls it. mmbench loads
exactly what an image task uses: the checkpoint's own processor class, given by its own constructor
the checkpoint's tokenizer, image processor, chat template and processor settings, with the video
attributes left out of the class's attribute list. The image processor is
whatever ``AutoImageProcessor`` picks (the fast one where torchvision is installed, else the PIL
one), exactly as ``AutoProcessor`` would, so the result is the same with and without torchvision
apart from that choice, which :func:`image_processor_class` reports for results and store keys.
Processors without a video attribute load through ``AutoProcessor`` unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmbench.errors import UserError

#: files that may name the processor class, in the order transformers reads them
_CLASS_FILES = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")
#: what to install for a missing package, by the words transformers' ImportError uses
_INSTALL_HINTS = {"sentencepiece": "sentencepiece", "num2words": "num2words", "protobuf": "protobuf",
                  "tiktoken": "tiktoken", "torchvision": "torchvision", "timm": "timm"}


def load_processor(checkpoint: Path, model_type: str, *, trust_remote_code: bool = False) -> Any:
    """The checkpoint's processor, with no video processor where its class takes one; a UserError
    (one line: the missing package and how to install it, or what failed) instead of a traceback."""
    try:
        cls = _processor_class(checkpoint, model_type)
        if cls is None or trust_remote_code or not _video_attributes(cls):
            from transformers import AutoProcessor

            return AutoProcessor.from_pretrained(checkpoint, trust_remote_code=trust_remote_code)
        return build_image_only(cls, checkpoint)
    except ImportError as e:
        raise UserError(missing_package_message(checkpoint, e)) from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UserError(f"{checkpoint}: cannot load the checkpoint's processor ({first_sentence(e)})") from None


def build_image_only(cls: type, checkpoint: Path) -> Any:
    """Processor class ``cls`` for ``checkpoint`` without its video processor: its tokenizer and image
    processor loaded by the Auto classes (as ``AutoProcessor`` loads them), its settings and chat
    template from the checkpoint's processor files (``get_processor_dict``), given to the class's
    own constructor, which builds everything else (token ids, placeholders) as it always does."""
    import inspect

    from transformers import AutoImageProcessor, AutoTokenizer

    loaders = {"tokenizer": AutoTokenizer.from_pretrained, "image_processor": AutoImageProcessor.from_pretrained}
    parts: dict[str, Any] = {}
    for attribute in cls.get_attributes():
        if "video" in attribute:
            parts[attribute] = None
        elif attribute in loaders:
            parts[attribute] = loaders[attribute](checkpoint)
        else:
            raise TypeError(f"{cls.__name__} has a sub-processor {attribute!r} that mmbench does not load")
    settings, _ = cls.get_processor_dict(checkpoint)
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "args", "kwargs", *parts}
    return image_only(cls)(**parts, **{k: v for k, v in settings.items() if k in accepted})


def image_only(cls: type) -> type:
    """A subclass of processor class ``cls`` whose attribute list has no video processor, so that its
    constructor checks and keeps only the image processor and the tokenizer; the video attributes
    hold a :class:`NoVideoProcessor`. Requires the video attributes to come last among ``cls``'s
    attributes (true of every transformers processor that has one): constructors pass their
    sub-processors on positionally in that order."""
    video = _video_attributes(cls)
    attributes = cls.get_attributes()
    if attributes[len(attributes) - len(video):] != video:
        raise TypeError(f"{cls.__name__} lists its video processor before other sub-processors")
    kept = [a for a in attributes if a not in video]

    def get_attributes(_: type) -> list[str]:
        return list(kept)

    namespace: dict[str, Any] = {"get_attributes": classmethod(get_attributes), "__module__": __name__,
                                 "__doc__": f"{cls.__name__} without its video processor (image tasks only)."}
    namespace.update({name: NoVideoProcessor() for name in video})
    return type(cls.__name__, (cls,), namespace)


class NoVideoProcessor:
    """Stands where the video processor would: its settings read as None (some processors read
    video defaults such as ``num_frames`` on every call, images or not); calling it is an error."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise UserError("this processor was loaded for images only (mmbench loads no video processor)")

    def __repr__(self) -> str:
        return "NoVideoProcessor()"


def image_processor_class(processor: Any) -> str:
    """The name of the image processor class in use (PIL and fast ones can differ by a pixel)."""
    image_processor = getattr(processor, "image_processor", None)
    return type(image_processor).__name__ if image_processor is not None else ""


def missing_package_message(checkpoint: Path | str, error: ImportError) -> str:
    """One line naming the package transformers asked for and the pip command that installs it."""
    text = str(error)
    wanted = [pip for word, pip in _INSTALL_HINTS.items() if word.lower() in text.lower()]
    fix = f"pip install {' '.join(wanted)}" if wanted else "install the package the message names"
    return (f"{checkpoint}: the checkpoint's processor needs a package that is not installed "
            f"({first_sentence(error)}); {fix}")


def _processor_class(checkpoint: Path, model_type: str) -> type | None:
    """The processor class transformers would pick: a ``processor_class`` named in the checkpoint's
    files, else the one registered for ``model_type``; None when neither names one."""
    from transformers.models.auto.processing_auto import (
        PROCESSOR_MAPPING_NAMES,
        processor_class_from_name,
    )

    name = None
    for file in _CLASS_FILES:
        path = checkpoint / file
        if path.is_file():
            try:
                name = json.loads(path.read_text(encoding="utf-8")).get("processor_class")
            except (json.JSONDecodeError, AttributeError):
                name = None
            if name:
                break
    name = name or PROCESSOR_MAPPING_NAMES.get(model_type)
    if not isinstance(name, str):
        return None
    cls = processor_class_from_name(name)
    if cls is not None:
        cls.get_attributes()  # a placeholder class for a missing backend raises ImportError here
    return cls


def _video_attributes(cls: type) -> list[str]:
    return [a for a in cls.get_attributes() if "video" in a]


def first_sentence(error: BaseException) -> str:
    """The error's first sentence on one line (transformers wraps its messages over several lines)."""
    text = " ".join(str(error).split())
    sentence = text.split(". ")[0].rstrip(".")
    return f"{type(error).__name__}: {sentence}"

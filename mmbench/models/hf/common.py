"""Shared parts of the ``hf:`` adapter families: options, loading, preprocessing, decoding, and
choosing a checkpoint's row of ``FAMILIES`` (the table, in :mod:`mmbench.models.hf.families`).

Every family adapter subclasses :class:`HFAdapter`, which holds the checkpoint directory, the
checkpoint's own processor (so preprocessing matches the model card's reference code) and the
model, on ``device`` in ``dtype``, in eval mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mmbench.errors import UserError
from mmbench.models.fingerprint import checkpoint_digest  # noqa: F401  (re-exported for the adapters)
from mmbench.models.base import ModelAdapter
from mmbench.models.checkpoint import check_dtype_name, read_config, resolve_checkpoint, torch_dtype
from mmbench.models.hf.families import DUAL_ENCODER, FAMILIES, GENERIC, PROCESSOR_OPTIONS, Family, known_family
from mmbench.models.hf.processors import first_sentence, image_processor_class, load_processor
from mmbench.models.options import AdapterOptions
from mmbench.registry import resolve, unknown_name_message
from mmbench.types import Capability, GenerationConfig

if TYPE_CHECKING:
    import torch


#: accelerate's placement strategies that ``--model-arg device_map=`` accepts
DEVICE_MAPS = ("auto", "balanced", "balanced_low_0", "sequential")


@dataclass(frozen=True)
class HFOptions(AdapterOptions):
    """The ``hf:`` adapter's options; ``--model-arg key=value`` strings are parsed by :meth:`parse`.

    ``prompt`` replaces the task's prompt; a ``{prompt}`` placeholder in it is replaced by the task's
    prompt (e.g. ``prompt="{prompt}\\nAnswer the question using a single word or phrase."``).
    ``family`` forces a family instead of choosing it from config.json. ``system_prompt`` adds a
    system turn to every conversation that has none (chat families). The processor options
    (``min_pixels``/``max_pixels`` for Qwen, ``do_image_splitting`` for Idefics3/SmolVLM,
    ``max_num_tiles`` for InternVL) are passed to the processor's call; a family that does not
    declare one refuses it before its weights load.
    ``device_map`` (``auto``, ``balanced``, ``balanced_low_0``, ``sequential``) places the weights with
    accelerate's big-model placement over every visible GPU and the CPU instead of on ``--device``;
    inputs then go to the device of the model's first weights. ``check_memory=false`` skips the
    estimate of the weights' memory against the free memory made before loading
    (:mod:`mmbench.models.memory`).
    """

    adapter = "hf"
    device: str = "cpu"
    dtype: str = "float32"
    revision: str | None = None
    attn_implementation: str | None = None
    max_new_tokens: int | None = field(default=None, metadata={"min": 1})
    prompt: str | None = None
    trust_remote_code: bool = False
    family: str | None = None
    device_map: str | None = None
    check_memory: bool = True
    system_prompt: str | None = None
    min_pixels: int | None = field(default=None, metadata={"min": 1})
    max_pixels: int | None = field(default=None, metadata={"min": 1})
    do_image_splitting: bool | None = None
    max_num_tiles: int | None = field(default=None, metadata={"min": 1})

    def validate(self) -> None:
        check_dtype_name(self.dtype)
        if self.family is not None:
            by_name(self.family)  # a UserError naming the known families
        if self.device_map is not None and self.device_map not in DEVICE_MAPS:
            raise UserError(f"model argument device_map={self.device_map!r}: use one of {', '.join(DEVICE_MAPS)}")
        if self.min_pixels is not None and self.max_pixels is not None and self.min_pixels > self.max_pixels:
            raise UserError(f"model arguments min_pixels={self.min_pixels} and max_pixels={self.max_pixels}: "
                            "min_pixels must not exceed max_pixels")

    def processor_options(self) -> dict[str, Any]:
        """The processor options given (name -> value)."""
        return {name: getattr(self, name) for name in PROCESSOR_OPTIONS if getattr(self, name) is not None}

    def check_family(self, family: Family, where: str) -> None:
        """Refuse processor options the family does not take (before its weights load)."""
        for name in self.processor_options():
            if family.option_keyword(name) is None:
                takers = [f.name for f in FAMILIES if f.option_keyword(name)]
                raise UserError(f"{where}: model argument {name} is not an option of the {family.name} family "
                                f"(it is one of: {', '.join(takers)})")

    def apply_prompt(self, task_prompt: str) -> str:
        if self.prompt is None:
            return task_prompt
        return self.prompt.replace("{prompt}", task_prompt)


# ---- preprocessing in DataLoader workers ---------------------------------------------------------------
_IMAGE_PROCESSORS: dict[tuple[str, bool], Any] = {}


@dataclass(frozen=True)
class CheckpointImageTransform:
    """Picklable: PIL image -> ``pixel_values`` (C, H, W) float32 from the checkpoint's own image processor.

    The image processor is loaded once per process (DataLoader workers each load their own copy).
    """

    checkpoint: str
    trust_remote_code: bool = False

    def __call__(self, image: Any) -> torch.Tensor:
        key = (self.checkpoint, self.trust_remote_code)
        processor = _IMAGE_PROCESSORS.get(key)
        if processor is None:
            from transformers import AutoImageProcessor

            processor = AutoImageProcessor.from_pretrained(self.checkpoint, trust_remote_code=self.trust_remote_code)
            _IMAGE_PROCESSORS[key] = processor
        return processor(images=[image.convert("RGB")], return_tensors="pt")["pixel_values"][0]  # (C, H, W)


@dataclass(frozen=True)
class RGBImage:
    """Picklable: PIL image -> the same image in RGB; the processor runs in the main process (chat models)."""

    def __call__(self, image: Any) -> Any:
        return image.convert("RGB")


# ---- the base adapter -----------------------------------------------------------------------------------
class HFAdapter(ModelAdapter):
    """A transformers checkpoint with its processor. Subclasses name the model class to load."""

    adapter_name: ClassVar[str] = "hf"
    options_class = HFOptions
    family: ClassVar[str] = "?"
    #: transformers class name loaded with from_pretrained (an Auto* class or a concrete one)
    model_class: ClassVar[str] = "AutoModel"

    @classmethod
    def create(cls, location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> HFAdapter:
        """Build the adapter for ``hf:<location>``; ``model_args`` are ``--model-arg`` strings (see :class:`HFOptions`)."""
        if not location:
            raise UserError("hf: needs a checkpoint: hf:<local dir or hub id>, e.g. hf:openai/clip-vit-base-patch32")
        options = HFOptions.parse(model_args, device=device, dtype=dtype)
        checkpoint = resolve_checkpoint(location, options.revision)
        if options.check_memory:
            from mmbench.models.memory import memory_problem

            problem = memory_problem(checkpoint, options.dtype, options.device, options.device_map)
            if problem:
                raise UserError(problem)
        config = read_config(checkpoint)
        family = by_name(options.family) if options.family else choose_family(config, str(checkpoint))
        options.check_family(family, str(checkpoint))
        adapter: type[HFAdapter] = resolve(family.adapter)
        return adapter(checkpoint, options, family, str(config.get("model_type", "")))

    @classmethod
    def capabilities_for(cls, checkpoint: Path | None) -> frozenset[Capability] | None:
        """A family's class capabilities; for the ``hf`` kind, those of the family ``checkpoint``'s config
        picks by architecture or model type (None when it is not known without transformers)."""
        if cls is not HFAdapter:
            return super().capabilities_for(checkpoint)
        try:
            config = read_config(checkpoint) if checkpoint else None
        except UserError:
            return None
        family = _known_family(config) if config else None
        return resolve(family.adapter).class_capabilities() if family else None

    @classmethod
    def checkpoint_problems(cls, checkpoint: Path, model_args: Mapping[str, Any]) -> list[str]:
        """What the run's preflight finds wrong with ``model_args`` for this checkpoint's family (a
        processor option the family does not take), from config.json alone (no transformers import:
        a model type no row names is left to loading, which knows transformers' generic classes)."""
        try:
            options = HFOptions.parse(model_args)
            family = by_name(options.family) if options.family else known_family(read_config(checkpoint))
            if family is not None:
                options.check_family(family, str(checkpoint))
        except UserError as e:
            return [str(e)]
        return []

    @classmethod
    def offers(cls, location: str | None = None) -> str:
        """A family's capabilities; for the ``hf`` kind itself, each family's (or the one ``location``'s config picks)."""
        if cls is not HFAdapter:
            return super().offers(location)
        if location:
            return str(resolve(choose_family(read_config(Path(location)), location).adapter).offers())
        kinds = sorted({resolve(family.adapter).offers() for family in FAMILIES})
        return f"by family (the family= rows): {' | '.join(kinds)}"

    def __init__(self, checkpoint: Path, options: HFOptions, family: Family | None = None, model_type: str = "") -> None:
        self.checkpoint = checkpoint
        self.options = options
        self.family_row = family or by_name(self.family)
        self.model_type = model_type
        self.device = options.device
        self.dtype = options.dtype
        self.torch_dtype = torch_dtype(options.dtype)
        self.processor = self._load_processor()
        self.model = self._load_model()

    def _load_processor(self) -> Any:
        """The checkpoint's processor without a video processor (see :mod:`mmbench.models.hf.processors`)."""
        return load_processor(self.checkpoint, self.model_type, trust_remote_code=self.options.trust_remote_code)

    def _load_model(self) -> Any:
        import transformers

        cls = getattr(transformers, self.model_class)
        kwargs: dict[str, Any] = {"dtype": self.torch_dtype, "trust_remote_code": self.options.trust_remote_code}
        if self.options.attn_implementation:
            kwargs["attn_implementation"] = self.options.attn_implementation
        if self.options.device_map:
            kwargs["device_map"] = self.options.device_map
        try:
            model = cls.from_pretrained(self.checkpoint, **kwargs)
        except (OSError, ValueError, ImportError) as e:
            raise UserError(f"{self.checkpoint}: cannot load {self.model_class} ({_first_line(e)})") from None
        if self.options.device_map:
            self.device = str(model.device)  # inputs go where the first weights are; accelerate moves the rest
            return model.eval()
        return model.to(self.device).eval()

    @property
    def tokenizer(self) -> Any:
        return getattr(self.processor, "tokenizer", self.processor)

    def pixels(self, images: Any) -> torch.Tensor:
        """A stacked (N, C, H, W) batch on the model's device and dtype."""
        return images.to(device=self.device, dtype=self.torch_dtype)

    def to_device(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Processor outputs on the device; floating tensors (pixels) in the model's dtype."""
        moved: dict[str, Any] = {}
        for key, value in inputs.items():
            if hasattr(value, "to") and hasattr(value, "is_floating_point"):
                value = value.to(self.device, dtype=self.torch_dtype) if value.is_floating_point() else value.to(self.device)
            moved[key] = value
        return moved

    def generation_kwargs(self, cfg: GenerationConfig) -> dict[str, Any]:
        """Greedy (or beam) decoding settings for ``model.generate``; ``max_new_tokens`` option wins.
        During a timed run, greedy decoding also reports each step to mmbench's token clock
        (transformers refuses streamers with beam search: no TTFT/TPOT there)."""
        from mmbench.measure.timing import clock_running

        kwargs: dict[str, Any] = {
            "max_new_tokens": self.options.max_new_tokens or cfg.max_new_tokens,
            "min_new_tokens": cfg.min_new_tokens,
            "num_beams": cfg.num_beams,
            "repetition_penalty": cfg.repetition_penalty,
            "length_penalty": cfg.length_penalty,
            "do_sample": False,
        }
        if cfg.num_beams == 1 and clock_running():
            kwargs["streamer"] = _token_marker()
        return kwargs

    def decode(self, token_ids: torch.Tensor) -> list[str]:
        return [text.strip() for text in self.tokenizer.batch_decode(token_ids, skip_special_tokens=True)]

    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"])

    def weights_digest(self) -> str:
        return checkpoint_digest(self.checkpoint)

    def describe(self) -> dict[str, Any]:
        described = {**super().describe(), "family": self.family_row.name, "checkpoint": str(self.checkpoint),
                     "image_processor": image_processor_class(self.processor)}
        if self.options.device_map:
            described["device_map"] = self.options.device_map
            described["placement"] = placement(self.model)
        return described


def placement(model: Any) -> dict[str, int]:
    """Where the weights went: parameters per device ({"cuda:0": 6_700_000_000, "cpu": 40_000_000}), for the
    results (accelerate offloads to "meta" placeholders when weights live on disk)."""
    counts: dict[str, int] = {}
    for parameter in model.parameters():
        counts[str(parameter.device)] = counts.get(str(parameter.device), 0) + parameter.numel()
    return dict(sorted(counts.items()))


def pooled(output: Any) -> torch.Tensor:
    """``get_*_features`` result as a tensor: transformers 5 returns an output object (``.pooler_output``)."""
    return output if hasattr(output, "dim") else output.pooler_output


def _first_line(error: BaseException) -> str:
    """The error's first sentence on one line (transformers wraps its messages over several lines)."""
    return first_sentence(error)


def _token_marker() -> Any:
    """A transformers streamer that marks mmbench's token clock at each generated step (its first
    ``put`` is the prompt, not a generated token)."""
    from transformers.generation.streamers import BaseStreamer

    from mmbench.measure.timing import mark_token

    class TokenMarker(BaseStreamer):
        def __init__(self) -> None:
            self.prompt_seen = False

        def put(self, value: Any) -> None:
            if self.prompt_seen:
                mark_token()
            self.prompt_seen = True

        def end(self) -> None:
            pass

    return TokenMarker()


# ---- choosing a family (the table is mmbench.models.hf.families) ----------------------------------------
def by_name(name: str) -> Family:
    for family in FAMILIES:
        if family.name == name:
            return family
    raise UserError(f"model argument family={name!r}: " + unknown_name_message("family", name, [f.name for f in FAMILIES]))


def choose_family(config: dict[str, Any], where: str) -> Family:
    """The family serving a config.json: by architecture, then model type, then the generic fallbacks
    (image-text-to-text generation, then a dual encoder)."""
    known = _known_family(config)
    if known is not None:
        return known
    model_type = str(config.get("model_type", ""))
    if model_type in _image_text_to_text_types() or "AutoModelForImageTextToText" in (config.get("auto_map") or {}):
        return GENERIC
    if _embeds_images_and_texts(model_type):
        return DUAL_ENCODER
    supported = ", ".join(f.name for f in FAMILIES)
    raise UserError(f"{where}: model_type {model_type!r} is not a supported hf: family (supported: {supported}); "
                    f"if the checkpoint works like one of them, pass --model-arg family=NAME")


_known_family = known_family


def _embeds_images_and_texts(model_type: str) -> bool:
    """Whether transformers' AutoModel class for ``model_type`` has ``get_image_features`` and ``get_text_features``."""
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_MAPPING_NAMES

    name = MODEL_MAPPING_NAMES.get(model_type)
    model_class = getattr(transformers, name, None) if isinstance(name, str) else None
    return model_class is not None and all(callable(getattr(model_class, m, None)) for m in ("get_image_features", "get_text_features"))


def _image_text_to_text_types() -> set[str]:
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES,
    )

    return set(MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES)

"""Plain data types shared across mmbench. No torch import here (``import mmbench`` stays light)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mmbench.data.images import ImageSource


class Capability(str, enum.Enum):
    """What a model adapter can do; derived from the methods it implements."""

    ENCODE_IMAGES = "encode_images"
    ENCODE_TEXTS = "encode_texts"
    GENERATE = "generate"
    MATCH = "match"
    SCORE_CONTINUATIONS = "score_continuations"


OnError = Literal["fail", "skip"]


@dataclass(frozen=True)
class GenerationConfig:
    """Decoding settings for generative tasks (greedy by default, as the reference protocols)."""

    max_new_tokens: int = 30
    num_beams: int = 1
    min_new_tokens: int = 0
    repetition_penalty: float = 1.0
    length_penalty: float = 1.0

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> GenerationConfig:
        values = dict(values or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            from mmbench.errors import UserError

            raise UserError(f"unknown generation setting(s) {unknown}; known: {sorted(known)}")
        return cls(**values)


@dataclass(frozen=True)
class Sample:
    """One evaluation item as a reader produces it.

    ``images`` holds the sample's images in order (zero, one or many), each an image reference that
    opens itself (:class:`mmbench.data.images.ImageSource`: ``image.open(root)``): a file relative to
    the split's image root (``ImageFile``), bytes, a PIL image in memory or a Hugging Face datasets
    cell. ``texts`` holds references (captions, answers); ``meta`` holds anything task specific
    (question, question_type, label, options ...). A generative task turns a sample into a
    conversation (:mod:`mmbench.conversation`).
    """

    id: str
    images: tuple[ImageSource, ...] = ()
    texts: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def image(self) -> ImageSource:
        """The sample's only image (image-level stages: embeddings, ITM, single-image tasks)."""
        if len(self.images) != 1:
            raise ValueError(f"sample {self.id} has {len(self.images)} images where one was expected")
        return self.images[0]


# Where runs are written unless told otherwise: a folder of the user's own, never the repository's
# committed reference results in ``results/`` (which build docs/leaderboard.html). Git-ignored in a clone.
DEFAULT_OUTPUT_DIR = Path("mmbench-results")


@dataclass
class RunConfig:
    """How to run an evaluation (not what to evaluate)."""

    batch_size: int | str | None = None  # None: the task file's batch_size, else 16; "auto": largest that fits
    device: str = "auto"  # cuda if available, else mps, else cpu (mmbench.measure.devices)
    dtype: str = "float32"
    limit: int | None = None
    seed: int = 0
    num_workers: int | None = None  # None: chosen from the CPU count
    output_dir: Path | None = DEFAULT_OUTPUT_DIR  # relative to the working directory; None: nothing is written
    data_dir: Path | None = None
    on_error: OnError = "fail"
    warmup_batches: int = 1
    progress: bool | None = None  # None: a bar on a terminal, quiet otherwise
    score: bool = True  # False: predict and time only (``mmbench bench``)
    model_args: dict[str, Any] = field(default_factory=dict)  # --model-arg key=value
    store: Path | None = None  # the prediction store (SQLite); None: none (the CLI's default is in the cache folder)
    fresh: bool = False  # ignore stored predictions (new ones are still stored)
    judge: str | None = None  # --judge SPEC: the model that grades or extracts answers for judged tasks
    judge_args: dict[str, Any] = field(default_factory=dict)  # --judge-arg key=value
    metric_args: dict[str, str] = field(default_factory=dict)  # --metric-arg key=value (mmbench.tasks.metric_options)

"""Task types: how to predict (capability, batching, prompt) and how to score.

A task type never loops over batches and never times anything. It describes its work as a
sequence of :class:`Stage` objects (image stages and text stages); the runner executes each
stage in its one batch loop, stores the per-item outputs in ``task.outputs[stage.name]`` and
then asks for the next stage, so later stages can depend on earlier outputs (ITM re-ranking).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Literal, Sequence

from mmbench.registry import task_types
from mmbench.types import Capability, GenerationConfig, Sample

if TYPE_CHECKING:
    from mmbench.data import DataSplit
    from mmbench.models.base import ModelAdapter
    from mmbench.tasks.spec import TaskSpec

# step(model, batch, items) -> one output per item (a list, or a tensor whose rows are the outputs)
StepFn = Callable[["ModelAdapter", Any, Sequence[Any]], Any]


@dataclass
class Stage:
    """One stream of batched model calls.

    ``kind="images"``: each item has an ``image`` attribute (a Sample or an ImageRef); the runner
    opens and transforms the image in DataLoader workers, collates, and calls
    ``step(model, batch, items)``. ``kind="texts"``: items are strings, passed as the batch.
    ``generative`` marks stages whose outputs are generated strings (tokens/s is counted).
    """

    name: str
    kind: Literal["images", "texts"]
    items: Sequence[Any]
    step: StepFn
    generative: bool = False


@dataclass(frozen=True)
class ImageRef:
    """An image stage item that is not a Sample (e.g. one image-text pair for ITM scoring)."""

    image: Any
    payload: Any = None
    id: str = ""


@dataclass
class TaskScore:
    metrics: dict[str, float]
    samples: list[dict[str, Any]]
    notes: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)  # suffix -> JSON-able object written beside the result


class TaskType:
    """Base of the four task types; subclasses register with ``@register_task_type``."""

    type_name: ClassVar[str] = ""
    required: ClassVar[frozenset[Capability]] = frozenset()
    metric_names: ClassVar[tuple[str, ...]] = ()
    main_metric: ClassVar[str] = ""

    def __init__(self, spec: TaskSpec, split: DataSplit, skipped: set[str] | None = None) -> None:
        self.spec = spec
        self.split = split
        self.samples: list[Sample] = list(split.samples)
        self.outputs: dict[str, list[Any]] = {}
        self.skipped: set[str] = skipped if skipped is not None else set()
        self.model_capabilities: frozenset[Capability] = frozenset()  # set by the runner

    @property
    def generation(self) -> GenerationConfig:
        return GenerationConfig.from_dict(self.spec.generation)

    def prompt_template(self, style: str) -> str:
        """The task's prompt for a model's prompt style: ``prompt`` is a string, or a mapping
        ``{instruction: ..., plain: ...}`` (``default`` used for styles not listed)."""
        prompt = self.spec.prompt
        if isinstance(prompt, dict):
            chosen = prompt.get(style, prompt.get("default", ""))
            return str(chosen if chosen is not None else "")
        return str(prompt or "")

    def prompt_for(self, sample: Sample, style: str = "instruction") -> str:
        template = self.prompt_template(style)
        fields = {k: v for k, v in sample.meta.items() if isinstance(v, (str, int, float))}
        try:
            return template.format(**fields)
        except (KeyError, IndexError) as e:
            from mmbench.errors import UserError

            raise UserError(f"{self.spec.source}: prompt template {template!r} refers to {e}, which sample {sample.id} lacks") from None

    def kept(self) -> list[int]:
        """Indices of samples whose images could be read (all of them unless ``--on-error skip``)."""
        return [i for i, s in enumerate(self.samples) if s.id not in self.skipped]

    def skipped_records(self) -> list[dict[str, Any]]:
        return [{"id": s.id, "skipped": True} for s in self.samples if s.id in self.skipped]

    def prepare_scoring(self) -> None:
        """Called by the runner before the first stage when the run will be scored: start slow
        scorer set-up (a Java process) so that it overlaps with the model's work. Default: nothing."""

    def stages(self) -> Iterator[Stage]:
        raise NotImplementedError

    def score(self) -> TaskScore:
        raise NotImplementedError


def register_task_type(cls: type[TaskType]) -> type[TaskType]:
    task_types.add(cls.type_name, cls, (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "")
    return cls


def load_task_types() -> None:
    """Import the built-in task types so that they register themselves."""
    import mmbench.tasks.captioning  # noqa: F401
    import mmbench.tasks.retrieval  # noqa: F401
    import mmbench.tasks.vqa  # noqa: F401
    import mmbench.tasks.zeroshot  # noqa: F401


def skipped_note(n_skipped: int, total: int) -> dict[str, str]:
    if not n_skipped:
        return {}
    return {"skipped": f"{n_skipped} of {total} samples could not be read and were excluded from the metrics "
                       "(listed in errors.skipped and in the samples file)"}

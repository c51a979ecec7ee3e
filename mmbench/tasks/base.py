"""Task types: how to predict (capability, batching, prompt) and how to score.

A task type never loops over batches and never times anything. The data flow is in the
signatures (the runner never writes into a task):

- ``TaskType(spec, split, capabilities, prompt_style)``: what to evaluate, what the model can do and
  which of the task's prompts it takes;
- ``next_stages(outputs, skipped) -> list[Stage]``: given the outputs of the stages run so far
  (stage name -> one output per item) and the ids of samples whose images could not be read,
  the stages to run next; an empty list when the work is done. Later stages can depend on
  earlier outputs (ITM re-ranking scores the candidates the embeddings produced);
- ``score(outputs, skipped) -> TaskScore``: metrics and per-sample records from every output.

A task object holds no state between these calls other than what its constructor received.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Literal, Mapping, Sequence

from mmbench.conversation import Conversation, conversation_digest, images_in, joined_text, user_turn
from mmbench.tasks.metric_options import MetricOption
from mmbench.registry import task_types
from mmbench.types import Capability, GenerationConfig, Sample

if TYPE_CHECKING:
    from mmbench.data import DataSplit
    from mmbench.data.images import ImageSource
    from mmbench.models.base import ModelAdapter
    from mmbench.tasks.spec import TaskSpec

# step(model, batch, items) -> one output per item (a list, or a tensor whose rows are the outputs)
StepFn = Callable[["ModelAdapter", Any, Sequence[Any]], Any]
# stage name -> one output per stage item (str for generated text, float32 numpy rows otherwise)
Outputs = Mapping[str, Sequence[Any]]


@dataclass
class Stage:
    """One stream of batched model calls.

    ``kind="images"``: each item has an ``image`` attribute (a Sample or an ImageRef); the runner
    opens and transforms the image in DataLoader workers, collates, and calls
    ``step(model, batch, items)``. ``kind="conversations"``: items are :class:`ConversationItem`;
    the runner opens and transforms every image of each conversation in DataLoader workers and calls
    ``step(model, conversations, items)`` with the images in place (:mod:`mmbench.conversation`).
    ``kind="texts"``: items are strings, passed as the batch.
    ``generative`` marks stages whose outputs are generated strings (tokens/s is counted).
    ``bucket_key(model, item)``, for generative stages, says which items batch well together
    (e.g. the prompt's token length): the runner batches them in key order to cut padding and
    returns outputs in item order.
    """

    name: str
    kind: Literal["images", "conversations", "texts"]
    items: Sequence[Any]
    step: StepFn
    generative: bool = False
    bucket_key: Callable[["ModelAdapter", Any], Any] | None = None
    #: a name under which the prediction store shares this stage's outputs across tasks, for
    #: stages whose output depends only on the model and the item (text embeddings: the zero-shot
    #: classifier's class x template prompts are computed once per model and template set)
    shared_as: str | None = None
    #: which model runs the stage: "model" (the one evaluated) or "judge" (``--judge``: grading or
    #: answer extraction; its outputs are stored under the judge's identity, not the model's)
    model: Literal["model", "judge"] = "model"

    def item_keys(self) -> list[str]:
        """A stable key per item, for the prediction store: ``id:<id>`` of a Sample or ImageRef,
        ``id:<id>:<digest>`` of a conversation (every text and every image's identity),
        ``text:<sha256>`` of a string item (the output of a text depends only on the text)."""
        return [_item_key(item, self.name) for item in self.items]


def _item_key(item: Any, stage: str) -> str:
    if isinstance(item, ConversationItem):
        from mmbench.data.images import image_identity

        return f"id:{item.id}:{conversation_digest(item.conversation, image_identity)}"
    if isinstance(item, str):
        return "text:" + hashlib.sha256(item.encode("utf-8")).hexdigest()
    item_id = getattr(item, "id", "")
    if not item_id:
        raise RuntimeError(f"stage {stage!r}: an item without an id ({type(item).__name__}); give every ImageRef an id")
    return f"id:{item_id}"


@dataclass(frozen=True)
class ImageRef:
    """An image stage item that is not a Sample (e.g. one image-text pair for ITM scoring)."""

    image: ImageSource
    payload: Any = None
    id: str = ""


@dataclass(frozen=True)
class ConversationItem:
    """A generative stage's item: one sample's conversation, its image parts holding the sample's
    image references (opened and transformed by the runner)."""

    id: str
    conversation: Conversation

    @property
    def images(self) -> list[Any]:
        return images_in(self.conversation)


@dataclass
class TaskScore:
    metrics: dict[str, float]
    samples: list[dict[str, Any]]
    notes: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)  # suffix -> JSON-able object written beside the result


class TaskType:
    """Base of the task types; the built-ins are listed in :data:`mmbench.registry.task_types`."""

    type_name: ClassVar[str] = ""
    required: ClassVar[frozenset[Capability]] = frozenset()
    metric_names: ClassVar[tuple[str, ...]] = ()
    main_metric: ClassVar[str] = ""  # shown first in tables and leaderboards (mmbench.report.columns)
    #: graded by a judge model (``--judge``) whatever the options (mmvet)
    needs_judge: ClassVar[bool] = False

    @classmethod
    def required_for(cls, metrics: Mapping[str, Any]) -> frozenset[Capability]:
        """The capabilities a model needs for a run with these metric options (checked before any
        model loads; default :attr:`required`)."""
        return cls.required

    @classmethod
    def uses_judge(cls, metrics: Mapping[str, Any]) -> bool:
        """Whether a run with these metric options needs ``--judge`` (default: :attr:`needs_judge`)."""
        return cls.needs_judge
    #: the generative stage whose outputs (one text per sample, in sample order) ``mmbench score
    #: --task`` fills from a prediction file; None: the type does not score text predictions
    text_stage: ClassVar[str | None] = None
    #: the metric options the type accepts from ``--metric-arg`` (mmbench.tasks.metric_options): key -> MetricOption
    metric_options: ClassVar[Mapping[str, MetricOption]] = {}

    @classmethod
    def main_metric_for(cls, metrics: Mapping[str, Any]) -> str:
        """The main metric of a result of this type (a type whose lead depends on the task, such
        as MMBench's ``accuracy_circular``, overrides this); default :attr:`main_metric`."""
        return cls.main_metric

    @classmethod
    def metric_option_problems(cls, metrics: Mapping[str, Any]) -> list[str]:
        """Problems with a combination of metric options (after ``--metric-arg`` is merged in);
        one line each. Default: none."""
        return []

    def __init__(self, spec: TaskSpec, split: DataSplit, capabilities: frozenset[Capability] = frozenset(),
                 prompt_style: str = "instruction") -> None:
        self.spec = spec
        self.split = split
        self.samples: list[Sample] = list(split.samples)
        self.capabilities = frozenset(capabilities)  # of the model being evaluated
        self.prompt_style = prompt_style  # of the model being evaluated: which of the task's prompts it takes

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

    def conversation_for(self, sample: Sample) -> Conversation:
        """The sample's conversation for the model: by default one user turn holding every image of
        the sample, then the task's prompt (:func:`mmbench.conversation.user_turn`). Task types whose
        questions place images in the text (MMMU) override this."""
        return user_turn(sample.images, self.prompt_for(sample, self.prompt_style), self.spec.system or None)

    def generation_stage(self, name: str = "answers", samples: Sequence[Sample] | None = None) -> Stage:
        """The generative stage over ``samples`` (default: all): one conversation per sample, answered
        by ``model.generate(conversations, cfg)`` with the task's generation settings; batched by
        prompt length (the text parts' token count)."""
        cfg = self.generation
        chosen = self.samples if samples is None else list(samples)
        items = [ConversationItem(s.id, self.conversation_for(s)) for s in chosen]

        def step(model: ModelAdapter, conversations: Any, batch_items: Sequence[ConversationItem]) -> list[str]:
            return model.generate(list(conversations), cfg)

        def prompt_length(model: ModelAdapter, item: ConversationItem) -> int:
            return model.prompt_length(joined_text(item.conversation))

        return Stage(name, "conversations", items, step, generative=True, bucket_key=prompt_length)

    def kept(self, skipped: frozenset[str]) -> list[int]:
        """Indices of samples whose images could be read (all of them unless ``--on-error skip``)."""
        return [i for i, s in enumerate(self.samples) if s.id not in skipped]

    def skipped_records(self, skipped: frozenset[str]) -> list[dict[str, Any]]:
        return [{"id": s.id, "skipped": True} for s in self.samples if s.id in skipped]

    def prepare_scoring(self) -> None:
        """Called by the runner before the first stage when the run will be scored: start slow
        scorer set-up (a Java process) so that it overlaps with the model's work. Default: nothing."""

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        """The stages to run after those in ``outputs``; ``[]`` when every stage has run.

        ``outputs`` maps each stage already run to its per-item outputs (in the stage's item
        order; ``None`` for an item whose image could not be read); ``skipped`` holds the ids of
        samples whose images could not be read. Stage names are unique within a task."""
        raise NotImplementedError

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        """Metrics and per-sample records from the outputs of every stage."""
        raise NotImplementedError

    def score_texts(self, texts: Sequence[str]) -> TaskScore:
        """``mmbench score --task``: metrics from one text prediction per sample (in sample order),
        as :meth:`score` computes them from the run's outputs: by default the texts are the
        outputs of :attr:`text_stage`. A type scored from embeddings overrides this or refuses."""
        if self.text_stage is None:
            from mmbench.errors import UserError

            raise UserError(f"{self.spec.name}: task type {self.type_name} is scored from embeddings, not text predictions; "
                            f"use `mmbench score retrieval --embeddings` or `mmbench score classification --logits`")
        return self.score({self.text_stage: list(texts)}, frozenset())


def register_task_type(cls: type[TaskType]) -> type[TaskType]:
    """Register a task type from a script or notebook (plugins use the ``mmbench.task_types``
    entry-point group; the built-ins are the table in :mod:`mmbench.registry`)."""
    task_types.add(cls.type_name, cls, (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "")
    return cls


def skipped_note(n_skipped: int, total: int) -> dict[str, str]:
    if not n_skipped:
        return {}
    return {"skipped": f"{n_skipped} of {total} samples could not be read and were excluded from the metrics "
                       "(listed in errors.skipped and in the samples file)"}

"""Captioning: generate one caption per image; score with the COCO caption metrics
(pycocoevalcap 1.2 conventions, see :mod:`mmbench.metrics.captioning`)."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from mmbench.tasks.base import Stage, TaskScore, TaskType, register_task_type, skipped_note
from mmbench.types import Capability, Sample


@register_task_type
class CaptioningTask(TaskType):
    """Generate a caption per image; BLEU-1..4, METEOR, ROUGE-L, CIDEr (SPICE where it can run)."""

    type_name = "captioning"
    required = frozenset({Capability.GENERATE})
    metric_names = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr", "SPICE")
    main_metric = "CIDEr"

    def prepare_scoring(self) -> None:
        wanted = self.spec.metrics.get("metrics")
        if wanted is None or "METEOR" in wanted:
            from mmbench.metrics.captioning import prestart_meteor

            prestart_meteor()

    def stages(self) -> Iterator[Stage]:
        cfg = self.generation

        def step(model: Any, batch: Any, items: Sequence[Sample]) -> list[str]:
            return model.generate(batch, [self.prompt_for(s, model.prompt_style) for s in items], cfg)

        yield Stage("captions", "images", self.samples, step, generative=True)

    def score(self) -> TaskScore:
        from mmbench.metrics.captioning import score_captions

        captions = self.outputs["captions"]
        kept = [self.samples[i] for i in self.kept()]
        predictions = {self.samples[i].id: captions[i] for i in self.kept()}
        references = {s.id: list(s.texts) for s in kept}
        wanted = self.spec.metrics.get("metrics")
        result = score_captions(predictions, references, metrics=wanted)
        notes = {name: f"unavailable: {why}" for name, why in result.unavailable.items()}
        notes.update(skipped_note(len(self.skipped), len(self.samples)))
        records = [
            {"id": s.id, "prediction": predictions[s.id], "references": references[s.id], "metrics": result.per_image.get(s.id, {})}
            for s in kept
        ] + self.skipped_records()
        return TaskScore(dict(result.metrics), records, notes)

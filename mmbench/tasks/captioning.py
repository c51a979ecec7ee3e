"""Captioning: generate one caption per image; score with the COCO caption metrics
(pycocoevalcap 1.2 conventions, see :mod:`mmbench.metrics.captioning`).

``metrics.subsets: KEY`` (e.g. ``domain`` for NoCaps) also scores each group of images sharing
``meta[KEY]`` on its own, as the NoCaps evaluation does per domain: every metric is recomputed on
the subset with only the subset's references (CIDEr's document frequencies included), and named
``<metric>_<value>`` with non-alphanumerics as ``_`` (``CIDEr_in_domain``). The unsuffixed
metrics are those of the whole set ("entire" in the NoCaps tables).
"""

from __future__ import annotations

import re
from typing import Sequence

from mmbench.tasks.base import Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.types import Capability, Sample


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

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        if "captions" in outputs:
            return []
        return [self.generation_stage("captions")]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        from mmbench.metrics.captioning import score_captions

        captions = outputs["captions"]
        kept = [self.samples[i] for i in self.kept(skipped)]
        predictions = {self.samples[i].id: captions[i] for i in self.kept(skipped)}
        references = {s.id: list(s.texts) for s in kept}
        wanted = self.spec.metrics.get("metrics")
        result = score_captions(predictions, references, metrics=wanted)
        metrics = dict(result.metrics)
        key = self.spec.metrics.get("subsets")
        for value, ids in subset_ids(kept, key).items() if key else ():
            scored = score_captions({i: predictions[i] for i in ids}, {i: references[i] for i in ids}, metrics=wanted)
            metrics.update({f"{name}_{subset_suffix(value)}": v for name, v in scored.metrics.items()})
        notes = {name: f"{name} skipped: {why}" for name, why in result.unavailable.items()}
        notes.update(result.notes)  # e.g. the pure-Python PTB tokenizer when there is no Java
        notes.update(skipped_note(len(skipped), len(self.samples)))
        if key:
            notes["subsets"] = f"metrics also computed per {key} on each subset's own references (suffix _<{key}>)"
        records = [
            {"id": s.id, "prediction": predictions[s.id], "references": references[s.id], "metrics": result.per_image.get(s.id, {}),
             **({key: s.meta.get(key)} if key else {})}
            for s in kept
        ] + self.skipped_records(skipped)
        return TaskScore(metrics, records, notes)


def subset_ids(samples: Sequence[Sample], key: str) -> dict[str, list[str]]:
    """Sample ids grouped by ``meta[key]`` in first-seen order; a sample without the key is a DataError."""
    from mmbench.errors import DataError

    groups: dict[str, list[str]] = {}
    for sample in samples:
        value = sample.meta.get(key)
        if value is None:
            raise DataError(f"sample {sample.id} has no {key!r} (metrics.subsets: {key}); check the annotation file")
        groups.setdefault(str(value), []).append(sample.id)
    return groups


def subset_suffix(value: str) -> str:
    """``in-domain`` -> ``in_domain``: a metric-name-safe form of a subset value."""
    return re.sub(r"[^0-9A-Za-z]+", "_", value).strip("_").lower()

"""Zero-shot classification as in CLIP: per class, embed every prompt template, L2-normalise,
average, re-normalise; logits = 100 * image @ classifier; top-1 / top-5 / mean per-class recall
(see :mod:`mmbench.metrics.classification`)."""

from __future__ import annotations

from typing import Any, Sequence

from mmbench.errors import UserError
from mmbench.tasks.base import Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.tasks.retrieval import _encode_images, _encode_texts, _stack
from mmbench.types import Capability


class ZeroShotTask(TaskType):
    """Classify images by similarity to class-name prompts; top-1, top-5, mean per-class recall."""

    type_name = "zeroshot"
    required = frozenset({Capability.ENCODE_IMAGES, Capability.ENCODE_TEXTS})
    metric_names = ("top1", "top5", "mean_per_class_recall")
    main_metric = "top1"

    def _prompts(self) -> tuple[list[str], list[str]]:
        classnames = self.split.classnames
        templates = self.split.templates or ["{c}"]
        if not classnames:
            raise UserError(f"{self.spec.source}: zero-shot task has no class names (data.classnames)")
        for template in templates:
            if "{c}" not in template:
                raise UserError(f"{self.spec.source}: template {template!r} has no {{c}} placeholder")
        return list(classnames), list(templates)

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        if "images" in outputs:
            return []
        classnames, templates = self._prompts()
        prompts = [t.replace("{c}", c) for c in classnames for t in templates]  # class-major
        return [Stage("class_prompts", "texts", prompts, _encode_texts, shared_as="text_embeddings"), Stage("images", "images", self.samples, _encode_images)]

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        import numpy as np

        from mmbench.metrics.classification import classification_metrics, zeroshot_classifier

        classnames, templates = self._prompts()
        prompt_embeds = _stack(outputs["class_prompts"])  # (C*T, D)
        classifier = zeroshot_classifier(prompt_embeds.reshape(len(classnames), len(templates), -1))  # (C, D)
        kept = [self.samples[i] for i in self.kept(skipped)]
        image_embeds = _stack([outputs["images"][i] for i in self.kept(skipped)])  # (N, D)
        logits = 100.0 * image_embeds @ np.asarray(classifier, dtype=np.float32).T  # (N, C)
        labels = np.asarray([int(s.meta["label"]) for s in kept], dtype=np.int64)
        metrics = classification_metrics(logits, labels)
        top5 = np.argsort(-logits, axis=1, kind="stable")[:, :5]
        records = [
            {"id": s.id, "label": int(labels[i]), "prediction": int(top5[i, 0]),
             "metrics": {"top1": float(top5[i, 0] == labels[i]), "top5": float(labels[i] in top5[i])}}
            for i, s in enumerate(kept)
        ] + self.skipped_records(skipped)
        return TaskScore(dict(metrics), records, skipped_note(len(skipped), len(self.samples)))

    def score_texts(self, texts: Sequence[str]) -> TaskScore:
        """``mmbench score --task``: each prediction names the predicted class, by its name in the
        task's class list or by its index (a name that several classes share must be given as an
        index). ``top1`` and ``mean_per_class_recall`` as :meth:`score` computes them; ``top5``
        needs a ranking, which one predicted class does not give, and is left out (noted)."""
        import numpy as np

        from mmbench.errors import DataError
        from mmbench.metrics.classification import metrics_from_ranks

        classnames, _ = self._prompts()
        by_name: dict[str, list[int]] = {}
        for index, name in enumerate(classnames):
            by_name.setdefault(name, []).append(index)
        predicted = []
        for sample, text in zip(self.samples, texts):
            value = text.strip()
            if not value:  # no prediction (score --task --allow-missing): wrong
                predicted.append(-1)
            elif value.isdigit() and int(value) < len(classnames):
                predicted.append(int(value))
            elif len(by_name.get(value, [])) == 1:
                predicted.append(by_name[value][0])
            elif value in by_name:
                raise DataError(f"sample {sample.id}: class name {value!r} is shared by classes {by_name[value]}; give the index")
            else:
                raise DataError(f"sample {sample.id}: {value!r} is neither a class name of {self.spec.name} nor a class index "
                                f"(0..{len(classnames) - 1})")
        labels = np.asarray([int(s.meta["label"]) for s in self.samples], dtype=np.int64)
        ranks = np.where(np.asarray(predicted) == labels, 0, len(classnames))  # right: rank 0; wrong: not ranked
        metrics = metrics_from_ranks(ranks, labels)
        del metrics["top5"]
        records = [{"id": s.id, "label": int(labels[i]), "prediction": predicted[i],
                    "metrics": {"top1": float(predicted[i] == labels[i])}} for i, s in enumerate(self.samples)]
        return TaskScore(metrics, records, {"top5": "not computed: a prediction file names one class per sample, no ranking"})

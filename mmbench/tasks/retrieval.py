"""Image-text retrieval: embed every image and every caption; recall@K both ways as in the
CLIP papers (see :mod:`mmbench.metrics.retrieval`): an image query is a hit when any of its
captions is in the top K; a text query is a hit when its image is in the top K."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from mmbench.tasks.base import Stage, TaskScore, TaskType, register_task_type, skipped_note
from mmbench.types import Capability

DEFAULT_KS = (1, 5, 10)


@register_task_type
class RetrievalTask(TaskType):
    """Embed images and captions; recall@1/5/10 image->text and text->image."""

    type_name = "retrieval"
    required = frozenset({Capability.ENCODE_IMAGES, Capability.ENCODE_TEXTS})
    metric_names = tuple(f"{d}_R@{k}" for d in ("i2t", "t2i") for k in DEFAULT_KS)
    main_metric = "mean_R@1"

    def _texts(self) -> tuple[list[str], list[int]]:
        texts, owner = [], []
        for index, sample in enumerate(self.samples):
            for caption in sample.texts:
                texts.append(caption)
                owner.append(index)
        return texts, owner

    def stages(self) -> Iterator[Stage]:
        yield Stage("images", "images", self.samples, _encode_images)
        texts, _ = self._texts()
        yield Stage("texts", "texts", texts, _encode_texts)

    def score(self) -> TaskScore:
        import numpy as np

        from mmbench.metrics.retrieval import recall_at_k

        texts, owner = self._texts()
        kept = self.kept()
        position = {image_index: row for row, image_index in enumerate(kept)}
        text_rows = [t for t, image_index in enumerate(owner) if image_index in position]
        image_embeds = _stack([self.outputs["images"][i] for i in kept])  # (N_kept, D)
        text_embeds = _stack([self.outputs["texts"][t] for t in text_rows])  # (M_kept, D)
        text_image = np.asarray([position[owner[t]] for t in text_rows], dtype=np.int64)
        ks = tuple(self.spec.metrics.get("ks", DEFAULT_KS))
        result = recall_at_k(image_embeds, text_embeds, text_image, ks=ks)
        records: list[dict[str, Any]] = []
        for row, i in enumerate(kept):
            rank = int(result.per_image_rank[row])
            records.append({"id": self.samples[i].id, "kind": "image", "rank": rank,
                            "metrics": {f"i2t_R@{k}": float(rank <= k) for k in ks}})
        for row, t in enumerate(text_rows):
            rank = int(result.per_text_rank[row])
            records.append({"id": f"text-{t}", "kind": "text", "image_id": self.samples[owner[t]].id, "text": texts[t],
                            "rank": rank, "metrics": {f"t2i_R@{k}": float(rank <= k) for k in ks}})
        records += self.skipped_records()
        return TaskScore(dict(result.metrics), records, skipped_note(len(self.skipped), len(self.samples)))


def _encode_images(model: Any, batch: Any, items: Sequence[Any]) -> Any:
    return model.encode_images(batch)


def _encode_texts(model: Any, batch: Any, items: Sequence[Any]) -> Any:
    return model.encode_texts(list(batch))


def _stack(rows: list[Any]) -> Any:
    """Per-item embeddings -> (N, D) float32 array."""
    import numpy as np

    return np.stack([np.asarray(r, dtype=np.float32) for r in rows])

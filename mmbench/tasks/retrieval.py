"""Image-text retrieval: embed every image and every caption; recall@K both ways as in the
CLIP papers (see :mod:`mmbench.metrics.retrieval`): an image query is a hit when any of its
captions is in the top K; a text query is a hit when its image is in the top K."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from mmbench.tasks.base import ImageRef, Stage, TaskScore, TaskType, register_task_type, skipped_note
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
        pairs = self._rerank_pairs()
        self._itm_pairs = pairs
        if pairs:
            yield Stage("itm", "images", [ImageRef(self.samples[i].image, texts[t], f"{i}:{t}") for i, t in pairs], _match)

    # ---- optional ITM re-ranking (BLIP / LAVIS): score each query's top-k candidates --------------
    def _rerank_k(self) -> int:
        return int(self.spec.metrics.get("rerank_k", 0) or 0)

    def _gallery(self) -> tuple[Any, Any, Any, list[int], list[int]]:
        """Embeddings of the readable images and the texts of those images, with index maps."""
        import numpy as np

        _, owner = self._texts()
        kept = self.kept()
        position = {image_index: row for row, image_index in enumerate(kept)}
        text_rows = [t for t, image_index in enumerate(owner) if image_index in position]
        image_embeds = _stack([self.outputs["images"][i] for i in kept])  # (N_kept, D)
        text_embeds = _stack([self.outputs["texts"][t] for t in text_rows])  # (M_kept, D)
        text_image = np.asarray([position[owner[t]] for t in text_rows], dtype=np.int64)
        return image_embeds, text_embeds, text_image, kept, text_rows

    def _rerank_pairs(self) -> list[tuple[int, int]]:
        """(sample index, text index) of every candidate pair the re-ranking will score."""
        from mmbench.metrics.retrieval import recall_at_k

        k = self._rerank_k()
        if k <= 0 or Capability.MATCH not in self.model_capabilities:
            return []
        image_embeds, text_embeds, text_image, kept, text_rows = self._gallery()
        wanted: set[tuple[int, int]] = set()

        def record(direction: str, query: int, candidates: Any) -> Any:
            for c in candidates:
                image, text = (query, int(c)) if direction == "i2t" else (int(c), query)
                wanted.add((kept[image], text_rows[text]))
            return [0.0] * len(candidates)

        recall_at_k(image_embeds, text_embeds, text_image, rerank=record, rerank_k=k)
        return sorted(wanted)

    def _reranker(self, kept: list[int], text_rows: list[int]) -> Any:
        """Look up the ITM stage's scores for each query's candidates (gallery rows -> pairs)."""
        if "itm" not in self.outputs:
            return None
        items = {pair: float(score) for pair, score in zip(self._itm_pairs, self.outputs["itm"])}

        def lookup(direction: str, query: int, candidates: Any) -> Any:
            if direction == "i2t":
                return [items[(kept[query], text_rows[int(c)])] for c in candidates]
            return [items[(kept[int(c)], text_rows[query])] for c in candidates]

        return lookup

    def score(self) -> TaskScore:
        from mmbench.metrics.retrieval import recall_at_k

        texts, owner = self._texts()
        image_embeds, text_embeds, text_image, kept, text_rows = self._gallery()
        ks = tuple(self.spec.metrics.get("ks", DEFAULT_KS))
        reranker = self._reranker(kept, text_rows)
        if reranker is not None:
            result = recall_at_k(image_embeds, text_embeds, text_image, ks=ks, rerank=reranker, rerank_k=self._rerank_k())
        else:
            result = recall_at_k(image_embeds, text_embeds, text_image, ks=ks)
        records: list[dict[str, Any]] = []
        for row, i in enumerate(kept):
            rank = int(result.per_image_rank[row])  # 0-based
            records.append({"id": self.samples[i].id, "kind": "image", "rank": rank + 1,
                            "metrics": {f"i2t_R@{k}": float(rank < k) for k in ks}})
        for row, t in enumerate(text_rows):
            rank = int(result.per_text_rank[row])
            records.append({"id": f"text-{t}", "kind": "text", "image_id": self.samples[owner[t]].id, "text": texts[t],
                            "rank": rank + 1, "metrics": {f"t2i_R@{k}": float(rank < k) for k in ks}})
        records += self.skipped_records()
        notes = skipped_note(len(self.skipped), len(self.samples))
        if reranker is not None:
            notes["rerank"] = f"top {self._rerank_k()} candidates re-ranked by ITM score + similarity (LAVIS convention)"
        elif self._rerank_k():
            notes["rerank"] = "rerank_k set but the model has no match(): ranked by embedding similarity only"
        return TaskScore(dict(result.metrics), records, notes)


def _encode_images(model: Any, batch: Any, items: Sequence[Any]) -> Any:
    return model.encode_images(batch)


def _encode_texts(model: Any, batch: Any, items: Sequence[Any]) -> Any:
    return model.encode_texts(list(batch))


def _match(model: Any, batch: Any, items: Sequence[ImageRef]) -> Any:
    return model.match(batch, [item.payload for item in items])


def _stack(rows: list[Any]) -> Any:
    """Per-item embeddings -> (N, D) float32 array."""
    import numpy as np

    return np.stack([np.asarray(r, dtype=np.float32) for r in rows])

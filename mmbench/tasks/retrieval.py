"""Image-text retrieval: embed every image and every caption; recall@K both ways as in the
CLIP papers (see :mod:`mmbench.metrics.retrieval`): an image query is a hit when any of its
captions is in the top K; a text query is a hit when its image is in the top K."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from mmbench.tasks.metric_options import MetricOption
from mmbench.tasks.base import ImageRef, Outputs, Stage, TaskScore, TaskType, skipped_note
from mmbench.types import Capability

DEFAULT_KS = (1, 5, 10)


class RetrievalTask(TaskType):
    """Embed images and captions; recall@1/5/10 image->text and text->image."""

    type_name = "retrieval"
    required = frozenset({Capability.ENCODE_IMAGES, Capability.ENCODE_TEXTS})
    metric_names = tuple(f"{d}_R@{k}" for d in ("i2t", "t2i") for k in DEFAULT_KS)
    main_metric = "mean_R@1"
    metric_options = {
        "ks": MetricOption("the K of recall@K", kind="int_list"),
        "rerank_k": MetricOption("ITM re-ranking of the top K candidates (0: off)", kind="int"),
    }

    def _texts(self) -> tuple[list[str], list[int]]:
        texts, owner = [], []
        for index, sample in enumerate(self.samples):
            for caption in sample.texts:
                texts.append(caption)
                owner.append(index)
        return texts, owner

    def next_stages(self, outputs: Outputs, skipped: frozenset[str]) -> list[Stage]:
        texts, _ = self._texts()
        if "images" not in outputs:
            return [Stage("images", "images", self.samples, _encode_images), Stage("texts", "texts", texts, _encode_texts, shared_as="text_embeddings")]
        if "itm" in outputs:
            return []
        pairs = self._rerank_pairs(self._gallery(outputs, skipped)) if self._reranks() else []
        if not pairs:
            return []
        return [Stage("itm", "images", [ImageRef(self.samples[i].image, texts[t], f"{i}:{t}") for i, t in pairs], _match)]

    # ---- optional ITM re-ranking (BLIP / LAVIS): score each query's top-k candidates --------------
    def _rerank_k(self) -> int:
        return int(self.spec.metrics.get("rerank_k", 0) or 0)

    def _gallery(self, outputs: Outputs, skipped: frozenset[str]) -> _Gallery:
        """Embeddings of the readable images and the texts of those images, with index maps."""
        import numpy as np

        _, owner = self._texts()
        kept = self.kept(skipped)
        position = {image_index: row for row, image_index in enumerate(kept)}
        text_rows = [t for t, image_index in enumerate(owner) if image_index in position]
        return _Gallery(
            image_embeds=_stack([outputs["images"][i] for i in kept]),  # (N_kept, D)
            text_embeds=_stack([outputs["texts"][t] for t in text_rows]),  # (M_kept, D)
            text_image=np.asarray([position[owner[t]] for t in text_rows], dtype=np.int64),
            kept=kept, text_rows=text_rows,
        )

    def _reranks(self) -> bool:
        return self._rerank_k() > 0 and Capability.MATCH in self.capabilities

    def _rerank_pairs(self, g: _Gallery) -> list[tuple[int, int]]:
        """(sample index, text index) of every candidate pair the re-ranking will score."""
        from mmbench.metrics.retrieval import rerank_candidates

        return [(g.kept[image], g.text_rows[text]) for image, text in rerank_candidates(g.image_embeds, g.text_embeds, self._rerank_k())]

    def _reranker(self, outputs: Outputs, g: _Gallery) -> Any:
        """Look up the ITM stage's scores for each query's candidates (gallery rows -> pairs)."""
        if "itm" not in outputs:
            return None
        scores = {pair: float(score) for pair, score in zip(self._rerank_pairs(g), outputs["itm"])}

        def lookup(direction: str, query: int, candidates: Any) -> Any:
            if direction == "i2t":
                return [scores[(g.kept[query], g.text_rows[int(c)])] for c in candidates]
            return [scores[(g.kept[int(c)], g.text_rows[query])] for c in candidates]

        return lookup

    def score(self, outputs: Outputs, skipped: frozenset[str]) -> TaskScore:
        from mmbench.metrics.retrieval import recall_at_k

        texts, owner = self._texts()
        g = self._gallery(outputs, skipped)
        ks = tuple(self.spec.metrics.get("ks", DEFAULT_KS))
        reranker = self._reranker(outputs, g)
        if reranker is not None:
            result = recall_at_k(g.image_embeds, g.text_embeds, g.text_image, ks=ks, rerank=reranker, rerank_k=self._rerank_k())
        else:
            result = recall_at_k(g.image_embeds, g.text_embeds, g.text_image, ks=ks)
        records: list[dict[str, Any]] = []
        for row, i in enumerate(g.kept):
            rank = int(result.per_image_rank[row])  # 0-based
            records.append({"id": self.samples[i].id, "kind": "image", "rank": rank + 1,
                            "metrics": {f"i2t_R@{k}": float(rank < k) for k in ks}})
        for row, t in enumerate(g.text_rows):
            rank = int(result.per_text_rank[row])
            records.append({"id": f"text-{t}", "kind": "text", "image_id": self.samples[owner[t]].id, "text": texts[t],
                            "rank": rank + 1, "metrics": {f"t2i_R@{k}": float(rank < k) for k in ks}})
        records += self.skipped_records(skipped)
        notes = skipped_note(len(skipped), len(self.samples))
        if reranker is not None:
            notes["rerank"] = f"top {self._rerank_k()} candidates re-ranked by ITM score + similarity (LAVIS convention)"
        elif self._rerank_k():
            notes["rerank"] = "rerank_k set but the model has no match(): ranked by embedding similarity only"
        return TaskScore(dict(result.metrics), records, notes)


@dataclass(frozen=True)
class _Gallery:
    """The readable part of the retrieval set: embeddings plus maps from gallery rows back to
    sample indices (``kept``) and text indices (``text_rows``)."""

    image_embeds: Any  # (N_kept, D) float32
    text_embeds: Any  # (M_kept, D) float32
    text_image: Any  # (M_kept,) int64: gallery row of each text's image
    kept: list[int]
    text_rows: list[int]


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

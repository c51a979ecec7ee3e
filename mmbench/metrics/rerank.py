"""Re-ranking for retrieval (BLIP / LAVIS ITM): each query's top ``k`` candidates by similarity are
re-scored as ``rerank(...) + similarity``, every other candidate scores -100 (LAVIS
``compute_sim_matrix``), then ranks are counted with :mod:`mmbench.metrics.retrieval`'s tie rule.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Literal

import numpy as np

from mmbench.errors import UserError
from mmbench.metrics.arrays import as_numpy, float_matrix

Direction = Literal["i2t", "t2i"]
RerankFn = Callable[[Direction, int, np.ndarray], Any]
"""``rerank(direction, query_index, candidate_indices) -> scores`` (one float per candidate).

``direction`` "i2t": query is image ``query_index``, candidates are text indices;
"t2i": query is text ``query_index``, candidates are image indices. Candidates are ordered
by decreasing similarity. The final score is ``scores + similarity`` (BLIP ITM re-ranking)."""

RERANK_FILL = -100.0  # score of candidates outside the re-ranked top k (LAVIS)


def reranked_ranks(
    images: np.ndarray, texts: np.ndarray, owner: np.ndarray, rerank: RerankFn, k: int, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Ranks after re-scoring each query's top-k candidates with ``rerank`` (+ similarity)."""
    captions_of = _captions_per_image(owner, images.shape[0])
    image_rank = np.empty(images.shape[0], dtype=np.int64)
    for query, sims, top in _top_candidates(images, texts, k, chunk):
        scores = _rescored(sims, top, rerank, "i2t", query)
        image_rank[query] = min(_rank_of(scores, int(t)) for t in captions_of[query])
    text_rank = np.empty(texts.shape[0], dtype=np.int64)
    for query, sims, top in _top_candidates(texts, images, k, chunk):
        scores = _rescored(sims, top, rerank, "t2i", query)
        text_rank[query] = _rank_of(scores, int(owner[query]))
    return image_rank, text_rank


def rerank_candidates(image_embeds: Any, text_embeds: Any, k: int, chunk: int = 2048) -> list[tuple[int, int]]:
    """Every (image index, text index) pair that re-ranking with ``rerank_k=k`` will score.

    That is each image query's top ``k`` texts and each text query's top ``k`` images by
    similarity (ties to the lower index), the same candidates :func:`recall_at_k` passes to its
    ``rerank`` callable, sorted and without repeats. A runner scores these pairs with the
    model's ITM head before ranking."""
    images = float_matrix(as_numpy(image_embeds), "image_embeds")
    texts = float_matrix(as_numpy(text_embeds), "text_embeds")
    if k < 1:
        raise UserError(f"rerank_k must be >= 1, got {k}")
    pairs = {(query, int(t)) for query, _, top in _top_candidates(images, texts, k, chunk) for t in top}
    pairs.update((int(i), query) for query, _, top in _top_candidates(texts, images, k, chunk) for i in top)
    return sorted(pairs)


def _top_candidates(queries: np.ndarray, gallery: np.ndarray, k: int, chunk: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Per query: (index, similarity row (G,), its top-k gallery indices, best first, ties to lower index)."""
    for start in range(0, queries.shape[0], chunk):
        sims = queries[start : start + chunk] @ gallery.T  # (B, G)
        for row in range(sims.shape[0]):
            yield start + row, sims[row], np.argsort(-sims[row], kind="stable")[:k]


def _captions_per_image(owner: np.ndarray, n_images: int) -> list[np.ndarray]:
    order = np.argsort(owner, kind="stable")
    return np.split(order, np.cumsum(np.bincount(owner, minlength=n_images))[:-1])


def _rescored(sims: np.ndarray, top: np.ndarray, rerank: RerankFn, direction: Direction, query: int) -> np.ndarray:
    extra = np.asarray(as_numpy(rerank(direction, query, top.copy())), dtype=np.float64).reshape(-1)
    if extra.shape[0] != top.shape[0] or not np.all(np.isfinite(extra)):
        raise UserError(f"rerank returned {extra.shape[0]} scores (finite required) for {top.shape[0]} candidates ({direction} query {query})")
    scores = np.full(sims.shape[0], RERANK_FILL)
    scores[top] = extra + sims[top].astype(np.float64)
    return scores


def _rank_of(scores: np.ndarray, target: int) -> int:
    s = scores[target]
    return int(np.count_nonzero(scores > s) + np.count_nonzero(scores[:target] == s))


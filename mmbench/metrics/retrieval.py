"""Image-text retrieval recall@K, as in the CLIP paper and CLIP_benchmark / LAVIS.

Convention (docs/protocols.md "Flickr30K and COCO retrieval"):

- similarity = dot product of the given embeddings (pass L2-normalised embeddings for cosine
  similarity), computed as float32 matrix products;
- i2t (image query, text gallery): an image is a hit at K if *any* of its captions is among the
  top K texts. Its rank is the 0-based position of its best-placed caption;
- t2i (text query, image gallery): a text is a hit at K if its image is among the top K images;
- ties are resolved in favour of the lower gallery index, exactly as a stable descending sort
  (``np.argsort(-scores, kind="stable")``) of a full similarity row would place them. So the
  rank of target ``g`` in row ``s`` is ``#{i: s[i] > s[g]} + #{i < g: s[i] == s[g]}``.

Scale: ranks are counted exactly, never by a running top-k. The similarity matrix is computed in
chunks of texts (``chunk_texts`` x N images, float32); each chunk is read once more to take, per
text, the maxima of G = 16 interleaved column groups (an element-wise maximum of contiguous slabs,
memory-bound). Only groups whose maximum can reach a query's target score are then compared
element by element, in both directions; when pruning cannot help (near-random embeddings) the
chunk is compared densely. For image queries the target (the best caption's score) is not known
before every chunk has been seen, so it is bracketed in advance by a float64 dot product +- a
rigorous float32 rounding bound; entries inside that narrow band are kept and resolved at the end
against the exact chunk values, so results equal a full-matrix computation of the same float32
products. Peak memory is a few chunks (~chunk_texts x N x 4 bytes each), independent of M.

Re-ranking (BLIP / LAVIS ITM): with ``rerank``, each query's top ``rerank_k`` candidates by
similarity are re-scored as ``rerank(...) + similarity``; every other candidate scores -100
(LAVIS ``compute_sim_matrix``), then ranks are counted with the same tie rule.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from mmbench.errors import UserError
from mmbench.metrics.arrays import as_numpy, float_matrix
from mmbench.metrics.rerank import RERANK_FILL, Direction, RerankFn, rerank_candidates, reranked_ranks

__all__ = ["RERANK_FILL", "Direction", "RerankFn", "RetrievalScores", "as_numpy", "exact_ranks", "recall_at_k",
           "recall_from_ranks", "rerank_candidates"]

_GROUP = 16  # columns per pruning group


@dataclass(frozen=True)
class RetrievalScores:
    """Result of :func:`recall_at_k`.

    metrics: ``i2t_R@K`` and ``t2i_R@K`` for each K, fractions in [0, 1].
    per_image_rank: (N,) int64, 0-based rank of each image's best caption (i2t).
    per_text_rank: (M,) int64, 0-based rank of each text's image (t2i).
    """

    metrics: dict[str, float]
    per_image_rank: np.ndarray
    per_text_rank: np.ndarray


def recall_at_k(
    image_embeds: Any,
    text_embeds: Any,
    text_image: Any,
    ks: Sequence[int] = (1, 5, 10),
    rerank: RerankFn | None = None,
    rerank_k: int = 128,
    chunk_texts: int = 2048,
    workers: int | None = None,
) -> RetrievalScores:
    """Recall@K in both directions.

    image_embeds: (N, D); text_embeds: (M, D); text_image: (M,) index of each text's image.
    Arrays may be numpy arrays or CPU torch tensors. Every image needs at least one caption.
    ``chunk_texts`` bounds memory (a chunk is chunk_texts x N float32); ``workers`` threads
    share the counting (default: usable CPUs, at most 8).
    Raises :class:`~mmbench.errors.UserError` for bad shapes, non-finite values or indices.
    """
    images, texts, owner = _validated(image_embeds, text_embeds, text_image)
    ks = _validated_ks(ks)
    if chunk_texts < 1:
        raise UserError(f"chunk_texts must be >= 1, got {chunk_texts}")
    if rerank is None:
        image_rank, text_rank = exact_ranks(images, texts, owner, chunk_texts, workers)
    else:
        if rerank_k < 1:
            raise UserError(f"rerank_k must be >= 1, got {rerank_k}")
        image_rank, text_rank = reranked_ranks(images, texts, owner, rerank, rerank_k, chunk_texts)
    return RetrievalScores(recall_from_ranks(image_rank, text_rank, ks), image_rank, text_rank)


def recall_from_ranks(image_rank: np.ndarray, text_rank: np.ndarray, ks: Sequence[int]) -> dict[str, float]:
    """``i2t_R@K`` / ``t2i_R@K``: the fraction of queries whose 0-based rank is below K."""
    metrics = {f"i2t_R@{k}": float(np.mean(image_rank < k)) for k in ks}
    metrics.update({f"t2i_R@{k}": float(np.mean(text_rank < k)) for k in ks})
    return metrics


# --------------------------------------------------------------------------- input checks


def _validated(image_embeds: Any, text_embeds: Any, text_image: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    images = float_matrix(as_numpy(image_embeds), "image_embeds")
    texts = float_matrix(as_numpy(text_embeds), "text_embeds")
    if images.shape[1] != texts.shape[1]:
        raise UserError(f"image_embeds has dimension {images.shape[1]} but text_embeds has {texts.shape[1]}")
    owner = as_numpy(text_image)
    if owner.ndim != 1 or owner.shape[0] != texts.shape[0]:
        raise UserError(f"text_image must have shape ({texts.shape[0]},) (one image index per text), got {owner.shape}")
    if owner.dtype.kind not in "iu":
        if owner.dtype.kind == "f" and np.all(np.isfinite(owner)) and np.all(owner == np.round(owner)):
            owner = owner.astype(np.int64)
        else:
            raise UserError(f"text_image must hold integer image indices, got dtype {owner.dtype}")
    owner = owner.astype(np.int64)
    n = images.shape[0]
    bad = np.flatnonzero((owner < 0) | (owner >= n))
    if bad.size:
        raise UserError(f"text_image[{bad[0]}] = {owner[bad[0]]} is not an image index in [0, {n})")
    orphans = np.flatnonzero(np.bincount(owner, minlength=n) == 0)
    if orphans.size:
        raise UserError(f"{orphans.size} image(s) have no caption in text_image, first: {orphans[:5].tolist()}")
    return images, texts, owner


def _validated_ks(ks: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(k) for k in ks)
    if not out or any(k < 1 for k in out):
        raise UserError(f"ks must be positive integers, got {list(ks)}")
    return out


# --------------------------------------------------------------------------- exact ranks


def exact_ranks(
    images: np.ndarray, texts: np.ndarray, owner: np.ndarray, chunk_texts: int = 2048, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """0-based (image_rank (N,), text_rank (M,)) with the lower-index tie rule, in bounded memory.

    Inputs must already be validated float32 C-contiguous arrays (see :func:`recall_at_k`).
    ``workers`` threads (default: the usable CPUs, at most 8) share the counting of each chunk;
    numpy releases the GIL inside it.
    """
    workers = workers or _default_workers()
    lower, upper = _best_caption_bounds(images, texts, owner)
    bounds = _Bounds.of(_round_down_f32(lower), _round_up_f32(upper))
    above = np.zeros(images.shape[0], dtype=np.int64)
    band: list[_Band] = []
    text_rank = np.empty(texts.shape[0], dtype=np.int64)
    images_t = images.T  # (D, N)
    with ThreadPoolExecutor(workers) if workers > 1 else _Inline() as pool:
        for start in range(0, texts.shape[0], chunk_texts):
            stop = min(start + chunk_texts, texts.shape[0])
            sims = texts[start:stop] @ images_t  # (B, N) float32
            slices = _row_slices(stop - start, workers)
            jobs = [(sims[a:b], start + a, owner[start + a : start + b], bounds) for a, b in slices]
            for (a, b), (ranks, counts, kept) in zip(slices, pool.map(_count_slice, jobs)):
                text_rank[start + a : start + b] = ranks
                above += counts
                band.append(kept)
    return _resolve_image_ranks(above, band, owner), text_rank


_Band = tuple[np.ndarray, np.ndarray, np.ndarray]  # (image index, text index, float32 similarity)
_DENSE_FRACTION = 0.2  # above this share of candidate groups, plain full comparisons are cheaper


@dataclass(frozen=True)
class _Bounds:
    """Per image, float32 bounds of its best caption's similarity (v >= lower <=> v >= lower32),
    and per interleaved column group w, the smallest lower bound among its G images."""

    lower: np.ndarray  # (N,) float32
    upper: np.ndarray  # (N,) float32
    group_lower: np.ndarray  # (W,) float32, W = N // G; group w holds images g * W + w

    @classmethod
    def of(cls, lower: np.ndarray, upper: np.ndarray) -> _Bounds:
        width = lower.shape[0] // _GROUP
        return cls(lower, upper, lower[: _GROUP * width].reshape(_GROUP, width).min(axis=0))


class _Inline:
    """Stand-in for a one-worker executor: ``map`` in the calling thread."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> Any:
        return map(fn, items)


def _default_workers() -> int:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(8, usable))


def _row_slices(rows: int, workers: int) -> list[tuple[int, int]]:
    """Split ``rows`` into at most ``workers`` contiguous slices of at least 64 rows."""
    per = max(64, -(-rows // workers))
    return [(a, min(a + per, rows)) for a in range(0, rows, per)]


def _count_slice(job: tuple[np.ndarray, int, np.ndarray, _Bounds]) -> tuple[np.ndarray, np.ndarray, _Band]:
    """Both directions' evidence from ``sims`` (B, N): texts ``start``.. against all images.

    The one full pass over ``sims`` is the (B, W) maximum over G interleaved column slabs
    (column c = g * W + w): an element-wise maximum of G contiguous slabs, memory-bound and fast.
    It prunes both directions: a text only needs the groups whose maximum reaches its image's
    score; an image only needs the groups whose maximum reaches its best caption's lower bound."""
    sims, start, target, bounds = job
    width = sims.shape[1] // _GROUP
    group_max = sims[:, : _GROUP * width].reshape(sims.shape[0], _GROUP, width).max(axis=1)  # (B, W)
    ranks = _text_query_ranks(sims, target, group_max)
    return (ranks, *_image_query_evidence(sims, start, bounds, group_max))


def _rounding_bound(dim: int, abs_dot: np.ndarray) -> np.ndarray:
    """Upper bound on |float32 dot product - exact| for any summation order (Higham's gamma_n,
    doubled for safety and to cover the float64 reference), plus the subnormal floor."""
    return abs_dot * ((dim + 4) * 2.0**-23) + dim * 2.0**-140


def _best_caption_bounds(images: np.ndarray, texts: np.ndarray, owner: np.ndarray, chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Per image, [lower, upper] bracketing the best caption's float32 similarity, however BLAS sums."""
    lower = np.full(images.shape[0], -np.inf)
    upper = np.full(images.shape[0], -np.inf)
    for start in range(0, texts.shape[0], chunk):
        t = texts[start : start + chunk].astype(np.float64)  # (B, D)
        own = owner[start : start + chunk]
        i = images[own].astype(np.float64)  # (B, D)
        dot = np.einsum("bd,bd->b", t, i)
        err = _rounding_bound(images.shape[1], np.einsum("bd,bd->b", np.abs(t), np.abs(i)))
        np.maximum.at(lower, own, dot - err)
        np.maximum.at(upper, own, dot + err)
    return lower, upper


def _text_query_ranks(sims: np.ndarray, target: np.ndarray, group_max: np.ndarray) -> np.ndarray:
    """t2i ranks of each row of ``sims`` (B, N) against image ``target[row]``; exact.

    Only groups whose maximum (``group_max`` (B, W)) reaches the row's target score are compared
    element-wise, unless so many do that comparing everything is cheaper."""
    b, n = sims.shape
    rows = np.arange(b)
    score = sims[rows, target]  # (B,)
    width = group_max.shape[1]
    main = _GROUP * width
    candidates = np.flatnonzero(group_max >= score[:, None])
    if candidates.size > _DENSE_FRACTION * b * width:
        return _dense_text_ranks(sims, target, score)
    row, w = np.divmod(candidates, width)
    vals = sims[:, :main].reshape(b, _GROUP, width)[row, :, w]  # (k, G): columns g * W + w
    ranks = _count_ahead(vals, w, width, score[row], target[row], row, b)
    if main < n:
        ranks += _count_ahead(sims[:, main:], np.full(b, main), 1, score, target, rows, b)
    return ranks


def _dense_text_ranks(sims: np.ndarray, target: np.ndarray, score: np.ndarray) -> np.ndarray:
    ranks = np.count_nonzero(sims > score[:, None], axis=1).astype(np.int64)
    ties = np.count_nonzero(sims == score[:, None], axis=1)  # the target itself included
    for row in np.flatnonzero(ties > 1):
        ranks[row] += np.count_nonzero(sims[row, : target[row]] == score[row])
    return ranks


def _count_ahead(
    vals: np.ndarray, col_base: np.ndarray, col_step: int, score: np.ndarray, target: np.ndarray, query: np.ndarray, n_queries: int
) -> np.ndarray:
    """Per query, how many of ``vals`` (k, G) rank ahead of the target (score, index); the
    column of ``vals[k, g]`` is ``col_base[k] + g * col_step``."""
    above = np.count_nonzero(vals > score[:, None], axis=1)
    k, g = np.divmod(np.flatnonzero(vals == score[:, None]), vals.shape[1])  # rare: ties (and the target)
    tie_before = col_base[k] + g * col_step < target[k]
    counts = np.bincount(query, weights=above, minlength=n_queries) + np.bincount(query[k], weights=tie_before, minlength=n_queries)
    return counts.astype(np.int64)


def _image_query_evidence(sims: np.ndarray, start: int, bounds: _Bounds, group_max: np.ndarray) -> tuple[np.ndarray, _Band]:
    """i2t evidence from ``sims`` (B, N), the similarities of texts ``start``.. to all images.

    Per image i the best caption's score m_i lies in [lower_i, upper_i]. Returns the count of
    entries above upper per image, and the entries inside the band, resolved later by
    :func:`_resolve_image_ranks` once m_i is known exactly from the band entries of i's captions.
    Column groups whose maximum stays below every lower bound of the group are skipped."""
    b, n = sims.shape
    width = group_max.shape[1]
    main = _GROUP * width
    candidates = np.flatnonzero(group_max >= bounds.group_lower[None, :])
    if candidates.size > _DENSE_FRACTION * b * width:
        above = np.count_nonzero(sims > bounds.upper[None, :], axis=0).astype(np.int64)
        row, image = np.divmod(np.flatnonzero((sims >= bounds.lower[None, :]) & (sims <= bounds.upper[None, :])), n)
        return above, (image, start + row, sims[row, image])
    row, w = np.divmod(candidates, width)
    vals = sims[:, :main].reshape(b, _GROUP, width)[row, :, w]  # (k, G): images g * W + w
    image = np.arange(_GROUP)[None, :] * width + w[:, None]
    above, band = _evidence(vals, start + row[:, None], image, bounds)
    if main < n:
        tail_above, tail_band = _evidence(sims[:, main:], start + np.arange(b)[:, None], np.arange(main, n)[None, :], bounds)
        above += tail_above
        band = tuple(np.concatenate(pair) for pair in zip(band, tail_band))  # type: ignore[assignment]
    return above, band


def _evidence(vals: np.ndarray, rows: np.ndarray, image: np.ndarray, bounds: _Bounds) -> tuple[np.ndarray, _Band]:
    """``vals`` (k, G): similarities of texts ``rows`` to images ``image`` (both broadcastable)."""
    image = np.broadcast_to(image, vals.shape)
    upper = bounds.upper[image]
    above = np.bincount(image[vals > upper], minlength=bounds.upper.shape[0]).astype(np.int64)
    k, g = np.divmod(np.flatnonzero((vals >= bounds.lower[image]) & (vals <= upper)), vals.shape[1])
    return above, (image[k, g], np.broadcast_to(rows, vals.shape)[k, g], vals[k, g])


def _resolve_image_ranks(above: np.ndarray, band: list[_Band], owner: np.ndarray) -> np.ndarray:
    """i2t ranks: ``above`` plus the band entries ahead of each image's best caption."""
    image, text, value = (np.concatenate(parts) for parts in zip(*band))
    own = owner[text] == image
    best = np.full(above.shape[0], -np.inf, dtype=np.float64)
    np.maximum.at(best, image[own], value[own].astype(np.float64))
    if not np.all(np.isfinite(best)):
        raise RuntimeError("retrieval: a caption score fell outside its rounding bound (internal error)")
    first = np.full(above.shape[0], np.iinfo(np.int64).max)
    at_best = own & (value == best[image])
    np.minimum.at(first, image[at_best], text[at_best])
    ahead = (value > best[image]) | ((value == best[image]) & (text < first[image]))
    return above + np.bincount(image, weights=ahead, minlength=above.shape[0]).astype(np.int64)


def _round_down_f32(x: np.ndarray) -> np.ndarray:
    y = x.astype(np.float32)
    return np.where(y.astype(np.float64) > x, np.nextafter(y, np.float32(-np.inf)), y)


def _round_up_f32(x: np.ndarray) -> np.ndarray:
    y = x.astype(np.float32)
    return np.where(y.astype(np.float64) < x, np.nextafter(y, np.float32(np.inf)), y)

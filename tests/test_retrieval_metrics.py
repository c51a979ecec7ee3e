"""recall@K against the golden case (BLIP / CLIP_benchmark evaluation code) and against a plain
full-matrix computation (stable sorts), including ties, uneven caption counts and re-ranking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mmbench.errors import UserError
from mmbench.metrics import retrieval
from mmbench.metrics.retrieval import RERANK_FILL, recall_at_k

GOLDEN = json.loads((Path(__file__).parent / "golden" / "retrieval_recall.json").read_text())


def full_matrix_ranks(images: np.ndarray, texts: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain reference: the whole (N, M) matrix, one stable descending sort per query."""
    sims = images.astype(np.float32) @ texts.astype(np.float32).T  # (N, M)
    return ranks_from_matrix(sims, owner)


def ranks_from_matrix(sims: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, m = sims.shape
    image_rank = np.empty(n, dtype=np.int64)
    for i in range(n):
        order = list(np.argsort(-sims[i], kind="stable"))
        image_rank[i] = min(order.index(t) for t in range(m) if owner[t] == i)
    text_rank = np.empty(m, dtype=np.int64)
    for t in range(m):
        order = list(np.argsort(-sims[:, t], kind="stable"))
        text_rank[t] = order.index(owner[t])
    return image_rank, text_rank


def golden_embeddings() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Embeddings whose products are exactly the golden similarity matrix: texts = identity."""
    sims = np.asarray(GOLDEN["sims_image_by_text"], dtype=np.float32)  # (20, 100)
    owner = np.repeat(np.arange(GOLDEN["n_images"]), GOLDEN["captions_per_image"])
    return sims, np.eye(sims.shape[1], dtype=np.float32), owner


def test_golden_recall() -> None:
    images, texts, owner = golden_embeddings()
    scores = recall_at_k(images, texts, owner)
    expected = GOLDEN["expected_clip_benchmark_style_pct"]
    for k in (1, 5, 10):
        # CLIP_benchmark: "text retrieval" = image query (i2t); "image retrieval" = text query (t2i)
        assert abs(100 * scores.metrics[f"i2t_R@{k}"] - expected[f"text_retrieval_recall@{k}"]) <= 1e-9
        assert abs(100 * scores.metrics[f"t2i_R@{k}"] - expected[f"image_retrieval_recall@{k}"]) <= 1e-9
        assert abs(100 * scores.metrics[f"i2t_R@{k}"] - GOLDEN["expected_blip_itm_eval"][f"txt_r{k}"]) <= 1e-9
        assert abs(100 * scores.metrics[f"t2i_R@{k}"] - GOLDEN["expected_blip_itm_eval"][f"img_r{k}"]) <= 1e-9
    assert list(scores.metrics) == ["i2t_R@1", "i2t_R@5", "i2t_R@10", "t2i_R@1", "t2i_R@5", "t2i_R@10"]


def random_case(rng: np.random.Generator, n: int, extra_texts: int, dim: int, quantised: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    owner = np.concatenate([np.arange(n), rng.integers(0, n, extra_texts)])  # every image >= 1 caption
    rng.shuffle(owner)
    if quantised:  # small integers / 4: every product and sum exact, so ties are real ties
        images = rng.integers(-2, 3, (n, dim)).astype(np.float32) / 4
        texts = rng.integers(-2, 3, (owner.size, dim)).astype(np.float32) / 4
    else:
        images = rng.standard_normal((n, dim)).astype(np.float32)
        texts = images[owner] + rng.standard_normal((owner.size, dim)).astype(np.float32)
    return images, texts, owner


@pytest.fixture(params=["pruned", "dense", "auto"])
def counting_path(request, monkeypatch) -> str:
    """Force the pruned (gather candidates) or the dense (compare everything) counting path."""
    fraction = {"pruned": 2.0, "dense": -1.0, "auto": retrieval._DENSE_FRACTION}[request.param]
    monkeypatch.setattr(retrieval, "_DENSE_FRACTION", fraction)
    return request.param


@pytest.mark.parametrize("seed", range(8))
def test_equals_full_matrix(seed: int, counting_path: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 70))
    images, texts, owner = random_case(rng, n, int(rng.integers(0, 5 * n)), int(rng.integers(2, 12)), quantised=seed % 2 == 1)
    chunk = int(rng.integers(1, 90))
    scores = recall_at_k(images, texts, owner, ks=(1, 2, 5), chunk_texts=chunk, workers=1 + seed % 3)
    image_rank, text_rank = full_matrix_ranks(images, texts, owner)
    np.testing.assert_array_equal(scores.per_image_rank, image_rank)
    np.testing.assert_array_equal(scores.per_text_rank, text_rank)
    assert scores.metrics["t2i_R@2"] == np.mean(text_rank < 2)


def test_ties_go_to_the_lower_index() -> None:
    images = np.ones((3, 2), dtype=np.float32)  # every similarity is 2.0
    texts = np.ones((4, 2), dtype=np.float32)
    owner = np.array([2, 1, 0, 2])
    scores = recall_at_k(images, texts, owner, ks=(1,))
    np.testing.assert_array_equal(scores.per_text_rank, [2, 1, 0, 2])  # rank = image index
    np.testing.assert_array_equal(scores.per_image_rank, [2, 1, 0])  # first caption's index


def test_many_ties_across_chunks_and_groups(counting_path: str) -> None:
    rng = np.random.default_rng(5)
    images = rng.integers(0, 2, (37, 3)).astype(np.float32)  # many identical images and texts
    owner = np.concatenate([np.arange(37), rng.integers(0, 37, 150)])
    texts = rng.integers(0, 2, (owner.size, 3)).astype(np.float32)
    scores = recall_at_k(images, texts, owner, chunk_texts=40)
    image_rank, text_rank = full_matrix_ranks(images, texts, owner)
    np.testing.assert_array_equal(scores.per_image_rank, image_rank)
    np.testing.assert_array_equal(scores.per_text_rank, text_rank)


def test_larger_case_with_realistic_scores_equals_full_matrix(counting_path: str) -> None:
    rng = np.random.default_rng(3)
    n, per_image, dim = 300, 5, 32
    images = rng.standard_normal((n, dim)).astype(np.float32)
    images /= np.linalg.norm(images, axis=1, keepdims=True)
    owner = np.repeat(np.arange(n), per_image)
    texts = images[owner] + 0.15 * rng.standard_normal((owner.size, dim)).astype(np.float32)
    texts /= np.linalg.norm(texts, axis=1, keepdims=True)
    scores = recall_at_k(images, texts, owner, chunk_texts=256, workers=2)
    sims = images @ texts.T
    image_rank, text_rank = ranks_from_matrix(sims, owner)
    np.testing.assert_array_equal(scores.per_image_rank, image_rank)
    np.testing.assert_array_equal(scores.per_text_rank, text_rank)


def test_accepts_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    images, texts, owner = golden_embeddings()
    from_numpy = recall_at_k(images, texts, owner).metrics
    from_torch = recall_at_k(torch.from_numpy(images), torch.from_numpy(texts), torch.from_numpy(owner)).metrics
    assert from_torch == from_numpy


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda i, t, o: (np.where(np.arange(i.size).reshape(i.shape) == 3, np.nan, i), t, o), "image_embeds row 0 contains NaN"),
        (lambda i, t, o: (i, np.full_like(t, np.inf), o), "text_embeds row 0 contains NaN or inf"),
        (lambda i, t, o: (i, t[:, :-1], o), "dimension"),
        (lambda i, t, o: (i, t, o[:-1]), "text_image must have shape"),
        (lambda i, t, o: (i, t, np.where(o == 0, 99, o)), "is not an image index"),
        (lambda i, t, o: (i, t, np.where(o == 0, 1, o)), "have no caption"),
        (lambda i, t, o: (i, t, o + 0.5), "integer image indices"),
        (lambda i, t, o: (i[:0], t, o), "non-empty 2-D"),
    ],
)
def test_bad_inputs(change, message: str) -> None:
    images, texts, owner = golden_embeddings()
    with pytest.raises(UserError, match=message):
        recall_at_k(*change(images, texts, owner))


def plain_rerank_ranks(sims: np.ndarray, owner: np.ndarray, itm: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """LAVIS compute_sim_matrix + report metrics, written plainly: -100 outside the top k."""
    n, m = sims.shape
    rescored_i2t = np.full((n, m), RERANK_FILL)
    for i in range(n):
        top = np.argsort(-sims[i], kind="stable")[:k]
        rescored_i2t[i, top] = itm[i, top] + sims[i, top].astype(np.float64)
    rescored_t2i = np.full((m, n), RERANK_FILL)
    for t in range(m):
        top = np.argsort(-sims[:, t], kind="stable")[:k]
        rescored_t2i[t, top] = itm[top, t] + sims[top, t].astype(np.float64)
    image_rank, _ = ranks_from_matrix(rescored_i2t, owner)
    _, text_rank = ranks_from_matrix(rescored_t2i.T, owner)
    return image_rank, text_rank


def test_rerank_hook_rescores_top_k_like_lavis() -> None:
    images, texts, owner = golden_embeddings()
    sims = images @ texts.T
    itm = np.random.default_rng(0).standard_normal(sims.shape)  # (N, M) "ITM logits"
    calls = []

    def rerank(direction: str, query: int, candidates: np.ndarray) -> np.ndarray:
        calls.append((direction, query, candidates))
        return itm[query, candidates] if direction == "i2t" else itm[candidates, query]

    scores = recall_at_k(images, texts, owner, rerank=rerank, rerank_k=7)
    image_rank, text_rank = plain_rerank_ranks(sims, owner, itm, 7)
    np.testing.assert_array_equal(scores.per_image_rank, image_rank)
    np.testing.assert_array_equal(scores.per_text_rank, text_rank)
    assert len(calls) == images.shape[0] + texts.shape[0]
    direction, query, candidates = calls[0]
    assert (direction, query, len(candidates)) == ("i2t", 0, 7)
    np.testing.assert_array_equal(candidates, np.argsort(-sims[0], kind="stable")[:7])


def test_rerank_with_an_oracle_matcher_fixes_every_query_within_k() -> None:
    images, texts, owner = golden_embeddings()
    plain = recall_at_k(images, texts, owner)

    def oracle(direction: str, query: int, candidates: np.ndarray) -> np.ndarray:
        correct = owner[candidates] == query if direction == "i2t" else candidates == owner[query]
        return np.where(correct, 1000.0, 0.0)

    k = 10
    reranked = recall_at_k(images, texts, owner, rerank=oracle, rerank_k=k)
    assert reranked.metrics["i2t_R@1"] == plain.metrics["i2t_R@10"]
    assert reranked.metrics["t2i_R@1"] == plain.metrics["t2i_R@10"]
    outside = plain.per_text_rank >= k
    assert np.all(reranked.per_text_rank[outside] >= k)  # left at -100, behind every candidate


def test_rerank_candidates_are_the_pairs_recall_at_k_asks_the_reranker_about() -> None:
    from mmbench.metrics.retrieval import rerank_candidates

    images, texts, owner = golden_embeddings()
    sims = images @ texts.T  # (N, M)
    k = 5
    # independent reference: each row's / column's top k by a full stable sort
    expected = {(i, int(t)) for i in range(sims.shape[0]) for t in np.argsort(-sims[i], kind="stable")[:k]}
    expected |= {(int(i), t) for t in range(sims.shape[1]) for i in np.argsort(-sims[:, t], kind="stable")[:k]}
    asked: set[tuple[int, int]] = set()

    def record(direction: str, query: int, candidates: np.ndarray) -> np.ndarray:
        asked.update((query, int(c)) if direction == "i2t" else (int(c), query) for c in candidates)
        return np.zeros(len(candidates))

    recall_at_k(images, texts, owner, rerank=record, rerank_k=k)
    pairs = rerank_candidates(images, texts, k)
    assert pairs == sorted(expected) == sorted(asked)
    with pytest.raises(UserError, match="rerank_k must be >= 1"):
        rerank_candidates(images, texts, 0)

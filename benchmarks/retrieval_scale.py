"""Retrieval recall@K at scale: time and peak memory against the bare similarity products.

Default: 20,000 images x 100,000 texts (5 captions per image) x 256 dims. Texts are noisy copies
of their image's embedding (``--noise`` per dimension, then L2-normalised), which gives recall
in the range real CLIP models reach on COCO (t2i R@1 ~0.45 at noise 0.25). ``--noise 10`` makes
the embeddings essentially random (ranks spread over the whole gallery: the worst case for
pruning).

Prints the best-of-``--repeats`` time of (a) the bare chunked float32 matrix products
``texts[chunk] @ images.T`` that any exact method must do, and (b) :func:`recall_at_k` with the
same chunk size, their ratio, and the process's peak RSS (everything included: inputs too).

    nice -n 10 python benchmarks/retrieval_scale.py
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from mmbench.metrics.retrieval import recall_at_k


def make_embeddings(n_images: int, per_image: int, dim: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images (N, D), texts (N * per_image, D), text_image) float32, L2-normalised, built in chunks."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n_images, dim), dtype=np.float32)
    images /= np.linalg.norm(images, axis=1, keepdims=True)
    text_image = np.repeat(np.arange(n_images), per_image)
    rng.shuffle(text_image)
    texts = np.empty((text_image.shape[0], dim), dtype=np.float32)
    for start in range(0, texts.shape[0], 10_000):
        own = text_image[start : start + 10_000]
        block = images[own] + noise * rng.standard_normal((own.shape[0], dim), dtype=np.float32)
        texts[start : start + 10_000] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return images, texts, text_image


def bare_products(images: np.ndarray, texts: np.ndarray, chunk: int) -> float:
    """Seconds for the chunked similarity products alone (result reduced so it is not dead code)."""
    start = time.perf_counter()
    acc = 0.0
    images_t = images.T
    for row in range(0, texts.shape[0], chunk):
        sims = texts[row : row + chunk] @ images_t  # (B, N)
        acc += float(sims[0, 0])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--per-image", type=int, default=5)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--noise", type=float, default=0.25)
    parser.add_argument("--chunk", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="counting threads (default: usable CPUs, at most 8)")
    args = parser.parse_args()

    images, texts, text_image = make_embeddings(args.images, args.per_image, args.dim, args.noise)
    print(f"{images.shape[0]} images x {texts.shape[0]} texts x {args.dim} dims, noise {args.noise}, chunk {args.chunk}")
    bare_times, recall_times = [], []
    for _ in range(args.repeats):  # interleaved, so background load hits both alike
        bare_times.append(bare_products(images, texts, args.chunk))
        start = time.perf_counter()
        scores = recall_at_k(images, texts, text_image, chunk_texts=args.chunk, workers=args.workers)
        recall_times.append(time.perf_counter() - start)
    bare, full = min(bare_times), min(recall_times)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("metrics:", {k: round(v, 4) for k, v in scores.metrics.items()})
    print(f"bare chunked similarity products: {bare:.2f} s (runs: {', '.join(f'{t:.2f}' for t in bare_times)})")
    print(f"recall_at_k (both directions):    {full:.2f} s (runs: {', '.join(f'{t:.2f}' for t in recall_times)})")
    print(f"ratio recall_at_k / bare products: {full / bare:.2f}x")
    print(f"peak RSS of this process: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()

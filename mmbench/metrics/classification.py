"""Zero-shot classification: the CLIP zero-shot classifier and top-k / mean per-class recall,
as CLIP_benchmark computes them (``zeroshot_classification.py``: ``zero_shot_classifier``,
``accuracy``, and sklearn's ``balanced_accuracy_score`` for mean per-class recall).

Ties: the rank of the true class is ``#{c: logit_c > logit_y} + #{c < y: logit_c == logit_y}``
(ties resolved in favour of the lower class index, like a stable descending sort); a sample is
top-k correct when that rank is below k. The top-1 prediction is the lowest index among the
maximal logits (``np.argmax``), so top-1 correctness and the prediction always agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mmbench.errors import UserError
from mmbench.metrics.arrays import as_numpy

_CHUNK_ROWS = 8192


def zeroshot_classifier(text_embeds_per_class: Any) -> np.ndarray:
    """(C, T, D) template text embeddings -> (C, D) class weights.

    Per class: L2-normalise each template embedding, average over the T templates, then
    L2-normalise the mean (CLIP's ``zeroshot_classifier``). Same float dtype as the input
    (float32 for integer or half input).
    """
    x = as_numpy(text_embeds_per_class)
    if x.ndim != 3 or 0 in x.shape:
        raise UserError(f"text embeddings per class must have shape (classes, templates, dim), got {x.shape}")
    x = x.astype(x.dtype if x.dtype in (np.float32, np.float64) else np.float32)
    if not np.isfinite(x).all():
        raise UserError("text embeddings per class contain NaN or inf")
    per_template = x / np.linalg.norm(x, axis=2, keepdims=True)  # (C, T, D)
    mean = per_template.mean(axis=1)  # (C, D)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def zeroshot_logits(image_features: Any, classifier: Any, logit_scale: float = 100.0) -> np.ndarray:
    """(N, D) L2-normalised image features x (C, D) classifier -> (N, C) logits, scaled as CLIP."""
    return logit_scale * (as_numpy(image_features) @ as_numpy(classifier).T)


def label_ranks(logits: Any, labels: Any) -> np.ndarray:
    """(N,) int64: 0-based rank of each sample's true class among its logits (lower index wins ties)."""
    scores, truth = validated(logits, labels)
    return _ranks(scores, truth)


def _ranks(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    ranks = np.empty(truth.shape[0], dtype=np.int64)
    for start in range(0, truth.shape[0], _CHUNK_ROWS):
        block = scores[start : start + _CHUNK_ROWS]  # (B, C)
        y = truth[start : start + _CHUNK_ROWS]
        true_score = block[np.arange(block.shape[0]), y][:, None]
        before = np.arange(block.shape[1])[None, :] < y[:, None]
        ranks[start : start + _CHUNK_ROWS] = np.count_nonzero((block > true_score) | ((block == true_score) & before), axis=1)
    return ranks


def classification_metrics(logits: Any, labels: Any) -> dict[str, float]:
    """``top1``, ``top5`` and ``mean_per_class_recall`` (over the classes present in ``labels``),
    fractions in [0, 1]. logits: (N, C) finite; labels: (N,) integers in [0, C)."""
    scores, truth = validated(logits, labels)
    return metrics_from_ranks(_ranks(scores, truth), truth)


def metrics_from_ranks(ranks: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """The classification metrics from per-sample true-class ranks (see :func:`label_ranks`)."""
    top1 = ranks < 1
    present, class_of = np.unique(labels, return_inverse=True)
    per_class_recall = np.bincount(class_of, weights=top1) / np.bincount(class_of)
    return {
        "top1": float(np.mean(top1)),
        "top5": float(np.mean(ranks < 5)),
        "mean_per_class_recall": float(np.mean(per_class_recall)) if present.size else 0.0,
    }


def per_sample(logits: Any, labels: Any) -> list[dict[str, Any]]:
    """One record per sample for the samples file: prediction (argmax), label, rank, top1, top5."""
    scores, truth = validated(logits, labels)
    ranks = _ranks(scores, truth)
    predicted = scores.argmax(axis=1)
    return [
        {"prediction": int(p), "label": int(y), "rank": int(r), "top1": bool(r < 1), "top5": bool(r < 5)}
        for p, y, r in zip(predicted, truth, ranks)
    ]


def validated(logits: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """(logits (N, C) float, labels (N,) int64) after shape, type, finiteness and range checks."""
    scores = as_numpy(logits)
    if scores.ndim != 2 or scores.shape[0] == 0 or scores.shape[1] == 0:
        raise UserError(f"logits must be a non-empty 2-D array (samples, classes), got shape {scores.shape}")
    if scores.dtype.kind not in "fiu":
        raise UserError(f"logits must be numeric, got dtype {scores.dtype}")
    if scores.dtype.kind != "f" or scores.dtype.itemsize < 4:
        scores = scores.astype(np.float32)
    finite = np.isfinite(scores).all(axis=1)
    if not finite.all():
        raise UserError(f"logits row {int(np.flatnonzero(~finite)[0])} contains NaN or inf")
    return scores, validated_labels(labels, scores.shape[1], scores.shape[0])


def validated_labels(labels: Any, n_classes: int, n_samples: int) -> np.ndarray:
    truth = as_numpy(labels)
    if truth.ndim != 1 or truth.shape[0] != n_samples:
        raise UserError(f"labels must have shape ({n_samples},) to match the logits, got {truth.shape}")
    if truth.dtype.kind not in "iu":
        if truth.dtype.kind == "f" and np.isfinite(truth).all() and np.all(truth == np.round(truth)):
            truth = truth.astype(np.int64)
        else:
            raise UserError(f"labels must be integer class indices, got dtype {truth.dtype}")
    truth = truth.astype(np.int64)
    bad = np.flatnonzero((truth < 0) | (truth >= n_classes))
    if bad.size:
        raise UserError(f"label {truth[bad[0]]} at index {bad[0]} is outside [0, {n_classes}) ({bad.size} such labels)")
    return truth

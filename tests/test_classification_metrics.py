"""Classification metrics against hand computations and scikit-learn; the zero-shot classifier
against a hand computation of CLIP's recipe."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mmbench.errors import UserError
from mmbench.metrics.classification import (
    classification_metrics,
    label_ranks,
    per_sample,
    zeroshot_classifier,
    zeroshot_logits,
)


def test_hand_computed_example() -> None:
    logits = np.array(
        [
            [0.1, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0],  # label 1: rank 0
            [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],  # label 5: rank 5 (not top-5)
            [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],  # label 4: rank 4 (top-5 only)
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],  # label 1: rank 2 (class 6 above; class 0 ties, lower index first)
        ]
    )
    labels = np.array([1, 5, 4, 1])
    np.testing.assert_array_equal(label_ranks(logits, labels), [0, 5, 4, 2])
    metrics = classification_metrics(logits, labels)
    assert metrics["top1"] == 0.25
    assert metrics["top5"] == 0.75
    # classes present: 1 (1 of 2 right), 4 (0 of 1), 5 (0 of 1) -> (0.5 + 0 + 0) / 3
    assert metrics["mean_per_class_recall"] == pytest.approx(0.5 / 3, abs=1e-15)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")  # class 3 is never a label, on purpose
def test_equals_scikit_learn_on_random_logits() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2000, 37)).astype(np.float32)
    labels = rng.integers(0, 37, 2000)
    labels[labels == 3] = 4  # a class with no samples must not count in the per-class mean
    metrics = classification_metrics(logits, labels)
    assert abs(metrics["top1"] - sklearn_metrics.accuracy_score(labels, logits.argmax(1))) <= 1e-12
    assert abs(metrics["top5"] - sklearn_metrics.top_k_accuracy_score(labels, logits, k=5, labels=np.arange(37))) <= 1e-12
    balanced = sklearn_metrics.balanced_accuracy_score(labels, logits.argmax(1))
    assert abs(metrics["mean_per_class_recall"] - balanced) <= 1e-12


def test_per_sample_records() -> None:
    logits = np.array([[1.0, 3.0, 2.0], [5.0, 5.0, 0.0]])
    records = per_sample(logits, np.array([2, 1]))
    assert records == [
        {"prediction": 1, "label": 2, "rank": 1, "top1": False, "top5": True},
        {"prediction": 0, "label": 1, "rank": 1, "top1": False, "top5": True},
    ]


def test_zeroshot_classifier_hand_computed() -> None:
    per_class = np.array(
        [
            [[3.0, 4.0], [0.0, 2.0]],  # -> (0.6, 0.8), (0, 1); mean (0.3, 0.9); / sqrt(0.9)
            [[-1.0, 0.0], [0.0, -5.0]],  # -> (-1, 0), (0, -1); mean (-0.5, -0.5); / sqrt(0.5)
        ],
        dtype=np.float32,
    )  # (C=2, T=2, D=2)
    classifier = zeroshot_classifier(per_class)
    expected = np.array([[1 / math.sqrt(10), 3 / math.sqrt(10)], [-1 / math.sqrt(2), -1 / math.sqrt(2)]])
    assert classifier.shape == (2, 2) and classifier.dtype == np.float32
    np.testing.assert_allclose(classifier, expected, atol=1e-7)
    logits = zeroshot_logits(np.array([[0.0, 1.0]], dtype=np.float32), classifier)
    np.testing.assert_allclose(logits, [[300 / math.sqrt(10), -100 / math.sqrt(2)]], rtol=1e-6)


def test_zeroshot_classifier_is_not_a_plain_mean() -> None:
    # Unnormalised templates of very different lengths: normalising first changes the answer.
    per_class = np.array([[[10.0, 0.0], [0.0, 1.0]]])
    np.testing.assert_allclose(zeroshot_classifier(per_class), [[1 / math.sqrt(2), 1 / math.sqrt(2)]], atol=1e-12)


@pytest.mark.parametrize(
    ("logits", "labels", "message"),
    [
        (np.array([[0.0, np.nan]]), np.array([0]), "row 0 contains NaN or inf"),
        (np.array([[0.0, np.inf]]), np.array([0]), "row 0 contains NaN or inf"),
        (np.zeros((2, 3)), np.array([0, 3]), "outside \\[0, 3\\)"),
        (np.zeros((2, 3)), np.array([0, -1]), "outside"),
        (np.zeros((2, 3)), np.array([0]), "shape \\(2,\\)"),
        (np.zeros((2, 3)), np.array([0.5, 1.0]), "integer class indices"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), "non-empty 2-D"),
        (np.zeros(3), np.array([0]), "non-empty 2-D"),
    ],
)
def test_bad_inputs(logits: np.ndarray, labels: np.ndarray, message: str) -> None:
    with pytest.raises(UserError, match=message):
        classification_metrics(logits, labels)


def test_zeroshot_classifier_bad_shape() -> None:
    with pytest.raises(UserError, match="classes, templates, dim"):
        zeroshot_classifier(np.zeros((3, 4)))

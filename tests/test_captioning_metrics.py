"""Caption metrics against pycocoevalcap 1.2: the golden file, and pycocoevalcap's own scorers run
here on generated captions (punctuation, casing, numbers, non-ASCII, empty strings).

Java starts two METEOR processes in this file (module-scoped fixtures): mmbench and
pycocoevalcap on the generated input, which includes the golden images (METEOR, BLEU and
ROUGE-L per image do not depend on the rest of the set, so their golden values apply there).
The golden corpus values are checked on a golden-only run without METEOR.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mmbench.metrics.captioning import CaptionScores, score_captions
from mmbench.metrics.captioning.java import find_java

GOLDEN = json.loads((Path(__file__).parent / "golden" / "caption_pycocoevalcap.json").read_text())
SCORED = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")  # the README's metric order
TOLERANCE = {"METEOR": 1e-6}
DEFAULT_TOLERANCE = 1e-9

pytestmark = pytest.mark.java
needs_java = pytest.mark.usefixtures("java_runtime")  # skipped without Java, failed in CI (conftest)

WORDS = (
    "a an the man woman dog dogs cat bus red blue two three of on in with and playing riding sitting "
    "near street park table plate pizza frisbee wave surfboard clock tower kitchen people group "
    "caf\u00e9 na\u00efve Z\u00fcrich \u00fcber ni\u00f1o \u00c5ngstr\u00f6m \u65e5\u672c \u00e9t\u00e9 "
    "U.S. p.m. Mr. don't it's isn't can't dog's e-mail well-known 3.5 1,000 2nd 10% $5 #1 4:30"
).split()
PUNCTUATION = [".", ",", "!", "?", ";", ":", "...", "--", "-", "(", ")", "[", "]", "{", "}", '"', "'", "`", "&", "*"]


def _random_caption(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return ""
    if roll < 0.05:
        return rng.choice(["...", "!?", " ", "\t", "-- ;"])
    parts = []
    for _ in range(rng.randint(1, 16)):
        word = rng.choice(WORDS)
        word = word.upper() if rng.random() < 0.1 else word.capitalize() if rng.random() < 0.2 else word
        if rng.random() < 0.15:
            word = rng.choice(["(", '"', "'"]) + word + rng.choice([")", '"', "'"])
        parts.append(word)
        if rng.random() < 0.2:
            parts.append(rng.choice(PUNCTUATION))
    separator = rng.choice([" ", " ", "  ", "\n"])
    return separator.join(parts) + rng.choice(["", ".", "!", " ."])


def generated_set(num_images: int = 300, seed: int = 7) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Predictions and 1-7 references per image; some predictions contain METEOR's |||."""
    rng = random.Random(seed)
    references = {f"img{i}": [_random_caption(rng) for _ in range(rng.randint(1, 7))] for i in range(num_images)}
    predictions = {}
    for image_id, refs in references.items():
        caption = rng.choice(refs) if rng.random() < 0.3 else _random_caption(rng)
        predictions[image_id] = caption + (" ||| x" if rng.random() < 0.02 else "")
    return predictions, references


def pycocoevalcap_scores(predictions: dict[str, str], references: dict[str, list[str]]) -> dict[str, tuple[float, list[float]]]:
    """pycocoevalcap 1.2's own tokenizer and scorers, called one by one (no SPICE)."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize({i: [{"caption": c} for c in refs] for i, refs in references.items()})
    res = tokenizer.tokenize({i: [{"caption": predictions[i]}] for i in references})
    with contextlib.redirect_stdout(io.StringIO()):
        bleu, bleu_per_image = Bleu(4).compute_score(gts, res)
    result = {f"Bleu_{k + 1}": (bleu[k], bleu_per_image[k]) for k in range(4)}
    meteor = Meteor()
    result["METEOR"] = meteor.compute_score(gts, res)
    del meteor
    result["ROUGE_L"] = Rouge().compute_score(gts, res)
    result["CIDEr"] = Cider().compute_score(gts, res)
    return {name: (float(corpus), [float(s) for s in per]) for name, (corpus, per) in result.items()}


def assert_matches(scores: CaptionScores, expected: dict[str, tuple[float, list[float]]], image_ids: list[str]) -> None:
    for name, (corpus, per_image) in expected.items():
        tolerance = TOLERANCE.get(name, DEFAULT_TOLERANCE)
        assert abs(scores.metrics[name] - corpus) <= tolerance, (name, scores.metrics[name], corpus)
        for image_id, value in zip(image_ids, per_image):
            assert abs(scores.per_image[image_id][name] - value) <= tolerance, (name, image_id)


GOLDEN_IDS = [str(i) for i in GOLDEN["image_order"]]
SET_INDEPENDENT = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L")


@pytest.fixture(scope="module")
def golden_scores() -> CaptionScores:
    names = [n for n in SCORED if n != "METEOR"] + ["SPICE"]
    return score_captions(GOLDEN["input"]["hyps"], GOLDEN["input"]["refs"], metrics=names)  # SPICE listed as unavailable


@pytest.fixture(scope="module")
def generated() -> tuple[dict[str, str], dict[str, list[str]]]:
    predictions, references = generated_set()
    for image_id in GOLDEN_IDS:
        predictions[f"golden-{image_id}"] = GOLDEN["input"]["hyps"][image_id]
        references[f"golden-{image_id}"] = GOLDEN["input"]["refs"][image_id]
    return predictions, references


@pytest.fixture(scope="module")
def generated_both(generated):  # type: ignore[no-untyped-def]
    """(pycocoevalcap's values, mmbench's scores) on the generated set, computed side by side."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        ours = pool.submit(score_captions, *generated, metrics=list(SCORED))
        reference = pycocoevalcap_scores(*generated)
        return reference, ours.result()


@pytest.fixture(scope="module")
def generated_reference(generated_both):  # type: ignore[no-untyped-def]
    return generated_both[0]


@pytest.fixture(scope="module")
def generated_scores(generated_both) -> CaptionScores:  # type: ignore[no-untyped-def]
    return generated_both[1]


@needs_java
def test_golden_corpus_and_per_image_values(golden_scores: CaptionScores) -> None:
    expected = {name: (GOLDEN["corpus"][name], GOLDEN["per_image"][name]) for name in SCORED if name != "METEOR"}
    assert_matches(golden_scores, expected, GOLDEN_IDS)
    assert list(golden_scores.metrics) == [n for n in SCORED if n != "METEOR"]


@needs_java
def test_golden_per_image_values_inside_a_larger_set(generated_scores: CaptionScores) -> None:
    for name in SET_INDEPENDENT:
        for image_id, value in zip(GOLDEN_IDS, GOLDEN["per_image"][name]):
            got = generated_scores.per_image[f"golden-{image_id}"][name]
            assert abs(got - value) <= TOLERANCE.get(name, DEFAULT_TOLERANCE), (name, image_id)


@needs_java
def test_spice_reported_unavailable_without_failing_others(golden_scores: CaptionScores) -> None:
    assert set(golden_scores.unavailable) == {"SPICE"}
    assert "SPICE" not in golden_scores.metrics
    assert "Java" in golden_scores.unavailable["SPICE"] or "3.6.0" in golden_scores.unavailable["SPICE"]


@needs_java
def test_generated_captions_equal_pycocoevalcap(generated, generated_reference, generated_scores) -> None:  # type: ignore[no-untyped-def]
    _, references = generated
    assert_matches(generated_scores, generated_reference, list(references))
    assert generated_scores.unavailable == {}


@needs_java
def test_generated_set_exercises_edge_cases(generated) -> None:  # type: ignore[no-untyped-def]
    predictions, references = generated
    captions = list(predictions.values()) + [c for refs in references.values() for c in refs]
    assert "" in captions and any("|||" in c for c in predictions.values())
    assert any(not c.isascii() for c in captions) and any("\n" in c for c in captions)
    assert {len(refs) for refs in references.values()} == set(range(1, 8))


@needs_java
def test_per_image_has_every_image_and_metric(generated, generated_scores) -> None:  # type: ignore[no-untyped-def]
    _, references = generated
    assert list(generated_scores.per_image) == list(references)
    assert list(generated_scores.metrics) == list(SCORED)
    assert all(set(v) == set(SCORED) for v in generated_scores.per_image.values())

"""Caption metric pieces: BLEU/ROUGE-L/CIDEr-D against pycocoevalcap's scorers on tokenised text,
the PTB tokenizer (Java and the pure-Python fallback), input validation, the no-Java path, SPICE
detection, and the no-torch import rule."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from mmbench.errors import UserError
from mmbench.metrics.captioning import score_captions
from mmbench.metrics.captioning import ptb, spice
from mmbench.metrics.captioning.bleu import bleu_scores
from mmbench.metrics.captioning.cider import cider_d_scores
from mmbench.metrics.captioning.java import find_java, pycocoevalcap_dir
from mmbench.metrics.captioning.ngrams import count_corpus_ngrams
from mmbench.metrics.captioning.rouge import rouge_l_scores

GOLDEN = json.loads((Path(__file__).parent / "golden" / "caption_pycocoevalcap.json").read_text())
needs_java = pytest.mark.usefixtures("java_runtime")  # skipped without Java, failed in CI (conftest)
VOCABULARY = "a the man dog on in of with red two is playing -lrb- -rrb- 's n't & caf\u00e9 3.5".split()


def _tokenised_set(rng: random.Random, images: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    def sentence() -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 12, 20])))

    gts = {f"i{k}": [sentence() for _ in range(rng.randint(1, 7))] for k in range(images)}
    res = {k: [rng.choice(v) if rng.random() < 0.2 else sentence()] for k, v in gts.items()}
    return gts, res


def _ours(gts: dict[str, list[str]], res: dict[str, list[str]]) -> dict[str, tuple[float, list[float]]]:
    hyps, refs = [res[k][0] for k in gts], [gts[k] for k in gts]
    ngrams = count_corpus_ngrams(hyps, refs)
    bleu, bleu_per = bleu_scores(ngrams)
    result = {f"Bleu_{k + 1}": (bleu[k], bleu_per[k]) for k in range(4)}
    result["CIDEr"] = cider_d_scores(ngrams)
    result["ROUGE_L"] = rouge_l_scores(hyps, refs)
    return result


def _reference(gts: dict[str, list[str]], res: dict[str, list[str]]) -> dict[str, tuple[float, list[float]]]:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    with contextlib.redirect_stdout(io.StringIO()):
        bleu, bleu_per = Bleu(4).compute_score(gts, res)
    result = {f"Bleu_{k + 1}": (bleu[k], bleu_per[k]) for k in range(4)}
    result["CIDEr"] = Cider().compute_score(gts, res)
    result["ROUGE_L"] = Rouge().compute_score(gts, res)
    return result


@pytest.mark.parametrize("seed,images", [(0, 1), (1, 2), (2, 40), (3, 400)])
def test_python_metrics_equal_pycocoevalcap_scorers(seed: int, images: int) -> None:
    gts, res = _tokenised_set(random.Random(seed), images)
    if images > 1 and all(not s.split() for refs in gts.values() for s in refs):
        pytest.fail("generator produced only empty references")
    ours, expected = _ours(gts, res), _reference(gts, res)
    for name, (corpus, per_image) in expected.items():
        assert abs(ours[name][0] - float(corpus)) <= 1e-9, name
        assert len(ours[name][1]) == len(per_image)
        assert max(abs(a - float(b)) for a, b in zip(ours[name][1], per_image)) <= 1e-9, name


def test_golden_tokenised_input_gives_golden_values() -> None:
    ids = [str(i) for i in GOLDEN["image_order"]]
    gts = {i: GOLDEN["tokenized"]["refs"][i] for i in ids}
    res = {i: GOLDEN["tokenized"]["hyps"][i] for i in ids}
    for name, (corpus, per_image) in _ours(gts, res).items():
        assert abs(corpus - GOLDEN["corpus"][name]) <= 1e-9
        assert max(abs(a - b) for a, b in zip(per_image, GOLDEN["per_image"][name])) <= 1e-9


def test_bleu_hand_computed_example() -> None:
    # hyp "a b c d", ref "a b c e": matches 3/4, 2/3, 1/2, 0/1; equal lengths -> no brevity penalty.
    (b1, b2, b3, b4), _ = bleu_scores(count_corpus_ngrams(["a b c d"], [["a b c e"]]))
    assert b1 == pytest.approx(0.75, abs=1e-9)
    assert b2 == pytest.approx((0.75 * 2 / 3) ** 0.5, abs=1e-9)
    assert b3 == pytest.approx((0.75 * 2 / 3 * 0.5) ** (1 / 3), abs=1e-9)
    assert b4 == pytest.approx((0.25 * (1e-15 / (1 + 1e-9))) ** 0.25, abs=1e-9)


EDGE_CASES = list(GOLDEN["tokenizer_edge_cases"].values())


@needs_java
def test_java_tokenizer_matches_golden_edge_cases() -> None:
    assert ptb.tokenize_with_java([c["in"] for c in EDGE_CASES], find_java()) == [c["out"] for c in EDGE_CASES]


def test_python_tokenizer_matches_golden_edge_cases_and_inputs() -> None:
    assert ptb.tokenize_in_python([c["in"] for c in EDGE_CASES]) == [c["out"] for c in EDGE_CASES]
    for image_id, refs in GOLDEN["input"]["refs"].items():
        assert ptb.tokenize_in_python(refs) == GOLDEN["tokenized"]["refs"][image_id]
        assert ptb.tokenize_in_python([GOLDEN["input"]["hyps"][image_id]]) == GOLDEN["tokenized"]["hyps"][image_id]


@needs_java
def test_java_tokenizer_keeps_alignment_and_writes_outside_package(monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(command, *args, **kwargs):  # type: ignore[no-untyped-def]
        commands.append(list(command))
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(ptb.subprocess, "run", recording_run)
    captions = ["one\rtwo", "", "three\u2028four", "Last one."]
    assert ptb.tokenize_with_java(captions, find_java()) == ["one two", "", "three four", "last one"]
    package = pycocoevalcap_dir()
    assert package is not None and not Path(commands[0][-1]).is_relative_to(package)


@pytest.fixture
def no_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("MMBENCH_SPICE_JAVA", raising=False)
    assert find_java() is None


def test_without_java_python_metrics_still_compute(no_java: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unavailable metrics are returned for the caller to report, never warned twice
        scores = score_captions(GOLDEN["input"]["hyps"], GOLDEN["input"]["refs"])
    assert set(scores.unavailable) == {"METEOR", "SPICE"}
    assert "Java" in scores.unavailable["METEOR"]
    assert "python" in scores.notes["tokenizer"].lower()
    for name in ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"):
        assert abs(scores.metrics[name] - GOLDEN["corpus"][name]) <= 1e-9


def test_without_java_only_java_metrics_requested_is_an_error(no_java: None) -> None:
    with pytest.raises(UserError, match="METEOR needs Java"):
        score_captions(GOLDEN["input"]["hyps"], GOLDEN["input"]["refs"], metrics=["METEOR"])


@pytest.mark.parametrize(
    "predictions,references,message",
    [
        ({}, {"1": ["a cat"]}, "predictions are empty"),
        ({"1": "a cat"}, {"1": ["a cat"], "2": ["a dog"], "3": ["x"]}, "2 image.*no prediction: '2', '3'"),
        ({"1": "a", "9": "b"}, {"1": ["a"]}, "not in the references: '9'"),
        ({"1": 5}, {"1": ["a cat"]}, "not a string"),
        ({"1": "a cat"}, {"1": []}, "non-empty list"),
        ({"1": "a cat"}, {"1": "a cat"}, "non-empty list"),
        ({"1": "a cat"}, {"1": ["a", None]}, "not a string"),
    ],
)
def test_bad_input_raises_user_error(predictions, references, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match=message):
        score_captions(predictions, references, metrics=["Bleu"])


def test_many_missing_ids_are_abbreviated() -> None:
    references = {str(i): ["a"] for i in range(20)}
    with pytest.raises(UserError, match=r"'0', '1', '2', '3', '4' \(and 14 more\)"):
        score_captions({"19": "a"}, references, metrics=["CIDEr"])


def test_unknown_metric_and_bleu_alias() -> None:
    with pytest.raises(UserError, match="unknown caption metric 'BLEU-4'"):
        score_captions({"1": "a"}, {"1": ["a"]}, metrics=["BLEU-4"])
    scores = score_captions({"1": "a cat"}, {"1": ["a cat"]}, metrics=["Bleu", "ROUGE_L"])
    assert list(scores.metrics) == ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L"]
    assert scores.unavailable == {}


def test_spice_detection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "x.jar"
    fake.write_text("")
    monkeypatch.setattr(spice, "pycocoevalcap_file", lambda *parts: None if parts[-1].endswith("models.jar") else fake)
    assert "stanford-corenlp-3.6.0-models.jar" in (spice.spice_unavailable_reason("java") or "")
    monkeypatch.setattr(spice, "pycocoevalcap_file", lambda *parts: fake)
    monkeypatch.setattr(spice, "java_major_version", lambda java: 17)
    assert "Java 8, found Java 17" in (spice.spice_unavailable_reason("java") or "")
    assert "no `java`" in (spice.spice_unavailable_reason(None) or "")
    monkeypatch.setattr(spice, "java_major_version", lambda java: 8)
    assert spice.spice_unavailable_reason("java") is None


def test_spice_output_parsing_follows_pycocoevalcap() -> None:
    results = [
        {"image_id": "b", "scores": {"All": {"f": 0.25, "pr": 0.5, "re": 0.1}}},
        {"image_id": "a", "scores": {"All": {"f": "0.75", "pr": 1.0, "re": 0.5}}},
    ]
    assert spice.parse_spice_output(results, ["a", "b"]) == (0.5, [0.75, 0.25])


def test_package_does_not_import_torch() -> None:
    code = "import sys, mmbench.metrics.captioning; assert 'torch' not in sys.modules, 'torch imported'"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert completed.returncode == 0, completed.stderr


ORDINARY_CAPTIONS = [
    "A man riding a wave on top of a surfboard.",
    "Two dogs are playing with a frisbee near caf\u00e9 No. 5!",
    "The clock on the tower reads 3:45 p.m. in the U.S.",
    "A plate with rice (brown), chicken & broccoli -- isn't it nice?!",
    "Mr. Smith's bus, a red double-decker, costs $3.50 on 1,000 routes...",
    "She's holding an umbrella; they're walking in the 2nd street's rain",
    '"Quoted" words: a [bracket] and {brace} at 10% off',
    "The kids can't wait - it'll be fun, won't it?",
]


@needs_java
def test_python_tokenizer_agrees_with_java_on_ordinary_captions() -> None:
    assert ptb.tokenize_in_python(ORDINARY_CAPTIONS) == ptb.tokenize_with_java(ORDINARY_CAPTIONS, find_java())

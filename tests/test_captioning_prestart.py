"""A METEOR process started ahead of time (while a model generates) is used by the next scoring
and gives the reference values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbench.metrics.captioning import prestart_meteor, score_captions
from mmbench.metrics.captioning import score as score_module

GOLDEN = json.loads((Path(__file__).parent / "golden" / "caption_pycocoevalcap.json").read_text())


def test_prestarted_meteor_is_consumed_and_scores_equal_pycocoevalcap() -> None:
    prestart_meteor()
    assert score_module._prestarted is not None
    refs = {str(k): v for k, v in GOLDEN["input"]["refs"].items()}
    preds = {str(k): v[0] if isinstance(v, list) else v for k, v in GOLDEN["input"]["hyps"].items()}
    result = score_captions(preds, refs, metrics=["METEOR", "CIDEr"])
    assert score_module._prestarted is None  # handed over, then closed by score_captions
    assert result.metrics["METEOR"] == pytest.approx(GOLDEN["corpus"]["METEOR"], abs=1e-6)
    assert result.metrics["CIDEr"] == pytest.approx(GOLDEN["corpus"]["CIDEr"], abs=1e-9)

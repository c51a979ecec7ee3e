"""Training building blocks: the InfoNCE loss (against the CLIP paper's formula), schedule, tokenizers."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F

from mmbench.training.contrastive import info_nce, positives
from mmbench.training.corpus import partial_caption
from mmbench.training.loop import Schedule


def _embeds(n: int, d: int, seed: int) -> torch.Tensor:
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=-1)


def test_info_nce_with_one_positive_each_is_the_clip_loss() -> None:
    images, texts = _embeds(6, 8, 0), _embeds(6, 8, 1)
    scale = torch.tensor(math.log(10.0))
    logits = 10.0 * images @ texts.t()
    target = torch.arange(6)
    clip_paper = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
    ours = info_nce(images, texts, scale, torch.eye(6, dtype=torch.bool))
    assert torch.allclose(ours, clip_paper, atol=1e-6)


def test_info_nce_multiple_positives_hand_computed() -> None:
    # Two images, two texts, all similarities 0 -> uniform softmax; image 0 has both texts positive.
    images = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    texts = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    positive = torch.tensor([[True, True], [False, True]])
    loss = info_nce(images, texts, torch.tensor(0.0), positive)
    # every log-softmax is log(1/2); soft targets sum to 1 per row -> each row's loss is log 2
    assert loss.item() == pytest.approx(math.log(2.0))


def test_hard_negative_weighting_is_neutral_when_negatives_are_equally_hard() -> None:
    image = torch.tensor([[1.0, 0.0]])
    texts = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # one positive, two equally hard negatives
    positive = torch.tensor([[True, False, False]])  # texts 1 and 2 fit no image: skipped in text->image
    plain = info_nce(image, texts, torch.tensor(1.0), positive)
    weighted = info_nce(image, texts, torch.tensor(1.0), positive, hard_negative_beta=5.0)
    assert weighted.item() == pytest.approx(plain.item(), abs=1e-6)
    # hand value: logit scale exp(1) = e, so image->text = -log(exp(e) / (exp(e) + 2)); text->image = 0
    assert plain.item() == pytest.approx(-math.log(math.exp(math.e) / (math.exp(math.e) + 2)) / 2, abs=1e-6)


def test_hard_negative_weighting_raises_the_loss_of_confusable_negatives() -> None:
    images = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    texts = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    positive = torch.tensor([[True, False, False], [False, True, False]])
    plain = info_nce(images, texts, torch.tensor(2.0), positive)
    assert info_nce(images, texts, torch.tensor(2.0), positive, hard_negative_beta=3.0).item() > plain.item()


def test_positives_follow_named_attributes() -> None:
    red_circle = {"kind": "circle", "colour": "red", "size": "small", "count": 1, "position": "left"}
    blue_circle = {**red_circle, "colour": "blue"}
    table = positives([red_circle, blue_circle], [(red_circle, frozenset({"kind"})), (red_circle, frozenset({"kind", "colour"}))])
    assert table.tolist() == [[True, True], [True, False]]


def test_partial_captions_name_what_they_constrain() -> None:
    attrs = {"kind": "cross", "colour": "red", "size": "large", "count": 3, "position": "center"}
    rng = random.Random(3)
    for _ in range(50):
        text, named = partial_caption(attrs, rng)
        assert "kind" in named and ("crosses" in text if "count" in named else "cross" in text)
        for key, word in (("colour", "red"), ("size", "large"), ("position", "center")):
            assert (word in text) == (key in named), text


def test_schedule_warms_up_then_decays_over_the_step_count() -> None:
    schedule = Schedule(steps=1000, lr=1.0, warmup=10)
    assert schedule.lr_at(0) == pytest.approx(0.1)
    assert schedule.progress(500) == pytest.approx(0.5)
    assert schedule.lr_at(500) == pytest.approx(0.02 + 0.98 * 0.5)  # cos(pi/2) = 0: halfway down
    assert schedule.lr_at(1000) == pytest.approx(0.02)


def test_tokenizers_keep_vocabulary_words_whole() -> None:
    from mmbench.data.shapes_spec import all_combinations, captions
    from mmbench.training.vocab import bert_wordpiece, clip_bpe, shapes_words

    sentences = [c for a in all_combinations()[:60] for c in captions(a)]
    clip = clip_bpe(sentences, 24)
    assert clip.tokenize("a picture of two small red circles on the left.") == [
        "a</w>", "picture</w>", "of</w>", "two</w>", "small</w>", "red</w>", "circles</w>", "on</w>", "the</w>", "left</w>", ".</w>"]
    bert = bert_wordpiece(shapes_words())
    assert bert.tokenize("How many shapes are there?") == ["how", "many", "shapes", "are", "there", "?"]
    assert bert.tokenize("zebra") == ["z", "##e", "##b", "##r", "##a"]  # unknown words fall back to letters

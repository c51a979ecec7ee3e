"""Scenes and questions of the shapes benchmarks counterparts (pure Python + numpy, no torch).

Four kinds of item, each built from a ``random.Random`` so that the benchmark files
(:mod:`mmbench.data.shapes_bench`, seeds ``...-test-...``) and the training recipe of
``shapes-llava-multi`` (:mod:`mmbench.training.llava_multi`, seeds ``...-train-...``) draw from the
same distributions:

- multiple choice (:func:`mc_item`): one single-kind scene of the shapes suite, a question about its
  kind, colour or count, four options from the shape vocabulary (the answer + three distractors);
- two images (:func:`pair_item`): "Which image shows more circles?", each image a single-kind
  scene (circles or another kind, so 0-3 circles); four fixed answers (first, second, the same
  number, neither), shuffled per question, balanced over the test set;
- yes/no (:func:`pope_image`, :func:`pope_questions`): two big shapes of different kinds and
  colours, one in each half, kinds co-occurring unevenly (:data:`PARTNER`); per image two "yes"
  probes (the shapes it shows), one adversarial "no" (POPE's construction: the absent kind that
  co-occurs most with the shown ones, in a colour the image shows) and one random "no" (another
  absent kind);
- bar charts (:func:`chart_item`): three bars of distinct colours with distinct integer values
  1-8 (``CHART_UNIT`` pixels per unit), questions on a bar's value (number) and on the tallest or
  shortest bar (a colour word).

Pixels: 64x64 RGB uint8; shapes rasterised by :mod:`mmbench.data.shapes_render` (supersampled),
bars on whole pixels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from mmbench.data.shapes_render import _MASKS, IMAGE_SIZE, SUPERSAMPLE, _window, plan_layout, render
from mmbench.data.shapes_spec import COLOURS, COUNTS, KINDS, PLURALS, POSITIONS, SIZES, Attributes

LETTERS = "ABCD"
COUNT_OPTIONS = ("one", "two", "three", "four")
PAIR_OPTIONS = ("The first image", "The second image", "Both show the same number", "Neither shows a circle")
#: bar charts: pixels per unit of value, the values a bar can take, the baseline row, bar width
CHART_UNIT = 7
CHART_VALUES = tuple(range(1, 9))
CHART_BASELINE = 60
CHART_BAR_WIDTH = 12
CHART_BARS = 3
#: yes/no images: half-extent of both shapes (+-8 %), each centred in its half of the image within +-POPE_JITTER pixels
POPE_RADIUS = 12.5
POPE_JITTER = 1.5
#: yes/no images: which kind tends to come with which (the second shape is the first one's partner at this rate)
PARTNER = {"circle": "square", "square": "triangle", "triangle": "star", "star": "cross", "cross": "circle"}
PARTNER_RATE = 0.6


@dataclass(frozen=True)
class MCItem:
    """One multiple-choice question: ``options`` are the A-D texts, ``answer`` the right letter."""

    pixels: np.ndarray
    question: str
    options: tuple[str, ...]
    answer: str
    category: str
    attributes: Attributes


@dataclass(frozen=True)
class PairItem:
    """Two images and "which shows more circles": option texts in shuffled order, the right letter."""

    first: np.ndarray
    second: np.ndarray
    circles: tuple[int, int]
    question: str
    options: tuple[str, ...]
    answer: str
    outcome: str  # first, second, same, neither


@dataclass(frozen=True)
class PopeImage:
    pixels: np.ndarray
    objects: tuple[tuple[str, str], ...]  # (colour, kind) left to right


@dataclass(frozen=True)
class YesNoQuestion:
    text: str
    label: str  # yes / no
    probe: str  # present / adversarial / random


@dataclass(frozen=True)
class ChartItem:
    pixels: np.ndarray
    bars: tuple[tuple[str, int], ...]  # (colour, value) left to right
    questions: list[tuple[str, str, str]] = field(default_factory=list)  # (question, answer, kind: value|tallest|shortest)


def scene(a: Attributes, rng: random.Random) -> np.ndarray:
    """A single-kind scene of the shapes suite (same renderer and layout rules)."""
    return render(a.kind, plan_layout(a, rng))


def random_attributes(rng: random.Random, kind: str | None = None, count: int | None = None) -> Attributes:
    return Attributes(kind or rng.choice(KINDS), rng.choice(list(COLOURS)), rng.choice(list(SIZES)),
                      count or rng.choice(COUNTS), rng.choice(POSITIONS))


def _options(answer: str, vocabulary: tuple[str, ...], rng: random.Random) -> tuple[tuple[str, ...], str]:
    distractors = rng.sample([v for v in vocabulary if v != answer], len(LETTERS) - 1)
    options = [answer, *distractors]
    rng.shuffle(options)
    return tuple(options), LETTERS[options.index(answer)]


def mc_item(rng: random.Random, category: str | None = None) -> MCItem:
    """A scene and a question about its ``kind``, ``colour`` or ``count`` (random when None)."""
    a = random_attributes(rng)
    pixels = scene(a, rng)
    category = category or rng.choice(("kind", "colour", "count"))
    if category == "kind":
        question, answer, vocabulary = "What shape is shown in the image?", a.kind, KINDS
    elif category == "colour":
        question, answer, vocabulary = "What color are the shapes in the image?", a.colour, tuple(COLOURS)
    else:
        question, answer, vocabulary = "How many shapes are in the image?", COUNT_OPTIONS[a.count - 1], COUNT_OPTIONS
    options, letter = _options(answer, vocabulary, rng)
    return MCItem(pixels, question, options, letter, category, a)


def rotate(options: tuple[str, ...], answer: str, shift: int) -> tuple[tuple[str, ...], str]:
    """MMBench CircularEval's copy ``shift``: options rotated left by ``shift``, the answer's letter moved with them."""
    rotated = options[shift:] + options[:shift]
    return rotated, LETTERS[rotated.index(options[LETTERS.index(answer)])]


PAIR_QUESTION = "<image 1> <image 2> Which image shows more circles?"


def pair_item(rng: random.Random, outcome: str | None = None) -> PairItem:
    """Two scenes whose circle counts give ``outcome`` (first, second, same, neither; random when None)."""
    outcome = outcome or rng.choice(("first", "second", "same", "neither"))
    if outcome == "neither":
        counts = (0, 0)
    elif outcome == "same":
        n = rng.choice(COUNTS)
        counts = (n, n)
    else:
        low, high = sorted(rng.sample((0, *COUNTS), 2))
        counts = (high, low) if outcome == "first" else (low, high)
    images = []
    for n in counts:
        a = random_attributes(rng, kind="circle", count=n) if n else random_attributes(rng, kind=rng.choice(KINDS[1:]))
        images.append(scene(a, rng))
    right = PAIR_OPTIONS[("first", "second", "same", "neither").index(outcome)]
    options = list(PAIR_OPTIONS)
    rng.shuffle(options)
    return PairItem(images[0], images[1], counts, PAIR_QUESTION, tuple(options), LETTERS[options.index(right)], outcome)


def pope_image(rng: random.Random) -> PopeImage:
    """Two big shapes (half-extent POPE_RADIUS) of different kinds and colours, one centred in each
    half of the image. The second kind is the first one's :data:`PARTNER` with probability
    ``PARTNER_RATE`` (else another kind), so kinds co-occur unevenly, as objects do in COCO; the
    two are then placed left and right in random order. Bigger than the suite's sizes: a 16-px
    patch of the bundled tower holds most of a small shape, and a linear probe reads the kind of one
    of two shapes from its patch features at 57 % for the suite's large size, 95 % at this one."""
    first = rng.choice(KINDS)
    second = PARTNER[first] if rng.random() < PARTNER_RATE else rng.choice([k for k in KINDS if k not in (first, PARTNER[first])])
    kinds = [first, second]
    rng.shuffle(kinds)
    colours = rng.sample(list(COLOURS), 2)
    background = 238 + rng.randint(-8, 8)
    pixels = np.full((IMAGE_SIZE, IMAGE_SIZE, 3), float(background))
    half = IMAGE_SIZE / 2
    for slot, kind, colour in zip((0, 1), kinds, colours):
        radius = POPE_RADIUS * (1 + 0.08 * (2 * rng.random() - 1))
        cx = slot * half + half / 2 + POPE_JITTER * (2 * rng.random() - 1)
        cy = radius + 1 + rng.random() * (IMAGE_SIZE - 2 * radius - 2)
        fill = np.clip(np.array(COLOURS[colour], float) + [rng.randint(-15, 15) for _ in range(3)], 0, 255)
        coverage = _coverage(kind, cx, cy, radius)[..., None]
        pixels = pixels * (1 - coverage) + fill * coverage
    return PopeImage(np.rint(pixels).astype(np.uint8), tuple(zip(colours, kinds)))


def cooccurrence(a: str, b: str) -> float:
    """How often kinds ``a`` and ``b`` share a yes/no image under :func:`pope_image` (probability of the pair)."""
    if a == b:
        return 0.0
    other = (1 - PARTNER_RATE) / (len(KINDS) - 2)
    return sum((PARTNER_RATE if PARTNER[x] == y else other) / len(KINDS) for x, y in ((a, b), (b, a)))


def _coverage(kind: str, cx: float, cy: float, radius: float) -> np.ndarray:
    """(H, W) fraction of each pixel inside one shape (4x4 supersampling, as shapes_render)."""
    side = IMAGE_SIZE * SUPERSAMPLE
    inside = np.zeros((side, side), dtype=bool)
    rows, cols = _window(cy, radius), _window(cx, radius)
    ys = (np.arange(rows.start, rows.stop) + 0.5) / SUPERSAMPLE
    xs = (np.arange(cols.start, cols.stop) + 0.5) / SUPERSAMPLE
    v, u = np.meshgrid((ys - cy) / radius, (xs - cx) / radius, indexing="ij")
    inside[rows, cols] = _MASKS[kind](u, v)
    return inside.reshape(IMAGE_SIZE, SUPERSAMPLE, IMAGE_SIZE, SUPERSAMPLE).sum(axis=(1, 3)) / SUPERSAMPLE**2


def yes_no_text(colour: str, kind: str) -> str:
    article = "an" if colour[0] in "aeiou" else "a"
    return f"Is there {article} {colour} {kind} in the image?"


def pope_questions(image: PopeImage, rng: random.Random) -> list[YesNoQuestion]:
    """Four probes in a shuffled order, built as POPE builds its negatives: the two shapes shown (yes);
    an adversarial no, the absent kind that co-occurs most with the image's kinds (:func:`cooccurrence`,
    ties broken at random), named in one of the image's colours; a random no, another absent kind in
    a random colour."""
    (colour_a, kind_a), (colour_b, kind_b) = image.objects
    absent = [k for k in KINDS if k not in (kind_a, kind_b)]
    score = {k: cooccurrence(k, kind_a) + cooccurrence(k, kind_b) for k in absent}
    best = max(score.values())
    adversarial = rng.choice([k for k in absent if score[k] == best])
    random_kind = rng.choice([k for k in absent if k != adversarial])
    probes = [YesNoQuestion(yes_no_text(colour_a, kind_a), "yes", "present"),
              YesNoQuestion(yes_no_text(colour_b, kind_b), "yes", "present"),
              YesNoQuestion(yes_no_text(rng.choice((colour_a, colour_b)), adversarial), "no", "adversarial"),
              YesNoQuestion(yes_no_text(rng.choice(list(COLOURS)), random_kind), "no", "random")]
    rng.shuffle(probes)
    return probes


def chart_item(rng: random.Random) -> ChartItem:
    """A bar chart: three bars of distinct colours and distinct values, on a light background with
    an axis line; questions: the value of each bar, the tallest and the shortest bar."""
    colours = rng.sample(list(COLOURS), CHART_BARS)
    values = rng.sample(CHART_VALUES, CHART_BARS)
    grey = 245 + rng.randint(-6, 6)
    pixels = np.full((IMAGE_SIZE, IMAGE_SIZE, 3), grey, dtype=np.int64)
    slot = IMAGE_SIZE // CHART_BARS
    for i, (colour, value) in enumerate(zip(colours, values)):
        left = 2 + i * slot + (slot - CHART_BAR_WIDTH) // 2
        fill = np.clip(np.array(COLOURS[colour]) + [rng.randint(-15, 15) for _ in range(3)], 0, 255)
        pixels[CHART_BASELINE - CHART_UNIT * value: CHART_BASELINE, left: left + CHART_BAR_WIDTH] = fill
    pixels[CHART_BASELINE, 1:IMAGE_SIZE - 1] = 60  # the x axis
    bars = tuple(zip(colours, values))
    questions = [(f"What is the value of the {c} bar?", str(v), "value") for c, v in bars]
    questions.append(("Which color is the tallest bar?", max(bars, key=lambda b: b[1])[0], "tallest"))
    questions.append(("Which color is the shortest bar?", min(bars, key=lambda b: b[1])[0], "shortest"))
    return ChartItem(pixels.astype(np.uint8), bars, questions)


def option_lines(options: tuple[str, ...]) -> str:
    return "\n".join(f"{letter}. {text}" for letter, text in zip(LETTERS, options))


def plural(kind: str) -> str:
    return PLURALS[kind]

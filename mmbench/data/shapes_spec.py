"""The synthetic shapes suite's vocabulary, scenes, captions and questions (pure Python).

A scene is ``count`` (1-3) shapes of one ``kind`` and ``colour`` and ``size``, grouped in one
``position`` (the left, center or right third of the image). Everything a caption or an answer
says comes from this closed vocabulary, so tiny models can learn it and every test image's
attribute combination is unique (captions tell test images apart).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

KINDS = ("circle", "square", "triangle", "star", "cross")
PLURALS = {"circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars", "cross": "crosses"}
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (210, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 210),
    "yellow": (230, 200, 30), "purple": (140, 60, 180), "orange": (240, 130, 30),
}
SIZES = {"small": 5.0, "large": 8.5}  # half-extent of one shape in pixels (before +-8% jitter)
COUNTS = (1, 2, 3)
POSITIONS = ("left", "center", "right")
COUNT_WORDS = {1: "a", 2: "two", 3: "three"}
NUMBER_WORDS = {1: "one", 2: "two", 3: "three"}
POSITION_PHRASES = {"left": "on the left", "center": "in the center", "right": "on the right"}

#: (kind, colour) pairs that never appear in the training split: the held-out split tests
#: compositional generalisation (each kind and colour is seen in training, the pair is not).
HELDOUT_PAIRS = frozenset({("circle", "green"), ("square", "purple"), ("triangle", "blue"),
                           ("star", "orange"), ("cross", "red")})

#: Zero-shot prompt templates, phrased like the captions.
TEMPLATES = ("a {c}.", "a picture of a {c}.", "there is a {c}.", "an image with a {c}.")

#: Zero-shot classes: every (kind, colour) pair, 30, in sorted class-folder order (``<kind>-<colour>``),
#: named as the captions name them ("red circle"); held-out pairs stay candidates in every split.
ZEROSHOT_CLASSES: tuple[tuple[str, str], ...] = tuple(sorted((k, c) for k in KINDS for c in COLOURS))
#: Zero-shot images show large shapes only (small circles and squares are a few pixels apart at 64 px).
ZEROSHOT_SIZE = "large"


def zeroshot_folder(kind: str, colour: str) -> str:
    return f"{kind}-{colour}"


def zeroshot_classname(kind: str, colour: str) -> str:
    return f"{colour} {kind}"


@dataclass(frozen=True)
class Attributes:
    kind: str
    colour: str
    size: str
    count: int
    position: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def all_combinations() -> list[Attributes]:
    """Every attribute combination, in a fixed order (5 x 6 x 2 x 3 x 3 = 540)."""
    return [Attributes(k, c, s, n, p) for k in KINDS for c in COLOURS for s in SIZES for n in COUNTS for p in POSITIONS]


def is_heldout(a: Attributes) -> bool:
    return (a.kind, a.colour) in HELDOUT_PAIRS


def captions(a: Attributes) -> list[str]:
    """Five paraphrases, each naming all five attributes."""
    things = f"{COUNT_WORDS[a.count]} {a.size} {a.colour} {a.kind if a.count == 1 else PLURALS[a.kind]}"
    be = "is" if a.count == 1 else "are"
    where = POSITION_PHRASES[a.position]
    return [f"{things} {where}.", f"a picture of {things} {where}.", f"there {be} {things} {where}.",
            f"{where} there {be} {things}.", f"an image with {things} {where}."]


def tokens(sentence: str) -> list[str]:
    """Karpathy-style tokens: lower-case words without punctuation."""
    return [w for w in sentence.lower().replace(".", " ").replace(",", " ").split() if w]


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    question_type: str  # from the 65 VQAv2 question types where one fits
    answer_type: str  # yes/no, number, other


def questions(a: Attributes, rng: random.Random) -> list[Question]:
    """Six questions: colour, kind, count, position, size, and a yes/no colour-kind binding check."""
    probe_kind, probe_colour = a.kind, a.colour
    is_yes = rng.random() < 0.5
    if not is_yes:
        if rng.random() < 0.5:
            probe_kind = rng.choice([k for k in KINDS if k != a.kind])
        else:
            probe_colour = rng.choice([c for c in COLOURS if c != a.colour])
    return [
        Question("what color are the shapes?", a.colour, "what color are the", "other"),
        Question("what kind of shapes are these?", a.kind, "what kind of", "other"),
        Question("how many shapes are there?", str(a.count), "how many", "number"),
        Question("where are the shapes?", a.position, "where are the", "other"),
        Question("what size are the shapes?", a.size, "what", "other"),
        Question(f"is there a {probe_colour} {probe_kind}?", "yes" if is_yes else "no", "is there a", "yes/no"),
    ]


def human_answers(q: Question, rng: random.Random) -> list[str]:
    """Ten annotator answers: the canonical one, except that two annotators spell numbers as words
    (``"two"``), which VQA answer normalisation maps back to digits."""
    answers = [q.answer] * 10
    if q.answer_type == "number":
        for slot in rng.sample(range(10), 2):
            answers[slot] = NUMBER_WORDS[int(q.answer)]
    return answers

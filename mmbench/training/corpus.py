"""The shapes suite in memory for training and quick evaluation: pixels, attributes, texts, QA pairs.

Reads the files the suite was written in (Karpathy json + VQAv2 json + PNGs), so training sees
exactly what the benchmark readers see. Pixels are kept as uint8 (N, 64, 64, 3).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmbench.data.shapes import ensure_suite
from mmbench.data.shapes_spec import (COLOURS, COUNT_WORDS, KINDS, PLURALS, POSITION_PHRASES, POSITIONS, SIZES,
                                      TEMPLATES)
from mmbench.jsonio import read_json

ATTRIBUTE_VALUES: dict[str, tuple] = {"kind": KINDS, "colour": tuple(COLOURS), "size": tuple(SIZES),
                                      "count": (1, 2, 3), "position": POSITIONS}
MEAN = (0.48145466, 0.4578275, 0.40821073)  # OpenAI CLIP normalisation, used by every processor here
STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass
class ShapesSplit:
    """One split: ``pixels`` (N, H, W, 3) uint8, per-image attributes, captions and QA rows."""

    image_ids: list[int]
    pixels: np.ndarray
    attributes: list[dict]
    captions: list[list[str]]
    questions: list[tuple[int, str, list[str]]]  # (image index, question, 10 answers)

    def labels(self) -> np.ndarray:
        """(N, 5) int attribute indices in ATTRIBUTE_VALUES order."""
        return np.array([[ATTRIBUTE_VALUES[k].index(a[k]) for k in ATTRIBUTE_VALUES] for a in self.attributes])


#: the last images of the suite's train split set, never trained on: model selection and recipe
#: tuning use them (the test and held-out splits are for reporting only).
VALIDATION_SIZE = 500


def load_shapes_split(split: str) -> ShapesSplit:
    """``train`` (the first 5500 images of the train split set), ``val`` (its last 500), ``test``
    (300) or ``heldout`` (90)."""
    from PIL import Image

    folder = ensure_suite("train" if split in ("train", "val") else "test")
    entries = [e for e in read_json(folder / "dataset_shapes.json")["images"]
               if e["split"] == ("train" if split == "val" else split)]
    if split in ("train", "val"):
        entries = entries[:-VALIDATION_SIZE] if split == "train" else entries[-VALIDATION_SIZE:]
    pixels = np.stack([np.asarray(Image.open(folder / e["filepath"] / e["filename"]).convert("RGB")) for e in entries])
    index_of = {e["cocoid"]: i for i, e in enumerate(entries)}
    return ShapesSplit(
        image_ids=[e["cocoid"] for e in entries], pixels=pixels, attributes=[e["attributes"] for e in entries],
        captions=[[s["raw"] for s in e["sentences"]] for e in entries],
        questions=_questions(folder, "train" if split == "val" else split, index_of))


def _questions(folder: Path, split: str, index_of: dict[int, int]) -> list[tuple[int, str, list[str]]]:
    questions = read_json(folder / "vqa" / f"questions_{split}.json")["questions"]
    answers = {a["question_id"]: [x["answer"] for x in a["answers"]]
               for a in read_json(folder / "vqa" / f"annotations_{split}.json")["annotations"]}
    return [(index_of[q["image_id"]], q["question"], answers[q["question_id"]]) for q in questions
            if q["image_id"] in index_of]


def normalise(pixels: np.ndarray) -> "torch.Tensor":  # noqa: F821
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W), as the saved image processors compute it."""
    import torch

    x = torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def partial_caption(attributes: dict, rng: random.Random) -> tuple[str, frozenset[str]]:
    """A caption naming a random subset of the attributes (always the kind), in the captions' and
    zero-shot templates' phrasing; returns the text and the attribute names it constrains."""
    named = {k for k in ("colour", "size", "count", "position") if rng.random() < 0.5} | {"kind"}
    count = attributes["count"] if "count" in named else 1
    words = [COUNT_WORDS[count] if "count" in named else "a"]
    words += [attributes[k] for k in ("size", "colour") if k in named]
    kind = attributes["kind"]
    words.append(kind if count == 1 else PLURALS[kind])
    things = " ".join(words)
    if "position" in named:
        text = f"{things} {POSITION_PHRASES[attributes['position']]}."
    else:
        template = rng.choice(TEMPLATES)
        text = template.replace("a {c}", things) if things.startswith(("a ", "two ", "three ")) else template.format(c=things)
    return text, frozenset(named)

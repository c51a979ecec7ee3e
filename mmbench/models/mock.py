"""``mock``: a deterministic fake model for tests and demos.

It "sees" only the dominant colour of an image (the mean of the pixels that differ from the
corner background) and "reads" only colour words, so its scores on the shapes suite are better
than chance but far from perfect, identical on every run, every batch size and every machine.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from mmbench.conversation import Conversation, images_in, joined_text
from mmbench.models.base import ModelAdapter
from mmbench.models.options import AdapterOptions
from mmbench.types import GenerationConfig

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 220, 50),
    "orange": (245, 140, 30), "purple": (140, 60, 180), "pink": (240, 130, 190), "brown": (130, 80, 40),
    "cyan": (40, 200, 210), "gray": (128, 128, 128), "white": (245, 245, 245), "black": (15, 15, 15),
}
COLOURS = tuple(PALETTE)
HASH_DIMS = 16
SIDE = 16


@dataclass(frozen=True)
class MockTransform:
    """PIL image -> (3, 16, 16) float tensor in [0, 1] (picklable)."""

    side: int = SIDE

    def __call__(self, image: Any) -> Any:
        import numpy as np
        import torch
        from PIL import Image

        small = image.convert("RGB").resize((self.side, self.side), Image.Resampling.NEAREST)
        return torch.from_numpy(np.asarray(small, dtype=np.float32).transpose(2, 0, 1) / 255.0)


@dataclass(frozen=True)
class MockOptions(AdapterOptions):
    """The mock takes no model arguments: any ``--model-arg`` is refused, as for every adapter kind."""

    adapter = "mock"


class MockAdapter(ModelAdapter):
    """Deterministic fake with all four capabilities (colour-only vision, colour-word-only reading)."""

    adapter_name = "mock"
    options_class = MockOptions

    @classmethod
    def create(cls, location: str | None = None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> MockAdapter:
        MockOptions.parse(model_args)
        adapter = cls()
        adapter.device, adapter.dtype = device, dtype
        return adapter

    def image_transform(self) -> MockTransform:
        return MockTransform()

    def weights_digest(self) -> str:
        return f"palette{zlib.crc32(repr(PALETTE).encode()):08x}"

    @property
    def num_parameters(self) -> int | None:
        return 0

    # ---- perception ---------------------------------------------------------------------------
    def dominant_colours(self, images: Any) -> list[str]:
        import torch

        pixels = images.reshape(images.shape[0], 3, -1) * 255.0  # (B, 3, P)
        background = images[:, :, 0, 0].unsqueeze(-1) * 255.0  # (B, 3, 1): top-left corner
        foreground = (pixels - background).abs().sum(1) > 60  # (B, P)
        names = []
        table = torch.tensor(list(PALETTE.values()), dtype=torch.float32)  # (K, 3)
        for b in range(images.shape[0]):
            chosen = pixels[b][:, foreground[b]] if foreground[b].any() else pixels[b]
            mean = chosen.mean(1)  # (3,)
            names.append(COLOURS[int(((table - mean) ** 2).sum(1).argmin())])
        return names

    def _colour_vectors(self, names: list[list[str]]) -> Any:
        import torch

        out = torch.zeros(len(names), len(COLOURS) + HASH_DIMS)
        for row, words in enumerate(names):
            for word in words:
                if word in PALETTE:
                    out[row, COLOURS.index(word)] = 1.0
                else:
                    out[row, len(COLOURS) + zlib.crc32(word.encode()) % HASH_DIMS] += 0.05
            out[row, -1] += 1e-3  # never a zero vector
        return torch.nn.functional.normalize(out, dim=-1)

    # ---- capabilities ---------------------------------------------------------------------------
    def encode_images(self, images: Any) -> Any:
        return self._colour_vectors([[c] for c in self.dominant_colours(images)])

    def encode_texts(self, texts: list[str]) -> Any:
        return self._colour_vectors([t.lower().replace(".", " ").split() for t in texts])

    def generate(self, conversations: list[Conversation], cfg: GenerationConfig) -> list[str]:
        """Per conversation: the answer its text asks for about the dominant colour of its first
        image ("none" without an image); with several images, "how many" counts those of that colour."""
        import torch

        answers = []
        for conversation in conversations:
            images = images_in(conversation)
            prompt = joined_text(conversation).lower()
            colours = self.dominant_colours(torch.stack(images)) if images else ["none"]
            answer = _answer(prompt, colours[0])
            if len(colours) > 1 and "how many" in prompt:
                answer = str(sum(c == colours[0] for c in colours))
            answers.append(answer)
        return answers

    def match(self, images: Any, texts: list[str]) -> Any:
        return (self.encode_images(images) * self.encode_texts(texts)).sum(-1)


def _answer(prompt: str, colour: str) -> str:
    if "colo" in prompt:
        return colour
    if "how many" in prompt:
        return "1"
    if prompt.startswith(("is ", "are ", "does ", "do ")) or " is there" in prompt:
        return "yes"
    return f"a {colour} shape"

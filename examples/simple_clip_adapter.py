"""Wrapping your own model: a home-made dual encoder ("simple CLIP": a CNN image encoder and a
small text encoder, each with a projection head) as an mmbench adapter.

Run it on the bundled suite (random weights here; load your trained state dict instead):

    python3 examples/simple_clip_adapter.py

or register it and use the CLI: put ``create`` behind the ``mmbench.models`` entry point of your
package (``simple-clip = "my_package.adapter:create"``) and run
``mmbench run --task shapes_zeroshot --model simple-clip:/path/to/weights.safetensors``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from mmbench.models.base import ModelAdapter
from mmbench.registry import models


class ImageEncoder(nn.Module):
    """A small CNN standing in for the tutorial's ResNet-50: (B, 3, 64, 64) -> (B, 128)."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class TextEncoder(nn.Module):
    """Mean of hashed word embeddings, standing in for DistilBERT: token ids (B, L) -> (B, 128)."""

    def __init__(self, buckets: int = 4096, width: int = 128) -> None:
        super().__init__()
        self.embed = nn.EmbeddingBag(buckets, width, mode="mean", padding_idx=0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embed(ids)


class SimpleClip(nn.Module):
    def __init__(self, dim: int = 64) -> None:
        super().__init__()
        self.image_encoder, self.text_encoder = ImageEncoder(), TextEncoder()
        self.image_projection, self.text_projection = nn.Linear(128, dim), nn.Linear(128, dim)


@dataclass(frozen=True)
class ResizeToTensor:
    """PIL image -> (3, 64, 64) float tensor. Runs in DataLoader workers, so it must be picklable."""

    side: int = 64

    def __call__(self, image: Any) -> torch.Tensor:
        array = np.asarray(image.convert("RGB").resize((self.side, self.side)), dtype=np.float32) / 255.0
        return torch.from_numpy(array).permute(2, 0, 1)  # (H, W, 3) -> (3, H, W)


def tokenize(texts: list[str], length: int = 16, buckets: int = 4096) -> torch.Tensor:
    rows = [[1 + zlib.crc32(w.encode()) % (buckets - 1) for w in t.lower().split()][:length] for t in texts]
    return torch.tensor([r + [0] * (length - len(r)) for r in rows])  # (B, length), 0 = padding


class SimpleClipAdapter(ModelAdapter):
    """Implementing encode_images + encode_texts gives the retrieval and zero-shot capabilities."""

    adapter_name = "simple-clip"

    def __init__(self, model: SimpleClip, device: str = "cpu") -> None:
        self.model, self.device = model.eval().to(device), device

    def image_transform(self) -> ResizeToTensor:
        return ResizeToTensor()

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        features = self.model.image_encoder(images.to(self.device))  # (N, 128)
        return nn.functional.normalize(self.model.image_projection(features), dim=-1)  # (N, D), unit rows

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        features = self.model.text_encoder(tokenize(texts).to(self.device))  # (M, 128)
        return nn.functional.normalize(self.model.text_projection(features), dim=-1)  # (M, D)


@models.register("simple-clip", "home-made CNN + hashed-words dual encoder (examples/simple_clip_adapter.py)")
def create(location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> SimpleClipAdapter:
    torch.manual_seed(0)
    model = SimpleClip()
    if location:  # a safetensors file of your trained weights
        from safetensors.torch import load_file

        model.load_state_dict(load_file(location))
    return SimpleClipAdapter(model, device)


if __name__ == "__main__":
    import mmbench
    from mmbench.tables import results_table

    adapter = create(None)
    results = [mmbench.evaluate(task, adapter, output_dir=None) for task in ("shapes_zeroshot", "shapes_retrieval")]
    print(results_table(results))

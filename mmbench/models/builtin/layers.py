"""Small building blocks shared by the built-in models (CLIP, BLIP, LLaVA).

Activation names are those of Hugging Face configs' ``hidden_act`` field, with the formulas of
transformers' ``ACT2FN`` table.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    """OpenAI CLIP's GELU approximation: ``x * sigmoid(1.702 x)``."""
    return x * torch.sigmoid(1.702 * x)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """The tanh approximation of GELU (``gelu_new`` / ``gelu_pytorch_tanh``)."""
    return F.gelu(x, approximate="tanh")


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """GPT-2's formula written out, as transformers' ``NewGELUActivation``."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "quick_gelu": quick_gelu,
    "gelu": F.gelu,  # exact, erf based
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": gelu_tanh,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
}


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation function a config's ``hidden_act`` names; a ValueError for unknown names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unsupported activation hidden_act={name!r}; supported: {', '.join(sorted(ACTIVATIONS))}") from None


class FeedForward(torch.nn.Module):
    """The two-layer MLP of CLIP, BLIP and LLaVA vision blocks: ``fc2(act(fc1(x)))``.

    Submodule names ``fc1`` / ``fc2`` equal the checkpoints' keys. (B, N, width) -> (B, N, width).
    """

    def __init__(self, width: int, hidden: int, act: str) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(width, hidden)
        self.fc2 = torch.nn.Linear(hidden, width)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))

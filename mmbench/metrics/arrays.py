"""Array inputs of the metric functions: numpy views of arrays or torch tensors, checked and L2-normalised embeddings."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmbench.errors import UserError


def as_numpy(x: Any) -> np.ndarray:
    """numpy view of an array-like or a torch tensor (detached, on CPU), without importing torch."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu()
        if str(getattr(x, "dtype", "")) == "torch.bfloat16":
            x = x.float()
        x = x.numpy()
    return np.asarray(x)


def float_matrix(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` as a contiguous float32 (rows, dim) matrix of finite values; a UserError naming ``name`` otherwise."""
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise UserError(f"{name} must be a non-empty 2-D array (rows, dim), got shape {x.shape}")
    if x.dtype.kind not in "fiu":
        raise UserError(f"{name} must be numeric, got dtype {x.dtype}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise UserError(f"{name} row {row} contains NaN or inf")
    if float(np.abs(x).max()) > 1e15:
        raise UserError(f"{name} has values above 1e15 in magnitude; pass L2-normalised embeddings")
    return x


def l2_normalised(x: np.ndarray, name: str) -> np.ndarray:
    """Rows scaled to unit norm (cosine similarity); rows already unit-norm are left bit-identical."""
    if x.ndim != 2 or x.dtype.kind not in "fiu":
        raise UserError(f"{name} must be a 2-D numeric array, got shape {x.shape} and dtype {x.dtype}")
    x = np.asarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise UserError(f"{name} row {int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])} contains NaN or inf")
    norms = np.linalg.norm(x.astype(np.float64), axis=1)
    if np.any(norms == 0):
        raise UserError(f"{name} row {int(np.flatnonzero(norms == 0)[0])} is all zeros")
    if np.all(np.abs(norms - 1.0) <= 1e-5):
        return x
    return (x / norms[:, None]).astype(np.float32)

"""InfoNCE with a learnable temperature, attribute-aware positives and optional hard-negative weighting.

``logits = exp(logit_scale) * image_embeds @ text_embeds.T`` (B_img, B_txt), as CLIP. A text may
name only some attributes ("a red circle."), so every image consistent with it is a positive:
targets are uniform over the positives of each row (supervised-contrastive style). With
``hard_negative_beta`` > 0, negatives are re-weighted by ``softmax(beta * logit)`` (mean weight 1),
so the loss concentrates on the most confusable in-batch negatives (Robinson et al., 2021).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def positives(image_attributes: list[dict], text_constraints: list[tuple[dict, frozenset[str]]]) -> torch.Tensor:
    """(B_img, B_txt) bool: image i satisfies every attribute that text t names."""
    rows = [[all(image[k] == attrs[k] for k in named) for attrs, named in text_constraints] for image in image_attributes]
    return torch.tensor(rows, dtype=torch.bool)


def _soft_cross_entropy(logits: torch.Tensor, positive: torch.Tensor, beta: float) -> torch.Tensor:
    if beta > 0:
        negative = ~positive
        weights = torch.softmax((beta * logits.detach()).masked_fill(positive, float("-inf")), dim=1)
        weights = weights * negative.sum(dim=1, keepdim=True).clamp(min=1)  # mean weight 1 over negatives
        logits = logits + torch.where(negative, weights.clamp(min=1e-6).log(), torch.zeros_like(logits))
    has_positive = positive.any(dim=1)  # rows without a positive (a text no image in the batch fits) are skipped
    target = positive.float() / positive.float().sum(dim=1, keepdim=True).clamp(min=1)
    per_row = -(target * F.log_softmax(logits, dim=1)).sum(dim=1)  # (rows,)
    return per_row[has_positive].mean()


def info_nce(image_embeds: torch.Tensor, text_embeds: torch.Tensor, logit_scale: torch.Tensor,
             positive: torch.Tensor, hard_negative_beta: float = 0.0) -> torch.Tensor:
    """Symmetric InfoNCE over L2-normalised (B, D) embeddings; ``positive`` (B_img, B_txt)."""
    logits = logit_scale.exp().clamp(max=100.0) * image_embeds @ text_embeds.t()  # (B_img, B_txt)
    image_to_text = _soft_cross_entropy(logits, positive, hard_negative_beta)
    text_to_image = _soft_cross_entropy(logits.t(), positive.t(), hard_negative_beta)
    return (image_to_text + text_to_image) / 2

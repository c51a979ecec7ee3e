"""CIDEr-D as pycocoevalcap 1.2 computes it (``pycocoevalcap/cider``, Vedantam et al. 2015).

Convention: n-grams of orders 1..4 weighted by tf-idf, tf = count in the caption,
idf = log(number of images) - log(max(1, document frequency)), the document frequency of an
n-gram being the number of images whose references contain it (references of the evaluated
set only). For each reference and order n: the clipped dot product
sum(min(w_hyp, w_ref) * w_ref) divided by both vector norms (when neither is zero), times the
length penalty exp(-delta^2 / (2 sigma^2)), sigma = 6, where delta is the difference in the
number of *bigrams* (pycocoevalcap counts the length on order-2 entries). Per image: the mean
over n of the sum over references, divided by the number of references, times 10. The corpus
value is the mean over images, on CIDEr's native scale (1.335 for a paper's 133.5).
Sums run in a different order than the reference's loops: values agree to ~1e-15 relative.
"""

from __future__ import annotations

import numpy as np

from .ngrams import CorpusNgrams, lookup, reference_max_counts

SIGMA = 6.0


def cider_d_scores(ngrams: CorpusNgrams) -> tuple[float, list[float]]:
    """(mean CIDEr-D over images, per-image CIDEr-D in image order)."""
    table, images, max_order = ngrams.table, ngrams.num_images, ngrams.table.max_order
    num_grams = max(table.num_grams, 1)
    if images == 0:
        return float("nan"), []
    reference_keys, _ = reference_max_counts(ngrams)
    document_frequency = np.bincount(reference_keys % num_grams, minlength=num_grams).astype(np.float64)
    log_num_images = np.log(float(images))
    weight = table.count * (log_num_images - np.log(np.maximum(1.0, document_frequency[table.gram])))

    num_captions = len(table.lengths)
    slot = table.caption * max_order + table.order  # (caption, order) of each row
    norm = np.sqrt(np.bincount(slot, weights=weight * weight, minlength=num_captions * max_order))
    norm = norm.reshape(num_captions, max_order)
    bigram_count = np.maximum(table.lengths - 1, 0)

    is_hyp = table.caption < images
    hyp_keys = table.caption[is_hyp] * num_grams + table.gram[is_hyp]  # sorted: one hyp per image
    hyp_order = np.argsort(hyp_keys, kind="stable")
    hyp_keys, hyp_weight = hyp_keys[hyp_order], weight[is_hyp][hyp_order]

    is_ref = ~is_hyp
    ref_caption = table.caption[is_ref]
    ref_image = ngrams.ref_image[ref_caption - images]
    ref_weight = weight[is_ref]
    found, hyp_weight_of_ref_gram = lookup(hyp_keys, hyp_weight, ref_image * num_grams + table.gram[is_ref])
    clipped_product = np.where(found, np.minimum(hyp_weight_of_ref_gram, ref_weight) * ref_weight, 0.0)
    num_refs = len(ngrams.ref_image)
    ref_slot = (ref_caption - images) * max_order + table.order[is_ref]
    dot = np.bincount(ref_slot, weights=clipped_product, minlength=num_refs * max_order).reshape(num_refs, max_order)

    ref_norm = norm[images:]
    hyp_norm = norm[:images][ngrams.ref_image]
    both_nonzero = (hyp_norm != 0) & (ref_norm != 0)
    similarity = np.where(both_nonzero, dot / np.where(both_nonzero, hyp_norm * ref_norm, 1.0), dot)
    delta = (bigram_count[:images][ngrams.ref_image] - bigram_count[images:]).astype(np.float64)
    similarity = similarity * (np.e ** (-(delta**2) / (2 * SIGMA**2)))[:, None]

    summed = np.add.reduceat(similarity, ngrams.ref_offsets[:-1], axis=0) if num_refs else np.zeros((images, max_order))
    refs_per_image = np.diff(ngrams.ref_offsets).astype(np.float64)
    per_image = summed.mean(axis=1) / refs_per_image * 10.0
    return float(np.mean(per_image)), per_image.tolist()

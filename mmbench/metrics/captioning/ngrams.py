"""Vectorised n-gram counts shared by BLEU and CIDEr-D.

Every caption is a list of tokens (``str.split()`` of a PTB-tokenised caption, as pycocoevalcap's
``precook`` does). The table holds one row per (caption, distinct n-gram) with the n-gram's count
in that caption. N-gram ids are dense integers, global over all orders: ids of order ``n`` lie in
``[order_offsets[n - 1], order_offsets[n])``. Building the table costs a few numpy sorts, so the
metrics never loop over n-grams in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Sequence

import numpy as np

MAX_ORDER = 4


@dataclass(frozen=True)
class NgramTable:
    """Counts of every n-gram (n = 1..max_order) in every caption.

    caption: (E,) caption index of each row; rows are sorted by (order, caption, n-gram id).
    gram: (E,) global n-gram id.  order: (E,) n - 1.  count: (E,) occurrences (int64).
    lengths: (C,) tokens per caption.  num_grams: number of distinct n-grams of all orders.
    """

    caption: np.ndarray
    gram: np.ndarray
    order: np.ndarray
    count: np.ndarray
    lengths: np.ndarray
    num_grams: int
    max_order: int


def _token_ids(token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, int]:
    vocabulary: dict[str, int] = {}
    add = vocabulary.setdefault
    ids = [add(token, len(vocabulary)) for token in chain.from_iterable(token_lists)]
    return np.asarray(ids, dtype=np.int64), max(len(vocabulary), 1)


def count_ngrams(token_lists: Sequence[Sequence[str]], max_order: int = MAX_ORDER) -> NgramTable:
    """Count n-grams of orders 1..max_order in each token list (see NgramTable)."""
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    tokens, vocabulary_size = _token_ids(token_lists)
    caption_of_token = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)

    columns: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    offset = 0
    gram_at = tokens  # (T,) id of the n-gram starting at each position, for the current n
    for n in range(1, max_order + 1):
        if n == 1:
            valid = np.ones(len(tokens), dtype=bool)
            local = tokens
            num_local = vocabulary_size
        else:
            # An n-gram at i is the (n-1)-gram at i followed by token i+n-1 of the same caption.
            starts = len(tokens) - n + 1
            if starts <= 0:
                break
            valid = caption_of_token[:starts] == caption_of_token[n - 1 :]
            pair_key = gram_at[:starts][valid] * vocabulary_size + tokens[n - 1 :][valid]
            unique_keys, local = np.unique(pair_key, return_inverse=True)
            num_local = max(len(unique_keys), 1)
            gram_at = np.full(starts, -1, dtype=np.int64)
            gram_at[valid] = local
        caption_key = caption_of_token[: len(valid)][valid] * num_local + local
        unique_caption_keys, counts = np.unique(caption_key, return_counts=True)
        columns.append(
            (
                unique_caption_keys // num_local,
                unique_caption_keys % num_local + offset,
                np.full(len(counts), n - 1, dtype=np.int64),
                counts.astype(np.int64),
            )
        )
        offset += num_local
        if n == 1:
            gram_at = tokens
    if not columns:
        empty = np.zeros(0, dtype=np.int64)
        columns.append((empty, empty, empty, empty))
    caption, gram, order, count = (np.concatenate(parts) for parts in zip(*columns))
    return NgramTable(caption, gram, order, count, lengths, offset, max_order)


@dataclass(frozen=True)
class CorpusNgrams:
    """N-gram counts of one evaluated set: hypothesis i is caption i of ``table``, the references
    of image i are captions ``ref_offsets[i]:ref_offsets[i + 1]`` shifted by ``num_images``.

    ref_image: (R,) image index of each reference.
    """

    table: NgramTable
    num_images: int
    ref_image: np.ndarray
    ref_offsets: np.ndarray


def count_corpus_ngrams(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]], max_order: int = MAX_ORDER
) -> CorpusNgrams:
    """Count n-grams of tokenised hypotheses and references (whitespace split, as pycocoevalcap)."""
    token_lists = [h.split() for h in hypotheses]
    token_lists.extend(r.split() for refs in references for r in refs)
    per_image = np.fromiter((len(refs) for refs in references), dtype=np.int64, count=len(references))
    ref_offsets = np.concatenate([[0], np.cumsum(per_image)]).astype(np.int64)
    ref_image = np.repeat(np.arange(len(references), dtype=np.int64), per_image)
    table = count_ngrams(token_lists, max_order)
    return CorpusNgrams(table, len(hypotheses), ref_image, ref_offsets)


def reference_max_counts(ngrams: CorpusNgrams) -> tuple[np.ndarray, np.ndarray]:
    """For every (image, n-gram) present in that image's references: the largest count of the
    n-gram in any one reference. Returns (keys, max_counts), keys = image * num_grams + gram,
    sorted ascending and unique."""
    table = ngrams.table
    is_ref = table.caption >= ngrams.num_images
    image = ngrams.ref_image[table.caption[is_ref] - ngrams.num_images]
    keys = image * max(table.num_grams, 1) + table.gram[is_ref]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    if len(sorted_keys) == 0:
        return sorted_keys, sorted_keys.copy()
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    return sorted_keys[starts], np.maximum.reduceat(table.count[is_ref][order], starts)


def lookup(sorted_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values for ``keys`` in a sorted unique key array: (found mask, values; 0 where absent)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=values.dtype)
    position = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found = sorted_keys[position] == keys
    return found, np.where(found, values[position], 0)

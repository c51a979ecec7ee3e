"""Decoding for both generative built-ins (BLIP's text decoder, LLaVA's Llama): greedy search, beam
search, the repetition penalty and the preallocated key/value cache, matching transformers' ``generate``.

Semantics follow transformers 5.x ``GenerationMixin`` with its default settings (``early_stopping=False``,
one returned sequence): the repetition penalty (divide positive / multiply negative scores of tokens
already in the sequence, prompt included, padding not) and the minimum new-token count (end tokens at
-inf) apply to the logits in greedy search and to the log-probabilities in beam search; beam search keeps the
2K best continuations, finishes a hypothesis when its token is an end token (or at the length limit)
and it ranks among the top K, scores it as ``sum log p / generated_length ** length_penalty``, and stops
a batch item once its K finished hypotheses are full and its best running beam
(``score / current_length ** length_penalty``) cannot beat the worst of them.

A model supplies a step function (new token ids -> next-token logits, advancing its cache) and,
for beams, the cache's ``reorder``. Rows of a batch with beams are ordered item-major: row ``b * K + k`` is beam k of item b.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from mmbench.measure.timing import mark_token

#: new token ids (R, T) -> float32 logits of the next token (R, V); advances the cache by T
StepFn = Callable[[torch.Tensor], torch.Tensor]
#: keep cached sequence rows[i] as row i
ReorderFn = Callable[[torch.Tensor], None]

_NEG = -1.0e9  # transformers' "impossible" score offset in beam search


@dataclass(frozen=True)
class DecodeSettings:
    """What ``generate`` does: greedy (``num_beams=1``) or beam search, with transformers' processors."""

    max_new_tokens: int = 30
    min_new_tokens: int = 0  # end tokens are at -inf before this many new tokens
    num_beams: int = 1
    repetition_penalty: float = 1.0  # CTRL penalty on every id so far (prompt included, padding not)
    length_penalty: float = 1.0  # beam search: finished score = sum log p / length ** length_penalty
    eos_token_ids: tuple[int, ...] = ()
    pad_token_id: int = 0  # fills rows that ended


class KVCache:
    """Keys and values of every layer, preallocated: (B, heads, capacity, head_dim) each.

    ``length`` positions are filled; a forward pass writes its T new positions after them with
    :meth:`update` (per layer) and then calls :meth:`advance`. Preallocation avoids re-concatenating
    the whole cache each step. Rows are sequences (batch x beams, item-major).
    """

    def __init__(self, num_layers: int, batch: int, heads: int, capacity: int, head_dim: int,
                 device: torch.device | str, dtype: torch.dtype) -> None:
        shape = (batch, heads, capacity, head_dim)
        self.keys = [torch.empty(shape, device=device, dtype=dtype) for _ in range(num_layers)]
        self.values = [torch.empty(shape, device=device, dtype=dtype) for _ in range(num_layers)]
        self.capacity = capacity
        self.length = 0

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store (B, H, T, hd) new keys/values; return all of them so far, (B, H, length+T, hd)."""
        end = self.length + k.shape[2]
        if end > self.capacity:
            raise ValueError(f"KV cache overflow: {end} positions > capacity {self.capacity}")
        self.keys[layer][:, :, self.length:end] = k
        self.values[layer][:, :, self.length:end] = v
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]

    def advance(self, count: int) -> None:
        self.length += count

    def reorder(self, rows: torch.Tensor) -> None:
        """Keep sequence ``rows[i]`` as row i (beam search)."""
        for keys, values in zip(self.keys, self.values):
            keys[:, :, : self.length] = keys[rows, :, : self.length]
            values[:, :, : self.length] = values[rows, :, : self.length]


def process_scores(scores: torch.Tensor, sequences: torch.Tensor, new_tokens: int, s: DecodeSettings,
                   valid: torch.Tensor | None = None) -> torch.Tensor:
    """Apply the repetition penalty and the minimum-length rule to next-token scores (R, V).

    ``sequences`` (R, L): every id so far; ``valid`` (R, L): False at padding, which is not penalised.
    """
    if s.repetition_penalty != 1.0:
        vocab = scores.shape[1]
        history = sequences if valid is None else sequences.masked_fill(~valid, vocab)
        seen = torch.zeros(scores.shape[0], vocab + 1, dtype=torch.bool, device=scores.device)
        seen = seen.scatter(1, history, True)[:, :vocab]  # (R, V)
        penalised = torch.where(scores < 0, scores * s.repetition_penalty, scores / s.repetition_penalty)
        scores = torch.where(seen, penalised, scores)
    if new_tokens < s.min_new_tokens and s.eos_token_ids:
        scores = scores.clone()
        scores[:, list(s.eos_token_ids)] = -float("inf")
    return scores


def _ends(tokens: torch.Tensor, s: DecodeSettings) -> torch.Tensor:
    return torch.isin(tokens, torch.tensor(s.eos_token_ids, dtype=tokens.dtype, device=tokens.device))


def greedy_search(step: StepFn, prompt: torch.Tensor, s: DecodeSettings, valid: torch.Tensor | None = None) -> torch.Tensor:
    """prompt (B, P) -> sequences (B, P + n), n <= max_new_tokens; rows that ended are padded.

    ``valid`` (B, P): False at the prompt's padding (left-padded batches), which is not penalised.
    """
    sequences = prompt
    if s.max_new_tokens < 1:
        return sequences
    valid = torch.ones_like(prompt, dtype=torch.bool) if valid is None else valid.bool()
    finished = torch.zeros(prompt.shape[0], dtype=torch.bool, device=prompt.device)
    logits = step(prompt)
    for i in range(s.max_new_tokens):
        token = process_scores(logits, sequences, i, s, valid).argmax(dim=-1)  # (B,)
        mark_token()  # time to first token / per output token (mmbench.measure.timing)
        token = torch.where(finished, torch.full_like(token, s.pad_token_id), token)
        sequences = torch.cat([sequences, token[:, None]], dim=1)
        valid = torch.cat([valid, valid.new_ones(valid.shape[0], 1)], dim=1)
        finished |= _ends(token, s)
        if bool(finished.all()) or i + 1 == s.max_new_tokens:
            break
        logits = step(token[:, None])
    return sequences


def beam_search(step: StepFn, reorder: ReorderFn, prompt: torch.Tensor, s: DecodeSettings) -> torch.Tensor:
    """prompt (B*K, P), each item's row repeated K times -> best finished sequence per item (B, P + n)."""
    k, device = s.num_beams, prompt.device
    b, p = prompt.shape[0] // k, prompt.shape[1]
    max_len = p + s.max_new_tokens
    # transformers fills unused positions with `pad_token_id or eos_token_id`: the end token when pad is 0
    running = prompt.new_full((b, k, max_len), s.pad_token_id or (s.eos_token_ids or (0,))[0])
    running[:, :, :p] = prompt.view(b, k, p)
    running_scores = torch.full((b, k), _NEG, device=device)
    running_scores[:, 0] = 0.0  # only the first beam may start: avoids k copies of the same continuation
    done = running.clone()  # finished hypotheses (B, K, L), best first
    done_scores = torch.full((b, k), _NEG, device=device)
    done_flags = torch.zeros((b, k), dtype=torch.bool, device=device)
    done_lengths = torch.full((b, k), p, dtype=torch.long, device=device)
    improvable = torch.ones(b, dtype=torch.bool, device=device)
    top_k_rank = torch.arange(2 * k, device=device) < k  # only the K best continuations may finish
    item_offset = torch.arange(b, device=device)[:, None] * k  # (B, 1)

    logits = step(prompt)
    for cur in range(p, max_len):
        log_probs = torch.log_softmax(logits, dim=-1)  # (B*K, V)
        log_probs = process_scores(log_probs, running[:, :, :cur].reshape(b * k, cur), cur - p, s)
        vocab = log_probs.shape[-1]
        totals = (log_probs.view(b, k, vocab) + running_scores[:, :, None]).view(b, k * vocab)
        cand_scores, cand_index = torch.topk(totals, 2 * k)  # (B, 2K)
        cand_beam, cand_token = cand_index // vocab, cand_index % vocab
        mark_token()
        cand = running.gather(1, cand_beam[:, :, None].expand(-1, -1, max_len)).clone()  # (B, 2K, L)
        cand[:, :, cur] = cand_token
        ends = _ends(cand_token, s) | (cur + 1 >= max_len)  # (B, 2K)

        # finished hypotheses: merge the new ones that qualify into the K best so far
        normalised = cand_scores / float(cur + 1 - p) ** s.length_penalty
        qualifies = ends & top_k_rank[None, :] & improvable[:, None]
        normalised = torch.where(qualifies, normalised, normalised + _NEG)
        merged = torch.cat([done_scores, normalised], dim=1)  # (B, 3K)
        keep = torch.topk(merged, k, dim=1).indices  # (B, K)
        done = torch.cat([done, cand], dim=1).gather(1, keep[:, :, None].expand(-1, -1, max_len))
        done_scores = merged.gather(1, keep)
        done_flags = torch.cat([done_flags, qualifies], dim=1).gather(1, keep)
        new_lengths = torch.full_like(cand_token, cur + 1)
        done_lengths = torch.cat([done_lengths, new_lengths], dim=1).gather(1, keep)

        # running beams: the K best continuations that did not end
        open_scores = cand_scores + ends.float() * _NEG
        pick = torch.topk(open_scores, k, dim=1).indices  # (B, K)
        running = cand.gather(1, pick[:, :, None].expand(-1, -1, max_len))
        running_scores = open_scores.gather(1, pick)
        parents = (cand_beam.gather(1, pick) + item_offset).view(-1)  # (B*K,) rows of the cache

        best_possible = running_scores[:, 0] / float(cur + 1 - p) ** s.length_penalty
        worst_done = torch.where(done_flags, done_scores.min(dim=1, keepdim=True).values, torch.full_like(done_scores, _NEG))
        improvable &= (best_possible[:, None] > worst_done).any(dim=1)
        if not bool(improvable.any()) or bool(ends.all()):
            break
        reorder(parents)
        logits = step(running[:, :, cur].reshape(b * k, 1))

    length = int(done_lengths[:, 0].max())
    return done[:, 0, :length]

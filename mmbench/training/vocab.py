"""Tiny tokenizers for the shapes suite's closed vocabulary, built locally (nothing downloaded).

Every word of the captions, questions, answers and zero-shot prompts is one token; single
characters stay in the vocabulary so that any other English text still tokenises (into letters).
- CLIP: a ``CLIPTokenizer`` whose BPE merges (learnt with the ``tokenizers`` library on the suite's
  sentences) rebuild every vocabulary word from its letters.
- BLIP: a BERT ``WordPiece`` vocabulary of whole words, letters and ``##`` letters.
- LLaVA: a byte-level BPE (``GPT2Tokenizer``) with merges learnt on the prompts and answers.
"""

from __future__ import annotations

import json
import string
from typing import Any, Iterable

from mmbench.data.shapes_spec import (COLOURS, COUNT_WORDS, KINDS, NUMBER_WORDS, PLURALS, POSITION_PHRASES, SIZES,
                                      TEMPLATES)

EXTRA_WORDS = ("a", "an", "the", "of", "picture", "image", "with", "there", "is", "are", "on", "in", "what", "color",
               "kind", "shapes", "shape", "these", "how", "many", "where", "size", "yes", "no", "photo", "provide",
               "one-sentence", "caption", "for", "provided", "answer", "question", "using", "single", "word", "or",
               "phrase", "1", "2", "3")


def shapes_words() -> list[str]:
    """All words the suite uses, sorted."""
    words = set(EXTRA_WORDS) | set(KINDS) | set(PLURALS.values()) | set(COLOURS) | set(SIZES)
    words |= set(COUNT_WORDS.values()) | set(NUMBER_WORDS.values())
    for phrase in [*POSITION_PHRASES.values(), *TEMPLATES]:
        words |= set(phrase.replace("{c}", "").replace(".", " ").split())
    words |= {"left", "center", "right"}
    return sorted(words)


def bert_wordpiece(words: Iterable[str]) -> Any:
    """BLIP's BertTokenizer: specials, whole words, then letters, digits, punctuation and ``##`` letters."""
    from transformers import BertTokenizer

    vocab: dict[str, int] = {}
    for token in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]", *words,
                  *string.ascii_lowercase, *string.digits, *string.punctuation,
                  *("##" + c for c in string.ascii_lowercase + string.digits)]:
        vocab.setdefault(token, len(vocab))
    return BertTokenizer(vocab=vocab, bos_token="[DEC]", extra_special_tokens=["[ENC]"], model_max_length=40)


def _learn_merges(sentences: list[str], suffix: str, byte_level: bool) -> tuple[list[str], list[tuple[str, str]]]:
    """(tokens, merges) of a BPE trained with the ``tokenizers`` library until every word is one token."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    suffix_kwargs = {"end_of_word_suffix": suffix} if suffix else {}
    tokenizer = Tokenizer(models.BPE(**suffix_kwargs))
    if byte_level:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
        alphabet = []
    trainer = trainers.BpeTrainer(vocab_size=4000, min_frequency=1, show_progress=False, initial_alphabet=alphabet,
                                  **suffix_kwargs)
    tokenizer.train_from_iterator(sentences, trainer)
    model = json.loads(tokenizer.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return list(model["vocab"]), merges  # type: ignore[return-value]


def clip_bpe(sentences: list[str], max_length: int) -> Any:
    """A CLIPTokenizer: start/end tokens, every byte symbol (plain and word-final), learnt word merges."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    lowered = [s.lower() for s in sentences]
    tokens, merges = _learn_merges(lowered, "</w>", byte_level=False)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(symbol, len(vocab))
        vocab.setdefault(symbol + "</w>", len(vocab))
    for token in tokens:
        vocab.setdefault(token, len(vocab))
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[(a, b) for a, b in merges], model_max_length=max_length)


def llama_bpe(sentences: list[str]) -> Any:
    """Byte-level BPE with Llama-style specials and an ``<image>`` token."""
    from tokenizers import pre_tokenizers
    from transformers import AddedToken, GPT2Tokenizer

    tokens, merges = _learn_merges([" " + s for s in sentences], "", byte_level=True)
    vocab: dict[str, int] = {}
    for token in ["<unk>", "<s>", "</s>", "<image>", "<pad>", *sorted(pre_tokenizers.ByteLevel.alphabet()), *tokens]:
        vocab.setdefault(token, len(vocab))
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    tokenizer = GPT2Tokenizer(vocab=vocab, merges=[(a, b) for a, b in merges], unk_token="<unk>", bos_token="<s>",
                              eos_token="</s>", pad_token="<pad>", add_bos_token=True, model_max_length=256)
    tokenizer.add_tokens([AddedToken("<image>", special=True, normalized=False)], special_tokens=True)
    return tokenizer

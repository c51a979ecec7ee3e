"""Built-in LLaVA (``llava:``) vs transformers' LlavaForConditionalGeneration on CPU, side by side.

One random checkpoint is written with ``save_pretrained`` and loaded by both implementations
(same weights, same inputs: a left-padded batch of image + prompt token ids). Each operation is
timed after warm-up, alternating the two implementations so that machine load hits both alike;
medians are reported. Ratio = built-in time / transformers time (below 1: the built-in is faster).
Generation is greedy with ``min_new_tokens = max_new_tokens`` so both produce the same number of
tokens; the script checks the tokens are identical and the logits agree.

    python benchmarks/bench_llava.py                       # "small" shape, 2 threads
    python benchmarks/bench_llava.py --shape tiny --reps 7 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

#: (vision kwargs, text kwargs) of transformers' CLIPVisionConfig / LlamaConfig
SHAPES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "tiny": ({"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 56, "patch_size": 14},
             {"hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                  "vocab_size": 1000}),
    # ViT-S/16-like tower (196 image tokens) and a 6-layer GQA decoder with LLaVA's 32064-token vocabulary
    "small": ({"hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 6, "num_attention_heads": 6, "image_size": 224, "patch_size": 16},
              {"hidden_size": 512, "intermediate_size": 1408, "num_hidden_layers": 6, "num_attention_heads": 8, "num_key_value_heads": 2,
                   "vocab_size": 32064}),
}
IMAGE_TOKEN_ID = 32 - 1


def build_checkpoint(shape: str, directory: Path) -> Any:
    from transformers import (
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
    )

    vision, text = SHAPES[shape]
    config = LlavaConfig(vision_config=CLIPVisionConfig(**vision), text_config=LlamaConfig(pad_token_id=0, **text),
                         image_token_index=IMAGE_TOKEN_ID)
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration(config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.05)
    model.save_pretrained(directory)
    return LlavaForConditionalGeneration.from_pretrained(directory, dtype=torch.float32).eval()


def make_inputs(reference: Any, batch: int, prompt_tokens: int) -> dict[str, torch.Tensor]:
    """Left-padded rows: BOS, image tokens, then 1..prompt_tokens text tokens (lengths differ per row)."""
    cfg = reference.config
    side, patch = cfg.vision_config.image_size, cfg.vision_config.patch_size
    image_tokens = (side // patch) ** 2
    generator = torch.Generator().manual_seed(1)
    lengths = [1 + image_tokens + max(1, prompt_tokens - 3 * i) for i in range(batch)]
    width = max(lengths)
    input_ids = torch.zeros(batch, width, dtype=torch.long)
    mask = torch.zeros(batch, width, dtype=torch.long)
    for row, length in enumerate(lengths):
        text = torch.randint(IMAGE_TOKEN_ID + 1, cfg.text_config.vocab_size, (length - 1 - image_tokens,), generator=generator)
        tokens = torch.cat([torch.tensor([1]), torch.full((image_tokens,), IMAGE_TOKEN_ID), text])
        input_ids[row, width - length:], mask[row, width - length:] = tokens, 1
    pixels = torch.randn(batch, 3, side, side, generator=generator)
    return {"input_ids": input_ids, "attention_mask": mask, "pixel_values": pixels}


def time_pair(ours: Callable[[], Any], theirs: Callable[[], Any], *, warmup: int, reps: int) -> tuple[float, float, Any, Any]:
    """Median ms of each callable (alternating, after warm-up) and the last output of each."""
    with torch.inference_mode():
        for _ in range(warmup):
            out_ours, out_theirs = ours(), theirs()
        times: tuple[list[float], list[float]] = ([], [])
        for rep in range(reps):
            for which in ((0, 1) if rep % 2 == 0 else (1, 0)):
                start = time.perf_counter()
                result = (ours if which == 0 else theirs)()
                times[which].append((time.perf_counter() - start) * 1000)
                if which == 0:
                    out_ours = result
                else:
                    out_theirs = result
    return statistics.median(times[0]), statistics.median(times[1]), out_ours, out_theirs


def main(argv: list[str] | None = None) -> None:
    from mmbench.models.builtin.decoding import DecodeSettings
    from mmbench.models.builtin.llava.model import load_llava

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="small")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--prompt-tokens", type=int, default=24, help="text tokens after the image in the longest row")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        reference = build_checkpoint(args.shape, Path(tmp))
        builtin = load_llava(Path(tmp))
    inputs = make_inputs(reference, args.batch, args.prompt_tokens)
    ids, mask, pixels = inputs["input_ids"], inputs["attention_mask"], inputs["pixel_values"]
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
    settings = DecodeSettings(max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, eos_token_ids=(2,))

    cases = [
        ("forward (logits)", lambda: builtin(ids, pixels, mask),
         lambda: reference(**inputs, position_ids=positions).logits),
        (f"generate {args.new_tokens} tokens (KV cache)", lambda: builtin.generate(ids, pixels, mask, settings),
         lambda: reference.generate(**inputs, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                                    do_sample=False, pad_token_id=0)[:, ids.shape[1]:].tolist()),
    ]
    print(f"LLaVA shape {args.shape!r}: batch {args.batch}, {ids.shape[1]} input tokens (left-padded), "
          f"torch {torch.__version__}, {args.threads} thread(s), median of {args.reps} after {args.warmup} warm-up")
    print(f"{'operation':<32} {'built-in ms':>12} {'transformers ms':>16} {'ratio':>7}  check")
    for name, ours, theirs in cases:
        ours_ms, theirs_ms, out_ours, out_theirs = time_pair(ours, theirs, warmup=args.warmup, reps=args.reps)
        if isinstance(out_ours, torch.Tensor):
            real = mask.bool()
            check = f"max|logit diff| {float((out_ours[real] - out_theirs[real]).abs().max()):.1e}"
        else:
            check = "tokens identical" if out_ours == out_theirs else "TOKENS DIFFER"
        print(f"{name:<32} {ours_ms:>12.1f} {theirs_ms:>16.1f} {ours_ms / theirs_ms:>7.2f}  {check}")


if __name__ == "__main__":
    main()

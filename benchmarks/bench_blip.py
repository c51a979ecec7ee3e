"""Built-in BLIP (``blip:``) vs transformers' three BLIP heads on CPU, side by side.

For each head a random checkpoint is written with ``save_pretrained`` and loaded by both
implementations (same weights, same inputs). Each operation runs after a warm-up, alternating the two
implementations so that machine load hits both alike; medians are reported. Ratio = built-in time /
transformers time (below 1: the built-in is faster). Generation uses ``min_new_tokens =
max_new_tokens`` so both produce the same number of tokens, and the script checks the ids are identical.

    python benchmarks/bench_blip.py                      # "small" shape, batch 4, 5 reps
    python benchmarks/bench_blip.py --shape base --batch 2 --reps 3   # BLIP base sizes (ViT-B/16 at 384 px)
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

#: (vision kwargs, text kwargs) of transformers' BlipVisionConfig / BlipTextConfig
SHAPES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "tiny": ({"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 64, "patch_size": 16},
             {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 1000,
              "bos_token_id": 998}),
    # ViT-S/16-like tower at 224 px (197 image tokens), 6-layer BERT at 384 wide with BLIP's 30524-token vocabulary
    "small": ({"hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 6, "num_attention_heads": 6, "image_size": 224, "patch_size": 16},
              {"hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 6, "num_attention_heads": 6}),
    # the real BLIP base (Salesforce/blip-*-base): ViT-B/16 at 384 px (577 tokens), BERT-base
    "base": ({}, {"num_attention_heads": 12}),
}
ARCHITECTURES = {"caption": "BlipForConditionalGeneration", "vqa": "BlipForQuestionAnswering", "itm": "BlipForImageTextRetrieval"}


def build_checkpoint(shape: str, head: str, directory: Path) -> Path:
    import transformers
    from transformers import BlipConfig

    vision, text = SHAPES[shape]
    torch.manual_seed(0)
    config = BlipConfig(vision_config={**vision, "initializer_range": 0.02}, text_config=text)
    model = getattr(transformers, ARCHITECTURES[head])(config).eval()
    model.save_pretrained(directory)
    return directory


def time_ms(fn: Callable[[], Any], reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def compare(name: str, theirs: Callable[[], Any], ours: Callable[[], Any], reps: int) -> dict[str, Any]:
    """Warm both up, then alternate single runs; medians in ms."""
    theirs(), ours()
    hf_times: list[float] = []
    our_times: list[float] = []
    for _ in range(reps):
        hf_times += time_ms(theirs, 1)
        our_times += time_ms(ours, 1)
    hf_ms, our_ms = statistics.median(hf_times), statistics.median(our_times)
    return {"operation": name, "transformers_ms": hf_ms, "builtin_ms": our_ms, "ratio": our_ms / hf_ms}


def _same(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if not torch.equal(a, b):
        raise AssertionError(f"{what}: built-in and transformers generated different ids")


def bench_blip(shape: str = "small", batch: int = 4, new_tokens: int = 20, beams: int = 3, reps: int = 5,
               threads: int | None = None) -> list[dict[str, Any]]:
    """Time forward and generate of each head, print a table, return its rows."""
    if threads:
        torch.set_num_threads(threads)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, torch.inference_mode():
        for head, bench in (("caption", _bench_caption), ("vqa", _bench_vqa), ("itm", _bench_itm)):
            hf, ours = _load_both(build_checkpoint(shape, head, Path(tmp) / head))
            rows += bench(hf, ours, _inputs(ours, batch), new_tokens, beams, reps)
    _print_table(rows, shape, batch, reps)
    return rows


def _load_both(directory: Path) -> tuple[Any, Any]:
    import transformers

    from mmbench.models.builtin.blip.heads import load_blip

    architecture = json.loads((directory / "config.json").read_text())["architectures"][0]
    return getattr(transformers, architecture).from_pretrained(directory).eval(), load_blip(directory)


def _inputs(ours: Any, batch: int) -> dict[str, torch.Tensor]:
    """Random pixels (B, 3, S, S) and 12 token ids per row starting with [CLS]."""
    generator = torch.Generator().manual_seed(0)
    size = ours.cfg.vision.image_size
    ids = torch.randint(200, 900, (batch, 12), generator=generator)
    ids[:, 0] = 101  # [CLS]
    return {"pixels": torch.randn(batch, 3, size, size, generator=generator), "ids": ids, "mask": torch.ones_like(ids)}


def _bench_caption(hf: Any, ours: Any, x: dict[str, torch.Tensor], new_tokens: int, beams: int, reps: int) -> list[dict[str, Any]]:
    pixels, batch, bos = x["pixels"], x["ids"].shape[0], ours.cfg.text.bos_token_id
    start = torch.full((batch, 1), bos)
    decoder_ids = torch.cat([start, x["ids"][:, 1:]], dim=1)  # (B, 12) starting with [DEC]
    greedy = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens}
    beam = {**greedy, "num_beams": beams}
    _same(ours.generate(pixels, start, ours.settings(**greedy)), hf.generate(pixel_values=pixels, **greedy), "caption greedy")
    return [
        compare(f"caption forward (B={batch}, T=12)", lambda: hf(pixel_values=pixels, input_ids=decoder_ids).logits,
                lambda: ours.logits(pixels, decoder_ids), reps),
        compare(f"caption greedy {new_tokens} tokens", lambda: hf.generate(pixel_values=pixels, **greedy),
                lambda: ours.generate(pixels, start, ours.settings(**greedy)), reps),
        compare(f"caption beam search k={beams}", lambda: hf.generate(pixel_values=pixels, **beam),
                lambda: ours.generate(pixels, start, ours.settings(**beam)), reps),
    ]


def _bench_vqa(hf: Any, ours: Any, x: dict[str, torch.Tensor], new_tokens: int, beams: int, reps: int) -> list[dict[str, Any]]:
    pixels, ids, mask = x["pixels"], x["ids"], x["mask"]
    greedy = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens}
    _same(ours.generate(pixels, ids, mask, ours.settings(**greedy)),
          hf.generate(input_ids=ids, pixel_values=pixels, attention_mask=mask, **greedy), "vqa greedy")
    return [compare(f"vqa greedy {new_tokens} tokens", lambda: hf.generate(input_ids=ids, pixel_values=pixels, attention_mask=mask, **greedy),
                    lambda: ours.generate(pixels, ids, mask, ours.settings(**greedy)), reps)]


def _bench_itm(hf: Any, ours: Any, x: dict[str, torch.Tensor], new_tokens: int, beams: int, reps: int) -> list[dict[str, Any]]:
    pixels, ids, mask = x["pixels"], x["ids"], x["mask"]

    def hf_image_embeds() -> torch.Tensor:
        states = hf.vision_model(pixel_values=pixels).last_hidden_state
        return torch.nn.functional.normalize(hf.vision_proj(states[:, 0]), dim=-1)

    return [
        compare("itm forward (ITM logits)", lambda: hf(input_ids=ids, pixel_values=pixels, attention_mask=mask).itm_score,
                lambda: ours.itm_logits(pixels, ids, mask), reps),
        compare("itc image embeddings", hf_image_embeds, lambda: ours.image_embeds(pixels), reps),
    ]


def _print_table(rows: list[dict[str, Any]], shape: str, batch: int, reps: int) -> None:
    print(f"BLIP built-in vs transformers {transformers_version()} on CPU ({torch.get_num_threads()} threads), "
          f"shape={shape}, batch={batch}, median of {reps}")
    print(f"{'operation':<34} {'transformers ms':>16} {'built-in ms':>12} {'ratio':>7}")
    for r in rows:
        print(f"{r['operation']:<34} {r['transformers_ms']:>16.1f} {r['builtin_ms']:>12.1f} {r['ratio']:>7.2f}")


def transformers_version() -> str:
    import transformers

    return transformers.__version__


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="small")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--new-tokens", type=int, default=20)
    parser.add_argument("--beams", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    bench_blip(args.shape, args.batch, args.new_tokens, args.beams, args.reps, args.threads)

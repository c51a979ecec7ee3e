"""How close the harness gets to the card: CLIP image towers and a LLaVA-1.5-7B-shaped decoder.

1. CLIP ViT-B/32 and ViT-L/14 (random weights, ``hf:`` checkpoints built by gpu_bench.py), in
   fp16 and bf16: harness images/s (``mmbench.evaluate`` on shapes_zeroshot, images decoded and
   preprocessed by the runner's workers, the split repeated to enough images) against the same
   adapter fed pre-made tensors in a bare loop; the ratio is the harness's cost (target >= 0.9).
   MFU of both against the card's dense FP16/BF16 peak (ViT-L/14 target >= 50 %).
2. A LLaVA-1.5-7B-shaped Llama decoder (random bf16 weights built on the card): prefill of a
   640-token prompt (576 image tokens + 64 text) and 128 greedy decode steps with the KV cache,
   at batch 1 and 16; TTFT, TPOT, prefill and decode tokens/s, each synchronised; decode memory
   bandwidth = (weight bytes + mean KV-cache bytes read per step) / TPOT against the card's.

    python3 benchmarks/gpu_ceiling.py --out DIR [--smoke]

``--smoke`` runs the same code on the CPU with tiny models in fp32 (plumbing only: no numbers to
compare). Prints Markdown tables and writes gpu_ceiling.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))


def _sync(device: str) -> None:
    from mmbench.measure.timing import synchronize

    synchronize(device)


def _card(device: str) -> tuple[str, Any]:
    from mmbench.measure.accelerators import find_accelerator
    from mmbench.measure.devices import device_label

    name = device_label(device)
    return name, find_accelerator(name) if device.startswith("cuda") else None


def clip_row(checkpoint: Path, dtype: str, batch: int, images: int, device: str) -> dict[str, Any]:
    import torch

    import mmbench
    from mmbench.measure.accelerators import peak_tflops
    from mmbench.commands.bench import repeated
    from mmbench.measure.flops import achieved_tflops, counting_flops, utilisation
    from mmbench.models.spec import load_model
    from mmbench.engine.runner import load_task_data
    from mmbench.tasks.spec import load_task_spec
    from mmbench.types import RunConfig

    adapter = load_model(f"hf:{checkpoint}", device=device, dtype=dtype)
    spec = load_task_spec("shapes_zeroshot")
    config = RunConfig(device=device, dtype=dtype, batch_size=batch, score=False, output_dir=None,
                       warmup_batches=2, progress=False)
    data = load_task_data(spec, config)
    data = dataclasses.replace(data, split=repeated(data.split, images))
    harness = mmbench.evaluate(spec, adapter, config, data=data).timing["stages"]["images"]
    size = adapter.model.config.vision_config.image_size
    pixels = torch.randn(batch, 3, size, size, device=device, dtype=adapter.torch_dtype)
    with torch.inference_mode():
        for _ in range(2):
            adapter.encode_images(pixels)
        with counting_flops() as count:
            adapter.encode_images(pixels)
        _sync(device)
        calls = max(3, images // batch)
        start = time.perf_counter()
        for _ in range(calls):
            adapter.encode_images(pixels)
        _sync(device)
        seconds = time.perf_counter() - start
    name, _ = _card(device)
    peak = peak_tflops(device, name, dtype)
    bare_tflops = achieved_tflops((count.total or 0) / batch, calls * batch, seconds)
    bare_rate = calls * batch / seconds
    del adapter
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return {"model": checkpoint.name, "dtype": dtype, "batch": batch, "images": harness["items"],
            "harness_images_per_s": harness["items_per_s"], "bare_images_per_s": bare_rate,
            "ratio": harness["items_per_s"] / bare_rate if harness["items_per_s"] else None,
            "harness_input_wait_fraction": harness["input_wait_s"] / harness["wall_s"] if harness["wall_s"] else None,
            "gflop_per_image": (count.total or 0) / batch / 1e9, "harness_mfu": harness["mfu"],
            "bare_mfu": utilisation(bare_tflops, peak), "bare_tflops_per_s": bare_tflops, "device": name}


def decoder_config(smoke: bool) -> Any:
    from transformers import LlamaConfig

    if smoke:
        return LlamaConfig(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=4, max_position_embeddings=2048)
    # the language model of LLaVA-1.5-7B (Vicuna-7B v1.5, a Llama-2-7B shape) with LLaVA's vocabulary
    return LlamaConfig(vocab_size=32064, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                       num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5)


def decoder_rows(device: str, smoke: bool, batches: list[int], prompt: int, steps: int) -> list[dict[str, Any]]:
    import torch
    from transformers import LlamaForCausalLM

    config = decoder_config(smoke)
    dtype = torch.float32 if smoke else torch.bfloat16
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(dtype).eval()
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    name, card = _card(device)
    rows = []
    for batch in batches:
        ids = torch.randint(0, config.vocab_size, (batch, prompt), device=device)
        with torch.inference_mode():
            model(ids[:, :8], use_cache=True)  # warm-up (kernels, allocator)
            _sync(device)
            start = time.perf_counter()
            out = model(ids, use_cache=True)
            token = out.logits[:, -1].argmax(-1, keepdim=True)  # (B, 1)
            _sync(device)
            ttft = time.perf_counter() - start
            cache = out.past_key_values
            step_times = []
            for _ in range(steps):
                t0 = time.perf_counter()
                out = model(token, past_key_values=cache, use_cache=True)
                token = out.logits[:, -1].argmax(-1, keepdim=True)
                _sync(device)
                step_times.append(time.perf_counter() - t0)
                cache = out.past_key_values
        tpot = sum(step_times) / len(step_times)
        head_dim = config.hidden_size // config.num_attention_heads
        mean_context = prompt + steps / 2
        kv_bytes = 2 * config.num_hidden_layers * batch * mean_context * config.num_key_value_heads * head_dim * model.dtype.itemsize
        bandwidth = (weight_bytes + kv_bytes) / tpot / 1e9
        rows.append({"batch": batch, "prompt_tokens": prompt, "decode_steps": steps, "ttft_ms": ttft * 1000,
                     "tpot_ms": tpot * 1000, "prefill_tokens_per_s": batch * prompt / ttft, "decode_tokens_per_s": batch / tpot,
                     "decode_bandwidth_gbs": bandwidth, "card_bandwidth_gbs": card.memory_gbs if card else None,
                     "bandwidth_fraction": bandwidth / card.memory_gbs if card else None, "device": name})
        del cache, out
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


def _f(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("/tmp/gpu-ceiling"))
    parser.add_argument("--ckpt", type=Path, default=Path("/tmp/gpu-bench-ckpt"))
    parser.add_argument("--smoke", action="store_true", help="CPU plumbing check: tiny models, fp32, few items")
    args = parser.parse_args()
    import torch

    torch.backends.cuda.matmul.allow_tf32 = True
    args.out.mkdir(parents=True, exist_ok=True)
    device = "cpu" if args.smoke else "cuda"
    report: dict[str, Any] = {"clip": [], "decoder": []}
    if args.smoke:
        from tiny_checkpoints import build_tiny_clip

        towers = [(build_tiny_clip(args.ckpt / "clip-tiny"), 8, 48)]
        dtypes = ["float32"]
    else:
        from gpu_bench import clip_checkpoint

        towers = [(clip_checkpoint(args.ckpt, "b32"), 256, 8192), (clip_checkpoint(args.ckpt, "l14"), 128, 2048)]
        dtypes = ["float16", "bfloat16"]
    for checkpoint, batch, images in towers:
        for dtype in dtypes:
            row = clip_row(checkpoint, dtype, batch, images, device)
            report["clip"].append(row)
            print(json.dumps(row), flush=True)
    report["decoder"] = decoder_rows(device, args.smoke, [1, 2] if args.smoke else [1, 16], 64 if args.smoke else 640,
                                     8 if args.smoke else 128)
    (args.out / "gpu_ceiling.json").write_text(json.dumps(report, indent=1))
    print("\n| CLIP tower | dtype | batch | harness img/s | bare-loop img/s | ratio | input wait % | GFLOP/img | harness MFU % | bare MFU % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in report["clip"]:
        mfu = [None if v is None else 100 * v for v in (r["harness_mfu"], r["bare_mfu"])]
        wait = None if r["harness_input_wait_fraction"] is None else 100 * r["harness_input_wait_fraction"]
        print(f"| {r['model']} | {r['dtype']} | {r['batch']} | {_f(r['harness_images_per_s'])} | {_f(r['bare_images_per_s'])} "
              f"| {_f(r['ratio'], 3)} | {_f(wait)} | {_f(r['gflop_per_image'], 2)} | {_f(mfu[0])} | {_f(mfu[1])} |")
    print("\n| decoder | batch | prompt | TTFT ms | TPOT ms | prefill tok/s | decode tok/s | decode GB/s | card GB/s | share |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in report["decoder"]:
        share = None if r["bandwidth_fraction"] is None else 100 * r["bandwidth_fraction"]
        print(f"| LLaVA-1.5-7B LM{' (smoke: tiny)' if args.smoke else ''} | {r['batch']} | {r['prompt_tokens']} | {_f(r['ttft_ms'])} "
              f"| {_f(r['tpot_ms'], 2)} | {_f(r['prefill_tokens_per_s'])} | {_f(r['decode_tokens_per_s'])} "
              f"| {_f(r['decode_bandwidth_gbs'])} | {_f(r['card_bandwidth_gbs'], 0)} | {_f(share)} % |")
    print(f"\ndevice: {report['decoder'][0]['device'] if report['decoder'] else device}")


if __name__ == "__main__":
    main()

"""GPU throughput and latency of real-size architectures, through the harness's own runner.

Builds random-initialised checkpoints at the real sizes (CLIP ViT-B/32 and ViT-L/14, BLIP base
captioning, LLaVA-1.5-7B) with ``save_pretrained`` (timing does not depend on weight values; no
download is possible on the GPU machine), then times the prediction loop of a shapes task
(``score=False``: predict only) for the ``hf:`` adapter and the built-in plain-PyTorch one, at
several batch sizes, in fp16/bf16. Generation is forced to a fixed length (min = max new tokens)
so that random weights do not stop early. Prints a Markdown table and writes JSON.

    python3 benchmarks/gpu_bench.py --out /tmp/gpu-bench [--budget-s 420] [--skip-llava]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def clip_checkpoint(out: Path, size: str) -> Path:
    from tiny_checkpoints import _clip_bpe
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    dims = {"b32": (512, 8, 768, 12, 12, 32, 224, 512), "l14": (768, 12, 1024, 24, 16, 14, 224, 768)}[size]
    t_width, t_heads, v_width, v_layers, v_heads, patch, image, proj = dims
    config = CLIPConfig(
        text_config=dict(hidden_size=t_width, intermediate_size=4 * t_width, num_hidden_layers=12, num_attention_heads=t_heads,
                         vocab_size=49408, max_position_embeddings=77, eos_token_id=1, bos_token_id=0, pad_token_id=1),
        vision_config=dict(hidden_size=v_width, intermediate_size=4 * v_width, num_hidden_layers=v_layers,
                           num_attention_heads=v_heads, patch_size=patch, image_size=image),
        projection_dim=proj)
    images = CLIPImageProcessorPil(size={"shortest_edge": image}, crop_size={"height": image, "width": image})
    return _save(out / f"clip-{size}", CLIPModel(config), CLIPProcessor(image_processor=images, tokenizer=_clip_bpe()))


def blip_checkpoint(out: Path) -> Path:
    from tiny_checkpoints import _bert_wordpiece
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessorPil, BlipProcessor

    tokenizer = _bert_wordpiece()
    config = BlipConfig(text_config=dict(vocab_size=30524, bos_token_id=tokenizer.bos_token_id, pad_token_id=0,
                                         sep_token_id=tokenizer.sep_token_id), vision_config=dict(image_size=384))
    processor = BlipProcessor(image_processor=BlipImageProcessorPil(size={"height": 384, "width": 384}), tokenizer=tokenizer)
    return _save(out / "blip-base-caption", BlipForConditionalGeneration(config), processor)


def llava_checkpoint(out: Path) -> Path:
    import torch
    from tiny_checkpoints import LLAVA_CHAT_TEMPLATE, _llm_tokenizer
    from transformers import CLIPImageProcessorPil, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    tokenizer = _llm_tokenizer()
    images = CLIPImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336})
    processor = LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=14, num_additional_image_tokens=1,
                               vision_feature_select_strategy="default", chat_template=LLAVA_CHAT_TEMPLATE)
    text = dict(model_type="llama", vocab_size=32064, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5,
                pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    vision = dict(model_type="clip_vision_model", hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                  num_attention_heads=16, patch_size=14, image_size=336, projection_dim=768)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
                         vision_feature_layer=-2, vision_feature_select_strategy="default", projector_hidden_act="gelu")
    with torch.device("cuda"):
        model = LlavaForConditionalGeneration(config).to(torch.bfloat16)
    return _save(out / "llava-1.5-7b", model, processor)


def _save(directory: Path, model: Any, processor: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory


def time_run(task: str, spec: str, dtype: str, batch_size: int, limit: int, new_tokens: int | None, device: str) -> dict[str, Any]:
    import torch

    import mmbench
    from mmbench.models.spec import load_model
    from mmbench.tasks.spec import load_task_spec
    from mmbench.types import RunConfig

    task_spec = load_task_spec(task)
    if new_tokens:
        task_spec = dataclasses.replace(task_spec, generation={"max_new_tokens": new_tokens, "min_new_tokens": new_tokens})
    model = load_model(spec, device=device, dtype=dtype)
    config = RunConfig(device=device, dtype=dtype, batch_size=batch_size, limit=limit, score=False, output_dir=None,
                       warmup_batches=2, progress=False)
    t = mmbench.evaluate(task_spec, model, config).timing
    del model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    lat = t["latency_ms"]
    return {"task": task, "model": spec.split(":")[0] + ":" + Path(spec.split(":", 1)[1]).name, "dtype": dtype,
            "batch_size": batch_size, "items": t["items"], "items_per_s": t["items_per_s"], "tokens_per_s": t["tokens_per_s"],
            "p50_ms": lat["p50"], "p90_ms": lat["p90"], "p99_ms": lat["p99"], "peak_mib": t["peak_memory_mb"],
            "device": t["device_name"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("/tmp/gpu-bench"))
    parser.add_argument("--ckpt", type=Path, default=Path("/tmp/gpu-bench-ckpt"))
    parser.add_argument("--budget-s", type=float, default=420.0, help="skip remaining sections after this many seconds")
    parser.add_argument("--skip-llava", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="CPU plumbing check: tiny checkpoints, fp32, few items")
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = True
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    device = "cpu" if args.smoke else "cuda"
    if not args.smoke:
        print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}", flush=True)
    rows: list[dict[str, Any]] = []
    sections: list[tuple[str, Callable[[], Path], list[tuple[str, str, list[int], int, int | None]]]] = [
        ("clip-b32", lambda: clip_checkpoint(args.ckpt, "b32"),
         [("shapes_zeroshot", "fp16", [1, 32, 128], 300, None)]),
        ("clip-l14", lambda: clip_checkpoint(args.ckpt, "l14"),
         [("shapes_zeroshot", "fp16", [1, 32, 128], 300, None)]),
        ("blip-base", lambda: blip_checkpoint(args.ckpt),
         [("shapes_caption", "fp16", [1, 32], 256, 20)]),
    ]
    if not args.skip_llava:
        sections.append(("llava-7b", lambda: llava_checkpoint(args.ckpt), [("shapes_vqa", "bf16", [1, 16], 160, 8)]))
    if args.smoke:
        import tiny_checkpoints as tiny

        sections = [(name, (lambda b=b, n=name: b(args.ckpt / n)), [(task, "fp32", [1, 4], 8, tokens and 4) for task, _, _, _, tokens in runs])
                    for (name, _, runs), b in zip(sections, [tiny.build_tiny_clip, tiny.build_tiny_clip, tiny.build_tiny_blip_caption,
                                                             tiny.build_tiny_llava])]
    builtin = {"clip": "clip", "blip": "blip", "llava": "llava"}
    for name, build, runs in sections:
        if time.perf_counter() - start > args.budget_s:
            print(f"skipping {name}: over the time budget", flush=True)
            continue
        t0 = time.perf_counter()
        ckpt = build()
        print(f"built {name} in {time.perf_counter() - t0:.0f} s", flush=True)
        kind = builtin[name.split("-")[0]]
        for task, dtype, sizes, limit, new_tokens in runs:
            for adapter in ("hf", kind):
                for bs in sizes:
                    if time.perf_counter() - start > args.budget_s + 60:
                        break
                    row = time_run(task, f"{adapter}:{ckpt}", dtype, bs, limit, new_tokens, device)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    (args.out / "gpu_bench.json").write_text(json.dumps(rows, indent=1))
    print_table(rows)


def print_table(rows: list[dict[str, Any]]) -> None:
    def f(x: Any) -> str:
        return "-" if x is None else f"{x:.1f}"

    print("\n| model | task | dtype | batch | items/s | tokens/s | p50 ms | p90 ms | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['task']} | {r['dtype']} | {r['batch_size']} | {f(r['items_per_s'])} | {f(r['tokens_per_s'])} "
              f"| {f(r['p50_ms'])} | {f(r['p90_ms'])} | {f(r['peak_mib'])} |")
    if rows:
        print(f"\ndevice: {rows[0]['device']}")


if __name__ == "__main__":
    main()

"""The harness's CPU overhead: `mmbench run` against a minimal hand-written loop, whole processes.

Both sides score shapes_retrieval (300 images x 5 captions, recall@1/5/10 both ways) with the same
ViT-B/32-sized CLIP checkpoint with random weights (built once with ``save_pretrained``, seed 0),
batch size 32, in a fresh Python process each: imports, model loading, data reading, image
decoding, the checkpoint's processor, forward passes and recall@K all count.

* mmbench: ``mmbench run --task shapes_retrieval --model hf:<checkpoint> --batch-size 32``
  (writing its result files and its prediction store, as a user's run does; `--fresh`, so a
  second pair never reads the first one's predictions);
* the minimal loop (``--minimal-loop``, below): PIL open, ``CLIPProcessor``, ``get_image_features`` /
  ``get_text_features``, cosine similarities and recall@K with torch, nothing else.

Pairs alternate which side runs first; each pair prints both wall times and the ratio. The output
ends with the median ratio, its interquartile range and the verdict against the 1.05x target
(``benchmarks/pairs.py``: "met" only when the whole IQR of at least 7 pairs is under it, else "not
resolved at this machine's noise" or "not met"). Both sides' recall values are printed and must agree.

    python benchmarks/overhead.py [--pairs 7] [--work /tmp/mmbench-overhead]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pairs import MIN_PAIRS, verdict, verdict_line  # noqa: E402

TARGET = 1.05  # mmbench run within 5 % of the minimal loop
KS = (1, 5, 10)
BATCH_SIZE = 32


def minimal_loop(checkpoint: str, annotations: str, images: int) -> None:
    """What a user would write by hand: prints the recall values as JSON on stdout."""
    import torch
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(checkpoint).eval()
    processor = CLIPProcessor.from_pretrained(checkpoint)
    root = Path(annotations).parent
    entries = [e for e in json.loads(Path(annotations).read_text())["images"] if e["split"] == "test"][:images]
    texts = [s["raw"] for e in entries for s in e["sentences"]]
    text_image = torch.tensor([i for i, e in enumerate(entries) for _ in e["sentences"]])
    image_parts, text_parts = [], []
    with torch.inference_mode():
        for start in range(0, len(entries), BATCH_SIZE):
            images = []
            for e in entries[start:start + BATCH_SIZE]:
                with Image.open(root / e.get("filepath", "") / e["filename"]) as image:
                    images.append(image.convert("RGB"))
            pixels = processor(images=images, return_tensors="pt")["pixel_values"]
            image_parts.append(_features(model.get_image_features(pixel_values=pixels)))
        for start in range(0, len(texts), BATCH_SIZE):
            tokens = processor(text=texts[start:start + BATCH_SIZE], padding=True, truncation=True, return_tensors="pt")
            text_parts.append(_features(model.get_text_features(**tokens)))
    image_embeds = torch.nn.functional.normalize(torch.cat(image_parts).float(), dim=-1)
    text_embeds = torch.nn.functional.normalize(torch.cat(text_parts).float(), dim=-1)
    similarity = image_embeds @ text_embeds.T  # (images, texts)
    result = {}
    for k in KS:
        top_texts = similarity.topk(k, dim=1).indices  # (images, k)
        result[f"i2t_R@{k}"] = (text_image[top_texts] == torch.arange(len(entries))[:, None]).any(1).float().mean().item()
        top_images = similarity.T.topk(k, dim=1).indices  # (texts, k)
        result[f"t2i_R@{k}"] = (top_images == text_image[:, None]).any(1).float().mean().item()
    print(json.dumps(result))


def _features(output):  # type: ignore[no-untyped-def]
    return output if hasattr(output, "dim") else output.pooler_output


def prepare(work: Path) -> tuple[Path, Path]:
    """The random-weight checkpoint (built once) and the shapes data (generated once)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    checkpoint = work / "clip-b32"
    if not (checkpoint / "config.json").is_file():
        import torch
        from gpu_bench import clip_checkpoint

        torch.manual_seed(0)
        clip_checkpoint(work, "b32")
    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    split = load_split(load_task_spec("shapes_retrieval").data, None)
    return checkpoint, Path(split.files[0])


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=MIN_PAIRS, help=f"alternating pairs (default and verdict minimum: {MIN_PAIRS})")
    parser.add_argument("--work", type=Path, default=Path("/tmp/mmbench-overhead"))
    parser.add_argument("--images", type=int, default=300,
                        help="first N images of the split (default: all 300; fewer weigh fixed costs more)")
    parser.add_argument("--minimal-loop", nargs=2, metavar=("CHECKPOINT", "ANNOTATIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.minimal_loop:
        minimal_loop(*args.minimal_loop, args.images)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    checkpoint, annotations = prepare(args.work)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    output_dir = args.work / "results"
    harness = [sys.executable, "-c", "import sys; from mmbench.cli import main; sys.exit(main())", "run",
               "--task", "shapes_retrieval", "--model", f"hf:{checkpoint}", "--batch-size", str(BATCH_SIZE),
               "--output-dir", str(output_dir), "--json", "--fresh"] + (["--limit", str(args.images)] if args.images < 300 else [])
    minimal = [sys.executable, str(Path(__file__).resolve()), "--minimal-loop", str(checkpoint), str(annotations),
               "--images", str(args.images)]
    print(f"shapes_retrieval ({args.images} images x 5 captions), ViT-B/32-sized CLIP (random weights), batch {BATCH_SIZE}, "
          f"{os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")
    ratios = []
    for index in range(args.pairs):
        harness_first = index % 2 == 1
        order = [("mmbench", harness), ("minimal", minimal)]
        if not harness_first:
            order.reverse()
        times, outputs = {}, {}
        for name, command in order:
            times[name], outputs[name] = timed_process(command, env)
        ratios.append(times["mmbench"] / times["minimal"])
        print(f"pair {index + 1} ({order[0][0]} first): minimal loop {times['minimal']:.2f} s, mmbench run {times['mmbench']:.2f} s, "
              f"ratio {ratios[-1]:.3f}; load average {os.getloadavg()[0]:.1f}")
    minimal_recall = json.loads(outputs["minimal"].strip().splitlines()[-1])
    harness_recall = _harness_metrics(outputs["mmbench"])
    print("  minimal: " + "  ".join(f"{k}={v:.4f}" for k, v in sorted(minimal_recall.items())))
    print("  mmbench: " + "  ".join(f"{k}={harness_recall.get(k, float('nan')):.4f}" for k in sorted(minimal_recall)))
    print(f"median ratio mmbench / minimal loop over {len(ratios)} alternating pairs: {statistics.median(ratios):.3f}")
    if len(ratios) >= 2:
        print(verdict_line(verdict(ratios, TARGET), "CPU overhead, mmbench / minimal loop"))


def _harness_metrics(stdout: str) -> dict[str, float]:
    """The metrics of ``mmbench run --json`` (a list with one result)."""
    results = json.loads(stdout[stdout.index("["):])
    return {k: float(v) for k, v in results[0]["metrics"].items()}


if __name__ == "__main__":
    main()

"""Built-in models vs transformers on CPU, side by side: same weights, same inputs.

Each section (``bench_clip``, ...) builds both implementations from one random checkpoint of a
real size, then times each operation with warm-up and several repetitions, alternating the two
implementations so that machine load hits both alike, and reports medians. Ratio =
built-in time / transformers time (below 1: the built-in is faster).

    python benchmarks/builtin_vs_transformers.py                 # every section
    python benchmarks/builtin_vs_transformers.py --sections clip --reps 7 --threads 2

New sections register with ``@section("name")`` and return a list of :class:`Row`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from transformers import CLIPConfig

    from mmbench.models.builtin.clip.model import ClipConfig


@dataclass(frozen=True)
class Row:
    model: str
    operation: str
    builtin_ms: float
    transformers_ms: float
    max_abs_diff: float

    @property
    def ratio(self) -> float:
        return self.builtin_ms / self.transformers_ms


SectionFn = Callable[[argparse.Namespace], list[Row]]
SECTIONS: dict[str, SectionFn] = {}


def section(name: str) -> Callable[[SectionFn], SectionFn]:
    def register(fn: SectionFn) -> SectionFn:
        SECTIONS[name] = fn
        return fn

    return register


def time_pair(builtin: Callable[[], torch.Tensor], reference: Callable[[], torch.Tensor], *, warmup: int, reps: int) -> tuple[float, float, float]:
    """Median ms of each callable (alternating, after ``warmup`` calls each) and the max |difference| of their outputs."""
    with torch.inference_mode():
        for _ in range(warmup):
            ours, theirs = builtin(), reference()
        diff = float((ours.float() - theirs.float()).abs().max())
        times: tuple[list[float], list[float]] = ([], [])
        for rep in range(reps):
            order = (0, 1) if rep % 2 == 0 else (1, 0)
            for which in order:
                fn = builtin if which == 0 else reference
                start = time.perf_counter()
                fn()
                times[which].append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1]), diff


# ---- CLIP ----------------------------------------------------------------------------------------


@section("clip")
def bench_clip(args: argparse.Namespace) -> list[Row]:
    """ViT-B/32 sized CLIP (random weights): image tower, text tower, full logits."""
    from transformers import CLIPModel

    from mmbench.models.builtin.clip.model import PRESETS, ClipConfig, ClipModel

    preset = args.clip_preset
    hf_config = _hf_clip_config(PRESETS[preset])
    torch.manual_seed(0)
    reference = CLIPModel(hf_config).eval()
    builtin = ClipModel.from_state_dict(ClipConfig.from_hf_dict(hf_config.to_dict()), reference.state_dict())

    side = PRESETS[preset].vision.image_size
    pixels = torch.randn(args.clip_images, 3, side, side)
    input_ids, mask = _clip_text_batch(args.clip_texts)

    def hf_image() -> torch.Tensor:
        return reference.get_image_features(pixel_values=pixels).pooler_output

    def hf_text() -> torch.Tensor:
        return reference.get_text_features(input_ids=input_ids, attention_mask=mask).pooler_output

    def hf_logits() -> torch.Tensor:
        return reference(input_ids=input_ids, pixel_values=pixels, attention_mask=mask).logits_per_image

    cases = [
        (f"encode {args.clip_images} images", lambda: builtin.encode_image(pixels), hf_image),
        (f"encode {args.clip_texts} texts ({input_ids.shape[1]} tok)", lambda: builtin.encode_text(input_ids), hf_text),
        ("forward (logits)", lambda: builtin(pixels, input_ids), hf_logits),
    ]
    rows = []
    for operation, ours, theirs in cases:
        ours_ms, theirs_ms, diff = time_pair(ours, theirs, warmup=args.warmup, reps=args.reps)
        rows.append(Row(f"CLIP {preset}", operation, ours_ms, theirs_ms, diff))
    return rows


def _clip_text_batch(count: int, shortest: int = 6, longest: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids (count, longest) as a tokenizer pads a batch: start, words, end-of-text, padding
    (CLIP pads with end-of-text) to the batch's longest text; lengths spread evenly."""
    generator = torch.Generator().manual_seed(0)
    lengths = torch.linspace(shortest, longest, count).long()  # tokens per text, start and end included
    ids = torch.randint(0, 49406, (count, longest), generator=generator)
    positions = torch.arange(longest)
    ids[:, 0] = 49406
    ids[positions >= (lengths[:, None] - 1)] = 49407  # end-of-text, then padding
    mask = (positions < lengths[:, None]).long()
    return ids, mask


def _hf_clip_config(config: ClipConfig) -> CLIPConfig:
    """transformers' CLIPConfig with the sizes of a built-in preset."""
    from dataclasses import asdict

    from transformers import CLIPConfig

    values = asdict(config)
    return CLIPConfig(text_config=values["text"], vision_config=values["vision"], projection_dim=values["projection_dim"])


# ---- main ----------------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    header = f"{'model':<22} {'operation':<34} {'built-in ms':>12} {'transformers ms':>16} {'ratio':>7} {'max|diff|':>10}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.model:<22} {r.operation:<34} {r.builtin_ms:>12.1f} {r.transformers_ms:>16.1f} {r.ratio:>7.2f} {r.max_abs_diff:>10.1e}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, from: {', '.join(SECTIONS)}")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--clip-preset", default="ViT-B/32")
    parser.add_argument("--clip-images", type=int, default=8)
    parser.add_argument("--clip-texts", type=int, default=32)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows: list[Row] = []
    for name in args.sections.split(","):
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}; known: {', '.join(SECTIONS)}")
        rows.extend(SECTIONS[name](args))
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.reps} after {args.warmup} warm-up; ratio = built-in / transformers")
    print_table(rows)


if __name__ == "__main__":
    main()

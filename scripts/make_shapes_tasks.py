"""Regenerate tasks/shapes_*.yaml from mmbench.data.shapes.SHAPES_TASK_DATA.

Run after changing the synthetic suite (and bump the version of each task whose files change):
    python3 scripts/make_shapes_tasks.py
tests/test_task_spec.py checks that the committed files match SHAPES_TASK_DATA.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from mmbench.data.shapes import SHAPES_TASK_DATA

CAPTION_PROMPT = {"instruction": "Provide a one-sentence caption for the provided image.", "plain": ""}
VQA_PROMPT = {"instruction": "{question}\nAnswer the question using a single word or phrase.", "plain": "{question}"}
KINDS: dict[str, dict[str, Any]] = {
    "caption": {"type": "captioning", "prompt": CAPTION_PROMPT, "generation": {"max_new_tokens": 20}, "batch_size": 32,
                "description": "Synthetic shapes captioning ({n} images): BLEU, METEOR, ROUGE-L, CIDEr"},
    "retrieval": {"type": "retrieval", "metrics": {"ks": [1, 5, 10]}, "batch_size": 64,
                  "description": "Synthetic shapes retrieval ({n} images x 5 captions): recall@1/5/10 both ways"},
    "vqa": {"type": "vqa", "prompt": VQA_PROMPT, "generation": {"max_new_tokens": 5}, "batch_size": 64,
            "description": "Synthetic shapes VQA ({n} questions, 10 answers each): VQA accuracy"},
    "zeroshot": {"type": "zeroshot", "batch_size": 64,
                 "description": "Synthetic shapes zero-shot classification ({n} images of large shapes, 30 colour-kind "
                                "classes, unbalanced): top-1, top-5, mean per-class recall"},
}
#: task versions: bump the entry of a task whose data or definition changes.
VERSIONS = {"caption": 1, "retrieval": 1, "vqa": 1, "zeroshot": 2}  # zeroshot 2: 30 colour-kind classes
HEADER = "# Bundled synthetic suite (generated on first use, verified by checksum): see mmbench/data/shapes.py.\n"


def task_document(name: str, data: dict[str, Any]) -> dict[str, Any]:
    kind, version = KINDS[name.split("_")[1]], VERSIONS[name.split("_")[1]]
    description = kind["description"].format(n=data["expected_count"])
    if name.endswith("_heldout"):
        description += "; attribute combinations never seen in training"
    doc: dict[str, Any] = {"name": name, "type": kind["type"], "version": version, "description": description, "data": data}
    for key in ("prompt", "generation", "metrics", "batch_size"):
        if key in kind:
            doc[key] = kind[key]
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "tasks")
    args = parser.parse_args()
    for name, data in SHAPES_TASK_DATA.items():
        text = yaml.safe_dump(task_document(name, data), sort_keys=False, allow_unicode=True, width=120)
        (args.out / f"{name}.yaml").write_text(HEADER + text)
        print(f"wrote {args.out / f'{name}.yaml'}")


if __name__ == "__main__":
    main()

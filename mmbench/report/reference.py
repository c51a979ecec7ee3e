"""Published numbers (docs/protocols.md "Published numbers", with sources) as data, for "reported" rows.

These were not measured by mmbench. The leaderboard shows them in their own table, marked
"reported", and never mixes them with measured rows, the scatter plot or the Pareto front.
Values use the results-file scale: papers' percentages / 100; CIDEr 133.5 -> 1.335.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportedResult:
    """One published result: ``metrics`` on the 0-1 scale (CIDEr native)."""

    model: str
    task: str  # mmbench task name when the protocol matches one, else a descriptive name
    task_type: str
    benchmark: str  # human-readable benchmark and split
    metrics: dict[str, float] = field(default_factory=dict)
    source: str = ""


REPORTED: tuple[ReportedResult, ...] = (
    ReportedResult("CLIP ViT-B/32 (OpenAI)", "imagenet_zeroshot", "zeroshot", "ImageNet val, zero-shot",
                   {"top1": 0.6333, "top5": 0.8878}, "CLIP_benchmark results table"),
    ReportedResult("CLIP ViT-L/14 (OpenAI)", "imagenet_zeroshot", "zeroshot", "ImageNet val, zero-shot",
                   {"top1": 0.7549, "top5": 0.9460}, "CLIP_benchmark results table"),
    ReportedResult("CLIP ViT-B/32 (OpenAI)", "flickr30k_retrieval", "retrieval", "Flickr30K Karpathy test",
                   {"i2t_R@1": 0.7890, "i2t_R@5": 0.9490, "i2t_R@10": 0.9820,
                    "t2i_R@1": 0.5878, "t2i_R@5": 0.8356, "t2i_R@10": 0.9002}, "open_clip retrieval results"),
    ReportedResult("CLIP ViT-L/14 (OpenAI)", "flickr30k_retrieval", "retrieval", "Flickr30K Karpathy test",
                   {"i2t_R@1": 0.8520, "t2i_R@1": 0.6496}, "open_clip retrieval results"),
    ReportedResult("BLIP (LAVIS)", "coco_caption_karpathy", "captioning", "COCO Karpathy test",
                   {"Bleu_4": 0.399, "CIDEr": 1.335, "SPICE": 0.237}, "LAVIS benchmark docs"),
    ReportedResult("BLIP (LAVIS)", "vqav2_testdev", "vqa", "VQAv2 test-dev (EvalAI server)",
                   {"accuracy": 0.7823}, "LAVIS benchmark docs"),
    ReportedResult("LLaVA-1.5-7B", "vqav2_testdev", "vqa", "VQAv2 test-dev (EvalAI server)",
                   {"accuracy": 0.785}, "LLaVA model zoo"),
    ReportedResult("LLaVA-1.5-13B", "vqav2_testdev", "vqa", "VQAv2 test-dev (EvalAI server)",
                   {"accuracy": 0.800}, "LLaVA model zoo"),
)

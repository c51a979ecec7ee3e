"""Published numbers (docs/protocols.md "Published numbers" and docs/reported.md, with sources) as data, for "reported" rows.

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


CLIP_BENCHMARK_CSV = "CLIP_benchmark benchmark/benchmark.csv"
LAVIS_DOCS = "LAVIS benchmark docs"
LLAVA_ZOO = "LLaVA model zoo (docs/MODEL_ZOO.md)"
QWEN_VL_README = ("Qwen-VL README.md, table 'Zero-shot Captioning & General VQA' (splits: eval_mm/EVALUATION.md, "
                  "eval_mm/evaluate_caption.py, eval_mm/evaluate_vqa.py)")
QWEN2_VL_README = "Qwen2-VL README.md (QwenLM/Qwen2-VL at commit 00b393f), table 'Image Benchmarks', column Qwen2-VL-7B"
OPEN_CLIP_RETRIEVAL = "open_clip docs/openclip_retrieval_results.csv"
QWEN25_VL_README = "QwenLM/Qwen2.5-VL README.md (commit 3b32d7e), Performance table, column Qwen2.5-VL-7B"
MATHVISTA_README = "MathVista README.md (lupantech/MathVista at 53d5258), 'Leaderboard on the testmini subset', column ALL"
LLAVA_ZOO_19D = "LLaVA model zoo (haotian-liu/LLaVA docs/MODEL_ZOO.md at commit 19d8945)"
VLMEVALKIT_RESULTS = "VLMEvalKit results/{file} (open-compass/VLMEvalKit at commit {commit})"
INTERNVL_CHAT_README = ("OpenGVLab/InternVL internvl_chat/README.md (commit 3a0f8a8), section 'Evaluation', "
                        "tables 'OCR-related Benchmarks', 'MultiModal Benchmark', 'Visual Question Answering & Image Captioning'")
XTUNER_LLAVA_LLAMA3_README = ("InternLM/xtuner xtuner/configs/llava/llama3_8b_instruct_clip_vit_large_p14_336/README.md "
                              "(commit 322f3bc), 'Results' table, row LLaVA-v1.5-7B (XTuner's table)")
OCRBENCH_LEADERBOARD = ("OCRBench's leaderboard (huggingface.co/spaces/echo840/ocrbench-leaderboard, linked from "
                        "Yuliang-Liu/MultimodalOCR OCRBench/README.md): OCRBench.csv as added in commit 4936caa, row "
                        "LLaVA1.5-7B; TextRecognition.csv at commit e7d183c, same row")
#: OCRBench leaderboard, row LLaVA1.5-7B: the six text-recognition types (TextRecognition.csv, each of 50
#: questions) and the other four (OCRBench.csv, of 200, 200, 200 and 100), as counts; the sum is the
#: CSV's "Final Score" 297 of 1000 (OCRBench/example.py prints these totals).
OCRBENCH_LLAVA15_7B_COUNTS = {
    "regular_text_recognition": (43, 50), "irregular_text_recognition": (40, 50), "artistic_text_recognition": (41, 50),
    "handwriting_recognition": (26, 50), "digit_string_recognition": (5, 50), "non_semantic_text_recognition": (5, 50),
    "scene_text_centric_vqa": (117, 200), "doc_oriented_vqa": (15, 200), "key_information_extraction": (5, 200),
    "handwritten_mathematical_expression_recognition": (0, 100),
}
OPEN_CLIP_CORE = ("mean of the open_clip rows of the nine members: docs/openclip_classification_results.csv (top-1) "
                  "and docs/openclip_retrieval_results.csv (mean of image and text retrieval R@1)")

#: ``clip_benchmark_core``'s members' main metrics from open_clip's result tables (docs/reported.md):
#: top-1 of ImageNet, V2, Sketch, R, A, CIFAR-10, CIFAR-100, then (text retr. R@1, image retr. R@1)
#: of Flickr30K and of COCO 5k, whose mean is the retrieval tasks' main metric, mean_R@1.
OPEN_CLIP_CORE_MEMBERS = {
    "CLIP ViT-B/32 (OpenAI)": ((0.6332, 0.5592, 0.4229, 0.6933, 0.3155, 0.8983, 0.6423), ((0.7890, 0.5878), (0.5012, 0.3044))),
    "CLIP ViT-L/14 (OpenAI)": ((0.7554, 0.6983, 0.5959, 0.8784, 0.7075, 0.9559, 0.7582), ((0.8520, 0.6496), (0.5634, 0.3651))),
}


def _core_mean(top1s: tuple[float, ...], recalls: tuple[tuple[float, float], ...]) -> float:
    """The group's mean over its members: each classification top-1 and each retrieval mean R@1."""
    mains = [*top1s, *((i2t + t2i) / 2 for i2t, t2i in recalls)]
    return round(sum(mains) / len(mains), 4)

ZEROSHOT_SUITES = (("imagenet_v2_zeroshot", "ImageNet-V2 matched-frequency, zero-shot"),
                   ("imagenet_sketch_zeroshot", "ImageNet-Sketch, zero-shot"),
                   ("imagenet_r_zeroshot", "ImageNet-R (200 classes), zero-shot"),
                   ("imagenet_a_zeroshot", "ImageNet-A (200 classes), zero-shot"),
                   ("cifar10_zeroshot", "CIFAR-10 test, zero-shot"),
                   ("cifar100_zeroshot", "CIFAR-100 test, zero-shot"))

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
    # ---- the suites beyond the first four (sources and splits: docs/reported.md) ----
    *(ReportedResult(model, task, "zeroshot", benchmark, {"top1": top1, "top5": top5}, CLIP_BENCHMARK_CSV)
      for model, rows in (
          ("CLIP ViT-B/32 (OpenAI)", ((0.5596, 0.8341), (0.4230, 0.7031), (0.6932, 0.8887), (0.3137, 0.6411),
                                      (0.8982, 0.9963), (0.6453, 0.8880))),
          ("CLIP ViT-L/14 (OpenAI)", ((0.6968, 0.9081), (0.5962, 0.8440), (0.8787, 0.9709), (0.7068, 0.9063),
                                      (0.9569, 0.9963), (0.7613, 0.9289))))
      for (task, benchmark), (top1, top5) in zip(ZEROSHOT_SUITES, rows)),
    ReportedResult("CLIP ViT-B/32 (OpenAI)", "coco5k_retrieval", "retrieval", "COCO Karpathy 5k test, zero-shot",
                   {"i2t_R@5": 0.7482, "t2i_R@5": 0.5585}, CLIP_BENCHMARK_CSV),
    ReportedResult("CLIP ViT-L/14 (OpenAI)", "coco5k_retrieval", "retrieval", "COCO Karpathy 5k test, zero-shot",
                   {"i2t_R@5": 0.7918, "t2i_R@5": 0.6108}, CLIP_BENCHMARK_CSV),
    ReportedResult("CLIP ViT-B/32 (OpenAI)", "imagenet_shifts", "group", "ImageNet, V2, Sketch, R, A: mean top-1",
                   {"mean": 0.5246}, "mean of the CLIP_benchmark rows (benchmark/benchmark.csv) of the five members"),
    ReportedResult("CLIP ViT-L/14 (OpenAI)", "imagenet_shifts", "group", "ImageNet, V2, Sketch, R, A: mean top-1",
                   {"mean": 0.7267}, "mean of the CLIP_benchmark rows (benchmark/benchmark.csv) of the five members"),
    ReportedResult("CLIP ViT-B/32 (OpenAI)", "coco5k_retrieval", "retrieval", "COCO Karpathy 5k test, zero-shot",
                   {"i2t_R@1": 0.5012, "i2t_R@5": 0.7500, "i2t_R@10": 0.8352,
                    "t2i_R@1": 0.3044, "t2i_R@5": 0.5594, "t2i_R@10": 0.6687}, OPEN_CLIP_RETRIEVAL),
    ReportedResult("CLIP ViT-L/14 (OpenAI)", "coco5k_retrieval", "retrieval", "COCO Karpathy 5k test, zero-shot",
                   {"i2t_R@1": 0.5634, "i2t_R@5": 0.7938, "i2t_R@10": 0.8660,
                    "t2i_R@1": 0.3651, "t2i_R@5": 0.6106, "t2i_R@10": 0.7113}, OPEN_CLIP_RETRIEVAL),
    *(ReportedResult(model, "clip_benchmark_core", "group",
                     "ImageNet, V2, Sketch, R, A, CIFAR-10/100 top-1, Flickr30K and COCO 5k mean R@1: mean",
                     {"mean": _core_mean(top1s, recalls)}, OPEN_CLIP_CORE)
      for model, (top1s, recalls) in OPEN_CLIP_CORE_MEMBERS.items()),
    ReportedResult("BLIP (LAVIS)", "coco5k_retrieval", "retrieval", "COCO Karpathy 5k test, fine-tuned, ITM re-ranking",
                   {"i2t_R@1": 0.820, "i2t_R@5": 0.958, "i2t_R@10": 0.981,
                    "t2i_R@1": 0.645, "t2i_R@5": 0.860, "t2i_R@10": 0.917}, LAVIS_DOCS),
    ReportedResult("BLIP (LAVIS)", "nocaps_val", "captioning", "NoCaps val, overall (COCO-finetuned captioner)",
                   {"Bleu_4": 0.319, "CIDEr": 1.091, "SPICE": 0.147}, LAVIS_DOCS),
    ReportedResult("BLIP (LAVIS)", "okvqa_val", "vqa", "OK-VQA val2014 (the paper's test split), fine-tuned",
                   {"accuracy": 0.554}, LAVIS_DOCS),
    ReportedResult("LLaVA-1.5-7B", "textvqa_val", "vqa", "TextVQA val, with OCR tokens in the prompt",
                   {"accuracy": 0.582}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.5-13B", "textvqa_val", "vqa", "TextVQA val, with OCR tokens in the prompt",
                   {"accuracy": 0.613}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.5-7B", "gqa_testdev_balanced", "vqa", "GQA test-dev balanced",
                   {"accuracy": 0.620}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.5-13B", "gqa_testdev_balanced", "vqa", "GQA test-dev balanced",
                   {"accuracy": 0.633}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.5-7B", "vizwiz_vqa_testdev", "vqa", "VizWiz-VQA test-dev (EvalAI server; not the val split)",
                   {"accuracy": 0.500}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.5-13B", "vizwiz_vqa_testdev", "vqa", "VizWiz-VQA test-dev (EvalAI server; not the val split)",
                   {"accuracy": 0.536}, LLAVA_ZOO),
    ReportedResult("Qwen-VL (Qwen-7B)", "flickr30k_caption_karpathy", "captioning",
                   "Flickr30K Karpathy test, zero-shot (CIDEr: the column's metric is not named, see docs/reported.md)",
                   {"CIDEr": 0.858}, QWEN_VL_README),
    ReportedResult("Qwen-VL-Chat", "flickr30k_caption_karpathy", "captioning",
                   "Flickr30K Karpathy test, zero-shot (CIDEr: the column's metric is not named, see docs/reported.md)",
                   {"CIDEr": 0.810}, QWEN_VL_README),
    ReportedResult("Qwen-VL (Qwen-7B)", "vizwiz_vqa_val", "vqa", "VizWiz-VQA val, zero-shot, VQA accuracy",
                   {"accuracy": 0.352}, QWEN_VL_README),
    ReportedResult("Qwen-VL-Chat", "vizwiz_vqa_val", "vqa", "VizWiz-VQA val, zero-shot, VQA accuracy",
                   {"accuracy": 0.389}, QWEN_VL_README),
    ReportedResult("LLaVA-1.5-7B", "pope", "group",
                   "POPE on COCO: the zoo's single POPE column, read as the mean F1 of random / popular / adversarial "
                   "(the table does not name the aggregate, see docs/reported.md)",
                   {"mean": 0.859}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.5-7B", "mme", "mme", "MME perception score (max 2000; the zoo prints perception only)",
                   {"perception": 1510.7}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.6 (Vicuna-7B)", "mme", "mme", "MME perception / cognition (the zoo's '1519/332')",
                   {"perception": 1519.0, "cognition": 332.0}, LLAVA_ZOO),
    ReportedResult("Qwen2-VL-7B-Instruct", "chartqa_test", "chartqa", "ChartQA test (human + augmented), relaxed accuracy",
                   {"relaxed_accuracy": 0.830}, QWEN2_VL_README),
    ReportedResult("Qwen2-VL-7B-Instruct", "ocrbench", "ocrbench", "OCRBench, 845 of 1000",
                   {"accuracy": 0.845}, QWEN2_VL_README),
    # ---- multiple choice (docs/reported.md, docs/protocols.md "Multiple choice") ----
    ReportedResult("LLaVA-1.5-7B", "mmbench_en_dev", "multiple_choice",
                   "MMBench-EN dev, CircularEval (LLaVA's evaluation reads mmbench_dev_20230712.tsv)",
                   {"accuracy_circular": 0.643}, LLAVA_ZOO),
    ReportedResult("LLaVA-1.5-7B", "scienceqa_img", "multiple_choice", "ScienceQA test, IMG subset",
                   {"accuracy": 0.668}, LLAVA_ZOO),
    ReportedResult("Qwen2.5-VL-7B", "mmmu_val", "multiple_choice", "MMMU (the table does not name the split)",
                   {"accuracy": 0.586}, QWEN25_VL_README),
    ReportedResult("Qwen2.5-VL-7B", "mmstar", "multiple_choice", "MMStar (1,500 questions)",
                   {"accuracy": 0.639}, QWEN25_VL_README),
    # ---- judged (docs/reported.md "MathVista") ----
    ReportedResult("LLaVA-1.5-13B", "mathvista_testmini", "mathvista", "MathVista testmini (1,000 problems)",
                   {"accuracy": 0.276}, MATHVISTA_README),
    ReportedResult("InternVL2-Pro", "mathvista_testmini", "mathvista", "MathVista testmini (1,000 problems)",
                   {"accuracy": 0.668}, MATHVISTA_README),
    # ---- filled in later (docs/reported.md "Multiple choice: further rows") ----
    ReportedResult("LLaVA-1.5-7B", "seedbench_img", "multiple_choice",
                   "SEED-Bench image questions, VLMEvalKit SEEDBench_IMG, ExactMatchAcc (exact matching, no ChatGPT "
                   "extraction; ExactMatchRate 100)",
                   {"accuracy": 0.6559}, VLMEVALKIT_RESULTS.format(file="SEEDBench_IMG.md", commit="fef2454")),
    ReportedResult("LLaVA-1.5-7B", "ai2d_test", "multiple_choice",
                   "AI2D, VLMEvalKit 'overall' (GPT-3.5-Turbo-0613 choice extractor where heuristic matching fails; "
                   "the file does not name the split)",
                   {"accuracy": 0.541}, VLMEVALKIT_RESULTS.format(file="AI2D.md", commit="de438e0")),
    ReportedResult("LLaVA-1.5-7B", "mmmu_val", "multiple_choice",
                   "MMMU validation, VLMEvalKit 'Overall (Val)' (open questions recast as two options, GPT-3.5 "
                   "matching, multi-image questions skipped as wrong for models without interleaved input)",
                   {"accuracy": 0.361}, VLMEVALKIT_RESULTS.format(file="MMMU.md", commit="808a01d")),
    ReportedResult("Qwen2-VL-7B-Instruct", "mmmu_val", "multiple_choice", "MMMU validation (the row reads MMMU_val)",
                   {"accuracy": 0.541}, QWEN2_VL_README),
    ReportedResult("Qwen2-VL-7B-Instruct", "mmstar", "multiple_choice", "MMStar",
                   {"accuracy": 0.607}, QWEN2_VL_README),
    ReportedResult("Qwen2-VL-7B-Instruct", "realworldqa", "multiple_choice", "RealWorldQA (765 questions)",
                   {"accuracy": 0.701}, QWEN2_VL_README),
    ReportedResult("LLaVA-1.6 (Vicuna-7B)", "seedbench_img", "multiple_choice", "SEED-Bench image questions (SEED-IMG)",
                   {"accuracy": 0.702}, LLAVA_ZOO_19D),
    ReportedResult("LLaVA-1.6 (Vicuna-7B)", "mmbench_en_dev", "multiple_choice",
                   "MMBench-EN, the zoo's MM-Bench column (the table does not name the split; LLaVA's evaluation "
                   "reads mmbench_dev_20230712.tsv)",
                   {"accuracy_circular": 0.674}, LLAVA_ZOO_19D),
    ReportedResult("LLaVA-1.6 (Vicuna-7B)", "scienceqa_img", "multiple_choice", "ScienceQA test, IMG subset (the zoo's SQA)",
                   {"accuracy": 0.701}, LLAVA_ZOO_19D),
    # ---- a current model on the tasks Qwen's READMEs do not cover (docs/reported.md, InternVL rows) ----
    ReportedResult("InternVL-Chat-V1-5", "docvqa_val", "document_qa",
                   "DocVQA val, ANLS (the column reads 'DocVQA (val/test)': 90.5 / 90.8)",
                   {"anls": 0.905}, INTERNVL_CHAT_README),
    ReportedResult("InternVL-Chat-V1-5", "infovqa_val", "document_qa",
                   "InfographicVQA val, ANLS (the column reads 'InfoVQA (val/test)': 72.4 / 72.5)",
                   {"anls": 0.724}, INTERNVL_CHAT_README),
    ReportedResult("InternVL-Chat-V1-5", "ai2d_test", "multiple_choice",
                   "AI2D test (the column reads AI2D; the README's evaluation section is 'AI2D test')",
                   {"accuracy": 0.807}, INTERNVL_CHAT_README),
    ReportedResult("InternVL-Chat-V1-5", "seedbench_img", "multiple_choice", "SEED-Bench-1 image questions ('SEEDv1 (image)')",
                   {"accuracy": 0.760}, INTERNVL_CHAT_README),
    ReportedResult("InternVL-Chat-V1-5", "scienceqa_img", "multiple_choice", "ScienceQA test, IMG subset ('SQA (image)')",
                   {"accuracy": 0.940}, INTERNVL_CHAT_README),
    ReportedResult("InternVL-Chat-V1-5", "mme", "mme",
                   "MME '1637.8 / 550.0', read as perception / cognition (the column reads only MME, see docs/reported.md)",
                   {"perception": 1637.8, "cognition": 550.0}, INTERNVL_CHAT_README),
    ReportedResult("InternVL-Chat-V1-5", "pope", "group",
                   "POPE on COCO: the single POPE column, read as the mean F1 of random / popular / adversarial "
                   "(the table does not name the aggregate, see docs/reported.md)",
                   {"mean": 0.883}, INTERNVL_CHAT_README),
    ReportedResult("InternVL-Chat-V1-2", "mmbench_en_dev", "multiple_choice",
                   "MMBench-EN dev ('MMB (dev/test)': 81.4 / 82.2; mmbench_dev_20230712.tsv, scored by the MMBench server)",
                   {"accuracy_circular": 0.814}, INTERNVL_CHAT_README),
    ReportedResult("LLaVA-1.5-7B", "ocrbench", "ocrbench",
                   "OCRBench, Final Score 297 of 1000 (OCRBench's own evaluation; per type from the leaderboard's counts)",
                   {"accuracy": sum(n for n, _ in OCRBENCH_LLAVA15_7B_COUNTS.values()) / 1000,
                    **{f"accuracy_{kind}": n / total for kind, (n, total) in OCRBENCH_LLAVA15_7B_COUNTS.items()}},
                   OCRBENCH_LEADERBOARD),
    ReportedResult("LLaVA-1.5-7B", "mmstar", "multiple_choice",
                   "MMStar (1,500 questions), from XTuner's comparison table (column MMStar; XTuner's LLaVA models "
                   "are evaluated with VLMEvalKit, the row's protocol is not named)",
                   {"accuracy": 0.303}, XTUNER_LLAVA_LLAMA3_README),
)

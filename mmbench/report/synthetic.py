"""Synthetic result files (all four task types) for tests, demos and trying the reports.

Samples are paired across runs: sample ``i`` has a fixed difficulty ``u_i`` drawn from
``data_seed``, and a run of quality ``q`` gets it right when ``u_i < q``; so a run with lower
``quality`` is a degraded copy of a better one on the same data (what ``compare`` should flag).
Metrics in the result equal the means of the per-sample records, as the real runner writes them.
"""

from __future__ import annotations

import random
from typing import Any

from mmbench.results import RunResult

VQA_ANSWER_TYPES = ("yes/no", "number", "other")
VQA_TYPE_METRIC = {"yes/no": "accuracy_yes_no", "number": "accuracy_number", "other": "accuracy_other"}


def _difficulties(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() for _ in range(n)]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _zeroshot(n: int, q: float, seed: int) -> tuple[dict[str, float], list[dict[str, Any]]]:
    u = _difficulties(n, seed)
    records: list[dict[str, Any]] = [{"id": f"img{i}", "label": i % 10, "prediction": i % 10 if u[i] < q else (i + 1) % 10,
                "metrics": {"top1": int(u[i] < q), "top5": int(u[i] < min(1.0, q + 0.2))}} for i in range(n)]
    metrics = {m: _mean([r["metrics"][m] for r in records]) for m in ("top1", "top5")}
    by_class: dict[int, list[int]] = {}
    for r in records:
        by_class.setdefault(r["label"], []).append(r["metrics"]["top1"])
    metrics["mean_per_class_recall"] = _mean([_mean(hits) for hits in by_class.values()])
    return metrics, records


def _vqa(n: int, q: float, seed: int) -> tuple[dict[str, float], list[dict[str, Any]]]:
    u = _difficulties(n, seed)
    levels = (0.0, 0.3, 0.6, 0.9, 1.0)
    records: list[dict[str, Any]] = []
    for i in range(n):
        score = 1.0 if u[i] < q else levels[int(u[i] * 10) % 4]
        answer_type = VQA_ANSWER_TYPES[i % 3]
        records.append({"id": i, "question": f"question {i}?", "prediction": "yes" if score == 1.0 else "no",
                        "answers": ["yes"] * 10, "answer_type": answer_type, "question_type": "is the",
                        "metrics": {"accuracy": score}})
    metrics = {"accuracy": _mean([r["metrics"]["accuracy"] for r in records])}
    for answer_type, name in VQA_TYPE_METRIC.items():
        metrics[name] = _mean([r["metrics"]["accuracy"] for r in records if r["answer_type"] == answer_type])
    return metrics, records


def _retrieval(n: int, q: float, seed: int) -> tuple[dict[str, float], list[dict[str, Any]]]:
    u_img, u_txt = _difficulties(n, seed), _difficulties(5 * n, seed + 1)
    ks = (1, 5, 10)
    records: list[dict[str, Any]] = []
    for i in range(n):
        records.append({"id": i, "kind": "image", "metrics": {f"i2t_R@{k}": int(u_img[i] < min(1.0, q * (1 + 0.1 * k))) for k in ks}})
    for j in range(5 * n):
        records.append({"id": j, "kind": "text", "image": j // 5,
                        "metrics": {f"t2i_R@{k}": int(u_txt[j] < min(1.0, 0.8 * q * (1 + 0.1 * k))) for k in ks}})
    metrics = {}
    for prefix, kind in (("i2t", "image"), ("t2i", "text")):
        for k in ks:
            name = f"{prefix}_R@{k}"
            metrics[name] = _mean([r["metrics"][name] for r in records if r["kind"] == kind])
    return metrics, records


def _captioning(n: int, q: float, seed: int) -> tuple[dict[str, float], list[dict[str, Any]]]:
    u = _difficulties(n, seed)
    records: list[dict[str, Any]] = [{"id": i, "prediction": f"a caption {i}", "references": [f"a reference {i}"] * 5,
                "metrics": {"Bleu_4": q * 0.3 * (1.5 - u[i]), "METEOR": q * 0.25, "ROUGE_L": q * 0.5 * (1.5 - u[i]),
                            "CIDEr": 2.0 * q * (1.5 - u[i]) if u[i] < q else 0.2 * q}} for i in range(n)]
    metrics = {m: _mean([r["metrics"][m] for r in records]) for m in ("ROUGE_L", "CIDEr")}
    metrics.update({"Bleu_1": q * 0.7, "Bleu_2": q * 0.5, "Bleu_3": q * 0.4, "Bleu_4": q * 0.3, "METEOR": q * 0.25})
    return metrics, records


BUILDERS = {"zeroshot": _zeroshot, "vqa": _vqa, "retrieval": _retrieval, "captioning": _captioning}
TASK_NAMES = {"zeroshot": "shapes_zeroshot", "vqa": "shapes_vqa", "retrieval": "shapes_retrieval",
              "captioning": "shapes_caption"}


def synthetic_result(task_type: str, model: str = "mock:good", quality: float = 0.7, *, n: int = 200,
                     data_seed: int = 0, items_per_s: float = 100.0, created_at: str = "2026-11-27T01:00:00Z",
                     task_version: str = "1", fingerprint: str = "sha256:feedbeef", task_name: str | None = None,
                     num_parameters: int = 1_000_000) -> RunResult:
    """A complete :class:`RunResult` with paired per-sample records (see module docstring)."""
    metrics, samples = BUILDERS[task_type](n, quality, data_seed)
    name = task_name or TASK_NAMES[task_type]
    batch = 8
    p50 = 1000.0 * batch / items_per_s
    return RunResult(
        task={"name": name, "type": task_type, "version": task_version, "arguments": {"split": "test"},
              "data_fingerprint": fingerprint, "num_samples": n},
        model={"spec": model, "adapter": model.split(":")[0], "fingerprint": f"fp-{model}", "num_parameters": num_parameters,
               "dtype": "float32", "device": "cpu", "capabilities": ["generate"]},
        metrics=metrics,
        timing={"wall_s": n / items_per_s, "items_per_s": items_per_s, "tokens_per_s": None,
                "latency_ms": {"p50": p50, "p90": p50 * 1.2, "p99": p50 * 1.5, "mean": p50 * 1.1},
                "batch_size": batch, "device": "cpu", "dtype": "float32", "peak_memory_mb": 123.0,
                "warmup_batches": 1, "batches_timed": n // batch},
        env={"mmbench": "0.1.0", "python": "3.11", "torch": "2.13.0", "transformers": "5.0", "cuda": None,
             "git_sha": "0" * 40, "platform": "Linux"},
        config={"batch_size": batch, "seed": 0}, samples=samples, created_at=created_at,
    )

"""Each ``hf:`` family runs its matching shapes task through ``mmbench run`` (in process, a few samples).

The LLaVA run's predictions are compared with direct transformers calls on the same images and
prompts (the chat template applied to the task's instruction prompt, one image at a time).
Captioning runs use a copy of shapes_caption that scores BLEU-4 and CIDEr only (no METEOR Java
start-up); the BLIP ITM run uses a copy of shapes_retrieval with ITM re-ranking of the top 4.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tiny_checkpoints
import torch
import yaml

from mmbench.cli import main
from mmbench.results import read_samples

LIMIT = 6
TASK_DIR = Path(__file__).resolve().parents[1] / "tasks"


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Any:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hf_cli")
    caption = yaml.safe_load((TASK_DIR / "shapes_caption.yaml").read_text())
    caption["metrics"] = {**(caption.get("metrics") or {}), "metrics": ["Bleu_4", "CIDEr"]}
    (root / "shapes_caption_fast.yaml").write_text(yaml.safe_dump(caption))
    retrieval = yaml.safe_load((TASK_DIR / "shapes_retrieval.yaml").read_text())
    retrieval["metrics"] = {**(retrieval.get("metrics") or {}), "rerank_k": 4}
    (root / "shapes_retrieval_itm.yaml").write_text(yaml.safe_dump(retrieval))
    return root


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    status = main(["run", "--limit", str(LIMIT), "--num-workers", "0", "--json", *args])
    out = capsys.readouterr().out
    assert status == 0, out
    results = json.loads(out)
    return dict(results[0] if isinstance(results, list) else results)


FAMILY_TASKS = [
    ("clip", "shapes_retrieval", "i2t_R@1"),
    ("siglip", "shapes_zeroshot", "top1"),
    ("blip_itm", "shapes_retrieval_itm.yaml", "t2i_R@5"),
    ("blip_caption", "shapes_caption_fast.yaml", "CIDEr"),
    ("blip_vqa", "shapes_vqa", "accuracy"),
    ("blip2", "shapes_vqa", "accuracy_yes_no"),
    ("llava_next", "shapes_caption_fast.yaml", "Bleu_4"),
]


@pytest.mark.parametrize("family, task, metric", FAMILY_TASKS)
def test_family_runs_its_shapes_task(family: str, task: str, metric: str, workdir: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = tiny_checkpoints.BUILDERS[family](workdir / family)
    task_arg = str(workdir / task) if task.endswith(".yaml") else task
    result = run_cli(capsys, "--model", f"hf:{checkpoint}", "--task", task_arg, "--output-dir", str(workdir / "results"))
    assert 0.0 <= result["metrics"][metric] <= 10.0
    assert result["model"]["fingerprint"].startswith("hf-")
    if family == "blip_itm":
        assert "ITM" in result["metric_notes"]["rerank"]  # match() was used, not only the embeddings


def test_llava_predictions_through_the_cli_equal_transformers(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    from mmbench.data import load_split, open_image
    from mmbench.tasks.spec import load_task_spec

    checkpoint = tiny_checkpoints.build_tiny_llava(workdir / "llava")
    result = run_cli(capsys, "--model", f"hf:{checkpoint}", "--task", "shapes_vqa", "--num-workers", "1",
                     "--output-dir", str(workdir / "results"))
    predictions = {r["id"]: r["prediction"] for r in read_samples(workdir / "results" / Path(result["samples_file"]).name.replace(".samples.jsonl", ".json"))}

    spec = load_task_spec("shapes_vqa")
    split = load_split(spec.data, None)
    model = LlavaForConditionalGeneration.from_pretrained(checkpoint).eval()
    processor = AutoProcessor.from_pretrained(checkpoint)
    for sample in split.samples[:LIMIT]:
        question = spec.prompt["instruction"].format(question=sample.meta["question"])
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
        inputs = processor(images=open_image(sample.image, split.root), text=processor.apply_chat_template(messages, add_generation_prompt=True),
                           return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=spec.generation["max_new_tokens"], do_sample=False)
        expected = processor.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()
        assert predictions[sample.id] == expected


# ---- tasks whose data is a Hugging Face dataset (format: hf) -----------------------------------------------
def _hf_datasets(root: Path) -> tuple[Path, Path]:
    """A Flickr30K-schema save_to_disk folder and a VQAv2-schema (lmms-lab) parquet folder, 4 rows each."""
    import datasets
    import numpy as np
    from PIL import Image

    pictures = [Image.fromarray((np.random.RandomState(i).rand(24, 32, 3) * 255).astype("uint8")) for i in range(4)]
    flickr = datasets.Dataset.from_dict(
        {"image": pictures, "caption": [[f"caption {i} {j}" for j in range(5)] for i in range(4)],
         "split": ["test", "test", "train", "test"], "img_id": ["0", "1", "2", "3"],
         "filename": [f"{i}.jpg" for i in range(4)]},
        features=datasets.Features({"image": datasets.Image(), "caption": datasets.List(datasets.Value("string")),
                                    "split": datasets.Value("string"), "img_id": datasets.Value("string"),
                                    "filename": datasets.Value("string")}))
    datasets.DatasetDict({"test": flickr}).save_to_disk(str(root / "flickr_hf"))
    vqa = datasets.Dataset.from_dict(
        {"question": ["Is it red?", "How many?", "What shape?", "Is it big?"], "question_id": [10, 11, 12, 13],
         "image_id": [1, 1, 2, 3], "question_type": ["is it", "how many", "what", "is it"],
         "answer_type": ["yes/no", "number", "other", "yes/no"],
         "answers": [[{"answer": a, "answer_id": k + 1} for k in range(10)] for a in ("yes", "2", "circle", "no")],
         "image": pictures},
        features=datasets.Features({"question": datasets.Value("string"), "question_id": datasets.Value("int64"),
                                    "image_id": datasets.Value("int64"), "question_type": datasets.Value("string"),
                                    "answer_type": datasets.Value("string"),
                                    "answers": datasets.List({"answer": datasets.Value("string"), "answer_id": datasets.Value("int64")}),
                                    "image": datasets.Image()}))
    (root / "vqa_hf" / "data").mkdir(parents=True)
    vqa.to_parquet(str(root / "vqa_hf" / "data" / "validation-00000-of-00001.parquet"))
    return root / "flickr_hf", root / "vqa_hf"


def test_tasks_on_hf_datasets_run_through_the_cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flickr, vqa = _hf_datasets(workdir)
    retrieval = {"name": "hf_flickr_tiny", "type": "retrieval", "version": 1,
                 "data": {"format": "hf", "path": str(flickr), "split": "test", "filter": {"column": "split", "value": "test"},
                          "columns": {"captions": "caption", "id": "filename"}},
                 "metrics": {"ks": [1, 5, 10]}}
    vqa_task = {"name": "hf_vqav2_tiny", "type": "vqa", "version": 1,
                "data": {"format": "hf", "path": str(vqa), "split": "validation"},
                "prompt": {"instruction": "{question}\nAnswer the question using a single word or phrase.", "plain": "{question}"},
                "generation": {"max_new_tokens": 3}}
    (workdir / "hf_flickr_tiny.yaml").write_text(yaml.safe_dump(retrieval))
    (workdir / "hf_vqav2_tiny.yaml").write_text(yaml.safe_dump(vqa_task))
    clip = tiny_checkpoints.build_tiny_clip(workdir / "clip_for_hf_data")
    result = run_cli(capsys, "--model", f"hf:{clip}", "--task", str(workdir / "hf_flickr_tiny.yaml"), "--num-workers", "1",
                     "--output-dir", str(workdir / "results"))
    assert result["task"]["num_samples"] == 3 and result["metrics"]["i2t_R@10"] == 1.0  # 3 images: all within the top 10
    blip = tiny_checkpoints.build_tiny_blip_vqa(workdir / "blip_vqa_for_hf_data")
    result = run_cli(capsys, "--model", f"hf:{blip}", "--task", str(workdir / "hf_vqav2_tiny.yaml"),
                     "--output-dir", str(workdir / "results"))
    assert result["task"]["num_samples"] == 4 and 0.0 <= result["metrics"]["accuracy"] <= 1.0

"""Multiple choice by likelihood (``--metric-arg mode=likelihood``): option log-probabilities on tiny
``hf:`` checkpoints equal a hand computation (the reference model's own forward over the prompt
tokens, as its processor builds them for one sample, followed by the continuation's tokens, and the
log-softmax of its logits), at batch 1 and in a mixed batch; the run records rule ``likelihood``
and the per-option log-probabilities; a model that cannot score text is refused before loading;
compare refuses to pair a likelihood run with a generation run.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny_chat_families
import tiny_checkpoints  # tests/ is on sys.path (rootdir conftest)
import torch
from mc_fixtures import write_mc_data, write_mc_hub
from PIL import Image
from test_hf_chat_families import reference_processor  # the checkpoint's processor without a video processor

from mmbench.cli import main
from mmbench.models.spec import load_model

BUILDERS = {"llava": (tiny_checkpoints.build_tiny_llava, "LlavaForConditionalGeneration"),
            "qwen2_vl": (tiny_chat_families.build_tiny_qwen2_vl, "Qwen2VLForConditionalGeneration")}


pytestmark = pytest.mark.usefixtures("single_torch_thread")  # tiny models: one torch thread (conftest)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_likelihood")
    return {name: build(root / name) for name, (build, _) in BUILDERS.items()}


def _image(seed: int, size: tuple[int, int]) -> Image.Image:
    rng = np.random.RandomState(seed)
    return Image.fromarray((rng.rand(size[1], size[0], 3) * 255).astype("uint8"))


QUESTIONS = [  # (image, prompt, continuations): different prompt lengths and option counts
    (_image(0, (32, 32)), "What colour?\nA. red\nB. blue\nAnswer with the option's letter from the given choices directly.",
     ["A", "B"]),
    (_image(1, (40, 28)), "How many shapes are there in the picture, counting every one?\nA. 1\nB. 2\nC. 3",
     ["A", "B", "C"]),
    (_image(2, (28, 36)), "Which?", ["a red circle", "two squares", "C", "none of them at all"]),
]


def hand_logprobs(model: Any, processor: Any, image: Image.Image, prompt: str, continuation: str) -> float:
    """The reference model at batch 1: the processor's tokens for the chat-template prompt, then the
    continuation's own tokens; the sum of log_softmax(logits)[next token] over the continuation."""
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True)
    inputs = processor(images=[image], text=[text], return_tensors="pt")
    target = processor.tokenizer(continuation, add_special_tokens=False)["input_ids"]
    ids = torch.cat([inputs["input_ids"], torch.tensor([target])], dim=1)
    extra = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
    if "mm_token_type_ids" in extra:
        extra["mm_token_type_ids"] = torch.cat([extra["mm_token_type_ids"], torch.zeros((1, len(target)), dtype=torch.long)], 1)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), **extra).logits[0]
    start = inputs["input_ids"].shape[1]
    total = 0.0
    for t, token in enumerate(target):
        total += float(torch.log_softmax(logits[start - 1 + t].double(), dim=-1)[token])
    return total


@pytest.mark.parametrize("name", list(BUILDERS))
def test_option_logprobs_equal_a_hand_computation_at_batch_1_and_mixed(checkpoints: dict[str, Path], name: str) -> None:
    import transformers

    adapter = load_model(f"hf:{checkpoints[name]}")
    reference = getattr(transformers, BUILDERS[name][1]).from_pretrained(checkpoints[name]).eval()
    processor = (reference_processor(checkpoints[name]) if name == "qwen2_vl"  # no torchvision: no video processor
                 else transformers.AutoProcessor.from_pretrained(checkpoints[name]))
    transform = pickle.loads(pickle.dumps(adapter.image_transform()))
    conversations = [[{"role": "user", "content": [{"type": "image", "image": transform(image)}, {"type": "text", "text": prompt}]}]
                     for image, prompt, _ in QUESTIONS]
    expected = [[hand_logprobs(reference, processor, image, prompt, c) for c in continuations]
                for image, prompt, continuations in QUESTIONS]
    mixed = adapter.score_continuations(conversations, [c for _, _, c in QUESTIONS])
    alone = [adapter.score_continuations([conversation], [c])[0] for conversation, (_, _, c) in zip(conversations, QUESTIONS)]
    for got_mixed, got_alone, want in zip(mixed, alone, expected):
        np.testing.assert_allclose(got_alone, want, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(got_mixed, want, rtol=1e-4, atol=1e-4)
    assert all(value < 0 for row in expected for value in row)
    assert len({round(v, 3) for v in expected[2]}) == 4  # the options really differ


def test_blip2_style_models_do_not_offer_scoring() -> None:
    from mmbench.models.hf.chat import HFBlip2Adapter, HFChatAdapter
    from mmbench.types import Capability

    assert Capability.SCORE_CONTINUATIONS in HFChatAdapter.class_capabilities()
    assert Capability.SCORE_CONTINUATIONS not in HFBlip2Adapter.class_capabilities()


@pytest.fixture(scope="module")
def mc_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_mc_data(tmp_path_factory.mktemp("mc_data_likelihood"))
    write_mc_hub(root)
    return root


def test_run_records_the_likelihood_choice_and_compare_refuses_a_generation_run(
        checkpoints: dict[str, Path], mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    base = ["run", "--task", "realworldqa", "--model", f"hf:{checkpoints['llava']}", "--data-dir", str(mc_root),
            "--output-dir", str(out), "--no-cache", "--num-workers", "0"]
    assert main([*base, "--metric-arg", "mode=likelihood"]) == 0
    assert main(base) == 0
    capsys.readouterr()
    written = {("likelihood" if "metric_args" in r["task"]["arguments"] else "generate"): (r, p)
               for p in sorted(out.glob("realworldqa__*.json")) for r in [json.loads(p.read_text())]}
    result, path = written["likelihood"]
    assert result["task"]["arguments"]["metrics"]["mode"] == "likelihood"
    records = [json.loads(line) for line in path.with_suffix(".samples.jsonl").read_text().splitlines()]
    choice_rows = [r for r in records if r.get("extraction_rule") == "likelihood"]
    open_rows = [r for r in records if r.get("question_type") == "open"]
    assert choice_rows and open_rows and all(r["extraction_rule"] == "exact_match" for r in open_rows)
    for r in choice_rows:
        scores = r["option_logprobs"]
        assert list(scores) == list(r["options"]) and "prediction" not in r and r["generation"] is None
        assert r["prompt"].startswith("USER: <image>") and r["prompt"].endswith("ASSISTANT:")
        assert r["choice"] == max(scores, key=lambda k: scores[k])
        assert r["metrics"]["accuracy"] == float(r["choice"] == r["answer"])
    assert result["metrics"]["extraction_failed"] == 0.0

    gen_path = written["generate"][1]
    assert main(["compare", str(gen_path), str(path)]) == 2
    err = capsys.readouterr().err
    assert "metric options differ" in err and len(err.strip().splitlines()) == 1
    assert main(["compare", str(gen_path), str(path), "--allow-mismatch"]) != 2  # paired (its verdict is not the point here)
    assert "metric options differ" in capsys.readouterr().out
    assert main(["leaderboard", str(out), "--include-partial", "--no-reported"]) == 0
    table = capsys.readouterr().out
    assert "realworldqa [mode=likelihood] accuracy" in table and "realworldqa accuracy" in table


def test_a_model_without_scoring_is_refused_before_loading(mc_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--task", "mmstar", "--model", "mock", "--data-dir", str(mc_root), "--no-write", "--no-cache",
                 "--metric-arg", "mode=likelihood"])
    err = capsys.readouterr().err
    assert code == 2 and "has no score_continuations" in err and len(err.strip().splitlines()) == 1
    code = main(["run", "--task", "mmstar", "--model", "mock", "--data-dir", str(mc_root), "--no-write", "--no-cache",
                 "--metric-arg", "mode=likelihood", "--metric-arg", "unparsed=random"])
    assert code == 2 and "mode=likelihood reads no answers" in capsys.readouterr().err


def test_builtin_llava_option_logprobs_equal_transformers_hand_computation(tmp_path: Path) -> None:
    """``llava:`` (the built-in decoder) against the transformers LLaVA saved in the same directory."""
    import transformers
    from test_builtin_llava import SHAPES, write_checkpoint

    reference = write_checkpoint(tmp_path, SHAPES[1], seed=3)
    processor = transformers.AutoProcessor.from_pretrained(tmp_path)
    adapter = load_model(f"llava:{tmp_path}")
    transform = adapter.image_transform()
    questions = [(image.convert("RGB"), prompt, continuations) for image, prompt, continuations in QUESTIONS]
    expected = [[hand_logprobs(reference, processor, image, prompt, c) for c in continuations]
                for image, prompt, continuations in questions]
    conversations = [[{"role": "user", "content": [{"type": "image", "image": transform(image)}, {"type": "text", "text": prompt}]}]
                     for image, prompt, _ in questions]
    mixed = adapter.score_continuations(conversations, [c for _, _, c in questions])
    alone = [adapter.score_continuations([conversation], [c])[0] for conversation, (_, _, c) in zip(conversations, questions)]
    for got_mixed, got_alone, want in zip(mixed, alone, expected):
        np.testing.assert_allclose(got_alone, want, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(got_mixed, want, rtol=1e-4, atol=1e-4)


def test_score_task_refuses_likelihood_mode(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("\n".join(json.dumps({"id": i, "prediction": "A"}) for i in range(3)) + "\n")
    code = main(["score", "--task", "realworldqa", "--predictions", str(predictions), "--data-dir", str(mc_root),
                 "--metric-arg", "mode=likelihood"])
    err = capsys.readouterr().err
    assert code == 2 and "text predictions cannot be scored this way" in err and len(err.strip().splitlines()) == 1

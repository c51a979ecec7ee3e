"""The runner end to end with the mock adapter: all four shapes tasks, determinism, capability
checks before data, unreadable images (fail fast / skip), results written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mmbench
from mmbench.errors import CapabilityError, DataError
from mmbench.models.base import ModelAdapter
from mmbench.models.mock import MockAdapter
from mmbench.results import read_result, read_samples
from mmbench.types import GenerationConfig, RunConfig

SHAPES = {
    "shapes_caption": ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"],
    "shapes_retrieval": ["i2t_R@1", "i2t_R@5", "i2t_R@10", "t2i_R@1", "t2i_R@5", "t2i_R@10"],
    "shapes_vqa": ["accuracy", "accuracy_yes_no", "accuracy_number", "accuracy_other"],
    "shapes_zeroshot": ["top1", "top5", "mean_per_class_recall"],
}


@pytest.fixture(scope="module")
def mock() -> MockAdapter:
    return MockAdapter.create()


@pytest.mark.parametrize("task", sorted(SHAPES))
def test_each_shapes_task_runs_end_to_end(task: str, mock: MockAdapter, tmp_path: Path) -> None:
    result = mmbench.evaluate(task=task, model=mock, output_dir=tmp_path, batch_size=32)
    for name in SHAPES[task]:
        assert 0.0 <= result.metrics[name] <= (10.0 if name == "CIDEr" else 1.0), name
    timing = result.timing
    assert timing["items"] >= result.task["num_samples"] and timing["items_per_s"] > 0  # every sample is an item of a stage
    assert timing["latency_ms"]["p50"] is not None and timing["batch_size"] == 32
    assert timing["peak_memory_mb"] > 0 and timing["device"] == "cpu"
    assert result.path is not None and read_result(result.path).metrics == result.metrics
    records = read_samples(result.path)
    assert len({r["id"] for r in records}) == len(records) >= result.task["num_samples"]
    assert result.task["data_fingerprint"] and result.model["fingerprint"].startswith("mock-")


def test_retrieval_metrics_equal_a_brute_force_ranking(mock: MockAdapter) -> None:
    """Independent check of the whole retrieval path: embed with the adapter, rank with numpy."""
    import torch

    from mmbench.data import load_split, open_image
    from mmbench.tasks.spec import load_task_spec

    result = mmbench.evaluate(task="shapes_retrieval", model=mock, output_dir=None, limit=40)
    split = load_split(load_task_spec("shapes_retrieval").data, None)
    samples = split.samples[:40]
    transform = mock.image_transform()
    images = mock.encode_images(torch.stack([transform(open_image(s.image, split.root)) for s in samples])).numpy()
    texts = [t for s in samples for t in s.texts]
    owner = np.array([i for i, s in enumerate(samples) for _ in s.texts])
    sims = images @ mock.encode_texts(texts).numpy().T  # (N, M)
    # reference ranking: a stable descending sort of each full similarity row (ties -> lower index)
    order_t2i = np.argsort(-sims.T, axis=1, kind="stable")  # (M, N)
    t2i_rank = np.array([int(np.where(order_t2i[t] == owner[t])[0][0]) for t in range(len(texts))])
    order_i2t = np.argsort(-sims, axis=1, kind="stable")  # (N, M)
    i2t_rank = np.array([min(int(np.where(order_i2t[i] == t)[0][0]) for t in np.where(owner == i)[0]) for i in range(len(samples))])
    for k in (1, 5, 10):
        assert result.metrics[f"t2i_R@{k}"] == pytest.approx(np.mean(t2i_rank < k), abs=1e-12)
        assert result.metrics[f"i2t_R@{k}"] == pytest.approx(np.mean(i2t_rank < k), abs=1e-12)
    ranks = {r["id"]: r["rank"] for r in result.samples if r.get("kind") == "image"}
    assert [ranks[s.id] for s in samples] == list(i2t_rank + 1)


def test_two_runs_and_two_batch_sizes_give_identical_predictions(mock: MockAdapter) -> None:
    a = mmbench.evaluate(task="shapes_vqa", model=mock, output_dir=None, batch_size=1, limit=50)
    b = mmbench.evaluate(task="shapes_vqa", model=mock, output_dir=None, batch_size=16, limit=50)
    c = mmbench.evaluate(task="shapes_vqa", model=mock, output_dir=None, batch_size=16, limit=50)
    assert [r["prediction"] for r in a.samples] == [r["prediction"] for r in b.samples]
    assert a.metrics == b.metrics == c.metrics
    assert a.task["num_samples"] == 50


class CaptionOnly(ModelAdapter):
    adapter_name = "caption-only"

    def generate(self, images: Any, prompts: list[str], cfg: GenerationConfig) -> list[str]:
        return ["x"] * len(prompts)


def test_capabilities_are_checked_before_any_data_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import mmbench.data

    def no_data(*args: object, **kw: object) -> None:
        raise AssertionError("data was read before the capability check")

    monkeypatch.setattr(mmbench.data, "load_split", no_data)
    with pytest.raises(CapabilityError, match=r"cannot run shapes_retrieval \(retrieval\): it has no encode_images, encode_texts"):
        mmbench.evaluate(task="shapes_retrieval", model=CaptionOnly(), output_dir=None)


def _tiny_karpathy(root: Path, corrupt: bool) -> Path:
    from PIL import Image

    (root / "img").mkdir(parents=True)
    images = []
    for i, colour in enumerate(["red", "blue", "green"]):
        Image.new("RGB", (32, 32), colour).save(root / "img" / f"{i}.png")
        images.append({"filename": f"{i}.png", "imgid": i, "split": "test",
                       "sentences": [{"raw": f"a {colour} square"}, {"raw": f"{colour} box"}]})
    if corrupt:
        (root / "img" / "1.png").write_bytes(b"not a png at all")
    (root / "data.json").write_text(json.dumps({"images": images}))
    task = root / "tiny.yaml"
    task.write_text(f"name: tiny_caption\ntype: captioning\nversion: 1\n"
                    f"data: {{format: karpathy, dir: {root}, annotations: data.json, images: img, split: test}}\n"
                    f"metrics: {{metrics: [Bleu_1, CIDEr]}}\n")
    return task


def test_corrupt_image_fails_fast_naming_the_file(mock: MockAdapter, tmp_path: Path) -> None:
    task = _tiny_karpathy(tmp_path, corrupt=True)
    with pytest.raises(DataError, match=r"1\.png") as info:
        mmbench.evaluate(task=str(task), model=mock, output_dir=tmp_path / "out", num_workers=0)
    assert "--on-error skip" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_corrupt_image_skipped_is_counted_and_listed(mock: MockAdapter, tmp_path: Path) -> None:
    task = _tiny_karpathy(tmp_path, corrupt=True)
    config = RunConfig(output_dir=tmp_path / "out", on_error="skip", num_workers=1, batch_size=2)
    result = mmbench.evaluate(str(task), mock, config)
    assert [s["id"] for s in result.errors["skipped"]] == ["1"]
    assert result.task["num_samples"] == 3 and result.task["num_scored"] == 2
    assert "1 of 3 samples could not be read" in result.metric_notes["skipped"]
    records = read_samples(result.path)
    assert {"id": "1", "skipped": True} in records
    assert sorted((r["id"], r["prediction"]) for r in records if "prediction" in r) == [("0", "a red shape"), ("2", "a green shape")]


class NoisyEmbeddingsPerfectMatcher(MockAdapter):
    """Embeddings that carry no information; an ITM head that recognises the colour exactly."""

    adapter_name = "noisy"

    def encode_images(self, images: Any) -> Any:
        import torch

        return torch.nn.functional.normalize(torch.ones(images.shape[0], 4), dim=-1)  # every image ties

    def encode_texts(self, texts: list[str]) -> Any:
        import torch

        return torch.nn.functional.normalize(torch.ones(len(texts), 4), dim=-1)

    def match(self, images: Any, texts: list[str]) -> Any:
        import torch

        colours = self.dominant_colours(images)
        return torch.tensor([10.0 if colour in text else 0.0 for colour, text in zip(colours, texts)])


def test_itm_reranking_runs_as_a_stage_and_reorders_candidates(tmp_path: Path) -> None:
    task = _tiny_karpathy(tmp_path, corrupt=False)
    text = task.read_text().replace("type: captioning", "type: retrieval").replace(
        "metrics: {metrics: [Bleu_1, CIDEr]}", "metrics: {ks: [1], rerank_k: 6}")
    plain = tmp_path / "plain.yaml"
    plain.write_text(text.replace(", rerank_k: 6", ""))
    task.write_text(text)
    model = NoisyEmbeddingsPerfectMatcher.create()
    without = mmbench.evaluate(str(plain), model, output_dir=None, num_workers=0)
    with_itm = mmbench.evaluate(str(task), model, output_dir=None, num_workers=0)
    # all similarities tie: lower index wins, so only image 0 / its captions are hits without ITM
    assert without.metrics == {"i2t_R@1": pytest.approx(1 / 3), "t2i_R@1": pytest.approx(2 / 6)}
    assert with_itm.metrics == {"i2t_R@1": 1.0, "t2i_R@1": 1.0}
    assert with_itm.timing["stages"]["itm"]["items"] == 3 * 6  # every (image, caption) pair is a top-6 candidate
    assert "re-ranked by ITM" in with_itm.metric_notes["rerank"]


def test_task_contract_data_flows_through_arguments_only() -> None:
    """A task type is driven without a model or runner: next_stages(outputs, skipped) and
    score(outputs, skipped) see everything as arguments, capabilities come to the constructor."""
    import dataclasses

    from mmbench.data import load_split
    from mmbench.registry import task_types
    from mmbench.tasks.spec import load_task_spec
    from mmbench.types import Capability

    spec = dataclasses.replace(load_task_spec("shapes_retrieval"), metrics={"ks": [1], "rerank_k": 2})
    split = load_split(spec.data, None)
    split = dataclasses.replace(split, samples=split.samples[:4])
    n_texts = sum(len(s.texts) for s in split.samples)
    owner = [i for i, s in enumerate(split.samples) for _ in s.texts]
    # perfect embeddings: image i is the unit vector e_i, each of its captions too
    outputs = {"images": [np.eye(4, dtype=np.float32)[i] for i in range(4)],
               "texts": [np.eye(4, dtype=np.float32)[owner[t]] for t in range(n_texts)]}
    cls = task_types.get("retrieval")
    encoder_only = cls(spec, split, frozenset({Capability.ENCODE_IMAGES, Capability.ENCODE_TEXTS}))
    assert [s.name for s in encoder_only.next_stages({}, frozenset())] == ["images", "texts"]
    assert encoder_only.next_stages(outputs, frozenset()) == []  # no match(): no ITM stage
    scored = encoder_only.score(outputs, frozenset())
    assert scored.metrics == {"i2t_R@1": 1.0, "t2i_R@1": 1.0}
    skip_first = frozenset({split.samples[0].id})
    assert encoder_only.score(outputs, skip_first).metrics == {"i2t_R@1": 1.0, "t2i_R@1": 1.0}
    assert {"id": split.samples[0].id, "skipped": True} in encoder_only.score(outputs, skip_first).samples

    matcher = cls(spec, split, frozenset(Capability))
    (itm,) = matcher.next_stages(outputs, frozenset())
    assert itm.name == "itm" and len(itm.items) > 0
    assert matcher.next_stages({**outputs, "itm": [0.0] * len(itm.items)}, frozenset()) == []
    # ITM scores that prefer wrong pairs turn every text query's hit into a miss (its top 2 images
    # hold one wrong one); an image query's top 2 texts are both its own captions, so it keeps its hit
    assert all(len(s.texts) >= 2 for s in split.samples)
    wrong = [10.0 if owner[int(ref.id.split(":")[1])] != int(ref.id.split(":")[0]) else 0.0 for ref in itm.items]
    assert matcher.score({**outputs, "itm": wrong}, frozenset()).metrics == {"i2t_R@1": 1.0, "t2i_R@1": 0.0}

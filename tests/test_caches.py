"""The prediction store as a cache: re-scoring without model calls, zero-shot text embeddings
shared across tasks, and `mmbench bench` never reading it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import mmbench
from mmbench.models.mock import MockAdapter
from mmbench.tasks.spec import load_task_spec
from mmbench.types import GenerationConfig


class CountingMock(MockAdapter):
    """The mock model, counting the items of every model call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {"generate": 0, "encode_texts": 0, "encode_images": 0}

    def generate(self, conversations: list[Any], cfg: GenerationConfig) -> list[str]:
        self.calls["generate"] += len(conversations)
        return super().generate(conversations, cfg)

    def encode_texts(self, texts: list[str]) -> Any:
        self.calls["encode_texts"] += len(texts)
        return super().encode_texts(texts)

    def encode_images(self, images: Any) -> Any:
        self.calls["encode_images"] += len(images)
        return super().encode_images(images)


def test_a_changed_metric_option_rescores_from_stored_predictions_without_model_calls(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    spec = load_task_spec("shapes_vqa")
    first = mmbench.evaluate(spec, CountingMock(), output_dir=None, limit=30, store=store)
    official = dataclasses.replace(spec, metrics={**spec.metrics, "normalization": "official"})
    model = CountingMock()
    again = mmbench.evaluate(official, model, output_dir=None, limit=30, store=store)
    assert model.calls["generate"] == 0  # no model call: every answer came from the store
    assert again.timing["from_store"] == 30 and again.timing["items"] == 0
    assert [r["prediction"] for r in again.samples] == [r["prediction"] for r in first.samples]
    assert again.config["store"] is not None and set(again.metrics) == set(first.metrics)


def test_zero_shot_text_embeddings_are_reused_by_another_task_with_the_same_templates(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    mmbench.evaluate("shapes_zeroshot", CountingMock(), output_dir=None, limit=10, store=store)
    model = CountingMock()
    heldout = mmbench.evaluate("shapes_zeroshot_heldout", model, output_dir=None, limit=10, store=store)
    assert model.calls["encode_texts"] == 0  # 30 classes x 4 templates, all from the first task's run
    assert heldout.timing["stages"]["class_prompts"]["from_store"] == 120
    assert model.calls["encode_images"] == 10  # image outputs belong to their task's samples: computed
    # a new template set: only its new prompts are computed
    spec = load_task_spec("shapes_zeroshot_heldout")
    data = {**spec.data, "templates": [*spec.data["templates"], "a photo of a {c}."]}
    model = CountingMock()
    mmbench.evaluate(dataclasses.replace(spec, data=data), model, output_dir=None, limit=10, store=store)
    assert model.calls["encode_texts"] == 30


def test_bench_never_reads_the_store_and_times_at_least_three_batches(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import mmbench.runner
    from mmbench.cli import main

    seen = []
    real = mmbench.runner.evaluate

    def spy(*args: Any, **kwargs: Any) -> Any:
        config = args[2]
        seen.append((config.store, config.batch_size))
        return real(*args, **kwargs)

    monkeypatch.setattr(mmbench.runner, "evaluate", spy)
    assert main(["bench", "--task", "shapes_vqa", "--model", "mock", "--batch-sizes", "4,64", "--limit", "10",
                 "--warmup", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert seen == [(None, 4), (None, 64)]
    for row in rows:  # 10 samples are repeated up to (1 warm-up + 3) batches
        assert row["timed_batches"] >= 3 and row["p50_ms"] is not None
        assert row["items"] == 4 * row["batch_size"]


# ---- `mmbench run` and its cache flags: hit, --no-cache, --fresh, invalidation --------------------------
def _cli_run(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    """``mmbench run --task shapes_zeroshot --model mock --limit 10`` in this process; its result's timing."""
    from mmbench.cli import main

    assert main(["run", "--task", "shapes_zeroshot", "--model", "mock", "--limit", "10", "--no-write", "--json", *extra]) == 0
    timing: dict[str, Any] = json.loads(capsys.readouterr().out)[0]["timing"]
    return timing


def _stored(path: Path) -> int:
    from mmbench.store import PredictionStore

    store = PredictionStore(path)
    try:
        return store.count()
    finally:
        store.close()


def test_run_cache_hit_no_cache_miss_and_invalidation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import mmbench.store

    default = tmp_path / "cache" / "predictions.sqlite"
    monkeypatch.setattr(mmbench.store, "default_store_path", lambda: default)
    every = 10 + 120  # 10 images, 30 classes x 4 templates (the zero-shot text embeddings)

    first = _cli_run(capsys)
    assert (first["from_store"], first["items"]) == (0, every) and _stored(default) == every
    hit = _cli_run(capsys)  # the same command again: everything from the cache, no model call
    assert (hit["from_store"], hit["items"]) == (every, 0)

    missed = _cli_run(capsys, "--no-cache")  # reads nothing: every output computed ...
    assert (missed["from_store"], missed["items"]) == (0, every)
    assert _stored(default) == every  # ... and writes nothing
    other = tmp_path / "elsewhere" / "predictions.sqlite"
    monkeypatch.setattr(mmbench.store, "default_store_path", lambda: other)
    _cli_run(capsys, "--no-cache")
    assert not other.parent.exists()  # not even an empty store is created
    monkeypatch.setattr(mmbench.store, "default_store_path", lambda: default)

    refreshed = _cli_run(capsys, "--fresh")  # reads nothing, computes everything, stores it again
    assert (refreshed["from_store"], refreshed["items"]) == (0, every) and _stored(default) == every

    # invalidation: another dtype is another model fingerprint, so nothing stored is used ...
    other_dtype = _cli_run(capsys, "--dtype", "float16")
    assert (other_dtype["from_store"], other_dtype["items"]) == (0, every) and _stored(default) == 2 * every
    # ... and a new task version keeps the shared text embeddings but recomputes the task's images
    spec = load_task_spec("shapes_zeroshot")
    bumped = tmp_path / "shapes_zeroshot.yaml"
    bumped.write_text(Path(spec.source).read_text().replace(f"version: {spec.version}", f"version: {spec.version}.1"))
    assert load_task_spec(str(bumped)).version != spec.version
    from mmbench.cli import main

    assert main(["run", "--task", str(bumped), "--model", "mock", "--limit", "10", "--no-write", "--json"]) == 0
    stages = json.loads(capsys.readouterr().out)[0]["timing"]["stages"]
    assert (stages["images"]["from_store"], stages["class_prompts"]["from_store"]) == (0, 120)


def test_bench_never_reads_a_filled_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The default store holds every prediction `mmbench bench` could reuse; it still computes them all."""
    import mmbench.store
    from mmbench.cli import main

    default = tmp_path / "predictions.sqlite"
    monkeypatch.setattr(mmbench.store, "default_store_path", lambda: default)
    assert main(["run", "--task", "shapes_vqa", "--model", "mock", "--limit", "16", "--no-write", "--json"]) == 0
    capsys.readouterr()
    filled = _stored(default)
    assert filled == 16
    model = CountingMock()
    monkeypatch.setattr("mmbench.models.spec.load_model", lambda *args, **kwargs: model)
    assert main(["bench", "--task", "shapes_vqa", "--model", "mock", "--batch-sizes", "4", "--limit", "16",
                 "--warmup", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["items"] == 16 and model.calls["generate"] == 16  # every stored answer computed again
    assert _stored(default) == filled  # and nothing written

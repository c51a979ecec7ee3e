"""openai: end to end: the test server serves the bundled shapes-llava through mmbench's own
adapter, so `mmbench run --model openai:shapes-llava` must give exactly the predictions of the
in-process model, through faults, a SIGKILL and a resume, with the key in no written byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbench.models.api.testserver import TestServer, model_responder

KEY = "sk-served-9d3e71c2aa5b"
N = 10


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """(in-process model, its predictions by sample id on the first N shapes_vqa samples)."""
    from mmbench import evaluate
    from mmbench.models.spec import load_model

    model = load_model("shapes-llava", device="cpu")
    result = evaluate("shapes_vqa", model, limit=N, output_dir=None, store=None, batch_size=4)
    return model, {str(s["id"]): s["prediction"] for s in result.samples}


def questions() -> dict[str, str]:
    """The first N questions of shapes_vqa, read from the data (not from any prediction path)."""
    from mmbench.engine.runner import load_task_data
    from mmbench.tasks.spec import load_task_spec
    from mmbench.types import RunConfig

    data = load_task_data(load_task_spec("shapes_vqa"), RunConfig(limit=N))
    return {str(s.id): s.meta["question"] for s in data.split.samples}


def run_openai(mmbench_cli, server: TestServer, tmp_path: Path, *extra: str, env: dict | None = None):
    return mmbench_cli("run", "--task", "shapes_vqa", "--model", "openai:shapes-llava", "--limit", str(N),
                       "--model-arg", f"base_url={server.base_url}", "--model-arg", "api_key_env=MMBENCH_SERVED_KEY",
                       "--model-arg", "backoff=0.01", "--output-dir", tmp_path / "out", "--store", tmp_path / "store.sqlite",
                       "--num-workers", "0", *extra, env={"MMBENCH_SERVED_KEY": KEY, **(env or {})}, cache=tmp_path / "cache",
                       timeout=300)


def written(tmp_path: Path) -> tuple[dict, dict[str, dict]]:
    result_file = max((tmp_path / "out").glob("*[!s].json"), key=lambda p: p.stat().st_mtime)  # the latest run
    samples = [json.loads(line) for line in result_file.with_name(result_file.name[:-5] + ".samples.jsonl").read_text().splitlines()]
    return json.loads(result_file.read_text()), {str(s["id"]): s for s in samples}


def test_served_predictions_equal_in_process_through_every_fault_and_the_key_is_never_written(served, mmbench_cli, tmp_path) -> None:
    model, reference = served
    faults = ["429", "500", "503", "drop", "slow", "malformed"]
    with TestServer(model_responder(model), model="shapes-llava", api_key=KEY, faults=faults, slow_s=3.0) as server:
        done = run_openai(mmbench_cli, server, tmp_path, "--model-arg", "timeout=2", "--model-arg", "concurrency=1")
    assert done.returncode == 0, done.stderr
    assert len(server.successes) == N and set(server.successes.values()) == {1}  # exactly one answer sent per sample
    result, samples = written(tmp_path)
    assert {i: s["prediction"] for i, s in samples.items()} == reference
    assert all(s["served"] == {"served_model": "shapes-llava", "system_fingerprint": "fp_mmbench_test"} for s in samples.values())
    requests = result["timing"]["requests"]
    assert requests["retries"] == {"connection": 1, "malformed": 1, "rate_limit": 1, "server_error": 2, "timeout": 1}
    assert requests["requests"] == N
    assert result["model"]["base_url"] == server.base_url and result["model"]["served_model"] == "shapes-llava"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in done.stdout and KEY not in done.stderr


def test_sigkill_then_the_same_command_requests_only_what_was_not_stored(served, mmbench_cli, tmp_path) -> None:
    model, reference = served
    with TestServer(model_responder(model), model="shapes-llava") as server:
        killed = run_openai(mmbench_cli, server, tmp_path, "--model-arg", "concurrency=2", env={"MMBENCH_CRASH_AT": "commit:4"})
        assert killed.returncode == -9, killed.stderr
        assert not (tmp_path / "out").exists()
        before = server.completion_requests
        done = run_openai(mmbench_cli, server, tmp_path, "--model-arg", "concurrency=2")
        assert done.returncode == 0, done.stderr
        assert server.completion_requests - before == N - 4  # the 4 committed answers are not asked for again
        assert f"resuming: 4 of {N} predictions already stored" in done.stderr
        from mmbench import evaluate
        from mmbench.models.spec import load_model

        other_transport = load_model("openai:shapes-llava", base_url=server.base_url, api_key_env="MMBENCH_SERVED_KEY",
                                     backoff="0.01", concurrency="8", max_retries="2")
        again = evaluate("shapes_vqa", other_transport, limit=N, output_dir=None, store=tmp_path / "store.sqlite", num_workers=0)
        assert server.completion_requests - before == N - 4  # a finished run sends nothing, whatever the transport settings
        assert {str(s["id"]): s["prediction"] for s in again.samples} == reference
    result, samples = written(tmp_path)
    assert {i: s["prediction"] for i, s in samples.items()} == reference
    assert all(s["served"]["served_model"] == "shapes-llava" for s in samples.values())  # records kept for stored answers too


def test_a_refused_request_fails_naming_the_sample_or_is_skipped(served, tmp_path) -> None:
    from mmbench import evaluate
    from mmbench.errors import UserError
    from mmbench.models.spec import load_model

    model, _ = served
    expected = {i for i, q in questions().items() if "color" in q}  # the server refuses these prompts
    with TestServer(model_responder(model), model="shapes-llava", refuse_texts=["color"]) as server:
        adapter = load_model("openai:shapes-llava", base_url=server.base_url, concurrency="1")
        with pytest.raises(UserError) as failed:
            evaluate("shapes_vqa", adapter, limit=N, output_dir=None, store=tmp_path / "fail.sqlite", num_workers=0)
        result = evaluate("shapes_vqa", adapter, limit=N, output_dir=None, store=tmp_path / "skip.sqlite", num_workers=0,
                          on_error="skip")
    first = sorted(expected, key=int)[0]  # concurrency 1: the samples are asked in order
    assert str(failed.value).startswith(f"sample {first}: the server refused this request: HTTP 400: This model's maximum context length")
    assert str(failed.value).endswith("(use --on-error skip to skip such samples; they are then listed in the results)")
    assert expected and {e["id"] for e in result.errors["skipped"]} == expected
    assert all("maximum context length" in e["error"] for e in result.errors["skipped"])
    assert result.task["num_scored"] == N - len(expected)


def test_served_vs_local_benchmark_agrees_with_itself_on_the_test_server(served) -> None:
    import importlib.util

    model, _ = served
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "served_vs_local.py"
    spec = importlib.util.spec_from_file_location("served_vs_local", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from mmbench.models.spec import load_model

    with TestServer(model_responder(model), model="shapes-llava") as server:
        outcome = module.compare("shapes_vqa", model, load_model("openai:shapes-llava", base_url=server.base_url), limit=4)
    assert outcome["agreement"] == 1.0 and outcome["local"]["items"] == outcome["served"]["items"] == 4
    assert outcome["served"]["items_per_s"] > 0


def test_a_two_image_conversation_served_equals_in_process(mmbench_cli, tmp_path) -> None:
    """shapes_two_image (two images in one user turn, MMMU's layout): the served bundled
    shapes-llava-multi answers exactly as the same model in process (images travel as PNG data URLs)."""
    from mmbench import evaluate
    from mmbench.models.spec import load_model

    model = load_model("shapes-llava-multi", device="cpu")
    limit = 4
    local = evaluate("shapes_two_image", model, limit=limit, output_dir=None, store=None, batch_size=4)
    reference = {str(s["id"]): s["prediction"] for s in local.samples}
    inner, images_per_request = model_responder(model), []

    def responder(conversation: list, max_tokens: int) -> str:  # the served model, counting the images it received
        images_per_request.append(sum(p["type"] == "image" for m in conversation for p in m["content"]))
        return inner(conversation, max_tokens)

    with TestServer(responder, model="shapes-llava-multi") as server:
        done = mmbench_cli("run", "--task", "shapes_two_image", "--model", "openai:shapes-llava-multi", "--limit", str(limit),
                           "--model-arg", f"base_url={server.base_url}", "--output-dir", tmp_path / "out",
                           "--store", tmp_path / "store.sqlite", "--num-workers", "0", cache=tmp_path / "cache", timeout=300)
    assert done.returncode == 0, done.stderr
    assert images_per_request == [2] * limit
    _, samples = written(tmp_path)
    assert {i: s["prediction"] for i, s in samples.items()} == reference

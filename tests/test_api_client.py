"""The openai: adapter's transport, without torch: options, retries by cause, backoff, refusals,
streaming, usage, bounded concurrency, the endpoint preflight. Servers: 127.0.0.1 only (TestServer)."""

from __future__ import annotations

import socket

import pytest
from PIL import Image

from mmbench.errors import UserError
from mmbench.models.api.adapter import EndpointFailed, OpenAIAdapter, RequestRefused
from mmbench.models.api.client import ChatClient
from mmbench.models.api.options import OpenAIOptions, public_url
from mmbench.models.api.testserver import TestServer, echo_responder
from mmbench.types import GenerationConfig

KEY = "sk-test-4f1c9e0b7d2a"  # a made-up key: it must reach the server and nothing else


def conversations(n: int) -> list[list[dict]]:
    """n one-image conversations; the echo server answers "<image WxH> | q<i>" for each (its definition)."""
    images = [Image.new("RGB", (10 + i, 7), (i * 20 % 255, 40, 90)) for i in range(n)]
    return [[{"role": "user", "content": [{"type": "image", "image": im}, {"type": "text", "text": f"q{i}"}]}]
            for i, im in enumerate(images)]


def expected(n: int) -> list[str]:
    return [f"<image {10 + i}x7> | q{i}" for i in range(n)]


def adapter_for(server: TestServer, **args: str) -> OpenAIAdapter:
    return OpenAIAdapter.create(server.model, base_url=server.base_url, **{"backoff": "0.001", "timeout": "2", **args})


def test_options_are_checked_with_one_line_each() -> None:
    assert OpenAIOptions.problems({"image_format": "gif"}) == ["openai: model argument image_format='gif' is not one of png, jpeg"]
    assert "did you mean 'concurrency'" in OpenAIOptions.problems({"concurency": "4"})[0]
    assert OpenAIOptions.problems({"concurrency": "0"}) == ["model argument concurrency='0' must be at least 1"]
    assert OpenAIOptions.problems({"jpeg_quality": "101"}) == ["openai: model argument jpeg_quality=101 must be at most 100"]
    assert "is not an http(s) URL" in OpenAIOptions.problems({"base_url": "localhost:8000"})[0]
    assert OpenAIOptions.problems({"base_url": "http://127.0.0.1:8000/v1", "temperature": "0.5", "seed": "3"}) == []


def test_base_url_is_shown_without_credentials_or_query() -> None:
    assert public_url("https://user:pw@api.example.com:8443/v1/?key=abc#x") == "https://api.example.com:8443/v1"
    assert public_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_every_fault_is_retried_and_each_sample_answered_by_exactly_one_success(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMBENCH_TEST_KEY", KEY)
    faults = ["429", "500", "503", "drop", "slow", "malformed"]
    with TestServer(echo_responder, model="m", api_key=KEY, faults=faults, slow_s=1.5) as server:
        adapter = adapter_for(server, api_key_env="MMBENCH_TEST_KEY", timeout="1", concurrency="3")
        answers = adapter.generate(conversations(8), GenerationConfig(max_new_tokens=8))
        summary = adapter.request_summary()
    assert answers == expected(8)
    assert len(server.successes) == 8 and set(server.successes.values()) == {1}
    assert server.completion_requests == 8 + len(faults)
    assert summary["retries"] == {"connection": 1, "malformed": 1, "rate_limit": 1, "server_error": 2, "timeout": 1}
    assert summary["requests"] == 8 and summary["attempts"] == 14
    assert server.authorizations == {f"Bearer {KEY}"}


def test_retry_after_is_honoured_and_backoff_doubles_with_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    with TestServer(echo_responder, model="m", faults=["429", "500", "500"], retry_after_s=0.25) as server:
        options = OpenAIOptions.parse({"base_url": server.base_url, "backoff": "0.01", "max_backoff": "0.03", "concurrency": "1"})
        client = ChatClient("m", options, sleep=slept.append)
        answer = client.complete(conversations(1)[0], 8)
    assert answer.text == expected(1)[0] and answer.attempts == 4
    assert slept[0] >= 0.25  # the 429's Retry-After
    assert 0 <= slept[1] <= 0.02 and 0 <= slept[2] <= 0.03  # min(max_backoff, backoff * 2**retry), full jitter
    cap = [client.delay(r, None) for r in range(8) for _ in range(20)]
    assert max(cap) <= 0.03 and len(set(cap)) > 1


def test_other_4xx_fails_at_once_with_the_server_message() -> None:
    with TestServer(echo_responder, model="m", refuse_texts=["q1"]) as server:
        adapter = adapter_for(server)
        with pytest.raises(RequestRefused, match="maximum context length") as error:
            adapter.generate(conversations(2)[1:], GenerationConfig())
        assert server.completion_requests == 1  # not retried
        assert "HTTP 400" in str(error.value)


def test_retries_used_up_stop_with_the_cause() -> None:
    with TestServer(echo_responder, model="m", faults=["503"] * 3) as server:
        adapter = adapter_for(server, max_retries="2")
        with pytest.raises(EndpointFailed, match="after 2 retries"):
            adapter.generate(conversations(1), GenerationConfig())
        assert server.completion_requests == 3


def test_stream_gives_ttft_tpot_and_the_same_answers_and_usage_is_summed() -> None:
    with TestServer(echo_responder, model="m") as server:
        adapter = adapter_for(server, stream="true", price_in="2", price_out="10")
        answers = adapter.generate(conversations(4), GenerationConfig())
        summary = adapter.request_summary()
    assert answers == expected(4)
    assert summary["ttft_ms"]["n"] == 4 and summary["tpot_ms"]["n"] == 4  # every answer has 3 words
    completion = sum(len(a.split()) for a in expected(4))  # the test server counts words as tokens
    assert summary["usage"]["completion_tokens"] == completion
    prompt = summary["usage"]["prompt_tokens"]
    assert summary["cost"] == pytest.approx((prompt * 2 + completion * 10) / 1e6)


def test_requests_in_flight_never_exceed_concurrency() -> None:
    with TestServer(echo_responder, model="m", delay_s=0.05) as server:
        adapter = adapter_for(server, concurrency="4")
        assert adapter.generate(conversations(24), GenerationConfig()) == expected(24)
    assert 2 <= server.max_in_flight <= 4


def test_jpeg_and_max_image_side_change_what_is_sent() -> None:
    with TestServer(echo_responder, model="m") as server:
        adapter = adapter_for(server, image_format="jpeg", jpeg_quality="80", max_image_side="5")
        answers = adapter.generate(conversations(1), GenerationConfig())
    assert answers == ["<image 5x4> | q0"]  # 10x7 shrunk to a longer side of 5: round(7 * 0.5) = 4
    assert adapter.fingerprint != adapter_for(server).fingerprint  # request settings are in the identity


def test_identity_leaves_out_transport_settings() -> None:
    with TestServer(echo_responder, model="m") as server:
        a, b = adapter_for(server, concurrency="2"), adapter_for(server, concurrency="32", max_retries="1")
        assert a.fingerprint == b.fingerprint
        assert a.store_model_args({"concurrency": "2", "seed": "1"}) == {"seed": "1"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_endpoint_preflight_names_the_url_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MMBENCH_TEST_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with TestServer(echo_responder, model="served", api_key=KEY) as server:
        url = server.base_url
        unauthorized = OpenAIAdapter.endpoint_problems("served", {"base_url": url, "api_key_env": "MMBENCH_TEST_KEY"})
        monkeypatch.setenv("MMBENCH_TEST_KEY", KEY)
        unknown = OpenAIAdapter.endpoint_problems("nope", {"base_url": url, "api_key_env": "MMBENCH_TEST_KEY"})
        fine = OpenAIAdapter.endpoint_problems("served", {"base_url": url, "api_key_env": "MMBENCH_TEST_KEY"})
        assert server.completion_requests == 0
    assert len(unauthorized) == 1 and "HTTP 401" in unauthorized[0] and "$MMBENCH_TEST_KEY is not set" in unauthorized[0]
    assert unknown == [f"openai: {url} serves no model named 'nope' (it serves: served); use --model openai:<one of those>"]
    assert fine == []
    port = _closed_port()
    down = OpenAIAdapter.endpoint_problems("served", {"base_url": f"http://127.0.0.1:{port}/v1"})
    assert len(down) == 1 and down[0].startswith(f"openai: cannot reach http://127.0.0.1:{port}/v1/models")
    with pytest.raises(UserError, match="no endpoint"):
        OpenAIAdapter.create("m")


@pytest.mark.parametrize("case", ["unauthorized", "unknown model", "unreachable"])
def test_cli_stops_before_anything_loads_with_one_line(case: str, mmbench_cli, tmp_path) -> None:
    with TestServer(echo_responder, model="served", api_key=KEY) as server:
        url = server.base_url if case != "unreachable" else f"http://127.0.0.1:{_closed_port()}/v1"
        model = "nope" if case == "unknown model" else "served"
        env = {"MMBENCH_TEST_KEY": KEY} if case != "unauthorized" else {}
        out, store = tmp_path / "out", tmp_path / "store.sqlite"
        done = mmbench_cli("run", "--task", "shapes_vqa", "--model", f"openai:{model}", "--model-arg", f"base_url={url}",
                           "--model-arg", "api_key_env=MMBENCH_TEST_KEY", "--limit", "2", "--output-dir", out, "--store", store,
                           env=env, cache=tmp_path / "cache", forbid_imports=("torch",), timeout=60)
        assert server.completion_requests == 0
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("mmbench: error") or line.startswith("--model")]
    assert len(lines) == 1 and url in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists() and not store.exists()


def test_two_images_interleaved_with_text_and_a_system_turn_arrive_in_order() -> None:
    from mmbench.conversation import interleave

    images = [Image.new("RGB", (11, 3)), Image.new("RGB", (4, 9))]
    conversation = [{"role": "system", "content": [{"type": "text", "text": "be brief"}]},
                    {"role": "user", "content": interleave("compare <image 2> with <image 1> please", images)}]
    with TestServer(echo_responder, model="m") as server:
        adapter = adapter_for(server)
        # the echo joins every part with " | "; interleave keeps the spaces around each image name
        parts = "compare  | <image 4x9> |  with  | <image 11x3> |  please"
        assert adapter.generate([conversation], GenerationConfig()) == [f"be brief | {parts}"]
        replaced = adapter_for(server, system_prompt="answer in one word")
        assert replaced.generate([conversation], GenerationConfig()) == [f"answer in one word | {parts}"]

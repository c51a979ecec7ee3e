"""An OpenAI-compatible chat-completions server on 127.0.0.1, for tests, benchmarks and demos.

:class:`TestServer` answers ``GET /v1/models`` and ``POST /v1/chat/completions`` (plain JSON or
``stream: true`` server-sent events) with whatever its ``responder`` says for the conversation,
rebuilt in mmbench's shape with the images decoded to PIL. :func:`model_responder` makes that a
model adapter of mmbench itself (e.g. the bundled ``shapes-llava``), so ``openai:`` predictions
can be compared with in-process ones. For fault tests the server can require a key, delay every
answer, refuse prompts over a length, and play a script of faults (``faults``), one per incoming
completion request in arrival order: ``429`` (with ``Retry-After``), ``500``, ``503``, ``drop``
(close the connection without an answer), ``slow`` (answer nothing for ``slow_s`` seconds, then
close), ``malformed`` (a 200 whose body is not JSON); ``refuse_texts``: a prompt holding one of
these gets a 400 (as a prompt over the context limit does). ``successes`` counts the answers sent per
request body digest. Listens on 127.0.0.1 only; ``stop()`` (or the context manager) shuts it down.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable

from mmbench.models.api.images import decode_data_url

Responder = Callable[[list[dict[str, Any]], int], str]
FAULTS = ("429", "500", "503", "drop", "slow", "malformed")


class TestServer:
    """``with TestServer(responder, model="m") as server: server.base_url`` -> ``http://127.0.0.1:PORT/v1``."""

    __test__ = False  # not a pytest class

    def __init__(self, responder: Responder, *, model: str = "test-model", api_key: str | None = None,
                 delay_s: float = 0.0, faults: Iterable[str] = (), retry_after_s: float = 0.05, slow_s: float = 1.0,
                 max_prompt_chars: int | None = None, refuse_texts: Iterable[str] = (),
                 fingerprint: str | None = "fp_mmbench_test") -> None:
        self.responder, self.model, self.api_key = responder, model, api_key
        self.delay_s, self.retry_after_s, self.slow_s = delay_s, retry_after_s, slow_s
        self.max_prompt_chars, self.fingerprint = max_prompt_chars, fingerprint
        self.refuse_texts = tuple(refuse_texts)
        self.in_flight = self.max_in_flight = 0
        self.faults = list(faults)
        unknown = [f for f in self.faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {FAULTS}")
        self.successes: Counter[str] = Counter()
        self.faults_played: Counter[str] = Counter()
        self.completion_requests = 0
        self.authorizations: set[str] = set()
        self._lock = threading.Lock()
        self._respond_lock = threading.Lock()  # the responder (a model) answers one request at a time
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> TestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next_fault(self) -> str | None:
        with self._lock:
            self.completion_requests += 1
            if self.faults:
                fault = self.faults.pop(0)
                self.faults_played[fault] += 1
                return fault
            return None

    def answer(self, body: dict[str, Any]) -> tuple[str, str]:
        """(answer text, request digest) for a chat-completions body."""
        conversation = to_conversation(body["messages"])
        digest = hashlib.sha256(json.dumps(body["messages"], sort_keys=True).encode()).hexdigest()[:16]
        with self._respond_lock:
            text = self.responder(conversation, int(body.get("max_tokens") or 16))
        return text, digest


class _QuietServer(ThreadingHTTPServer):
    request_queue_size = 256  # many clients connecting at once (the benchmark's 32) are never refused

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (after a timeout, a kill): nothing to report


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_state: TestServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read stderr
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"message": message, "type": "invalid_request_error", "code": status}}, headers)

    def _authorized(self) -> bool:
        state = self.server_state
        header = self.headers.get("Authorization", "")
        with state._lock:
            state.authorizations.add(header)
        if state.api_key is not None and header != f"Bearer {state.api_key}":
            self._error(401, "Incorrect API key provided")
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path.split("?")[0].rstrip("/") != "/v1/models":
            self._error(404, f"no route {self.path}")
            return
        self._send(200, {"object": "list", "data": [{"id": self.server_state.model, "object": "model", "owned_by": "mmbench"}]})

    def do_POST(self) -> None:
        state = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self._authorized():
            return
        if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._error(404, f"no route {self.path}")
            return
        fault = state.next_fault()
        if fault in ("429", "500", "503"):
            headers = {"Retry-After": str(state.retry_after_s)} if fault == "429" else None
            self._error(int(fault), f"injected {fault}", headers)
            return
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "slow":
            time.sleep(state.slow_s)
            self.close_connection = True
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._error(400, "body is not JSON")
            return
        if body.get("model") != state.model:
            self._error(404, f"The model `{body.get('model')}` does not exist.")
            return
        prompt_chars = sum(len(p.get("text", "")) for m in body["messages"] for p in _parts(m["content"]))
        prompt = " ".join(p.get("text", "") for m in body["messages"] for p in _parts(m["content"]))
        if (state.max_prompt_chars is not None and prompt_chars > state.max_prompt_chars) or any(t in prompt for t in state.refuse_texts):
            self._error(400, f"This model's maximum context length is {state.max_prompt_chars or 0} characters, "
                             f"the prompt has {prompt_chars}")
            return
        with state._lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if state.delay_s:
                time.sleep(state.delay_s)
            text, digest = state.answer(body)
        except Exception as error:  # the responder failed: a 500 naming why (retried by the client)
            self._error(500, f"responder failed: {type(error).__name__}: {error}")
            return
        finally:
            with state._lock:
                state.in_flight -= 1
        if fault == "malformed":
            self._send(200, b'{"id": "chatcmpl-x", "choices": [{"message": ')
            return
        usage = {"prompt_tokens": max(1, prompt_chars // 4), "completion_tokens": len(text.split())}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if body.get("stream"):
            self._stream(text, usage)
        else:
            self._send(200, {"id": "chatcmpl-" + digest, "object": "chat.completion", "created": int(time.time()),
                             "model": state.model, "system_fingerprint": state.fingerprint,
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                             "usage": usage})
        with state._lock:
            state.successes[digest] += 1

    def _stream(self, text: str, usage: dict[str, int]) -> None:
        state = self.server_state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = text.split(" ")
        base = {"object": "chat.completion.chunk", "model": state.model, "system_fingerprint": state.fingerprint}
        events = [{**base, "choices": [{"index": 0, "delta": {"content": w if i == 0 else " " + w}}]} for i, w in enumerate(words)]
        events.append({**base, "choices": [], "usage": usage})
        for event in events:
            self._chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _handler(state: TestServer) -> type[_Handler]:
    return type("Handler", (_Handler,), {"server_state": state})


def _parts(content: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def to_conversation(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat-completions messages as an mmbench conversation, images decoded to PIL RGB."""
    conversation = []
    for message in messages:
        parts = []
        for part in _parts(message["content"]):
            if part["type"] == "text":
                parts.append({"type": "text", "text": part["text"]})
            elif part["type"] == "image_url":
                parts.append({"type": "image", "image": decode_data_url(part["image_url"]["url"])})
        conversation.append({"role": message["role"], "content": parts})
    return conversation


def model_responder(adapter: Any) -> Responder:
    """Answers with an mmbench model adapter's ``generate`` (one conversation at a time, greedy)."""
    from mmbench.types import GenerationConfig

    def respond(conversation: list[dict[str, Any]], max_tokens: int) -> str:
        transform = adapter.image_transform()
        served = [{**m, "content": [{**p, "image": transform(p["image"])} if p["type"] == "image" else p for p in m["content"]]}
                  for m in conversation]
        return str(adapter.generate([served], GenerationConfig(max_new_tokens=max_tokens))[0])

    return respond


def echo_responder(conversation: list[dict[str, Any]], max_tokens: int) -> str:
    """A deterministic answer naming the texts and image sizes it saw (tests of the transport)."""
    seen = []
    for message in conversation:
        for part in message["content"]:
            seen.append(part["text"] if part["type"] == "text" else "<image %dx%d>" % part["image"].size)
    return " | ".join(seen)

"""Chat-completions requests: request bodies from conversations, retries with backoff, statistics.

:class:`ChatClient` sends one conversation and returns an :class:`Answer`. A 429 (waiting at least
its ``Retry-After``), a 5xx, a timeout, a dropped connection or a malformed 2xx body is retried
after ``backoff * 2**retry`` seconds (capped at ``max_backoff``) with full jitter, at most
``max_retries`` times; any other 4xx raises :class:`~mmbench.models.api.http.RequestFailed` at
once. :class:`RequestStats` sums what every request did (thread-safe): latencies, retries by
cause, token usage, time to first token and per output token (``stream=true``).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from mmbench.models.api.http import MALFORMED, Connection, Endpoint, RequestFailed, Retryable, check_status, parse_json, scrub
from mmbench.models.api.images import DataURLEncoder
from mmbench.models.api.options import OpenAIOptions
from mmbench.measure.timing import latency_summary, percentile


@dataclass
class Answer:
    """One successful completion. ``model``/``system_fingerprint``: what the server said it ran."""

    text: str
    model: str | None = None
    system_fingerprint: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0  # the successful attempt, request sent to last byte
    ttft_s: float | None = None
    tpot_s: float | None = None
    attempts: int = 1

    def record(self) -> dict[str, Any]:
        """What the per-sample record keeps of it (not part of the store key)."""
        return {"served_model": self.model, "system_fingerprint": self.system_fingerprint}


@dataclass
class RequestStats:
    """Totals over every request of a run (thread-safe ``add``)."""

    requests: int = 0
    attempts: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    ttft_ms: list[float] = field(default_factory=list)
    tpot_ms: list[float] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usage_missing: int = 0
    started: float | None = None
    finished: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> None:
        with self._lock:
            if self.started is None:
                self.started = time.perf_counter()

    def retried(self, cause: str) -> None:
        with self._lock:
            self.retries[cause] += 1
            self.attempts += 1

    def add(self, answer: Answer) -> None:
        with self._lock:
            self.requests += 1
            self.attempts += 1
            self.latencies_ms.append(answer.latency_s * 1000.0)
            if answer.ttft_s is not None:
                self.ttft_ms.append(answer.ttft_s * 1000.0)
            if answer.tpot_s is not None:
                self.tpot_ms.append(answer.tpot_s * 1000.0)
            if answer.prompt_tokens is None or answer.completion_tokens is None:
                self.usage_missing += 1
            self.prompt_tokens += answer.prompt_tokens or 0
            self.completion_tokens += answer.completion_tokens or 0
            self.finished = time.perf_counter()

    def summary(self, price_in: float | None = None, price_out: float | None = None) -> dict[str, Any]:
        """The ``timing.requests`` section: requests/s over the first request to the last answer,
        latency percentiles per successful request (ms), retries by cause, usage and cost (prices
        per million tokens; None without both prices)."""
        wall = (self.finished - self.started) if self.started is not None and self.finished is not None else None
        cost = None
        if price_in is not None and price_out is not None:
            cost = (self.prompt_tokens * price_in + self.completion_tokens * price_out) / 1e6
        return {
            "requests": self.requests, "attempts": self.attempts,
            "requests_per_s": self.requests / wall if wall else None,
            "latency_ms": latency_summary(self.latencies_ms),
            "retries": dict(sorted(self.retries.items())),
            "ttft_ms": _percentiles(self.ttft_ms), "tpot_ms": _percentiles(self.tpot_ms),
            "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                      "total_tokens": self.prompt_tokens + self.completion_tokens,
                      "answers_without_usage": self.usage_missing},
            "cost": cost, "price_in_per_mtok": price_in, "price_out_per_mtok": price_out,
        }


def _percentiles(values: list[float]) -> dict[str, float | None] | None:
    if not values:
        return None
    return {"p50": percentile(values, 50), "p90": percentile(values, 90), "mean": sum(values) / len(values), "n": len(values)}


def to_messages(conversation: list[dict[str, Any]], encode: Callable[[Any], str], system_prompt: str | None = None) -> list[dict[str, Any]]:
    """A conversation (mmbench's parts) as chat-completions messages: image parts become
    ``image_url`` parts holding data URLs; a message of text only is sent as a plain string (what
    every engine's chat template accepts). ``system_prompt`` replaces the conversation's system turn."""
    messages = []
    if system_prompt is not None:
        messages.append({"role": "system", "content": system_prompt})
    for message in conversation:
        if message["role"] == "system" and system_prompt is not None:
            continue
        content = message["content"]
        if isinstance(content, str):
            messages.append({"role": message["role"], "content": content})
            continue
        parts = []
        for part in content:
            if part["type"] == "text":
                parts.append({"type": "text", "text": part["text"]})
            elif part["type"] == "image":
                parts.append({"type": "image_url", "image_url": {"url": encode(part["image"])}})
            else:
                raise ValueError(f"unknown conversation part type {part['type']!r}")
        if all(p["type"] == "text" for p in parts):
            messages.append({"role": message["role"], "content": "".join(p["text"] for p in parts)})
        else:
            messages.append({"role": message["role"], "content": parts})
    return messages


class ChatClient:
    """Sends chat completions to ``options``' endpoint for ``served_model``; one per adapter, shared by threads."""

    def __init__(self, served_model: str, options: OpenAIOptions, stats: RequestStats | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.served_model = served_model
        self.options = options
        self.endpoint = Endpoint.parse(options.resolved_base_url() or "")
        self.encode = DataURLEncoder(options.image_format, options.jpeg_quality, options.max_image_side)
        self.stats = stats or RequestStats()
        self._key = options.api_key()
        self._local = threading.local()
        self._sleep = sleep
        self._random = random.Random()

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def body(self, conversation: list[dict[str, Any]], max_tokens: int) -> dict[str, Any]:
        o = self.options
        body: dict[str, Any] = {"model": self.served_model, "messages": to_messages(conversation, self.encode, o.system_prompt),
                                "max_tokens": o.max_tokens or max_tokens, "temperature": o.temperature}
        if o.top_p is not None:
            body["top_p"] = o.top_p
        if o.seed is not None:
            body["seed"] = o.seed
        if o.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def connection(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Connection(self.endpoint, self.options.timeout)
        return conn

    def complete(self, conversation: list[dict[str, Any]], max_tokens: int) -> Answer:
        """One answer, retried as the module says; RequestFailed for a request the server refuses,
        Retryable once the retries are used up. Messages never hold the key."""
        payload = json.dumps(self.body(conversation, max_tokens)).encode("utf-8")
        self.stats.start()
        retry = 0
        while True:
            try:
                answer = self._attempt(payload)
            except Retryable as error:
                if retry >= self.options.max_retries:
                    raise Retryable(error.cause, scrub(f"{error} (after {retry} retries)", self._key)) from None
                self.stats.retried(error.cause)
                self._sleep(self.delay(retry, error.retry_after))
                retry += 1
                continue
            except RequestFailed as error:
                raise RequestFailed(error.status, scrub(error.server_message, self._key)) from None
            answer.attempts = retry + 1
            self.stats.add(answer)
            return answer

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number ``retry + 1``: full jitter over the doubled backoff, at least
        the server's ``Retry-After``."""
        cap = min(self.options.max_backoff, self.options.backoff * (2 ** retry))
        wait = self._random.uniform(0, cap)
        return max(wait, retry_after) if retry_after is not None else wait

    def _attempt(self, payload: bytes) -> Answer:
        conn = self.connection()
        started = time.perf_counter()
        response = conn.send("POST", "/chat/completions", payload, self.headers())
        if self.options.stream and 200 <= response.status < 300:
            return self._read_stream(conn, response, started)
        body = conn.read(response)
        check_status(response.status, response.headers, body)
        answer = parse_answer(parse_json(body))
        answer.latency_s = time.perf_counter() - started
        return answer

    def _read_stream(self, conn: Connection, response: Any, started: float) -> Answer:
        """Server-sent events: ``data: {chunk}`` lines until ``data: [DONE]``; the first content
        delta gives the time to first token, the rest the time per output token."""
        from mmbench.models.api.http import as_retryable

        pieces: list[str] = []
        first = last = None
        deltas = 0
        meta: dict[str, Any] = {}
        done = False
        try:
            while True:
                line = response.readline()
                if not line:
                    break
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    done = True
                    break
                chunk = parse_json(data)
                meta.update({k: chunk[k] for k in ("model", "system_fingerprint", "usage") if chunk.get(k)})
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        now = time.perf_counter()
                        first = first if first is not None else now
                        last = now
                        deltas += 1
                        pieces.append(text)
        except Retryable:
            conn.close()
            raise
        except BaseException as error:
            conn.close()
            raise as_retryable(error) from None
        if not done:
            conn.close()
            raise Retryable(MALFORMED, "the event stream ended without [DONE]")
        if response.will_close:
            conn.close()
        usage = meta.get("usage") or {}
        answer = Answer("".join(pieces).strip(), meta.get("model"), meta.get("system_fingerprint"),
                        usage.get("prompt_tokens"), usage.get("completion_tokens"))
        answer.latency_s = time.perf_counter() - started
        if first is not None:
            answer.ttft_s = first - started
            tokens = answer.completion_tokens or deltas
            if tokens > 1 and last is not None:
                answer.tpot_s = (last - first) / (tokens - 1)
        return answer

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


def parse_answer(data: Any) -> Answer:
    """An Answer from a chat-completions response body; Retryable(malformed) if it has none."""
    try:
        message = data["choices"][0]["message"]
        text = message.get("content")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise TypeError
    except (KeyError, IndexError, TypeError, AttributeError):
        raise Retryable(MALFORMED, "the response has no choices[0].message.content") from None
    usage = data.get("usage") or {}
    return Answer(text.strip(), data.get("model"), data.get("system_fingerprint"), usage.get("prompt_tokens"),
                  usage.get("completion_tokens"))

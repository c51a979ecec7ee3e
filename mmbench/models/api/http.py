"""One HTTP request over the standard library's ``http.client``, its failures sorted by cause.

:class:`Endpoint` is a parsed base URL (``http://host:port/v1?query``); :class:`Connection` keeps
one keep-alive connection (one per worker thread) and reopens it after any failure.
:func:`classify` turns a failed request into a :class:`Retryable` (429, 5xx, timeout, dropped
connection, a 2xx body that is not the JSON expected) or a :class:`RequestFailed` (any other
status: the request itself is wrong). Neither ever holds the API key: :func:`scrub` removes it
from any text a server sends back.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from mmbench.models.api.options import public_url

#: retry causes, as the timing section counts them
RATE_LIMIT, SERVER_ERROR, TIMEOUT, CONNECTION, MALFORMED = "rate_limit", "server_error", "timeout", "connection", "malformed"


@dataclass(frozen=True)
class Endpoint:
    """A base URL split for ``http.client``: requests go to ``base_path + path`` (+ the query)."""

    scheme: str
    host: str
    port: int
    base_path: str
    query: str
    public: str  # without credentials, query or fragment: what messages and results show

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname or "", port, parts.path.rstrip("/"), parts.query, public_url(url))

    def target(self, path: str) -> str:
        return self.base_path + path + (f"?{self.query}" if self.query else "")


class Retryable(Exception):
    """A failure worth retrying; ``cause`` is one of the retry causes, ``retry_after`` the server's wish (s)."""

    def __init__(self, cause: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.cause, self.retry_after = cause, retry_after


class RequestFailed(Exception):
    """The server refused the request itself (a 4xx other than 429): retrying cannot help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.server_message = status, message


class Connection:
    """One keep-alive connection to an endpoint; ``request`` reconnects when the last one failed."""

    def __init__(self, endpoint: Endpoint, timeout: float) -> None:
        self.endpoint, self.timeout = endpoint, timeout
        self._conn: http.client.HTTPConnection | None = None

    def _open(self) -> http.client.HTTPConnection:
        if self._conn is None:
            e = self.endpoint
            if e.scheme == "https":
                self._conn = http.client.HTTPSConnection(e.host, e.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                self._conn = http.client.HTTPConnection(e.host, e.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> http.client.HTTPResponse:
        """Send a request and return the response (headers read, body not); raises Retryable for
        timeouts and dropped connections."""
        conn = self._open()
        try:
            conn.request(method, self.endpoint.target(path), body=body, headers=headers)
            return conn.getresponse()
        except BaseException as error:
            self.close()
            raise as_retryable(error) from None

    def read(self, response: http.client.HTTPResponse) -> bytes:
        try:
            data = response.read()
        except BaseException as error:
            self.close()
            raise as_retryable(error) from None
        if response.will_close:
            self.close()
        return data


def as_retryable(error: BaseException) -> BaseException:
    """A network error as a Retryable (timeouts, resets, refused connections); anything else unchanged."""
    if isinstance(error, (socket.timeout, TimeoutError)):
        return Retryable(TIMEOUT, "no response within the timeout")
    if isinstance(error, (ConnectionError, http.client.HTTPException, OSError)):
        return Retryable(CONNECTION, f"connection failed: {type(error).__name__}: {error}")
    return error


def check_status(status: int, headers: Any, body: bytes) -> None:
    """Raise for a response that is not a success: Retryable for 429 / 5xx, RequestFailed otherwise."""
    if 200 <= status < 300:
        return
    message = server_message(body)
    if status == 429:
        raise Retryable(RATE_LIMIT, f"HTTP 429: {message}", retry_after(headers.get("Retry-After")))
    if status >= 500 or status == 408:
        raise Retryable(SERVER_ERROR, f"HTTP {status}: {message}", retry_after(headers.get("Retry-After")))
    raise RequestFailed(status, message)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Retryable(MALFORMED, f"the response is not JSON ({body[:80]!r})") from None


def server_message(body: bytes, limit: int = 300) -> str:
    """The server's error message: ``{"error": {"message": ...}}`` (OpenAI's shape), else the body's start."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error:
            text = str(error)
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "") or "(empty body)"


def retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (delay-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        import time

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def scrub(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` masked (servers sometimes echo the header)."""
    return text.replace(secret, "***") if secret else text

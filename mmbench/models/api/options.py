"""The ``openai:`` adapter's ``--model-arg`` options (no torch import: the run's preflight reads them).

Request settings (``temperature``, ``seed``, ``top_p``, ``max_tokens``, ``system_prompt``, the
image encoding) determine the answers and are part of the prediction store's key; transport
settings (``concurrency``, ``max_retries``, ``timeout``, ``backoff``, ``stream``, ``api_key_env``,
prices) do not, so a re-run with more concurrency reuses every stored answer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit, urlunsplit

from mmbench.errors import UserError
from mmbench.models.options import AdapterOptions

BASE_URL_ENV = "OPENAI_BASE_URL"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
IMAGE_FORMATS = ("png", "jpeg")
#: options that change how requests travel, not what the server answers: left out of the store key
TRANSPORT_OPTIONS = frozenset({"concurrency", "max_retries", "timeout", "backoff", "max_backoff", "stream",
                               "api_key_env", "price_in", "price_out", "base_url"})


@dataclass(frozen=True)
class OpenAIOptions(AdapterOptions):
    """Options of ``openai:<served model name>``.

    ``base_url``: the API root ending in ``/v1`` (else ``$OPENAI_BASE_URL``); ``api_key_env``: the
    environment variable holding the key (never written anywhere; an unset variable sends no
    Authorization header, as local engines need none). ``temperature`` 0 is greedy; ``seed`` is
    sent when given. ``max_tokens`` replaces the task's ``max_new_tokens``. ``image_format`` png
    (lossless, default) or jpeg (``jpeg_quality``); ``max_image_side`` shrinks larger images
    (aspect kept) before encoding. ``concurrency``: requests in flight; ``max_retries``: retries
    of one request after a 429, 5xx, timeout, dropped connection or malformed response;
    ``timeout``: seconds to connect and between bytes of a response; ``backoff``/``max_backoff``:
    the first retry's delay and the cap (seconds), doubled per retry, with jitter; a 429's
    ``Retry-After`` is honoured. ``stream``: server-sent events, for time to first token and per
    output token. ``price_in``/``price_out``: prices per million input/output tokens, for a cost.
    """

    adapter = "openai"
    device: str = "cpu"
    dtype: str = "float32"
    base_url: str | None = None
    api_key_env: str = DEFAULT_KEY_ENV
    temperature: float = field(default=0.0, metadata={"min": 0})
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int | None = field(default=None, metadata={"min": 1})
    system_prompt: str | None = None
    image_format: str = "png"
    jpeg_quality: int = field(default=90, metadata={"min": 1})
    max_image_side: int | None = field(default=None, metadata={"min": 1})
    concurrency: int = field(default=16, metadata={"min": 1})
    max_retries: int = field(default=6, metadata={"min": 0})
    timeout: float = field(default=120.0, metadata={"min": 0.001})
    backoff: float = field(default=1.0, metadata={"min": 0})
    max_backoff: float = field(default=60.0, metadata={"min": 0})
    stream: bool = False
    price_in: float | None = field(default=None, metadata={"min": 0})
    price_out: float | None = field(default=None, metadata={"min": 0})

    def validate(self) -> None:
        if self.image_format not in IMAGE_FORMATS:
            raise UserError(f"openai: model argument image_format={self.image_format!r} is not one of {', '.join(IMAGE_FORMATS)}")
        if self.jpeg_quality > 100:
            raise UserError(f"openai: model argument jpeg_quality={self.jpeg_quality} must be at most 100")
        if not self.api_key_env.strip():
            raise UserError("openai: model argument api_key_env is empty; name the environment variable that holds the key")
        url = self.resolved_base_url(required=False)
        if url is not None:
            check_base_url(url)

    def resolved_base_url(self, *, required: bool = True) -> str | None:
        """``base_url``, else ``$OPENAI_BASE_URL``, without a trailing slash."""
        url = self.base_url if self.base_url else os.environ.get(BASE_URL_ENV)
        if not url:
            if required:
                raise UserError(f"openai: no endpoint; pass --model-arg base_url=http://HOST:PORT/v1 or set {BASE_URL_ENV}")
            return None
        return url.strip().rstrip("/")

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) or None

    def request_settings(self) -> dict[str, object]:
        """The options that determine the server's answers (part of the store key)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in TRANSPORT_OPTIONS and f.name not in ("device", "dtype")}


def check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"openai: base_url {public_url(url)!r} is not an http(s) URL; use e.g. http://127.0.0.1:8000/v1")
    try:
        parts.port
    except ValueError:
        raise UserError(f"openai: base_url {public_url(url)!r} has a bad port; use e.g. http://127.0.0.1:8000/v1") from None


def public_url(url: str) -> str:
    """The URL as results and messages show it: no user name, password, query string or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))

"""``openai:<served model name>``: any OpenAI-compatible chat-completions endpoint as a model.

vLLM, SGLang, LMDeploy, TGI, llama.cpp, Ollama and hosted APIs all serve ``POST
{base_url}/chat/completions``. Conversations go out as they are (images as data URLs, encoded by
:meth:`OpenAIAdapter.image_transform` in DataLoader workers), greedy unless the options say
otherwise. :meth:`OpenAIAdapter.answer_stream` keeps ``concurrency`` requests in flight and yields
each answer as it arrives, so the runner commits it to the prediction store at once.

Identity: the fingerprint and :meth:`describe` cover the served model name, the base URL (without
credentials or query string) and the request settings (:meth:`OpenAIOptions.request_settings`),
never the key, the concurrency or the retry settings. :meth:`endpoint_problems` is the run's
preflight: one ``GET {base_url}/models`` without retries, before anything is loaded or written.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any, ClassVar, Iterable, Iterator, TypeVar

from mmbench.errors import UserError
from mmbench.models.api.client import Answer, ChatClient, RequestStats
from mmbench.models.api.http import Connection, Endpoint, RequestFailed, Retryable, check_status, parse_json, scrub
from mmbench.models.api.images import DataURLEncoder
from mmbench.models.api.options import TRANSPORT_OPTIONS, OpenAIOptions
from mmbench.models.api.pool import as_completed
from mmbench.models.base import ModelAdapter
from mmbench.types import Capability, GenerationConfig

K = TypeVar("K")
#: seconds the preflight's one request may take (connect and read): the whole check stays under 10 s
CHECK_TIMEOUT_S = 4.0


class OpenAIAdapter(ModelAdapter):
    """A served model behind an OpenAI-compatible chat-completions API (generation only)."""

    adapter_name = "openai"
    prompt_style = "instruction"
    options_class = OpenAIOptions
    #: the runner streams answers into the store one by one (:meth:`answer_stream`)
    streams_answers: ClassVar[bool] = True
    #: the model runs elsewhere: this machine's cores encode images (DataLoader workers as for a GPU)
    remote: ClassVar[bool] = True
    _checked: ClassVar[set[tuple[str, str, str]]] = set()

    def __init__(self, served_model: str, options: OpenAIOptions) -> None:
        self.served_model = served_model
        self.options = options
        self.base_url = Endpoint.parse(options.resolved_base_url() or "").public
        self.stats = RequestStats()
        self.client = ChatClient(served_model, options, self.stats)
        self._last = threading.local()
        self.device, self.dtype = "cpu", "none"

    @classmethod
    def create(cls, location: str | None, *, device: str = "cpu", dtype: str = "float32", **model_args: Any) -> OpenAIAdapter:
        if not location:
            raise UserError("openai: needs the served model name, openai:<name> (e.g. openai:Qwen/Qwen2-VL-7B-Instruct)")
        options = OpenAIOptions.parse(model_args, device=device, dtype=dtype)
        options.resolved_base_url()  # a UserError naming both ways to give it
        return cls(location, options)

    @classmethod
    def class_capabilities(cls) -> frozenset[Capability]:
        return frozenset({Capability.GENERATE})

    # ---- preflight ---------------------------------------------------------------------------------
    @classmethod
    def endpoint_problems(cls, location: str | None, model_args: dict[str, Any]) -> list[str]:
        """One ``GET {base_url}/models`` without retries: the endpoint answers, accepts the key and
        serves ``location``. One line per problem, naming the URL and the fix; [] when all is well."""
        if not location:
            return ["openai: needs the served model name, openai:<name>"]
        try:
            options = OpenAIOptions.parse(model_args)
            url = options.resolved_base_url() or ""
        except UserError as e:
            return [str(e)]
        endpoint = Endpoint.parse(url)
        memo = (url, location, options.api_key_env)
        if memo in cls._checked:
            return []
        key = options.api_key()
        where = f"{endpoint.public}/models"
        headers = {"Accept": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
        conn = Connection(endpoint, min(CHECK_TIMEOUT_S, options.timeout))
        try:
            response = conn.send("GET", "/models", None, headers)
            body = conn.read(response)
            check_status(response.status, response.headers, body)
            served = [str(m.get("id")) for m in parse_json(body).get("data", []) if isinstance(m, dict)]
        except Retryable as e:
            return [scrub(f"openai: cannot reach {where} ({e}); start the server or fix --model-arg base_url "
                          f"(or $OPENAI_BASE_URL)", key)]
        except RequestFailed as e:
            return [scrub(_refusal(where, e.status, e.server_message, options.api_key_env, key is not None), key)]
        except (AttributeError, TypeError):
            return [f"openai: {where} did not answer with a model list; base_url must be the API root (ending in /v1)"]
        finally:
            conn.close()
        if location not in served:
            shown = ", ".join(served[:10]) + (" ..." if len(served) > 10 else "")
            return [f"openai: {endpoint.public} serves no model named {location!r} (it serves: {shown or 'none'}); "
                    f"use --model openai:<one of those>"]
        cls._checked.add(memo)
        return []

    # ---- inputs ------------------------------------------------------------------------------------
    def image_transform(self) -> DataURLEncoder:
        o = self.options
        return DataURLEncoder(o.image_format, o.jpeg_quality, o.max_image_side)

    def collate_images(self, items: list[Any]) -> list[Any]:
        return list(items)

    # ---- generation --------------------------------------------------------------------------------
    def generate(self, conversations: list[Any], cfg: GenerationConfig) -> list[str]:
        """One answer per conversation, ``concurrency`` requests in flight (one conversation: on
        this thread, which then remembers its :class:`Answer` for :meth:`last_answer`). A request
        the server refuses raises :class:`RequestRefused`; one still failing after every retry
        raises :class:`EndpointFailed`."""
        if len(conversations) == 1:
            answer = self._complete(conversations[0], cfg.max_new_tokens)
            self._last.answer = answer
            return [answer.text]
        answers: dict[int, str] = {}
        for index, outcome in self.answer_stream(enumerate(conversations), cfg):
            if isinstance(outcome, BaseException):
                raise _as_user_error(outcome, f"conversation {index}")
            answers[index] = outcome.text
        return [answers[i] for i in range(len(conversations))]

    def _complete(self, conversation: Any, max_tokens: int) -> Answer:
        try:
            return self.client.complete(conversation, max_tokens)
        except (RequestFailed, Retryable) as error:
            raise _as_user_error(error, "this request") from None

    def last_answer(self) -> Answer | None:
        """The last answer this thread received from a one-conversation :meth:`generate` (its
        :meth:`Answer.record` is kept per sample; its TTFT/TPOT go to the timing)."""
        return getattr(self._last, "answer", None)

    @property
    def concurrency(self) -> int:
        return self.options.concurrency

    def answer_stream(self, keyed: Iterable[tuple[K, Any]], cfg: GenerationConfig) -> Iterator[tuple[K, Answer | Exception]]:
        """``(key, Answer)`` per ``(key, conversation)``, in the order answers arrive, with
        ``concurrency`` requests in flight; a request that failed for good gives ``(key, error)``
        (RequestFailed: refused; Retryable: retries used up) and the caller decides."""
        max_tokens = cfg.max_new_tokens

        def work(pair: tuple[K, Any]) -> Answer:
            return self.client.complete(pair[1], max_tokens)

        for (key, _), answer, error in as_completed(keyed, work, self.options.concurrency):
            if error is not None and not isinstance(error, (RequestFailed, Retryable)):
                raise error
            yield key, (error if error is not None else answer)  # type: ignore[misc]

    # ---- identity ----------------------------------------------------------------------------------
    def identity(self) -> dict[str, Any]:
        return {"served_model": self.served_model, "base_url": self.base_url, "request": self.options.request_settings()}

    def weights_digest(self) -> str:
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def fingerprint(self) -> str:
        return f"openai-{self.weights_digest()}"

    @property
    def num_parameters(self) -> int | None:
        return None

    def store_model_args(self, model_args: dict[str, Any]) -> dict[str, Any]:
        """The ``--model-arg`` values in the store key: the request settings only (the base URL
        is in :meth:`describe`, without credentials)."""
        return {k: v for k, v in model_args.items() if k not in TRANSPORT_OPTIONS}

    def public_model_args(self, model_args: dict[str, Any]) -> dict[str, Any]:
        """The ``--model-arg`` values a result records: the base URL without credentials or query."""
        return {k: (self.base_url if k == "base_url" else v) for k, v in model_args.items()}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), **self.identity(), "device": "remote"}

    def request_summary(self) -> dict[str, Any]:
        """The request statistics since the last call (one run's), then counting starts afresh."""
        summary = self.stats.summary(self.options.price_in, self.options.price_out)
        self.stats = self.client.stats = RequestStats()
        return summary


class RequestRefused(UserError):
    """The server refused a request (a 4xx other than 429): ``--on-error skip`` skips its sample."""

    skippable = True


class EndpointFailed(UserError):
    """A request still failed after every retry: the run stops."""


def _as_user_error(error: BaseException, what: str) -> UserError:
    if isinstance(error, RequestFailed):
        return RequestRefused(f"the server refused {what}: {error}")
    return EndpointFailed(f"{what} failed after every retry: {error}; check the server, or raise max_retries / timeout")


def _refusal(where: str, status: int, message: str, key_env: str, key_set: bool) -> str:
    if status in (401, 403):
        fix = (f"the key in ${key_env} was refused; set the right key there" if key_set
               else f"${key_env} is not set; export the endpoint's API key there (or name another variable with api_key_env)")
        return f"openai: {where} answered HTTP {status} ({message}): {fix}"
    if status == 404:
        return f"openai: {where} answered HTTP 404: base_url must be the API root, usually ending in /v1"
    return f"openai: {where} answered HTTP {status} ({message}); check --model-arg base_url"

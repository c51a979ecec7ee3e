"""Answers of a served model streamed into the prediction store one by one.

For adapters that set ``streams_answers`` (``openai:``), a generative stage is not run batch by
batch: :func:`stream_answers` takes the stage's items from the loader (images already encoded in
DataLoader workers) as fast as requests can be sent, keeps ``adapter.concurrency`` model calls of
one item each in flight on threads, and yields each item's outcome as it arrives, so the runner
commits every answer at once: a crash or Ctrl-C loses only the requests in flight. Each call is
the stage's own step on a batch of one, timed on its thread; the timer is fed on the caller's.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

from mmbench.engine.image_batches import model_batch, next_timed
from mmbench.models.api.pool import as_completed


def streams(adapter: Any, stage: Any) -> bool:
    return bool(getattr(adapter, "streams_answers", False)) and stage.generative


def stream_answers(stage: Any, batches: Any, adapter: Any, timer: Any) -> Iterator[tuple[int, Any, dict[str, Any] | None, BaseException | None]]:
    """``(item index, output, answer record, error)`` per item, in the order answers arrive;
    ``error`` is what the step raised (the runner fails or skips the item)."""

    def loaded_items() -> Iterator[tuple[int, Any]]:
        while (loaded := next_timed(batches, timer)) is not None:
            indices, inputs = loaded
            for position, index in enumerate(indices):
                yield index, inputs[position]

    def call(pair: tuple[int, Any]) -> tuple[Any, float, dict[str, Any] | None]:
        index, value = pair
        started = time.perf_counter()
        rows = list(stage.step(adapter, model_batch(stage, [value], adapter), [stage.items[index]]))
        if len(rows) != 1:
            raise RuntimeError(f"adapter {adapter.spec or adapter.adapter_name} returned {len(rows)} outputs for 1 input in stage {stage.name!r}")
        return rows[0], time.perf_counter() - started, adapter.last_answer()

    for (index, _), result, error in as_completed(loaded_items(), call, max(1, int(adapter.concurrency))):
        if error is not None:
            yield index, None, None, error
            continue
        output, seconds, answer = result
        timer.record(1, seconds, adapter.count_tokens([output]), clock=answer)  # an Answer has ttft_s / tpot_s
        yield index, output, answer.record() if answer is not None else None, None

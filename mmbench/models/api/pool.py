"""A bounded number of calls in flight, results yielded as they finish.

:func:`as_completed` runs ``work(item)`` on at most ``concurrency`` daemon threads, pulling the
next input only when a thread is free (so inputs produced lazily, e.g. by a DataLoader encoding
images in worker processes, are consumed at the pace the server answers), and yields
``(item, result, error)`` in completion order. The inputs are read on the caller's thread. When
the caller stops early (an error, Ctrl-C) no new call starts; calls in flight end on their own
(their threads are daemons, so they never keep the process alive).
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
_STOP = object()


def as_completed(items: Iterable[T], work: Callable[[T], Any], concurrency: int) -> Iterator[tuple[T, Any, BaseException | None]]:
    """Yield ``(item, work(item), None)`` or ``(item, None, error)`` for every item, as they finish."""
    tasks: queue.Queue[Any] = queue.Queue()
    results: queue.Queue[tuple[Any, Any, BaseException | None]] = queue.Queue()
    threads: list[threading.Thread] = []
    source = iter(items)
    in_flight = 0
    exhausted = False

    def worker() -> None:
        while (item := tasks.get()) is not _STOP:
            try:
                results.put((item, work(item), None))
            except BaseException as error:  # handed to the caller, which decides
                results.put((item, None, error))

    try:
        while True:
            while not exhausted and in_flight < concurrency:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                if len(threads) < concurrency and len(threads) <= in_flight:
                    thread = threading.Thread(target=worker, name=f"mmbench-request-{len(threads)}", daemon=True)
                    thread.start()
                    threads.append(thread)
                tasks.put(item)
                in_flight += 1
            if in_flight == 0:
                return
            done = results.get()
            in_flight -= 1
            yield done
    finally:
        while True:  # calls not started yet are dropped
            try:
                tasks.get_nowait()
            except queue.Empty:
                break
        for _ in threads:
            tasks.put(_STOP)

"""Data-parallel evaluation on torch.distributed: the process group, sharding, gathering, and
fail-fast teardown.

Launch with ``torchrun --nproc_per_node N -m mmbench run ...`` or ``accelerate launch -m mmbench
run ...`` (one or several nodes); both set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``. The backend is NCCL on CUDA devices, gloo otherwise. Each
rank computes a contiguous, non-overlapping share of the work not yet in the store; every rank
receives every output (later stages such as ITM re-ranking depend on all of them); rank 0 scores
and writes the one results file.

When a rank fails it records the cause in the rendezvous key-value store before it exits; every
other rank exits with status 1 naming the failing rank and the cause, either when its pending
collective breaks (gloo notices the closed connection) or when its watchdog thread, which polls
that key every :data:`WATCH_INTERVAL_S`, sees it; no rank waits for a collective's timeout. A
rank killed outright (SIGKILL, OOM) cannot record anything: the launcher (torchrun) then stops
the others.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Sequence, TypeVar

T = TypeVar("T")

FAILURE_KEY = "mmbench/failure"
WATCH_INTERVAL_S = 1.0
COLLECTIVE_TIMEOUT = timedelta(hours=2)  # a rank may wait this long for a slower one at a stage end


@dataclass(frozen=True)
class Group:
    """This process's place in the job; ``Group()`` is a single process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def all_gather(self, value: T) -> list[T]:
        """Every rank's ``value``, in rank order (a plain list on a single process)."""
        if self.world_size == 1:
            return [value]
        import torch.distributed as dist

        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def shard(self, indices: Sequence[int]) -> list[int]:
        """This rank's contiguous share of ``indices``; shares differ in size by at most one."""
        base, extra = divmod(len(indices), self.world_size)
        start = self.rank * base + min(self.rank, extra)
        return list(indices[start : start + base + (1 if self.rank < extra else 0)])


_GROUP = Group()
_STORE: Any = None


def current() -> Group:
    return _GROUP


def launched_distributed() -> bool:
    """True under torchrun / accelerate launch with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1) > 1


def rank_device(device: str, group: Group) -> str:
    """``cuda`` -> ``cuda:<local rank>`` in a multi-process job (each rank owns one GPU)."""
    if group.world_size > 1 and device == "cuda":
        return f"cuda:{group.local_rank}"
    return device


def init(device: str) -> Group:
    """Join the process group the launcher set up; start the failure watchdog. Idempotent."""
    global _GROUP, _STORE
    if _GROUP.world_size > 1 or not launched_distributed():
        return _GROUP
    import torch
    import torch.distributed as dist

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if device.startswith("cuda") else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend, timeout=COLLECTIVE_TIMEOUT)
    _GROUP = Group(rank, world, local_rank)
    _STORE = _failure_store(world)
    threading.Thread(target=_watch_for_failures, name="mmbench-failure-watchdog", daemon=True).start()
    return _GROUP


def _failure_store(world: int) -> Any:
    """A client of the launcher's key-value store (torchrun's agent hosts it at MASTER_ADDR:MASTER_PORT),
    else the process group's own store."""
    import torch.distributed as dist

    try:
        return dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world, is_master=False,
                             timeout=timedelta(seconds=30), wait_for_workers=False)
    except Exception:
        from torch.distributed import distributed_c10d

        return distributed_c10d._get_default_store()


def announce_failure(error: BaseException) -> None:
    """Tell the other ranks that this one failed (they exit); no-op on a single process."""
    if _STORE is None:
        return
    try:
        _STORE.set(FAILURE_KEY, f"{_GROUP.rank}|rank {_GROUP.rank} failed: {type(error).__name__}: {error}"[:2000])
    except Exception:  # the store is gone: the launcher is tearing the job down anyway
        pass


def failure_elsewhere() -> str | None:
    """The failure another rank announced ("rank F failed: <error>"), if any."""
    if _STORE is None:
        return None
    try:
        if not _STORE.check([FAILURE_KEY]):
            return None
        rank, _, cause = _STORE.get(FAILURE_KEY).decode("utf-8", "replace").partition("|")
    except Exception:  # the rendezvous store went away with the job
        return None
    return cause if rank != str(_GROUP.rank) else None


def stop_because_of(cause: str) -> None:
    """Exit this rank at once (status 1) naming the rank that failed; no collective teardown."""
    print(f"mmbench: error: rank {_GROUP.rank} of {_GROUP.world_size} stopped: {cause}", file=sys.stderr, flush=True)
    os._exit(1)


def error_prefix() -> str:
    """``rank R of W: `` in a multi-process job, else nothing (for one-line error messages)."""
    return f"rank {_GROUP.rank} of {_GROUP.world_size}: " if _GROUP.world_size > 1 else ""


def shutdown() -> None:
    global _GROUP, _STORE
    if _GROUP.world_size > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    _GROUP, _STORE = Group(), None


def _watch_for_failures() -> None:
    import time

    while _STORE is not None:
        cause = failure_elsewhere()
        if cause is not None:
            stop_because_of(cause)
        time.sleep(WATCH_INTERVAL_S)

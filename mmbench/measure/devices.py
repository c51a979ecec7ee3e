"""Which device a run uses (``--device auto``) and how batches get there.

``auto`` (the default) picks CUDA when this torch build and machine have it, else Apple's MPS,
else the CPU. The choice is printed once on stderr and recorded in the results (``timing.device``
and ``config.device``). On CUDA, input batches are copied from pinned host memory without
blocking the host, so the copy overlaps the host's work on the next batch.
"""

from __future__ import annotations

import sys
from typing import Any

AUTO = "auto"
_announced: set[str] = set()


def resolve_device(requested: str) -> str:
    """``auto`` -> "cuda", "mps" or "cpu", whichever this machine has first; anything else as given."""
    if requested != AUTO:
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def announce_device(requested: str, resolved: str) -> None:
    """One stderr line per process saying what ``--device auto`` chose."""
    if requested == AUTO and resolved not in _announced:
        _announced.add(resolved)
        print(f"device: {resolved} ({device_label(resolved)}; --device auto)", file=sys.stderr)


def device_label(device: str) -> str:
    """The card's name on CUDA, else the CPU model (or the machine type when unknown)."""
    if device.startswith("cuda"):
        import torch

        return str(torch.cuda.get_device_name(torch.device(device)))
    if device.startswith("mps"):
        return "Apple GPU (MPS)"
    return cpu_model_name()


def cpu_model_name() -> str:
    """"AMD EPYC 7B13" rather than "x86_64": /proc/cpuinfo on Linux, sysctl on macOS, else platform."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5)
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown CPU"


def to_device(batch: Any, device: str) -> Any:
    """A collated batch on ``device``: on CUDA a tensor goes through pinned memory, non-blocking;
    anything else (CPU runs, lists of images for a processor) is returned as it is."""
    if not device.startswith("cuda") or not hasattr(batch, "pin_memory"):
        return batch
    return batch.pin_memory().to(device, non_blocking=True)

"""Will the checkpoint's weights fit? An estimate made before any weights load, from the files alone.

:func:`weights_bytes` estimates the memory a checkpoint's weights take in the dtype the run asks
for (bytes, no torch import):

- ``model.safetensors`` (and every shard of a sharded checkpoint, when all are present): the
  safetensors headers list each tensor's dtype and shape; floating tensors take the run's dtype
  (transformers casts them on load), others (quantized integers) keep their size;
- a sharded checkpoint whose shards are not all here: the index's ``metadata.total_size``
  (stored bytes), scaled from the dtype config.json records (``dtype`` / ``torch_dtype``; float32
  when it records none, which can only underestimate) to the run's;
- ``pytorch_model.bin``: the file's size, scaled the same way.

:func:`memory_problem` compares the estimate with the free memory of where the weights go
(:func:`free_memory`: the GPU's free memory for ``cuda[:N]``, the available RAM for the CPU and
Apple's unified memory, the sum over every visible GPU and the CPU for ``device_map=auto``) and
returns one line naming the need, the free memory and the fixes, or None. The free-memory source is
a parameter, so tests can stand in for a device they do not have.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmbench.jsonio import read_json

GIB = 2**30
#: bytes per element of the run's dtype names (``--dtype``)
RUN_DTYPE_BYTES = {"float32": 4, "fp32": 4, "float16": 2, "fp16": 2, "bfloat16": 2, "bf16": 2}
#: bytes per element of safetensors' dtype codes
_SAFETENSORS_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I64": 8, "I32": 4, "I16": 2,
                      "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1}
_FLOATING = {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"}
#: config.json dtype names -> bytes per element
_CONFIG_DTYPE_BYTES = {"float32": 4, "float": 4, "float64": 8, "double": 8, "float16": 2, "half": 2, "bfloat16": 2}

#: (where, free bytes) for each place the weights may go
FreeMemory = Callable[[str, "str | None"], list[tuple[str, int]]]


def weights_bytes(checkpoint: Path, dtype: str) -> tuple[int, str] | None:
    """(estimated bytes of the weights in ``dtype``, what the estimate was read from), or None when the
    checkpoint has no weight files this can read."""
    per_element = RUN_DTYPE_BYTES[dtype]
    single = checkpoint / "model.safetensors"
    if single.is_file():
        return _from_headers([single], per_element), "model.safetensors header"
    index = checkpoint / "model.safetensors.index.json"
    if index.is_file():
        data = read_json(index)
        shards = sorted(set((data.get("weight_map") or {}).values())) if isinstance(data, dict) else []
        if shards and all((checkpoint / shard).is_file() for shard in shards):
            return _from_headers([checkpoint / shard for shard in shards], per_element), f"headers of {len(shards)} shards"
        total = (data.get("metadata") or {}).get("total_size") if isinstance(data, dict) else None
        if isinstance(total, (int, float)) and total > 0:
            return int(total * per_element / _stored_bytes(checkpoint)), "model.safetensors.index.json metadata.total_size"
        return None
    pickled = checkpoint / "pytorch_model.bin"
    if pickled.is_file():
        return int(pickled.stat().st_size * per_element / _stored_bytes(checkpoint)), "pytorch_model.bin size"
    return None


def _from_headers(files: list[Path], per_element: int) -> int:
    total = 0
    for path in files:
        for name, entry in _header(path).items():
            if name == "__metadata__" or not isinstance(entry, dict):
                continue
            count = 1
            for size in entry.get("shape", []):
                count *= int(size)
            code = str(entry.get("dtype", "F32"))
            total += count * (per_element if code in _FLOATING else _SAFETENSORS_BYTES.get(code, 4))
    return total


def _header(path: Path) -> dict[str, Any]:
    """A safetensors file's JSON header: 8 bytes of little-endian length, then the JSON."""
    with path.open("rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    return header if isinstance(header, dict) else {}


def _stored_bytes(checkpoint: Path) -> int:
    """Bytes per element of the stored floating weights, as config.json records them (4 when it does not)."""
    try:
        config = read_json(checkpoint / "config.json")
    except Exception:  # noqa: BLE001  (no or unreadable config: the conservative guess)
        return 4
    sections = [config] + [v for v in config.values() if isinstance(v, dict)] if isinstance(config, dict) else []
    for section in sections:
        name = section.get("dtype") or section.get("torch_dtype")
        if isinstance(name, str) and name.removeprefix("torch.") in _CONFIG_DTYPE_BYTES:
            return _CONFIG_DTYPE_BYTES[name.removeprefix("torch.")]
    return 4


# ---- free memory ----------------------------------------------------------------------------------
def available_ram() -> int | None:
    """Bytes of RAM available without swapping: Linux's MemAvailable, else the free pages (None when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def free_memory(device: str, device_map: str | None) -> list[tuple[str, int]]:
    """(where, free bytes) of every place the weights may go on ``device`` (with ``device_map``, all
    visible GPUs and the CPU). Imports torch only for a CUDA device or a device map."""
    ram = available_ram()
    cpu = [("CPU RAM", ram)] if ram is not None else []
    if device_map is None and not device.startswith("cuda"):
        return cpu  # the CPU, and Apple's unified memory
    import torch

    if not torch.cuda.is_available():
        return cpu
    if device_map is not None:
        gpus = [(f"cuda:{i}", int(torch.cuda.mem_get_info(i)[0])) for i in range(torch.cuda.device_count())]
        return gpus + cpu
    index = torch.device(device).index
    index = torch.cuda.current_device() if index is None else index
    return [(f"cuda:{index}", int(torch.cuda.mem_get_info(index)[0]))]


def memory_problem(checkpoint: Path, dtype: str, device: str, device_map: str | None = None, *,
                   free: FreeMemory = free_memory) -> str | None:
    """One line when the weights will not fit where they go (need, free memory, fixes), else None.
    None too when either side is unknown: the check never refuses on a guess."""
    estimate = weights_bytes(checkpoint, dtype)
    places = free(device, device_map)
    if estimate is None or not places:
        return None
    need, source = estimate
    available = sum(size for _, size in places)
    if need <= available:
        return None
    where = " + ".join(f"{name} {size / GIB:.1f} GiB" for name, size in places)
    fixes = []
    if RUN_DTYPE_BYTES[dtype] > 2:
        fixes.append("--dtype bf16 (half the memory of fp32)")
    if device_map is None:
        fixes.append("--model-arg device_map=auto (spread the weights over every GPU and the CPU)")
    fixes += ["a smaller checkpoint", "a smaller --batch-size once the weights fit"]
    return (f"{checkpoint}: the weights need about {need / GIB:.1f} GiB in {dtype} (from the {source}) but only "
            f"{available / GIB:.1f} GiB is free ({where}); try {', '.join(fixes)}; "
            f"--model-arg check_memory=false skips this check")

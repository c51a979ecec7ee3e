"""Peak numbers of common accelerators, for model FLOP utilisation (MFU) and bandwidth use.

Dense (no structured sparsity) FP16/BF16 tensor-core TFLOP/s with FP32 accumulation, and memory
bandwidth in GB/s, from each card's NVIDIA datasheet (docs/performance.md lists the documents).
Datasheets print the sparse figure with an asterisk; the dense one is half of it. A card that is
not in the table gets ``None`` (MFU is then ``null`` in the results), never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Accelerator:
    name: str
    pattern: str  # regular expression on torch.cuda.get_device_name()
    dense_fp16_tflops: float
    memory_gbs: float
    source: str


# most specific first: "H100 PCIe" before "H100", "L40S" before "L4"
ACCELERATORS = (
    Accelerator("H200 NVL", r"\bH200\b.*\bNVL\b", 835.5, 4800, "NVIDIA H200 datasheet (H200 NVL: 1,671 TFLOPS FP16/BF16 with sparsity)"),
    Accelerator("H200 SXM", r"\bH200\b", 989.5, 4800, "NVIDIA H200 datasheet (H200 SXM: 1,979 TFLOPS FP16/BF16 with sparsity, 4.8 TB/s)"),
    Accelerator("H100 NVL", r"\bH100\b.*\bNVL\b", 835.5, 3900, "NVIDIA H100 datasheet (H100 NVL: 1,671 TFLOPS with sparsity, 3.9 TB/s)"),
    Accelerator("H100 PCIe", r"\bH100\b.*\bPCIe\b", 756.5, 2000, "NVIDIA H100 datasheet (H100 PCIe: 1,513 TFLOPS with sparsity, 2 TB/s)"),
    Accelerator("H100 SXM", r"\bH100\b", 989.5, 3350, "NVIDIA H100 datasheet (H100 SXM: 1,979 TFLOPS FP16/BF16 with sparsity, 3.35 TB/s)"),
    Accelerator("A100 40GB", r"\bA100\b.*\b40GB\b", 312.0, 1555, "NVIDIA A100 datasheet (312 TFLOPS FP16/BF16 dense; 40GB: 1,555 GB/s)"),
    Accelerator("A100 80GB PCIe", r"\bA100\b.*\bPCIe\b", 312.0, 1935, "NVIDIA A100 datasheet (312 TFLOPS dense; 80GB PCIe: 1,935 GB/s)"),
    Accelerator("A100 80GB SXM", r"\bA100\b", 312.0, 2039, "NVIDIA A100 datasheet (312 TFLOPS dense; 80GB SXM: 2,039 GB/s)"),
    Accelerator("L40S", r"\bL40S\b", 362.05, 864, "NVIDIA L40S datasheet (362.05 TFLOPS BF16/FP16 dense, 733 with sparsity; 864 GB/s)"),
    Accelerator("L4", r"\bL4\b", 121.0, 300, "NVIDIA L4 datasheet (242 TFLOPS FP16/BF16 with sparsity; 300 GB/s)"),
    Accelerator("RTX 4090", r"\bRTX 4090\b", 165.2, 1008,
                "NVIDIA Ada Lovelace architecture whitepaper, GeForce RTX 4090 (165.2 TFLOPS FP16 tensor, FP32 accumulate, dense; 1,008 GB/s)"),
)

HALF_PRECISION = frozenset({"float16", "fp16", "bfloat16", "bf16"})


def find_accelerator(device_name: str) -> Accelerator | None:
    """The table's entry for a CUDA device name ("NVIDIA H100 80GB HBM3"), or None."""
    for accelerator in ACCELERATORS:
        if re.search(accelerator.pattern, device_name, flags=re.IGNORECASE):
            return accelerator
    return None


def peak_tflops(device: str, device_name: str, dtype: str) -> float | None:
    """Dense FP16/BF16 peak of this CUDA card for a half-precision run; None otherwise."""
    if not device.startswith("cuda") or dtype not in HALF_PRECISION:
        return None
    accelerator = find_accelerator(device_name)
    return accelerator.dense_fp16_tflops if accelerator else None

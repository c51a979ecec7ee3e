#!/usr/bin/env bash
# One-shot GPU benchmark (installs nothing): real-size architectures with random weights,
# hf: vs built-in adapters, through mmbench's runner. Prints a Markdown table; JSON in $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" HF_HUB_OFFLINE=1 MMBENCH_CACHE=/tmp/mmbench-cache PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 benchmarks/gpu_bench.py --out "${OUT:-/tmp/gpu-bench}" --budget-s "${BUDGET_S:-400}" "$@"

#!/usr/bin/env bash
# One-shot GPU benchmark (installs nothing), under 8 minutes on one H100/H200:
#  1. gpu_bench.py: real-size architectures with random weights, hf: vs built-in adapters, through
#     mmbench's runner (time-budgeted by BUDGET_S, default 300 s);
#  2. gpu_ceiling.py: harness vs bare loop and MFU for CLIP ViT-B/32 and ViT-L/14 towers in fp16/bf16,
#     and a LLaVA-1.5-7B-shaped decoder's prefill/decode tokens/s, TTFT, TPOT and memory bandwidth.
# Prints Markdown tables; JSON in $OUT. `bash benchmarks/gpu.sh --smoke` checks the plumbing on a CPU.
# Every script runs even when an earlier one failed; the exit status is non-zero when any failed
# (the failed ones are named at the end), so a broken measurement never passes as a finished one.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" HF_HUB_OFFLINE=1 MMBENCH_CACHE="${MMBENCH_CACHE:-/tmp/mmbench-cache}" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
OUT="${OUT:-/tmp/gpu-bench}"
smoke=()
for arg in "$@"; do [[ "$arg" == "--smoke" ]] && smoke=(--smoke); done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
start=$SECONDS
failed=()
step() {  # step SCRIPT ARGS...: run one script, remember it when it fails
  local script=$1 status=0
  python3 "$@" || status=$?
  [ "$status" -eq 0 ] || failed+=("$(basename "$script") (exit $status)")
}
step benchmarks/gpu_bench.py --out "$OUT" --budget-s "${BUDGET_S:-300}" "$@"
step benchmarks/gpu_ceiling.py --out "$OUT" "${smoke[@]}"
echo "gpu.sh finished in $((SECONDS - start)) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "gpu.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi

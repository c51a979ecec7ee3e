#!/bin/bash
# A sweep fanned out on Slurm: one array job per (model, task) pair, results gathered from a
# shared folder by `mmbench leaderboard`.
#
#   sbatch --array=0-5 docs/slurm_sweep.sh       # 6 = number of MODELS x number of TASKS
#   mmbench leaderboard "$SHARED/results" --format html -o leaderboard.html   # when they are done
#
# Every job needs the same data root (--data-dir) and writes its results file into the same
# shared results folder. The prediction store is per node: it lives on node-local scratch while
# the job runs (SQLite's locking does not hold on network file systems) and is copied to shared
# storage when the job ends or is pre-empted (Slurm sends SIGTERM first, see --signal), so a
# requeued job resumes from it on whatever node it lands on.
#SBATCH --job-name=mmbench-sweep
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --mem=64G
#SBATCH --time=08:00:00
#SBATCH --requeue
#SBATCH --signal=B:TERM@120
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail

SHARED=${SHARED:-/shared/mmbench}          # on every node: data/, results/, stores/
MODELS=(hf:openai/clip-vit-base-patch32 hf:Salesforce/blip-itm-base-coco)
TASKS=(flickr30k_retrieval coco5k_retrieval imagenet_zeroshot)

MODEL=${MODELS[$((SLURM_ARRAY_TASK_ID / ${#TASKS[@]}))]}
TASK=${TASKS[$((SLURM_ARRAY_TASK_ID % ${#TASKS[@]}))]}
PAIR=$(echo "${MODEL}__${TASK}" | tr -c 'A-Za-z0-9._\n-' '-')
KEPT="$SHARED/stores/$PAIR.sqlite"                    # survives the job
LOCAL="${TMPDIR:-/tmp}/mmbench-$SLURM_JOB_ID/predictions.sqlite"
mkdir -p "$(dirname "$LOCAL")" "$SHARED/stores" "$SHARED/results" logs

# SQLite's online backup: a consistent copy even of a store that is being written
copy_store() { python -c 'import sqlite3, sys; s = sqlite3.connect(sys.argv[1]); d = sqlite3.connect(sys.argv[2]); s.backup(d); d.close(); s.close()' "$1" "$2"; }
[ -f "$KEPT" ] && copy_store "$KEPT" "$LOCAL"
save() { [ -f "$LOCAL" ] && copy_store "$LOCAL" "$KEPT.tmp" && mv "$KEPT.tmp" "$KEPT"; }
trap save EXIT
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; save; scontrol requeue "$SLURM_JOB_ID"; exit 0' TERM

# One GPU per job here; for several GPUs per pair use `torchrun --standalone --nproc_per_node N -m mmbench run ...`.
mmbench run --model "$MODEL" --task "$TASK" --device cuda --dtype fp16 \
    --data-dir "$SHARED/data" --output-dir "$SHARED/results" --store "$LOCAL" &
child=$!
wait "$child"

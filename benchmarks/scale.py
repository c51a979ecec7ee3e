"""The three figures of long-run support, each measured side by side in one invocation:

    python benchmarks/scale.py store-overhead [--pairs 7] [--predict-only]   # the demo's runs with and without the store
    python benchmarks/scale.py resume                       # shapes_caption: uninterrupted vs resumed after a kill at 50 %
    python benchmarks/scale.py processes [--pairs 3]        # shapes_retrieval: 1 process vs torchrun with 2 (gloo)

Contenders alternate in order (A B, B A, ...); the median of the pairs is printed with the ratio.
store-overhead also gives each pair's ratio (with / without, the same pair's two runs), their
interquartile range and the verdict against "within 5 %" (``benchmarks/pairs.py``: "met" only when
the whole IQR of at least 7 pairs is under 1.05).
Results go to benchmarks/results/scale_<figure>.json (no machine paths). Wall times of whole
commands include process start-up (about 7 s of imports) and scoring, as a user waits for them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pairs import MIN_PAIRS, verdict, verdict_line  # noqa: E402

STORE_TARGET = 1.05  # the store costs at most 5 % of a run
DEMO_PLAN = (("shapes_zeroshot", "shapes-clip"), ("shapes_retrieval", "shapes-clip"),
             ("shapes_caption", "shapes-blip-caption"), ("shapes_vqa", "shapes-blip-vqa"))


def cli(*args: str, env: dict[str, str] | None = None, launcher: tuple[str, ...] = ()) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([*launcher, "-m", "mmbench", *args] if launcher else [sys.executable, "-m", "mmbench", *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - started, done


def alternate(pairs: int, first: Callable[[], float], second: Callable[[], float]) -> tuple[list[float], list[float]]:
    a, b = [], []
    for i in range(pairs):
        if i % 2 == 0:
            a.append(first())
            b.append(second())
        else:
            b.append(second())
            a.append(first())
    return a, b


def store_overhead(pairs: int, score: bool = True) -> dict[str, object]:
    """The demo's four (task, model) runs in one process each way (scoring included unless
    ``--predict-only``); the store variant writes every prediction to a new, empty store (nothing
    is reused)."""
    import mmbench
    from mmbench.models.spec import load_model
    from mmbench.types import RunConfig

    models = {spec: load_model(spec) for _, spec in DEMO_PLAN}
    tmp = Path(tempfile.mkdtemp())

    def demo(store: bool) -> float:
        path = tmp / f"store-{time.perf_counter_ns()}.sqlite" if store else None
        started = time.perf_counter()
        for task, spec in DEMO_PLAN:
            mmbench.evaluate(task, models[spec], RunConfig(output_dir=None, store=path, progress=False, score=score))
        return time.perf_counter() - started

    demo(False)  # warm-up: data generation, METEOR start-up, page cache
    without, with_store = alternate(pairs, lambda: demo(False), lambda: demo(True))
    ratios = [w / wo for w, wo in zip(with_store, without)]  # per pair: its two runs saw the same load
    result: dict[str, object] = {"without_store_s": without, "with_store_s": with_store,
                                 "median_without_s": statistics.median(without), "median_with_s": statistics.median(with_store),
                                 "ratio_with_over_without": statistics.median(with_store) / statistics.median(without),
                                 "load_average_after": os.getloadavg()[0]}
    if len(ratios) >= 2:
        result["pairs"] = verdict(ratios, STORE_TARGET)
        print(verdict_line(result["pairs"], "store overhead, with / without"))  # type: ignore[arg-type]
    return result


def resume() -> dict[str, object]:
    """shapes_caption with shapes-blip-caption, 10 batches of 30: killed just before the 6th commit
    (150 of 300 captions stored), then the same command again; against an uninterrupted run."""
    tmp = Path(tempfile.mkdtemp())
    common = ["run", "--task", "shapes_caption", "--model", "shapes-blip-caption", "--batch-size", "30", "--no-write"]
    full_s, full = cli(*common, "--store", str(tmp / "full.sqlite"))
    killed_s, killed = cli(*common, "--store", str(tmp / "killed.sqlite"), env={"MMBENCH_CRASH_AT": "commit:5"})
    resumed_s, resumed = cli(*common, "--store", str(tmp / "killed.sqlite"))
    if full.returncode or resumed.returncode or killed.returncode != -9:
        raise SystemExit(f"unexpected exit statuses {full.returncode} {killed.returncode} {resumed.returncode}:\n{resumed.stderr}")
    line = next(x for x in resumed.stderr.splitlines() if x.startswith("resuming:"))
    return {"uninterrupted_s": full_s, "killed_after_s": killed_s, "resumed_s": resumed_s, "resume_line": line,
            "ratio_resumed_over_uninterrupted": resumed_s / full_s}


def processes(pairs: int) -> dict[str, object]:
    common = ("run", "--task", "shapes_retrieval", "--model", "shapes-clip", "--no-store", "--no-write")
    torchrun = (sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")

    def one() -> float:
        seconds, done = cli(*common)
        assert done.returncode == 0, done.stderr
        return seconds

    def two() -> float:
        seconds, done = cli(*common, launcher=torchrun)
        assert done.returncode == 0, done.stderr
        return seconds

    single, double = alternate(pairs, one, two)
    return {"one_process_s": single, "two_processes_s": double, "median_one_s": statistics.median(single),
            "median_two_s": statistics.median(double), "ratio_two_over_one": statistics.median(double) / statistics.median(single)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figure", choices=["store-overhead", "resume", "processes"])
    parser.add_argument("--pairs", type=int, default=MIN_PAIRS, help=f"alternating pairs (default and verdict minimum: {MIN_PAIRS})")
    parser.add_argument("--predict-only", action="store_true", help="store-overhead: time prediction only, no scoring")
    args = parser.parse_args()
    figures = {"store-overhead": lambda: store_overhead(args.pairs, score=not args.predict_only), "resume": resume, "processes": lambda: processes(args.pairs)}
    result = {"figure": args.figure, "command": " ".join(["python", "benchmarks/scale.py", *sys.argv[1:]]), "cpus": os.cpu_count(),
              "machine": platform.machine(), **figures[args.figure]()}
    for key, value in result.items():
        print(f"{key:34s} {value:.3f}" if isinstance(value, float) else f"{key:34s} {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "_predict_only" if args.figure == "store-overhead" and args.predict_only else ""
    (RESULTS / f"scale_{args.figure.replace('-', '_')}{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

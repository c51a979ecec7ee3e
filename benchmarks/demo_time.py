"""How long `mmbench demo` takes, as the README states it: the first run (it generates the shapes
suite into an empty cache) and a warm run (suite cached), each a whole CLI process, imports included.

    python benchmarks/demo_time.py [--pairs 3]

Each pair uses a new, empty ``MMBENCH_CACHE``: the first run generates the suite there, the warm
run reuses it. The generation alone is also timed, in this process, in another empty cache: it is
what the first run adds, and (single-threaded, short) it is little moved by other jobs. The medians are printed and written to benchmarks/results/demo_time.json with the
CPU model, the core count, the load average before each run (a shared machine inflates wall
times) and each run's CPU time (user + system of the process and its children: what the work
costs, much less moved by other jobs). No machine paths are recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
COMMAND = ("demo", "--output-dir")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def demo(cache: Path, output: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, 1-minute load average before the run) of one `mmbench demo` process."""
    load = os.getloadavg()[0]
    cpu = children_cpu_s()
    env = {**os.environ, "MMBENCH_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mmbench", *COMMAND, str(output)], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"mmbench demo failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, children_cpu_s() - cpu, load


def generation_s(cache: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of generating the shapes test suite into an empty cache, in this process."""
    os.environ["MMBENCH_CACHE"] = str(cache)
    from mmbench.data.shapes import ensure_suite

    wall, cpu = time.perf_counter(), time.process_time()
    ensure_suite("test")
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    first, warm, first_cpu, warm_cpu, loads, generation, generation_cpu = [], [], [], [], [], [], []
    for _ in range(args.pairs):
        scratch = Path(tempfile.mkdtemp(prefix="mmbench-demo-time-"))
        try:
            seconds, cpu = generation_s(scratch / "generation-only")
            generation.append(seconds)
            generation_cpu.append(cpu)
            for times, cpu_times in ((first, first_cpu), (warm, warm_cpu)):
                seconds, cpu, load = demo(scratch / "cache", scratch / "results")
                times.append(seconds)
                cpu_times.append(cpu)
                loads.append(load)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    result = {
        "figure": "demo-time",
        "command": " ".join(["python", "benchmarks/demo_time.py", *sys.argv[1:]]),
        "cpu": cpu_model(), "cpus": os.cpu_count(),
        "first_run_s": first, "warm_run_s": warm, "load_average_before_each_run": loads,
        "first_run_cpu_s": first_cpu, "warm_run_cpu_s": warm_cpu,
        "median_first_s": statistics.median(first), "median_warm_s": statistics.median(warm),
        "ratio_first_over_warm": statistics.median(first) / statistics.median(warm),
        "median_first_cpu_s": statistics.median(first_cpu), "median_warm_cpu_s": statistics.median(warm_cpu),
        "min_first_s": min(first), "min_warm_s": min(warm),
        "generation_s": generation, "generation_cpu_s": generation_cpu, "median_generation_s": statistics.median(generation),
    }
    for key, value in result.items():
        print(f"{key:30s} {value:.1f}" if isinstance(value, float) else f"{key:30s} {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "demo_time.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Time spent inside the prediction store during the demo's predict-only runs, measured directly.

The differential figure (``scale.py store-overhead``: the same runs with and without the store)
cannot resolve a few percent on a 2-core machine whose pairs scatter by +-6 %. This script times
every call of the store's methods (open, context look-up and creation, get, put, close) inside the
demo's runs with a new, empty store, so the store's own cost is measured, not inferred:

    python benchmarks/store_time.py [--runs 7]

It prints each run and the medians, and writes benchmarks/results/store_time.json.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mmbench
from mmbench.engine import store as store_module
from mmbench.models.spec import load_model
from mmbench.types import RunConfig
from scale import DEMO_PLAN

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=7)
args = parser.parse_args()
models = {spec: load_model(spec) for _, spec in DEMO_PLAN}
spent = {"s": 0.0, "calls": 0}
cls = store_module.PredictionStore
for name in ("__init__", "context", "create_context", "get", "put", "close"):
    original = getattr(cls, name)
    def wrap(original=original):
        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent["s"] += time.perf_counter() - t
                spent["calls"] += 1
        return timed
    setattr(cls, name, wrap())
tmp = Path(tempfile.mkdtemp())
for task, spec in DEMO_PLAN:  # warm-up
    mmbench.evaluate(task, models[spec], RunConfig(output_dir=None, store=None, progress=False, score=False))
rows = []
for i in range(args.runs):
    spent.update(s=0.0, calls=0)
    started = time.perf_counter()
    for task, spec in DEMO_PLAN:
        mmbench.evaluate(task, models[spec], RunConfig(output_dir=None, store=tmp / f"s{i}.sqlite", progress=False, score=False))
    total = time.perf_counter() - started
    rows.append((spent["s"], total, spent["calls"]))
    print(f"run {i}: store {spent['s']*1000:.0f} ms in {spent['calls']} calls of a {total:.2f} s run ({100*spent['s']/total:.1f} %)")
print(f"median store time {statistics.median(r[0] for r in rows)*1000:.0f} ms, median share {statistics.median(100*r[0]/r[1] for r in rows):.1f} %")
result = {"command": f"python benchmarks/store_time.py --runs {args.runs}", "cpus": os.cpu_count(),
          "store_ms": [round(r[0] * 1000, 1) for r in rows], "run_s": [round(r[1], 3) for r in rows], "calls": rows[0][2],
          "median_store_ms": round(statistics.median(r[0] for r in rows) * 1000, 1),
          "median_share_percent": round(statistics.median(100 * r[0] / r[1] for r in rows), 2),
          "load_average_after": os.getloadavg()[0]}
out = Path(__file__).resolve().parent / "results" / "store_time.json"
out.write_text(json.dumps(result, indent=2) + "\n")

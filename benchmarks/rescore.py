"""Re-scoring from the prediction store: how long a changed metric option costs on shapes_vqa.

Runs shapes_vqa (all of its questions: 1,800 in shapes suite version 2) with the bundled shapes-blip-vqa model once into a fresh
store, then, in the same process with the model already loaded, re-evaluates with VQA
normalisation switched from "standard" to "official": every answer comes from the store, no
model call is made, and only reading the store and scoring cost time. Prints both times; the
target is a re-score under 2 s. Run it a few times: the figure is wall time on a shared machine.

    python benchmarks/rescore.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed re-scores (default: 3)")
    args = parser.parse_args()
    import mmbench
    from mmbench.models.spec import load_model
    from mmbench.tasks.spec import load_task_spec

    model = load_model("shapes-blip-vqa", device="cpu")
    spec = load_task_spec("shapes_vqa")
    official = dataclasses.replace(spec, metrics={**spec.metrics, "normalization": "official"})
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store.sqlite"
        start = time.perf_counter()
        first = mmbench.evaluate(spec, model, output_dir=None, store=store, progress=False)
        first_s = time.perf_counter() - start
        print(f"first run: {first.task['num_samples']} questions, {first.timing['items']} answers generated, {first_s:.2f} s")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            again = mmbench.evaluate(official, model, output_dir=None, store=store, progress=False)
            times.append(time.perf_counter() - start)
            assert again.timing["items"] == 0 and again.timing["from_store"] == first.task["num_samples"]
        print(f"re-score with normalization=official: {again.timing['from_store']} answers from the store, "
              f"0 generated; wall {', '.join(f'{t:.2f}' for t in times)} s (median {statistics.median(times):.2f} s, "
              f"metric time {again.timing['metric_s']:.3f} s); accuracy {first.metrics['accuracy']:.4f} -> "
              f"{again.metrics['accuracy']:.4f}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

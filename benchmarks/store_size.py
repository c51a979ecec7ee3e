"""Size of the prediction store per 10k outputs of each kind; writes benchmarks/results/store_size.json.

    python benchmarks/store_size.py

Outputs are written through ``PredictionStore.put`` in batches of 500, as a run commits them, then
the WAL is checkpointed and the database file measured. Deterministic content (seed 0).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mmbench.engine.store import PredictionStore

N = 10_000
RESULT = Path(__file__).resolve().parent / "results" / "store_size.json"


def kinds() -> dict[str, Callable[[int], Any]]:
    rng = np.random.default_rng(0)
    return {
        "vqa_answer_1_word": lambda i: "yes",
        "caption_10_words": lambda i: "a small red circle next to a large blue square on grey",
        "embedding_512d": lambda i: rng.standard_normal(512).astype(np.float32),
        "embedding_768d": lambda i: rng.standard_normal(768).astype(np.float32),
        "embedding_4096d": lambda i: rng.standard_normal(4096).astype(np.float32),
    }


def measure(make: Callable[[int], Any], folder: Path, name: str) -> float:
    path = folder / f"{name}.sqlite"
    store = PredictionStore(path)
    context = store.create_context({"benchmark": name})
    for start in range(0, N, 500):
        store.put(context, [(f"id:{i:06d}", make(i)) for i in range(start, start + 500)])
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path.stat().st_size / 2**20


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {name: round(measure(make, Path(tmp), name), 2) for name, make in kinds().items()}
    for name, mib in sizes.items():
        print(f"{name:20s} {mib:8.2f} MiB per {N} outputs")
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps({"outputs": N, "mib": sizes, "command": "python benchmarks/store_size.py"}, indent=2) + "\n")


if __name__ == "__main__":
    main()

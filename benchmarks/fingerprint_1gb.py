#!/usr/bin/env python
"""Time to fingerprint a 1 GB checkpoint: the full streamed SHA-256 (first run, cold cache) and
the cached lookup (later runs: one stat per file), median of several repeats.

    python benchmarks/fingerprint_1gb.py [--size-mb 1024] [--repeats 3]

Writes a checkpoint folder with a ``--size-mb`` random weight file to a temporary folder (deleted
afterwards). Prints seconds and GB/s; the cached run must not read the file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmbench.models.fingerprint import FileHashCache, checkpoint_digest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "checkpoint"
        folder.mkdir()
        (folder / "config.json").write_text("{}")
        chunk = os.urandom(1 << 20)
        with (folder / "model.safetensors").open("wb") as f:
            for _ in range(args.size_mb):
                f.write(chunk)
        full, cached = [], []
        for i in range(args.repeats):
            cache_file = Path(tmp) / f"cache{i}.json"  # a fresh cache each repeat: the first run hashes
            start = time.perf_counter()
            first = checkpoint_digest(folder, FileHashCache(cache_file))
            full.append(time.perf_counter() - start)
            start = time.perf_counter()
            again = checkpoint_digest(folder, FileHashCache(cache_file))  # a later run, as a new process would
            cached.append(time.perf_counter() - start)
            assert again == first
        gb = args.size_mb / 1024
        print(f"checkpoint of {args.size_mb} MiB, median of {args.repeats} repeats:")
        print(f"  full streamed SHA-256 (first run): {statistics.median(full):.2f} s ({gb / statistics.median(full):.2f} GiB/s)")
        print(f"  cached (path, size, mtime):        {statistics.median(cached) * 1000:.2f} ms")
        print(f"  ratio full / cached:               {statistics.median(full) / statistics.median(cached):.0f}x")


if __name__ == "__main__":
    main()

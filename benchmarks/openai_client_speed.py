"""Request rate of the ``openai:`` adapter against a minimal thread-pool client, side by side.

A local OpenAI-compatible server (:class:`mmbench.models.api.testserver.TestServer`, 127.0.0.1)
answers every chat completion after a fixed delay (200 ms by default). Both clients send the same
``--requests`` conversations (one 64x64 image as a PNG data URL, encoded beforehand as the
runner's DataLoader workers do, plus a question) with ``--concurrency`` requests in flight:

* ``openai``: ``OpenAIAdapter.generate`` (its bounded pool, retry loop, statistics, answer parsing);
* ``stdlib``: the minimal client a user would write: ``concurrent.futures.ThreadPoolExecutor``
  with one keep-alive ``http.client.HTTPConnection`` per thread, ``json.dumps`` / ``json.loads``.

Pairs alternate which side runs first. Each side's rate is requests / wall seconds; the ratio is
openai / stdlib. Prints every pair, then the median ratio and its spread (min, max), and writes
the same to ``--out`` as JSON.

    python benchmarks/openai_client_speed.py [--pairs 5] [--requests 320] [--concurrency 32] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import platform
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mmbench.models.api.adapter import OpenAIAdapter  # noqa: E402
from mmbench.models.api.testserver import TestServer  # noqa: E402
from mmbench.types import GenerationConfig  # noqa: E402

MODEL = "bench-model"
ANSWER = "a red circle"


def conversations(n: int) -> list[list[dict]]:
    from PIL import Image

    out = []
    for i in range(n):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), (i % 255, 80, 160)).save(buffer, format="PNG")
        url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        out.append([{"role": "user", "content": [{"type": "image", "image": url}, {"type": "text", "text": f"What is shown? ({i})"}]}])
    return out


def stdlib_bodies(convs: list[list[dict]]) -> list[bytes]:
    bodies = []
    for conv in convs:
        parts = conv[0]["content"]
        content = [{"type": "image_url", "image_url": {"url": parts[0]["image"]}}, {"type": "text", "text": parts[1]["text"]}]
        bodies.append(json.dumps({"model": MODEL, "messages": [{"role": "user", "content": content}],
                                  "max_tokens": 16, "temperature": 0}).encode())
    return bodies


def run_stdlib(base_url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[str]]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    local = threading.local()

    def send(body: bytes) -> str:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("POST", parts.path + "/chat/completions", body=body, headers={"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())["choices"][0]["message"]["content"]

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(send, bodies))
    return time.perf_counter() - start, answers


def run_openai(base_url: str, convs: list[list[dict]], concurrency: int) -> tuple[float, list[str]]:
    adapter = OpenAIAdapter.create(MODEL, base_url=base_url, concurrency=str(concurrency))
    start = time.perf_counter()
    answers = adapter.generate(convs, GenerationConfig(max_new_tokens=16))
    return time.perf_counter() - start, answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the server takes per answer")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    convs = conversations(args.requests)
    bodies = stdlib_bodies(convs)
    pairs = []
    with TestServer(lambda conversation, max_tokens: ANSWER, model=MODEL, delay_s=args.delay) as server:
        run_openai(server.base_url, convs[:args.concurrency], args.concurrency)  # warm-up (both sides share the server)
        run_stdlib(server.base_url, bodies[:args.concurrency], args.concurrency)
        for pair in range(args.pairs):
            order = ("openai", "stdlib") if pair % 2 == 0 else ("stdlib", "openai")
            rates = {}
            for side in order:
                wall, answers = (run_openai(server.base_url, convs, args.concurrency) if side == "openai"
                                 else run_stdlib(server.base_url, bodies, args.concurrency))
                assert answers == [ANSWER] * args.requests, f"{side} returned wrong answers"
                rates[side] = args.requests / wall
            ratio = rates["openai"] / rates["stdlib"]
            pairs.append({"first": order[0], "openai_requests_per_s": rates["openai"], "stdlib_requests_per_s": rates["stdlib"],
                          "ratio": ratio})
            print(f"pair {pair + 1} ({order[0]} first): openai {rates['openai']:.1f} req/s, stdlib {rates['stdlib']:.1f} req/s, "
                  f"ratio {ratio:.3f}", flush=True)
    ratios = [p["ratio"] for p in pairs]
    summary = {
        "benchmark": "openai_client_speed", "requests": args.requests, "concurrency": args.concurrency,
        "server_delay_s": args.delay, "ideal_requests_per_s": args.concurrency / args.delay,
        "pairs": pairs, "median_ratio": statistics.median(ratios), "min_ratio": min(ratios), "max_ratio": max(ratios),
        "median_openai_requests_per_s": statistics.median(p["openai_requests_per_s"] for p in pairs),
        "median_stdlib_requests_per_s": statistics.median(p["stdlib_requests_per_s"] for p in pairs),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
        "command": "python benchmarks/openai_client_speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    print(f"median ratio openai/stdlib {summary['median_ratio']:.3f} (min {summary['min_ratio']:.3f}, max {summary['max_ratio']:.3f}) "
          f"over {len(pairs)} pairs; median rates: openai {summary['median_openai_requests_per_s']:.1f} req/s, "
          f"stdlib {summary['median_stdlib_requests_per_s']:.1f} req/s (ideal {summary['ideal_requests_per_s']:.0f})")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

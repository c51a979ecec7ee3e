"""One checkpoint, two ways: in-process (``hf:``) against a serving engine (``openai:``), same task.

For users with a GPU and an engine (vLLM, SGLang, ...) serving the same checkpoint: runs the task
through both, each without the prediction store (every answer computed), and prints items/s of
each and the agreement of the answers (the fraction of samples whose two answers are equal after
stripping whitespace, and the ids of the first that differ). Greedy decoding on both sides; a few
differences are expected from the engine's kernels and batching (bf16 reductions in another order).

    python benchmarks/served_vs_local.py --local hf:Qwen/Qwen2-VL-7B-Instruct \\
        --served openai:Qwen/Qwen2-VL-7B-Instruct --base-url http://127.0.0.1:8000/v1 --task shapes_vqa --limit 500

``--test-server`` serves the local model itself on 127.0.0.1 through mmbench's test server (a CPU
smoke test of this script: the answers then agree exactly).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def compare(task: str, local: Any, served: Any, *, limit: int | None, batch_size: int | None = None) -> dict[str, Any]:
    """Both adapters on ``task`` (first ``limit`` samples): items/s each, and answer agreement."""
    from mmbench import evaluate

    outcome: dict[str, Any] = {"task": task, "limit": limit}
    predictions = {}
    for side, adapter in (("local", local), ("served", served)):
        start = time.perf_counter()
        result = evaluate(task, adapter, limit=limit, output_dir=None, store=None, batch_size=batch_size)
        wall = time.perf_counter() - start
        predictions[side] = {str(s["id"]): s.get("prediction") for s in result.samples}
        outcome[side] = {"spec": adapter.spec, "items": len(result.samples), "wall_s": wall,
                         "items_per_s": result.timing.get("items_per_s"), "metrics": result.metrics}
    ids = sorted(predictions["local"])
    differ = [i for i in ids if str(predictions["local"][i]).strip() != str(predictions["served"].get(i, "")).strip()]
    outcome["agreement"] = 1 - len(differ) / len(ids) if ids else None
    outcome["differing_ids"] = differ[:20]
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", required=True, help="in-process model spec, e.g. hf:Qwen/Qwen2-VL-7B-Instruct")
    parser.add_argument("--served", help="openai:<served model name> (default: openai:<the local spec's location>)")
    parser.add_argument("--base-url", help="the engine's API root, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--task", default="shapes_vqa")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None, help="the local side's batch size (default: the task's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--test-server", action="store_true", help="serve the local model on 127.0.0.1 (CPU smoke test)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    from mmbench.models.spec import load_model, parse_model_spec

    local = load_model(args.local, device=args.device, dtype=args.dtype)
    name = (args.served or "").partition(":")[2] or parse_model_spec(args.local)[1] or args.local
    server = None
    if args.test_server:
        from mmbench.models.api.testserver import TestServer, model_responder

        server = TestServer(model_responder(local), model=name).start()
    try:
        base_url = server.base_url if server is not None else args.base_url
        served = load_model(f"openai:{name}", base_url=base_url, concurrency=str(args.concurrency))
        outcome = compare(args.task, local, served, limit=args.limit, batch_size=args.batch_size)
    finally:
        if server is not None:
            server.stop()
    for side in ("local", "served"):
        print(f"{side:6s} {outcome[side]['spec']}: {outcome[side]['items']} items, {outcome[side]['wall_s']:.1f} s, "
              f"{outcome[side]['items_per_s'] or float('nan'):.2f} items/s")
    print(f"agreement {outcome['agreement']:.4f}" + (f"; first differing ids: {', '.join(outcome['differing_ids'])}" if outcome["differing_ids"] else ""))
    if args.out is not None:
        args.out.write_text(json.dumps(outcome, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The README's openai: client-speed figure is the committed benchmark output's."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_client_speed_matches_the_committed_result() -> None:
    result = json.loads((REPO / "benchmarks" / "results" / "openai_client_speed.json").read_text())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- openai-speed -->(.*?)<!-- /openai-speed -->", readme).group(1)
    ratios = [p["ratio"] for p in result["pairs"]]
    median = sorted(ratios)[len(ratios) // 2]  # an odd number of pairs: the middle one
    assert len(ratios) >= 5 and len(ratios) % 2 == 1
    assert {p["first"] for p in result["pairs"]} == {"openai", "stdlib"}  # the order alternated
    assert shown == (f"median ratio {median:.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}), "
                     f"{result['median_openai_requests_per_s']:.1f} vs {result['median_stdlib_requests_per_s']:.1f} requests/s")
    assert median >= 0.9  # the bar: at least 0.9x the minimal client's rate

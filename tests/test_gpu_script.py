"""benchmarks/gpu.sh fails (exit 1, naming the script) when a script inside it fails, and still
runs the others; it passes when all pass. Stand-in scripts, no GPU, no model."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, bench_exit: int) -> subprocess.CompletedProcess[str]:
    bench = tmp_path / "benchmarks"
    bench.mkdir()
    shutil.copy(REPO / "benchmarks" / "gpu.sh", bench / "gpu.sh")
    (bench / "gpu_bench.py").write_text(f"import sys\nprint('bench ran')\nsys.exit({bench_exit})\n")
    (bench / "gpu_ceiling.py").write_text("print('ceiling ran')\n")
    return subprocess.run(["bash", str(bench / "gpu.sh"), "--smoke"], capture_output=True, text=True, timeout=60,
                          env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "OUT": str(tmp_path / "out")})


@pytest.mark.parametrize("bench_exit", [0, 3])
def test_gpu_sh_exit_status_follows_its_scripts(tmp_path: Path, bench_exit: int) -> None:
    done = _run(tmp_path, bench_exit)
    assert "bench ran" in done.stdout and "ceiling ran" in done.stdout  # the second runs after a failed first
    if bench_exit:
        assert done.returncode == 1 and "gpu.sh: FAILED: gpu_bench.py (exit 3)" in done.stderr
    else:
        assert done.returncode == 0 and "FAILED" not in done.stderr

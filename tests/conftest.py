"""Test-suite wide settings: offline hubs, a private cache for the generated shapes suite, and
``mmbench_cli``: the installed ``mmbench`` console entry point run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping

import pytest

# Offline, always: nothing in the suite may reach a hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"


#: The variables naming the user's own mmbench folders, and the suite's folder each is pointed at
#: (under ``.pytest_cache/`` of the checkout): the cache (generated shapes suite, fingerprints), and
#: with it the default prediction store, and the data root.
ISOLATED = {"MMBENCH_CACHE": "mmbench-cache", "MMBENCH_DATA": "mmbench-data"}


def isolate_user_folders(root: Path) -> dict[str, str]:
    """Point every variable of :data:`ISOLATED` at the suite's own folder below ``root``, whatever the
    environment said (a user's ``MMBENCH_CACHE`` would otherwise receive the tests' tiny checkpoints
    and mock runs in its prediction store); returns the values set. Subprocesses inherit them."""
    chosen = {}
    for name, folder in ISOLATED.items():
        path = root / ".pytest_cache" / folder
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = chosen[name] = str(path)
    return chosen


def pytest_configure(config: pytest.Config) -> None:
    # One cache for the generated synthetic suite per test session, never the user's.
    isolate_user_folders(Path(config.rootpath))


def in_ci() -> bool:
    """True under CI (the ``CI`` variable set, as CI services and ``.ci/run`` do): there, a system
    tool the tests need is installed by ``.ci/run``, and its absence fails the tests that need it."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def require_tool(found: object, message: str) -> None:
    """Skip (outside CI) or fail (in CI) the test when ``found`` is falsy; ``message`` names the
    tool, what needs it and the install command."""
    if not found:
        if in_ci():
            pytest.fail(f"{message}; CI installs it (.ci/run), so its absence is a failure")
        pytest.skip(f"{message}; skipped outside CI")


@pytest.fixture
def java_runtime() -> str:
    """The ``java`` on PATH, for the caption-metric tests that run pycocoevalcap's Java programs."""
    from mmbench.metrics.captioning.java import find_java

    java = find_java()
    require_tool(java, "the caption-metric tests need a Java runtime on PATH, not found "
                       "(apt-get install -y default-jre-headless)")
    return str(java)


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return GOLDEN


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable


#: ``mmbench_cli(*args, cwd=None, env=None, cache=None, timeout=600) -> CompletedProcess``
MmbenchCli = Callable[..., "subprocess.CompletedProcess[str]"]


def installed_entry_point() -> str:
    """The ``mmbench`` console script of this Python's installation (``pip install -e .``)."""
    beside = Path(sys.executable).parent / "mmbench"
    found = str(beside) if beside.is_file() else shutil.which("mmbench")
    if found is None:
        pytest.fail("the mmbench console script is not installed: run `python3 -m pip install -e .` in the repository")
    return found


def cli_environment(cache: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: this repository first on PYTHONPATH (so the installed
    entry point runs this checkout's code), hubs offline, and ``cache`` as MMBENCH_CACHE (default:
    the session's cache, shared with the in-process tests)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(REPO)]])
    if cache is not None:
        env["MMBENCH_CACHE"] = str(cache)
    return {**env, **(extra or {})}


#: Runs the entry-point script in this interpreter and, when it exits, fails with status 97 if it
#: imported any of the named modules (e.g. torch for the light commands).
_IMPORT_GUARD = """\
import atexit, os, runpy, sys
program, forbidden = sys.argv[1], [name for name in sys.argv[2].split(",") if name]
def check():
    found = [name for name in forbidden if name in sys.modules]
    if found:
        sys.stdout.flush()
        print(f"test guard: the command imported {', '.join(found)}", file=sys.stderr, flush=True)
        os._exit(97)
atexit.register(check)
sys.argv = [program, *sys.argv[3:]]
runpy.run_path(program, run_name="__main__")
"""


@pytest.fixture(scope="session")
def mmbench_cli() -> MmbenchCli:
    """Run the installed ``mmbench`` entry point: ``mmbench_cli("run", "--task", ..., cwd=..., env={...},
    cache=tmp_path / "cache", forbid_imports=("torch",), timeout=...)`` returns the CompletedProcess
    (text stdout/stderr, never raising on a non-zero exit). ``env`` adds variables; ``cache`` gives
    the test its own MMBENCH_CACHE; ``forbid_imports`` makes the run exit 97 if the command imported
    one of those modules (the same script, started through this Python)."""
    program = installed_entry_point()

    def run(*args: str | os.PathLike[str], cwd: Path | None = None, env: Mapping[str, str] | None = None,
            cache: Path | None = None, forbid_imports: tuple[str, ...] = (), timeout: float = 600) -> subprocess.CompletedProcess[str]:
        argv = [program, *map(str, args)]
        if forbid_imports:
            argv = [sys.executable, "-c", _IMPORT_GUARD, program, ",".join(forbid_imports), *map(str, args)]
        return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=cli_environment(cache, env), timeout=timeout)

    return run


@pytest.fixture(scope="module")
def single_torch_thread():  # noqa: ANN201
    """Tiny models: thread start-up dominates and the CI machine is shared, so a module of tiny-model
    tests runs torch on one thread, restored afterwards (``pytestmark = pytest.mark.usefixtures(...)``)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""The environment section of a result: package versions, git sha, torch/CUDA. No hostname."""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("mmbench", "torch", "transformers", "numpy", "pycocoevalcap", "datasets", "pillow", "tokenizers")


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def git_sha() -> str | None:
    """The commit of the mmbench source tree, when it is a git checkout."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def hub_download_command(repo_id: str, repo_type: str = "model", revision: str | None = None,
                         include: Sequence[str] = (), local_dir: str | None = None) -> str:
    """The command that downloads ``repo_id`` (at ``revision``, only the ``include`` patterns, into
    ``local_dir``) with the installed huggingface_hub.

    ``hf download`` exists since huggingface_hub 0.34 and is the only CLI of 1.x and later (its
    ``--include`` is repeated per pattern); ``huggingface-cli download`` only in older releases
    (one ``--include`` followed by the patterns).
    """
    installed = _version("huggingface_hub") or "0"
    try:
        major, minor = (int(part) for part in installed.split(".")[:2])
    except ValueError:
        major, minor = 1, 0
    modern = (major, minor) >= (0, 34)
    flags = "" if repo_type == "model" else f" --repo-type {repo_type}"
    flags += f" --revision {revision}" if revision else ""
    quoted = [f"'{pattern}'" for pattern in include]
    if quoted:
        flags += "".join(f" --include {q}" for q in quoted) if modern else " --include " + " ".join(quoted)
    flags += f" --local-dir {local_dir}" if local_dir else ""
    return f"{'hf download' if modern else 'huggingface-cli download'} {repo_id}{flags}"


def environment() -> dict[str, Any]:
    env: dict[str, Any] = {"python": platform.python_version(), "platform": f"{platform.system()}-{platform.machine()}"}
    env["packages"] = {name: _version(name) for name in PACKAGES}
    env["git_sha"] = git_sha()
    if "torch" in sys.modules:
        import torch

        env["torch_threads"] = torch.get_num_threads()
        env["cuda"] = torch.version.cuda if torch.cuda.is_available() else None
        env["cudnn"] = torch.backends.cudnn.version() if torch.cuda.is_available() else None
    return env

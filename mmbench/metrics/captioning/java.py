"""Locating the Java runtime and the jars shipped in the pycocoevalcap wheel (no download)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

NO_JAVA_REASON = "needs Java, and no `java` was found on PATH: install a Java runtime (e.g. OpenJDK 17)"


def find_java() -> str | None:
    """Path of the ``java`` executable on PATH, or None."""
    return shutil.which("java")


def pycocoevalcap_dir() -> Path | None:
    """Installed pycocoevalcap package directory (a namespace package in 1.2), or None."""
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def pycocoevalcap_file(*parts: str) -> Path | None:
    """A file inside the installed pycocoevalcap package, or None when absent."""
    root = pycocoevalcap_dir()
    if root is None:
        return None
    path = root.joinpath(*parts)
    return path if path.is_file() else None


@lru_cache(maxsize=8)
def java_major_version(java: str) -> int | None:
    """Major version of a Java runtime (8 for "1.8.0_392", 17 for "17.0.15"), None if unknown."""
    try:
        completed = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', completed.stderr + completed.stdout)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major

"""Test-suite wide settings: offline hubs, a private cache for the generated shapes suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Offline, always: nothing in the suite may reach a hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_configure(config: pytest.Config) -> None:
    # One cache for the generated synthetic suite per test session (subprocesses inherit it).
    if "MMBENCH_CACHE" not in os.environ:
        base = Path(config.rootpath) / ".pytest_cache" / "mmbench-cache"
        base.mkdir(parents=True, exist_ok=True)
        os.environ["MMBENCH_CACHE"] = str(base)


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return GOLDEN


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable

"""Declared support is tested support: the floors of torch and transformers in pyproject.toml are
the versions constraints-cpu.txt pins, which is what CI installs and runs the suite under."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FLOORED = ("torch", "transformers")


def _pins() -> dict[str, str]:
    lines = (REPO / "constraints-cpu.txt").read_text().splitlines()
    return {m[1].lower(): m[2] for line in lines if (m := re.match(r"^\s*([A-Za-z0-9_.-]+)==([^\s#]+)", line))}


def _floors() -> dict[str, str]:
    text = (REPO / "pyproject.toml").read_text()
    return {m[1].lower(): m[2] for m in re.finditer(r'"([A-Za-z0-9_.-]+)>=([^",;\s]+)', text)}


@pytest.mark.parametrize("package", FLOORED)
def test_floor_equals_the_ci_pin_and_the_installed_version(package: str) -> None:
    pin = _pins()[package]
    assert _floors()[package] == pin, f"pyproject.toml's {package} floor must be the version CI tests ({pin})"
    assert version(package).split("+")[0] == pin, f"installed {package} {version(package)} is not the pinned {pin}"

"""The suite never touches the user's mmbench cache, prediction store or data root, whatever the
environment says: conftest points MMBENCH_CACHE and MMBENCH_DATA at folders of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import ISOLATED, isolate_user_folders


def test_a_users_folders_in_the_environment_are_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user"
    for name in ISOLATED:
        monkeypatch.setenv(name, str(user / name))
    chosen = isolate_user_folders(tmp_path / "suite")
    assert set(chosen) == {"MMBENCH_CACHE", "MMBENCH_DATA"}
    for name, value in chosen.items():
        assert os.environ[name] == value and Path(value).is_dir()
        assert Path(value).is_relative_to(tmp_path / "suite" / ".pytest_cache") and not Path(value).is_relative_to(user)


def test_this_session_uses_the_suites_folders(request: pytest.FixtureRequest) -> None:
    from mmbench.data.shapes import cache_root
    from mmbench.engine.store import default_store_path

    own = Path(request.config.rootpath) / ".pytest_cache"
    assert Path(os.environ["MMBENCH_CACHE"]).is_relative_to(own) and Path(os.environ["MMBENCH_DATA"]).is_relative_to(own)
    assert default_store_path().is_relative_to(own) and cache_root().is_relative_to(own)

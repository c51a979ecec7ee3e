"""Cycle collection pauses while a model-running command starts and runs again for the prediction loop."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import mmbench.engine.runner
from mmbench.cli import main


def test_run_pauses_collection_until_the_evaluation_and_restores_it(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[bool] = []
    real = mmbench.engine.runner.load_task_data

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())  # while the command starts: paused
        return real(*args, **kwargs)

    monkeypatch.setattr(mmbench.engine.runner, "load_task_data", spy)
    stage_run = mmbench.engine.runner.run_stages

    def in_loop(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())  # the prediction loop: collecting
        return stage_run(*args, **kwargs)

    monkeypatch.setattr(mmbench.engine.runner, "run_stages", in_loop)
    assert gc.isenabled()
    assert main(["run", "--task", "shapes_vqa", "--model", "mock", "--limit", "4", "--no-cache", "--no-write", "--json"]) == 0
    assert seen == [False, True] and gc.isenabled()
    assert main(["run", "--task", "no_such_task", "--model", "mock", "--no-cache", "--no-write"]) == 2  # an error
    assert gc.isenabled()  # is restored too
    capsys.readouterr()

"""--device auto: cuda, else mps, else cpu; the choice printed once and recorded."""

from __future__ import annotations

import pytest
import torch

from mmbench.measure import devices
from mmbench.engine.runner import evaluate


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.resolve_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert devices.resolve_device("auto") == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert devices.resolve_device("auto") == "cpu"
    assert devices.resolve_device("cuda:1") == "cuda:1"  # an explicit device is kept as given


def test_auto_run_on_this_machine_records_and_prints_the_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    devices._announced.clear()
    result = evaluate("shapes_zeroshot", "mock", output_dir=None, limit=8)
    assert result.config["device"] == "cpu" and result.timing["device"] == "cpu"
    assert result.timing["device_name"] == devices.cpu_model_name()
    assert "device: cpu (" in capsys.readouterr().err


def test_cpu_model_name_reads_proc_cpuinfo(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "cpuinfo"
    fake.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda path, *a, **k: real_open(fake if path == "/proc/cpuinfo" else path, *a, **k))
    assert devices.cpu_model_name() == "Intel(R) Xeon(R) CPU @ 2.20GHz"


def test_cpu_batches_are_left_where_they_are() -> None:
    batch = torch.zeros(2, 3)
    assert devices.to_device(batch, "cpu") is batch
    assert devices.to_device(["not", "a", "tensor"], "cuda") == ["not", "a", "tensor"]

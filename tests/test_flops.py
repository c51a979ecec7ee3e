"""FLOP counting against a hand count, TFLOP/s and MFU against the peak table, timing split."""

from __future__ import annotations

import pytest
import torch

from mmbench.measure import timing
from mmbench.measure.accelerators import find_accelerator, peak_tflops
from mmbench.measure.flops import achieved_tflops, counting_flops, utilisation


def test_linear_stack_flops_equal_the_hand_count() -> None:
    # 2 FLOPs per multiply-add: 2 * batch * in * out per Linear; ReLU and bias adds are not counted
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4), torch.nn.Linear(4, 3))
    with counting_flops() as count:
        model(torch.randn(5, 8))
    assert count.total == 2 * 5 * (8 * 16 + 16 * 4 + 4 * 3)  # 2040


class _QueryTokens(torch.nn.Module):
    """A learned parameter expanded over the batch and fed to a submodule, as BLIP-2's Q-Former does."""

    def __init__(self) -> None:
        super().__init__()
        self.query = torch.nn.Parameter(torch.zeros(1, 3, 8))
        self.norm = torch.nn.LayerNorm(8)
        self.proj = torch.nn.Linear(8, 4)

    def forward(self, batch: int) -> torch.Tensor:
        queries = self.query if batch == 1 else self.query.expand(batch, -1, -1)
        return self.proj(self.norm(queries))


def test_flops_count_under_inference_mode_with_a_parameter_fed_to_a_submodule() -> None:
    # The per-module tracker of FlopCounterMode hooks module inputs and fails on such a parameter
    # under inference_mode; the total is still 2 * batch * tokens * in * out for the Linear alone.
    model = _QueryTokens()
    for batch in (1, 5):
        with torch.inference_mode(), counting_flops() as count:
            model(batch)
        assert count.total == 2 * batch * 3 * 8 * 4  # 192, 960


def test_achieved_tflops_and_utilisation() -> None:
    assert achieved_tflops(2e12, 10, 4.0) == pytest.approx(5.0)  # 10 items x 2 TFLOP in 4 s
    assert achieved_tflops(None, 10, 4.0) is None
    assert utilisation(494.75, 989.5) == pytest.approx(0.5)
    assert utilisation(1.0, None) is None


@pytest.mark.parametrize(("name", "expected"), [
    ("NVIDIA H100 80GB HBM3", "H100 SXM"), ("NVIDIA H100 PCIe", "H100 PCIe"), ("NVIDIA H100 NVL", "H100 NVL"),
    ("NVIDIA H200", "H200 SXM"), ("NVIDIA A100-SXM4-80GB", "A100 80GB SXM"), ("NVIDIA A100-SXM4-40GB", "A100 40GB"),
    ("NVIDIA A100 80GB PCIe", "A100 80GB PCIe"), ("NVIDIA L4", "L4"), ("NVIDIA L40S", "L40S"),
    ("NVIDIA GeForce RTX 4090", "RTX 4090"), ("Tesla T4", None), ("NVIDIA L40", None),
])
def test_peak_table_matches_device_names(name: str, expected: str | None) -> None:
    found = find_accelerator(name)
    assert (found.name if found else None) == expected


def test_mfu_only_for_half_precision_on_a_known_card() -> None:
    assert peak_tflops("cuda", "NVIDIA H100 80GB HBM3", "bf16") == pytest.approx(989.5)
    assert peak_tflops("cuda", "NVIDIA H100 80GB HBM3", "float32") is None
    assert peak_tflops("cuda", "Tesla T4", "float16") is None
    assert peak_tflops("cpu", "NVIDIA H100 80GB HBM3", "float16") is None


def test_fewer_than_three_timed_batches_give_no_percentiles() -> None:
    assert timing.latency_summary([10.0, 20.0])["p50"] is None
    assert timing.latency_summary([10.0, 20.0])["n"] == 2
    summary = timing.latency_summary([10.0, 20.0, 30.0])
    assert (summary["p50"], summary["n"]) == (20.0, 3)


def test_stage_timing_splits_wall_time_and_reports_tflops() -> None:
    timer = timing.BatchTimer("images", warmup=1)
    timer.record_flops(4_000_000_000_000, 4)  # 1 TFLOP per item
    for _ in range(4):
        timer.record(4, 2.0, input_wait_s=0.5, postprocess_s=0.1)
    stage = timer.finish()
    summary = timing.combine_stages([stage], device="cpu", dtype="float32", batch_size=4, warmup=1, total_wall_s=10.0,
                                    peak_memory_mb=None, memory_kind="process_peak_rss", metric_s=0.25)
    assert (summary["input_wait_s"], summary["model_s"], summary["postprocess_s"], summary["metric_s"]) == (2.0, 8.0, 0.4, 0.25)
    assert summary["flops"] == 16e12 and summary["tflops_per_s"] == pytest.approx(2.0)
    assert summary["mfu"] is None  # a CPU has no entry in the peak table
    assert summary["stages"]["images"]["latency_ms"]["n"] == 3


class _Clock:
    """A fake ``time`` module: perf_counter reads a value the fake model below advances."""

    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        return self.now


def test_flops_are_counted_on_a_separate_untimed_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first batch runs twice: once under the FLOP counter (costing 50 fake seconds here, as a
    slow counter would) and once timed; no timed second, model_s or wall second holds the count."""
    from types import SimpleNamespace

    from mmbench.engine import execution
    from mmbench.measure import flops

    clock = _Clock()
    monkeypatch.setattr(execution, "time", clock)
    monkeypatch.setattr(timing, "time", clock)
    counting = [False]
    real_counting = flops.counting_flops

    def spy():  # type: ignore[no-untyped-def]
        counting[0] = True
        try:
            with real_counting() as count:
                yield count
        finally:
            counting[0] = False

    import contextlib

    monkeypatch.setattr(flops, "counting_flops", contextlib.contextmanager(spy))
    weight = torch.ones(4, 3)
    calls: list[tuple[int, bool]] = []

    def step(adapter, inputs, items):  # type: ignore[no-untyped-def]
        calls.append((len(items), counting[0]))
        clock.now += 50.0 if counting[0] else 1.0  # the counter's overhead vs the model's own second
        return inputs @ weight

    stage = SimpleNamespace(name="images", items=list(range(6)), step=step, generative=False)
    adapter = SimpleNamespace(device="cpu", spec="fake", adapter_name="fake", count_tokens=lambda rows: 0, num_parameters=12)
    timer = timing.BatchTimer("images", warmup=0)
    executor = execution.StageExecutor(stage, adapter, batch_size=2, timer=timer)
    for start in (0, 2, 4):
        list(executor.run(torch.ones(2, 4), list(range(start, start + 2))))
    result = timer.finish(batch_size=2)
    assert calls == [(2, True), (2, False), (2, False), (2, False)]  # one counted call, then three timed ones
    assert result.flops_per_item == 2 * 4 * 3  # a (1, 4) x (4, 3) product per item: 24 FLOPs
    assert result.latencies_ms == [1000.0, 1000.0, 1000.0] and result.model_s == 3.0
    assert result.wall_s == 3.0 and result.items == 6  # the counted call's 50 s are not in the wall time


def test_a_model_without_parameters_gets_no_flop_counting_call() -> None:
    """The mock (0 parameters) and served models (None): no second call of the first batch, FLOPs unknown."""
    from types import SimpleNamespace

    from mmbench.engine import execution

    for parameters in (0, None):
        calls: list[int] = []

        def step(adapter, inputs, items):  # type: ignore[no-untyped-def]
            calls.append(len(items))
            return inputs

        stage = SimpleNamespace(name="images", items=list(range(4)), step=step, generative=False)
        adapter = SimpleNamespace(device="cpu", spec="m", adapter_name="m", count_tokens=lambda rows: 0, num_parameters=parameters)
        timer = timing.BatchTimer("images", warmup=0)
        executor = execution.StageExecutor(stage, adapter, batch_size=2, timer=timer)
        for start in (0, 2):
            list(executor.run(torch.ones(2, 4), list(range(start, start + 2))))
        assert calls == [2, 2] and timer.finish(batch_size=2).flops_per_item is None

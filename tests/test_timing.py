"""mmbench/measure/timing.py on its own: percentiles, latency summaries, the per-batch timer (warm-up, the
split of a stage's time into input wait, model and post-processing), decoding-step clocks and the
results file's timing section. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mmbench.measure import timing


@pytest.mark.parametrize("q, expected", [
    (0, 1.0), (100, 4.0),
    (50, 2.5),   # position (4 - 1) * 0.50 = 1.5: halfway between 2 and 3
    (90, 3.7),   # position 2.7: 3 + 0.7 * (4 - 3)
    (25, 1.75),  # position 0.75: 1 + 0.75 * (2 - 1)
])
def test_percentile_interpolates_linearly_between_sorted_values(q: float, expected: float) -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert timing.percentile(values, q) == pytest.approx(expected)
    assert timing.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))  # numpy's default method


def test_percentile_of_nothing_is_nan_and_of_one_value_is_that_value() -> None:
    assert math.isnan(timing.percentile([], 50))
    assert timing.percentile([7.0], 99) == 7.0


def test_latency_summary_needs_three_timed_batches_for_percentiles() -> None:
    assert timing.latency_summary([]) == {"p50": None, "p90": None, "p99": None, "mean": None, "n": 0}
    assert timing.latency_summary([10.0, 20.0]) == {"p50": None, "p90": None, "p99": None, "mean": 15.0, "n": 2}
    summary = timing.latency_summary([40.0, 10.0, 30.0, 20.0])
    # sorted 10, 20, 30, 40: p50 at position 1.5 -> 25; p90 at 2.7 -> 37; p99 at 2.97 -> 39.7
    assert summary == pytest.approx({"p50": 25.0, "p90": 37.0, "p99": 39.7, "mean": 25.0, "n": 4})


class FakeClock:
    """Stands in for time.perf_counter: returns the given readings in order."""

    def __init__(self, *readings: float) -> None:
        self.readings = list(readings)

    def __call__(self) -> float:
        return self.readings.pop(0)


def test_batch_timer_leaves_warmup_batches_out_of_latencies_but_counts_their_items_and_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing.time, "perf_counter", FakeClock(100.0, 112.5))  # created at 100 s, finished at 112.5 s
    timer = timing.BatchTimer("images", warmup=2)
    for seconds in (1.0, 2.0, 3.0, 4.0, 5.0):
        timer.record(4, seconds, tokens=10, input_wait_s=0.25, postprocess_s=0.5)
    timer.waited(0.75)
    stage = timer.finish(batch_size=4, auto=True, oom_backoffs=[{"from": 8, "to": 4}])
    assert stage.latencies_ms == [3000.0, 4000.0, 5000.0]  # batches 3-5; the first two are warm-up
    assert (stage.batches, stage.items, stage.tokens) == (5, 20, 50)
    assert stage.model_s == 15.0  # 1 + 2 + 3 + 4 + 5, warm-up included
    assert stage.input_wait_s == 5 * 0.25 + 0.75 and stage.postprocess_s == 5 * 0.5
    assert stage.wall_s == 12.5
    assert (stage.batch_size, stage.batch_size_auto, stage.oom_backoffs) == (4, True, [{"from": 8, "to": 4}])


def test_flops_per_item_only_from_a_counted_batch() -> None:
    timer = timing.BatchTimer("texts", warmup=0)
    timer.record_flops(0, 8)  # nothing counted: stays unknown
    timer.record_flops(10, 0)
    assert timer.timing.flops_per_item is None
    timer.record_flops(6_000, 3)
    assert timer.timing.flops_per_item == 2_000.0


def test_token_clock_gives_time_to_first_token_and_time_per_output_token() -> None:
    clock = timing.TokenClock("cpu")
    assert clock.ttft_s is None and clock.tpot_s is None
    clock.start, clock.marks = 10.0, [10.5]
    assert clock.ttft_s == pytest.approx(0.5) and clock.tpot_s is None  # one token: no time per further token
    clock.marks = [10.5, 10.7, 10.9]
    assert clock.ttft_s == pytest.approx(0.5)
    assert clock.tpot_s == pytest.approx(0.2)  # (10.9 - 10.5) / 2 tokens after the first


def test_generative_timings_go_to_ttft_and_tpot_after_warmup() -> None:
    timer = timing.BatchTimer("answers", warmup=1)
    clock = timing.TokenClock("cpu")
    clock.start, clock.marks = 0.0, [0.03, 0.05, 0.07]
    timer.record(2, 0.1, tokens=6, clock=clock)  # warm-up: not in the latencies
    timer.record(2, 0.1, tokens=6, clock=clock)
    assert timer.timing.ttft_ms == [pytest.approx(30.0)] and timer.timing.tpot_ms == [pytest.approx(20.0)]


def test_mark_token_marks_the_clock_of_the_running_call_only() -> None:
    timing.mark_token()  # outside a call: nothing to mark, no error
    assert not timing.clock_running()
    with timing.token_clock("cpu") as outer:
        timing.mark_token()
        with timing.token_clock("cpu") as inner:
            timing.mark_token()
            timing.mark_token()
        assert timing.clock_running()
        timing.mark_token()
    assert not timing.clock_running()
    assert (len(outer.marks), len(inner.marks)) == (2, 2)


def test_stage_summary_rates() -> None:
    stage = timing.StageTiming("captions", items=30, batches=3, wall_s=6.0, model_s=4.5, tokens=300,
                               ttft_ms=[10.0, 30.0], tpot_ms=[2.0])
    summary = stage.summary()
    assert summary["items_per_s"] == 5.0  # 30 items / 6 s
    assert (summary["ttft_ms"], summary["tpot_ms"]) == (20.0, 2.0)
    assert summary["tokens"] == 300 and summary["latency_ms"]["n"] == 0
    assert timing.StageTiming("empty").summary()["items_per_s"] is None  # no wall time: no rate
    assert timing.StageTiming("empty").summary()["tokens"] is None


def test_combine_stages_totals_rates_over_the_right_wall_time() -> None:
    texts = timing.StageTiming("texts", items=10, batches=2, wall_s=2.0, model_s=1.0, input_wait_s=0.5,
                               postprocess_s=0.25, latencies_ms=[100.0, 200.0], flops_per_item=1e12)
    answers = timing.StageTiming("answers", items=5, batches=1, wall_s=4.0, model_s=3.0, input_wait_s=0.75,
                                 postprocess_s=0.5, tokens=100, latencies_ms=[300.0], tpot_ms=[4.0])
    section = timing.combine_stages([texts, answers], device="cpu", dtype="float32", batch_size=8, warmup=1,
                                    total_wall_s=7.0, peak_memory_mb=12.0, memory_kind="process_peak_rss", metric_s=0.5)
    assert section["predict_s"] == 6.0 and section["wall_s"] == 7.0 and section["metric_s"] == 0.5
    assert section["items"] == 15 and section["items_per_s"] == 2.5  # 15 items over 2 + 4 s of stage loops
    assert section["tokens_per_s"] == 25.0  # 100 tokens over the 4 s of the generative stage only
    assert (section["model_s"], section["input_wait_s"], section["postprocess_s"]) == (4.0, 1.25, 0.75)
    # FLOPs only where counted: 1e12 per item x 10 items, over that stage's 1 s of model time = 10 TFLOP/s
    assert section["flops"] == 1e13 and section["tflops_per_s"] == pytest.approx(10.0)
    assert section["mfu"] is None and section["peak_tflops"] is None  # no peak for a CPU
    assert section["batches_timed"] == 3 and section["latency_ms"]["p50"] == 200.0  # pooled 100, 200, 300
    assert section["tpot_ms"] == 4.0 and section["ttft_ms"] is None
    assert set(section["stages"]) == {"texts", "answers"} and section["stages"]["answers"]["items_per_s"] == 1.25


def test_peak_memory_on_cpu_is_the_process_peak_rss() -> None:
    mib, kind = timing.peak_memory("cpu")
    assert kind == "process_peak_rss" and 1.0 < mib < 1024 * 1024  # some MiB, not KiB or bytes misread


def test_token_clock_on_cuda_marks_with_events_and_never_synchronises_a_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GPU here: fake CUDA events stand in for torch.cuda.Event (the GPU's timestamps, in ms).
    A mark records an event and waits for nothing; TTFT and TPOT come from the start event, the
    first mark and the last one, read after the call."""
    stamps = iter([0.0, 40.0, 50.0, 61.0, 69.0, 80.0])  # start, then five decoding steps (ms)
    syncs: list[str] = []

    class FakeEvent:
        def __init__(self, ms: float) -> None:
            self.ms = ms

        def synchronize(self) -> None:
            syncs.append("event")

        def elapsed_time(self, other: "FakeEvent") -> float:
            return other.ms - self.ms

    monkeypatch.setattr(timing.TokenClock, "_event", lambda self: FakeEvent(next(stamps)))
    monkeypatch.setattr(timing, "synchronize", lambda device: syncs.append(device))
    clock = timing.TokenClock("cuda:0")
    for _ in range(5):
        clock.mark()
    assert syncs == [] and clock.marks == [] and clock.steps == 5
    assert clock.ttft_s == pytest.approx(0.040)  # start -> first token
    assert clock.tpot_s == pytest.approx((80.0 - 40.0) / 4 / 1000)  # first -> last over 4 steps: 10 ms
    assert len(clock._events or []) == 3  # start, first, latest: nothing else kept

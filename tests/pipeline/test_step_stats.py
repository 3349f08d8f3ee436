"""Step timing of a training run: durations between step boundaries, warm-up left out."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="a Trainer callback (pip install .[train])")
from pipeline.step_stats import StepStats  # noqa: E402


def run_steps(stats: StepStats, durations: list[float], monkeypatch) -> None:
    clock = iter([t for d in durations for t in (0.0, d)])
    monkeypatch.setattr("pipeline.step_stats.time.perf_counter", lambda: next(clock))
    for _ in durations:
        stats.on_step_begin(None, None, None)
        stats.on_step_end(None, None, None)


def test_median_leaves_out_the_warmup_step(monkeypatch):
    stats = StepStats()
    run_steps(stats, [9.0, 1.0, 2.0, 3.0], monkeypatch)
    summary = stats.summary(warmup=1)
    assert summary["step_seconds"] == [9.0, 1.0, 2.0, 3.0]
    assert summary["median_step_seconds"] == 2.0 and summary["warmup_steps_excluded"] == 1


def test_a_single_step_is_its_own_median(monkeypatch):
    stats = StepStats()
    run_steps(stats, [4.0], monkeypatch)
    assert stats.summary(warmup=1)["median_step_seconds"] == 4.0
    assert stats.summary(warmup=1)["warmup_steps_excluded"] == 0


def test_no_steps_no_median():
    assert StepStats().summary()["median_step_seconds"] is None


def test_a_step_end_without_a_begin_records_nothing():
    stats = StepStats()
    stats.on_step_end(None, None, None)
    assert stats.step_seconds == []


def test_train_end_records_the_host_memory_peak_without_a_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    stats = StepStats()
    stats.on_train_begin(None, None, None)
    stats.on_train_end(None, None, None)
    summary = stats.summary()
    assert summary["host_peak_rss_gib"] > 0.01  # this very process: torch alone is more
    assert summary["memory_at_train_start_gib"] is None and summary["peak_reserved_gib"] is None

"""Per-step wall time and peak accelerator memory of a training run (a Trainer callback).

The run manifest keeps them so that a production run, or a benchmark through the production
entry point, reports its step time and memory headroom without a profiler. Times are taken
at step boundaries; the Trainer logs the loss every step in the recipes that time steps, which
synchronises the device, so a step's time is its real duration.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from transformers import TrainerCallback


def host_peak_rss_gib() -> float | None:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB), or None where
    the `resource` module is missing (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)


class StepStats(TrainerCallback):
    """Collects the duration of every optimizer step and, at the end, each process's peak
    GPU memory (gathered from all ranks under torch.distributed), this process's peak GPU
    memory reserved by PyTorch's allocator, the GPU memory held when training began (weights,
    adapter; no optimizer state yet) and the peak host memory."""

    def __init__(self) -> None:
        self.step_seconds: list[float] = []
        self.peak_memory_gib: list[float] = []
        self.peak_reserved_gib: float | None = None
        self.memory_at_start_gib: float | None = None
        self.host_peak_rss_gib: float | None = None
        self.total_memory_gib: float | None = None
        self._started: float | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import torch

        if torch.cuda.is_available():
            self.memory_at_start_gib = round(torch.cuda.memory_allocated() / 2**30, 3)

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._started = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._started is not None:
            self.step_seconds.append(time.perf_counter() - self._started)
            self._started = None

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import torch

        self.host_peak_rss_gib = host_peak_rss_gib()
        if not torch.cuda.is_available():
            return
        peak = torch.cuda.max_memory_allocated() / 2**30
        self.peak_reserved_gib = round(torch.cuda.max_memory_reserved() / 2**30, 3)
        self.total_memory_gib = torch.cuda.get_device_properties(
            torch.cuda.current_device()).total_memory / 2**30
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            gathered: list[Any] = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(gathered, peak)
            self.peak_memory_gib = [round(p, 3) for p in gathered]
        else:
            self.peak_memory_gib = [round(peak, 3)]

    def summary(self, warmup: int = 1) -> dict[str, Any]:
        """Step times (all, and the median after `warmup` steps) and per-process peaks."""
        excluded = warmup if len(self.step_seconds) > warmup else 0
        timed = self.step_seconds[excluded:]
        return {
            "step_seconds": [round(s, 4) for s in self.step_seconds],
            "median_step_seconds": round(statistics.median(timed), 4) if timed else None,
            "warmup_steps_excluded": excluded,
            "peak_memory_gib_per_process": self.peak_memory_gib,
            "peak_reserved_gib": self.peak_reserved_gib,
            "memory_at_train_start_gib": self.memory_at_start_gib,
            "host_peak_rss_gib": self.host_peak_rss_gib,
            "device_memory_gib": (round(self.total_memory_gib, 2)
                                  if self.total_memory_gib else None),
        }

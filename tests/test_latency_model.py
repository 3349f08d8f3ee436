"""The latency model: calibrated on our single-user runs, checked on the four-user runs it never
saw, and the limits it derives pass each measured production shape and fail it 20 % slower."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.serving.latency_model import (
    CALIBRATION_RUNS,
    LLAMA_70B_AWQ,
    Efficiency,
    Workload,
    calibrate,
    latency_limits,
    prefill_s,
    simulate,
)

EFFICIENCIES = calibrate(LLAMA_70B_AWQ)
FOUR_USERS = [r for r in CALIBRATION_RUNS if r.users == 4]


def _predict(run, efficiency=None):
    workload = Workload.uniform(run.prompt_tokens, run.output_tokens, 3 * run.users)
    return simulate(LLAMA_70B_AWQ, workload, gpu=run.gpu,
                    efficiency=efficiency or EFFICIENCIES[run.gpu], users=run.users)


def test_efficiencies_are_fractions_and_unmeasured_gpu_takes_the_slowest():
    assert EFFICIENCIES["h100-80gb"].prefill == pytest.approx(0.73, abs=0.01)
    assert EFFICIENCIES["h100-80gb"].decode == pytest.approx(0.55, abs=0.01)
    assert EFFICIENCIES["h200-141gb"].decode == pytest.approx(0.40, abs=0.01)
    measured = [EFFICIENCIES["h100-80gb"], EFFICIENCIES["h200-141gb"]]
    assert EFFICIENCIES["a100-80gb"] == Efficiency(min(e.prefill for e in measured),
                                                   min(e.decode for e in measured))


@pytest.mark.parametrize("run", [r for r in CALIBRATION_RUNS if r.users == 1], ids=lambda r: r.name)
def test_single_user_runs_are_reproduced(run):
    predicted = _predict(run).summary()
    assert predicted["p50_ttft_ms"] == pytest.approx(run.p50_ttft_ms, rel=0.01)
    assert predicted["p95_e2e_ms"] == pytest.approx(run.p95_e2e_ms, rel=0.01)


@pytest.mark.parametrize("run", FOUR_USERS, ids=lambda r: r.name)
def test_four_user_runs_are_predicted_within_six_percent(run):
    """Held out of the fit: the queued prefill and the decode stalls are the model's own."""
    predicted = _predict(run).summary()
    assert predicted["p95_ttft_ms"] == pytest.approx(run.p95_ttft_ms, rel=0.06)
    assert predicted["p95_e2e_ms"] == pytest.approx(run.p95_e2e_ms, rel=0.06)


@pytest.mark.parametrize("run", FOUR_USERS, ids=lambda r: r.name)
def test_measured_shape_passes_its_limits_and_twenty_percent_slower_fails(run):
    workload = Workload.uniform(run.prompt_tokens, run.output_tokens, 3 * run.users)
    limits = latency_limits(LLAMA_70B_AWQ, workload, gpu=run.gpu, efficiencies=EFFICIENCIES)
    assert limits.passes(run.p95_ttft_ms, run.p95_e2e_ms)
    assert not limits.passes(run.p95_ttft_ms * 1.2, run.p95_e2e_ms)
    assert not limits.passes(run.p95_ttft_ms, run.p95_e2e_ms * 1.2)


@given(prompt=st.integers(1, 8000), output=st.integers(1, 600), users=st.integers(1, 8),
       slower=st.floats(1.01, 3.0))
def test_prediction_is_causal_and_monotone(prompt, output, users, slower):
    gpu = "h100-80gb"
    workload = Workload.uniform(prompt, output, 2 * users)
    base = EFFICIENCIES[gpu]
    fast = simulate(LLAMA_70B_AWQ, workload, gpu=gpu, efficiency=base, users=users)
    slow = simulate(LLAMA_70B_AWQ, workload, gpu=gpu, users=users,
                    efficiency=Efficiency(base.prefill / slower, base.decode / slower))
    alone = prefill_s(LLAMA_70B_AWQ, prompt, gpu=gpu, efficiency=base)
    assert len(fast.e2e_s) == len(workload.prompt_tokens) - users
    assert all(t >= alone * (1 - 1e-9) for t in fast.ttft_s)
    assert all(e >= t for e, t in zip(fast.e2e_s, fast.ttft_s, strict=True))
    assert math.isclose(slow.p_ms(95), fast.p_ms(95) * slower, rel_tol=1e-9)


def test_headroom_below_one_and_bad_workloads_are_refused():
    with pytest.raises(ValueError, match="headroom"):
        latency_limits(LLAMA_70B_AWQ, Workload.uniform(10, 10, 4), gpu="a100-80gb",
                       efficiencies=EFFICIENCIES, headroom=0.9)
    with pytest.raises(ValueError, match="as many output lengths"):
        Workload((10, 20), (5,))
    with pytest.raises(ValueError, match="at least one"):
        Workload((0,), (5,))


def test_token_counts_from_text_add_the_end_of_turn():
    workload = Workload.from_texts(["x" * 400], ["SELECT 1 FROM dual"], chars_per_token=4.0)
    assert workload.prompt_tokens == (100,)
    assert workload.output_tokens == (round(18 / 4) + 1,)

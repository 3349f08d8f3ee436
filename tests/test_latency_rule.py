"""The relative latency rule: Welch's one-sided test on log p95s (pure), and the gate's
`[[latency_baseline]]` reading both models' repetitions from the candidate's results."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.gate.policy import evaluate_gate
from harness.serving.latency import by_repetition, gate_summary, relative_latency_test
from tests.test_gate import HEADER, make_results, policy

RULE = HEADER + '[[latency_baseline]]\nfigure = "p95_e2e_ms"\nmax_increase = 0.10\n'


def test_equal_models_pass_and_a_twenty_percent_slower_one_fails():
    base = [5800.0, 5810.0, 5795.0]
    assert relative_latency_test([5805.0, 5790.0, 5815.0], base).passed
    slower = relative_latency_test([v * 1.2 for v in base], base)
    assert not slower.passed and slower.ratio == pytest.approx(1.2)
    assert "NOT shown below 1.10" in slower.sentence()


def test_one_repetition_cannot_pass_and_non_positive_values_are_refused():
    assert not relative_latency_test([100.0], [100.0, 101.0]).passed
    with pytest.raises(ValueError, match="positive"):
        relative_latency_test([0.0, 1.0], [1.0, 1.0])


def test_no_spread_is_decided_exactly():
    assert relative_latency_test([109.0, 109.0], [100.0, 100.0]).passed
    assert not relative_latency_test([110.0, 110.0], [100.0, 100.0]).passed


@given(st.lists(st.floats(100, 1e5), min_size=2, max_size=6),
       st.lists(st.floats(100, 1e5), min_size=2, max_size=6), st.floats(0.5, 2.0))
def test_scale_invariant_and_upper_bound_agrees_with_decision(cand, base, scale):
    """Seconds or milliseconds, one GPU or a uniformly slower one: the same decision; and a
    pass is exactly an upper confidence bound below the margin."""
    test = relative_latency_test(cand, base)
    scaled = relative_latency_test([v * scale for v in cand], [v * scale for v in base])
    assert scaled.passed == test.passed or math.isclose(test.p_value, 0.05, abs_tol=1e-6)
    assert test.ratio <= test.ratio_upper * (1 + 1e-9)
    if test.p_value not in (0.0, 1.0) and not math.isclose(test.ratio_upper, 1.1, rel_tol=1e-6):
        assert test.passed == (test.ratio_upper < 1.1)


def test_size_at_the_margin_is_at_most_alpha():
    """Simulated at the margin (1.10×) with 3 repetitions of 2 % noise: passes ≤ 5 % (+ MC
    error); benchmarks/latency_rule_calibration.py has the whole table."""
    rng = np.random.default_rng(1)
    runs = 400
    passed = sum(relative_latency_test(np.exp(rng.normal(math.log(1.1), 0.02, 3)).tolist(),
                                       np.exp(rng.normal(0, 0.02, 3)).tolist()).passed
                 for _ in range(runs))
    assert passed / runs <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / runs)


def latency(cand: list[float], base: list[float], candidate: str = "prod-v1") -> dict:
    summaries = [{"p95_e2e_ms": v, "p95_ttft_ms": v / 3} for v in cand]
    return {"latency": gate_summary({
        "p95_e2e_ms": max(cand), "by_repetition": by_repetition(summaries),
        "baseline": {"candidate": candidate,
                     "by_repetition": by_repetition([{"p95_e2e_ms": v, "p95_ttft_ms": v / 3}
                                                     for v in base])}})}


def _rule(verdict):
    return next(r for r in verdict.rules if r.rule == "latency baseline p95_e2e_ms")


def test_gate_passes_an_equal_candidate_and_fails_a_slower_one(tmp_path):
    pol = policy(RULE, tmp_path)
    base = [5800.0, 5810.0, 5795.0]
    ok = evaluate_gate(make_results([True] * 10, extra=latency([5790.0, 5805.0, 5800.0], base)),
                       pol, None)
    assert ok.passed and _rule(ok).value < 1.1
    slow = evaluate_gate(make_results([True] * 10, extra=latency([v * 1.2 for v in base], base)),
                         pol, None)
    assert not slow.passed
    assert any(r.startswith("latency baseline p95_e2e_ms") for r in slow.reasons)


def test_gate_fails_closed_without_repetitions_and_with_too_few(tmp_path):
    pol = policy(RULE, tmp_path)
    absent = evaluate_gate(make_results([True] * 10), pol, None)
    assert not absent.passed and "missing metric" in _rule(absent).detail
    few = evaluate_gate(make_results([True] * 10, extra=latency([100.0, 100.0], [100.0, 99.0])),
                        pol, None)
    assert not few.passed and "needs 3" in _rule(few).detail
    malformed = make_results([True] * 10, extra={"latency": {"by_repetition": [1.0, 2.0],
                                                             "baseline": "prod"}})
    assert "missing metric" in _rule(evaluate_gate(malformed, pol, None)).detail
    optional = policy(RULE + "required = false\n", tmp_path)
    assert evaluate_gate(make_results([True] * 10), optional, None).passed


def test_gate_refuses_latency_compared_with_another_model_than_the_promoted_one(tmp_path):
    pol = policy(RULE, tmp_path)
    promoted = make_results([True] * 10)
    promoted["summary"]["run"]["candidate"] = "prod-v2"
    results = make_results([True] * 10, extra=latency([100.0] * 3, [100.0] * 3, "prod-v1"))
    verdict = evaluate_gate(results, pol, promoted)
    assert "promoted baseline is 'prod-v2'" in _rule(verdict).detail and not _rule(verdict).passed


def test_policy_rejects_unknown_figure_and_one_repetition(tmp_path):
    from harness.io.errors import InputError

    with pytest.raises(InputError, match="latency_baseline"):
        policy(HEADER + '[[latency_baseline]]\nfigure = "p50_itl_ms"\n', tmp_path)
    with pytest.raises(InputError, match="min_repetitions"):
        policy(HEADER + "[[latency_baseline]]\nmin_repetitions = 1\n", tmp_path)


@given(st.lists(st.floats(100, 1e5), min_size=2, max_size=6, unique=True),
       st.lists(st.floats(100, 1e5), min_size=2, max_size=6, unique=True))
def test_agrees_with_scipys_whole_welch_test(cand, base):
    """The moments are computed apart (exactly); the p-value and the bound must be scipy's
    `ttest_ind` on the shifted logs, with its confidence interval."""
    from scipy import stats

    logs_c = np.log(cand) - math.log(1.1) - math.log(base[0])
    logs_b = np.log(base) - math.log(base[0])
    if min(np.ptp(logs_c), np.ptp(logs_b)) < 1e-6:
        return  # near-equal values: scipy's own moments lose precision there
    full = stats.ttest_ind(logs_c, logs_b, equal_var=False, alternative="less")
    test = relative_latency_test(cand, base)
    assert test.p_value == pytest.approx(full.pvalue, rel=1e-6, abs=1e-12)
    assert test.ratio_upper == pytest.approx(
        math.exp(full.confidence_interval(0.95).high) * 1.1, rel=1e-6)


def _latency_ab():
    import importlib.util as util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu" / "latency_ab.py"
    spec = util.spec_from_file_location("latency_ab", path)
    module = util.module_from_spec(spec)
    sys.modules["latency_ab"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_ab_order_interleaves_and_serial_runs_blocks():
    ab = _latency_ab()
    assert ab.run_order(2, serial=False) == [(0, "candidate"), (0, "baseline"),
                                             (1, "baseline"), (1, "candidate")]
    assert [who for _, who in ab.run_order(2, serial=True)] == ["candidate"] * 2 + ["baseline"] * 2


@pytest.mark.skipif(__import__("importlib").util.find_spec("locust") is None,
                    reason="the load generator needs locust")
def test_ab_run_against_fake_servers_feeds_the_gate(tmp_path):
    """CPU rehearsal of the GPU A/B step: two fake streaming servers, the candidate twice as
    slow per token, the same prompts; the attached results fail the relative rule, and the
    baseline measured against itself comes out faster than that (on a shared 2-core machine
    its own noise is too large for the rule to pass at R = 2)."""
    from tests.fake_openai import fake_openai_app, serve

    ab = _latency_ab()
    answer = " ".join(["SELECT"] * 6)
    with serve(fake_openai_app(lambda p: answer, delay_s=0.05, token_delay_s=0.04)) as slow, \
            serve(fake_openai_app(lambda p: answer, delay_s=0.05, token_delay_s=0.02)) as fast:
        def measure(candidate_url):
            return ab.run_ab(ab.Served(candidate_url, "c"), ab.Served(fast, "b"),
                             ["q1", "q2", "q3", "q4"],
                             repetitions=2, users=1, requests_per_user=2, max_tokens=8,
                             timeout_s=10)
        slower, same = measure(slow), measure(fast)
    pol = policy(RULE + "min_repetitions = 2\n", tmp_path)
    verdicts = []
    for summaries in (slower, same):
        results = ab.attach(make_results([True] * 10), summaries, baseline_candidate="prod-v1",
                            baseline_model="b")
        assert len(results["summary"]["latency"]["by_repetition"]["p95_e2e_ms"]) == 2
        verdicts.append(_rule(evaluate_gate(results, pol, None)))
    assert not verdicts[0].passed and verdicts[0].value > 1.1

    def ratio(summaries):
        return relative_latency_test(by_repetition(summaries["candidate"])["p95_e2e_ms"],
                                     by_repetition(summaries["baseline"])["p95_e2e_ms"]).ratio
    assert ratio(slower) > 1.2 and ratio(same) < ratio(slower)  # twice the token time

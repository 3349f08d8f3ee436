"""Tests of the power and sample-size formulas and `sqlgate power`."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.gate.power import (
    exact_pass_probability,
    power,
    power_command,
    power_report,
    sample_size,
    smallest_margin,
)


@given(st.floats(0.02, 0.4), st.floats(0.01, 0.1), st.sampled_from([0.025, 0.05]))
def test_sample_size_is_the_smallest_n_with_the_power(discordance, margin, alpha):
    n = sample_size(discordance, margin, alpha)
    assert power(n, discordance, margin, alpha) >= 0.8 - 1e-9
    if n > 1:
        assert power(n - 1, discordance, margin, alpha) < 0.8


@given(st.integers(30, 5000), st.floats(0.02, 0.4), st.sampled_from([0.0125, 0.025]))
def test_smallest_margin_has_exactly_the_power(n, discordance, alpha):
    margin = smallest_margin(n, discordance, alpha)
    if margin < 1.0:
        assert power(n, discordance, margin, alpha) == pytest.approx(0.8, abs=1e-4)


def test_power_grows_with_n_and_margin_and_falls_with_discordance():
    assert power(332, 0.1, 0.02, 0.025) < power(1000, 0.1, 0.02, 0.025)
    assert power(332, 0.1, 0.02, 0.025) < power(332, 0.1, 0.05, 0.025)
    assert power(332, 0.2, 0.05, 0.025) < power(332, 0.1, 0.05, 0.025)


@pytest.mark.parametrize(("n", "discordance", "margin"), [
    (100, 0.1, 0.1), (100, 0.2, 0.12), (332, 0.1, 0.05),
])
def test_formula_tracks_the_exact_power_of_the_gate_test(n, discordance, margin):
    """The large-sample formula the verdict quotes stays within 6 points of the exact power
    of the exact test (which it slightly overstates: the exact test is conservative)."""
    exact = exact_pass_probability(n, margin, 0.025, discordance, 0.0)
    assert power(n, discordance, margin, 0.025) == pytest.approx(exact, abs=0.06)


def test_the_issue_numbers_two_points_at_332_are_out_of_reach():
    report = power_report(332, 0.15, 0.02, 0.025)
    assert not report.in_reach and report.smallest_margin > 0.05
    assert 2500 < report.n_needed < 3500
    assert "OUT OF REACH" in report.sentence()
    assert power_report(332, 0.15, 0.08, 0.025).in_reach


def test_a_difference_impossible_at_this_discordance_is_refused(capsys):
    with pytest.raises(ValueError, match="needs at least 0.05 of the examples to flip"):
        power(332, 0.01, 0.02, 0.025, difference=-0.05)
    assert power_command(332, 0.01, 0.02, 0.025, difference=-0.05) == 2


def test_power_command_prints_the_three_answers(capsys):
    assert power_command(332, 0.12, 0.02, 0.025) == 0
    out = capsys.readouterr().out
    assert "power to show non-inferiority at margin 0.02: 17.7%" in out
    assert "smallest margin shown with 80% power: 0.0557" in out
    assert "examples needed for margin 0.02 at 80% power: 2389" in out

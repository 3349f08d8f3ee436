"""Tests of the paired comparisons: exact McNemar p-values, exact intervals, paired bootstrap."""

from fractions import Fraction
from math import comb

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.paired_test import (
    binomial_upper_tail,
    clopper_pearson,
    discordant,
    mcnemar,
    mcnemar_exact_p,
    paired_bootstrap,
)


def reference_p(b: int, c: int) -> Fraction:
    """Brute force: total probability, under binomial(b + c, 1/2), of every outcome no more
    likely than the observed one (the two-sided exact test's definition), in exact fractions."""
    n = b + c
    observed = Fraction(comb(n, b), 2**n)
    return sum((Fraction(comb(n, i), 2**n) for i in range(n + 1)
                if Fraction(comb(n, i), 2**n) <= observed), Fraction(0))


@pytest.mark.parametrize(("b", "c", "expected"), [
    (0, 0, 1.0),
    (0, 5, 0.0625),           # 2 / 2**5
    (0, 6, 0.03125),          # 2 / 2**6
    (2, 8, 0.109375),         # 2 * (1 + 10 + 45) / 1024
    (12, 10, 3488872 / 4194304),
    (0, 12, 2 / 4096),
    (7, 7, 1.0),
])
def test_mcnemar_textbook_values(b, c, expected):
    assert mcnemar_exact_p(b, c) == pytest.approx(expected, rel=1e-12)


@given(st.integers(0, 60), st.integers(0, 60))
def test_mcnemar_matches_brute_force(b, c):
    assert mcnemar_exact_p(b, c) == pytest.approx(float(reference_p(b, c)), rel=1e-12)


@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_symmetric_and_bounded(b, c):
    p = mcnemar_exact_p(b, c)
    assert p == mcnemar_exact_p(c, b)
    assert 0 < p <= 1


@given(st.integers(0, 200))
def test_mcnemar_equal_counts_give_one(k):
    assert mcnemar_exact_p(k, k) == 1.0


def test_mcnemar_rejects_negative_counts():
    with pytest.raises(ValueError, match="non-negative"):
        mcnemar_exact_p(-1, 3)


@given(st.integers(1, 40), st.data())
def test_binomial_tail_matches_exact_sum(n, data):
    k = data.draw(st.integers(0, n + 1))
    p = data.draw(st.sampled_from([0.1, 0.25, 0.5, 0.7, 0.93]))
    exact = sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
    assert binomial_upper_tail(n, k, p) == pytest.approx(exact, rel=1e-9, abs=1e-300)


@given(st.integers(1, 80), st.data())
def test_clopper_pearson_excludes_half_exactly_when_mcnemar_rejects(n, data):
    k = data.draw(st.integers(0, n))
    low, high = clopper_pearson(k, n, 0.05)
    assert 0 <= low <= k / n <= high <= 1
    p = mcnemar_exact_p(n - k, k)
    if abs(p - 0.05) > 1e-9:  # the bisection decides ties at the level itself arbitrarily
        assert (p < 0.05) == (not low <= 0.5 <= high)


def test_clopper_pearson_all_successes_has_closed_form():
    low, high = clopper_pearson(12, 12, 0.05)
    assert low == pytest.approx(0.025 ** (1 / 12), rel=1e-9)
    assert high == 1.0


def test_mcnemar_interval_of_the_difference():
    candidate = [True] * 12 + [False] * 188
    baseline = [False] * 200
    r = mcnemar(candidate, baseline, 0.05)
    assert (r.fixed, r.broken, r.n) == (12, 0, 200)
    assert r.difference == pytest.approx(0.06)
    assert r.ci_low == pytest.approx((2 * 0.025 ** (1 / 12) - 1) * 12 / 200, rel=1e-9)
    assert r.ci_high == pytest.approx(0.06)


def test_identical_models_have_a_point_interval():
    same = [True, False, True]
    r = mcnemar(same, same, 0.05)
    assert (r.ci_low, r.ci_high, r.p_value) == (0.0, 0.0, 1.0)


def test_discordant_counts_and_length_check():
    assert discordant([True, True, False, False], [True, False, True, False]) == (1, 1)
    with pytest.raises(ValueError, match="same length"):
        discordant([True], [True, False])


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60),
       st.integers(0, 2**32))
def test_bootstrap_is_deterministic_and_bounded(pairs, seed):
    cand, base = [c for c, _ in pairs], [b for _, b in pairs]
    first = paired_bootstrap(cand, base, 0.05, 200, seed)
    assert first == paired_bootstrap(cand, base, 0.05, 200, seed)
    fixed, broken = discordant(cand, base)
    # A resample can repeat one discordant pair n times, so ±1 is reachable, never beyond.
    assert (-1 if broken else 0) <= first.ci_low <= first.ci_high <= (1 if fixed else 0)


def test_bootstrap_seed_changes_the_resamples():
    cand = [True] * 10 + [False] * 12 + [True] * 80 + [False] * 98
    base = [False] * 10 + [True] * 12 + [True] * 80 + [False] * 98
    runs = {paired_bootstrap(cand, base, 0.05, 500, seed).ci_low for seed in range(5)}
    assert len(runs) > 1


def test_bootstrap_agrees_with_exact_interval_roughly():
    cand = [True] * 10 + [False] * 12 + [True] * 80 + [False] * 98
    base = [False] * 10 + [True] * 12 + [True] * 80 + [False] * 98
    boot = paired_bootstrap(cand, base, 0.05, 4000, 1)
    exact = mcnemar(cand, base, 0.05)
    assert boot.difference == exact.difference == pytest.approx(-0.01)
    assert boot.ci_low == pytest.approx(exact.ci_low, abs=0.01)
    assert boot.ci_high == pytest.approx(exact.ci_high, abs=0.01)

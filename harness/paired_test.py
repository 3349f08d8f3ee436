"""Paired comparisons of two models on the same examples: exact McNemar test and bootstrap CI."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

# Bisection steps for the exact interval: 2**-60 is far below any accuracy we report.
_BISECTION_STEPS = 60


@dataclass(frozen=True)
class PairedResult:
    """The paired difference `candidate − baseline` in accuracy with its (1 − alpha) interval.

    `fixed` (the textbook c) counts examples only the candidate gets right, `broken` (b) those
    only the baseline gets right; `p_value` is the two-sided test of "no difference".
    """

    n: int
    fixed: int
    broken: int
    difference: float
    ci_low: float
    ci_high: float
    p_value: float


def mcnemar_exact_p(broken: int, fixed: int) -> float:
    """Two-sided exact McNemar p-value: the binomial(b + c, 1/2) tail of min(b, c), doubled.

    Computed with integers (`math.comb`) so it is exact up to the final division; 1 when
    there are no discordant pairs or when b equals c.
    """
    if broken < 0 or fixed < 0:
        raise ValueError("counts must be non-negative")
    n = broken + fixed
    tail = sum(math.comb(n, i) for i in range(min(broken, fixed) + 1))
    return min(1.0, 2 * tail / 2**n)


def _log_pmf(n: int, k: int, p: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def binomial_upper_tail(n: int, k: int, p: float) -> float:
    """P(X ≥ k) for X ~ binomial(n, p), in logs so that large n neither overflows nor underflows."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    return min(1.0, sum(math.exp(_log_pmf(n, i, p)) for i in range(k, n + 1)))


def _bisect(increasing, target: float) -> float:
    """The p in [0, 1] where the increasing function `increasing(p)` crosses `target`."""
    low, high = 0.0, 1.0
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        if increasing(mid) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def clopper_pearson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided 1 − alpha interval of a binomial proportion k/n.

    It inverts the two one-sided exact tests at alpha/2 each, so 1/2 lies outside it exactly
    when the doubled-tail test (McNemar's, for discordant pairs) rejects at alpha.
    """
    if n == 0:
        return (0.0, 1.0)
    low = 0.0 if k == 0 else _bisect(lambda p: binomial_upper_tail(n, k, p), alpha / 2)
    # P(X ≤ k) = 1 − P(X ≥ k + 1) decreases in p; bisect on its complement, which increases.
    high = 1.0 if k == n else _bisect(lambda p: binomial_upper_tail(n, k + 1, p), 1 - alpha / 2)
    return (low, high)


def discordant(candidate: Sequence[bool], baseline: Sequence[bool]) -> tuple[int, int]:
    """(fixed, broken): examples right only for the candidate, and right only for the baseline."""
    if len(candidate) != len(baseline):
        raise ValueError("paired samples must have the same length")
    fixed = sum(1 for c, b in zip(candidate, baseline, strict=True) if c and not b)
    broken = sum(1 for c, b in zip(candidate, baseline, strict=True) if b and not c)
    return fixed, broken


def mcnemar(candidate: Sequence[bool], baseline: Sequence[bool], alpha: float) -> PairedResult:
    """Exact McNemar test with an exact interval of the accuracy difference.

    The interval is conditional on the number of discordant pairs d: the share of them the
    candidate wins gets a Clopper–Pearson interval [π₁, π₂], and the difference is
    (2π − 1)·d / n. With no discordant pairs the two models agree everywhere: [0, 0].
    """
    fixed, broken = discordant(candidate, baseline)
    n, d = len(candidate), fixed + broken
    if n == 0:
        raise ValueError("no paired examples")
    if d == 0:
        low = high = 0.0
    else:
        pi_low, pi_high = clopper_pearson(fixed, d, alpha)
        low, high = (2 * pi_low - 1) * d / n, (2 * pi_high - 1) * d / n
    return PairedResult(n=n, fixed=fixed, broken=broken, difference=(fixed - broken) / n,
                        ci_low=low, ci_high=high, p_value=mcnemar_exact_p(broken, fixed))


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted values."""
    pos = q * (len(sorted_values) - 1)
    below = math.floor(pos)
    above = min(below + 1, len(sorted_values) - 1)
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * (pos - below)


def paired_bootstrap(candidate: Sequence[bool], baseline: Sequence[bool], alpha: float,
                     resamples: int, seed: int) -> PairedResult:
    """Paired bootstrap percentile interval of the accuracy difference (seeded, reproducible).

    Examples are resampled with replacement as pairs, which keeps the correlation between the
    two models that a paired design relies on. `p_value` is McNemar's exact test, reported
    beside the interval.
    """
    fixed, broken = discordant(candidate, baseline)
    n = len(candidate)
    if n == 0:
        raise ValueError("no paired examples")
    deltas = [int(c) - int(b) for c, b in zip(candidate, baseline, strict=True)]
    rng = random.Random(seed)
    diffs = sorted(sum(rng.choices(deltas, k=n)) / n for _ in range(resamples))
    return PairedResult(n=n, fixed=fixed, broken=broken, difference=(fixed - broken) / n,
                        ci_low=_percentile(diffs, alpha / 2),
                        ci_high=_percentile(diffs, 1 - alpha / 2),
                        p_value=mcnemar_exact_p(broken, fixed))

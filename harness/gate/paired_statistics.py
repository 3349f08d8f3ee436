"""Paired comparison of two models on the same examples: Tango's score test and interval.

The difference in accuracy `candidate − baseline` on n paired examples is (fixed − broken)/n,
where `fixed` counts examples only the candidate gets right and `broken` those only the
baseline gets right. Tango's score statistic tests "the difference is δ₀" with the variance
estimated under that very hypothesis (the constrained maximum-likelihood estimate), so it
stays calibrated when few examples flip, where the conditional McNemar interval (the share of
flips, mapped to a difference) does not. The interval is the set of δ₀ the test does not
reject (Tango 1998, Stat Med 17:891; Nam 1997, Biometrics 53:1422; Liu et al. 2002, Stat Med
21:231 for the matching sample size). The gate decides on the EXACT unconditional p-value of
the same statistic (`exact_null`: the supremum over the share of flips), because the
asymptotic one ran slightly over its level; docs/gates.md says why, with the calibration.

`alpha` is ONE-SIDED throughout: a non-inferiority test at alpha rejects "worse by the margin
or more" with probability at most alpha when it is true. The reported interval is the
two-sided 1 − 2·alpha one, whose lower bound is the one-sided 1 − alpha bound.

Pure functions over counts; numpy arrays are accepted where the docstring says so, so the
calibration benchmark can evaluate every outcome of a multinomial at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln, xlog1py, xlogy
from scipy.stats import norm

# brentq's absolute tolerance on the interval bounds: far below any difference we report.
_XTOL = 1e-12
# The interval is searched inside (−1, 1): at ±1 the constrained variance can vanish.
_EDGE = 1 - 1e-9
# Nuisance values (share of examples that flip) over which the exact p-value takes its
# supremum; denser where few flip, where the rejection probability changes fastest.
_NUISANCE_POINTS = 600
# Two Z values closer than this are the same outcome (rounding in the closed form).
_Z_TIE = 1e-9


@dataclass(frozen=True)
class PairedResult:
    """The paired difference `candidate − baseline` with Tango's 1 − 2·alpha interval.

    `p_value` is the exact unconditional one-sided p-value of the decision's null hypothesis
    at the margin (non-inferiority: "worse by `margin` or more"; significant drop: "worse by
    less than `margin`"); `z` is Tango's statistic at δ₀ = −margin.
    """

    n: int
    fixed: int
    broken: int
    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float


def discordant(candidate: Sequence[bool], baseline: Sequence[bool]) -> tuple[int, int]:
    """(fixed, broken): examples right only for the candidate, and right only for the baseline."""
    if len(candidate) != len(baseline):
        raise ValueError("paired samples must have the same length")
    fixed = sum(1 for c, b in zip(candidate, baseline, strict=True) if c and not b)
    broken = sum(1 for c, b in zip(candidate, baseline, strict=True) if b and not c)
    return fixed, broken


def constrained_broken_rate(fixed, broken, n, delta0: float):
    """Maximum-likelihood rate of `broken` flips under the hypothesis difference = δ₀.

    The closed form of Tango (1998, eq. 5): the positive root of A·q² + B·q + C = 0 with
    A = 2n, B = −(fixed + broken) + (2n − fixed + broken)·δ₀, C = −broken·δ₀·(1 − δ₀).
    Works on numpy arrays of counts.
    """
    fixed, broken = np.asarray(fixed, dtype=float), np.asarray(broken, dtype=float)
    a = 2.0 * n
    b = -(fixed + broken) + (2.0 * n - fixed + broken) * delta0
    c = -broken * delta0 * (1.0 - delta0)
    return (np.sqrt(np.maximum(b * b - 4 * a * c, 0.0)) - b) / (2 * a)


def tango_z(fixed, broken, n, delta0: float):
    """Tango's score statistic for "difference = δ₀" (large: the difference is above δ₀).

    Z = (fixed − broken − n·δ₀) / √(n·(2·q̃ + δ₀·(1 − δ₀))), q̃ the constrained rate of broken
    flips. With no flip at all and δ₀ = 0 the variance is 0 and nothing is shown: Z = 0.
    Works on numpy arrays of counts.
    """
    fixed, broken = np.asarray(fixed, dtype=float), np.asarray(broken, dtype=float)
    variance = n * (2 * constrained_broken_rate(fixed, broken, n, delta0)
                    + delta0 * (1 - delta0))
    numerator = fixed - broken - n * delta0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = numerator / np.sqrt(np.maximum(variance, 0.0))
    return np.where(variance > 0, z, np.sign(numerator) * np.where(numerator == 0, 0, np.inf))


def _bound(fixed: int, broken: int, n: int, z_crit: float, lower: bool) -> float:
    """Where Tango's Z crosses ±z_crit: the one-sided 1 − alpha bound of the difference."""
    estimate = (fixed - broken) / n

    def excess(delta0: float) -> float:
        z = float(tango_z(fixed, broken, n, delta0))
        return z - z_crit if lower else z + z_crit

    edge = -_EDGE if lower else _EDGE
    estimate = min(max(estimate, -_EDGE), _EDGE)
    # Z falls as δ₀ rises; the bound exists only if the test rejects somewhere before the edge.
    if (excess(edge) <= 0) if lower else (excess(edge) >= 0):
        return -1.0 if lower else 1.0
    if (excess(estimate) >= 0) if lower else (excess(estimate) <= 0):
        return estimate  # rejects at the estimate itself (only at the clamped edge)
    low, high = (edge, estimate) if lower else (estimate, edge)
    return float(brentq(excess, low, high, xtol=_XTOL))


def tango_interval(fixed: int, broken: int, n: int, alpha: float) -> tuple[float, float]:
    """Tango's score interval: lower and upper one-sided 1 − alpha bounds of the difference."""
    if n <= 0:
        raise ValueError("no paired examples")
    if not 0 < alpha < 0.5:
        raise ValueError("alpha (one-sided) must be in (0, 0.5)")
    z_crit = float(norm.isf(alpha))
    return (_bound(fixed, broken, n, z_crit, lower=True),
            _bound(fixed, broken, n, z_crit, lower=False))


def non_inferiority_p(fixed, broken, n, margin: float):
    """One-sided p-value of "the candidate is worse by `margin` or more" (arrays accepted)."""
    return norm.sf(tango_z(fixed, broken, n, -margin))


def significant_drop_p(fixed, broken, n, margin: float):
    """One-sided p-value of "the candidate is worse by less than `margin`" (arrays accepted)."""
    return norm.cdf(tango_z(fixed, broken, n, -margin))


def tango(candidate: Sequence[bool], baseline: Sequence[bool], alpha: float, margin: float,
          decision: str = "non_inferiority") -> PairedResult:
    """The paired comparison of two correctness vectors over the same examples."""
    fixed, broken = discordant(candidate, baseline)
    return tango_counts(fixed, broken, len(candidate), alpha, margin, decision)


def tango_counts(fixed: int, broken: int, n: int, alpha: float, margin: float,
                 decision: str = "non_inferiority") -> PairedResult:
    """`tango` from the counts alone; `p_value` is exact (see `exact_null`)."""
    if n <= 0:
        raise ValueError("no paired examples")
    if fixed < 0 or broken < 0 or fixed + broken > n:
        raise ValueError("counts must be non-negative and at most n together")
    low, high = tango_interval(fixed, broken, n, alpha)
    z = float(tango_z(fixed, broken, n, -margin))
    p = exact_null(n, margin, upper=decision == "non_inferiority").p_value(z)
    return PairedResult(n=n, fixed=fixed, broken=broken, difference=(fixed - broken) / n,
                        ci_low=low, ci_high=high, z=z, p_value=p)


def all_outcomes(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (fixed, broken) outcome of n pairs, and the log multinomial coefficient of each."""
    flips = np.repeat(np.arange(n + 1), np.arange(n + 1) + 1)
    fixed = np.concatenate([np.arange(d + 1) for d in range(n + 1)])
    broken = flips - fixed
    log_coef = gammaln(n + 1) - gammaln(fixed + 1) - gammaln(broken + 1) - gammaln(n - flips + 1)
    return fixed, broken, log_coef


def nuisance_grid(margin: float) -> np.ndarray:
    """Shares of flipped examples ψ at which the null (difference = −margin) is evaluated.

    ψ ranges over every value the null allows, [margin, 1]; points are spaced quadratically
    so that small discordance, where the test's size moves fastest, is sampled densely.
    """
    t = np.linspace(0.0, 1.0, _NUISANCE_POINTS)
    low = max(margin, 1e-6)
    return low + (1 - 1e-9 - low) * t * t


@dataclass(frozen=True)
class ExactNull:
    """The null distribution of Tango's Z for n pairs at difference −margin, maximised over ψ.

    `z` holds the distinct Z values of every outcome, most extreme first (largest for the
    non-inferiority side, smallest for the significant-drop side); `tail[i]` is the largest,
    over the nuisance grid, probability of an outcome at least as extreme as `z[i]`.
    """

    z: np.ndarray
    tail: np.ndarray
    upper: bool

    def p_value(self, z_observed: float) -> float:
        """Exact unconditional p-value: sup over ψ of P(Z at least as extreme as observed).

        Outcomes on the null's side of Z = 0 were not tabulated: their p-value reads as 1.
        """
        return float(self.p_values(np.array([z_observed]))[0])

    def p_values(self, z_observed: np.ndarray) -> np.ndarray:
        """`p_value` of every element of an array of observed Z (the benchmark's outcomes)."""
        z_observed = np.asarray(z_observed, dtype=float)
        if self.upper:
            index = np.searchsorted(-self.z, -z_observed + _Z_TIE, side="right") - 1
            cut = z_observed < -_Z_TIE
        else:
            index = np.searchsorted(self.z, z_observed + _Z_TIE, side="right") - 1
            cut = z_observed > _Z_TIE
        p = np.where(index >= 0, self.tail[np.maximum(index, 0)], 0.0)
        return np.where(cut, 1.0, p)


@lru_cache(maxsize=16)
def exact_null(n: int, margin: float, upper: bool) -> ExactNull:
    """Build `ExactNull` (cached: a gate compares several metrics, a benchmark many cells).

    Outcomes are ordered by Z once; for each nuisance value ψ (flips split so the difference
    is exactly −margin: fixed rate (ψ − margin)/2, broken rate (ψ + margin)/2) the multinomial
    probabilities are summed cumulatively in that order, and the running maximum over ψ is
    kept. Cost: (n+1)(n+2)/2 outcomes times 600 values of ψ, a few seconds at n = 1000.
    """
    fixed, broken, log_coef = all_outcomes(n)
    z = tango_z(fixed, broken, n, -margin)
    # Only outcomes on the alternative's side of 0 can give p < 1/2; the rest are cut (their
    # p-value reads as 1), which halves the work.
    keep = z >= 0 if upper else z <= 0
    z, fixed, broken, log_coef = z[keep], fixed[keep], broken[keep], log_coef[keep]
    order = np.argsort(-z if upper else z, kind="stable")
    z, fixed, broken, log_coef = z[order], fixed[order], broken[order], log_coef[order]
    rest = n - fixed - broken
    tail = np.zeros(len(z))
    for psi in nuisance_grid(margin):
        p_fixed, p_broken = max((psi - margin) / 2, 0.0), (psi + margin) / 2
        log_pmf = (log_coef + xlogy(fixed, p_fixed) + xlogy(broken, p_broken)
                   + xlog1py(rest, -psi))
        np.maximum(tail, np.cumsum(np.exp(log_pmf)), out=tail)
    # Keep one entry per distinct Z (the last, which includes every tied outcome).
    last_of_tie = np.append(np.abs(np.diff(z)) > _Z_TIE, True)
    return ExactNull(z=z[last_of_tie], tail=np.minimum(tail[last_of_tie], 1.0), upper=upper)


def flips_sentence(fixed: int, broken: int) -> str:
    """The flips in plain words, for the verdict and the scorecard (never "(c, b)")."""
    def examples(count: int) -> str:
        return f"{count} example" + ("" if count == 1 else "s")

    return (f"The candidate fixes {examples(fixed)} the baseline got wrong and breaks "
            f"{examples(broken)} it got right.")

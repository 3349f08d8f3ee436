"""Power and sample size of the paired non-inferiority test, said out loud.

A paired comparison can only show what its eval set can resolve: the noise of the difference
grows with the share of examples that flip (discordance ψ) and shrinks with √n. These are
the large-sample formulas for Tango's score test (Nam 1997; Liu et al. 2002, Stat Med 21:231):
with δ the true difference, δ₀ = −margin, σ₀² = 2·q̃ + δ₀(1 − δ₀) the variance under the null
(q̃ the constrained broken-flip rate at the population values) and σ₁² = ψ − δ² the variance
under the truth,

    power = Φ( (√n·(δ − δ₀) − z₁₋α·σ₀) / σ₁ ),   n = ( z₁₋α·σ₀ + z_power·σ₁ )² / (δ − δ₀)².

The calibration benchmark compares them with the exact power of the gate's exact test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import xlog1py, xlogy
from scipy.stats import norm

from harness.gate.paired_statistics import (
    all_outcomes,
    constrained_broken_rate,
    exact_null,
    tango_z,
)
from harness.io.console import make_console

DEFAULT_POWER = 0.80


def _sigmas(discordance: float, margin: float, difference: float) -> tuple[float, float]:
    """(σ₀, σ₁): per-pair standard deviations of fixed − broken under the null and the truth."""
    p_fixed, p_broken = (discordance + difference) / 2, (discordance - difference) / 2
    if p_fixed < 0 or p_broken < 0:
        raise ValueError(f"a difference of {difference:+g} needs at least "
                         f"{abs(difference):g} of the examples to flip")
    delta0 = -margin
    q = float(constrained_broken_rate(p_fixed, p_broken, 1, delta0))
    null_var = 2 * q + delta0 * (1 - delta0)
    return math.sqrt(max(null_var, 0.0)), math.sqrt(max(discordance - difference ** 2, 0.0))


def power(n: int, discordance: float, margin: float, alpha: float,
          difference: float = 0.0) -> float:
    """Probability that non-inferiority at `margin` is shown (one-sided `alpha`)."""
    sigma0, sigma1 = _sigmas(discordance, margin, difference)
    shift = math.sqrt(n) * (difference + margin) - norm.isf(alpha) * sigma0
    if sigma1 == 0:
        return 1.0 if shift > 0 else 0.0
    return float(norm.cdf(shift / sigma1))


def sample_size(discordance: float, margin: float, alpha: float,
                target: float = DEFAULT_POWER, difference: float = 0.0) -> int:
    """Paired examples needed to show non-inferiority at `margin` with probability `target`."""
    if difference + margin <= 0:
        raise ValueError("a candidate this much worse cannot be shown non-inferior")
    sigma0, sigma1 = _sigmas(discordance, margin, difference)
    root = norm.isf(alpha) * sigma0 + norm.ppf(target) * sigma1
    return max(1, math.ceil(root * root / (difference + margin) ** 2))


def smallest_margin(n: int, discordance: float, alpha: float,
                    target: float = DEFAULT_POWER, difference: float = 0.0) -> float:
    """The smallest margin that n pairs at this discordance show with probability `target`."""
    floor = max(-difference, 0.0) + 1e-9

    def short(margin: float) -> float:
        return power(n, discordance, margin, alpha, difference) - target

    if short(1.0) < 0:
        return 1.0
    if short(floor) >= 0:
        return floor
    return float(brentq(short, floor, 1.0, xtol=1e-7))


def exact_pass_probability(n: int, margin: float, alpha: float, discordance: float,
                           difference: float) -> float:
    """P(the gate's exact test shows non-inferiority at `margin`) when the truth is
    (discordance, difference): every outcome of the multinomial is enumerated, so this is
    exact (no simulation error). At difference = −margin it is the test's size."""
    p_fixed, p_broken = (discordance + difference) / 2, (discordance - difference) / 2
    if p_fixed < -1e-12 or p_broken < -1e-12:
        raise ValueError(f"a difference of {difference:+g} needs at least "
                         f"{abs(difference):g} of the examples to flip")
    fixed, broken, log_coef = all_outcomes(n)
    passes = exact_null(n, margin, upper=True).p_values(tango_z(fixed, broken, n, -margin))
    log_pmf = (log_coef + xlogy(fixed, max(p_fixed, 0.0)) + xlogy(broken, max(p_broken, 0.0))
               + xlog1py(n - fixed - broken, -discordance))
    return float(np.exp(log_pmf)[passes <= alpha].sum())


@dataclass(frozen=True)
class PowerReport:
    """What one paired comparison could show: the sentence a verdict and a scorecard print."""

    n: int
    discordance: float
    alpha: float
    margin: float
    target: float
    smallest_margin: float
    power_at_margin: float
    n_needed: int | None  # None: a margin of 0 cannot be shown by any n

    @property
    def in_reach(self) -> bool:
        return self.margin >= self.smallest_margin

    def sentence(self) -> str:
        flips = f"{100 * self.discordance:.1f}% of {self.n} examples flipped"
        head = (f"power: with {flips}, the smallest margin this eval set shows with "
                f"{100 * self.target:.0f}% power (equal models) is {self.smallest_margin:.3f}; ")
        if self.in_reach:
            return head + (f"the policy's {self.margin:g} is within reach "
                           f"(power {100 * self.power_at_margin:.0f}%)")
        return head + (f"the policy's {self.margin:g} is OUT OF REACH (power "
                       f"{100 * self.power_at_margin:.0f}%): an equal model fails "
                           f"{100 - 100 * self.power_at_margin:.0f}% of the time; "
                       + (f"about {self.n_needed} examples would be needed" if self.n_needed
                          else "a margin of 0 cannot be shown by any number of examples"))


def power_report(n: int, discordance: float, margin: float, alpha: float,
                 target: float = DEFAULT_POWER) -> PowerReport:
    """Power of an equal model at the observed discordance (at least one flip in n assumed,
    since an eval set that nothing flips on says nothing about the next candidate)."""
    psi = max(discordance, 1 / n)
    return PowerReport(
        n=n, discordance=discordance, alpha=alpha, margin=margin, target=target,
        smallest_margin=smallest_margin(n, psi, alpha, target),
        power_at_margin=power(n, psi, margin, alpha),
        n_needed=sample_size(psi, margin, alpha, target) if margin > 0 else None)


def power_command(n: int, discordance: float, margin: float, alpha: float,
                  target: float = DEFAULT_POWER, difference: float = 0.0) -> int:
    """`sqlgate power`: what n paired examples can show, and what a margin needs (exit 0;
    2 when the numbers are impossible, e.g. a difference larger than the discordance)."""

    console = make_console()
    try:
        reached = power(n, discordance, margin, alpha, difference)
        smallest = smallest_margin(n, discordance, alpha, target, difference)
        needed = sample_size(discordance, margin, alpha, target, difference)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        return 2
    truth = "equal models" if difference == 0 else f"a true difference of {difference:+g}"
    console.print(f"{n} paired examples, {100 * discordance:g}% flipped, {truth}, one-sided "
                  f"alpha {alpha:g} (Tango score test; Nam 1997, Liu et al. 2002):",
                  highlight=False)
    console.print(f"  power to show non-inferiority at margin {margin:g}: {100 * reached:.1f}%",
                  highlight=False)
    console.print(f"  smallest margin shown with {100 * target:g}% power: {smallest:.4f}",
                  highlight=False)
    console.print(f"  examples needed for margin {margin:g} at {100 * target:g}% power: {needed}",
                  highlight=False)
    return 0

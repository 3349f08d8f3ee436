"""Benchmark: does the gate's paired test hold its size, and what power does it have?

For N in {100, 332, 1000} paired examples, discordance (share of examples that flip) 1–30 %
and true differences {−2×margin, −margin, 0, +3 points}, the probability that the gate shows
non-inferiority at the margin. It is computed EXACTLY, by enumerating every outcome of the
multinomial (`power.exact_pass_probability`): no simulation error. At −margin that
probability is the test's size and must be ≤ alpha in every cell.

Beside it, for the record: the same size for the withdrawn conditional McNemar interval and
for Tango's asymptotic test alone (why the exact p-value is used), and a Monte Carlo run of
the whole gate (`evaluate_gate` on simulated results files) with its simulation error, to
show the gate's code path gives the enumerated numbers. Writes
benchmarks/results/gate_calibration.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
from scipy.special import xlog1py, xlogy
from scipy.stats import beta

from harness.gate.paired_statistics import all_outcomes, non_inferiority_p
from harness.gate.policy import Policy, evaluate_gate
from harness.gate.power import exact_pass_probability, power, smallest_margin
from harness.scoring.metrics import summarize
from harness.scoring.scorer import ExampleScore

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 332, 1000)
DISCORDANCE = tuple(round(0.01 * k, 2) for k in range(1, 31))


def feasible(discordance: float, difference: float) -> bool:
    """A difference d needs at least |d| of the examples to flip."""
    return discordance + 1e-12 >= abs(difference)


def _pmf(n: int, discordance: float, difference: float) -> tuple[np.ndarray, ...]:
    fixed, broken, log_coef = all_outcomes(n)
    p_fixed, p_broken = (discordance + difference) / 2, (discordance - difference) / 2
    log_pmf = (log_coef + xlogy(fixed, max(p_fixed, 0.0)) + xlogy(broken, max(p_broken, 0.0))
               + xlog1py(n - fixed - broken, -discordance))
    return fixed, broken, np.exp(log_pmf)


def mcnemar_conditional_size(n: int, margin: float, two_sided_alpha: float,
                             discordance: float) -> float:
    """Size of the withdrawn rule: Clopper–Pearson lower bound of fixed/(fixed+broken),
    mapped to (2π − 1)·(fixed+broken)/n, compared with −margin (the old [baseline])."""
    fixed, broken, pmf = _pmf(n, discordance, -margin)
    flips = fixed + broken
    with np.errstate(invalid="ignore"):
        pi_low = np.where(fixed > 0, beta.ppf(two_sided_alpha / 2, fixed,
                                              np.maximum(flips - fixed + 1, 1)), 0.0)
    low = np.where(flips > 0, (2 * pi_low - 1) * flips / n, 0.0)
    return float(pmf[low >= -margin].sum())


def tango_asymptotic_size(n: int, margin: float, alpha: float, discordance: float) -> float:
    fixed, broken, pmf = _pmf(n, discordance, -margin)
    return float(pmf[non_inferiority_p(fixed, broken, n, margin) <= alpha].sum())


def _results(correct: list[bool]) -> dict:
    scores = [ExampleScore(id=f"q{i:04d}", correct=ok, status="correct" if ok else "wrong_result",
                           reason="", kind="answerable", domain="AP", difficulty="easy")
              for i, ok in enumerate(correct)]
    summary = summarize(scores)
    summary["run"] = {"eval_set_sha256": "0" * 64, "complete": True}
    return {"summary": summary, "examples": [s.to_json() for s in scores]}


def gate_monte_carlo(n: int, margin: float, alpha: float, discordance: float,
                     difference: float, sims: int, seed: int) -> dict:
    """Pass rate of `evaluate_gate` itself on simulated pairs of results files, ± its SE."""
    policy = Policy.model_validate({
        "policy": {"name": "calibration", "version": 1},
        "baseline": [{"metric": "execution_accuracy", "max_drop": margin,
                      "one_sided_alpha": alpha}]})
    rng = np.random.default_rng(seed)
    p_fixed, p_broken = (discordance + difference) / 2, (discordance - difference) / 2
    # Each example independently: fixed, broken, both right, both wrong; the baseline is
    # right on 60 % on average (the audit). This is the multinomial the test assumes,
    # with a new baseline every run.
    probs = [p_fixed, p_broken, 0.6 - p_broken, 0.4 - p_fixed]
    passed = 0
    for _ in range(sims):
        kind = rng.choice(4, size=n, p=probs)
        cand = [bool(k in (0, 2)) for k in kind]
        base = [bool(k in (1, 2)) for k in kind]
        passed += evaluate_gate(_results(cand), policy, _results(base)).passed
    rate = passed / sims
    return {"n": n, "discordance": discordance, "difference": difference, "sims": sims,
            "pass_rate": rate, "se": math.sqrt(max(rate * (1 - rate), 1 / sims) / sims)}


def run(margin: float, alpha: float, sims: int) -> dict:
    differences = {"-2m": -2 * margin, "-m": -margin, "0": 0.0, "+3pts": 0.03}
    cells = []
    start = time.perf_counter()
    for n in SIZES:
        for psi in DISCORDANCE:
            row = {"n": n, "discordance": psi}
            for label, d in differences.items():
                row[label] = (exact_pass_probability(n, margin, alpha, psi, d)
                              if feasible(psi, d) else None)
            row["formula_power_0"] = power(n, psi, margin, alpha)
            row["smallest_margin_80"] = smallest_margin(n, psi, alpha)
            if feasible(psi, -margin):
                row["mcnemar_old_size"] = mcnemar_conditional_size(n, margin, 2 * alpha, psi)
                row["tango_asymptotic_size"] = tango_asymptotic_size(n, margin, alpha, psi)
            cells.append(row)
    exact_seconds = time.perf_counter() - start
    monte_carlo = [gate_monte_carlo(332, margin, alpha, psi, d, sims, seed)
                   for seed, (psi, d) in enumerate([(0.02, -margin), (0.03, -margin),
                                                    (0.04, -margin), (0.10, -margin),
                                                    (0.05, 0.0), (0.10, 0.0)])]
    sizes = [c["-m"] for c in cells if c["-m"] is not None]
    return {"margin": margin, "one_sided_alpha": alpha, "cells": cells,
            "monte_carlo_gate": monte_carlo, "max_size": max(sizes),
            "every_cell_holds": all(s <= alpha for s in sizes),
            "exact_seconds": round(exact_seconds, 1),
            "machine": f"{platform.machine()}, {platform.python_version()}"}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.2f}"


def markdown(report: dict) -> str:
    m, a = report["margin"], report["one_sided_alpha"]
    lines = [
        "# Gate calibration: size and power of the paired non-inferiority test",
        "",
        f"Margin {m:g}, one-sided alpha {a:g}. Pass rates in %, computed exactly by "
        "enumerating every outcome (simulation error 0). `-m` is the size: it must be "
        f"≤ {100 * a:g} in every cell. `—`: impossible (a difference d needs ≥ |d| flips).",
        "",
        f"**Largest size over all cells: {_pct(report['max_size'])} % — "
        + ("every cell holds.**" if report["every_cell_holds"] else "SOME CELL EXCEEDS ALPHA.**"),
        "",
    ]
    for n in SIZES:
        lines += [f"## N = {n}", "",
                  "| flips % | −2m | −m (size) | 0 (power) | +3 pts | power 0, formula | "
                  "smallest margin @80 % | old McNemar size | Tango asymptotic size |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for c in (c for c in report["cells"] if c["n"] == n):
            lines.append(
                f"| {100 * c['discordance']:.0f} | {_pct(c['-2m'])} | {_pct(c['-m'])} | "
                f"{_pct(c['0'])} | {_pct(c['+3pts'])} | {_pct(c['formula_power_0'])} | "
                f"{c['smallest_margin_80']:.3f} | {_pct(c.get('mcnemar_old_size'))} | "
                f"{_pct(c.get('tango_asymptotic_size'))} |")
        lines.append("")
    lines += ["## The whole gate, simulated (N = 332, baseline accuracy 0.60)", "",
              "`evaluate_gate` on simulated results files; pass rate ± one simulation "
              "standard error, beside the enumerated probability.", "",
              "| flips % | true difference | sims | gate pass % | ± SE | enumerated % |",
              "|---|---|---|---|---|---|"]
    for mc in report["monte_carlo_gate"]:
        exact = exact_pass_probability(mc["n"], m, a, mc["discordance"], mc["difference"])
        lines.append(f"| {100 * mc['discordance']:.0f} | {mc['difference']:+g} | {mc['sims']} | "
                     f"{_pct(mc['pass_rate'])} | {_pct(mc['se'])} | {_pct(exact)} |")
    lines += ["", f"Exact tables computed in {report['exact_seconds']} s ({report['machine']}).",
              ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--margin", type=float, default=0.02)
    parser.add_argument("--alpha", type=float, default=0.025, help="one-sided")
    parser.add_argument("--sims", type=int, default=400, help="Monte Carlo runs of the gate")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    report = run(args.margin, args.alpha, args.sims)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gate_calibration.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / "gate_calibration.md").write_text(markdown(report))
    print(f"largest size {report['max_size']:.5f} (alpha {args.alpha}); every cell holds: "
          f"{report['every_cell_holds']}")


if __name__ == "__main__":
    main()

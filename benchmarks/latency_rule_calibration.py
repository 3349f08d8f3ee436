"""Benchmark: error rates of the relative latency rule (candidate vs the promoted baseline).

The rule (`harness.serving.latency.relative_latency_test`, `[[latency_baseline]]` in a gate policy):
the candidate's p95 E2E is shown below (1 + max_increase) × the baseline's by Welch's one-sided
t-test on the log p95s of R repetitions per model. Its error rates depend on R and on how much
one repetition's p95 varies from run to run, so that noise is taken from our measured repeats:
the H100 serving runs of 2026-11-24 and their re-run of 2026-11-25 (same server image, shape,
prompts' sizes and concurrency; benchmarks/results/serving_h100*.json), per concurrency and
per tool (sqlgate's load generator and `vllm bench serve`). A pair of runs gives
d = log(p95_a / p95_b), whose variance is 2σ²; σ is pooled over the pairs, with its one-sided
95 % chi-square upper bound.

Simulated: log p95 of a repetition ~ Normal(log(true p95), σ), R per model, the candidate at
1.00×, 1.10× (the margin) and 1.20× the baseline. Reported: the false-fail rate (an equal
candidate fails), the size (a candidate exactly at the margin passes: ≤ alpha by design) and
the power (a 20 % slower candidate fails), for σ from the measured value up to 5 %, because the
measured repeats ran fixed-length (ignore_eos) random prompts and the golden workload's p95
over variable SQL lengths may vary more; the GPU session measures it
(benchmarks/gpu/release_path.sh). Writes benchmarks/results/latency_rule_calibration.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
from scipy.stats import chi2

from harness.serving.latency import relative_latency_test

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# (first run, re-run) files of the repeated H100 measurements.
REPEATS = (("serving_h100.json", "serving_h100_rerun_c4.json"),
           ("serving_h100.json", "serving_h100_rerun_c1_c8.json"))
# (tool, key in the file's per-concurrency entry, p95 E2E field)
TOOLS = (("sqlgate", "sqlgate", "p95_e2e_ms"), ("vllm bench", "vllm_bench", "p95_e2el_ms"))
RATIOS = (1.00, 1.10, 1.20)
REPETITIONS = (2, 3, 4, 5, 6, 8)
STRESS_SIGMAS = (0.01, 0.02, 0.05)
MAX_INCREASE, ALPHA = 0.10, 0.05


def measured_pairs() -> list[dict]:
    """Every (first run, re-run) pair of p95 E2E on the same concurrency and tool."""
    pairs = []
    for first_name, again_name in REPEATS:
        first = json.loads((RESULTS / first_name).read_text(encoding="utf-8"))["concurrency"]
        again = json.loads((RESULTS / again_name).read_text(encoding="utf-8"))["concurrency"]
        for users in sorted(set(first) & set(again), key=int):
            for tool, key, field in TOOLS:
                a, b = first[users][key][field], again[users][key][field]
                pairs.append({"users": int(users), "tool": tool, "first_ms": a, "rerun_ms": b,
                              "log_ratio": math.log(a / b)})
    return pairs


def pooled_sigma(pairs: list[dict]) -> tuple[float, float]:
    """σ of one repetition's log p95 (var(d) = 2σ²) and its one-sided 95 % upper bound."""
    k = len(pairs)
    sigma = math.sqrt(sum(p["log_ratio"] ** 2 for p in pairs) / (2 * k))
    return sigma, sigma * math.sqrt(k / chi2.ppf(0.05, k))


def pass_rate(ratio: float, sigma: float, repetitions: int, simulations: int,
              rng: np.random.Generator) -> float:
    """Share of simulated A/B runs in which the gate's test passes the candidate."""
    passed = 0
    for _ in range(simulations):
        base = np.exp(rng.normal(0.0, sigma, repetitions)) * 1000.0
        cand = np.exp(rng.normal(math.log(ratio), sigma, repetitions)) * 1000.0
        passed += relative_latency_test(cand.tolist(), base.tolist(), max_increase=MAX_INCREASE,
                                        one_sided_alpha=ALPHA).passed
    return passed / simulations


def recommend(table: list[dict], sigma: float) -> int | None:
    """The smallest R whose false-fail rate is ≤ 5 % and power ≥ 80 % at this σ."""
    for row in table:
        if (math.isclose(row["sigma"], sigma) and row["false_fail"] <= 0.05
                and row["power_at_1.2"] >= 0.80):
            return row["repetitions"]
    return None


def run(simulations: int, seed: int) -> dict:
    pairs = measured_pairs()
    sigma, sigma_upper = pooled_sigma(pairs)
    sigmas = (sigma, sigma_upper, *STRESS_SIGMAS)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    table = []
    for s in sigmas:
        for r in REPETITIONS:
            rates = {ratio: pass_rate(ratio, s, r, simulations, rng) for ratio in RATIOS}
            table.append({"sigma": s, "repetitions": r, "false_fail": 1 - rates[1.00],
                          "size_at_margin": rates[1.10], "power_at_1.2": 1 - rates[1.20]})
    return {
        "rule": {"test": "Welch one-sided t-test on log p95 (scipy.stats.ttest_ind)",
                 "max_increase": MAX_INCREASE, "one_sided_alpha": ALPHA},
        "noise": {"pairs": pairs, "sigma": sigma, "sigma_upper95": sigma_upper},
        "simulations_per_cell": simulations, "seed": seed,
        "monte_carlo_se_at_5pct": math.sqrt(0.05 * 0.95 / simulations),
        "table": table,
        "recommended_repetitions": {f"{s:.4f}": recommend(table, s) for s in sigmas},
        "wall_s": round(time.perf_counter() - started, 1),
        "machine": platform.platform(),
    }


def markdown(body: dict) -> str:
    noise, rule = body["noise"], body["rule"]
    lines = [
        "# Relative latency rule: simulated error rates",
        "",
        f"Rule: candidate p95 E2E shown below {1 + rule['max_increase']:.2f} × the baseline's "
        f"({rule['test']}, one-sided alpha {rule['one_sided_alpha']}), R repetitions per "
        "model on the same server and prompts. Written by "
        "`python benchmarks/latency_rule_calibration.py`.",
        "",
        "## Run-to-run noise, measured (H100, 70B AWQ shape, first run vs re-run)",
        "",
        "| users | tool | first p95 E2E ms | re-run ms | log ratio |",
        "|---|---|---|---|---|",
        *[f"| {p['users']} | {p['tool']} | {p['first_ms']:.0f} | {p['rerun_ms']:.0f} | "
          f"{p['log_ratio']:+.4f} |" for p in noise["pairs"]],
        "",
        f"σ of one repetition's log p95: **{noise['sigma']:.4f}** ({100 * noise['sigma']:.2f} "
        f"%), 95 % upper bound {noise['sigma_upper95']:.4f}. Those runs had fixed output "
        "lengths; the stress rows (1–5 %) cover a noisier golden workload.",
        "",
        f"## Error rates ({body['simulations_per_cell']} simulated A/B runs per cell; Monte "
        f"Carlo SE ≈ {100 * body['monte_carlo_se_at_5pct']:.1f} points at 5 %)",
        "",
        "| σ | R | false fail (equal) | pass at the margin (1.10×, size) | power (1.20× fails) |",
        "|---|---|---|---|---|",
        *[f"| {row['sigma']:.4f} | {row['repetitions']} | {100 * row['false_fail']:.1f} % | "
          f"{100 * row['size_at_margin']:.1f} % | {100 * row['power_at_1.2']:.1f} % |"
          for row in body["table"]],
        "",
        "Smallest R with false fail ≤ 5 % and power ≥ 80 %, by σ: "
        + ", ".join(f"σ {s}: {r if r is not None else 'none ≤ 8'}"
                    for s, r in body["recommended_repetitions"].items()) + ".",
        "",
        f"Wall time {body['wall_s']} s on {body['machine']}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, default=RESULTS / "latency_rule_calibration")
    args = parser.parse_args()
    body = run(args.simulations, args.seed)
    args.out.with_suffix(".json").write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(body), encoding="utf-8")
    print(markdown(body))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

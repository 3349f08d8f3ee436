"""The candidate's latency against the promoted baseline's: same server, same prompts, same run.

R repetitions per model, interleaved (candidate first in even repetitions, baseline first in
odd ones, so a drift of the machine during the run hits both alike); every repetition is one
closed-loop run (`harness.serving.load_generator.run_closed_loop`: ``--users`` users, one warm-up request
each, ``--requests-per-user`` measured) over golden prompts with production-sized RAG contexts
(`harness.serving.load_generator.latency_prompts`, fixed seed): repetition r sends both models the SAME
r-th slice, and no prompt repeats across repetitions, so the prefix cache (on, as in
production) never turns a repetition into a cache benchmark. Writes every repetition's summary
to ``--out`` and, with ``--results``, adds to that results.json's ``summary.latency``:

- ``by_repetition``: the candidate's p95 E2E and p95 TTFT per repetition;
- ``baseline``: ``{"candidate": <registry id of the baseline>, "model": ..., "by_repetition"}``;

which the gate's ``[[latency_baseline]]`` rule tests (`harness.serving.latency.relative_latency_test`).
The two models are served side by side (two base URLs); on a GPU too small for both, serve
them one after the other and pass the same URL with ``--serial`` (R repetitions of one model,
then of the other: drift then counts against the candidate, say so in the report).

    python benchmarks/gpu/latency_ab.py --candidate-url http://127.0.0.1:8001 \\
        --candidate-model cand --baseline-url http://127.0.0.1:8002 --baseline-model prod \\
        --baseline-candidate prod-v1 --repetitions 3 --results reports/cand/results.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.serving.latency import by_repetition, gate_summary, summarize_latency  # noqa: E402
from harness.serving.load_generator import LoadSpec, run_closed_loop  # noqa: E402


@dataclass(frozen=True)
class Served:
    """One model behind an OpenAI-compatible server."""

    url: str
    model: str


def run_order(repetitions: int, serial: bool, baseline: bool = True
              ) -> list[tuple[int, str]]:
    """(repetition, "candidate" | "baseline") in the order they run."""
    if not baseline:
        return [(r, "candidate") for r in range(repetitions)]
    if serial:
        return ([(r, "candidate") for r in range(repetitions)]
                + [(r, "baseline") for r in range(repetitions)])
    pairs = (("candidate", "baseline"), ("baseline", "candidate"))
    return [(r, who) for r in range(repetitions) for who in pairs[r % 2]]


def run_ab(candidate: Served, baseline: Served | None, prompts: Sequence[str], *, repetitions: int,
           users: int, requests_per_user: int, max_tokens: int, timeout_s: float,
           serial: bool = False, run: Callable[[LoadSpec], list] = run_closed_loop) -> dict:
    """Every repetition's latency summary, by model, in repetition order; ``prompts`` is cut
    into ``repetitions`` equal slices, slice r for repetition r of both models."""
    per = len(prompts) // repetitions
    if per < 1:
        raise ValueError(f"{len(prompts)} prompts for {repetitions} repetitions")
    served = {"candidate": candidate, "baseline": baseline}
    summaries: dict[str, list[dict | None]] = {who: [None] * repetitions for who in served
                                               if served[who] is not None}
    for repetition, who in run_order(repetitions, serial, baseline is not None):
        chosen = tuple(prompts[repetition * per:(repetition + 1) * per])
        spec = LoadSpec(served[who].url, served[who].model, chosen, users, 1,
                        requests_per_user, max_tokens, timeout_s)
        summaries[who][repetition] = summarize_latency(run(spec), concurrency=users)
    return summaries


def attach(results: dict, summaries: dict, *, baseline_candidate: str | None,
           baseline_model: str) -> dict:
    """``results`` with the A/B figures in ``summary.latency`` (the latency suite's own
    figures kept; the first repetition's when the suite did not run)."""
    latency = dict(results["summary"].get("latency") or gate_summary(summaries["candidate"][0]))
    latency["by_repetition"] = by_repetition(summaries["candidate"])
    latency["baseline"] = {"candidate": baseline_candidate, "model": baseline_model,
                           "by_repetition": by_repetition(summaries["baseline"])}
    return {**results, "summary": {**results["summary"], "latency": latency}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate-url", required=True)
    parser.add_argument("--candidate-model", required=True)
    parser.add_argument("--baseline-url")
    parser.add_argument("--baseline-model")
    parser.add_argument("--no-baseline", action="store_true",
                        help="measure the candidate alone (a serving-config comparison)")
    parser.add_argument("--baseline-candidate", help="the baseline's registry id")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--requests-per-user", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--timeout-s", type=float, default=120.0)
    parser.add_argument("--serial", action="store_true",
                        help="all candidate repetitions, then all baseline ones")
    parser.add_argument("--results", type=Path, help="results.json to add the figures to")
    parser.add_argument("--out", type=Path, default=Path("latency_ab.json"))
    args = parser.parse_args(argv)
    if args.repetitions < 2:
        parser.error("--repetitions: at least 2 (the gate's test needs a spread)")
    if not args.no_baseline and not (args.baseline_url and args.baseline_model):
        parser.error("--baseline-url and --baseline-model, or --no-baseline")

    from harness.inputs.catalog import load_catalog
    from harness.inputs.golden import load_eval_set
    from harness.serving.load_generator import latency_prompts

    questions = [e.question for e in load_eval_set(ROOT / "fixtures/golden/ebs_core.jsonl").examples]
    prompts = latency_prompts(load_catalog(), questions,
                              args.repetitions * args.users * (args.requests_per_user + 1))
    baseline = None if args.no_baseline else Served(args.baseline_url, args.baseline_model)
    summaries = run_ab(Served(args.candidate_url, args.candidate_model), baseline, prompts,
                       repetitions=args.repetitions, users=args.users,
                       requests_per_user=args.requests_per_user, max_tokens=args.max_tokens,
                       timeout_s=args.timeout_s, serial=args.serial)
    args.out.write_text(json.dumps({"order": run_order(args.repetitions, args.serial,
                                                       baseline is not None),
                                    "summaries": summaries}, indent=1) + "\n", encoding="utf-8")
    if args.results is not None and baseline is not None:
        results = json.loads(args.results.read_text(encoding="utf-8"))
        updated = attach(results, summaries, baseline_candidate=args.baseline_candidate,
                         baseline_model=args.baseline_model)
        args.results.write_text(json.dumps(updated, indent=1) + "\n", encoding="utf-8")
    for who in summaries:
        figures = by_repetition(summaries[who])["p95_e2e_ms"]
        print(f"{who}: p95 E2E by repetition (ms) " + ", ".join(f"{v:.0f}" for v in figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

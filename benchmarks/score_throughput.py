"""Benchmark: predictions scored per second on the embedded test suite, gold cache cold and warm.

Builds N predictions from an eval set (its golds, and near misses: neighbour queries of them
from harness.authoring.mutants, the edits the mutation score is measured with), scores them
on K instances twice — first with an empty gold cache, then with the cache it filled — and
reports medians over repeats, the split between time in DuckDB and time in sqlgate's own
code, and the warm/cold ratio. Writes benchmarks/results/score_throughput.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb
import sqlglot

from harness.authoring.mutants import neighbours
from harness.inputs.catalog import load_catalog
from harness.inputs.golden import load_eval_set
from harness.scoring.gold_cache import GoldCache
from harness.scoring.run import duckdb_backends, score_predictions

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT / "fixtures" / "golden" / "ebs_core.jsonl"


def near_miss(sql: str, variant: int) -> str:
    """A plausible wrong answer: the `variant`-th neighbour query of the gold (round robin)."""
    found = neighbours(sql)
    return found[variant % len(found)].sql if found else sql


def make_inputs(eval_path: Path, n: int, workdir: Path) -> tuple[Path, Path]:
    """An eval set of n examples (the source's, repeated under new ids) and predictions for it:
    half the gold itself, half a near miss."""
    examples = [e for e in load_eval_set(eval_path).examples if e.kind == "answerable"]
    eval_out, pred_out = workdir / "eval.jsonl", workdir / "pred.jsonl"
    with eval_out.open("w") as ev, pred_out.open("w") as pr:
        for i in range(n):
            ex = examples[i % len(examples)]
            row = ex.model_dump(exclude_none=True)
            row["id"] = f"{ex.id}#{i}"
            ev.write(json.dumps(row) + "\n")
            sql = ex.sql_gold if i % 2 == 0 else near_miss(ex.sql_gold, i // 2)
            # A distinct text per prediction, so no prediction is served from the
            # translation cache of an earlier identical one (real candidates rarely repeat).
            pr.write(json.dumps({"id": row["id"], "sql": f"{sql}\n-- prediction {i}"}) + "\n")
    return eval_out, pred_out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-set", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("-n", type=int, default=1000, help="predictions to score")
    parser.add_argument("-k", type=int, default=None,
                        help="test-suite instances (default: the recipe's, 7)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)

    catalog = load_catalog()
    backends = duckdb_backends(catalog, args.k, progress=False)
    args.k = len(backends)
    runs = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as tmp:
        eval_path, pred_path = make_inputs(args.eval_set, args.n, Path(tmp))
        for repeat in range(args.repeats):
            cache = Path(tmp) / f"cache{repeat}"
            for phase in ("cold", "warm"):
                run = score_predictions(eval_path, pred_path, backends=backends,
                                        catalog=catalog, gold_cache=GoldCache(cache))
                runs[phase].append({
                    "seconds": run.seconds, "db_seconds": run.db_seconds,
                    "own_seconds": run.seconds - run.db_seconds,
                    "predictions_per_s": args.n / run.seconds,
                    "correct": run.summary["correct"],
                    "gold_cache_hits": run.gold_cache_hits,
                })
                print(f"repeat {repeat} {phase}: {run.seconds:.2f} s "
                      f"({args.n / run.seconds:.0f} predictions/s)", file=sys.stderr)
    for b in backends:
        b.close()

    def med(phase: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[phase])

    report = {
        "benchmark": "score_throughput",
        "n_predictions": args.n, "k_instances": args.k, "repeats": args.repeats,
        "eval_set": str(args.eval_set.relative_to(ROOT) if args.eval_set.is_relative_to(ROOT)
                        else args.eval_set),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "duckdb": duckdb.__version__, "sqlglot": sqlglot.__version__,
                    "platform": platform.platform()},
        "median": {phase: {key: med(phase, key) for key in
                           ("seconds", "db_seconds", "own_seconds", "predictions_per_s")}
                   for phase in runs},
        "warm_over_cold_speedup": med("cold", "seconds") / med("warm", "seconds"),
        "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "score_throughput.json").write_text(json.dumps(report, indent=1) + "\n")
    m = report["median"]
    (args.out / "score_throughput.md").write_text(
        f"# Scoring throughput\n\n{args.n} predictions × {args.k} instances, median of "
        f"{args.repeats} runs on {os.cpu_count()} cores (shared machine: compare ratios, "
        "not absolute times).\n\n"
        "| gold cache | seconds | predictions/s | in DuckDB | in sqlgate |\n|---|---|---|---|---|\n"
        + "".join(f"| {p} | {m[p]['seconds']:.2f} | {m[p]['predictions_per_s']:.0f} | "
                  f"{m[p]['db_seconds'] / m[p]['seconds']:.0%} | "
                  f"{m[p]['own_seconds'] / m[p]['seconds']:.0%} |\n" for p in ("cold", "warm"))
        + f"\nwarm is {report['warm_over_cold_speedup']:.2f}× faster than cold.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: predictions scored per second on the embedded test suite, gold cache cold and warm.

Builds N predictions from an eval set (its golds, and near misses: neighbour queries of them
from harness.authoring.mutants, the edits the mutation score is measured with), scores them
on K instances, first with an empty gold cache (cold), then `--warm-runs` times with the
cache it filled and the process's own caches (warm) — and reports medians, the split between
time in DuckDB and time in sqlgate's own code, and the warm/cold ratio. Each repeat is a fresh
process. Writes benchmarks/results/score_throughput.{json,md}.

With `--baseline REF` (a git commit) the same predictions are scored by the code of REF and
by this checkout in one run: each repeat runs both, one after the other in fresh processes
(neither inherits the other's caches), and the report gives the ratio of the medians and
whether every verdict is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT / "fixtures" / "golden" / "ebs_core.jsonl"
PHASES = ("cold", "warm")
TIMES = ("seconds", "db_seconds", "own_seconds", "predictions_per_s")


def near_miss(sql: str, variant: int) -> str:
    """A plausible wrong answer: the `variant`-th neighbour query of the gold (round robin)."""
    from harness.authoring.mutants import neighbours

    found = neighbours(sql)
    return found[variant % len(found)].sql if found else sql


def make_inputs(eval_path: Path, n: int, workdir: Path) -> tuple[Path, Path]:
    """An eval set of n examples (the source's, repeated under new ids) and predictions for it:
    half the gold itself, half a near miss."""
    from harness.inputs.golden import load_eval_set

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


def score_runs(eval_path: Path, pred_path: Path, k: int | None, cache: Path,
               warm_runs: int) -> dict:
    """One repeat in this process: cold (empty gold cache), then warm (the cache it filled)
    `warm_runs` times."""
    from harness.inputs.catalog import load_catalog
    from harness.scoring.gold_cache import GoldCache
    from harness.scoring.run import duckdb_backends, score_predictions

    catalog = load_catalog()
    backends = duckdb_backends(catalog, k, progress=False)
    out: dict = {"k": len(backends), "cold": [], "warm": []}
    n = sum(1 for _ in pred_path.open())
    for phase in ("cold", *["warm"] * warm_runs):
        run = score_predictions(eval_path, pred_path, backends=backends, catalog=catalog,
                                gold_cache=GoldCache(cache))
        out[phase].append({
            "seconds": run.seconds, "db_seconds": run.db_seconds,
            "own_seconds": run.seconds - run.db_seconds,
            "predictions_per_s": n / run.seconds,
            "correct": run.summary["correct"],
            "gold_cache_hits": run.gold_cache_hits,
        })
        # Everything but the time: equal verdicts are what "behaviour did not change" means.
        out[f"{phase}_verdicts"] = [{k: v for k, v in s.to_json().items() if k != "seconds"}
                                    for s in run.scores]
    for b in backends:
        b.close()
    return out


def child(argv: list[str]) -> int:
    """`--child CODE EVAL PRED K CACHE WARM_RUNS OUT`: score_runs with the harness at CODE."""
    code, eval_path, pred_path, k, cache, warm_runs, out = argv
    sys.path.insert(0, code)
    result = score_runs(Path(eval_path), Path(pred_path), int(k) if k != "-" else None,
                        Path(cache), int(warm_runs))
    Path(out).write_text(json.dumps(result, default=repr))  # row values: dates, Decimals
    return 0


def export_commit(ref: str, dest: Path) -> str:
    """The tree of commit `ref` written to `dest` (git archive: no worktree, no git state)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", ref], check=True,
                         capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha, "harness", "fixtures",
                              "pyproject.toml"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return sha


def run_variant(code: Path, eval_path: Path, pred_path: Path, k: int | None,
                warm_runs: int, workdir: Path, tag: str) -> dict:
    """score_runs in a fresh process importing the harness at `code`."""
    from harness.io.cache_dir import cache_root

    out = workdir / f"{tag}.json"
    env = {**os.environ, "PYTHONPATH": str(code),
           "SQLGATE_CACHE_DIR": os.environ.get("SQLGATE_CACHE_DIR", str(cache_root()))}
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(code),
                    str(eval_path), str(pred_path), "-" if k is None else str(k),
                    str(workdir / f"gold-cache-{tag}"), str(warm_runs), str(out)],
                   check=True, env=env)
    return json.loads(out.read_text())


def summarize(runs: list[dict]) -> dict:
    """Medians per phase over every run of every repeat."""
    return {phase: {key: statistics.median(t[key] for r in runs for t in r[phase])
                    for key in TIMES}
            for phase in PHASES}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-set", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("-n", type=int, default=1000, help="predictions to score")
    parser.add_argument("-k", type=int, default=None,
                        help="test-suite instances (default: the recipe's, 7)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="fresh processes per code version (each: cold, then warm runs)")
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--baseline", metavar="REF",
                        help="also score with the code of this git commit, in the same run")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)

    variants: dict[str, list[dict]] = {"current": []}
    baseline_sha = None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        eval_path, pred_path = make_inputs(args.eval_set, args.n, workdir)
        codes = {"current": ROOT}
        if args.baseline:
            codes = {"baseline": workdir / "baseline", "current": ROOT}
            baseline_sha = export_commit(args.baseline, codes["baseline"])
            variants = {"baseline": [], "current": []}
        for repeat in range(args.repeats):
            for name, code in codes.items():
                run = run_variant(code, eval_path, pred_path, args.k, args.warm_runs, workdir,
                                  f"{name}{repeat}")
                variants[name].append(run)
                warm = ", ".join(f"{t['seconds']:.2f}" for t in run["warm"])
                print(f"repeat {repeat} {name}: cold {run['cold'][0]['seconds']:.2f} s, "
                      f"warm {warm} s", file=sys.stderr)
    k = variants["current"][0]["k"]
    report = {
        "benchmark": "score_throughput",
        "n_predictions": args.n, "k_instances": k, "repeats": args.repeats,
        "warm_runs": args.warm_runs,
        "eval_set": str(args.eval_set.relative_to(ROOT) if args.eval_set.is_relative_to(ROOT)
                        else args.eval_set),
        "machine": _machine(),
        "median": summarize(variants["current"]),
        "runs": {name: [{p: r[p] for p in PHASES} for r in runs]
                 for name, runs in variants.items()},
    }
    m = report["median"]
    report["warm_over_cold_speedup"] = m["cold"]["seconds"] / m["warm"]["seconds"]
    if baseline_sha:
        b = summarize(variants["baseline"])
        report["baseline"] = {"commit": baseline_sha, "median": b}
        report["speedup_over_baseline"] = {p: b[p]["seconds"] / m[p]["seconds"] for p in PHASES}
        report["verdicts_differ"] = _differences(variants)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "score_throughput.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / "score_throughput.md").write_text(_markdown(report))
    return 0


def _differences(variants: dict[str, list[dict]]) -> dict[str, int]:
    """Per phase, how many examples any baseline run scored other than any current run."""
    first = variants["current"][0]
    return {phase: sum(
        any(run[f"{phase}_verdicts"][i] != first[f"{phase}_verdicts"][i]
            for runs in variants.values() for run in runs)
        for i in range(len(first[f"{phase}_verdicts"])))
        for phase in PHASES}


def _machine() -> dict:
    import duckdb
    import sqlglot

    return {"cores": os.cpu_count(), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "sqlglot": sqlglot.__version__,
            "platform": platform.platform()}


def _markdown(report: dict) -> str:
    n, k, repeats = report["n_predictions"], report["k_instances"], report["repeats"]
    warm_runs = report["warm_runs"]
    rows = [("this checkout", report["median"])]
    if "baseline" in report:
        rows.insert(0, (f"baseline {report['baseline']['commit'][:7]}",
                        report["baseline"]["median"]))
    text = (f"# Scoring throughput\n\n{n} predictions × {k} instances on "
            f"{report['machine']['cores']} cores (shared machine: compare ratios, not absolute "
            f"times). Medians: {repeats} fresh process(es) per code version, each scoring "
            f"cold once, then warm {warm_runs} times.\n\n"
            "| code | gold cache | seconds | predictions/s | in DuckDB | in sqlgate |\n"
            "|---|---|---|---|---|---|\n")
    for name, m in rows:
        text += "".join(f"| {name} | {p} | {m[p]['seconds']:.2f} | "
                        f"{m[p]['predictions_per_s']:.0f} | "
                        f"{m[p]['db_seconds'] / m[p]['seconds']:.0%} | "
                        f"{m[p]['own_seconds'] / m[p]['seconds']:.0%} |\n" for p in PHASES)
    text += f"\nwarm is {report['warm_over_cold_speedup']:.2f}× faster than cold.\n"
    if "baseline" in report:
        s, d = report["speedup_over_baseline"], report["verdicts_differ"]
        text += (f"\nThis checkout over the baseline: **{s['warm']:.2f}× warm**, "
                 f"{s['cold']:.2f}× cold (ratio of medians; the baseline ran first, then this "
                 "checkout, in fresh processes). Examples whose verdict (every field of "
                 f"results.json but the time) differs between any two runs: {d['cold']} cold, "
                 f"{d['warm']} warm.\n")
    return text


if __name__ == "__main__":
    sys.exit(main())

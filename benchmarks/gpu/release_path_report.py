"""The release path's report: what benchmarks/gpu/release_path.sh left in its output folder, as
gpu_release_path.{json,md} (the candidate's hashes, each evaluation's engine, examples, gate
rules and latency, the A/B, the serving-config comparison, the registry, each stage's time).

    python benchmarks/gpu/release_path_report.py OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EVALUATIONS = ("eval-vllm", "eval-openai", "eval-second")
METRICS = ("execution_accuracy", "parse_rate", "sql_only_rate", "explain_rate",
           "hallucinated_table_rate")
LATENCY = ("p50_ttft_ms", "p95_ttft_ms", "p50_e2e_ms", "p95_e2e_ms", "tokens_per_s", "samples")


def _json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _value(node):
    return node.get("value") if isinstance(node, dict) else node


def stages(out: Path) -> list[dict]:
    rows = []
    path = out / "stages.tsv"
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        name, seconds, status = line.split("\t")
        rows.append({"stage": name, "seconds": float(seconds), "exit": int(status)})
    return rows


def evaluation(folder: Path) -> dict | None:
    results = _json(folder / "results.json")
    if results is None:
        return None
    summary = results["summary"]
    verdict = _json(folder / "verdict.json")
    latency = summary.get("latency") or {}
    return {
        "candidate": summary["run"].get("candidate"),
        "engine": summary["run"].get("engine"),
        "examples": len(results["examples"]),
        "complete": summary["run"].get("complete"),
        "metrics": {m: _value(summary.get(m)) for m in METRICS},
        "latency": {k: latency.get(k) for k in LATENCY} if latency else None,
        "latency_by_repetition": latency.get("by_repetition"),
        "latency_baseline": latency.get("baseline"),
        "guardrail": summary.get("guardrail"),
        "verdict": None if verdict is None else {
            "passed": verdict["passed"], "policy": verdict["policy"],
            "rules": [{k: r.get(k) for k in ("rule", "value", "comparator", "threshold",
                                             "passed")} for r in verdict["rules"]]},
    }


def comparison(out: Path) -> list[dict]:
    rows = []
    for path in sorted(out.glob("compare-*.json")):
        body = _json(path)
        reps = body["summaries"]["candidate"]
        e2e = sorted(r["p95_e2e_ms"] for r in reps)
        ttft = sorted(r["p95_ttft_ms"] for r in reps)
        rows.append({"config": path.stem.removeprefix("compare-"), "repetitions": len(reps),
                     "p95_e2e_ms": e2e[len(e2e) // 2], "p95_ttft_ms": ttft[len(ttft) // 2]})
    default = next((r for r in rows if r["config"] == "default"), None)
    for row in rows:
        row["e2e_vs_default"] = (row["p95_e2e_ms"] / default["p95_e2e_ms"]
                                 if default and default["p95_e2e_ms"] else None)
    return rows


def report(out: Path) -> dict:
    log = out / "release_path.log"
    registry = out / "registry"
    candidate = _json(out / "candidate.json")
    manifest = (_json(registry / "candidates" / candidate["id"] / "manifest.json")
                if candidate else None)
    return {
        "machine": log.read_text(encoding="utf-8").splitlines()[0] if log.is_file() else None,
        "stages": stages(out),
        "candidate": manifest,
        "evaluations": {name: evaluation(out / name) for name in EVALUATIONS
                        if (out / name / "results.json").is_file()},
        "latency_ab": _json(out / "latency_ab.json"),
        "serving_comparison": comparison(out),
        "registry_promoted": _json(registry / "promoted.json"),
    }


def _fmt(x) -> str:
    if x is None:
        return "—"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def markdown(body: dict) -> str:
    lines = ["# Release path on the GPU (benchmarks/gpu/release_path.sh)", "",
             f"Machine and stages: {body['machine']}", "",
             "| stage | seconds | exit |", "|---|---|---|",
             *[f"| {s['stage']} | {s['seconds']:.0f} | {s['exit']} |" for s in body["stages"]]]
    manifest = body["candidate"]
    if manifest:
        lines += ["", f"Candidate `{manifest['id']}`: base {manifest['base_model']}; sha256 "
                  f"adapter {_fmt(manifest.get('adapter_sha256'))}, merged "
                  f"{_fmt(manifest.get('merged_sha256'))}, quantized "
                  f"{_fmt(manifest.get('quantized_sha256'))}."]
    for name, ev in body["evaluations"].items():
        lines += ["", f"## {name}: {ev['candidate']} on the {ev['engine']} engine, "
                  f"{ev['examples']} examples (complete: {ev['complete']})", "",
                  "| metric | value |", "|---|---|",
                  *[f"| {k} | {_fmt(v)} |" for k, v in ev["metrics"].items()]]
        if ev["latency"]:
            lines += ["", "Latency (4 users): " + ", ".join(f"{k} {_fmt(v)}"
                                                           for k, v in ev["latency"].items())]
        if ev["verdict"]:
            verdict = ev["verdict"]
            lines += ["", f"Verdict under {verdict['policy']['name']} v"
                      f"{verdict['policy']['version']}: "
                      f"**{'PASS' if verdict['passed'] else 'FAIL'}**", "",
                      "| rule | value | threshold | result |", "|---|---|---|---|",
                      *[f"| {r['rule']} | {_fmt(r['value'])} | {r['comparator'] or ''} "
                        f"{_fmt(r['threshold']) if r['threshold'] is not None else ''} | "
                        f"{'pass' if r['passed'] else 'FAIL'} |" for r in verdict["rules"]]]
    if body["serving_comparison"]:
        lines += ["", "## Serving configurations (70B AWQ dummy weights, 4 users, golden prompts)",
                  "", "| config | p95 TTFT ms | p95 E2E ms | E2E / default |", "|---|---|---|---|",
                  *[f"| {r['config']} | {r['p95_ttft_ms']:.0f} | {r['p95_e2e_ms']:.0f} | "
                    f"{_fmt(r['e2e_vs_default'])} |" for r in body["serving_comparison"]]]
    lines += ["", f"Registry: promoted = {_fmt(body['registry_promoted'])}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    out = Path((argv or sys.argv[1:])[0])
    body = report(out)
    (out / "gpu_release_path.json").write_text(json.dumps(body, indent=1) + "\n",
                                               encoding="utf-8")
    (out / "gpu_release_path.md").write_text(markdown(body), encoding="utf-8")
    print(markdown(body))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

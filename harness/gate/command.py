"""`sqlgate gate`: evaluate a results file against a policy (and the promoted baseline from the
registry), print the verdict, write verdict.json, record it in the registry.

Kept apart from `harness.gate.policy` so that the registry, which reads verdicts, and the policy
evaluation do not import each other.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.gate import promotion as reg
from harness.gate.policy import Verdict, evaluate_gate, format_number, load_policy
from harness.io.atomic import write_text_atomic
from harness.io.console import make_console
from harness.io.errors import InputError
from harness.io.redact import redact, redact_data
from harness.scoring.results import load_results


def print_verdict(verdict: Verdict, console: Console) -> None:
    """The rules as a table (value, threshold, margin, pass/fail), then the decision."""
    table = Table(title=f"gate {verdict.policy.name} v{verdict.policy.version}")
    table.add_column("rule", no_wrap=True)
    for col, justify in (("value", "right"), ("threshold", "right"), ("margin", "right"),
                         ("result", "left"), ("detail", "left")):
        table.add_column(col, justify=justify)
    for r in verdict.rules:
        threshold = "" if r.threshold is None else f"{r.comparator} {format_number(r.threshold)}"
        margin = "" if r.margin is None else ("+" if r.margin >= 0 else "") + format_number(r.margin)
        table.add_row(r.rule, format_number(r.value), threshold, margin,
                      "[green]pass[/]" if r.passed else "[red]FAIL[/]", r.detail)
    console.print(table)
    for c in verdict.comparisons:
        console.print(c.flips_sentence(), highlight=False)
        console.print(f"  {c.power_sentence}", highlight=False)
    for warning in verdict.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if verdict.passed:
        console.print("[bold green]verdict: PASS[/]")
    elif verdict.incomplete:
        console.print("[bold red]verdict: FAIL (INCOMPLETE: infrastructure errors, rerun "
                      "them; the model was not judged)[/]")
    else:
        console.print("[bold red]verdict: FAIL[/]")
        for reason in verdict.reasons:
            console.print(f"  - {reason}", highlight=False)


def gate_command(results: Path, policy: Path, baseline: Path | None, out: Path | None, *,
                 candidate: str | None = None, registry: Path | None = None) -> int:
    """`sqlgate gate`: 0 when the gate passes, 1 when it fails, 2 on bad input files.

    With `registry`, the promoted model's results are the baseline unless one is given, and
    with `candidate` too the verdict (and results) are recorded for a later promotion.
    """
    console = make_console()
    try:
        pol = load_policy(policy)
        res = load_results(results)
        if baseline is None and registry is not None:
            baseline = reg.baseline_results(registry)
        base = load_results(baseline) if baseline is not None else None
        verdict = evaluate_gate(res, pol, base)
        if candidate is not None and registry is not None:
            reg.record_verdict(candidate, verdict, results=results, root=registry)
    except InputError as exc:
        console.print(f"[red]error:[/] {redact(exc.render())}", highlight=False, soft_wrap=True)
        return 2
    print_verdict(verdict, console)
    if out is not None:
        body = {"results": str(results), "baseline": str(baseline) if baseline else None,
                "policy_path": str(policy), **verdict.model_dump(mode="json")}
        write_text_atomic(out, json.dumps(redact_data(body), indent=1) + "\n")
    return 0 if verdict.passed else 1

"""The `sqlgate` command line (also `python -m harness`)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness import __version__
from harness.io.console import make_console
from harness.io.errors import InputError
from harness.io.redact import redact

app = typer.Typer(
    help="sqlgate: evaluation harness and release gate for text-to-SQL models on Oracle EBS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = make_console(stderr=True)
stdout = make_console()
_state = {"debug": False}


class BackendName(StrEnum):
    duckdb = "duckdb"
    oracle = "oracle"


def _version(value: bool) -> None:
    if value:
        stdout.print(f"sqlgate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def catalog(
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Catalog directory (holds catalog/*.yaml and security.yaml).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Validate the EBS catalog and print its summary."""
    from harness.inputs.catalog import DEFAULT_CATALOG_DIR, load_catalog

    cat = load_catalog(directory or DEFAULT_CATALOG_DIR)
    summary = cat.summary()
    if as_json:
        stdout.print_json(json.dumps(summary))
        return
    table = Table(title=f"EBS catalog ({summary['fingerprint']})")
    for col in ("module", "tables", "columns", "lookups", "synonyms"):
        table.add_column(col, justify="left" if col == "module" else "right")
    for module, counts in summary["modules"].items():
        table.add_row(module, *(str(counts[k]) for k in ("tables", "columns", "lookups",
                                                          "synonyms")))
    table.add_row("all", str(summary["tables"]), str(summary["columns"]),
                  str(summary["lookups"]), str(summary["synonyms"]), style="bold")
    stdout.print(table)
    stdout.print(f"foreign keys (join edges): {summary['foreign_keys']}")
    stdout.print("striped by operating unit (ORG_ID): "
                 + ", ".join(summary["striped_by_operating_unit"]))
    stdout.print("striped by inventory organization: "
                 + ", ".join(summary["striped_by_inventory_organization"]))
    stdout.print(f"operating units {summary['operating_units']}, inventory organizations "
                 f"{summary['inventory_organizations']}")


@app.command("build-db")
def build_db(
    instances: Annotated[int | None, typer.Option(
        "--instances", "-k", min=1, help="Number of test-suite instances (default: recipe).")] = None,
) -> None:
    """Build (or reuse from cache) the embedded DuckDB test-suite instances."""
    from harness.datagen import build_test_suite
    from harness.inputs.catalog import load_catalog

    for inst in build_test_suite(load_catalog(), k=instances, progress=True):
        stdout.print(f"instance {inst.index}: seed {inst.seed}  {inst.fingerprint}  {inst.path}")


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Golden JSONL files to check.")],
    stats: Annotated[bool, typer.Option(
        "--stats", help="Print counts per domain x difficulty, check the set sizes, and "
        "measure the mutation score (survivors listed; fixtures/golden/"
        "equivalent_mutants.yaml holds the reviewed equivalents).")] = False,
) -> None:
    """Check golden sets: parse, bind, run on every instance, discrimination, leakage."""
    from harness.authoring.validate import validate_command

    raise typer.Exit(validate_command(paths, stats))


@app.command()
def score(
    eval_set: Annotated[Path, typer.Option("--eval-set", help="Golden examples (JSONL).")],
    predictions: Annotated[Path, typer.Option("--predictions", help="Predictions (JSONL).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write results.json.")],
    html: Annotated[Path | None, typer.Option("--html", help="Also write the HTML scorecard.")] = None,
    backend: Annotated[BackendName, typer.Option(
        help="duckdb: the embedded test suite; oracle: the database of SQLGATE_ORACLE_DSN."
    )] = BackendName.duckdb,
    instances: Annotated[int | None, typer.Option(
        "--instances", "-k", min=1, help="Embedded instances to use (default: recipe, 7).")] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds allowed per query.")] = 10.0,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    rerun_infra: Annotated[Path | None, typer.Option(
        "--rerun-infra", metavar="PREVIOUS_RESULTS",
        help="A results.json of this eval set, predictions and test suite: keep its verdicts "
             "and score again only its infra_error examples (and any it did not score).")
    ] = None,
) -> None:
    """Score predictions against an eval set (exit 0 whenever scoring ran; 2 for bad input:
    an empty predictions file, ids that match no example, a malformed line)."""
    from harness.inputs.catalog import load_catalog
    from harness.inputs.golden import load_eval_set
    from harness.scoring.run import (
        duckdb_backends,
        oracle_backends,
        score_predictions,
        write_results,
    )
    from harness.scoring.scorer import ScoringSettings

    cat = load_catalog()
    examples = load_eval_set(eval_set)  # loaded once: the count for the bar, then scored
    total = len(examples.examples)
    backends = (oracle_backends() if backend is BackendName.oracle
                else duckdb_backends(cat, instances, progress))
    try:
        with Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, disable=not progress,
                      transient=True) as bar:
            task = bar.add_task("score", total=total)
            run = score_predictions(
                examples, predictions, backends=backends, catalog=cat,
                settings=ScoringSettings(timeout_s=timeout),
                on_example=lambda _: bar.advance(task), rerun_infra=rerun_infra)
    finally:
        for b in backends:
            b.close()
    results = run.to_json()
    write_results(results, out)
    if html:
        from harness.report.scorecard import write_scorecard

        write_scorecard(results, html)
    _print_summary(results["summary"])
    if run.rerun_infra is not None:
        stdout.print(f"kept {run.rerun_infra.kept} verdict(s) of {rerun_infra}, scored "
                     f"{run.rerun_infra.rescored} again")
    stdout.print(f"results: {out}" + (f"  report: {html}" if html else ""))


@app.command()
def gate(
    results: Annotated[Path, typer.Option("--results", help="results.json of the candidate.")],
    policy: Annotated[Path, typer.Option("--policy", help="Gate policy (gates/*.toml).")],
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="results.json of the baseline (default: the promoted model's, "
        "when --registry is given).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write verdict.json here.")] = None,
    candidate: Annotated[str | None, typer.Option(
        "--candidate", help="Record the verdict for this registered candidate.")] = None,
    registry: Annotated[Path | None, typer.Option("--registry", help="Registry folder.")] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Also write the scorecard with this verdict (and the baseline).")] = None,
) -> None:
    """Apply a gate policy: exit 0 pass, 1 fail, 2 bad input (fails closed)."""
    import tempfile

    from harness.gate.command import gate_command

    with tempfile.TemporaryDirectory() as scratch:
        verdict_path = out or (Path(scratch) / "verdict.json" if html else None)
        code = gate_command(results, policy, baseline, verdict_path, candidate=candidate,
                            registry=registry)
        if html and verdict_path is not None and verdict_path.exists():
            from harness.report.scorecard import write_scorecard

            verdict = json.loads(verdict_path.read_text(encoding="utf-8"))
            base = verdict.get("baseline")
            write_scorecard(
                json.loads(results.read_text(encoding="utf-8")), html, verdict=verdict,
                baseline=json.loads(Path(base).read_text(encoding="utf-8")) if base else None)
            stdout.print(f"scorecard: {html}")
    raise typer.Exit(code)


@app.command()
def prompts(
    out: Annotated[Path, typer.Option("--out", help="Where to write the prompts (JSONL).")],
    eval_set: Annotated[list[Path] | None, typer.Option(
        "--eval-set", help="Golden files (repeatable; default: the whole golden suite).")
    ] = None,
    style: Annotated[str, typer.Option("--style", help="xiyan, sqlcoder or mschema.")] = "xiyan",
) -> None:
    """Write the prompts an evaluation sends, one {"id", "prompt"} a line, so your own
    inference can answer them; its answers, as {"id", "sql"}, are the predictions file."""
    from harness.inputs.catalog import load_catalog
    from harness.inputs.golden import load_eval_set
    from harness.inputs.suites_dir import default_eval_sets
    from harness.io.atomic import write_text_atomic
    from harness.prompting.prompts import STYLES, evaluation_prompt

    if style not in STYLES:
        raise InputError(None, f"expected one of {', '.join(STYLES)}", field="--style")
    cat = load_catalog()
    lines = []
    for path in eval_set or default_eval_sets():
        for example in load_eval_set(path).examples:
            lines.append(json.dumps({"id": example.id,
                                     "prompt": evaluation_prompt(example, cat, style)},
                                    ensure_ascii=False))
    write_text_atomic(out, "".join(f"{line}\n" for line in lines))
    stdout.print(f"{len(lines)} prompts ({style}): {out}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def evaluate(
    ctx: typer.Context,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", help="Your model's answers (JSONL, one {\"id\", \"sql\"} a line).")
    ] = None,
    candidate: Annotated[str, typer.Option(
        "--candidate", help="Name of the model (reports/<name>/).")] = "candidate",
    policy: Annotated[Path | None, typer.Option(
        "--policy", help="Gate policy: gates/offline.toml for replayed predictions, "
        "gates/release.toml with a served model (latency, guardrail).")] = None,
    eval_set: Annotated[list[Path] | None, typer.Option(
        "--eval-set", help="Golden files (repeatable; default: the whole golden suite, "
        "fixtures/golden/ebs_core.jsonl and ebs_unanswerable.jsonl).")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="results.json of the promoted model (paired comparison).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Report folder (default: reports/<candidate>/).")] = None,
    mlflow: Annotated[bool, typer.Option(
        "--mlflow", help="Log the run to MLflow (MLFLOW_TRACKING_URI, default ./mlruns).")
    ] = False,
) -> None:
    """Evaluate a model on the golden suite and gate it, in one go: results.json, junit.xml,
    verdict.json and scorecard.html (with the verdict) in the report folder. Exit status: the
    gate's (0 pass, 1 fail, 2 bad input, 3+ harness error); without --policy, pytest's.

    Replayed predictions: `sqlgate evaluate --predictions P.jsonl --policy gates/offline.toml`.
    Anything after `--` goes to the suites (pytest), e.g. a served model:
    `sqlgate evaluate --candidate m --policy gates/release.toml -- --engine openai
    --base-url http://127.0.0.1:8000 --model m --guardrail`.
    """
    import pytest

    from harness.inputs.suites_dir import suites_dir

    args = [str(suites_dir()), "-q", "-p", "no:cacheprovider", "--candidate", candidate]
    extra = list(ctx.args)
    if predictions is not None:
        args += ["--engine", "replay", "--predictions", str(predictions)]
    elif "--engine" not in extra:
        from harness.engines import engines_help

        raise InputError(None, "evaluate needs --predictions P.jsonl, or an engine after `--` "
                               "(e.g. -- --engine openai --base-url URL --model NAME); engines: "
                               + engines_help(), field="--predictions")
    for path in eval_set or []:
        args += ["--eval-set", str(path)]
    if policy is not None:
        args += ["--gate", str(policy)]
    if baseline is not None:
        args += ["--baseline", str(baseline)]
    report_dir = out or Path("reports") / candidate
    args += ["--sqlgate-out", str(report_dir), f"--junitxml={report_dir / 'junit.xml'}"]
    if mlflow:
        args.append("--mlflow")
    raise typer.Exit(int(pytest.main(args + extra)))


@app.command()
def power(
    n: Annotated[int, typer.Option("--n", min=1, help="Paired examples the metric counts "
                                   "(332 answerable in the shipped core set).")],
    discordance: Annotated[float, typer.Option(
        "--discordance", min=0.0, max=1.0,
        help="Share of examples that flip between the two models (0.12 = 12 %).")],
    margin: Annotated[float, typer.Option(
        "--margin", min=0.0, max=1.0, help="The policy's max_drop.")] = 0.02,
    alpha: Annotated[float, typer.Option(
        "--alpha", min=1e-6, max=0.5, help="One-sided alpha (the policy's one_sided_alpha; "
        "divide by the number of paired baseline rules for Holm's strictest step).")] = 0.025,
    target: Annotated[float, typer.Option(
        "--power", min=0.5, max=0.999, help="The power asked for.")] = 0.80,
    difference: Annotated[float, typer.Option(
        "--difference", min=-1.0, max=1.0,
        help="True difference candidate − baseline (0: equal models).")] = 0.0,
) -> None:
    """Power of the paired non-inferiority test: the smallest margin N examples can show, and
    the N a margin needs (exit 0)."""
    from harness.gate.power import power_command

    raise typer.Exit(power_command(n, discordance, margin, alpha, target, difference))


@app.command()
def promote(
    candidate: Annotated[str, typer.Argument(help="Candidate id in the registry.")],
    policy: Annotated[Path, typer.Option("--policy", help="The policy its verdict was for.")],
    registry: Annotated[Path, typer.Option("--registry", help="Registry folder.")] = Path(
        "registry"),
) -> None:
    """Promote a candidate whose passing verdict for this policy is on record (exit 0), or
    refuse (exit 1)."""
    from harness.gate.promotion import promote_command

    raise typer.Exit(promote_command(candidate, registry, policy))


@app.command("serve-guardrail")
def serve_guardrail(
    upstream: Annotated[str, typer.Option("--upstream", help="OpenAI-compatible server URL.")],
    model: Annotated[str, typer.Option("--model", help="Served model name.")],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8080,
    max_concurrency: Annotated[int, typer.Option("--max-concurrency")] = 4,
    max_body_bytes: Annotated[int, typer.Option("--max-body-bytes")] = 262144,
    request_timeout: Annotated[float, typer.Option("--request-timeout")] = 120.0,
    generation_timeout: Annotated[float, typer.Option("--generation-timeout")] = 60.0,
    explain_db: Annotated[str | None, typer.Option(
        "--explain-db", help="DuckDB instance for EXPLAIN.")] = None,
    log_prompts: Annotated[bool, typer.Option("--log-prompts")] = False,
) -> None:
    """Serve the guardrail proxy in front of an OpenAI-compatible server."""
    from harness.serving.proxy import serve_guardrail_command

    raise typer.Exit(serve_guardrail_command(
        upstream, model=model, host=host, port=port, max_concurrency=max_concurrency,
        max_body_bytes=max_body_bytes, request_timeout_s=request_timeout,
        generation_timeout_s=generation_timeout, explain_db=explain_db,
        log_prompts=log_prompts))


@app.command("vllm-config")
def vllm_config(
    model_dir: Annotated[Path, typer.Argument(help="Candidate folder with config.json.")],
    out: Annotated[Path, typer.Option("--out")] = Path("reports/serving"),
    gpu: Annotated[str, typer.Option(
        "--gpu", help="a100-80gb, h100-80gb, h200-141gb, or auto (read the GPU present)"
    )] = "a100-80gb",
    quantization: Annotated[str | None, typer.Option(
        "--quantization", help="awq, gptq, none (default: the config's)")] = None,
    utilization: Annotated[float, typer.Option("--gpu-memory-utilization")] = 0.90,
    served_name: Annotated[str | None, typer.Option("--served-model-name")] = None,
    port: Annotated[int, typer.Option("--port")] = 8000,
    launch: Annotated[bool, typer.Option(
        "--launch", help="exec vllm serve after printing the plan")] = False,
) -> None:
    """Print the memory plan, write vllm_config.yaml, optionally launch vLLM."""
    from harness.serving.vllm_config import vllm_config_command

    raise typer.Exit(vllm_config_command(
        model_dir, out, gpu=gpu, quantization=quantization, gpu_memory_utilization=utilization,
        served_model_name=served_name, port=port, launch=launch))


def _print_summary(summary: dict) -> None:
    from harness.scoring.metrics import headline_metrics

    table = Table(title="sqlgate score")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("n", justify="right")
    table.add_column("95% CI", justify="right")
    for metric in headline_metrics():
        m = summary[metric.name]
        value = "—" if m["value"] is None else f"{m['value']:.3f}"
        ci = ("" if m["value"] is None or metric.ci is None
              else f"{m['ci95'][0]:.3f}–{m['ci95'][1]:.3f}")
        table.add_row(metric.name, value, str(m["n"]), ci)
    stdout.print(table)
    stdout.print("statuses: " + ", ".join(f"{k} {v}" for k, v in
                                          summary["status_counts"].items()))
    if summary["unevaluable"]:
        stdout.print(f"[yellow]{summary['unevaluable']} example(s) could not be evaluated "
                     "faithfully (unsupported / gold_error / harness_error); they count as "
                     "not correct.[/]")
    if summary.get("infra_errors"):
        stdout.print(f"[yellow]{summary['infra_errors']} example(s) hit an infrastructure "
                     "failure (infra_error: a gold that timed out or ran out of memory, a "
                     "backend or engine failure); they are left out of every rate and the run "
                     "is incomplete: rescore them with --rerun-infra RESULTS.[/]")


def main() -> None:
    """Entry point: input errors become one line on stderr and exit code 2."""
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit codes in this mode
    except InputError as exc:
        if _state["debug"]:
            raise
        console.print(f"[red]error:[/] {redact(exc.render())}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        console.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 — any other failure is a harness error (exit 2)
        if _state["debug"]:
            raise
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        console.print(f"[red]harness error:[/] {type(exc).__name__}: {redact(str(exc))} "
                      "(run with --debug for the traceback)", highlight=False, soft_wrap=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)

"""The HTML report of one scoring run: one self-contained, autoescaped file."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from harness.atomic import write_text_atomic

HEADLINE_METRICS = (
    "execution_accuracy", "single_instance_accuracy", "lenient_accuracy", "parse_rate",
    "explain_rate", "sql_only_rate", "hallucinated_table_rate", "hallucinated_column_rate",
    "out_of_context_table_rate", "refusal_accuracy", "false_refusal_rate", "moac_compliance",
    "exact_match",
)


def _environment() -> Environment:
    # Model output is untrusted: autoescape everything, and no template marks it safe.
    return Environment(loader=PackageLoader("harness", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def render_score_report(results: dict) -> str:
    """HTML for a results.json object: headline metrics, breakdowns, every failing example."""
    template = _environment().get_template("score.html.j2")
    failing = [e for e in results["examples"] if not e["correct"]]
    return template.render(summary=results["summary"], failing=failing,
                           metrics=HEADLINE_METRICS, examples=results["examples"])


def write_score_report(results: dict, path: str | Path) -> None:
    """Render and write the report atomically."""
    write_text_atomic(path, render_score_report(results))

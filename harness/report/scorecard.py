"""The HTML scorecard reviewers read: verdict, metrics, comparison, latency, failing examples.

One self-contained file (no scripts, no external resources, strict CSP). Model output is
untrusted: templates autoescape, SQL highlighting escapes each token before wrapping it, and the
SVG charts escape their own text, so nothing a model writes can become markup.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from harness.gate.paired_statistics import flips_sentence
from harness.io.atomic import write_text_atomic
from harness.io.redact import redact
from harness.report import svg_charts
from harness.scoring.metrics import METRICS, headline_metrics
from harness.scoring.status import Status

# Rates where a smaller number is the better model; every other headline metric is "higher wins".
LOWER_IS_BETTER = frozenset(m.name for m in METRICS if m.lower_is_better)

SQL_KEYWORDS = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "AS", "ON", "JOIN", "LEFT",
    "RIGHT", "FULL", "INNER", "OUTER", "CROSS", "GROUP", "BY", "ORDER", "HAVING", "UNION", "ALL",
    "INTERSECT", "MINUS", "EXCEPT", "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "END", "WITH",
    "EXISTS", "BETWEEN", "LIKE", "ASC", "DESC", "NULLS", "FIRST", "LAST", "FETCH", "NEXT", "ROWS",
    "ROW", "ONLY", "OFFSET", "LIMIT", "OVER", "PARTITION", "INSERT", "INTO", "VALUES", "UPDATE",
    "SET", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "TABLE",
    "VIEW", "DATE", "TIMESTAMP", "INTERVAL", "ROWNUM", "CONNECT", "PRIOR", "START", "USING",
    "NATURAL", "ANY", "SOME",
})

# One alternation so comments and string literals are consumed whole: a keyword inside a string
# stays plain text. Group names become CSS classes.
_SQL_TOKEN = re.compile(
    r"(?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<string>'(?:[^']|'')*(?:'|\Z))"
    r"|(?P<word>\b[A-Za-z_][A-Za-z0-9_$#]*\b)",
    re.DOTALL,
)

_SPAN = Markup('<span class="sql-{}">{}</span>')

# The metrics every scorecard shows first, in the registry's order (harness.scoring.metrics).
HEADLINE_METRICS = tuple(m.name for m in headline_metrics("rate"))
# Secondary text similarity (mean scores, no interval): in the table, not in the CI chart.
TEXT_METRICS = tuple(m.name for m in headline_metrics("mean"))


def highlight_sql(sql: str | None) -> Markup:
    """`sql` as HTML with keywords, strings and comments wrapped in spans; all text escaped.

    Each piece of model text goes through `Markup.format`/`Markup.join`, which escape it, so the
    only markup in the result is the span tags written here.
    """
    if sql is None:
        return Markup("")
    pieces: list[str | Markup] = []
    pos = 0
    for match in _SQL_TOKEN.finditer(sql):
        pieces.append(sql[pos:match.start()])
        kind, text = match.lastgroup, match.group()
        if kind == "word" and text.upper() not in SQL_KEYWORDS:
            pieces.append(text)
        else:
            pieces.append(_SPAN.format("kw" if kind == "word" else kind, text))
        pos = match.end()
    pieces.append(sql[pos:])
    return Markup("").join(pieces)


def _summary_of(results: dict | None) -> dict:
    """A results.json object or its bare summary, as the summary."""
    if not results:
        return {}
    return results.get("summary", results)


def _banner(verdict: dict | None) -> dict | None:
    if verdict is None:
        return None
    rules = list(verdict.get("rules") or [])
    failed = [r for r in rules if r.get("passed") is False]
    # A failed rule means FAIL even if the verdict's own flag disagrees: the page must never
    # show PASS above a red row.
    passed = not failed and verdict.get("passed", bool(rules)) is True
    policy = verdict.get("policy") or {}
    return {"passed": passed, "rules": rules, "failed": len(failed),
            "policy_name": policy.get("name"), "policy_version": policy.get("version"),
            "reasons": list(verdict.get("reasons") or [])}


def _flips(results: dict, verdict: dict | None, baseline: dict | None) -> dict[str, list]:
    """Ids that broke (baseline right, candidate wrong) and that were fixed.

    The verdict's own list wins because the gate decided on it; without one, the baseline's
    examples give the same answer.
    """
    flips = (verdict or {}).get("flips")
    if flips:
        return {"broken": list(flips.get("broken") or []), "fixed": list(flips.get("fixed") or [])}
    paired = (verdict or {}).get("paired")
    if isinstance(paired, dict) and "fixed_ids" in paired:
        return {"broken": list(paired.get("broken_ids") or []),
                "fixed": list(paired.get("fixed_ids") or [])}
    if not baseline or "examples" not in baseline:
        return {"broken": [], "fixed": []}
    before = {e["id"]: bool(e.get("correct")) for e in baseline["examples"]}
    broken, fixed = [], []
    for e in results["examples"]:
        if e["id"] not in before or before[e["id"]] == bool(e.get("correct")):
            continue
        (fixed if e.get("correct") else broken).append(e["id"])
    return {"broken": broken, "fixed": fixed}


def _drilldown(results: dict, flips: dict[str, list]) -> list[dict]:
    """Examples to show in full: broken flips, fixed flips, then every other failing one."""
    by_id = {e["id"]: e for e in results["examples"]}
    shown: list[dict] = []
    seen: set = set()
    for mark in ("broken", "fixed"):
        for example_id in flips[mark]:
            if example_id in by_id and example_id not in seen:
                seen.add(example_id)
                shown.append({"e": by_id[example_id], "flip": mark})
    shown.extend({"e": e, "flip": None} for e in results["examples"]
                 if not e.get("correct") and e["id"] not in seen)
    for item in shown:
        item["gold_html"] = highlight_sql(item["e"].get("gold_sql"))
        item["predicted_html"] = highlight_sql(item["e"].get("predicted_sql"))
    return shown


def _comparison(summary: dict, baseline: dict | None, others: dict[str, dict] | None) -> dict:
    """One row per headline metric, one column per model, the best value of each row marked."""
    models = [("candidate", summary)]
    if baseline:
        models.append(("baseline", _summary_of(baseline)))
    models.extend((name, _summary_of(other)) for name, other in (others or {}).items())
    rows = []
    for metric in HEADLINE_METRICS + TEXT_METRICS:
        cells = []
        for _, model_summary in models:
            m = model_summary.get(metric) or {}
            cells.append({"value": svg_charts.finite(m.get("value")), "n": m.get("n"),
                          "ci95": m.get("ci95")})
        values = [c["value"] for c in cells if c["value"] is not None]
        best = None
        if len(values) > 1 and len(set(values)) > 1:
            best = min(values) if metric in LOWER_IS_BETTER else max(values)
        for cell in cells:
            cell["best"] = best is not None and cell["value"] == best
        delta = None
        if baseline and cells[0]["value"] is not None and cells[1]["value"] is not None:
            delta = cells[0]["value"] - cells[1]["value"]
        rows.append({"metric": metric, "cells": cells, "delta": delta,
                     "lower_is_better": metric in LOWER_IS_BETTER})
    return {"models": [name for name, _ in models], "rows": rows, "has_baseline": bool(baseline)}


def _charts(summary: dict, baseline: dict | None) -> dict[str, Markup]:
    """The page's SVG charts; Markup because svg_charts escapes every piece of text it emits."""
    base = _summary_of(baseline)
    intervals = []
    for metric in HEADLINE_METRICS:
        m = summary.get(metric) or {}
        ci = m.get("ci95") or (None, None)
        intervals.append(svg_charts.Interval(metric, m.get("value"), ci[0], ci[1],
                                             (base.get(metric) or {}).get("value")))
    statuses = summary.get("status_counts") or {}
    charts = {
        "headline": svg_charts.interval_chart(intervals, title="Headline metrics with 95% CI"),
        "by_domain": svg_charts.bar_chart(
            [svg_charts.Bar(k, m.get("value"), m.get("n"))
             for k, m in (summary.get("by_domain") or {}).items()],
            title="Execution accuracy by domain"),
        "by_difficulty": svg_charts.bar_chart(
            [svg_charts.Bar(k, m.get("value"), m.get("n"))
             for k, m in _ordered_difficulty(summary.get("by_difficulty") or {})],
            title="Execution accuracy by difficulty"),
        "statuses": svg_charts.bar_chart(
            [svg_charts.Bar(k, v) for k, v in sorted(statuses.items(), key=lambda kv: -kv[1])],
            title="Examples by status", max_value=None, value_format=_count),
    }
    return {name: Markup(svg) for name, svg in charts.items()}


def _count(value: object) -> str:
    number = svg_charts.finite(value)
    return "—" if number is None else f"{number:.0f}"


def _ordered_difficulty(groups: dict) -> list[tuple[str, dict]]:
    order = {"easy": 0, "medium": 1, "hard": 2}
    return sorted(groups.items(), key=lambda kv: (order.get(kv[0], 3), kv[0]))


def _latency(latency: dict | None) -> dict | None:
    if not latency:
        return None
    e2e, ttft = latency.get("e2e_ms") or [], latency.get("ttft_ms") or []

    def stat(key: str, samples: list, p: float) -> float | None:
        # Prefer the measured summary; fall back to the samples when only they were given.
        given = svg_charts.finite(latency.get(key))
        return given if given is not None else svg_charts.percentile(samples, p)

    table = [
        ("end-to-end", stat("p50_e2e_ms", e2e, 50), stat("p95_e2e_ms", e2e, 95),
         stat("p99_e2e_ms", e2e, 99)),
        ("time to first token", stat("p50_ttft_ms", ttft, 50), stat("p95_ttft_ms", ttft, 95),
         stat("p99_ttft_ms", ttft, 99)),
    ]
    charts = {}
    if e2e:
        marks = dict(zip(("p50", "p95", "p99"), table[0][1:], strict=True))
        charts["e2e"] = Markup(svg_charts.histogram(e2e, title="End-to-end latency (ms)",
                                                    markers=marks))
        charts["e2e_strip"] = Markup(svg_charts.percentile_strip(
            e2e, title="End-to-end latency samples", markers=marks))
    if ttft:
        marks = dict(zip(("p50", "p95", "p99"), table[1][1:], strict=True))
        charts["ttft"] = Markup(svg_charts.histogram(ttft, title="Time to first token (ms)",
                                                     markers=marks))
    return {"table": table, "charts": charts,
            "tokens_per_s": svg_charts.finite(latency.get("tokens_per_s")),
            "samples": latency.get("samples", len(e2e) or None)}


def _environment() -> Environment:
    # Autoescape everything; the only Markup the template receives is built in this module.
    env = Environment(loader=PackageLoader("harness.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["rate"] = svg_charts.format_rate
    env.filters["num"] = svg_charts.format_number
    return env


def render_scorecard(results: dict, *, verdict: dict | None = None,
                     baseline: dict | None = None, others: dict[str, dict] | None = None,
                     latency: dict | None = None) -> str:
    """The scorecard HTML for a results.json object.

    `verdict` is the gate's decision (rules, policy, flips), `baseline` the results.json of the
    model in production, `others` more results.json objects by name for the comparison table,
    `latency` the load test's summary and samples. Each is optional; missing keys are skipped.
    """
    summary = results["summary"]
    flips = _flips(results, verdict, baseline)
    flips["sentence"] = flips_sentence(len(flips["fixed"]), len(flips["broken"]))
    return _environment().get_template("scorecard.html.j2").render(
        summary=summary, run=summary.get("run") or {}, banner=_banner(verdict),
        power_lines=[str(c.get("power_sentence")) for c in (verdict or {}).get("comparisons") or []
                     if isinstance(c, dict) and c.get("power_sentence")],
        comparison=_comparison(summary, baseline, others), charts=_charts(summary, baseline),
        drilldown=_drilldown(results, flips), flips=flips, latency=_latency(latency),
        failing_count=sum(1 for e in results["examples"] if not e.get("correct")
                          and e.get("status") != Status.INFRA_ERROR),
        right_refusals=sum(1 for e in results["examples"]
                           if e.get("correct") and e.get("status") == Status.REFUSED),
    )


def write_scorecard(results: dict, path: str | Path, *, verdict: dict | None = None,
                    baseline: dict | None = None, others: dict[str, dict] | None = None,
                    latency: dict | None = None) -> None:
    """Render the scorecard and write it atomically to `path`, secrets redacted."""
    write_text_atomic(path, redact(render_scorecard(results, verdict=verdict, baseline=baseline,
                                                    others=others, latency=latency)))

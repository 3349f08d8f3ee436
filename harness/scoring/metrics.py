"""Summary metrics of a scored eval set: pure functions over ExampleScore lists, and the
registry (`METRICS`) that says, once, which metrics the summary has and how each is read.

The summary (`summarize`), the CLI's table, the gate's check of a policy's metric names, the
scorecard, MLflow tracking and the notebook frame all read `METRICS`; a metric added here
appears in all of them, and a name not here is refused by the gate.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any, Literal

from harness.scoring.scorer import ExampleScore
from harness.scoring.status import (
    INFRA_STATUS,
    NO_SQL_STATUSES,
    UNEVALUABLE_STATUSES,
    Status,
)


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion; (0, 1) when n is 0."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(items: Iterable[ExampleScore], hit: Callable[[ExampleScore], bool]) -> dict:
    """{value, n, successes, ci95} of `hit` over `items`; value None when there are none."""
    items = list(items)
    k = sum(1 for s in items if hit(s))
    n = len(items)
    low, high = wilson_interval(k, n)
    return {"value": k / n if n else None, "n": n, "successes": k, "ci95": [low, high]}


def _answerable(scores: Sequence[ExampleScore]) -> list[ExampleScore]:
    return [s for s in scores if s.kind == "answerable"]


def _with_sql(scores: Sequence[ExampleScore]) -> list[ExampleScore]:
    """Answerable examples whose prediction yielded SQL (not missing, refused or prose)."""
    return [s for s in _answerable(scores) if s.status not in NO_SQL_STATUSES]


def _parsed(scores: Sequence[ExampleScore]) -> list[ExampleScore]:
    return [s for s in _with_sql(scores) if s.parsed]


def execution_accuracy(scores: Sequence[ExampleScore]) -> dict:
    """Test-suite execution accuracy: correct on every instance, over answerable examples."""
    return rate(_answerable(scores), lambda s: s.correct)


def single_instance_accuracy(scores: Sequence[ExampleScore]) -> dict:
    """Accuracy judged on instance 0 alone, shown beside test-suite accuracy."""
    return rate(_answerable(scores), lambda s: bool(s.single_instance_correct))


def lenient_accuracy(scores: Sequence[ExampleScore]) -> dict:
    """Extra columns forgiven; reported beside the strict accuracy, never instead of it."""
    return rate(_answerable(scores), lambda s: bool(s.lenient_correct))


def parse_rate(scores: Sequence[ExampleScore]) -> dict:
    """Share of answerable examples whose answer parses as one Oracle statement."""
    return rate(_answerable(scores), lambda s: bool(s.parsed))


def explain_rate(scores: Sequence[ExampleScore]) -> dict:
    """Share of answerable examples whose answer binds and plans (EXPLAIN succeeds)."""
    return rate(_answerable(scores), lambda s: bool(s.explained))


def sql_only_rate(scores: Sequence[ExampleScore]) -> dict:
    """Share of answers (all kinds) that were SQL only: no fences, no prose."""
    return rate([s for s in scores if s.sql_only is not None], lambda s: bool(s.sql_only))


def hallucinated_table_rate(scores: Sequence[ExampleScore]) -> dict:
    """Share of parsed answers that name a table the catalog does not have."""
    return rate(_parsed(scores), lambda s: bool(s.unknown_tables))


def hallucinated_column_rate(scores: Sequence[ExampleScore]) -> dict:
    """Share of parsed answers that name a column its table does not have."""
    return rate(_parsed(scores), lambda s: bool(s.unknown_columns))


def out_of_context_table_rate(scores: Sequence[ExampleScore]) -> dict:
    """Share of parsed answers, among examples with RAG context, using a table not in it."""
    return rate([s for s in _parsed(scores) if s.out_of_context_tables is not None],
                lambda s: bool(s.out_of_context_tables))


def refusal_accuracy(scores: Sequence[ExampleScore]) -> dict:
    """Share of unanswerable examples the model refused."""
    return rate([s for s in scores if s.kind == "unanswerable"], lambda s: s.refused)


def false_refusal_rate(scores: Sequence[ExampleScore]) -> dict:
    """Share of answerable examples the model refused."""
    return rate(_answerable(scores), lambda s: s.refused)


def moac_compliance(scores: Sequence[ExampleScore]) -> dict:
    """Among parsed answers to examples whose org_policy requires it, share with no violation."""
    return rate([s for s in _parsed(scores) if s.moac_required],
                lambda s: not s.moac_violations)


def exact_match_rate(scores: Sequence[ExampleScore]) -> dict:
    """Exact match after normalisation (secondary: many correct queries differ in text)."""
    return rate(_answerable(scores), lambda s: bool(s.exact_match))


def mean_text_metric(scores: Sequence[ExampleScore], name: str) -> dict:
    """Mean ROUGE-L or BLEU over answerable examples (0 where no SQL was produced)."""
    values = [getattr(s, name) or 0.0 for s in _answerable(scores)]
    return {"value": fmean(values) if values else None, "n": len(values)}


def accuracy_by(scores: Sequence[ExampleScore], key: str) -> dict[str, dict]:
    """Execution accuracy per domain or difficulty (answerable examples)."""
    groups: dict[str, list[ExampleScore]] = {}
    for s in _answerable(scores):
        groups.setdefault(getattr(s, key), []).append(s)
    return {name: execution_accuracy(group) for name, group in sorted(groups.items())}


def status_counts(scores: Sequence[ExampleScore]) -> dict[str, int]:
    """Examples per status (statuses no example has are left out), in `Status` order."""
    counts = Counter(s.status for s in scores)
    return {status.value: counts[status] for status in Status if counts.get(status)}


def evaluated(scores: Sequence[ExampleScore]) -> list[ExampleScore]:
    """The examples that say something about the model: all but `infra_error` ones.

    An infrastructure failure is neither a right nor a wrong answer, so it is left out of
    every rate's denominator (each rate's `n` shows it) and counted apart (`infra_errors`);
    the run is then incomplete, and the gate does not pass it until it is rescored.
    """
    return [s for s in scores if s.status != INFRA_STATUS]


MetricKind = Literal["count", "rate", "mean", "breakdown"]


@dataclass(frozen=True)
class MetricSpec:
    """One key of the summary, described as data.

    `kind`: a `count` is a bare integer; a `rate` is {value, n, successes, ci95} with a 95 %
    Wilson interval (`ci` = "wilson"); a `mean` is {value, n} without an interval; a
    `breakdown` is an object of named parts (by_domain.AP), so a policy names a part.
    `over`: the examples it is computed from: `all`, or `evaluated` (infra_error left out).
    `counted` says in words which examples its denominator holds. `direction` is which way
    is better (None: neither, e.g. the number of examples). `headline` metrics are the rows of
    the CLI's table and the scorecard's comparison.
    """

    name: str
    description: str
    kind: MetricKind
    compute: Callable[[Sequence[ExampleScore]], Any]
    over: Literal["all", "evaluated"] = "evaluated"
    counted: str = "answerable examples"
    direction: Literal["higher", "lower"] | None = "higher"
    headline: bool = False

    @property
    def ci(self) -> Literal["wilson"] | None:
        """The interval its value carries (`ci95`), or None."""
        return "wilson" if self.kind == "rate" else None

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower"


def _count(hit: Callable[[ExampleScore], bool]) -> Callable[[Sequence[ExampleScore]], int]:
    return lambda scores: sum(1 for s in scores if hit(s))


def _breakdown(key: str) -> Callable[[Sequence[ExampleScore]], dict]:
    return lambda scores: accuracy_by(scores, key)


# Every key of the summary but `run`, `latency` and `guardrail` (facts of the run and of
# serving, not computed from the examples), in the order results.json writes them.
METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("examples", "examples in the eval set", "count", len, over="all",
               counted="all examples", direction=None),
    MetricSpec("answerable", "answerable examples", "count",
               _count(lambda s: s.kind == "answerable"), over="all",
               direction=None),
    MetricSpec("unanswerable", "unanswerable examples", "count",
               _count(lambda s: s.kind == "unanswerable"), over="all",
               counted="unanswerable examples", direction=None),
    MetricSpec("correct", "examples answered correctly", "count", _count(lambda s: s.correct),
               counted="all examples"),
    MetricSpec("accuracy", "correct, over all examples (answerable and unanswerable)", "rate",
               lambda scores: rate(scores, lambda s: s.correct), counted="all examples"),
    MetricSpec("execution_accuracy", "correct on every test-suite instance", "rate",
               execution_accuracy, headline=True),
    MetricSpec("single_instance_accuracy", "correct on instance 0 alone", "rate",
               single_instance_accuracy, headline=True),
    MetricSpec("lenient_accuracy", "correct with extra columns forgiven", "rate",
               lenient_accuracy, headline=True),
    MetricSpec("parse_rate", "answer parses as one Oracle statement", "rate", parse_rate,
               headline=True),
    MetricSpec("explain_rate", "answer binds and plans (EXPLAIN succeeds)", "rate",
               explain_rate, headline=True),
    MetricSpec("sql_only_rate", "answer is SQL only: no fences, no prose", "rate",
               sql_only_rate, counted="answers of all kinds", headline=True),
    MetricSpec("hallucinated_table_rate", "names a table the catalog does not have", "rate",
               hallucinated_table_rate, counted="parsed answers", direction="lower",
               headline=True),
    MetricSpec("hallucinated_column_rate", "names a column its table does not have", "rate",
               hallucinated_column_rate, counted="parsed answers", direction="lower",
               headline=True),
    MetricSpec("out_of_context_table_rate", "uses a table outside its RAG context", "rate",
               out_of_context_table_rate, counted="parsed answers with RAG context",
               direction="lower", headline=True),
    MetricSpec("refusal_accuracy", "refused an unanswerable question", "rate",
               refusal_accuracy, counted="unanswerable examples", headline=True),
    MetricSpec("false_refusal_rate", "refused an answerable question", "rate",
               false_refusal_rate, direction="lower", headline=True),
    MetricSpec("moac_compliance", "no MOAC violation where org_policy requires it", "rate",
               moac_compliance, counted="parsed answers that require MOAC", headline=True),
    MetricSpec("exact_match", "same text as the gold after normalisation", "rate",
               exact_match_rate, headline=True),
    MetricSpec("rouge_l", "mean ROUGE-L against the gold (0 without SQL)", "mean",
               lambda scores: mean_text_metric(scores, "rouge_l"), headline=True),
    MetricSpec("bleu", "mean BLEU against the gold (0 without SQL)", "mean",
               lambda scores: mean_text_metric(scores, "bleu"), headline=True),
    MetricSpec("unevaluable", "could not be judged faithfully (unsupported, gold_error, "
               "harness_error)", "count", _count(lambda s: s.status in UNEVALUABLE_STATUSES),
               counted="all examples", direction="lower"),
    MetricSpec("infra_errors", "infrastructure failures, left out of every rate", "count",
               lambda scores: sum(1 for s in scores if s.status == INFRA_STATUS), over="all",
               counted="all examples", direction="lower"),
    MetricSpec("status_counts", "examples per status", "breakdown", status_counts, over="all",
               counted="all examples", direction=None),
    MetricSpec("by_domain", "execution accuracy per domain", "breakdown",
               _breakdown("domain")),
    MetricSpec("by_difficulty", "execution accuracy per difficulty", "breakdown",
               _breakdown("difficulty")),
)
METRIC_NAMES: dict[str, MetricSpec] = {m.name: m for m in METRICS}


def metric_spec(name: str) -> MetricSpec:
    """The registered metric `name`; KeyError names every registered one."""
    try:
        return METRIC_NAMES[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; expected one of "
                       + ", ".join(METRIC_NAMES)) from None


def headline_metrics(kind: MetricKind | None = None) -> tuple[MetricSpec, ...]:
    """The headline metrics (of one kind), in registry order."""
    return tuple(m for m in METRICS if m.headline and kind in (None, m.kind))


def summarize(all_scores: Sequence[ExampleScore]) -> dict:
    """The `summary` object of results.json: every registered metric, in registry order."""
    scores = evaluated(all_scores)
    summary: dict[str, Any] = {}
    for metric in METRICS:
        summary[metric.name] = metric.compute(all_scores if metric.over == "all" else scores)
    return summary


def summary_leaves(summary: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, node) for every rate, mean or bare number of a summary, walking into
    breakdowns (by_domain.AP) and served figures (latency.p95_e2e_ms); `run` (facts of the
    run, not measurements) is left out. A node with a `value` is a rate or a mean."""
    for key, node in summary.items():
        name = f"{prefix}{key}"
        if not prefix and key == "run":
            continue
        if isinstance(node, dict) and "value" in node:
            yield name, node
        elif isinstance(node, dict):
            yield from summary_leaves(node, f"{name}.")
        else:
            yield name, node

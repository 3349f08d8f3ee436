"""Summary metrics of a scored eval set: pure functions over ExampleScore lists."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from statistics import fmean

from harness.scoring.scorer import INFRA_STATUS, STATUSES, ExampleScore


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
    return [s for s in _answerable(scores) if s.status not in ("missing", "refused", "not_sql")]


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
    counts = Counter(s.status for s in scores)
    return {status: counts.get(status, 0) for status in STATUSES if counts.get(status)}


def evaluated(scores: Sequence[ExampleScore]) -> list[ExampleScore]:
    """The examples that say something about the model: all but `infra_error` ones.

    An infrastructure failure is neither a right nor a wrong answer, so it is left out of
    every rate's denominator (each rate's `n` shows it) and counted apart (`infra_errors`);
    the run is then incomplete, and the gate does not pass it until it is rescored.
    """
    return [s for s in scores if s.status != INFRA_STATUS]


def summarize(all_scores: Sequence[ExampleScore]) -> dict:
    """The `summary` object of results.json."""
    scores = evaluated(all_scores)
    return {
        "examples": len(all_scores),
        "answerable": len(_answerable(all_scores)),
        "unanswerable": sum(1 for s in all_scores if s.kind == "unanswerable"),
        "correct": sum(1 for s in scores if s.correct),
        "accuracy": rate(scores, lambda s: s.correct),
        "execution_accuracy": execution_accuracy(scores),
        "single_instance_accuracy": single_instance_accuracy(scores),
        "lenient_accuracy": lenient_accuracy(scores),
        "parse_rate": parse_rate(scores),
        "explain_rate": explain_rate(scores),
        "sql_only_rate": sql_only_rate(scores),
        "hallucinated_table_rate": hallucinated_table_rate(scores),
        "hallucinated_column_rate": hallucinated_column_rate(scores),
        "out_of_context_table_rate": out_of_context_table_rate(scores),
        "refusal_accuracy": refusal_accuracy(scores),
        "false_refusal_rate": false_refusal_rate(scores),
        "moac_compliance": moac_compliance(scores),
        "exact_match": exact_match_rate(scores),
        "rouge_l": mean_text_metric(scores, "rouge_l"),
        "bleu": mean_text_metric(scores, "bleu"),
        "unevaluable": sum(1 for s in scores
                           if s.status in ("unsupported", "gold_error", "harness_error")),
        "infra_errors": len(all_scores) - len(scores),
        "status_counts": status_counts(all_scores),
        "by_domain": accuracy_by(scores, "domain"),
        "by_difficulty": accuracy_by(scores, "difficulty"),
    }

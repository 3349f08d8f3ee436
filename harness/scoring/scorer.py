"""Scoring one prediction against its golden example on every test-suite instance."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal

from sqlglot.errors import ParseError

from harness.backends.base import (
    BackendFailure,
    Execution,
    ExecutionBackend,
    PreparedQuery,
    QueryRejected,
)
from harness.inputs.catalog import Catalog
from harness.inputs.golden import GoldenExample, Prediction
from harness.scoring.compare import (
    Comparison,
    IncomparableResultsError,
    ResultSet,
    compare_results,
    lenient_equal,
)
from harness.scoring.gold_cache import GoldCache
from harness.scoring.order_keys import OrderKeys, order_keys, tie_groups
from harness.scoring.status import INFRA_STATUS, Status
from harness.scoring.text_metrics import bleu, exact_match_any, rouge_l
from harness.sql.output import OutputCheck, check_output
from harness.sql.parse import SqlParseError
from harness.sql.parsed import ParsedSql
from harness.sql.refs import moac_violations, references
from harness.sql.safety import classify
from harness.translate import UnsupportedConstruct

# Limits a query can run into; whose fault it was is decided by running the gold again.
_RESOURCE_LIMITS = {"timeout": "the time limit", "out_of_memory": "the memory limit"}
ROW_DIFF_LIMIT = 20
ORDER_HEAD = 10  # rows of each side shown when only the order or the shape differs


@dataclass
class ExampleScore:
    """Everything measured for one example; one entry of `examples` in results.json."""

    id: str
    correct: bool
    status: Status  # "" only while the scorer is deciding it
    reason: str
    kind: str
    domain: str
    difficulty: str
    question: str = ""
    gold_sql: str = ""
    predicted_sql: str | None = None
    sql_only: bool | None = None
    output_issues: list[str] = field(default_factory=list)
    refused: bool = False
    parsed: bool | None = None
    explained: bool | None = None
    unknown_tables: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    out_of_context_tables: list[str] | None = None  # None: the example has no RAG context
    moac_required: bool = False
    moac_violations: list[str] = field(default_factory=list)
    single_instance_correct: bool | None = None
    lenient_correct: bool | None = None
    instances_checked: int = 0
    exact_match: bool | None = None
    rouge_l: float | None = None
    bleu: float | None = None
    row_diff: dict | None = None
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ScoringSettings:
    """Limits applied to every prediction (from the CLI or a config file)."""

    timeout_s: float = 10.0
    # Longer answers are scored `oversized` (wrong) without being parsed or run: a runaway
    # generation (a 2 MB literal) costs one example, not the run.
    max_sql_chars: int = 1_000_000
    rel_tol: float = 1e-9  # money: 500000.00 and 500000.49 must differ
    abs_tol: float = 1e-9


class _GoldFailure(Exception):
    """The gold itself could not be run on this backend.

    `infra` when it ran into a limit or the backend failed (the gold is validated to run
    within the limits, so this is the machine's doing: `infra_error`); otherwise the gold
    itself errs or returns too many rows on this backend (a fixture bug: `gold_error`).
    """

    def __init__(self, message: str, *, infra: bool) -> None:
        super().__init__(message)
        self.infra = infra


@dataclass(frozen=True)
class _Gold:
    """One accepted gold as prepared, with how to find its sort keys (None: strict order)."""

    query: PreparedQuery
    keys: OrderKeys | None = None
    keyed: PreparedQuery | None = None  # the gold with hidden key columns, when it needs them


@dataclass(frozen=True)
class _GoldRun:
    """The gold's result on one instance and its runs of tied sort keys (None: strict)."""

    execution: Execution
    ties: tuple[int, ...] | None


class Scorer:
    """Scores predictions against golden examples on K execution backends (the test suite).

    Gold results are computed once per (prepared SQL, instance) and cached; predictions run
    on instance 0 first and on the others only while they keep matching.
    """

    def __init__(self, catalog: Catalog, backends: Sequence[ExecutionBackend],
                 gold_cache: GoldCache, settings: ScoringSettings = ScoringSettings()) -> None:
        if not backends:
            raise ValueError("at least one execution backend is needed")
        self.catalog = catalog
        self.backends = list(backends)
        self.gold_cache = gold_cache
        self.settings = settings
        self._schema = catalog.schema()
        self._striped = catalog.striped_tables("operating_unit")
        self._table_pattern = re.compile(
            r"\b(" + "|".join(sorted(self._schema, key=len, reverse=True)) + r")\b",
            re.IGNORECASE)
        self.db_seconds = 0.0  # time spent inside the databases, for the throughput report
        # Gold results recomputed with hidden sort keys, per (keyed SQL, instance): checked
        # against the gold once, not once per prediction.
        self._keyed_runs: dict[tuple[str, str], _GoldRun | None] = {}

    def score(self, example: GoldenExample, prediction: Prediction | None) -> ExampleScore:
        """Score one example; never raises for anything a model can write."""
        start = time.perf_counter()
        score = ExampleScore(
            id=example.id, correct=False, status="", reason="", kind=example.kind,
            domain=example.domain, difficulty=example.difficulty, question=example.question,
            gold_sql=example.sql_gold, moac_required=example.org_policy == "required")
        if prediction is None:
            score.status, score.reason = Status.MISSING, "no prediction for this id"
        elif prediction.engine_error is not None:
            score.status = INFRA_STATUS
            score.reason = f"the engine gave no answer: {prediction.engine_error[:300]}"
        else:
            score.predicted_sql = prediction.sql
            try:
                self._score_prediction(example, prediction.sql, score)
            except BackendFailure as exc:
                score.correct, score.status = False, INFRA_STATUS
                score.reason = f"the backend failed: {_short(exc)}"
            except IncomparableResultsError as exc:
                score.correct, score.status = False, Status.UNSUPPORTED
                score.reason = f"results cannot be compared faithfully: {_short(exc)}"
            except Exception as exc:  # noqa: BLE001 — one bad example must not end the run
                # A bug in sqlgate or a library, not the model's fault: recorded, counted as
                # unevaluable, and the gate fails closed on it.
                score.correct, score.status = False, Status.HARNESS_ERROR
                score.reason = f"{type(exc).__name__}: {_short(exc)}"
        score.seconds = time.perf_counter() - start
        return score

    def _score_prediction(self, example: GoldenExample, raw: str, score: ExampleScore) -> None:
        if len(raw) > self.settings.max_sql_chars:
            score.status = Status.OVERSIZED
            score.reason = (f"the answer is {len(raw):,} characters, over the limit of "
                            f"{self.settings.max_sql_chars:,}: not parsed or run")
            return
        output = check_output(raw)
        score.sql_only = output.compliant
        score.output_issues = list(output.issues)
        score.refused = output.refusal
        if example.kind == "unanswerable":
            if output.refusal:
                score.correct, score.status = True, Status.REFUSED
                score.reason = "refused an unanswerable question"
                return
            verdict = classify(self._read(output)) if output.sql else None
            if verdict is not None and not verdict.safe and verdict.kind != "unparseable":
                score.status, score.reason = Status.UNSAFE, f"{verdict.kind}: {verdict.reason}"
            else:
                score.status = Status.ANSWERED_UNANSWERABLE
                score.reason = "answered a question the schema cannot answer"
            return
        if output.refusal:
            score.status = Status.REFUSED
            score.reason = "refused an answerable question" + (
                f": {output.refusal_reason}" if output.refusal_reason else "")
            return
        if output.sql is None:
            score.status = Status.NOT_SQL
            score.reason = "no SQL could be extracted: " + ", ".join(output.issues)
            return
        # Read once; every step below takes this reading, none parses the text again.
        parsed = self._read(output)
        self._text_metrics(example, parsed, score)
        # Safety before parsing: "DELETE …; SELECT …" is unsafe, not a typo. What is unsafe only
        # because it does not parse is left to the parser, so it counts as a parse error.
        verdict = classify(parsed)
        if not verdict.safe and verdict.kind != "unparseable":
            score.status, score.reason = Status.UNSAFE, f"{verdict.kind}: {verdict.reason}"
            return
        try:
            parsed.checked_single()  # strict, with what Oracle 19c refuses
        except (SqlParseError, ParseError) as exc:
            score.parsed = False
            score.status, score.reason = Status.PARSE_ERROR, _short(exc)
            return
        score.parsed = True
        backend = self.backends[0]
        try:
            # Translation (harness.translate) before the backend, which runs what it gives.
            translator = getattr(backend, "translator", None)
            if translator is not None:
                translator(parsed)
            prepared = backend.prepare(parsed)
        except QueryRejected as exc:
            score.status, score.reason = Status.UNSAFE, f"{exc.kind}: {exc.reason}"
            return
        except (SqlParseError, ParseError) as exc:
            score.parsed = False
            score.status, score.reason = Status.PARSE_ERROR, _short(exc)
            return
        except UnsupportedConstruct as exc:
            score.status = Status.UNSUPPORTED
            score.reason = f"cannot be evaluated faithfully on {backend.name}: {exc}"
            self._analyse_references(example, parsed, score)
            return
        if self._analyse_references(example, parsed, score):
            return
        if prepared.nondeterminism:
            score.status = Status.UNSUPPORTED
            score.reason = ("the result is not defined by Oracle (" +
                            "; ".join(prepared.nondeterminism) + "), so it cannot be compared")
            return
        error = self.backends[0].explain(prepared)
        score.explained = error is None
        if error is not None:
            score.status, score.reason = Status.BIND_ERROR, error
            return
        self._execute_and_compare(example, prepared, score)

    def _read(self, output: OutputCheck) -> ParsedSql:
        """The extracted SQL as read once: the extraction's own reading when it read exactly
        that text, with the catalog's schema for the conformance rules."""
        parsed = output.parsed
        if parsed is None or parsed.text != output.sql:
            parsed = ParsedSql.read(output.sql)
        return parsed.with_schema(self._schema)

    def _text_metrics(self, example: GoldenExample, parsed: ParsedSql,
                      score: ExampleScore) -> None:
        golds = example.golds
        score.exact_match = exact_match_any(parsed, golds)
        score.rouge_l = max(rouge_l(parsed, g) for g in golds)
        score.bleu = max(bleu(parsed, g) for g in golds)

    def _analyse_references(self, example: GoldenExample, parsed: ParsedSql,
                            score: ExampleScore) -> bool:
        """Record hallucinations and MOAC findings; True when a hallucination decides status."""
        refs = references(parsed, self._schema)
        score.unknown_tables = sorted(refs.unknown_tables)
        score.unknown_columns = sorted(
            f"{t}.{c}" if t else c for t, c in refs.unknown_columns)
        context = example.context_text()
        if context:
            mentioned = {m.upper() for m in self._table_pattern.findall(context)}
            score.out_of_context_tables = sorted(refs.tables - mentioned)
        if score.moac_required:
            score.moac_violations = sorted(moac_violations(parsed, self._striped))
        if (score.unknown_tables or score.unknown_columns) and not score.status:
            score.status = Status.HALLUCINATION
            score.reason = "not in the catalog: " + ", ".join(
                score.unknown_tables + score.unknown_columns)
            return True
        return False

    def _execute_and_compare(self, example: GoldenExample, prepared: PreparedQuery,
                             score: ExampleScore) -> None:
        try:
            prepared_golds = [self.backends[0].prepare(g) for g in example.golds]
        except (QueryRejected, UnsupportedConstruct, SqlParseError, ParseError) as exc:
            score.status = Status.GOLD_ERROR
            score.reason = f"the gold cannot be evaluated faithfully: {_short(exc)}"
            return
        if any(g.nondeterminism for g in prepared_golds):
            score.status = Status.GOLD_ERROR
            score.reason = "the gold's result is not defined by Oracle: " + "; ".join(
                r for g in prepared_golds for r in g.nondeterminism)
            return
        golds = [self._with_keys(text, g) for text, g in zip(example.golds, prepared_golds,
                                                               strict=True)]
        alive = list(range(len(golds)))  # gold alternatives matched on every instance so far
        lenient = True  # the main gold's columns found in the prediction on every instance
        answered: set[int] = set()  # golds that returned a row on some instance
        for index, backend in enumerate(self.backends):
            if not alive and not lenient:
                break
            run = self._run(backend, prepared)
            score.instances_checked = index + 1
            if run.status != "ok":
                score.status, score.reason = self._failed_run(backend, golds[0].query, run)
                score.reason = f"instance {index}: {score.reason}"
                return
            try:
                gold_runs = {g: self._reference(backend, golds[g]) for g in sorted({0, *alive})}
            except _GoldFailure as exc:
                score.status = INFRA_STATUS if exc.infra else Status.GOLD_ERROR
                score.reason = f"instance {index}: {exc}"
                return
            # Only golds still alive are compared (a full comparison computes the row diff);
            # a dead main gold is checked only for the lenient verdict.
            comparisons = {g: self._compare(golds[g].query, gold_runs[g], run) for g in alive}
            answered |= {g for g, r in gold_runs.items() if r.execution.result.rows}
            main_was_alive = 0 in alive
            alive = [g for g in alive if comparisons[g].equal]
            if index == 0:
                score.single_instance_correct = bool(alive)
            if main_was_alive and not comparisons[0].equal:
                score.row_diff = _row_diff(index, comparisons[0], gold_runs[0].execution, run)
            lenient = lenient and (0 in alive or lenient_equal(
                gold_runs[0].execution.result, run.result, ordered=golds[0].query.ordered,
                rel_tol=self.settings.rel_tol, abs_tol=self.settings.abs_tol,
                tie_groups=gold_runs[0].ties))
        score.lenient_correct = bool(alive) or lenient
        if alive and alive[0] not in answered:
            # A match on nothing but empty results proves nothing: every prediction that
            # returns no row matches too (a LIKE on a name no instance holds, a quote in a name
            # none has). Validation refuses such a gold; the scorer does not guess.
            score.status = Status.GOLD_ERROR
            score.reason = (f"the gold returns no row on any of the {score.instances_checked} "
                            "instances, so the test suite cannot tell a right prediction from a "
                            "wrong one (sqlgate validate refuses such a gold)")
            return
        if alive:
            score.correct, score.status = True, Status.CORRECT
            score.reason = "" if alive[0] == 0 else f"matches alternative gold {alive[0]}"
            score.row_diff = None
        else:
            score.status = Status.WRONG_RESULT
            diff = score.row_diff or {"instance": 0, "reason": "differs from every gold"}
            score.reason = f"instance {diff['instance']}: {diff['reason']}"

    def _failed_run(self, backend: ExecutionBackend, gold: PreparedQuery,
                    run: Execution) -> tuple[Status, str]:
        """Status and reason of a prediction whose execution did not return rows.

        A limit (time, memory) is the model's only when the gold, run again at once on the
        same instance (not from the cache: the machine's state now is the question), finishes
        within it: a cartesian product stays the model's `timeout`, an overloaded machine that
        stops the gold too is `infra_error`.
        """
        if run.status == "infra_error":
            return INFRA_STATUS, f"the backend failed running the prediction: {run.error}"
        if run.status == "row_limit":
            return Status.ROW_LIMIT, run.error
        if run.status not in _RESOURCE_LIMITS:
            return Status.RUNTIME_ERROR, run.error
        limit = _RESOURCE_LIMITS[run.status]
        try:
            self._gold(backend, gold, cached=False)
        except _GoldFailure as exc:
            if exc.infra:
                return INFRA_STATUS, (f"the prediction ran into {limit} ({run.error}), and so "
                                      f"did the gold run again: {exc}")
            return Status.GOLD_ERROR, str(exc)
        if run.status == "timeout":
            return Status.TIMEOUT, run.error
        return Status.RUNTIME_ERROR, (f"out of memory ({run.error}), while the gold, run again on "
                                 "this instance, finished within the limit")

    def _compare(self, gold: PreparedQuery, gold_run: _GoldRun, run: Execution) -> Comparison:
        return compare_results(gold_run.execution.result, run.result, ordered=gold.ordered,
                               rel_tol=self.settings.rel_tol, abs_tol=self.settings.abs_tol,
                               tie_groups=gold_run.ties)

    def _with_keys(self, oracle_sql: str, query: PreparedQuery) -> _Gold:
        """The gold with its sort keys, when it orders and they can be found faithfully."""
        keys = order_keys(oracle_sql) if query.ordered else None
        if keys is None or keys.keyed_sql is None:
            return _Gold(query, keys)
        try:
            keyed = self.backends[0].prepare(keys.keyed_sql)
        except Exception:  # noqa: BLE001 — the judge's own query: any refusal means strict
            return _Gold(query)  # the keys cannot be computed here: strict order
        if not keyed.ordered or keyed.nondeterminism:
            return _Gold(query)
        return _Gold(query, keys, keyed)

    def _reference(self, backend: ExecutionBackend, gold: _Gold) -> _GoldRun:
        """The gold's result on this instance, with its runs of tied sort keys.

        With hidden keys, the reference is the keyed query's result without its key columns,
        once it is checked to hold the gold's rows (else the order stays strict).
        """
        run = self._gold(backend, gold.query)
        if gold.keys is None:
            return _GoldRun(run, None)
        if gold.keyed is None:
            return _GoldRun(run, tie_groups(run.result.rows, gold.keys.columns))
        slot = (gold.keyed.sql, backend.instance_id)
        if slot not in self._keyed_runs:
            self._keyed_runs[slot] = self._keyed_reference(backend, gold, run)
        return self._keyed_runs[slot] or _GoldRun(run, None)

    def _keyed_reference(self, backend: ExecutionBackend, gold: _Gold,
                         run: Execution) -> _GoldRun | None:
        try:
            keyed = self._gold(backend, gold.keyed)
        except _GoldFailure as exc:
            if exc.infra:
                raise
            return None
        width = len(run.result.columns)
        if len(keyed.result.columns) != width + gold.keys.hidden:
            return None
        visible = ResultSet(run.result.columns, tuple(r[:width] for r in keyed.result.rows))
        if not compare_results(run.result, visible, ordered=False, rel_tol=self.settings.rel_tol,
                               abs_tol=self.settings.abs_tol).equal:
            return None
        return _GoldRun(replace(run, result=visible),
                        tie_groups(keyed.result.rows, gold.keys.columns))

    def _run(self, backend: ExecutionBackend, prepared: PreparedQuery) -> Execution:
        run = backend.execute(prepared, self.settings.timeout_s)
        self.db_seconds += run.seconds
        return run

    def _gold(self, backend: ExecutionBackend, prepared: PreparedQuery, *,
              cached: bool = True) -> Execution:
        if cached:
            hit = self.gold_cache.get(prepared.sql, backend.instance_id)
            if hit is not None:
                return hit
        run = self._run(backend, prepared)
        if run.status != "ok":
            infra = run.status in (*_RESOURCE_LIMITS, "infra_error")
            raise _GoldFailure(f"the gold failed: {run.status}: {run.error}", infra=infra)
        self.gold_cache.put(prepared.sql, backend.instance_id, run)
        return run


def _shown(row: Sequence) -> list:
    """A result row as a reviewer reads it: exact NUMBER values (Decimal) as Oracle prints
    them, without the storage scale's trailing zeros (245552.69, not 245552.690000)."""
    return [format(v.normalize(), "f") if isinstance(v, Decimal) and v.is_finite() else v
            for v in row]


def _row_diff(index: int, comparison: Comparison, gold: Execution, run: Execution) -> dict:
    """The reviewer-facing difference between gold and predicted rows on one instance."""
    return {
        "instance": index,
        "reason": comparison.reason,
        "gold_columns": list(gold.result.columns),
        "predicted_columns": list(run.result.columns),
        "missing_rows": [_shown(r) for r in comparison.missing_rows[:ROW_DIFF_LIMIT]],
        "unexpected_rows": [_shown(r) for r in comparison.unexpected_rows[:ROW_DIFF_LIMIT]],
        # Same rows in another order (or another column count): show both heads instead.
        "gold_head": [_shown(r) for r in gold.result.rows[:ORDER_HEAD]],
        "predicted_head": [_shown(r) for r in run.result.rows[:ORDER_HEAD]],
    }


def _short(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__

"""The SQL guardrail: checks a model answer before anyone runs it, with one retry on failure.

``check_answer`` accepts an answer when, in this order (the first failing stage decides, and
every problem of that stage is reported so that the retry prompt can name them all):

1. it is not empty and holds SQL that can be extracted (``harness.sql.output``);
2. it is SQL only once markdown fences are stripped: prose around the SQL is rejected, a fence
   or a stray terminator is not (the client strips those anyway);
3. it parses strictly as Oracle (``harness.sql.parse``);
4. it is one read-only SELECT/WITH query (``harness.sql.safety.classify``);
5. every table and column exists in the catalog and no column is ambiguous
   (``harness.sql.refs.references``);
6. with ``org_policy="required"``, every ORG_ID-striped table is restricted to operating units
   (``harness.sql.refs.moac_violations``);
7. with a backend, the database binds and plans it (EXPLAIN).

The refusal convention (``-- UNANSWERABLE[: reason]``) is a valid answer. ``run_with_guardrail``
asks the model, checks, and on failure asks once more with the problems fed back; the record
says how many attempts it took, why each failed and how long each took, so the evaluation can
report ``guardrail.retry_rate`` (``guardrail_summary``) and the proxy can serve the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from harness.backends.base import BackendFailure, ExecutionBackend, QueryRejected
from harness.engines.base import Generation, ModelEngine, SamplingParams
from harness.inputs.catalog import Catalog
from harness.scoring.metrics import wilson_interval
from harness.sql.output import check_output
from harness.sql.parse import SqlParseError, parse_oracle
from harness.sql.refs import moac_violations, references
from harness.sql.safety import classify
from harness.translate.errors import UnsupportedConstruct

OrgPolicy = Literal["required", "none"]
MAX_RETRIES = 1  # the requirement: one retry, then the failure is recorded

# Issues of check_output that stripping fences and terminators removes without changing the
# SQL: they do not make an answer "not SQL only" for the guardrail.
_TOLERATED_ISSUES = frozenset({"markdown_fence", "unclosed_fence", "inline_code",
                               "sqlplus_terminator", "extra_terminator"})
_PROSE_ISSUES = ("prose_before", "prose_after", "prose_interleaved", "multiple_fences",
                 "refusal_marker_in_sql", "malformed_refusal")


@dataclass(frozen=True)
class Rejection:
    """One reason an answer was rejected: a stable code and a message fit for the model."""

    code: str
    message: str
    attempt: int = 1

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GuardrailCheck:
    """The verdict on one answer: ``sql`` is the extracted SQL (None when there is none)."""

    ok: bool
    sql: str | None
    reasons: tuple[Rejection, ...]
    refusal: bool = False


@dataclass(frozen=True)
class AttemptTiming:
    """Where one attempt's time went (seconds); token counts where the engine reports them."""

    generate_s: float
    check_s: float
    ttft_s: float | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class GuardedAnswer:
    """The final answer after the guardrail: ``sql`` is None when every attempt failed."""

    sql: str | None
    attempts: int
    reasons: tuple[Rejection, ...]
    timings: tuple[AttemptTiming, ...]
    ok: bool
    raw: str | None

    @property
    def retried(self) -> bool:
        return self.attempts > 1

    def record(self) -> dict:
        """The per-example record (JSON) that ``guardrail_summary`` aggregates."""
        return {"ok": self.ok, "attempts": self.attempts,
                "reasons": [r.to_json() for r in self.reasons],
                "seconds": sum(t.generate_s + t.check_s for t in self.timings)}


def _reject(code: str, message: str) -> GuardrailCheck:
    return GuardrailCheck(False, None, (Rejection(code, message),))


def check_answer(raw: str | None, *, catalog: Catalog, backend: ExecutionBackend | None = None,
                 org_policy: OrgPolicy = "none") -> GuardrailCheck:
    """Check one raw model answer; the module docstring gives the stages and their order."""
    if raw is None or not raw.strip():
        return _reject("empty", "the answer was empty")
    output = check_output(raw)
    if output.refusal and not any(i in _PROSE_ISSUES for i in output.issues):
        return GuardrailCheck(True, raw.strip(), (), refusal=True)
    if output.sql is None:
        return _reject("not_sql", "no SQL statement could be found in the answer")
    prose = [i for i in output.issues if i not in _TOLERATED_ISSUES
             and i != "multiple_statements"]
    if prose:
        return GuardrailCheck(False, output.sql, (Rejection(
            "not_sql_only", f"the answer has text besides the SQL ({', '.join(prose)})"),))
    sql = output.sql
    try:
        statements = parse_oracle(sql, schema=catalog.schema())
    except SqlParseError as error:
        return GuardrailCheck(False, sql, (Rejection("parse_error", f"not valid Oracle SQL: "
                                                                    f"{error}"),))
    verdict = classify(sql)
    if not verdict.safe or len(statements) != 1:
        return GuardrailCheck(False, sql, (Rejection(
            "unsafe", f"only one SELECT or WITH query is allowed ({verdict.reason})"),))
    tree = statements[0]
    refs = references(tree, catalog.schema())
    reasons = [Rejection("unknown_table", f"table {name} does not exist")
               for name in sorted(refs.unknown_tables)]
    reasons += [Rejection("unknown_column",
                          f"column {name} does not exist" if table is None
                          else f"column {table}.{name} does not exist")
                for table, name in sorted(refs.unknown_columns, key=lambda c: (c[0] or "", c[1]))]
    reasons += [Rejection("ambiguous_column", f"column {name} is ambiguous: qualify it")
                for name in sorted(refs.ambiguous_columns)]
    if org_policy == "required":
        reasons += [Rejection("moac", f"{name} must be filtered on ORG_ID (operating unit)")
                    for name in sorted(moac_violations(tree, catalog.striped_tables()))]
    if reasons:
        return GuardrailCheck(False, sql, tuple(reasons))
    if backend is not None:
        problem = _explain(backend, sql)
        if problem:
            return GuardrailCheck(False, sql, (Rejection("explain_error", problem),))
    return GuardrailCheck(True, sql, ())


def _explain(backend: ExecutionBackend, sql: str) -> str | None:
    """The database's objection to ``sql``, or None when it binds and plans."""
    try:
        prepared = backend.prepare(sql)
    except QueryRejected as error:
        return f"rejected: {error.reason}"
    except UnsupportedConstruct:
        # Valid Oracle the embedded engine cannot plan faithfully: the model is not at fault,
        # and a retry could not fix it, so the earlier stages' verdict stands.
        return None
    try:
        return backend.explain(prepared)
    except BackendFailure:
        # The database failed, whatever the answer: no objection a retry could fix, so the
        # earlier stages' verdict stands (the proxy keeps serving).
        return None


def build_retry_prompt(prompt: str, answer: str | None, reasons: Sequence[Rejection]) -> str:
    """The retry: the original prompt, the rejected answer, why, and the demand for SQL only."""
    problems = "\n".join(f"- {r.message}" for r in reasons)
    return (f"{prompt}\n\nYour previous answer was:\n{(answer or '').strip()}\n\n"
            f"It was rejected because:\n{problems}\n\n"
            "Answer again with a single Oracle SELECT statement only: no explanation, no "
            "markdown. If the question cannot be answered from the schema, answer "
            "-- UNANSWERABLE")


RetryPromptBuilder = Callable[[str, "str | None", Sequence[Rejection]], str]
Checker = Callable[[str | None], GuardrailCheck]


def guard_steps(prompt: str, check: Checker, *, retry_prompt_builder: RetryPromptBuilder,
                max_retries: int = MAX_RETRIES
                ) -> Generator[str, Generation, GuardedAnswer]:
    """The retry loop with its I/O left to the caller: yields prompts, receives Generations.

    A synchronous engine (``run_with_guardrail``) and the asynchronous proxy drive the same
    loop, so both count attempts and record reasons identically.
    """
    reasons: list[Rejection] = []
    timings: list[AttemptTiming] = []
    current = prompt
    for attempt in range(1, max_retries + 2):
        generation = yield current
        start = time.perf_counter()
        verdict = check(generation.text)
        timings.append(AttemptTiming(generation.seconds, time.perf_counter() - start,
                                     generation.ttft_s, generation.completion_tokens))
        if verdict.ok:
            return GuardedAnswer(verdict.sql, attempt, tuple(reasons), tuple(timings), True,
                                 generation.text)
        reasons += [Rejection(r.code, r.message, attempt) for r in verdict.reasons]
        current = retry_prompt_builder(prompt, generation.text, verdict.reasons)
    return GuardedAnswer(None, max_retries + 1, tuple(reasons), tuple(timings), False,
                         generation.text)


def run_with_guardrail(engine: ModelEngine, prompt: str, *, catalog: Catalog,
                       retry_prompt_builder: RetryPromptBuilder = build_retry_prompt,
                       backend: ExecutionBackend | None = None, org_policy: OrgPolicy = "none",
                       params: SamplingParams | None = None,
                       max_retries: int = MAX_RETRIES) -> GuardedAnswer:
    """Ask ``engine``, check the answer, retry once with the problems fed back."""
    return run_batch_with_guardrail(
        engine, [prompt], catalog=catalog, retry_prompt_builder=retry_prompt_builder,
        backend=backend, org_policies=[org_policy], params=params, max_retries=max_retries)[0]


def run_batch_with_guardrail(engine: ModelEngine, prompts: Sequence[str], *, catalog: Catalog,
                             retry_prompt_builder: RetryPromptBuilder = build_retry_prompt,
                             backend: ExecutionBackend | None = None,
                             org_policies: Sequence[OrgPolicy] | None = None,
                             params: SamplingParams | None = None,
                             max_retries: int = MAX_RETRIES) -> list[GuardedAnswer]:
    """``run_with_guardrail`` for many prompts: each round is one batch, so a batching or
    concurrent engine keeps its throughput (the retries of a round go out together)."""
    params = params or SamplingParams()
    policies = list(org_policies or ["none"] * len(prompts))
    if len(policies) != len(prompts):
        raise ValueError("org_policies must have one entry per prompt")
    loops = [guard_steps(prompt, _checker(catalog, backend, policy),
                         retry_prompt_builder=retry_prompt_builder, max_retries=max_retries)
             for prompt, policy in zip(prompts, policies, strict=True)]
    results: list[GuardedAnswer | None] = [None] * len(loops)
    pending = {i: next(loop) for i, loop in enumerate(loops)}
    while pending:
        order = list(pending)
        generations = engine.generate([pending[i] for i in order], params)
        pending = {}
        for i, generation in zip(order, generations, strict=True):
            try:
                pending[i] = loops[i].send(generation)
            except StopIteration as done:
                results[i] = done.value
    return [r for r in results if r is not None]


def _checker(catalog: Catalog, backend: ExecutionBackend | None, policy: OrgPolicy) -> Checker:
    return lambda raw: check_answer(raw, catalog=catalog, backend=backend, org_policy=policy)


def guardrail_summary(records: Iterable[Mapping | None]) -> dict:
    """``summary["guardrail"]``: retry and final-failure rates over per-example records.

    A record is ``GuardedAnswer.record()`` (``ok``, ``attempts``); examples without one (None,
    e.g. a replayed prediction that never went through the guardrail) are not counted. Each
    rate has the shape of the other summary rates: value, n, successes, 95 % Wilson interval.
    """
    counted = [r for r in records if r is not None]
    n = len(counted)

    def share(hits: int) -> dict:
        low, high = wilson_interval(hits, n)
        return {"value": hits / n if n else None, "n": n, "successes": hits,
                "ci95": [low, high]}

    retried = sum(1 for r in counted if int(r["attempts"]) > 1)
    failed = sum(1 for r in counted if not r["ok"])
    codes: dict[str, int] = {}
    for record in counted:
        for reason in record.get("reasons", ()):
            codes[reason["code"]] = codes.get(reason["code"], 0) + 1
    return {"retry_rate": share(retried), "final_failure_rate": share(failed),
            "examples": n, "rejections_by_code": dict(sorted(codes.items()))}

"""The status of a scored example: one word saying what happened to it (docs/scoring.md).

A `StrEnum`, so a status is written to results.json, JUnit properties and the scorecard as
the plain string it always was (`Status.CORRECT == "correct"`, `json.dumps` writes
`"correct"`), while code compares members instead of bare strings a typo would break.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Every status a scored example can have, in the order summaries list them."""

    CORRECT = "correct"
    WRONG_RESULT = "wrong_result"
    REFUSED = "refused"
    MISSING = "missing"
    NOT_SQL = "not_sql"
    UNSAFE = "unsafe"
    PARSE_ERROR = "parse_error"
    HALLUCINATION = "hallucination"
    UNSUPPORTED = "unsupported"
    BIND_ERROR = "bind_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    ROW_LIMIT = "row_limit"
    ANSWERED_UNANSWERABLE = "answered_unanswerable"
    GOLD_ERROR = "gold_error"
    HARNESS_ERROR = "harness_error"
    OVERSIZED = "oversized"
    INFRA_ERROR = "infra_error"


# Not a verdict on the model: the infrastructure failed (a gold that timed out or ran out of
# memory, a backend that crashed, an engine that gave no answer). Such examples are left out of
# every rate and make the run incomplete; `sqlgate score --rerun-infra` scores them again.
INFRA_STATUS = Status.INFRA_ERROR

# Examples the harness, not the model, could not judge faithfully: they count as not correct,
# the summary counts them (`unevaluable`) and a policy budgets them (`max_unevaluable`).
UNEVALUABLE_STATUSES = frozenset({Status.UNSUPPORTED, Status.GOLD_ERROR, Status.HARNESS_ERROR})

# The prediction gave no SQL to judge: nothing to parse, so no parse-based rate counts it.
NO_SQL_STATUSES = frozenset({Status.MISSING, Status.REFUSED, Status.NOT_SQL})

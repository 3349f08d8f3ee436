"""The ExecutionBackend protocol and the outcome of running one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from harness.sql.parsed import ParsedSql


@dataclass(frozen=True)
class ResultSet:
    """Columns and rows of one execution, values as the database driver returned them."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


ExecutionStatus = Literal["ok", "error", "timeout", "row_limit", "out_of_memory", "infra_error"]
"""How one execution ended. `error` is the query's own failure (a conversion, ORA-01476, …);
`timeout` and `out_of_memory` are the limits the query ran into (the query's fault or the
machine's: the scorer decides by running the gold on the same instance); `infra_error` is the
backend itself failing (I/O error, crash, lost connection, internal error), which says nothing
about the query."""


class BackendFailure(Exception):
    """The backend itself failed (I/O error, crash, lost connection), whatever the query.

    Raised where a method has no status to return it in (`explain`); `execute` returns an
    Execution with status `infra_error` instead.
    """


class QueryRejected(Exception):
    """A query that must never reach the database (`kind` is the safety classification)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class PreparedQuery:
    """A query accepted by a backend: the text it will run, and whether row order counts."""

    sql: str
    ordered: bool  # the query orders at top level, so result row order is part of its meaning
    # Why Oracle itself may return other rows on another run (ROWNUM over unordered rows…);
    # empty when the result is defined.
    nondeterminism: tuple[str, ...] = ()


@dataclass(frozen=True)
class Execution:
    """What running one prepared query on one database gave."""

    status: ExecutionStatus
    result: ResultSet | None = None
    error: str = ""
    seconds: float = 0.0

    @classmethod
    def from_rows(cls, columns: tuple[str, ...], rows: list[tuple], row_limit: int,
                  seconds: float) -> Execution:
        """`rows` as fetched with `fetchmany(row_limit + 1)`: one row over the cap is
        `row_limit`, never a silently truncated result."""
        if len(rows) > row_limit:
            return cls("row_limit", error=f"more than {row_limit} rows", seconds=seconds)
        return cls("ok", ResultSet(columns, tuple(rows)), seconds=seconds)


class ExecutionBackend(Protocol):
    """One database instance that can bind and run single read-only SELECT/WITH queries.

    `prepare` turns Oracle SQL into what this backend runs (a faithful translation, or the text
    itself on Oracle); it raises QueryRejected for anything but one SELECT/WITH query and
    UnsupportedConstruct where no faithful translation exists. Nothing reaches the database
    before `prepare` has accepted it. It takes the text or, better, the text already read
    (`harness.sql.parsed.ParsedSql`), which it does not parse again.

    A backend that runs a translation may expose it as `translator` (a callable from the
    Oracle text or `ParsedSql` to a `harness.translate.Translation`, cached, raising as
    `prepare` does for untranslatable SQL) so that the scorer translates before it prepares;
    a backend without the attribute, or with None, runs Oracle SQL as written.
    """

    name: str
    instance_id: str  # identifies the data; gold results are cached under it

    def prepare(self, oracle_sql: str | ParsedSql) -> PreparedQuery: ...

    def explain(self, query: PreparedQuery) -> str | None:
        """None when the query binds and plans; otherwise the database's error message."""
        ...

    def execute(self, query: PreparedQuery, timeout_s: float) -> Execution: ...

    def close(self) -> None: ...

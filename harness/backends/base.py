"""The ExecutionBackend protocol and the outcome of running one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from harness.result_compare import ResultSet

ExecutionStatus = Literal["ok", "error", "timeout", "row_limit"]


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
    before `prepare` has accepted it.
    """

    name: str
    instance_id: str  # identifies the data; gold results are cached under it

    def prepare(self, oracle_sql: str) -> PreparedQuery: ...

    def explain(self, query: PreparedQuery) -> str | None:
        """None when the query binds and plans; otherwise the database's error message."""
        ...

    def execute(self, query: PreparedQuery, timeout_s: float) -> Execution: ...

    def close(self) -> None: ...

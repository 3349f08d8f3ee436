"""The Oracle backend: a real database through python-oracledb thin mode, read-only.

Used when `SQLGATE_ORACLE_DSN` is configured. The Oracle text runs as written (no
translation); `EXPLAIN PLAN FOR` binds it, and every query runs in a read-only transaction
with a call timeout and a fetch cap.
"""

from __future__ import annotations

import os
import re
import time

from harness.backends.base import (
    BackendFailure,
    Execution,
    ExecutionStatus,
    PreparedQuery,
    QueryRejected,
)
from harness.sql.parsed import ParsedSql
from harness.sql.safety import classify

DSN_ENV = "SQLGATE_ORACLE_DSN"
USER_ENV = "SQLGATE_ORACLE_USER"
PASSWORD_ENV = "SQLGATE_ORACLE_PASSWORD"  # never logged; redacted from every report

_TIMEOUT_CODES = {"DPY-4024", "ORA-03156", "ORA-01013"}
# The query ran out of a memory or temporary-space budget (PGA, shared pool, TEMP).
_MEMORY_CODES = {"ORA-04030", "ORA-04031", "ORA-04036", "ORA-01652"}
# The database or the connection failed, whatever the query: lost or closed connection,
# network errors, instance down, internal errors, snapshot too old.
_INFRA_CODES = {"ORA-03113", "ORA-03114", "ORA-03135", "ORA-00600", "ORA-07445", "ORA-01034",
                "ORA-01089", "ORA-01092", "ORA-01555", "DPI-1080", "DPY-1001", "DPY-4011"}
_ERROR_CODE = re.compile(r"\b(ORA|DPY|DPI)-(\d{4,5})\b")


def oracle_status(message: str) -> ExecutionStatus:
    """The execution status of an Oracle or driver error message (ExecutionStatus)."""
    codes = {f"{m.group(1)}-{m.group(2)}" for m in _ERROR_CODE.finditer(message)}
    if codes & _TIMEOUT_CODES:
        return "timeout"
    if codes & _MEMORY_CODES:
        return "out_of_memory"
    if codes & _INFRA_CODES or any(c.startswith(("ORA-12", "DPY-6")) for c in codes):
        return "infra_error"  # ORA-12xxx: TNS/network; DPY-6xxx: connection errors
    return "error"


def prepare_for_oracle(oracle_sql: str | ParsedSql) -> PreparedQuery:
    """The text Oracle runs as written, once it is known to be one SELECT/WITH query.

    Raises QueryRejected for anything else; parse errors propagate as SqlParseError.
    """
    parsed = oracle_sql if isinstance(oracle_sql, ParsedSql) else ParsedSql.read(oracle_sql)
    verdict = classify(parsed)
    if not verdict.safe:
        raise QueryRejected(verdict.kind, verdict.reason)
    # Oracle's own grammar without the catalog: the database itself judges the names.
    tree = parsed.with_schema(None).checked_single()
    # python-oracledb sends one statement without its terminator.
    text = parsed.text.strip().rstrip(";").rstrip("/").strip()
    return PreparedQuery(sql=text, ordered=tree.args.get("order") is not None)


class OracleBackend:
    """One Oracle database; `instance_id` should name the data snapshot it holds."""

    name = "oracle"

    def __init__(self, dsn: str, user: str, password: str, instance_id: str, *,
                 row_limit: int = 100_000) -> None:
        import oracledb  # optional extra [oracle]; imported only when this backend is chosen

        self._oracledb = oracledb
        self.instance_id = instance_id
        self.row_limit = row_limit
        self._con = oracledb.connect(user=user, password=password, dsn=dsn)

    @classmethod
    def from_env(cls, instance_id: str = "oracle") -> OracleBackend:
        """Connect with SQLGATE_ORACLE_DSN / _USER / _PASSWORD."""
        missing = [v for v in (DSN_ENV, USER_ENV, PASSWORD_ENV) if not os.environ.get(v)]
        if missing:
            raise RuntimeError(f"Oracle backend needs {', '.join(missing)} to be set")
        return cls(os.environ[DSN_ENV], os.environ[USER_ENV], os.environ[PASSWORD_ENV],
                   instance_id)

    translator = None  # Oracle runs the text as written

    def prepare(self, oracle_sql: str | ParsedSql) -> PreparedQuery:
        return prepare_for_oracle(oracle_sql)

    def explain(self, query: PreparedQuery) -> str | None:
        cursor = self._con.cursor()
        try:
            cursor.execute("EXPLAIN PLAN FOR " + query.sql)
        except self._oracledb.Error as exc:
            message = str(exc).splitlines()[0]
            if oracle_status(message) in ("infra_error", "out_of_memory"):
                raise BackendFailure(f"{self.name} {self.instance_id}: {message}") from exc
            return message
        finally:
            self._con.rollback()  # EXPLAIN PLAN writes PLAN_TABLE rows; keep nothing
            cursor.close()
        return None

    def execute(self, query: PreparedQuery, timeout_s: float) -> Execution:
        self._con.call_timeout = int(timeout_s * 1000)
        cursor = self._con.cursor()
        start = time.perf_counter()
        try:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.arraysize = 1000
            cursor.execute(query.sql)
            columns = tuple(d[0] for d in cursor.description or ())
            rows = cursor.fetchmany(self.row_limit + 1)
        except self._oracledb.Error as exc:
            message = str(exc).splitlines()[0]
            return Execution(oracle_status(message), error=message,
                             seconds=time.perf_counter() - start)
        finally:
            cursor.close()
            self._con.rollback()
        return Execution.from_rows(columns, rows, self.row_limit, time.perf_counter() - start)

    def close(self) -> None:
        self._con.close()

"""The embedded DuckDB backend: one read-only, sandboxed test-suite instance."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import duckdb

from harness.backends.base import BackendFailure, Execution, PreparedQuery, QueryRejected
from harness.sql.parsed import ParsedSql
from harness.sql.safety import classify
from harness.translate.api import CachedTranslator

# DuckDB errors that come from the engine or the machine, never from the query's meaning: the
# database file cannot be read, the engine hit an internal assertion or invalidated itself.
_INFRA_ERRORS = (duckdb.IOException, duckdb.InternalException, duckdb.FatalException,
                 duckdb.ConnectionException, duckdb.InternalError)


class DuckDBPreparer:
    """Safety check and faithful translation, once per distinct SQL text for all instances.

    Translation needs the catalog's column types (`TRUNC(col)` means one thing on a DATE and
    another on a NUMBER), so a preparer belongs to one catalog; `translator` is its
    translation step, which the scorer calls first (see `harness.scoring.scorer`).
    """

    def __init__(self, column_types: dict[str, dict[str, str]] | None = None,
                 maxsize: int = 8192) -> None:
        self.translator = CachedTranslator(column_types or {}, maxsize=maxsize)
        self._prepared: OrderedDict[str, PreparedQuery] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()  # the guardrail prepares from request threads

    def prepare(self, oracle_sql: str | ParsedSql) -> PreparedQuery:
        """Raises QueryRejected (not one SELECT/WITH) or UnsupportedConstruct (no faithful
        translation); parse errors of the Oracle text propagate as sqlglot ParseError.

        Cached by text (least recently used out): a text seen before is neither classified
        nor translated again, whether it comes as text or as `ParsedSql`."""
        text = oracle_sql.text if isinstance(oracle_sql, ParsedSql) else oracle_sql
        with self._lock:
            hit = self._prepared.get(text)
            if hit is not None:
                self._prepared.move_to_end(text)
                return hit
        verdict = classify(oracle_sql)
        if not verdict.safe:
            raise QueryRejected(verdict.kind, verdict.reason)
        translation = self.translator(oracle_sql)
        prepared = PreparedQuery(sql=translation.sql, ordered=translation.ordered,
                                 nondeterminism=tuple(translation.nondeterminism))
        with self._lock:
            self._prepared[text] = prepared
            if len(self._prepared) > self._maxsize:
                self._prepared.popitem(last=False)
        return prepared


@lru_cache(maxsize=1)
def default_preparer() -> DuckDBPreparer:
    """The preparer of the shipped catalog, which the embedded instances are built from."""
    from harness.inputs.catalog import load_catalog

    return DuckDBPreparer(load_catalog().column_types())


class _Watchdog:
    """Interrupts the query running past its deadline: DuckDB has no statement timeout.

    One thread per connection, started with the first query and sleeping until the earliest
    deadline it knows of. Arming for a query only writes the deadline; the thread is woken
    only when it is idle or the new deadline is earlier than its wake-up, so a query that
    ends in time costs no thread switch (a `threading.Timer` per query started and stopped a
    thread each time: about a fifth of warm scoring time on a busy machine).
    """

    def __init__(self, interrupt: Callable[[], None]) -> None:
        self._interrupt = interrupt
        self._cond = threading.Condition()
        self._query = 0  # the armed query's number; 0: none
        self._deadline = 0.0
        self._wake_at: float | None = None  # when the thread wakes; None: idle or not started
        self._fired = 0  # the number of the last query interrupted
        self._thread: threading.Thread | None = None
        self._closed = False

    def arm(self, timeout_s: float) -> int:
        """Watch a query starting now; returns its number for `disarm`."""
        with self._cond:
            self._query += 1
            self._deadline = time.monotonic() + timeout_s
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="duckdb-watchdog",
                                                daemon=True)
                self._thread.start()
            elif self._wake_at is None or self._deadline < self._wake_at:
                self._cond.notify()
            return self._query

    def disarm(self, query: int) -> bool:
        """Stop watching `query`; True when it was interrupted for running past its time."""
        with self._cond:
            if self._query == query:
                self._deadline = 0.0
            return self._fired == query

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._deadline:
                    self._wake_at = None
                    self._cond.wait()
                    continue
                now = time.monotonic()
                if now < self._deadline:
                    self._wake_at = self._deadline
                    self._cond.wait(self._deadline - now)
                    continue
                self._fired, self._deadline = self._query, 0.0
                self._interrupt()


class DuckDBBackend:
    """A test-suite instance opened read-only with file access, extensions and config locked.

    Defence in depth: `prepare` already refuses anything but one SELECT/WITH, and the
    connection itself cannot write (read-only), read files (`enable_external_access=false`),
    load extensions, or change its limits (`lock_configuration=true`).
    """

    name = "duckdb"

    def __init__(self, path: str | Path, instance_id: str, *,
                 preparer: DuckDBPreparer | None = None, row_limit: int = 100_000,
                 memory_limit: str = "1GB", threads: int = 1) -> None:
        self.path = Path(path)
        self._preparer = preparer or default_preparer()
        # Oracle → DuckDB translation, a stage before this backend (harness.translate).
        self.translator = self._preparer.translator
        self.instance_id = instance_id
        self.row_limit = row_limit
        self._config = {
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            # An unknown table name must not resolve to a Python DataFrame in scope.
            "python_enable_replacements": False,
            "memory_limit": memory_limit,
            "threads": threads,
            "lock_configuration": True,
        }
        self._con = self._connect()
        self._watchdog = _Watchdog(lambda: self._con.interrupt())

    def _connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True, config=dict(self._config))

    def _recover(self, exc: duckdb.Error) -> None:
        """After a fatal or internal error DuckDB invalidates the database: every later query
        would fail too. Open it afresh so that one crash costs one example, not the run."""
        if not isinstance(exc, duckdb.FatalException | duckdb.InternalException):
            return
        with contextlib.suppress(duckdb.Error):
            self._con.close()  # first: the process's cached instance of the file goes with it
        with contextlib.suppress(duckdb.Error):  # else the closed connection reports itself
            self._con = self._connect()

    def prepare(self, oracle_sql: str | ParsedSql) -> PreparedQuery:
        return self._preparer.prepare(oracle_sql)

    def explain(self, query: PreparedQuery) -> str | None:
        """None when the query binds; its binder error otherwise. Raises BackendFailure when
        the database itself fails (that is no verdict on the query)."""
        try:
            self._con.execute("EXPLAIN " + query.sql).fetchall()
        except _INFRA_ERRORS as exc:
            self._recover(exc)
            raise BackendFailure(f"{self.name} {self.instance_id}: {_first_line(exc)}") from exc
        except duckdb.OutOfMemoryException as exc:
            raise BackendFailure(f"{self.name} {self.instance_id}: out of memory while "
                                 f"binding: {_first_line(exc)}") from exc
        except duckdb.Error as exc:
            return _first_line(exc)
        return None

    def execute(self, query: PreparedQuery, timeout_s: float) -> Execution:
        # DuckDB has no statement timeout; the watchdog interrupts the connection instead.
        watch = self._watchdog.arm(timeout_s)
        start = time.perf_counter()
        timed_out = False
        try:
            cursor = self._con.execute(query.sql)
            columns = tuple(d[0] for d in cursor.description or ())
            rows = cursor.fetchmany(self.row_limit + 1)
        except duckdb.Error as exc:
            elapsed = time.perf_counter() - start
            timed_out = self._watchdog.disarm(watch)
            if timed_out:
                return Execution("timeout", error=f"stopped after {timeout_s:g} s",
                                 seconds=elapsed)
            if isinstance(exc, duckdb.InterruptException):
                raise KeyboardInterrupt from None  # Ctrl-C, not our timer: see below
            self._recover(exc)
            return Execution(_status_of(exc), error=_first_line(exc), seconds=elapsed)
        except MemoryError:
            return Execution("out_of_memory", error="out of memory fetching the result",
                             seconds=time.perf_counter() - start)
        except RuntimeError as exc:
            # duckdb turns a SIGINT during a query into RuntimeError("Query interrupted") and
            # swallows the KeyboardInterrupt; restore it, so Ctrl-C stops the run instead of
            # scoring this example as a harness error and writing a "complete" run.
            if "interrupted" in str(exc).lower():
                raise KeyboardInterrupt from None
            raise
        finally:
            if not timed_out:
                self._watchdog.disarm(watch)
        return Execution.from_rows(columns, rows, self.row_limit, time.perf_counter() - start)

    def close(self) -> None:
        self._watchdog.close()
        self._con.close()


def _status_of(exc: duckdb.Error) -> str:
    """The execution status of a DuckDB error (ExecutionStatus explains each)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "out_of_memory"
    if isinstance(exc, _INFRA_ERRORS):
        return "infra_error"
    return "error"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

"""Execution backends: where candidate and gold SQL run (embedded DuckDB, or a real Oracle)."""

from harness.backends.base import Execution, ExecutionBackend, PreparedQuery, QueryRejected

__all__ = ["Execution", "ExecutionBackend", "PreparedQuery", "QueryRejected"]

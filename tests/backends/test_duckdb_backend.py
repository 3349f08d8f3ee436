"""The DuckDB backend's sandbox holds even if an unsafe statement got past `prepare`."""

import hashlib
import threading
import time

import duckdb
import pytest

from harness.backends.base import PreparedQuery
from harness.backends.duckdb_backend import DuckDBBackend


@pytest.fixture()
def db_path(tmp_path):
    path = tmp_path / "inst.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE T AS SELECT range AS I, 'v' || range AS S FROM range(2000)")
    con.close()
    return path


@pytest.fixture()
def backend(db_path):
    b = DuckDBBackend(db_path, "test-instance", row_limit=1000)
    yield b
    b.close()


def q(sql, ordered=False):
    return PreparedQuery(sql, ordered)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_runs_a_query_and_reports_columns(backend):
    run = backend.execute(q("SELECT I, S FROM T WHERE I < 3 ORDER BY I"), timeout_s=5)
    assert run.status == "ok"
    assert run.result.columns == ("I", "S")
    assert run.result.rows == ((0, "v0"), (1, "v1"), (2, "v2"))


@pytest.mark.parametrize("sql", [
    "CREATE TABLE U (I INTEGER)",
    "INSERT INTO T VALUES (1, 'x')",
    "DELETE FROM T",
    "DROP TABLE T",
    "SELECT * FROM read_csv('/etc/passwd')",
    "COPY T TO '/tmp/sqlgate-escape.csv'",
    "ATTACH '/tmp/sqlgate-other.duckdb' AS o",
    "INSTALL httpfs",
    "SET memory_limit = '64GB'",
])
def test_the_connection_itself_refuses_writes_files_and_config(backend, db_path, sql, tmp_path):
    before = digest(db_path)
    run = backend.execute(q(sql), timeout_s=5)
    assert run.status == "error", run
    assert digest(db_path) == before
    assert not list(tmp_path.glob("sqlgate-*"))


def test_an_unknown_table_never_resolves_to_a_python_variable_or_a_file(backend, tmp_path):
    SECRET = __import__("pandas").DataFrame({"X": [1]})  # noqa: N806, F841 — in scope on purpose
    assert backend.execute(q("SELECT * FROM SECRET"), timeout_s=5).status == "error"
    assert backend.execute(q("SELECT * FROM 'data.csv'"), timeout_s=5).status == "error"


def test_a_cartesian_blow_up_times_out_and_the_connection_still_works(backend):
    start = time.perf_counter()
    run = backend.execute(q("SELECT COUNT(*) FROM T a, T b, T c, T d"), timeout_s=0.5)
    assert run.status == "timeout"
    assert time.perf_counter() - start < 5
    assert backend.execute(q("SELECT COUNT(*) FROM T"), timeout_s=5).result.rows == ((2000,),)


def test_a_short_limit_after_long_ones_still_stops_the_query_in_time(backend):
    # The watchdog sleeps until the deadline it knows of; a later, shorter one must wake it.
    for _ in range(5):
        assert backend.execute(q("SELECT COUNT(*) FROM T"), timeout_s=60).status == "ok"
    start = time.perf_counter()
    run = backend.execute(q("SELECT COUNT(*) FROM T a, T b, T c, T d"), timeout_s=0.5)
    assert run.status == "timeout"
    assert time.perf_counter() - start < 10
    # An interrupt meant for that query does not reach the next one.
    assert backend.execute(q("SELECT COUNT(*) FROM T"), timeout_s=60).status == "ok"


def test_a_query_that_ends_in_time_starts_no_thread(backend, monkeypatch):
    backend.execute(q("SELECT 1"), timeout_s=60)  # the watchdog's own thread, once
    started = []
    original = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start",
                        lambda self: (started.append(self), original(self))[1])
    for _ in range(20):
        assert backend.execute(q("SELECT COUNT(*) FROM T"), timeout_s=60).status == "ok"
    assert started == []


def test_row_limit(backend):
    run = backend.execute(q("SELECT * FROM T"), timeout_s=5)
    assert run.status == "row_limit" and "1000" in run.error


def test_explain_binds_without_running(backend):
    assert backend.explain(q("SELECT I FROM T")) is None
    assert "NOPE" in backend.explain(q("SELECT NOPE FROM T"))


def test_out_of_memory_is_its_own_status_and_the_connection_still_works(db_path):
    starved = DuckDBBackend(db_path, "starved", memory_limit="1MB")
    try:
        run = starved.execute(q("SELECT COUNT(*) FROM (SELECT DISTINCT a.I, b.I "
                                "FROM T a, T b)"), timeout_s=10)
        assert run.status == "out_of_memory" and "Out of Memory" in run.error
        assert starved.execute(q("SELECT COUNT(*) FROM T"), timeout_s=10).status == "ok"
    finally:
        starved.close()


def test_a_query_error_is_the_querys_and_an_engine_failure_is_infra(backend, monkeypatch):
    from harness.backends import duckdb_backend
    from harness.backends.base import BackendFailure

    assert backend.execute(q("SELECT CAST(S AS INTEGER) FROM T"), 10).status == "error"

    class Broken:
        def execute(self, sql):
            raise duckdb.IOException("IO Error: could not read block 17")

        def interrupt(self):
            pass

    monkeypatch.setattr(backend, "_con", Broken())
    run = backend.execute(q("SELECT 1"), 10)
    assert run.status == "infra_error" and "block 17" in run.error
    with pytest.raises(BackendFailure, match="block 17"):
        backend.explain(q("SELECT 1"))
    assert duckdb_backend._status_of(duckdb.FatalException("database invalidated")) == \
        "infra_error"


def test_after_a_fatal_error_the_instance_is_opened_afresh(backend, monkeypatch):
    class Crashed:
        def execute(self, sql):
            raise duckdb.FatalException("FATAL Error: database has been invalidated")

        def interrupt(self):
            pass

        def close(self):
            pass

    monkeypatch.setattr(backend, "_con", Crashed())
    run = backend.execute(q("SELECT COUNT(*) FROM T"), 10)
    assert run.status == "infra_error" and "invalidated" in run.error
    after = backend.execute(q("SELECT COUNT(*) FROM T"), 10)  # one crash, one example
    assert after.status == "ok" and after.result.rows == ((2000,),)
    with pytest.raises(duckdb.Error):  # still the locked, read-only sandbox
        backend._con.execute("SET memory_limit = '8GB'")

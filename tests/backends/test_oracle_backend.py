"""The Oracle backend: preparation everywhere; the live checks only with SQLGATE_ORACLE_DSN."""

import os

import pytest

from harness.backends.base import QueryRejected
from harness.backends.oracle_backend import DSN_ENV, OracleBackend, prepare_for_oracle

live = pytest.mark.skipif(not os.environ.get(DSN_ENV),
                          reason=f"needs a live Oracle database: set {DSN_ENV}, "
                                 "SQLGATE_ORACLE_USER and SQLGATE_ORACLE_PASSWORD")


@pytest.mark.parametrize("sql", ["DELETE FROM AP_INVOICES_ALL",
                                 "BEGIN NULL; END;",
                                 "SELECT 1 FROM DUAL; DROP TABLE X",
                                 "SELECT * FROM AP_SUPPLIERS FOR UPDATE"])
def test_only_one_select_is_prepared(sql):
    with pytest.raises(QueryRejected):
        prepare_for_oracle(sql)


def test_the_terminator_goes_and_top_level_order_is_noted():
    prepared = prepare_for_oracle("SELECT VENDOR_ID FROM AP_SUPPLIERS ORDER BY VENDOR_ID;\n")
    assert prepared.sql == "SELECT VENDOR_ID FROM AP_SUPPLIERS ORDER BY VENDOR_ID"
    assert prepared.ordered
    assert not prepare_for_oracle("SELECT * FROM (SELECT 1 A FROM DUAL ORDER BY 1)").ordered


@pytest.fixture()
def oracle():
    pytest.importorskip("oracledb", reason="the [oracle] extra is not installed")
    backend = OracleBackend.from_env()
    yield backend
    backend.close()


@live
def test_live_explain_and_execute(oracle):
    query = oracle.prepare("SELECT 1 AS ONE FROM DUAL")
    assert oracle.explain(query) is None
    run = oracle.execute(query, timeout_s=10)
    assert run.status == "ok" and run.result.rows == ((1,),)
    assert oracle.explain(oracle.prepare("SELECT NO_SUCH_COLUMN FROM DUAL")) is not None


@live
def test_live_timeout(oracle):
    slow = oracle.prepare("SELECT COUNT(*) FROM ALL_OBJECTS a, ALL_OBJECTS b, ALL_OBJECTS c")
    assert oracle.execute(slow, timeout_s=1).status == "timeout"

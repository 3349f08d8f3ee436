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


@pytest.mark.parametrize(("message", "status"), [
    ("ORA-01476: divisor is equal to zero", "error"),
    ("ORA-00904: \"X\": invalid identifier", "error"),
    ("DPY-4024: call timeout of 2000 ms exceeded", "timeout"),
    ("ORA-01013: user requested cancel of current operation", "timeout"),
    ("ORA-04036: PGA memory used by the instance exceeds PGA_AGGREGATE_LIMIT", "out_of_memory"),
    ("ORA-01652: unable to extend temp segment by 128 in tablespace TEMP", "out_of_memory"),
    ("ORA-03113: end-of-file on communication channel", "infra_error"),
    ("DPY-4011: the database or network closed the connection", "infra_error"),
    ("ORA-12541: TNS:no listener", "infra_error"),
    ("ORA-00600: internal error code, arguments: [kdsgrp1]", "infra_error"),
])
def test_oracle_errors_are_told_apart_from_infrastructure(message, status):
    from harness.backends.oracle_backend import oracle_status

    assert oracle_status(message) == status

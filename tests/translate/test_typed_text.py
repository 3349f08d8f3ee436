"""Number-to-text conversion typed from the catalog: no run-time type dispatch where the
schema gives the column's type, and the same Oracle text as the dynamic form."""

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.inputs.catalog import load_catalog
from harness.translate import translate

SCHEMA = {"T": {"ID": "NUMBER(15)", "AMT": "NUMBER", "NAME": "VARCHAR2(20)"}}
DB = duckdb.connect()


def oracle_text(value: Decimal) -> str:
    """Reference: TO_CHAR(n) of an exact decimal, Oracle style (.5, -.25, 10)."""
    text = format(value.normalize(), "f") if value else "0"
    if text.lstrip("-").startswith("0."):
        text = text.replace("0.", ".", 1)
    return text


@settings(max_examples=80, deadline=None)
@given(ident=st.integers(-10**15 + 1, 10**15 - 1),
       amount=st.decimals(-10**9, 10**9, places=6))
def test_typed_and_dynamic_text_agree_with_oracle(ident, amount):
    DB.execute("CREATE OR REPLACE TABLE t(id BIGINT, amt DECIMAL(38,6), name VARCHAR)")
    DB.execute("INSERT INTO t VALUES (?, ?, 'x')", [ident, amount])
    query = "SELECT id || '|' || amt FROM t"
    typed = DB.execute(translate(query, schema=SCHEMA).sql).fetchone()[0]
    dynamic = DB.execute(translate(query).sql).fetchone()[0]
    assert typed == dynamic == f"{oracle_text(Decimal(ident))}|{oracle_text(amount)}"


def test_catalog_typed_like_has_no_run_time_dispatch():
    catalog = load_catalog()
    types = catalog.column_types()
    queries = [
        "SELECT vendor_name FROM ap_suppliers WHERE vendor_name LIKE 'A%'",
        "SELECT vendor_id FROM ap_suppliers WHERE vendor_id LIKE '1%'",
        "SELECT invoice_id FROM ap_invoices_all WHERE invoice_amount LIKE '1%'",
        "SELECT s.vendor_name FROM ap_suppliers s WHERE s.segment1 || s.vendor_id LIKE '%1'",
    ]
    for query in queries:
        sql = translate(query, schema=types).sql.upper()
        assert "TYPEOF" not in sql and "PRINTF" not in sql, query
    integer_like = translate(queries[1], schema=types).sql.upper()
    assert "REGEXP" not in integer_like  # an integer's DuckDB text is already Oracle's


@pytest.mark.parametrize(
    ("query", "expected"),
    [("SELECT -id FROM t", "-7"), ("SELECT (amt) FROM t", "2.5"), ("SELECT -amt FROM t", "-2.5"),
     ("SELECT 10 FROM t", "10"), ("SELECT 1.50 FROM t", "1.5"), ("SELECT -0.50 FROM t", "-.5")],
)
def test_text_of_typed_expressions(query, expected):
    DB.execute("CREATE OR REPLACE TABLE t(id BIGINT, amt DECIMAL(38,6), name VARCHAR)")
    DB.execute("INSERT INTO t VALUES (7, 2.5, 'x')")
    as_text = query.replace("SELECT ", "SELECT TO_CHAR(", 1).replace(" FROM", ") FROM", 1)
    assert DB.execute(translate(as_text, schema=SCHEMA).sql).fetchone()[0] == expected

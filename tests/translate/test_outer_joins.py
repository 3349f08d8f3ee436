"""Old-style (+) outer joins become ANSI LEFT JOINs with the right ON conditions."""

import duckdb
import pytest

from harness.translate import UnsupportedConstruct, translate

SCHEMA = {
    "SUPPLIERS": {"VENDOR_ID": "NUMBER", "NAME": "VARCHAR2(30)"},
    "SITES": {"SITE_ID": "NUMBER", "VENDOR_ID": "NUMBER", "ORG_ID": "NUMBER",
              "STATUS": "VARCHAR2(1)"},
    "INVOICES": {"INVOICE_ID": "NUMBER", "VENDOR_ID": "NUMBER", "SITE_ID": "NUMBER",
                 "ORG_ID": "NUMBER", "AMOUNT": "NUMBER"},
}


@pytest.fixture(scope="module")
def db():
    con = duckdb.connect()
    con.execute("CREATE TABLE suppliers AS SELECT * FROM (VALUES (1, 'Acme'), (2, 'Bolt'), "
                "(3, 'Core')) v(vendor_id, name)")
    con.execute("CREATE TABLE sites AS SELECT * FROM (VALUES (10, 1, 204, 'A'), "
                "(11, 1, 458, 'I'), (20, 2, 204, 'I')) v(site_id, vendor_id, org_id, status)")
    con.execute("CREATE TABLE invoices AS SELECT * FROM (VALUES (100, 1, 10, 204, 50.0), "
                "(101, 1, 11, 458, 70.0), (102, 2, 20, 204, 10.0)) "
                "v(invoice_id, vendor_id, site_id, org_id, amount)")
    yield con
    con.close()


def rows(db, query):
    return sorted(db.execute(translate(query, schema=SCHEMA).sql).fetchall(), key=str)


def test_simple_outer_join_keeps_unmatched_rows(db):
    query = ("SELECT s.name, i.invoice_id FROM suppliers s, invoices i "
             "WHERE s.vendor_id = i.vendor_id(+)")
    assert rows(db, query) == sorted(
        [("Acme", 100), ("Acme", 101), ("Bolt", 102), ("Core", None)], key=str
    )


def test_operand_order_does_not_matter(db):
    query = ("SELECT s.name, i.invoice_id FROM invoices i, suppliers s "
             "WHERE i.vendor_id(+) = s.vendor_id")
    assert ("Core", None) in rows(db, query)


def test_constant_filter_with_marker_belongs_to_the_join(db):
    query = ("SELECT s.name, t.site_id FROM suppliers s, sites t "
             "WHERE s.vendor_id = t.vendor_id(+) AND t.status(+) = 'A'")
    assert rows(db, query) == sorted([("Acme", 10), ("Bolt", None), ("Core", None)], key=str)


def test_constant_filter_without_marker_filters_after_the_join(db):
    query = ("SELECT s.name, t.site_id FROM suppliers s, sites t "
             "WHERE s.vendor_id = t.vendor_id(+) AND t.status = 'A'")
    assert rows(db, query) == [("Acme", 10)]


def test_multi_column_condition(db):
    query = ("SELECT i.invoice_id, t.status FROM invoices i, sites t "
             "WHERE i.vendor_id = t.vendor_id(+) AND i.org_id = t.org_id(+) "
             "AND i.site_id = t.site_id(+)")
    assert rows(db, query) == sorted([(100, "A"), (101, "I"), (102, "I")], key=str)


def test_chain_of_outer_joins_and_inner_tables(db):
    query = ("SELECT s.name, t.site_id, i.invoice_id FROM suppliers s, sites t, invoices i "
             "WHERE s.vendor_id = t.vendor_id(+) AND t.site_id = i.site_id(+) "
             "AND t.org_id(+) = 204")
    assert rows(db, query) == sorted(
        [("Acme", 10, 100), ("Bolt", 20, 102), ("Core", None, None)], key=str
    )


def test_unqualified_columns_resolve_through_the_schema(db):
    query = "SELECT name, invoice_id FROM suppliers s, invoices i WHERE s.vendor_id = i.vendor_id(+)"
    assert ("Core", None) in rows(db, query)


def test_generated_sql_uses_left_join_with_on():
    sql = translate("SELECT 1 FROM a, b WHERE a.x = b.x(+) AND b.y(+) = 'A'").sql
    assert 'LEFT JOIN "B" ON' in sql
    assert "WHERE" not in sql


@pytest.mark.parametrize(
    "condition",
    [
        "a.x = b.x(+) OR a.y = b.y(+)",  # (+) under OR: ORA-01719
        "b.x(+) IN (1, 2) AND a.x = b.x(+)",  # (+) with IN: ORA-01719
        "a.x = c.x(+) AND b.x = c.x(+)",  # c outer-joined to two tables
        "a.x = b.x(+) AND b.y = a.y(+)",  # a cycle: ORA-01416
        "a.x(+) = b.x(+)",  # both sides marked
        "b.y(+) = 'A'",  # no join condition
        "b.x(+) = a.x + c.x",  # joined to two tables in one condition
        "b.x(+) = (SELECT MAX(x) FROM d)",  # subquery: ORA-01799
        "b.x(+) = ANY (1, 2) AND a.x = b.x(+)",  # a list quantifier is OR-ed comparisons
        "b.x(+) <> ALL (1, 2) AND a.x = b.x(+)",
    ],
)
def test_unmappable_outer_joins_are_refused(condition):
    with pytest.raises(UnsupportedConstruct):
        translate(f"SELECT 1 FROM a, b, c WHERE {condition}")


def test_marker_with_ansi_join_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT 1 FROM a JOIN c ON a.x = c.x, b WHERE a.x = b.x(+)")


def test_unresolvable_unqualified_column_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT 1 FROM a, b WHERE x = b.x(+)")


def test_marker_outside_where_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT b.x(+) FROM a, b")

"""Names and numbers EBS keeps non-unique repeat in every instance (recipe `namesakes`), so a
DISTINCT or GROUP BY on the name without its id merges two things; no declared unique key is
broken by it (tests/test_mutant_equivalence.py checks every one)."""

from __future__ import annotations

import pytest

from harness.datagen.sparse_coverage import emptied_units

# (what, SQL counting names that two things share inside one scope a gold filters on)
SHARED = [
    ("supplier names", "SELECT COUNT(*) FROM (SELECT VENDOR_NAME FROM AP_SUPPLIERS "
                       "GROUP BY VENDOR_NAME HAVING COUNT(DISTINCT VENDOR_ID) > 1)"),
    ("customer organization names",
     "SELECT COUNT(*) FROM (SELECT PARTY_NAME FROM HZ_PARTIES p JOIN HZ_CUST_ACCOUNTS a "
     "ON a.PARTY_ID = p.PARTY_ID WHERE p.PARTY_TYPE = 'ORGANIZATION' "
     "GROUP BY PARTY_NAME HAVING COUNT(DISTINCT p.PARTY_ID) > 1)"),
    ("full names of current persons",
     "SELECT COUNT(*) FROM (SELECT FULL_NAME FROM PER_ALL_PEOPLE_F WHERE DATE '2025-06-15' "
     "BETWEEN EFFECTIVE_START_DATE AND EFFECTIVE_END_DATE "
     "GROUP BY FULL_NAME HAVING COUNT(DISTINCT PERSON_ID) > 1)"),
    ("order numbers of one type in two units",
     "SELECT COUNT(*) FROM (SELECT SEGMENT1 FROM PO_HEADERS_ALL "
     "GROUP BY SEGMENT1, TYPE_LOOKUP_CODE HAVING COUNT(DISTINCT ORG_ID) > 1)"),
    ("invoice numbers of two suppliers in one unit",
     "SELECT COUNT(*) FROM (SELECT INVOICE_NUM FROM AP_INVOICES_ALL "
     "GROUP BY ORG_ID, INVOICE_NUM HAVING COUNT(DISTINCT VENDOR_ID) > 1)"),
    ("invoices of two suppliers alike in number, amount, date, type and status",
     "SELECT COUNT(*) FROM (SELECT 1 FROM AP_INVOICES_ALL GROUP BY ORG_ID, INVOICE_NUM, "
     "INVOICE_AMOUNT, INVOICE_DATE, INVOICE_TYPE_LOOKUP_CODE, PAYMENT_STATUS_FLAG "
     "HAVING COUNT(DISTINCT VENDOR_ID) > 1)"),
    ("order numbers of two document types in one unit",
     "SELECT COUNT(*) FROM (SELECT SEGMENT1 FROM PO_HEADERS_ALL "
     "GROUP BY ORG_ID, SEGMENT1 HAVING COUNT(DISTINCT TYPE_LOOKUP_CODE) > 1)"),
    ("transaction numbers of two batch sources in one unit",
     "SELECT COUNT(*) FROM (SELECT TRX_NUMBER FROM RA_CUSTOMER_TRX_ALL "
     "GROUP BY ORG_ID, TRX_NUMBER HAVING COUNT(DISTINCT BATCH_SOURCE_ID) > 1)"),
]


@pytest.mark.parametrize(("what", "sql"), SHARED, ids=[w for w, _ in SHARED])
def test_every_instance_has_namesakes(connections, what, sql):
    for index, con in enumerate(connections):
        assert con.execute(sql).fetchone()[0] >= 1, f"instance {index}: no shared {what}"


# hand-made nullable columns that had a single NULL per table (recipe `hand_nulls`)
HAND_NULLS = [("AP_CHECKS_ALL", "STATUS_LOOKUP_CODE"), ("PO_LINE_LOCATIONS_ALL", "QUANTITY_RECEIVED"),
              ("PO_DISTRIBUTIONS_ALL", "QUANTITY_DELIVERED"), ("PO_HEADERS_ALL", "CURRENCY_CODE")]


@pytest.mark.parametrize(("table", "column"), HAND_NULLS)
def test_hand_made_columns_have_nulls_in_every_operating_unit(connections, catalog, recipe,
                                                              table, column):
    # a gold filtering one unit meets a NULL: NVL removed, NULLS FIRST vs LAST return more;
    # but for a unit a sparse instance emptied a code or whole documents of (its NULLs may
    # have gone with them)
    for index, con in enumerate(connections):
        sparse = {unit for t, unit in emptied_units(catalog, recipe, index) if t == table}
        units = con.execute(f"SELECT ORG_ID, COUNT(*) FILTER (WHERE {column} IS NULL) "
                            f"FROM {table} GROUP BY ORG_ID").fetchall()
        assert len(units) >= 2
        assert all(nulls >= 2 for unit, nulls in units if unit not in sparse), (
            f"instance {index}: {units}")


@pytest.mark.parametrize(("escaped", "wildcard"), [
    # a supplier spelt with `_`: the escaped search finds it, the bare `_` matches any name
    (r"SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE VENDOR_NAME LIKE '%\_%' ESCAPE '\'",
     "SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE VENDOR_NAME LIKE '%_%'"),
    (r"SELECT PARTY_NAME FROM HZ_PARTIES WHERE PARTY_NAME LIKE '%\%%' ESCAPE '\'",
     "SELECT PARTY_NAME FROM HZ_PARTIES WHERE PARTY_NAME LIKE '%%%'"),
])
def test_organization_names_hold_like_wildcards(connections, escaped, wildcard):
    # issue #17: no name held `_` or `%`, so an escaped search returned nothing anywhere (a
    # gold like it was unevaluable) and the wildcard one could not be told from it
    found = [con.execute(escaped).fetchall() for con in connections]
    assert sum(bool(rows) for rows in found) >= len(connections) - 1
    assert all(len(con.execute(wildcard).fetchall()) > len(rows)
               for con, rows in zip(connections, found, strict=True))


def test_some_imported_invoice_numbers_keep_a_trailing_blank(connections):
    # blanks around codes (issue #17): `TRIM(invoice_num)` and `invoice_num`, or a LIKE on
    # the number's end, differ on every instance; only imported invoices carry one
    for con in connections:
        rows = con.execute("SELECT SOURCE, COUNT(*) FROM AP_INVOICES_ALL "
                           "WHERE INVOICE_NUM <> RTRIM(INVOICE_NUM) GROUP BY 1").fetchall()
        assert [r[0] for r in rows] == ["Payables Open Interface"] and rows[0][1] > 0, rows

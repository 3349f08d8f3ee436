"""Legal EBS data that tells unit filters, span bounds and account types apart: transaction
types that share an id across operating units, invoices matched to another unit's purchase
order, future-dated invoices and accrual distributions on a liability account
(docs/test-suite-data.md, "Across units and beyond the span")."""

from __future__ import annotations

import datetime as dt

import pytest

from harness.datagen.sparse_coverage import emptied_pairs
from tests.datagen.test_facts import INSTANCES


def _rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.mark.parametrize("i", INSTANCES)
def test_every_class_has_a_seeded_type_shared_by_the_units_and_own_types(connections,
                                                                         catalog, i):
    units = len(catalog.security.operating_units)
    per_class = _rows(connections[i], """
        SELECT TYPE, COUNT(*) FILTER (WHERE n = ?), COUNT(*) FILTER (WHERE n = 1),
               COUNT(DISTINCT ORG_ID)
        FROM (SELECT TYPE, CUST_TRX_TYPE_ID, ORG_ID,
                     COUNT(*) OVER (PARTITION BY CUST_TRX_TYPE_ID) n
              FROM RA_CUST_TRX_TYPES_ALL) GROUP BY TYPE""", [units])
    # three types per class and unit: a join on the id alone, `t.org_id <> …` and
    # `t.cust_trx_type_id <> …` each return other rows than the gold's join
    assert per_class and all(shared == units and own == 2 * units and orgs == units
                             for _, shared, own, orgs in per_class), per_class


@pytest.mark.parametrize("i", INSTANCES)
def test_a_type_join_without_the_unit_repeats_transactions(connections, i):
    """What ar-009/ar-033/ar-037 need: `t.org_id = rct.org_id` dropped or negated changes
    the answer."""
    join = ("SELECT COUNT(*) FROM RA_CUSTOMER_TRX_ALL r JOIN RA_CUST_TRX_TYPES_ALL t "
            "ON t.CUST_TRX_TYPE_ID = r.CUST_TRX_TYPE_ID")
    with_unit, without, other_unit = _rows(connections[i], f"""
        SELECT ({join} AND t.ORG_ID = r.ORG_ID), ({join}), ({join} AND t.ORG_ID <> r.ORG_ID)
        """)[0]
    assert without > with_unit > other_unit > 0


@pytest.mark.parametrize("i", INSTANCES)
def test_every_unit_has_invoices_matched_to_another_units_order(connections, catalog, i):
    con = connections[i]
    for ou in catalog.security.operating_units:
        across = _rows(con, """
            SELECT i.INVOICE_ID, i.VENDOR_ID = h.VENDOR_ID,
                   (SELECT COUNT(*) FROM AP_INVOICE_LINES_ALL l JOIN PO_LINES_ALL pl
                      ON pl.PO_LINE_ID = l.PO_LINE_ID
                    WHERE l.INVOICE_ID = i.INVOICE_ID AND l.ORG_ID = i.ORG_ID
                      AND pl.PO_HEADER_ID = h.PO_HEADER_ID AND pl.ORG_ID = h.ORG_ID)
            FROM AP_INVOICES_ALL i JOIN PO_HEADERS_ALL h ON h.PO_HEADER_ID = i.PO_HEADER_ID
            WHERE i.ORG_ID = ? AND h.ORG_ID <> i.ORG_ID""", [ou.organization_id])
        assert across, f"unit {ou.organization_id}: no invoice matched across units"
        # the supplier is the order's, and the invoice's lines (in its own unit) are
        # matched to that order's lines
        assert all(same_vendor and lines for _, same_vendor, lines in across)


@pytest.mark.parametrize("i", INSTANCES)
def test_future_dated_invoices_are_unpaid_and_in_every_unit(connections, catalog, recipe, i):
    """Two or more per unit, on the day after the span, unpaid (no payment precedes them)
    with their GL date in the span. Targeted rows may then move other invoices onto that
    day (ap-033's `< DATE '2026-01-01'` is a constant of theirs), paid ones too, as they
    move invoice dates inside the span."""
    con = connections[i]
    after = dt.datetime.combine(recipe.dates.end + dt.timedelta(days=1), dt.time())
    for ou in catalog.security.operating_units:
        ours = _rows(con, """
            SELECT COUNT(*) FROM AP_INVOICES_ALL i
            WHERE i.ORG_ID = ? AND i.INVOICE_DATE = ? AND i.PAYMENT_STATUS_FLAG = 'N'
              AND i.CANCELLED_DATE IS NULL AND i.GL_DATE < ? AND NOT EXISTS (
                SELECT 1 FROM AP_INVOICE_PAYMENTS_ALL p WHERE p.INVOICE_ID = i.INVOICE_ID)""",
                     [ou.organization_id, after, after])[0][0]
        assert ours >= 2, f"unit {ou.organization_id}: {ours} future-dated unpaid invoices"
        latest = _rows(con, "SELECT MAX(INVOICE_DATE) FROM AP_INVOICES_ALL WHERE ORG_ID = ?",
                       [ou.organization_id])[0][0]
        # beyond the span (span_edges.py) targeted rows may lie on later gold days
        assert latest == after or (i in recipe.targeted.beyond_span and latest > after)


@pytest.mark.parametrize("i", INSTANCES)
def test_accrual_distributions_clear_a_liability_account(connections, catalog, i):
    """Not every invoice distribution is charged to an expense account (x-014's
    `g.ACCOUNT_TYPE = 'E'` matters): ACCRUAL ones clear the AP accrual account."""
    types = dict(_rows(connections[i], """
        SELECT d.LINE_TYPE_LOOKUP_CODE = 'ACCRUAL', LIST(DISTINCT g.ACCOUNT_TYPE)
        FROM AP_INVOICE_DISTRIBUTIONS_ALL d JOIN GL_CODE_COMBINATIONS g
          ON g.CODE_COMBINATION_ID = d.DIST_CODE_COMBINATION_ID GROUP BY 1"""))
    assert types[True] == ["L"]
    assert "L" not in types[False]


@pytest.mark.parametrize("i", INSTANCES)
def test_every_unit_has_requisition_lines_on_another_units_order(connections, catalog, recipe,
                                                                 i):
    """What po-030 needs: a requisition-to-order join that filters the unit on the
    requisition side only (or the order side only) returns other rows than the gold's. Not
    where a sparse instance leaves the other units no standard shipment (sparse_coverage.py)."""
    bare = {p.unit for p in emptied_pairs(catalog, recipe, i)
            if (p.table, p.column, p.code) == ("PO_LINE_LOCATIONS_ALL", "SHIPMENT_TYPE",
                                               "STANDARD")}
    for ou in catalog.security.operating_units:
        if {o.organization_id for o in catalog.security.operating_units} - {
                ou.organization_id} <= bare:
            continue
        # a requisition twin moved to the other unit under its number (twins.hidden) keeps
        # its original's placements, of whatever order type: only the others are this pass's
        across = _rows(connections[i], """
            SELECT COUNT(*), COUNT(*) FILTER (WHERE h.TYPE_LOOKUP_CODE = 'STANDARD'),
                   COUNT(*) FILTER (WHERE h.ORG_ID = s.ORG_ID)
            FROM PO_REQUISITION_LINES_ALL rl
            JOIN PO_REQUISITION_HEADERS_ALL rh ON rh.REQUISITION_HEADER_ID = rl.REQUISITION_HEADER_ID
            JOIN PO_LINE_LOCATIONS_ALL s ON s.LINE_LOCATION_ID = rl.LINE_LOCATION_ID
            JOIN PO_HEADERS_ALL h ON h.PO_HEADER_ID = s.PO_HEADER_ID
            WHERE rl.ORG_ID = ? AND s.ORG_ID <> rl.ORG_ID
              AND NOT EXISTS (SELECT 1 FROM PO_REQUISITION_HEADERS_ALL o
                              WHERE o.SEGMENT1 = rh.SEGMENT1 AND o.ORG_ID <> rh.ORG_ID)""",
                        [ou.organization_id])[0]
        # placed on a standard order of another unit, whose shipment is in the order's unit
        assert across[0] >= 1 and across[0] == across[1] == across[2], (ou.organization_id,
                                                                        across)

"""Legal EBS data that keeps a filter from being implied by the golds' other filters in AR,
INV and HR: invoices closed by a credit memo alone, items no longer purchased that keep
their default buyer, contingent workers who were employees before; and in AP the largest
unpaid invoice of a year cancelled (docs/test-suite-data.md, "Filters the other filters do not imply")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.context import GenContext, id_blocks
from harness.datagen.tables_ap_invoices import STANDARD, UNPAID, _largest_cancelled
from tests.datagen.test_facts import INSTANCES


@pytest.mark.parametrize("i", INSTANCES)
def test_every_unit_has_an_invoice_closed_by_a_credit_memo_alone(connections, catalog, i):
    """What ar-037 needs: `application_type = 'CASH'` dropped from a NOT EXISTS over the
    applications loses these invoices."""
    for ou in catalog.security.operating_units:
        rows = connections[i].execute("""
            SELECT ps.AMOUNT_DUE_ORIGINAL - ps.AMOUNT_DUE_REMAINING, -ps.AMOUNT_CREDITED,
                   ps.AMOUNT_APPLIED
            FROM AR_PAYMENT_SCHEDULES_ALL ps
            WHERE ps.ORG_ID = ? AND ps.CLASS = 'INV'
              AND EXISTS (SELECT 1 FROM AR_RECEIVABLE_APPLICATIONS_ALL ra
                          WHERE ra.APPLIED_PAYMENT_SCHEDULE_ID = ps.PAYMENT_SCHEDULE_ID
                            AND ra.APPLICATION_TYPE = 'CM')
              AND NOT EXISTS (SELECT 1 FROM AR_RECEIVABLE_APPLICATIONS_ALL ra
                              WHERE ra.APPLIED_PAYMENT_SCHEDULE_ID = ps.PAYMENT_SCHEDULE_ID
                                AND ra.APPLICATION_TYPE = 'CASH')""",
                                      [ou.organization_id]).fetchall()
        assert rows, f"unit {ou.organization_id}: every credited invoice also has cash"
        # the credit is all that was settled: nothing was received for it
        assert all(abs(settled - credited) < 0.01 and applied is None
                   for settled, credited, applied in rows), rows


@pytest.mark.parametrize("i", INSTANCES)
def test_items_not_purchased_may_keep_a_default_buyer(connections, i):
    """What inv-021 needs: `purchasing_item_flag = 'Y'` beside a join on BUYER_ID is not
    implied; purchased items keep a buyer as before."""
    kept, purchased_without = connections[i].execute("""
        SELECT COUNT(*) FILTER (WHERE PURCHASING_ITEM_FLAG = 'N' AND BUYER_ID IS NOT NULL),
               COUNT(*) FILTER (WHERE PURCHASING_ITEM_FLAG = 'Y' AND BUYER_ID IS NULL)
        FROM MTL_SYSTEM_ITEMS_B""").fetchone()
    assert kept > 0
    assert purchased_without == 0


@pytest.mark.parametrize("i", INSTANCES)
def test_former_employees_hired_before_every_current_employee(connections, i):
    """What hr-014 needs: contingent workers with an ORIGINAL_DATE_OF_HIRE but no
    CURRENT_EMPLOYEE_FLAG, the first of them hired before anyone now employed, so a top-N
    by hire date that drops `current_employee_flag = 'Y'` shows them. (Targeted rows may
    move some hires onto the golds' dates, so only the first is sure to be early.)"""
    con = connections[i]
    former = con.execute("""
        SELECT MIN(ORIGINAL_DATE_OF_HIRE), COUNT(*), COUNT(EMPLOYEE_NUMBER),
               COUNT(*) FILTER (WHERE NPW_NUMBER IS NULL)
        FROM PER_ALL_PEOPLE_F WHERE ORIGINAL_DATE_OF_HIRE IS NOT NULL
          AND CURRENT_EMPLOYEE_FLAG IS NULL""").fetchone()
    first_former, rows, numbered, without_worker_number = former
    assert rows > 0
    # contingent workers: a worker number, no employee number
    assert numbered == 0 and without_worker_number == 0
    first_employee = con.execute("""SELECT MIN(ORIGINAL_DATE_OF_HIRE) FROM PER_ALL_PEOPLE_F
                                    WHERE CURRENT_EMPLOYEE_FLAG = 'Y'""").fetchone()[0]
    assert first_former < first_employee


@pytest.mark.parametrize("i", INSTANCES)
def test_every_unit_has_cash_unapplied_from_a_wrong_invoice(connections, catalog, i):
    """What ar-012 needs: a receipt whose hidden (DISPLAY 'N') application and its reversal
    name another invoice than its shown one, so `display = 'Y'` dropped counts two. The
    pair nets to zero: no balance moves."""
    for ou in catalog.security.operating_units:
        rows = connections[i].execute("""
            SELECT h.CASH_RECEIPT_ID, SUM(h.AMOUNT_APPLIED), COUNT(*),
                   BOOL_OR(h.APPLIED_CUSTOMER_TRX_ID IN (
                       SELECT s.APPLIED_CUSTOMER_TRX_ID FROM AR_RECEIVABLE_APPLICATIONS_ALL s
                       WHERE s.CASH_RECEIPT_ID = h.CASH_RECEIPT_ID AND s.DISPLAY = 'Y'))
            FROM AR_RECEIVABLE_APPLICATIONS_ALL h
            WHERE h.ORG_ID = ? AND h.STATUS = 'APP' AND h.DISPLAY = 'N'
            GROUP BY h.CASH_RECEIPT_ID, h.APPLIED_CUSTOMER_TRX_ID""",
                                      [ou.organization_id]).fetchall()
        assert rows, f"unit {ou.organization_id}: no application was ever reversed"
        assert all(abs(net) < 0.01 and n == 2 and not shown for _, net, n, shown in rows), rows


@pytest.fixture(scope="module")
def context(catalog, recipe):
    return GenContext(catalog, recipe, recipe.seed(0), id_blocks(catalog, recipe))


@given(st.data())
def test_the_largest_unpaid_standard_invoice_of_each_unit_and_year_is_cancelled(context, data):
    """What ap-011 and ap-031 need: `CANCELLED_DATE IS NULL` dropped beside a top-N of a
    year's invoices meets a cancelled one. Only unpaid standard invoices in the functional
    currency off the placed days are chosen, the largest of their (unit, year), never the
    only one."""
    n = data.draw(st.integers(1, 40))
    units = context.operating_units
    pick = lambda options: np.array(data.draw(st.lists(  # noqa: E731
        st.sampled_from(options), min_size=n, max_size=n)), dtype=object)
    org = pick(units).astype(np.int64)
    kind, status = pick([STANDARD, "CREDIT", "PREPAYMENT"]), pick([UNPAID, "Y", "P"])
    functional = context.recipe.currencies.functional
    currency = pick([functional, "EUR"])
    amount = np.array(data.draw(st.lists(st.integers(-5, 9).map(lambda x: x * 100.0),
                                         min_size=n, max_size=n)))
    day = pick(list(range(0, 1095, 37))).astype(np.int64)
    date = np.datetime64("2023-01-01T10:00") + day * np.timedelta64(1, "D")
    on_edge = pick([False, False, True]).astype(bool)
    chosen = _largest_cancelled(context, org, kind, status, currency,
                                amount, date.astype("datetime64[us]"), on_edge)
    placed = np.isin(date, np.array(context.instants, dtype="datetime64[us]"))
    free = ((status == UNPAID) & (kind == STANDARD) & (currency == functional)
            & (amount > 0) & ~on_edge & ~placed)
    assert not (chosen & ~free).any()
    year = date.astype("datetime64[Y]")
    for unit in units:
        for y in np.unique(year):
            group = free & (org == unit) & (year == y)
            picked = np.flatnonzero(chosen & group)
            if group.sum() < 2:
                assert not len(picked)
                continue
            assert len(picked) == 1 and amount[picked[0]] == amount[group].max()


@pytest.mark.parametrize("i", INSTANCES)
def test_cancelled_invoices_stay_unpaid_and_some_are_a_units_largest(connections, i):
    """Cancelled invoices are never paid (Payables cancels only unpaid ones), and on some
    unit and year a cancelled standard invoice is at least as large as every other unpaid
    standard one of its currency."""
    con = connections[i]
    paid = con.execute("""SELECT COUNT(*) FROM AP_INVOICES_ALL
                          WHERE CANCELLED_DATE IS NOT NULL AND PAYMENT_STATUS_FLAG <> 'N'
                          """).fetchone()[0]
    assert paid == 0
    largest = con.execute("""
        SELECT COUNT(*) FROM AP_INVOICES_ALL c
        WHERE c.CANCELLED_DATE IS NOT NULL AND c.INVOICE_TYPE_LOOKUP_CODE = 'STANDARD'
          AND c.INVOICE_AMOUNT >= (
              SELECT MAX(u.INVOICE_AMOUNT) FROM AP_INVOICES_ALL u
              WHERE u.ORG_ID = c.ORG_ID AND u.PAYMENT_STATUS_FLAG = 'N'
                AND u.INVOICE_TYPE_LOOKUP_CODE = 'STANDARD'
                AND u.INVOICE_CURRENCY_CODE = c.INVOICE_CURRENCY_CODE
                AND YEAR(u.INVOICE_DATE) = YEAR(c.INVOICE_DATE))""").fetchone()[0]
    assert largest > 0

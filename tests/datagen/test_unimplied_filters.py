"""Legal EBS data that keeps a filter from being implied by the golds' other filters in AR,
INV and HR: invoices closed by a credit memo alone, items no longer purchased that keep
their default buyer, contingent workers who were employees before
(docs/test-suite-data.md, "Filters the other filters do not imply")."""

from __future__ import annotations

import pytest

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

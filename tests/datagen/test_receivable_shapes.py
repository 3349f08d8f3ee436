"""Receivables shapes EBS allows that one-to-one data never shows: a receipt paying both
installments of a transaction, an account billed at two sites of one unit, a new customer's
draft invoice without lines, a unit's on-account cash moved back to unapplied
(harness/datagen/tables_ar.py, tables_tca.py; docs/test-suite-data.md, "Receipts, sites and
drafts that are not one to one")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.tables_ar import one_receipt_for_installments
from tests.datagen.test_facts import INSTANCES


@given(seed=st.integers(0, 2**16), trx=st.lists(st.integers(0, 30), min_size=1, max_size=80),
       units=st.integers(1, 3))
def test_one_receipt_pays_only_the_other_installment_of_its_transaction(seed, trx, units):
    rng = np.random.default_rng(seed)
    trx_id = np.array(trx, dtype=float)
    org = (trx_id % units).astype(int)  # a transaction's installments share its unit
    mergeable = rng.random(len(trx_id)) < 0.7
    paid_by = one_receipt_for_installments(np.random.default_rng(seed + 1), trx_id, org,
                                           mergeable)
    merged = np.flatnonzero(paid_by >= 0)
    for row in merged:
        keeper = paid_by[row]
        assert keeper < row and trx_id[keeper] == trx_id[row]  # the first installment's
        assert mergeable[row]
        assert paid_by[keeper] == -1  # a keeper is never merged away itself
    assert len(set(paid_by[merged])) == len(merged)  # one extra installment per receipt
    # every unit with a mergeable second installment has one paid by the first's receipt
    seen: dict[float, int] = {}
    for row, t in enumerate(trx_id):
        if t in seen:
            if mergeable[row]:
                assert (org[paid_by >= 0] == org[row]).any()
            seen.pop(t)
        else:
            seen[t] = row


@pytest.mark.parametrize("i", INSTANCES)
def test_a_receipt_applied_to_two_installments_of_one_transaction(connections, catalog, i):
    """What ar-012 needs (COUNT(DISTINCT applied_customer_trx_id) vs COUNT, SUM vs AVG), in
    every unit; the receipt's amount, its PMT schedule and its applications still agree."""
    con = connections[i]
    for ou in catalog.security.operating_units:
        assert con.execute("""
            SELECT COUNT(*) FROM (
              SELECT CASH_RECEIPT_ID FROM AR_RECEIVABLE_APPLICATIONS_ALL
              WHERE ORG_ID = ? AND STATUS = 'APP' AND DISPLAY = 'Y'
                AND CASH_RECEIPT_ID IS NOT NULL
              GROUP BY CASH_RECEIPT_ID, APPLIED_CUSTOMER_TRX_ID
              HAVING COUNT(DISTINCT APPLIED_PAYMENT_SCHEDULE_ID) = 2)""",
                           [ou.organization_id]).fetchone()[0], ou.organization_id
    assert con.execute("""
        SELECT COUNT(*) FROM AR_CASH_RECEIPTS_ALL cr
        JOIN AR_PAYMENT_SCHEDULES_ALL ps ON ps.CASH_RECEIPT_ID = cr.CASH_RECEIPT_ID
        LEFT JOIN (SELECT CASH_RECEIPT_ID, SUM(AMOUNT_APPLIED) AS s
                   FROM AR_RECEIVABLE_APPLICATIONS_ALL WHERE STATUS = 'APP'
                   GROUP BY 1) a ON a.CASH_RECEIPT_ID = cr.CASH_RECEIPT_ID
        WHERE abs(ps.AMOUNT_DUE_ORIGINAL + cr.AMOUNT) > 0.005
           OR abs(coalesce(ps.AMOUNT_APPLIED, 0) - coalesce(a.s, 0)) > 0.005
              AND cr.STATUS NOT IN ('NSF', 'REV', 'STOP')""").fetchone()[0] == 0
    assert con.execute("""
        SELECT COUNT(*) FROM AR_RECEIVABLE_APPLICATIONS_ALL ra
        WHERE ra.CASH_RECEIPT_ID IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM AR_CASH_RECEIPTS_ALL cr
          WHERE cr.CASH_RECEIPT_ID = ra.CASH_RECEIPT_ID)""").fetchone()[0] == 0


@pytest.mark.parametrize("i", INSTANCES)
def test_an_account_billed_at_two_sites_of_one_unit(connections, catalog, i):
    """What ar-013 needs (COUNT(DISTINCT su.org_id) vs COUNT(su.org_id)): in every unit an
    account with two active bill-to uses, on two of its party's sites, one primary at most."""
    con = connections[i]
    for ou in catalog.security.operating_units:
        rows = con.execute("""
            SELECT s.CUST_ACCOUNT_ID, COUNT(*), COUNT(DISTINCT s.PARTY_SITE_ID),
                   COUNT(*) FILTER (WHERE su.PRIMARY_FLAG = 'Y')
            FROM HZ_CUST_SITE_USES_ALL su
            JOIN HZ_CUST_ACCT_SITES_ALL s ON s.CUST_ACCT_SITE_ID = su.CUST_ACCT_SITE_ID
            WHERE su.SITE_USE_CODE = 'BILL_TO' AND su.STATUS = 'A' AND su.ORG_ID = ?
            GROUP BY s.CUST_ACCOUNT_ID HAVING COUNT(*) >= 2""",
                           [ou.organization_id]).fetchall()
        assert rows, ou.organization_id
        assert all(n == sites and primary <= 1 for _, n, sites, primary in rows), rows
    # an account site sits on a site of its account's own party
    assert con.execute("""
        SELECT COUNT(*) FROM HZ_CUST_ACCT_SITES_ALL s
        JOIN HZ_CUST_ACCOUNTS a ON a.CUST_ACCOUNT_ID = s.CUST_ACCOUNT_ID
        JOIN HZ_PARTY_SITES ps ON ps.PARTY_SITE_ID = s.PARTY_SITE_ID
        WHERE ps.PARTY_ID <> a.PARTY_ID""").fetchone()[0] == 0


@pytest.mark.parametrize("i", INSTANCES)
def test_drafts_have_no_lines(connections, i):
    """Incomplete transactions have no lines yet, complete ones all have."""
    with_lines, without = connections[i].execute("""
        SELECT COUNT(*) FILTER (WHERE COMPLETE_FLAG = 'N' AND n > 0),
               COUNT(*) FILTER (WHERE COMPLETE_FLAG = 'Y' AND n = 0)
        FROM (SELECT t.COMPLETE_FLAG, (SELECT COUNT(*) FROM RA_CUSTOMER_TRX_LINES_ALL l
                                       WHERE l.CUSTOMER_TRX_ID = t.CUSTOMER_TRX_ID) AS n
              FROM RA_CUSTOMER_TRX_ALL t)""").fetchone()
    assert (with_lines, without) == (0, 0)


def test_some_draft_is_its_customers_only_transaction(connections):
    """What ar-008 needs (transaction lines joined LEFT): a draft whose party has no other
    transaction in its unit, so its total is NULL, not merely unchanged. A unit may have
    billed every bill-to use already, so only the suite as a whole is sure to have one."""
    lone = [con.execute("""
        SELECT COUNT(*) FROM RA_CUSTOMER_TRX_ALL t
        JOIN HZ_CUST_ACCOUNTS a ON a.CUST_ACCOUNT_ID = t.BILL_TO_CUSTOMER_ID
        WHERE t.COMPLETE_FLAG = 'N' AND NOT EXISTS (
          SELECT 1 FROM RA_CUSTOMER_TRX_ALL o
          JOIN HZ_CUST_ACCOUNTS oa ON oa.CUST_ACCOUNT_ID = o.BILL_TO_CUSTOMER_ID
          WHERE oa.PARTY_ID = a.PARTY_ID AND o.ORG_ID = t.ORG_ID
            AND o.COMPLETE_FLAG = 'Y')""").fetchone()[0] for con in connections]
    assert sum(lone) > 0, lone


@pytest.mark.parametrize("i", INSTANCES)
def test_on_account_cash_moved_back_in_one_unit_of_a_sparse_instance(connections, catalog,
                                                                     recipe, i):
    """What ar-026 needs (`display = 'Y'` dropped beside a sum of on-account applications):
    on a sparse instance one unit's on-account applications are all superseded, so the
    displayed sum is NULL and the whole one 0; elsewhere every unit shows some."""
    units = [ou.organization_id for ou in catalog.security.operating_units]
    emptied = (units[recipe.sparse.instances.index(i) % len(units)]
               if i in recipe.sparse.instances else None)
    for unit in units:
        shown, hidden, net = connections[i].execute("""
            SELECT COUNT(*) FILTER (WHERE DISPLAY = 'Y'), COUNT(*) FILTER (WHERE DISPLAY = 'N'),
                   coalesce(SUM(AMOUNT_APPLIED) FILTER (WHERE DISPLAY = 'N'), 0)
            FROM AR_RECEIVABLE_APPLICATIONS_ALL WHERE ORG_ID = ? AND STATUS = 'ACC'""",
                                                    [unit]).fetchone()
        assert abs(net) < 0.005  # superseded pairs net to zero
        if unit == emptied:
            assert shown == 0 and hidden > 0, (unit, shown, hidden)
        else:
            assert shown > 0, unit

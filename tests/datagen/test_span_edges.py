"""Span edges: documents on the golds' days, and beyond the span on the instances the recipe
names (harness/datagen/span_edges.py; docs/test-suite-data.md, "Span edges")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen import values as v
from harness.datagen.span_edges import place_on_days
from harness.datagen.targeted import recipe_targets
from tests.datagen.test_facts import INSTANCES

# main dates the golds bound by the span, the targets' tables whose days they take
SPANNED = {("AP_INVOICES_ALL", "INVOICE_DATE"): ("AP_INVOICES_ALL",),
           ("AP_CHECKS_ALL", "CHECK_DATE"): ("AP_CHECKS_ALL",),
           ("PO_HEADERS_ALL", "CREATION_DATE"): ("PO_HEADERS_ALL",),
           ("RA_CUSTOMER_TRX_ALL", "TRX_DATE"): ("RA_CUSTOMER_TRX_ALL",
                                                 "AR_PAYMENT_SCHEDULES_ALL")}


def _days(catalog, recipe, table: str, column: str) -> list[dt.date]:
    return sorted({t.value + dt.timedelta(days=delta)
                   for t in recipe_targets(catalog, recipe.targeted.paths())
                   if t.table in SPANNED[(table, column)] and t.column == column
                   and isinstance(t.value, dt.date) for delta in (-1, 0, 1)})


@given(n=st.integers(20, 120), seed=st.integers(0, 2**16), k_days=st.integers(1, 6),
       units=st.integers(1, 3), kinds=st.integers(1, 3))
def test_place_on_days_moves_one_free_row_per_day_unit_and_kind(n, seed, k_days, units, kinds):
    rng = np.random.default_rng(seed)
    dates = v.day(dt.date(2024, 1, 1)) + rng.integers(0, 700, n) * v.DAY
    unit, kind = rng.integers(0, units, n), rng.integers(0, kinds, n)
    free = rng.random(n) < 0.7
    prefer = [rng.random(n) < 0.5, rng.random(n) < 0.2]
    days = [v.day(dt.date(2022, 12, 31)) + i * v.DAY for i in range(k_days)]
    out = place_on_days(np.random.default_rng(seed), dates, days, unit, kind, prefer, free)
    moved = out != dates
    assert not (moved & ~free).any()  # edges and instants keep their rows
    for u in np.unique(unit):  # a unit's first and last dates stay
        mine = unit == u
        assert out[mine].min() <= dates[mine].min() or dates[mine].min() in out[mine]
        assert dates[mine].max() in out[mine]
    for day in days:
        for u in np.unique(unit):
            for k in np.unique(kind):
                group = (unit == u) & (kind == k)
                assert np.sum(moved & group & (out == day)) <= 1
    # each day got a row in every (unit, kind) while free rows of it were left
    assert moved.sum() <= len(days) * len(np.unique(unit)) * len(np.unique(kind))


@pytest.mark.parametrize("i", INSTANCES)
@pytest.mark.parametrize("table,column", sorted(SPANNED))
def test_documents_on_every_gold_day_beyond_the_span_only_where_named(connections, catalog,
                                                                       recipe, i, table,
                                                                       column):
    """ap-048/po-052's `>= DATE '2023-01-01'` and ap-060/ar-033's `< DATE '2026-01-01'`: on
    an instance beyond the span, documents on c - 1, c and c + 1 of every such constant (a
    bound dropped or moved by a day returns them); elsewhere only the days in the span."""
    d = recipe.dates
    beyond = i in recipe.targeted.beyond_span
    held = {r[0].date() for r in connections[i].execute(
        f"SELECT DISTINCT {column} FROM {table} WHERE {column} = CAST({column} AS DATE)"
    ).fetchall()}
    days = _days(catalog, recipe, table, column)
    outside = [x for x in days if not d.start <= x <= d.end]
    if table != "AP_INVOICES_ALL":  # future-dated invoices lie after the span everywhere
        assert beyond == bool(outside and set(outside) & held), (outside, sorted(held)[-3:])
    wanted = days if beyond else [x for x in days if d.start <= x <= d.end]
    assert set(wanted) <= held, sorted(set(wanted) - held)


@pytest.mark.parametrize("i", INSTANCES)
def test_schedules_follow_their_transaction_beyond_the_span(connections, recipe, i):
    """A transaction's schedules repeat its date; the GL date stays in a period of the
    ledger (the span), and nothing closes before the transaction's day."""
    d = recipe.dates
    bad = connections[i].execute("""
        SELECT COUNT(*) FILTER (WHERE s.TRX_DATE <> t.TRX_DATE),
               COUNT(*) FILTER (WHERE s.GL_DATE < ? OR s.GL_DATE > ?),
               COUNT(*) FILTER (WHERE s.GL_DATE_CLOSED < CAST(t.TRX_DATE AS DATE)
                                   OR s.ACTUAL_DATE_CLOSED < CAST(t.TRX_DATE AS DATE))
        FROM AR_PAYMENT_SCHEDULES_ALL s JOIN RA_CUSTOMER_TRX_ALL t
          ON t.CUSTOMER_TRX_ID = s.CUSTOMER_TRX_ID""", [d.start, d.end]).fetchone()
    assert bad == (0, 0, 0)


def _as_of_days(catalog, recipe, columns: dict[str, tuple[str, ...]]) -> list[dt.date]:
    return sorted({t.value for t in recipe_targets(catalog, recipe.targeted.paths())
                   if t.column in columns.get(t.table, ()) and isinstance(t.value, dt.date)
                   and t.value.year <= 3000})


@pytest.mark.parametrize("i", INSTANCES)
def test_a_first_receipt_after_a_quiet_year_on_every_receipt_gold_day(connections, catalog,
                                                                       recipe, i):
    """ar-007's `NOT EXISTS (receipt dated in 2024)` vs `<= DATE '2025-01-01'`: on the day c
    of every year bound (a January 1st a year after the span's start, in the span) golds
    compare receipt dates with, a receipt of a customer with no receipt in the unit in the
    366 days before. (c - 1 and c + 1 get one where a unit has such a customer with a
    part-paid open item left; some instances have none left.)"""
    con, d = connections[i], recipe.dates
    days = {c for c in _as_of_days(catalog, recipe, {"AR_CASH_RECEIPTS_ALL": ("RECEIPT_DATE",)})
            if (c.month, c.day) == (1, 1) and c.year > d.start.year}
    assert days
    for day in sorted(x for x in days if d.start <= x <= d.end):
        units = con.execute(
            "SELECT DISTINCT r.ORG_ID FROM AR_CASH_RECEIPTS_ALL r WHERE r.RECEIPT_DATE = ? "
            "AND r.PAY_FROM_CUSTOMER IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
            "AR_CASH_RECEIPTS_ALL p WHERE p.PAY_FROM_CUSTOMER = r.PAY_FROM_CUSTOMER AND "
            "p.ORG_ID = r.ORG_ID AND p.RECEIPT_DATE >= CAST(? AS DATE) - 366 "
            "AND p.RECEIPT_DATE < ?)", [day, day, day]).fetchall()
        assert units, day



# accounting dates an invoice's GL date gives its lines and distributions
GL_DAY_COLUMNS = {"AP_INVOICES_ALL": ("GL_DATE",), "AP_INVOICE_LINES_ALL": ("ACCOUNTING_DATE",),
                  "AP_INVOICE_DISTRIBUTIONS_ALL": ("ACCOUNTING_DATE",)}


@pytest.mark.parametrize("i", INSTANCES)
def test_invoice_gl_dates_on_every_gold_day_with_lines_following(connections, catalog,
                                                                recipe, i):
    """ap-052's tax lines `ACCOUNTING_DATE >= DATE '2023-12-31'` vs `'2024-01-01'`: lines and
    distributions copy their invoice's GL date and targeted rows leave them alone (frozen),
    so in every unit and on c - 1, c and c + 1 of every date golds compare those columns
    with (in the span: a GL date lies in a period), invoices of several types have that GL
    date at midnight, and their lines carry it, in its period."""
    con, d = connections[i], recipe.dates
    days = sorted({c + dt.timedelta(days=delta)
                   for c in _as_of_days(catalog, recipe, GL_DAY_COLUMNS) for delta in (-1, 0, 1)})
    days = [x for x in days if d.start <= x <= d.end]
    assert days
    # several: three, or every type a unit keeps where a sparse instance recoded its optional
    # types to standard invoices and debit memos (recipe sparse.substitutes)
    kept = dict(con.execute("SELECT ORG_ID, COUNT(DISTINCT INVOICE_TYPE_LOOKUP_CODE) "
                            "FROM AP_INVOICES_ALL GROUP BY ORG_ID").fetchall())
    for day in days:
        per_unit = dict(con.execute(
            "SELECT ORG_ID, COUNT(DISTINCT INVOICE_TYPE_LOOKUP_CODE) FROM AP_INVOICES_ALL "
            "WHERE GL_DATE = ? GROUP BY ORG_ID", [day]).fetchall())
        assert set(per_unit) == set(kept), (day, per_unit)
        assert all(per_unit[u] >= min(3, kept[u]) >= 2 for u in kept), (day, per_unit, kept)
    apart = con.execute("""
        SELECT COUNT(*) FILTER (WHERE l.ACCOUNTING_DATE <> i.GL_DATE),
               COUNT(*) FILTER (WHERE l.PERIOD_NAME <> upper(strftime(l.ACCOUNTING_DATE,
                                                                        '%b-%y')))
        FROM AP_INVOICE_LINES_ALL l JOIN AP_INVOICES_ALL i USING (INVOICE_ID)
        WHERE CAST(i.GL_DATE AS DATE) IN (SELECT UNNEST(?::DATE[]))""", [days]).fetchone()
    assert apart == (0, 0)

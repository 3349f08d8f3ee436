"""Receivables a unit has paid in full: a class, an aging window, a disputed item closed
with its dispute amount (harness/datagen/tables_ar.py; docs/test-suite-data.md, "Paid
classes, paid aging windows and closed disputes (round 7, AR)")."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen import values as v
from harness.datagen.tables_ar import closed_pairs, paid_windows
from tests.datagen.test_facts import INSTANCES

UNITS = [458, 204]


@given(instances=st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True),
       classes=st.lists(st.sampled_from(["GUAR", "CB", "DEP", "DM"]), min_size=1, max_size=3,
                        unique=True),
       units=st.lists(st.integers(1, 999), min_size=1, max_size=4, unique=True))
def test_each_unit_closes_one_class_on_each_sparse_instance(recipe, instances, classes, units):
    shaped = recipe.model_copy(update={
        "sparse": recipe.sparse.model_copy(update={"instances": instances}),
        "ar": recipe.ar.model_copy(update={"closed_classes": classes})})
    dealt = []
    for index in range(10):
        pairs = closed_pairs(shaped, index, units)
        if index not in instances:
            assert pairs == set()
            continue
        assert sorted(u for u, _ in pairs) == sorted(units)  # every unit, one class each
        assert {k for _, k in pairs} <= set(classes)
        dealt += sorted(pairs)
    # dealt in turn: as many distinct classes as the deal reaches
    assert len({k for _, k in dealt}) == min(len(classes), len(instances) * len(units))


def test_no_class_closes_without_the_recipe_or_off_the_sparse_instances(recipe):
    bare = recipe.model_copy(update={"ar": recipe.ar.model_copy(update={"closed_classes": []})})
    assert all(not closed_pairs(bare, i, UNITS) for i in range(recipe.k))
    assert all(not closed_pairs(recipe, i, UNITS) for i in range(recipe.k)
               if i not in recipe.sparse.instances)


@given(ages=st.lists(st.integers(1, 400), min_size=2, max_size=6, unique=True))
def test_paid_windows_lie_between_consecutive_aging_days(recipe, ages):
    shaped = recipe.model_copy(update={
        "dates": recipe.dates.model_copy(update={"aging_days": ages})})
    today = v.day(dt.date(2025, 6, 15))
    bounds = {today - a * v.DAY for a in ages}
    for index in recipe.sparse.instances:
        windows = paid_windows(shaped, index, UNITS, today)
        assert sorted(windows) == sorted(UNITS)
        for start, end in windows.values():
            assert start in bounds and end in bounds and start < end
            assert not any(start < b < end for b in bounds)  # consecutive: one bucket


def _units(con) -> list[int]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT ORG_ID FROM AR_PAYMENT_SCHEDULES_ALL WHERE CLASS <> 'PMT'").fetchall()]


@pytest.mark.parametrize("i", INSTANCES)
def test_built_instances_close_what_they_deal(connections, recipe, i):
    con = connections[i]
    units = _units(con)
    for unit, klass in closed_pairs(recipe, i, units):
        open_, every = con.execute(
            "SELECT COUNT(*) FILTER (WHERE STATUS = 'OP'), COUNT(*) "
            "FROM AR_PAYMENT_SCHEDULES_ALL WHERE ORG_ID = ? AND CLASS = ?",
            [unit, klass]).fetchone()
        assert open_ == 0 and every > 0
        # the transactions close with them
        assert not con.execute("SELECT COUNT(*) FROM RA_CUSTOMER_TRX_ALL t JOIN "
                               "RA_CUST_TRX_TYPES_ALL y USING (CUST_TRX_TYPE_ID, ORG_ID) "
                               "WHERE t.ORG_ID = ? AND y.TYPE = ? AND t.STATUS_TRX = 'OP'",
                               [unit, klass]).fetchone()[0]
    today = v.day(recipe.dates.today or recipe.dates.end)
    for unit, (start, end) in paid_windows(recipe, i, units, today).items():
        open_, closed = con.execute(
            "SELECT COUNT(*) FILTER (WHERE STATUS = 'OP'), COUNT(*) FILTER (WHERE STATUS = 'CL') "
            "FROM AR_PAYMENT_SCHEDULES_ALL WHERE ORG_ID = ? AND CLASS NOT IN ('CM', 'PMT') "
            "AND DUE_DATE >= ? AND DUE_DATE < ?",
            [unit, start.astype(dt.datetime), end.astype(dt.datetime)]).fetchone()
        assert open_ == 0 and closed > 0
    # an open transaction keeps an open installment
    assert not con.execute(
        "SELECT COUNT(*) FROM RA_CUSTOMER_TRX_ALL t WHERE t.STATUS_TRX = 'OP' AND NOT EXISTS "
        "(SELECT 1 FROM AR_PAYMENT_SCHEDULES_ALL s WHERE s.CUSTOMER_TRX_ID = t.CUSTOMER_TRX_ID "
        "AND s.STATUS = 'OP')").fetchone()[0]


def test_closed_items_keep_disputes_in_every_unit_somewhere(connections, recipe):
    if not recipe.ar.closed_dispute_fraction:
        pytest.skip("the recipe keeps no dispute on closed items")
    seen: set[int] = set()
    for con in connections:
        assert not con.execute("SELECT COUNT(*) FROM AR_PAYMENT_SCHEDULES_ALL WHERE STATUS = "
                               "'CL' AND AMOUNT_IN_DISPUTE IS NOT NULL AND CLASS = 'CM'"
                               ).fetchone()[0]
        seen |= {r[0] for r in con.execute(
            "SELECT DISTINCT ORG_ID FROM AR_PAYMENT_SCHEDULES_ALL WHERE STATUS = 'CL' "
            "AND COALESCE(AMOUNT_IN_DISPUTE, 0) <> 0").fetchall()}
    assert seen == set(_units(connections[0]))

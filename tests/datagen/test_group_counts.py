"""Group sizes on HAVING COUNT thresholds (group_counts.py) and short payments
(short_payments.py): the numeric constants a frozen or counted column cannot be targeted on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.datagen.build import generate
from harness.datagen.context import GenContext, id_blocks
from harness.datagen.group_counts import count_targets, movable, place_group_counts
from harness.datagen.probe import run_probe
from harness.datagen.short_payments import short_rows

SUPERVISORS = ("SELECT sup.full_name, COUNT(*) FROM per_all_assignments_f paaf "
               "JOIN per_all_people_f sup ON sup.person_id = paaf.supervisor_id "
               "WHERE DATE '2024-12-31' BETWEEN paaf.effective_start_date AND "
               "paaf.effective_end_date AND DATE '2024-12-31' BETWEEN sup.effective_start_date "
               "AND sup.effective_end_date AND paaf.primary_flag = 'Y' "
               "GROUP BY sup.person_id, sup.full_name HAVING COUNT(*) >= {c}")
SUBINVENTORIES = ("SELECT subinventory_code, COUNT(*) FROM mtl_material_transactions "
                  "WHERE organization_id = 207 AND subinventory_code IS NOT NULL {more}"
                  "GROUP BY subinventory_code HAVING COUNT(*) > 10")


def _one(sql, catalog):
    found = count_targets(sql, catalog)
    assert len(found) == 1, found
    return next(iter(found))


def test_the_lever_is_the_column_a_join_equates_with_the_group_key(catalog):
    target = _one(SUPERVISORS.format(c=3), catalog)
    assert (target.table, target.column, target.value) == (
        "PER_ALL_ASSIGNMENTS_F", "SUPERVISOR_ID", 3.0)
    assert "AS L" in target.probe and "paaf.primary_flag = 'Y'" in target.probe


def test_a_group_column_read_only_by_is_not_null_is_its_own_lever(catalog):
    target = _one(SUBINVENTORIES.format(more=""), catalog)
    assert (target.table, target.column, target.value) == (
        "MTL_MATERIAL_TRANSACTIONS", "SUBINVENTORY_CODE", 10.0)


@pytest.mark.parametrize("sql", [
    SUBINVENTORIES.format(more="AND subinventory_code <> 'Stores' "),  # a move could leave
    SUBINVENTORIES.replace("COUNT(*) > 10", "COUNT(DISTINCT transaction_id) > 10"),
    SUBINVENTORIES.replace("COUNT(*) > 10", "SUM(primary_quantity) > 10"),
    SUBINVENTORIES.replace("GROUP BY subinventory_code", "GROUP BY UPPER(subinventory_code)"),
])
def test_no_lever_or_no_count_threshold_is_no_target(catalog, sql):
    assert count_targets(sql, catalog) == set()


@pytest.mark.parametrize(("table", "column", "expected"), [
    ("PER_ALL_ASSIGNMENTS_F", "SUPERVISOR_ID", True),   # an optional reference
    ("MTL_MATERIAL_TRANSACTIONS", "SUBINVENTORY_CODE", True),
    ("HZ_CUST_ACCOUNTS", "PARTY_ID", False),            # the account's owner: its sites
    ("AP_INVOICES_ALL", "VENDOR_ID", False),            # AP_INVOICES_U2 (number, supplier)
    ("MTL_MATERIAL_TRANSACTIONS", "ORGANIZATION_ID", False),  # striping
])
def test_only_optional_references_and_attributes_move(catalog, table, column, expected):
    assert movable(catalog.tables[table], column, frozenset()) is expected


@pytest.fixture(scope="module")
def generated(catalog, recipe):
    seed = recipe.seed(0)
    return seed, generate(catalog, recipe, seed)


@settings(max_examples=5, deadline=None)
@given(threshold=st.integers(min_value=2, max_value=6))
def test_groups_reach_each_size_and_only_the_lever_moves(catalog, recipe, generated,
                                                         threshold):
    seed, base = generated
    tables = {t: dict(cols) for t, cols in base.items()}
    target = _one(SUPERVISORS.format(c=threshold), catalog)
    arrays = {(t, c): v for t, cols in tables.items() for c, v in cols.items()}
    lever_before = tables[target.table][target.column].copy()
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    assert place_group_counts(ctx, tables, [target], frozenset(recipe.targeted.frozen)) == 3
    rows = run_probe(catalog, tables, target.probe)
    sizes = set(rows.groupby(["G0"]).size())
    assert {threshold - 1, threshold, threshold + 1} <= sizes
    assert {k for k, v in arrays.items() if tables[k[0]][k[1]] is not v} <= {
        (target.table, target.column)}
    # a moved row takes a supervisor some row already had: the foreign key still resolves
    after = tables[target.table][target.column]
    moved = ~np.isclose(np.nan_to_num(after, nan=-1), np.nan_to_num(lever_before, nan=-1))
    assert set(after[moved]) <= set(lever_before[~np.isnan(lever_before)])


@settings(max_examples=40, deadline=None)
@given(eligible=st.lists(st.booleans(), min_size=0, max_size=40),
       per=st.integers(min_value=1, max_value=4), seed=st.integers(0, 2**16))
def test_short_rows_are_distinct_eligible_and_per_group(eligible, per, seed):
    mask = np.array(eligible, dtype=bool)
    groups = np.arange(len(mask)) % 2
    pos, left = short_rows(np.random.default_rng(seed), mask, groups, [0.5, 1.0], per)
    assert len(set(pos.tolist())) == len(pos) and mask[pos].all()
    for g in (0, 1):
        have = int((mask & (groups == g)).sum())
        for balance in (0.5, 1.0):
            assert int(np.sum((groups[pos] == g) & (left == balance))) <= per
        assert int(np.sum(groups[pos] == g)) == min(have, 2 * per)


def test_open_schedules_keep_a_balance_just_above_zero(connections):
    # ap-010/058/067 (`AMOUNT_REMAINING > 0` vs `> 1`) and ar-004 (`<> 0` vs `<> 1`): balances
    # in (0, 1] on open schedules of every unit, the payments still summing to the rest
    for con in connections:
        for sql in ("SELECT ORG_ID, COUNT(*) FILTER (WHERE AMOUNT_REMAINING = 0.5), COUNT(*) "
                    "FILTER (WHERE AMOUNT_REMAINING = 1) FROM AP_PAYMENT_SCHEDULES_ALL "
                    "GROUP BY ORG_ID",
                    "SELECT ORG_ID, COUNT(*) FILTER (WHERE AMOUNT_DUE_REMAINING = 0.5 AND "
                    "STATUS = 'OP'), COUNT(*) FILTER (WHERE AMOUNT_DUE_REMAINING = 1 AND "
                    "STATUS = 'OP') FROM AR_PAYMENT_SCHEDULES_ALL GROUP BY ORG_ID"):
            for org, half, one in con.execute(sql).fetchall():
                assert half and one, (sql, org)

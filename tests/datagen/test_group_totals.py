"""Group totals on HAVING thresholds: the SUMs golds compare, and groups placed on c - 1, c, c + 1."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.datagen.build import generate
from harness.datagen.context import GenContext, id_blocks
from harness.datagen.group_totals import having_targets, place_group_totals
from harness.datagen.probe import run_probe

ONHAND = ("SELECT msi.segment1, SUM(q.primary_transaction_quantity) FROM "
          "mtl_onhand_quantities_detail q JOIN mtl_system_items_b msi ON msi.inventory_item_id "
          "= q.inventory_item_id AND msi.organization_id = q.organization_id "
          "WHERE q.organization_id = 207 GROUP BY msi.segment1 HAVING {having}")


def _one(sql, catalog):
    found = having_targets(sql, catalog)
    assert len(found) == 1, found
    return next(iter(found))


def test_a_sum_threshold_names_its_lever_column_and_a_probe(catalog):
    target = _one(ONHAND.format(having="SUM(q.primary_transaction_quantity) > 300"), catalog)
    assert (target.table, target.column, target.value) == (
        "MTL_ONHAND_QUANTITIES_DETAIL", "PRIMARY_TRANSACTION_QUANTITY", 300.0)
    # the probe keeps the block's FROM and WHERE and lists key, group, value and lever
    assert "q.organization_id = 207" in target.probe
    for name in ("K0", "G0", "V", "L"):
        assert f"AS {name}" in target.probe


def test_nvl_lever_constant_on_the_left_and_negative_constants(catalog):
    sql = ("SELECT h.AGENT_ID FROM PO_HEADERS_ALL h JOIN PO_LINES_ALL l ON l.PO_HEADER_ID = "
           "h.PO_HEADER_ID GROUP BY h.AGENT_ID HAVING -5 < SUM(NVL(l.AMOUNT, l.QUANTITY))")
    target = _one(sql, catalog)
    assert (target.table, target.column, target.value) == ("PO_LINES_ALL", "AMOUNT", -5.0)


@pytest.mark.parametrize("having", [
    "COUNT(*) > 3",                                                   # no SUM
    "SUM(q.primary_transaction_quantity - q.transaction_quantity) > 3",  # no single lever
    "SUM(DISTINCT q.primary_transaction_quantity) > 3",               # a moved value may merge
    "SUM(q.primary_transaction_quantity) > AVG(q.primary_transaction_quantity)",  # no constant
])
def test_sums_without_a_lever_or_a_constant_are_no_targets(catalog, having):
    assert having_targets(ONHAND.format(having=having), catalog) == set()


def test_a_lever_the_where_clause_reads_is_left_alone(catalog):
    # moving the value could move the row out of the block it is summed in
    sql = ONHAND.format(having="SUM(q.primary_transaction_quantity) > 300").replace(
        "= 207", "= 207 AND q.primary_transaction_quantity > 0")
    assert having_targets(sql, catalog) == set()


@pytest.fixture(scope="module")
def generated(catalog, recipe):
    seed = recipe.seed(0)
    return seed, generate(catalog, recipe, seed)


def _totals(catalog, tables, target):
    rows = run_probe(catalog, tables, target.probe)
    groups = [c for c in rows.columns if c.startswith("G")]
    return {float(t) for t in rows.groupby(groups, dropna=False)["V"].sum()}


@settings(max_examples=6, deadline=None)
@given(threshold=st.integers(min_value=5, max_value=2_000))
def test_groups_land_on_any_threshold_and_only_the_lever_moves(catalog, recipe, generated,
                                                               threshold):
    seed, base = generated
    tables = {t: dict(cols) for t, cols in base.items()}
    target = _one(ONHAND.format(having=f"SUM(q.primary_transaction_quantity) >= {threshold}"),
                  catalog)
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    lever = tables[target.table][target.column].copy()
    arrays = {(t, c): v for t, cols in tables.items() for c, v in cols.items()}
    placed = place_group_totals(ctx, tables, [target], frozenset(recipe.targeted.frozen))
    assert placed == 3
    assert {threshold - 1.0, float(threshold), threshold + 1.0} <= _totals(catalog, tables,
                                                                           target)
    # every other column is the very array it was; the lever differs in one row per total
    assert {k for k, v in arrays.items() if tables[k[0]][k[1]] is not v} <= {
        (target.table, target.column)}
    moved = tables[target.table][target.column]
    assert int(np.sum(moved != lever)) <= 3  # none where a group already lay on its total
    assert (moved >= 0).all()  # a column without negative values gets none


def test_a_frozen_lever_is_never_moved(catalog, recipe, generated):
    # AR_PAYMENT_SCHEDULES_ALL.AMOUNT_DUE_REMAINING: the schedule's applications sum to it
    seed, base = generated
    tables = {t: dict(cols) for t, cols in base.items()}
    sql = ("SELECT aps.customer_id FROM ar_payment_schedules_all aps WHERE aps.org_id = 204 "
           "GROUP BY aps.customer_id HAVING SUM(aps.amount_due_remaining) > 50000")
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    before = tables["AR_PAYMENT_SCHEDULES_ALL"]["AMOUNT_DUE_REMAINING"].copy()
    assert place_group_totals(ctx, tables, [_one(sql, catalog)],
                              frozenset(recipe.targeted.frozen)) == 0
    assert np.array_equal(before, tables["AR_PAYMENT_SCHEDULES_ALL"]["AMOUNT_DUE_REMAINING"])


def test_inv_016_threshold_and_its_neighbours_differ_on_some_instance(connections, catalog):
    # inv-016 asks for items with more than 300 on hand: `>= 300`, `> 299` and `> 301` used to
    # return the same items on every instance (no item totalled 299, 300 or 301)
    from harness.authoring.validate import REPO_ROOT
    from harness.backends.duckdb_backend import DuckDBPreparer

    lines = (REPO_ROOT / "fixtures" / "golden" / "ebs_core.jsonl").read_text().splitlines()
    gold = next(e for e in map(json.loads, lines) if e["id"] == "inv-016")["sql_gold"]
    preparer = DuckDBPreparer(catalog.column_types())
    cut = "HAVING SUM(q.primary_transaction_quantity) > 300"
    assert cut in gold
    for neighbour in (cut.replace(">", ">="), cut.replace("300", "299"),
                      cut.replace("300", "301")):
        sqls = [preparer.prepare(s).sql for s in (gold, gold.replace(cut, neighbour))]
        assert any(Counter(con.execute(sqls[0]).fetchall())
                   != Counter(con.execute(sqls[1]).fetchall()) for con in connections), neighbour

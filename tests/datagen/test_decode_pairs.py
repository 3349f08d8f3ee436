"""Codes outside a DECODE's list, in equal counts (decode_pairs.py): which golds are targets,
codes random rows never draw, and copies after which DISTINCT over the DECODE drops a row."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.datagen.context import DatagenError, GenContext, id_blocks
from harness.datagen.decode_pairs import decode_targets, place_rare_codes, rare_codes
from harness.datagen.probe import run_probe

# a gold the shipped set does not have: another organization, year and code list
ACTIONS = ("SELECT DECODE(mmt.transaction_action_id, 1, 'Issue', 2, 'Transfer', 27, 'Receipt') "
           "action_name, COUNT(*) FROM mtl_material_transactions mmt "
           "WHERE mmt.organization_id = 208 AND mmt.transaction_date >= DATE '2023-01-01' "
           "AND mmt.transaction_date < DATE '2024-01-01' GROUP BY mmt.transaction_action_id")


def test_a_decode_over_a_coded_column_is_a_target_with_its_listed_codes(catalog):
    (target,) = decode_targets(ACTIONS, catalog)
    assert (target.table, target.column) == ("MTL_MATERIAL_TRANSACTIONS", "TRANSACTION_ACTION_ID")
    assert target.listed == ("1", "2", "27")
    assert "K0" in target.probe and "208" in target.probe and "GROUP BY" not in target.probe


def test_the_default_of_a_decode_is_no_listed_code(catalog):
    sql = ("SELECT DECODE(transaction_source_type_id, 1, 'PO', 13, 'Other') "
           "FROM mtl_material_transactions")
    (target,) = decode_targets(sql, catalog)
    assert target.listed == ("1", "13")  # 'Other' is the default, no search value
    sql = sql.replace("13, 'Other'", "'Other'")
    (target,) = decode_targets(sql, catalog)
    assert target.listed == ("1",)


@pytest.mark.parametrize("sql", [
    "SELECT DECODE(subinventory_code, 'FGI', 'Finished') FROM mtl_material_transactions",
    "SELECT DECODE(x, 1, 'a') FROM (SELECT transaction_action_id x FROM "
    "mtl_material_transactions)",  # the column is no catalog table's of its block
    "SELECT DECODE(transaction_action_id + 0, 1, 'a') FROM mtl_material_transactions",
])
def test_decodes_not_over_a_coded_column_are_no_targets(catalog, sql):
    assert decode_targets(sql, catalog) == set()


def test_random_rows_never_draw_a_rare_code(catalog, recipe):
    ctx = GenContext(catalog, recipe, recipe.base_seed, id_blocks(catalog, recipe))
    rare = set(recipe.targeted.rare_codes["MTL_TRANSACTION_ACTION"])
    drawn = set(ctx.codes("MTL_MATERIAL_TRANSACTIONS", "TRANSACTION_ACTION_ID"))
    assert rare and not rare & drawn
    assert rare | drawn == set(catalog.lookups["MTL_TRANSACTION_ACTION"].codes)


def test_a_rare_code_the_catalog_lacks_is_refused(catalog, recipe):
    shape = recipe.targeted.model_copy(update={"rare_codes": {"MTL_TRANSACTION_ACTION": ["99"]}})
    odd = recipe.model_copy(update={"targeted": shape})
    ctx = GenContext(catalog, odd, odd.base_seed, id_blocks(catalog, odd))
    with pytest.raises(DatagenError, match=r"rare_codes\.MTL_TRANSACTION_ACTION: \['99'\]"):
        rare_codes(ctx, "MTL_TRANSACTION_ACTION")


def test_a_rare_lookup_the_catalog_lacks_is_refused(catalog, recipe):
    shape = recipe.targeted.model_copy(update={"rare_codes": {"NO SUCH TYPE": ["1"]}})
    odd = recipe.model_copy(update={"targeted": shape})
    ctx = GenContext(catalog, odd, odd.base_seed, id_blocks(catalog, odd))
    with pytest.raises(DatagenError, match="NO SUCH TYPE is no lookup of the catalog"):
        place_rare_codes(ctx, {}, ())


@pytest.fixture(scope="module")
def held_out(instance_for_gold):
    """Instance 0 generated for a golden file holding only the ACTIONS gold."""
    return instance_for_gold("held-1", ACTIONS)


def _rows(catalog, tables, sql: str) -> pd.DataFrame:
    rows = run_probe(catalog, tables, sql)
    assert rows is not None
    return rows


def test_distinct_over_the_decode_drops_a_row_of_the_gold(catalog, recipe, held_out):
    gold = _rows(catalog, held_out, ACTIONS)
    distinct = _rows(catalog, held_out, ACTIONS.replace("SELECT ", "SELECT DISTINCT ", 1))
    assert len(distinct) < len(gold)
    by_code = _rows(catalog, held_out, ACTIONS.replace(
        "DECODE(mmt.transaction_action_id, 1, 'Issue', 2, 'Transfer', 27, 'Receipt') "
        "action_name", "mmt.transaction_action_id"))
    counts = dict(zip(by_code.iloc[:, 0], by_code.iloc[:, 1], strict=True))
    rare = [float(c) for c in recipe.targeted.rare_codes["MTL_TRANSACTION_ACTION"]]
    assert {counts.get(c) for c in rare} == {1}  # each rare code once where the gold looks


def test_every_rare_code_is_held_in_equal_counts(catalog, recipe, held_out):
    frame = pd.DataFrame(held_out["MTL_MATERIAL_TRANSACTIONS"])
    for column, lookup in (("TRANSACTION_ACTION_ID", "MTL_TRANSACTION_ACTION"),
                           ("TRANSACTION_SOURCE_TYPE_ID", "MTL_TRANSACTION_SOURCE_TYPE")):
        counts = frame[column].value_counts()
        rare = [float(c) for c in recipe.targeted.rare_codes[lookup]]
        assert set(rare) <= set(counts.index)
        assert counts[rare].nunique() == 1

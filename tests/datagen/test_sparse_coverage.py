"""Empty inputs (sparse_coverage.py): the golds' (unit, code) pairs, emptied on one sparse
instance each, with every reference to a deleted row cleared or deleted with it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.datagen.context import DatagenError
from harness.datagen.generic import amountless_turn
from harness.datagen.recipe import SparseCoverage, load_recipe
from harness.datagen.sparse_coverage import (
    UnitCode,
    dealt_pairs,
    document_tables,
    emptied_pairs,
    empty_pairs,
    family_pairs,
    missing_codes,
    recipe_unit_codes,
    recode_pairs,
    unit_codes_of,
)

SHIPMENTS, DISTS, LINES = "PO_LINE_LOCATIONS_ALL", "PO_DISTRIBUTIONS_ALL", "AP_INVOICE_LINES_ALL"


def test_a_gold_filtering_a_unit_and_a_code_gives_its_pair(catalog):
    sql = ("SELECT SUM(NVL(d.QUANTITY_DELIVERED, 0)) FROM PO_DISTRIBUTIONS_ALL d "
           "JOIN GL_LEDGERS l ON l.LEDGER_ID = d.SET_OF_BOOKS_ID "
           "WHERE d.ORG_ID = 458 AND d.DESTINATION_TYPE_CODE = 'SHOP FLOOR' "
           "AND l.CURRENCY_CODE = 'USD'")
    assert unit_codes_of(sql, catalog) == {UnitCode(DISTS, 458, "DESTINATION_TYPE_CODE",
                                                    "SHOP FLOOR")}


def test_no_pair_without_a_unit_or_a_code(catalog):
    # a code without a unit, a unit without a code, an unstriped table's code
    assert not unit_codes_of("SELECT COUNT(*) FROM PO_DISTRIBUTIONS_ALL "
                             "WHERE DESTINATION_TYPE_CODE = 'EXPENSE'", catalog)
    assert not unit_codes_of("SELECT COUNT(*) FROM PO_DISTRIBUTIONS_ALL WHERE ORG_ID = 204",
                             catalog)
    assert not unit_codes_of("SELECT COUNT(*) FROM GL_JE_HEADERS WHERE STATUS = 'P'", catalog)


def test_each_pair_is_emptied_on_exactly_one_sparse_instance(catalog, recipe):
    listed = dealt_pairs(catalog, recipe)
    assert listed, "the recipe's golds give no pair on its sparse tables"
    per_instance = {i: set(emptied_pairs(catalog, recipe, i)) for i in range(recipe.k)}
    for i, pairs in per_instance.items():
        assert not pairs or i in recipe.sparse.instances
    for p in listed:
        assert sum(p in pairs for pairs in per_instance.values()) == 1


def test_a_pair_is_not_emptied_where_its_unit_already_holds_no_amount(catalog, recipe):
    # there SUM(NVL(x, 0)) vs SUM(x) dies on the pair's rows; emptying them would lose it
    ous = sorted(o.organization_id for o in catalog.security.operating_units)
    a, b = recipe.sparse.instances[:2]
    checked = 0
    for p in recipe_unit_codes(catalog, recipe.targeted.paths()):
        if p.table not in recipe.sparse.tables or p.unit not in ous:
            continue
        idle = {i: amountless_turn(recipe.seed(i), p.table, len(ous)) for i in (a, b)}
        on = {i for i in (a, b) if idle[i] is not None and ous[idle[i]] == p.unit}
        if len(on) == 1:
            checked += 1
            assert p not in emptied_pairs(catalog, recipe, on.pop()), p.key()
    if not checked:
        # the shipped recipe empties only inventory rows, striped by inventory
        # organization, not by operating unit: no pair can meet a unit without amounts
        pytest.skip("no pair of this recipe's sparse tables meets its unit without amounts")


def _tables(catalog, units, codes, dist_parent, line_ship, line_dist):
    """Minimal column sets: shipments, their distributions and invoice lines that point at
    both; every other child table of the two is empty."""
    n = len(units)
    tables = {SHIPMENTS: {"LINE_LOCATION_ID": np.arange(n, dtype=np.int64),
                          "ORG_ID": np.array(units, dtype=np.int64),
                          "SHIPMENT_TYPE": np.array(codes, dtype=object)},
              DISTS: {"PO_DISTRIBUTION_ID": np.arange(len(dist_parent), dtype=np.int64) + 100,
                      "LINE_LOCATION_ID": np.array(dist_parent, dtype=np.int64)},
              LINES: {"PO_LINE_LOCATION_ID": np.array(line_ship, dtype=float),
                      "PO_DISTRIBUTION_ID": np.array(line_dist, dtype=float)}}
    for child, fk in catalog.join_edges():
        if fk.references in (SHIPMENTS, DISTS) and child not in tables:
            tables[child] = {c: np.array([], dtype=np.int64) for c in fk.columns}
    return tables


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_emptying_keeps_other_rows_and_every_reference(catalog, data):
    n = data.draw(st.integers(1, 12))
    units = data.draw(st.lists(st.sampled_from([204, 458]), min_size=n, max_size=n))
    codes = data.draw(st.lists(st.sampled_from(["STANDARD", "BLANKET"]), min_size=n,
                               max_size=n))
    dist_parent = data.draw(st.lists(st.integers(0, n - 1), max_size=20))
    m = data.draw(st.integers(0, 10))
    line_ship = data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    line_dist = data.draw(st.lists(st.integers(100, 100 + max(len(dist_parent) - 1, 0)),
                                   min_size=m, max_size=m)) if dist_parent else [np.nan] * m
    tables = _tables(catalog, units, codes, dist_parent, line_ship, line_dist)
    pair = UnitCode(SHIPMENTS, 204, "SHIPMENT_TYPE", "STANDARD")
    hit = [u == 204 and c == "STANDARD" for u, c in zip(units, codes, strict=True)]

    deleted = empty_pairs(catalog, tables, [pair])

    ship = tables[SHIPMENTS]
    assert list(ship["LINE_LOCATION_ID"]) == [i for i in range(n) if not hit[i]]
    assert not any((ship["ORG_ID"] == 204) & (ship["SHIPMENT_TYPE"] == "STANDARD"))
    kept_dists = [100 + j for j, p in enumerate(dist_parent) if not hit[p]]
    assert list(tables[DISTS]["PO_DISTRIBUTION_ID"]) == kept_dists  # NOT NULL: gone too
    assert deleted.get(DISTS, 0) == len(dist_parent) - len(kept_dists)
    lines = tables[LINES]
    assert len(lines["PO_LINE_LOCATION_ID"]) == m  # nullable references: cleared, kept
    for ref, alive in (("PO_LINE_LOCATION_ID", set(ship["LINE_LOCATION_ID"])),
                       ("PO_DISTRIBUTION_ID", set(kept_dists))):
        for before, after in zip(line_ship if ref == "PO_LINE_LOCATION_ID" else line_dist,
                                 lines[ref], strict=True):
            if np.isnan(after):
                assert before not in alive
            else:
                assert after == before and after in alive


@pytest.mark.parametrize("i", range(load_recipe().k))
def test_a_sparse_instance_reads_no_row_of_its_pairs(connections, catalog, recipe, i):
    if i not in recipe.sparse.instances:
        pytest.skip("not a sparse instance of this recipe")
    pairs = emptied_pairs(catalog, recipe, i)
    assert pairs
    others = [j for j in recipe.sparse.instances if j != i]
    for p in pairs:
        table = catalog.tables[p.table]
        sql = f"SELECT COUNT(*) FROM {p.table} WHERE {table.striping.column} = ? AND {p.column} = ?"
        code = float(p.code) if table.column(p.column).type.is_numeric else p.code
        assert connections[i].execute(sql, [p.unit, code]).fetchone()[0] == 0, p.key()
        # the other sparse instance keeps the pair's rows, so the gold still reads some
        for j in others:
            assert connections[j].execute(sql, [p.unit, code]).fetchone()[0] > 0, p.key()


HEADERS, PO_LINES = "PO_HEADERS_ALL", "PO_LINES_ALL"


def _orders(catalog):
    """Orders 0..2 with one line, shipment and distribution per shipment (order, unit,
    type): order 1 mixes a blanket and a standard shipment of 204."""
    ships = [(0, 204, "STANDARD"), (1, 204, "BLANKET"), (1, 204, "STANDARD"),
             (2, 458, "STANDARD")]
    order = np.array([s[0] for s in ships], dtype=np.int64)
    ids = np.arange(4, dtype=np.int64)
    tables = {HEADERS: {"PO_HEADER_ID": np.arange(3, dtype=np.int64)},
              PO_LINES: {"PO_LINE_ID": ids + 10, "PO_HEADER_ID": order},
              SHIPMENTS: {"LINE_LOCATION_ID": ids + 20, "PO_HEADER_ID": order,
                          "PO_LINE_ID": ids + 10,
                          "ORG_ID": np.array([s[1] for s in ships], dtype=np.int64),
                          "SHIPMENT_TYPE": np.array([s[2] for s in ships], dtype=object)},
              DISTS: {"PO_DISTRIBUTION_ID": ids + 30, "PO_HEADER_ID": order,
                      "PO_LINE_ID": ids + 10, "LINE_LOCATION_ID": ids + 20}}
    family = document_tables(catalog, HEADERS)
    for child, fk in catalog.join_edges():  # every other child table: empty
        if fk.references in family and child not in family:
            cols = tables.setdefault(child, {})
            cols.update({c: np.array([], dtype=np.int64) for c in fk.columns if c not in cols})
    return tables


def test_a_document_pair_deletes_whole_orders_and_nothing_else(catalog):
    assert document_tables(catalog, HEADERS) == {HEADERS, PO_LINES, SHIPMENTS, DISTS}
    pair = UnitCode(SHIPMENTS, 204, "SHIPMENT_TYPE", "STANDARD")
    tables = _orders(catalog)
    deleted = empty_pairs(catalog, tables, [pair], {SHIPMENTS: HEADERS})
    # orders 0 and 1 hold the pair: they go whole, the blanket shipment of order 1 with them
    assert list(tables[HEADERS]["PO_HEADER_ID"]) == [2]
    for table in (PO_LINES, SHIPMENTS, DISTS):
        assert set(tables[table]["PO_HEADER_ID"]) == {2}, table
    assert deleted == {HEADERS: 2, PO_LINES: 3, SHIPMENTS: 3, DISTS: 3}
    # without documents only the pair's shipments go, with their distributions: order 0
    # would stay with a line but no shipment
    tables = _orders(catalog)
    assert empty_pairs(catalog, tables, [pair]) == {SHIPMENTS: 2, DISTS: 2}
    assert list(tables[HEADERS]["PO_HEADER_ID"]) == [0, 1, 2]


def test_a_document_root_needs_a_mandatory_reference(catalog):
    tables = {"AP_INVOICE_LINES_ALL": {"ORG_ID": np.array([204]),
                                       "LINE_TYPE_LOOKUP_CODE": np.array(["ITEM"], dtype=object)}}
    pair = UnitCode("AP_INVOICE_LINES_ALL", 204, "LINE_TYPE_LOOKUP_CODE", "ITEM")
    with pytest.raises(DatagenError, match="NOT NULL foreign key to PO_HEADERS_ALL"):
        empty_pairs(catalog, tables, [pair], {"AP_INVOICE_LINES_ALL": HEADERS})


RECODED = SparseCoverage(
    instances=[0], tables=[SHIPMENTS, DISTS],
    substitutes={f"{SHIPMENTS}.SHIPMENT_TYPE": {"STANDARD": "PLANNED"},
                 f"{DISTS}.DESTINATION_TYPE_CODE": {"SHOP FLOOR": "EXPENSE"}},
    retyped={f"{SHIPMENTS}.SHIPMENT_TYPE": f"{HEADERS}.TYPE_LOOKUP_CODE"})


def _typed_orders():
    """Orders (unit, type, number): 0 a standard order of 204 whose number a planned order
    of 204 (1) holds too, 2 a standard order of 458, 3 a blanket of 204; one shipment and one
    distribution each (order 0 two shipments)."""
    heads = [(204, "STANDARD", "100"), (204, "PLANNED", "100"), (458, "STANDARD", "100"),
             (204, "BLANKET", "101")]
    ships = [(0, "STANDARD"), (0, "STANDARD"), (1, "PLANNED"), (2, "STANDARD"), (3, "BLANKET")]
    order = np.array([o for o, _ in ships], dtype=np.int64)
    unit = np.array([heads[o][0] for o in order], dtype=np.int64)
    return {HEADERS: {"PO_HEADER_ID": np.arange(4, dtype=np.int64),
                      "ORG_ID": np.array([h[0] for h in heads], dtype=np.int64),
                      "TYPE_LOOKUP_CODE": np.array([h[1] for h in heads], dtype=object),
                      "SEGMENT1": np.array([h[2] for h in heads], dtype=object)},
            SHIPMENTS: {"LINE_LOCATION_ID": np.arange(5, dtype=np.int64) + 20,
                        "PO_HEADER_ID": order, "ORG_ID": unit,
                        "SHIPMENT_TYPE": np.array([t for _, t in ships], dtype=object)},
            DISTS: {"PO_DISTRIBUTION_ID": np.arange(5, dtype=np.int64) + 30,
                    "LINE_LOCATION_ID": np.arange(5, dtype=np.int64) + 20, "ORG_ID": unit,
                    "DESTINATION_TYPE_CODE": np.array(
                        ["SHOP FLOOR", "EXPENSE", "SHOP FLOOR", "SHOP FLOOR", "INVENTORY"],
                        dtype=object)}}


def test_a_retyped_pair_turns_whole_orders_and_keeps_every_row(catalog):
    tables = _typed_orders()
    pairs = [UnitCode(SHIPMENTS, 204, "SHIPMENT_TYPE", "STANDARD"),
             UnitCode(DISTS, 458, "DESTINATION_TYPE_CODE", "SHOP FLOOR"),
             UnitCode(SHIPMENTS, 458, "INSPECTION_REQUIRED_FLAG", "Y")]
    left = recode_pairs(catalog, tables, pairs, RECODED)
    assert left == pairs[2:]  # no substitute: left for empty_pairs
    heads, ships, dists = tables[HEADERS], tables[SHIPMENTS], tables[DISTS]
    # order 0 is planned now, shipments and all; 458's standard order and 204's blanket stay
    assert list(heads["TYPE_LOOKUP_CODE"]) == ["PLANNED", "PLANNED", "STANDARD", "BLANKET"]
    assert list(ships["SHIPMENT_TYPE"]) == ["PLANNED", "PLANNED", "PLANNED", "STANDARD",
                                            "BLANKET"]
    # PO_HEADERS_U2 (number, type, unit): order 0 would repeat planned order 1's number
    keys = list(zip(heads["SEGMENT1"], heads["TYPE_LOOKUP_CODE"], heads["ORG_ID"], strict=True))
    assert len(set(keys)) == 4 and heads["SEGMENT1"][0] == "102"
    assert list(heads["SEGMENT1"][1:]) == ["100", "100", "101"]
    # a row-level substitute: only 458's Shop Floor distribution is an Expense one now
    assert list(dists["DESTINATION_TYPE_CODE"]) == ["SHOP FLOOR", "EXPENSE", "SHOP FLOOR",
                                                    "EXPENSE", "INVENTORY"]
    assert len(ships["LINE_LOCATION_ID"]) == 5 and len(dists["PO_DISTRIBUTION_ID"]) == 5


def test_a_substitute_outside_the_lookup_is_refused(catalog):
    shape = RECODED.model_copy(update={"substitutes": {
        f"{DISTS}.DESTINATION_TYPE_CODE": {"SHOP FLOOR": "WAREHOUSE"}}, "retyped": {}})
    pair = UnitCode(DISTS, 458, "DESTINATION_TYPE_CODE", "SHOP FLOOR")
    with pytest.raises(DatagenError, match="'WAREHOUSE' is no code of lookup DESTINATION TYPE"):
        recode_pairs(catalog, _typed_orders(), [pair], shape)


def test_a_retyped_column_needs_its_substitutes():
    with pytest.raises(ValueError, match="has no substitutes entry"):
        SparseCoverage(retyped={f"{SHIPMENTS}.SHIPMENT_TYPE": f"{HEADERS}.TYPE_LOOKUP_CODE"})
    with pytest.raises(ValueError, match="expected TABLE.COLUMN"):
        SparseCoverage(substitutes={"SHIPMENT_TYPE": {"STANDARD": "PLANNED"}})


def test_a_recoding_table_deals_only_pairs_it_can_recode(catalog, recipe):
    # of a table with substitutes, a pair without one is never emptied (no approved order
    # without a shipment); a recoded pair's rows stay, so no NULL check skips its unit
    if not recipe.sparse.substitutes:
        pytest.skip("the recipe recodes no pair")
    recoded = {e.partition(".")[0] for e in recipe.sparse.substitutes}
    for p in dealt_pairs(catalog, recipe):
        if p.table in recoded:
            assert recipe.sparse.substitutes[f"{p.table}.{p.column}"][p.code]


@pytest.mark.parametrize("i", range(load_recipe().k))
def test_a_retyped_pair_leaves_no_document_of_its_type(connections, catalog, recipe, i):
    # the root's own code goes with the pair (a unit without standard orders), and the
    # coverage fact is told so; the unit keeps its orders under the other type
    for table, unit, column, code in missing_codes(catalog, recipe, i):
        if code == "*" or table not in {e.partition(".")[0] for e in
                                        recipe.sparse.retyped.values()}:
            continue
        striping = catalog.tables[table].striping.column
        con = connections[i]
        assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE {striping} = ? AND "
                           f"{column} = ?", [unit, code]).fetchone()[0] == 0
        assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE {striping} = ?",
                           [unit]).fetchone()[0] > 0


def test_the_family_deals_every_units_code_after_the_golds_pairs(catalog, recipe):
    # a held-out question filters a unit or code the golds do not (458's standard shipments
    # where the golds ask 204's): every unit's pair of an `every_unit` column is dealt, after
    # the golds' own, which keep their turns
    shape = RECODED.model_copy(update={"every_unit": [f"{SHIPMENTS}.SHIPMENT_TYPE"]})
    golds = [UnitCode(SHIPMENTS, 204, "SHIPMENT_TYPE", "STANDARD")]
    units = sorted(o.organization_id for o in catalog.security.operating_units)
    assert family_pairs(catalog, shape, golds) == [
        UnitCode(SHIPMENTS, u, "SHIPMENT_TYPE", "STANDARD") for u in units if u != 204]
    assert family_pairs(catalog, RECODED, golds) == []
    plain = recipe.model_copy(update={"sparse": recipe.sparse.model_copy(
        update={"every_unit": []})})
    before, after = dealt_pairs(catalog, plain), dealt_pairs(catalog, recipe)
    assert after[:len(before)] == before
    for entry in recipe.sparse.every_unit:
        table, _, column = entry.partition(".")
        for code in recipe.sparse.substitutes[entry]:
            for unit in units:
                assert UnitCode(table, unit, column, code) in after


def test_a_recoded_row_drops_what_only_its_old_code_carries(catalog):
    # an Inventory distribution recoded to Expense keeps no subinventory; other rows keep it
    shape = RECODED.model_copy(update={
        "substitutes": {f"{DISTS}.DESTINATION_TYPE_CODE": {"INVENTORY": "EXPENSE"}},
        "retyped": {}, "cleared": {f"{DISTS}.DESTINATION_TYPE_CODE":
                                   ["DESTINATION_SUBINVENTORY"]}})
    tables = _typed_orders()
    tables[DISTS]["DESTINATION_SUBINVENTORY"] = np.array([None] * 4 + ["Stores"], dtype=object)
    tables[DISTS]["ORG_ID"] = np.full(5, 204, dtype=np.int64)
    recode_pairs(catalog, tables, [UnitCode(DISTS, 204, "DESTINATION_TYPE_CODE", "INVENTORY")],
                 shape)
    assert tables[DISTS]["DESTINATION_TYPE_CODE"][4] == "EXPENSE"
    assert tables[DISTS]["DESTINATION_SUBINVENTORY"].tolist() == [None] * 5
    bad = shape.model_copy(update={"cleared": {f"{DISTS}.DESTINATION_TYPE_CODE":
                                               ["PO_HEADER_ID"]}})
    with pytest.raises(DatagenError, match="sparse.cleared: PO_DISTRIBUTIONS_ALL.PO_HEADER_ID"):
        recode_pairs(catalog, _typed_orders(),
                     [UnitCode(DISTS, 204, "DESTINATION_TYPE_CODE", "INVENTORY")], bad)
    with pytest.raises(ValueError, match="every_unit / cleared"):
        SparseCoverage(every_unit=[f"{DISTS}.DESTINATION_TYPE_CODE"])


def test_no_sparse_instance_empties_a_code_in_every_unit(catalog, recipe):
    # a code recoded in one unit stays in another on the same instance (two units' standard
    # orders: the twins of two types need one), when another sparse instance can take it
    for i in recipe.sparse.instances:
        units: dict[tuple[str, str, str], set[int]] = {}
        for p in emptied_pairs(catalog, recipe, i):
            units.setdefault((p.table, p.column, p.code), set()).add(p.unit)
        for (table, _, _), emptied in units.items():
            striped = catalog.tables[table].striping.by == "operating_unit"
            orgs = (catalog.security.operating_units if striped
                    else catalog.security.inventory_organizations)
            assert len(emptied) < len(orgs), (i, table, emptied)



def test_a_renumbered_order_takes_no_number_another_retyped_order_holds(catalog):
    # two standard orders of 458 retyped: order 0 holds the largest number and order 1's
    # number a planned order of 458 holds too; order 1's new number is past both
    tables = {HEADERS: {"PO_HEADER_ID": np.arange(3, dtype=np.int64),
                        "ORG_ID": np.full(3, 458, dtype=np.int64),
                        "TYPE_LOOKUP_CODE": np.array(["STANDARD", "STANDARD", "PLANNED"],
                                                     dtype=object),
                        "SEGMENT1": np.array(["900", "100", "100"], dtype=object)},
              SHIPMENTS: {"LINE_LOCATION_ID": np.arange(2, dtype=np.int64) + 20,
                          "PO_HEADER_ID": np.arange(2, dtype=np.int64),
                          "ORG_ID": np.full(2, 458, dtype=np.int64),
                          "SHIPMENT_TYPE": np.array(["STANDARD"] * 2, dtype=object)},
              DISTS: {"PO_DISTRIBUTION_ID": np.array([], dtype=np.int64)}}
    recode_pairs(catalog, tables, [UnitCode(SHIPMENTS, 458, "SHIPMENT_TYPE", "STANDARD")],
                 RECODED)
    heads = tables[HEADERS]
    keys = list(zip(heads["SEGMENT1"], heads["TYPE_LOOKUP_CODE"], heads["ORG_ID"], strict=True))
    assert len(set(keys)) == 3 and heads["SEGMENT1"].tolist() == ["900", "901", "100"]

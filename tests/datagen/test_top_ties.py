"""Ties at a gold's top-N cut (top_ties.py): which cuts golds make, and twins of the entity
ranked n that tie with it there while the gold's own result stays determined."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.authoring.validate import validate
from harness.backends.base import Execution, PreparedQuery, ResultSet
from harness.datagen.build import generate
from harness.datagen.context import GenContext, id_blocks
from harness.datagen.probe import run_probe
from harness.datagen.top_ties import CutTarget, cut_targets, determined, place_cut_twins
from harness.inputs.golden import GoldenExample

TOP_SUPPLIERS = (
    "SELECT s.vendor_id, s.segment1, SUM(i.invoice_amount) AS total, s.vendor_name "
    "FROM ap_invoices_all i JOIN ap_suppliers s ON s.vendor_id = i.vendor_id "
    "WHERE i.cancelled_date IS NULL "
    "GROUP BY s.vendor_id, s.segment1, s.vendor_name ORDER BY total DESC{tiebreak} FETCH FIRST {n} ROWS ONLY")
RANKED = ("SELECT vendor_id, total FROM (SELECT s.vendor_id, SUM(i.invoice_amount) AS total, "
          "{fn}() OVER (ORDER BY SUM(i.invoice_amount) DESC) AS rnk FROM ap_invoices_all i "
          "JOIN ap_suppliers s ON s.vendor_id = i.vendor_id GROUP BY s.vendor_id) WHERE rnk {cmp}")


def _one(sql, catalog) -> CutTarget:
    found = cut_targets(sql, catalog)
    assert len(found) == 1, found
    return next(iter(found))


@given(n=st.integers(min_value=1, max_value=50))
def test_a_fetch_first_cut_over_grouped_suppliers_is_a_target(catalog, n):
    target = _one(TOP_SUPPLIERS.format(tiebreak=", s.segment1", n=n), catalog)
    assert (target.table, target.key, target.rank, target.exact) == (
        "AP_SUPPLIERS", ("VENDOR_ID",), n, True)
    assert target.reads == ("AP_INVOICES_ALL",)  # a twin must bring invoices to tie a total
    assert "VENDOR_NAME" in target.names  # shown: the twin takes another supplier's name
    assert "FETCH" not in target.probe.upper()  # the probe lists every row, in the order


@pytest.mark.parametrize(("outer", "rank"), [("ROWNUM <= 5", 5), ("ROWNUM < 5", 4),
                                             ("ROWNUM <= 5 AND total > 0", 5)])
def test_a_rownum_bound_around_an_ordered_block_is_a_cut(catalog, outer, rank):
    inner = TOP_SUPPLIERS.format(tiebreak=", s.segment1", n=1).replace(
        " FETCH FIRST 1 ROWS ONLY", "")
    target = _one(f"SELECT segment1, total FROM ({inner}) WHERE {outer}", catalog)
    assert (target.table, target.rank) == ("AP_SUPPLIERS", rank)


@pytest.mark.parametrize(("fn", "exact"), [("RANK", False), ("DENSE_RANK", False),
                                           ("ROW_NUMBER", True)])
def test_a_filter_on_a_ranking_column_is_a_cut(catalog, fn, exact):
    target = _one(RANKED.format(fn=fn, cmp="<= 3"), catalog)
    # RANK keeps every tied row, so only ROW_NUMBER's cut must stay determined
    assert (target.rank, target.exact) == (3, exact)
    assert "SQLGATE_CUT_RANK" in target.probe


TOP_ITEMS = ("SELECT msi.segment1, SUM(ABS(mmt.primary_quantity)) AS qty "
             "FROM mtl_material_transactions mmt JOIN mtl_system_items_b msi "
             "ON msi.inventory_item_id = mmt.inventory_item_id "
             "AND msi.organization_id = mmt.organization_id WHERE mmt.organization_id = 207 "
             "GROUP BY msi.segment1 ORDER BY qty DESC, msi.segment1{flip} FETCH FIRST {n} ROWS ONLY")
FIRST_HIRED = ("SELECT employee_number, full_name, original_date_of_hire FROM (SELECT "
               "employee_number, full_name, original_date_of_hire FROM per_all_people_f ppf "
               "WHERE current_employee_flag = 'Y' AND DATE '2025-06-15' BETWEEN "
               "ppf.effective_start_date AND ppf.effective_end_date AND original_date_of_hire "
               "IS NOT NULL ORDER BY original_date_of_hire, employee_number{flip}) "
               "WHERE ROWNUM <= {n}")


@pytest.mark.parametrize(("sql", "fresh", "owned"), [
    # an item's number alone: the twin needs a number of its own and the item's transactions
    (TOP_ITEMS.format(flip="", n=5), ("SEGMENT1",),
     ("MTL_MATERIAL_TRANSACTIONS.INVENTORY_ITEM_ID+ORGANIZATION_ID",)),
    # a supplier's name alone: a name of its own (not another supplier's: that would merge)
    ("SELECT s.vendor_name, SUM(i.invoice_amount) t FROM ap_invoices_all i JOIN ap_suppliers s "
     "ON s.vendor_id = i.vendor_id GROUP BY s.vendor_name ORDER BY t DESC FETCH FIRST 3 ROWS ONLY",
     ("VENDOR_NAME",), ("AP_INVOICES_ALL.VENDOR_ID",)),
])
def test_a_group_by_a_number_or_name_alone_is_a_target(catalog, sql, fresh, owned):
    target = _one(sql, catalog)
    assert (target.fresh, target.owned, target.names) == (fresh, owned, ())
    # a nullable item number the gold sorts ties by: one twin may go without (NULLS FIRST);
    # a supplier's name is NOT NULL
    assert target.blank == (fresh == ("SEGMENT1",))
    assert "MIN(" in target.probe.upper()  # one id per group, which the id does not key


def test_a_tie_breaking_number_of_a_list_is_made_fresh(catalog):
    target = _one(FIRST_HIRED.format(flip="", n=5), catalog)
    assert (target.table, target.fresh) == ("PER_ALL_PEOPLE_F", ("EMPLOYEE_NUMBER",))
    assert "FULL_NAME" in target.names  # the twin still becomes a namesake


@pytest.mark.parametrize("sql", [
    # grouped by columns of two tables: no one entity a twin stands for
    "SELECT s.vendor_name, i.invoice_currency_code, SUM(i.invoice_amount) t "
    "FROM ap_invoices_all i JOIN ap_suppliers s ON s.vendor_id = i.vendor_id "
    "GROUP BY s.vendor_name, i.invoice_currency_code ORDER BY t DESC FETCH FIRST 3 ROWS ONLY",
    # ordered but not cut
    "SELECT s.vendor_id, SUM(i.invoice_amount) t FROM ap_invoices_all i JOIN ap_suppliers s "
    "ON s.vendor_id = i.vendor_id GROUP BY s.vendor_id ORDER BY t DESC",
    # a rank column nobody filters on
    RANKED.format(fn="RANK", cmp="> 0").replace("WHERE rnk > 0", ""),
])
def test_blocks_without_a_cut_or_an_entity_are_no_targets(catalog, sql):
    assert cut_targets(sql, catalog) == set()


def _probe_rows(keys, shown, ranks=None):
    rows = pd.DataFrame({"V": shown, "O0": keys})
    if ranks is not None:
        rows["SQLGATE_CUT_RANK"] = ranks
    return rows


def test_a_tie_across_the_cut_is_determined_only_where_the_tied_rows_look_alike():
    target = CutTarget("T", ("K",), 2, "", shown=1)
    assert determined(_probe_rows([9, 7, 7, 5], ["a", "b", "b", "c"]), target)
    assert not determined(_probe_rows([9, 7, 7, 5], ["a", "b", "x", "c"]), target)
    assert determined(_probe_rows([9, 8, 7, 7], ["a", "b", "x", "y"]), target)  # not at the cut
    # RANK = 2 keeps both tied rows; ROW_NUMBER = 2 keeps one of them
    ranked = _probe_rows([9, 7, 7], ["a", "b", "x"], ranks=[1, 2, 2])
    assert determined(ranked, CutTarget("T", ("K",), 2, "", shown=1, exact=False))
    assert not determined(ranked.assign(SQLGATE_CUT_RANK=[1, 2, 3]),
                          CutTarget("T", ("K",), 2, "", shown=1, exact=True))


@pytest.fixture(scope="module")
def generated(catalog, recipe):
    seed = recipe.seed(0)
    return seed, generate(catalog, recipe, seed)


def _fresh(generated):
    seed, base = generated
    return seed, {t: dict(cols) for t, cols in base.items()}


def _rows(catalog, tables, sql):
    return [tuple(r) for r in run_probe(catalog, tables, sql).itertuples(index=False)]


@settings(max_examples=3, deadline=None)
@given(n=st.integers(min_value=2, max_value=6))
def test_a_twin_at_the_cut_makes_a_flipped_tiebreak_and_dense_rank_differ(
        catalog, recipe, generated, n):
    seed, tables = _fresh(generated)
    gold = TOP_SUPPLIERS.format(tiebreak=", s.segment1", n=n)
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    suppliers = len(tables["AP_SUPPLIERS"]["VENDOR_ID"])
    copied = place_cut_twins(ctx, tables, [_one(gold, catalog)], max_rows=400)
    # the suppliers ranked 1 and n, each with its invoices
    assert len(copied["AP_SUPPLIERS"]) == 2 and copied["AP_INVOICES_ALL"]
    assert len(tables["AP_SUPPLIERS"]["VENDOR_ID"]) == suppliers + 2
    full = _rows(catalog, tables, gold.replace(f" FETCH FIRST {n} ROWS ONLY", ""))
    assert full[0][2] == full[1][2]  # a tie inside the result
    assert full[n - 1][2] == full[n][2]  # ranks n and n + 1 tie on the total
    assert full[n - 1][1] < full[n][1]  # and the twin's fresh number orders after
    assert full[n - 1][3] != full[n][3]  # under another supplier's name: a visible row
    flipped = gold.replace("s.segment1 FETCH", "s.segment1 DESC FETCH")
    assert _rows(catalog, tables, gold) != _rows(catalog, tables, flipped)
    dense = (f"SELECT vendor_id, segment1, total FROM (SELECT s.vendor_id, s.segment1, "
             f"SUM(i.invoice_amount) total, DENSE_RANK() OVER (ORDER BY SUM(i.invoice_amount) "
             f"DESC) r FROM ap_invoices_all i JOIN ap_suppliers s ON s.vendor_id = i.vendor_id "
             f"WHERE i.cancelled_date IS NULL GROUP BY s.vendor_id, s.segment1) WHERE r <= {n}")
    assert len(_rows(catalog, tables, dense)) > n


def test_a_twin_that_would_leave_the_cut_undetermined_is_taken_back(catalog, recipe, generated):
    # no tie-breaker, and the twin shows another number: which of the two made the cut
    # would be the engine's choice, so the twin of the third is taken back; the twin of the
    # first ties inside the result, which keeps both whatever their order
    seed, tables = _fresh(generated)
    gold = TOP_SUPPLIERS.format(tiebreak="", n=3)
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    suppliers = len(tables["AP_SUPPLIERS"]["VENDOR_ID"])
    copied = place_cut_twins(ctx, tables, [_one(gold, catalog)], max_rows=400)
    assert len(copied["AP_SUPPLIERS"]) == 1
    assert len(tables["AP_SUPPLIERS"]["VENDOR_ID"]) == suppliers + 1
    full = _rows(catalog, tables, gold.replace(" FETCH FIRST 3 ROWS ONLY", ""))
    assert full[0][2] == full[1][2] and full[2][2] != full[3][2]


def _twinned(catalog, recipe, generated, gold, prepare=None):
    seed, tables = _fresh(generated)
    if prepare is not None:
        prepare(tables)
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    copied = place_cut_twins(ctx, tables, [_one(gold, catalog)], max_rows=400)
    return tables, copied


def _number_every_item(tables):
    """No item without a number: a group of them would take the blank twin in."""
    items = tables["MTL_SYSTEM_ITEMS_B"] = dict(tables["MTL_SYSTEM_ITEMS_B"])
    items["SEGMENT1"] = pd.Series(items["SEGMENT1"]).fillna(
        pd.Series(items["INVENTORY_ITEM_ID"]).map(lambda i: f"ZZ{i}")).to_numpy(dtype=object)


@settings(max_examples=3, deadline=None)
@given(n=st.integers(min_value=3, max_value=6))  # at 2 the n-th would be the blank twin
def test_an_item_twin_brings_its_transactions_and_a_number_of_its_own(
        catalog, recipe, generated, n):
    gold = TOP_ITEMS.format(flip="", n=n)
    tables, copied = _twinned(catalog, recipe, generated, gold, _number_every_item)
    assert copied["MTL_MATERIAL_TRANSACTIONS"]  # the ranked quantities come with the twin
    full = _rows(catalog, tables, gold.replace(f" FETCH FIRST {n} ROWS ONLY", ""))
    assert full[0][1] == full[1][1] and full[n - 1][1] == full[n][1]  # ties at 1 and at n
    assert full[n][0] == f"{full[n - 1][0]}-2"  # its own number, right after the original's
    assert pd.isna(full[1][0])  # the first one's twin has none: last among its ties
    for flipped in (" DESC", " NULLS FIRST"):
        assert _rows(catalog, tables, gold) != _rows(catalog, tables,
                                                      TOP_ITEMS.format(flip=flipped, n=n))


def test_no_blank_twin_where_the_gold_filters_on_the_number(catalog):
    gold = TOP_ITEMS.format(flip="", n=3).replace(
        "WHERE mmt.organization_id = 207", "WHERE mmt.organization_id = 207 "
        "AND msi.segment1 LIKE 'AS%'")
    assert not _one(gold, catalog).blank  # a twin without a number would leave the result


def test_a_person_twin_gets_a_fresh_number_so_a_hire_date_tie_stays_determined(
        catalog, recipe, generated):
    # before, the twin repeated the employee number: rows tied on both sort keys looked
    # different across the cut, so the twin was taken back and the flip survived
    gold = FIRST_HIRED.format(flip="", n=5)
    tables, copied = _twinned(catalog, recipe, generated, gold)
    assert copied.get("PER_ALL_PEOPLE_F")
    inner = gold[gold.index("(") + 1:gold.rindex(")")]
    full = _rows(catalog, tables, inner)
    assert full[4][2] == full[5][2] and full[4][0] != full[5][0]
    _, base = generated
    taken = {n for n in base["PER_ALL_PEOPLE_F"]["EMPLOYEE_NUMBER"] if n is not None}
    before = len(base["PER_ALL_PEOPLE_F"]["EMPLOYEE_NUMBER"])
    twins = {n for n in tables["PER_ALL_PEOPLE_F"]["EMPLOYEE_NUMBER"][before:] if n is not None}
    assert twins and not twins & taken  # every twin's number is new
    assert {full[4][0], full[5][0]} & twins  # and a twin stands at the cut
    assert _rows(catalog, tables, gold) != _rows(catalog, tables, FIRST_HIRED.format(
        flip=" DESC", n=5))


def test_a_shown_column_named_like_a_sort_key_is_no_sort_key():
    # a shown ORG_ID once counted among the probe's sort keys O0, O1, …: the rows tied on O0
    # then looked apart and a cut through them passed as determined
    rows = pd.DataFrame({"ORG_ID": [204, 204, 458, 204], "O0": [9, 7, 7, 5]})
    assert not determined(rows, CutTarget("T", ("K",), 2, "", shown=1))


class _ProbeBackend:
    """Answers a cut probe (it lists K0 and O0) with `rows`, any other query with one row."""

    name = "probe"

    def __init__(self, rows):
        self.rows, self.instance_id = rows, "probe"

    def prepare(self, oracle_sql):
        return PreparedQuery(oracle_sql, ordered=False)

    def explain(self, query):
        return None

    def execute(self, query, timeout_s):
        if "K0" in query.sql.upper() and "O0" in query.sql.upper():
            return Execution("ok", ResultSet(("VENDOR_ID", "T", "K0", "O0"), self.rows))
        return Execution("ok", ResultSet(("X",), ((len(query.sql),),)))

    def close(self):
        pass


@pytest.mark.parametrize("second", [7, 8])
def test_validate_fails_a_gold_whose_cut_splits_tied_rows(catalog, tmp_path, second):
    gold = ("SELECT s.vendor_id, SUM(i.invoice_amount) t FROM ap_invoices_all i JOIN "
            "ap_suppliers s ON s.vendor_id = i.vendor_id WHERE i.org_id = 204 "
            "GROUP BY s.vendor_id ORDER BY t DESC FETCH FIRST 1 ROWS ONLY")
    path = tmp_path / "cut.jsonl"
    path.write_text(GoldenExample(id="cut-001", question="Which supplier is owed most?",
                                  sql_gold=gold, domain="AP",
                                  difficulty="easy").model_dump_json() + "\n")
    # probe rows (VENDOR_ID, T, K0, O0) in the block's order; on the second instance the first
    # two suppliers tie on T when `second` is 7, and the cut keeps one of them
    backends = [_ProbeBackend(((3, 9, 3, 9),)),
                _ProbeBackend(((1, 7, 1, 7), (2, second, 2, second)))]
    report = validate([path], catalog=catalog, backends=backends, train_path=None)
    found = [f.render() for f in report.findings if "cut at rank 1" in f.render()]
    if second == 7:
        assert len(found) == 1 and "on 1/2 instances (first: instance 1)" in found[0]
    else:
        assert found == []

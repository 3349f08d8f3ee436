"""Ties at a gold's top-N cut (top_ties.py): which cuts golds make, and twins of the entity
ranked n that tie with it there while the gold's own result stays determined."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.datagen.build import generate
from harness.datagen.context import GenContext, id_blocks
from harness.datagen.probe import run_probe
from harness.datagen.top_ties import CutTarget, cut_targets, determined, place_cut_twins

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


@pytest.mark.parametrize("sql", [
    # grouped by a name, not by the supplier's id: no entity whose twin ties a group
    "SELECT s.vendor_name, SUM(i.invoice_amount) t FROM ap_invoices_all i JOIN ap_suppliers s "
    "ON s.vendor_id = i.vendor_id GROUP BY s.vendor_name ORDER BY t DESC FETCH FIRST 3 ROWS ONLY",
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

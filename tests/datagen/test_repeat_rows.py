"""Rows a gold lists, repeated (repeat_rows.py): which golds are targets, and twins of a
document a gold shows, kept only where the gold's output then repeats a row."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.build import generate
from harness.datagen.context import DatagenError, GenContext, id_blocks
from harness.datagen.probe import run_probe
from harness.datagen.recipe import SetupRepeat
from harness.datagen.repeat_rows import place_repeat_twins, repeat_targets, repeats

CANCELLED_ORDERS = ("SELECT SEGMENT1, CREATION_DATE FROM PO_HEADERS_ALL "
                    "WHERE CANCEL_FLAG = 'Y' AND ORG_ID = {org}")
JOURNALS = ("SELECT h.name, jl.je_line_num FROM gl_je_lines jl, gl_je_headers h "
            "WHERE h.je_header_id = jl.je_header_id AND h.period_name = '{period}'")


def test_a_listing_gold_is_a_target_for_each_table_it_reads(catalog):
    found = repeat_targets(JOURNALS.format(period="OCT-24") + " ORDER BY h.name", catalog)
    assert {t.table for t in found} == {"GL_JE_LINES", "GL_JE_HEADERS"}
    for t in found:
        assert t.shown == 2 and t.key == tuple(catalog.tables[t.table].primary_key)
        assert "ORDER BY" not in t.probe.upper() and "K0" in t.probe.upper()


@pytest.mark.parametrize("sql", [
    "SELECT DISTINCT segment1 FROM po_headers_all",  # repeats cannot show
    "SELECT type_lookup_code, COUNT(*) FROM po_headers_all GROUP BY type_lookup_code",
    "SELECT MAX(segment1) FROM po_headers_all",
    "SELECT segment1, ROW_NUMBER() OVER (ORDER BY segment1) FROM po_headers_all",
    "SELECT * FROM po_headers_all",
    "SELECT segment1 FROM po_headers_all FETCH FIRST 3 ROWS ONLY",
    "SELECT segment1 FROM po_headers_all UNION ALL SELECT segment1 FROM po_headers_all",
    "SELECT x FROM (SELECT segment1 x FROM po_headers_all)",  # no catalog table of its own
])
def test_blocks_that_do_not_list_rows_of_a_table_are_no_targets(catalog, sql):
    assert repeat_targets(sql, catalog) == set()


def test_repeats_compare_the_shown_columns_only_with_nulls_alike():
    rows = pd.DataFrame({"A": ["x", "x", None], "B": [1, 1, 2], "K0": [1, 2, 3]})
    assert repeats(rows, 2)
    assert not repeats(rows, 3)  # the keys differ
    assert repeats(pd.DataFrame({"A": [None, None], "K0": [1, 2]}), 1)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.integers(0, 2)), max_size=8))
def test_repeats_is_whether_distinct_drops_a_row(values):
    rows = pd.DataFrame(values, columns=["A", "B"]).assign(K0=range(len(values)))
    assert repeats(rows, 2) == (len(set(values)) < len(values))


@pytest.fixture(scope="module")
def generated(catalog, recipe):
    """Instance 0 without the repeat twins, to place them by hand."""
    plain = recipe.model_copy(update={"targeted": recipe.targeted.model_copy(
        update={"repeat_twin_rows": 0})})
    seed = plain.seed(0)
    return plain, seed, generate(catalog, plain, seed)


def _place(catalog, generated, sql):
    recipe, seed, base = generated
    tables = {t: dict(cols) for t, cols in base.items()}
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    copied = place_repeat_twins(ctx, tables, sorted(repeat_targets(sql, catalog)), 120)
    return tables, copied


def _rows(catalog, tables, sql):
    return run_probe(catalog, tables, sql)


@pytest.mark.parametrize("org", [204, 458])
def test_an_order_twin_keeps_its_number_under_the_other_type(catalog, generated, org):
    gold = CANCELLED_ORDERS.format(org=org)
    tables, copied = _place(catalog, generated, gold)
    assert len(copied["PO_HEADERS_ALL"]) == 1
    assert repeats(_rows(catalog, tables, gold), 2)  # DISTINCT now returns fewer rows
    h = tables["PO_HEADERS_ALL"]
    original, twin = next(iter(copied["PO_HEADERS_ALL"])), len(h["SEGMENT1"]) - 1
    assert h["SEGMENT1"][twin] == h["SEGMENT1"][original]
    assert {h["TYPE_LOOKUP_CODE"][original], h["TYPE_LOOKUP_CODE"][twin]} == {"STANDARD",
                                                                             "PLANNED"}
    keys = list(zip(h["SEGMENT1"], h["TYPE_LOOKUP_CODE"], h["ORG_ID"], strict=True))
    assert len(set(keys)) == len(keys)  # PO_HEADERS_U2 still holds
    # the twin's shipments suit its type (tables_po's SHIPMENT_TYPES)
    s = tables["PO_LINE_LOCATIONS_ALL"]
    mine = [i for i, p in enumerate(s["PO_HEADER_ID"]) if p == h["PO_HEADER_ID"][twin]]
    assert {s["SHIPMENT_TYPE"][i] for i in mine} <= {h["TYPE_LOOKUP_CODE"][twin]}


def test_a_journal_twin_repeats_its_name_and_lines(catalog, generated):
    gold = JOURNALS.format(period="OCT-24") + " AND h.status = 'P' AND jl.description IS NULL"
    tables, copied = _place(catalog, generated, gold)
    assert copied.get("GL_JE_HEADERS") and copied.get("GL_JE_LINES")
    assert repeats(_rows(catalog, tables, gold), 2)


def test_a_twin_whose_shown_row_differs_is_taken_back(catalog, generated):
    # the order's own id is shown: no twin repeats it, so every tried twin is taken back
    gold = ("SELECT PO_HEADER_ID, SEGMENT1 FROM PO_HEADERS_ALL WHERE CANCEL_FLAG = 'N' "
            "AND ORG_ID = 204")
    tables, copied = _place(catalog, generated, gold)
    assert copied == {}
    _, _, base = generated
    assert all(len(tables[t]["PO_HEADER_ID"]) == len(base[t]["PO_HEADER_ID"])
               for t in ("PO_HEADERS_ALL", "PO_LINES_ALL", "PO_LINE_LOCATIONS_ALL"))


def test_a_gold_that_already_repeats_a_row_gets_no_twin(catalog, generated):
    gold = "SELECT ORG_ID FROM PO_HEADERS_ALL"
    assert repeats(_rows(catalog, generated[2], gold), 1)
    assert _place(catalog, generated, gold)[1] == {}


LOOKUPS = ("SELECT lookup_code, meaning FROM fnd_lookup_values WHERE lookup_type = '{type}' "
           "AND language = 'US'")


@pytest.mark.parametrize("lookup_type", ["JOURNAL CATEGORY", "RECEIPT STATUS"])
def test_a_lookup_type_is_repeated_under_another_view_application(catalog, generated,
                                                                  lookup_type):
    gold = LOOKUPS.format(type=lookup_type)
    tables, copied = _place(catalog, generated, gold)
    f, base = tables["FND_LOOKUP_VALUES"], generated[2]["FND_LOOKUP_VALUES"]
    added = range(len(base["LOOKUP_TYPE"]), len(f["LOOKUP_TYPE"]))
    # the whole type, every language, under one other application
    assert len(added) == len(copied["FND_LOOKUP_VALUES"]) == int(
        (base["LOOKUP_TYPE"] == lookup_type).sum())
    assert {f["VIEW_APPLICATION_ID"][i] for i in added}.isdisjoint(
        base["VIEW_APPLICATION_ID"][base["LOOKUP_TYPE"] == lookup_type].tolist())
    assert set(f["VIEW_APPLICATION_ID"].tolist()) <= set(
        tables["FND_APPLICATION"]["APPLICATION_ID"].tolist())
    keys = list(zip(*(f[c].tolist() for c in catalog.tables["FND_LOOKUP_VALUES"].primary_key),
                    strict=True))
    assert len(set(keys)) == len(keys)
    assert repeats(_rows(catalog, tables, gold), 2)


def test_a_setup_repeat_on_a_column_the_table_lacks_is_refused(catalog, generated):
    recipe, seed, base = generated
    bad = recipe.model_copy(update={"targeted": recipe.targeted.model_copy(update={
        "repeat_setup": {"FND_LOOKUP_VALUES": SetupRepeat(column="NO_SUCH",
                                                          along=["LOOKUP_TYPE"])}})})
    ctx = GenContext(catalog, bad, seed, id_blocks(catalog, bad))
    tables = {t: dict(cols) for t, cols in base.items()}
    with pytest.raises(DatagenError, match="repeat_setup.FND_LOOKUP_VALUES: NO_SUCH"):
        place_repeat_twins(ctx, tables, sorted(repeat_targets(
            LOOKUPS.format(type="JOURNAL CATEGORY"), catalog)), 120)

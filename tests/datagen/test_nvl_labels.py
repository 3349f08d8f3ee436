"""NVL labels: the text a gold substitutes for NULL is also a value rows hold (nvl_labels.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.datagen.context import GenContext, id_blocks
from harness.datagen.nvl_labels import (
    ROWS_PER_GROUP,
    LabelTarget,
    add_customer_codes,
    customer_codes,
    label_targets,
    labelable,
    place_labels,
    recipe_customer_codes,
    recipe_label_targets,
)

TYPES = ("SELECT NVL(t.name, 'Unnamed'), NVL(rct.trx_number, 'none'), COUNT(*) "
         "FROM ra_customer_trx_all rct JOIN ra_cust_trx_types_all t "
         "ON t.cust_trx_type_id = rct.cust_trx_type_id WHERE NVL(rct.exchange_rate, 1) > 0 "
         "GROUP BY NVL(t.name, 'Unnamed'), NVL(rct.trx_number, 'none')")


def test_labels_resolve_through_aliases_and_numeric_defaults_are_none(catalog):
    found = label_targets(TYPES, catalog)
    assert found == {LabelTarget("RA_CUST_TRX_TYPES_ALL", "NAME", "Unnamed"),
                     LabelTarget("RA_CUSTOMER_TRX_ALL", "TRX_NUMBER", "none")}
    assert label_targets("SELECT NVL(x, ", catalog) == set()  # no parse, no targets


@pytest.mark.parametrize(("table", "column", "expected"), [
    ("PER_JOBS", "NAME", True),
    ("RA_CUST_TRX_TYPES_ALL", "NAME", True),
    ("AP_SUPPLIERS", "VENDOR_TYPE_LOOKUP_CODE", False),  # a lookup: the label is no code
    ("AP_SUPPLIERS", "SEGMENT1", False),                  # a unique key
    ("RA_CUSTOMER_TRX_ALL", "TRX_NUMBER", False),         # NOT NULL (or keyed)
    ("AP_CHECKS_ALL", "ORG_ID", False),                   # striping, not text
])
def test_only_open_text_columns_take_a_label(catalog, table, column, expected):
    assert labelable(catalog.tables[table], column, frozenset()) is expected


def test_a_coded_column_takes_a_label_only_where_its_lookup_is_extensible(catalog):
    suppliers = catalog.tables["AP_SUPPLIERS"]
    assert labelable(suppliers, "VENDOR_TYPE_LOOKUP_CODE", frozenset(),
                     frozenset({"VENDOR TYPE"}))
    checks = catalog.tables["AP_CHECKS_ALL"]  # CHECK STATE is a system lookup
    assert not labelable(checks, "STATUS_LOOKUP_CODE", frozenset(), frozenset({"VENDOR TYPE"}))
    targets = [LabelTarget("AP_SUPPLIERS", "VENDOR_TYPE_LOOKUP_CODE", "UNASSIGNED"),
               LabelTarget("AP_SUPPLIERS", "VENDOR_TYPE_LOOKUP_CODE", "VENDOR"),  # a code
               LabelTarget("AP_CHECKS_ALL", "STATUS_LOOKUP_CODE", "UNKNOWN"),
               LabelTarget("PER_JOBS", "NAME", "No job")]
    assert customer_codes(catalog, targets, frozenset(), frozenset({"VENDOR TYPE"})) == {
        "VENDOR TYPE": frozenset({"UNASSIGNED"})}
    assert customer_codes(catalog, targets, frozenset(), frozenset()) == {}


def test_a_customer_code_joins_fnd_lookup_values_in_every_language():
    cols = {"LOOKUP_TYPE": np.array(["VENDOR TYPE"] * 4 + ["CHECK STATE"], dtype=object),
            "LANGUAGE": np.array(["US", "D", "US", "D", "US"], dtype=object),
            "LOOKUP_CODE": np.array(["VENDOR", "VENDOR", "EMPLOYEE", "EMPLOYEE", "VOIDED"],
                                    dtype=object),
            "MEANING": np.array(["Supplier", "Lieferant", "Employee", "Mitarbeiter",
                                 "Voided"], dtype=object),
            "DESCRIPTION": np.array([None] * 5, dtype=object),
            "VIEW_APPLICATION_ID": np.array([201] * 5)}
    tables = {"FND_LOOKUP_VALUES": cols}
    assert add_customer_codes(tables, {"VENDOR TYPE": frozenset({"UNASSIGNED"})}) == 2
    after = tables["FND_LOOKUP_VALUES"]
    new = after["LOOKUP_CODE"] == "UNASSIGNED"
    assert sorted(after["LANGUAGE"][new]) == ["D", "US"]
    assert set(after["LOOKUP_TYPE"][new]) == {"VENDOR TYPE"}
    assert set(after["MEANING"][new]) == {"Unassigned"}
    assert len(after["VIEW_APPLICATION_ID"]) == 7  # every column grew alike
    # a second pass adds nothing: the code is there
    assert add_customer_codes(tables, {"VENDOR TYPE": frozenset({"UNASSIGNED"})}) == 0


def test_a_customer_code_replaces_only_the_commonest_code(catalog, recipe):
    types = np.array(["VENDOR"] * 6 + ["EMPLOYEE"] * 3 + [None], dtype=object)
    tables = {"AP_SUPPLIERS": {"VENDOR_TYPE_LOOKUP_CODE": types.copy()}}
    ctx = GenContext(catalog, recipe, recipe.seed(0), id_blocks(catalog, recipe))
    target = LabelTarget("AP_SUPPLIERS", "VENDOR_TYPE_LOOKUP_CODE", "UNASSIGNED")
    assert place_labels(ctx, tables, [target], frozenset(), frozenset(),
                        frozenset({"VENDOR TYPE"})) == ROWS_PER_GROUP
    after = tables["AP_SUPPLIERS"]["VENDOR_TYPE_LOOKUP_CODE"]
    changed = after != types
    assert set(types[changed]) == {"VENDOR"}  # an EMPLOYEE supplier keeps its type
    assert list(after).count("EMPLOYEE") == 3


def test_a_frozen_column_takes_no_label(catalog):
    assert not labelable(catalog.tables["PER_JOBS"], "NAME", frozenset({"PER_JOBS.*"}))


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.sampled_from(["Invoice", "Credit Memo", "Deposit", "Misc A",
                                        "Misc B", None]), min_size=1, max_size=30),
       orgs=st.lists(st.sampled_from([204, 458]), min_size=30, max_size=30))
def test_labels_keep_the_golds_literals_and_meet_a_null(catalog, recipe, values, orgs):
    n = len(values)
    names = np.array(values, dtype=object)
    org = np.array(orgs[:n], dtype=np.int64)
    tables = {"RA_CUST_TRX_TYPES_ALL": {"NAME": names.copy(), "ORG_ID": org}}
    ctx = GenContext(catalog, recipe, recipe.seed(0), id_blocks(catalog, recipe))
    kept = frozenset({"Invoice", "Credit Memo"})
    place_labels(ctx, tables, [LabelTarget("RA_CUST_TRX_TYPES_ALL", "NAME", "Unnamed")],
                 frozenset(), kept)
    after = tables["RA_CUST_TRX_TYPES_ALL"]["NAME"]
    for unit in set(org.tolist()):
        rows = org == unit
        before, now = pd.Series(names[rows]), pd.Series(after[rows])
        changed = (before.fillna("\0") != now.fillna("\0")).to_numpy()
        # only non-NULL rows change, to the label or to NULL
        assert before[changed].notna().all()
        assert set(now[changed].fillna("NULL")) <= {"Unnamed", "NULL"}
        # a literal some gold filters on is still there
        assert set(before.dropna()) & kept <= set(now.dropna())
        spare = int((before.notna() & (before.duplicated() | ~before.isin(kept))).sum())
        assert int((now == "Unnamed").sum()) == min(spare, ROWS_PER_GROUP)
        if spare > ROWS_PER_GROUP:
            assert now.isna().any()  # the label and a NULL: two groups the NVL tells apart


def test_every_instance_holds_each_label_beside_a_null(connections, catalog, recipe):
    frozen = frozenset(recipe.targeted.frozen)
    extensible = frozenset(recipe.targeted.extensible_lookups)
    targets = [t for t in recipe_label_targets(catalog, recipe.targeted.paths())
               if labelable(catalog.tables[t.table], t.column, frozen, extensible)]
    assert {(t.table, t.column) for t in targets} >= {("PER_JOBS", "NAME"),
                                                       ("RA_CUST_TRX_TYPES_ALL", "NAME")}
    codes = recipe_customer_codes(catalog, recipe)
    assert codes == {"VENDOR TYPE": frozenset({"UNASSIGNED"})}  # ap-046's label
    for con in connections:
        for lookup, added in codes.items():
            for code in added:
                assert con.execute("SELECT COUNT(*) FROM FND_LOOKUP_VALUES WHERE "
                                   "LOOKUP_TYPE = ? AND LOOKUP_CODE = ?",
                                   [lookup, code]).fetchone()[0]
        for t in targets:
            labelled, nulls = con.execute(
                f"SELECT COUNT(*) FILTER (WHERE {t.column} = ?), "
                f"COUNT(*) FILTER (WHERE {t.column} IS NULL) FROM {t.table}",
                [t.label]).fetchone()
            assert labelled and nulls, t


def test_some_current_employees_hold_no_job(connections):
    # x-029, hr-023 (inner join to PER_JOBS vs LEFT) and hr-004 (the (+) dropped) differ
    # only where an assignment names no job
    for con in connections:
        jobless = con.execute(
            "SELECT COUNT(*) FROM PER_ALL_ASSIGNMENTS_F WHERE ASSIGNMENT_TYPE = 'E' "
            "AND PRIMARY_FLAG = 'Y' AND JOB_ID IS NULL AND DATE '2024-12-31' "
            "BETWEEN EFFECTIVE_START_DATE AND EFFECTIVE_END_DATE").fetchone()[0]
        assert jobless

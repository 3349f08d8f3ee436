"""A table added to the catalog later is generated from its definition alone, with every
generic fact: keys, striping, codes, NULLs, disjoint ids and consistent shared ids."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from harness.datagen.build import build_instance
from harness.datagen.nvl_labels import recipe_customer_codes
from harness.inputs.catalog import DEFAULT_CATALOG_DIR, load_catalog
from tests.datagen import facts

EXTRA_MODULE = """\
module: XX
description: A module the generator has no hand-written code for.
tables:
  - name: XX_WIDGETS
    description: A striped table with every kind of key.
    primary_key: [WIDGET_ID]
    striping: {by: operating_unit, column: ORG_ID}
    columns:
      - {name: WIDGET_ID, type: NUMBER(15), nullable: false}
      - {name: WIDGET_NUMBER, type: VARCHAR2(30), nullable: false}
      - {name: STATUS, type: VARCHAR2(10), nullable: false, lookup: XX STATUS}
      - {name: KIND, type: VARCHAR2(10), lookup: XX KIND}
      - {name: PRIORITY, type: NUMBER, lookup: XX PRIORITY}
      - {name: VENDOR_ID, type: NUMBER(15), nullable: false}
      - {name: VENDOR_SITE_ID, type: NUMBER(15)}
      - {name: INVENTORY_ITEM_ID, type: NUMBER(15)}
      - {name: ORGANIZATION_ID, type: NUMBER(15)}
      - {name: PARENT_WIDGET_ID, type: NUMBER(15)}
      - {name: REQUEST_ID, type: NUMBER(15)}
      - {name: START_DATE, type: DATE, nullable: false}
      - {name: END_DATE, type: DATE}
      - {name: AMOUNT, type: "NUMBER(15,2)"}
      - {name: ENABLED_FLAG, type: VARCHAR2(1), nullable: false}
      - {name: DESCRIPTION, type: VARCHAR2(240)}
      - {name: CREATED_BY, type: NUMBER(15)}
      - {name: ORG_ID, type: NUMBER(15), nullable: false}
    foreign_keys:
      - {columns: [VENDOR_ID], references: AP_SUPPLIERS, ref_columns: [VENDOR_ID]}
      - {columns: [VENDOR_SITE_ID], references: AP_SUPPLIER_SITES_ALL, ref_columns: [VENDOR_SITE_ID]}
      - {columns: [INVENTORY_ITEM_ID, ORGANIZATION_ID], references: MTL_SYSTEM_ITEMS_B, ref_columns: [INVENTORY_ITEM_ID, ORGANIZATION_ID]}
      - {columns: [PARENT_WIDGET_ID], references: XX_WIDGETS, ref_columns: [WIDGET_ID]}
      - {columns: [ORG_ID], references: HR_OPERATING_UNITS, ref_columns: [ORGANIZATION_ID]}
  - name: XX_WIDGET_NOTES
    description: A child keyed by its parent and a number.
    primary_key: [WIDGET_ID, NOTE_NUM]
    columns:
      - {name: WIDGET_ID, type: NUMBER(15), nullable: false}
      - {name: NOTE_NUM, type: NUMBER, nullable: false}
      - {name: NOTE, type: VARCHAR2(2000), nullable: false}
    foreign_keys:
      - {columns: [WIDGET_ID], references: XX_WIDGETS, ref_columns: [WIDGET_ID]}
lookups:
  - {name: XX STATUS, codes: {NEW: New, OPEN: Open, DONE: Done}}
  - {name: XX KIND, codes: {A: Alpha, B: Beta}}
  - {name: XX PRIORITY, codes: {"1": High, "2": Low}}
"""


@pytest.fixture(scope="module")
def extended(tmp_path_factory, recipe):
    """A catalog with the XX module added, and one instance built from it."""
    root = tmp_path_factory.mktemp("catalog")
    shutil.copytree(DEFAULT_CATALOG_DIR, root / "ebs")
    (root / "ebs" / "catalog" / "xx.yaml").write_text(EXTRA_MODULE, encoding="utf-8")
    catalog = load_catalog(root / "ebs")
    path = root / "instance.duckdb"
    build_instance(path, catalog, recipe, 7)
    con = duckdb.connect(str(path), read_only=True)
    yield catalog, con
    con.close()


def test_new_tables_are_generated_with_the_generic_facts(extended, recipe):
    catalog, con = extended
    problems = (facts.integrity(con, catalog) + facts.organizations(con, catalog, recipe)
                + facts.lookup_codes(con, catalog, added=recipe_customer_codes(catalog, recipe))
                + facts.no_empty_strings(con, catalog)
                + facts.disjoint_ids(con, catalog, recipe) + facts.schema(con, catalog))
    assert not problems, "\n".join(problems)
    missing = facts.nulls_expected(con, catalog, recipe) - facts.null_columns(con, catalog)
    assert not {m for m in missing if m.startswith("XX_")}


def test_shared_ids_agree(extended):
    """A widget's site belongs to its supplier and its unit; its item is in its organization."""
    _, con = extended
    assert facts.one(con, "SELECT COUNT(*) FROM XX_WIDGETS w JOIN AP_SUPPLIER_SITES_ALL s "
                          "USING (VENDOR_SITE_ID) WHERE s.VENDOR_ID <> w.VENDOR_ID "
                          "OR s.ORG_ID <> w.ORG_ID") == 0
    assert facts.one(con, "SELECT COUNT(*) FROM XX_WIDGETS WHERE VENDOR_SITE_ID IS NOT NULL") > 0


def test_plausible_values(extended):
    _, con = extended
    assert facts.one(con, "SELECT COUNT(*) FROM XX_WIDGETS WHERE END_DATE < START_DATE") == 0
    assert facts.one(con, "SELECT COUNT(*) FROM XX_WIDGETS WHERE ENABLED_FLAG NOT IN ('Y', 'N')"
                     ) == 0
    assert facts.one(con, "SELECT COUNT(*) FROM XX_WIDGETS w WHERE CREATED_BY IS NOT NULL AND "
                          "NOT EXISTS (SELECT 1 FROM FND_USER u WHERE u.USER_ID = w.CREATED_BY)"
                     ) == 0
    assert facts.one(con, "SELECT COUNT(*) FROM XX_WIDGETS WHERE PARENT_WIDGET_ID IS NULL") > 0
    notes = facts.one(con, "SELECT COUNT(*) FROM XX_WIDGET_NOTES WHERE NOTE_NUM > 1")
    assert notes > 0


@pytest.mark.parametrize("column", ["QUANTITY_RECEIVED", "QUANTITY_BILLED", "QUANTITY"])
def test_each_unit_meets_only_nulls_in_an_amount_on_some_instance(connections, catalog, column):
    # po-050 sums NVL(x, 0) over one unit's shipments: SUM(x) drops the NVL and differs only
    # where every row of the filter is NULL (0 vs NULL)
    for unit in catalog.security.operating_units:
        hits = [con.execute(f"SELECT SUM(coalesce({column}, 0)) = 0 AND SUM({column}) IS NULL "
                            "FROM PO_LINE_LOCATIONS_ALL WHERE ORG_ID = ?",
                            [unit.organization_id]).fetchone()[0] for con in connections]
        assert any(hits), f"{column}: unit {unit.organization_id} never all NULL"


def test_amounts_facts_depend_on_keep_their_values(connections, catalog):
    # frozen and never-NULL amounts (an invoice's amount, its payments) are left alone
    for con in connections:
        for unit in catalog.security.operating_units:
            paid, amount = con.execute(
                "SELECT COUNT(AMOUNT_PAID), COUNT(INVOICE_AMOUNT) FROM AP_INVOICES_ALL "
                "WHERE ORG_ID = ?", [unit.organization_id]).fetchone()
            assert paid and amount

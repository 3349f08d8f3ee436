"""Tests of the EBS catalog: the shipped data (fixtures/ebs) and the loader's error reporting."""

from __future__ import annotations

import functools
import graphlib
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.inputs.catalog import DEFAULT_CATALOG_DIR, Catalog, OracleType, load_catalog
from harness.io.errors import InputError
from harness.io.yaml_source import read_yaml

MODULES = {"AP", "PO", "GL", "AR", "INV", "HR", "FND"}
# Table name prefix -> the module file that must define it.
PREFIX_MODULE = {"AP_": "AP", "PO_": "PO", "GL_": "GL", "HZ_": "AR", "RA_": "AR", "AR_": "AR",
                 "MTL_": "INV", "HR_": "HR", "PER_": "HR", "FND_": "FND"}

# The tables and columns other parts of sqlgate (data generator, golden sets) rely on, with the
# type family each column must have: N number, V text, D date.
REQUIRED: dict[str, dict[str, str]] = {
    "AP_SUPPLIERS": {"VENDOR_ID": "N", "VENDOR_NAME": "V", "SEGMENT1": "V",
                     "VENDOR_TYPE_LOOKUP_CODE": "V", "ENABLED_FLAG": "V", "CREATION_DATE": "D"},
    "AP_SUPPLIER_SITES_ALL": {"VENDOR_SITE_ID": "N", "VENDOR_ID": "N", "VENDOR_SITE_CODE": "V",
                              "ORG_ID": "N", "COUNTRY": "V", "PAY_SITE_FLAG": "V"},
    "AP_INVOICES_ALL": {"INVOICE_ID": "N", "INVOICE_NUM": "V", "VENDOR_ID": "N",
                        "VENDOR_SITE_ID": "N", "ORG_ID": "N", "INVOICE_DATE": "D",
                        "INVOICE_AMOUNT": "N", "AMOUNT_PAID": "N", "INVOICE_CURRENCY_CODE": "V",
                        "PAYMENT_STATUS_FLAG": "V", "INVOICE_TYPE_LOOKUP_CODE": "V",
                        "CANCELLED_DATE": "D", "GL_DATE": "D"},
    "AP_CHECKS_ALL": {"CHECK_ID": "N", "CHECK_NUMBER": "N", "CHECK_DATE": "D", "AMOUNT": "N",
                      "VENDOR_ID": "N", "STATUS_LOOKUP_CODE": "V", "CURRENCY_CODE": "V",
                      "ORG_ID": "N"},
    "AP_INVOICE_PAYMENTS_ALL": {"INVOICE_PAYMENT_ID": "N", "INVOICE_ID": "N", "CHECK_ID": "N",
                                "AMOUNT": "N", "ORG_ID": "N"},
    "PO_HEADERS_ALL": {"PO_HEADER_ID": "N", "SEGMENT1": "V", "TYPE_LOOKUP_CODE": "V",
                       "VENDOR_ID": "N", "AGENT_ID": "N", "AUTHORIZATION_STATUS": "V",
                       "CLOSED_CODE": "V", "CURRENCY_CODE": "V", "CREATION_DATE": "D",
                       "ORG_ID": "N"},
    "PO_LINES_ALL": {"PO_LINE_ID": "N", "PO_HEADER_ID": "N", "LINE_NUM": "N", "ITEM_ID": "N",
                     "ITEM_DESCRIPTION": "V", "UNIT_PRICE": "N", "QUANTITY": "N", "ORG_ID": "N"},
    "GL_LEDGERS": {"LEDGER_ID": "N", "NAME": "V", "CURRENCY_CODE": "V"},
    "GL_CODE_COMBINATIONS": {"CODE_COMBINATION_ID": "N", "SEGMENT1": "V", "SEGMENT2": "V",
                             "SEGMENT3": "V", "ACCOUNT_TYPE": "V", "ENABLED_FLAG": "V"},
    "GL_JE_HEADERS": {"JE_HEADER_ID": "N", "LEDGER_ID": "N", "NAME": "V", "JE_SOURCE": "V",
                      "JE_CATEGORY": "V", "PERIOD_NAME": "V", "STATUS": "V", "ACTUAL_FLAG": "V",
                      "CURRENCY_CODE": "V"},
    "GL_JE_LINES": {"JE_HEADER_ID": "N", "JE_LINE_NUM": "N", "CODE_COMBINATION_ID": "N",
                    "ACCOUNTED_DR": "N", "ACCOUNTED_CR": "N", "PERIOD_NAME": "V"},
    "GL_PERIODS": {"PERIOD_SET_NAME": "V", "PERIOD_NAME": "V", "START_DATE": "D",
                   "END_DATE": "D", "PERIOD_YEAR": "N", "PERIOD_NUM": "N", "QUARTER_NUM": "N"},
    "HZ_PARTIES": {"PARTY_ID": "N", "PARTY_NAME": "V", "PARTY_TYPE": "V"},
    "HZ_CUST_ACCOUNTS": {"CUST_ACCOUNT_ID": "N", "PARTY_ID": "N", "ACCOUNT_NUMBER": "V",
                         "STATUS": "V"},
    "RA_CUSTOMER_TRX_ALL": {"CUSTOMER_TRX_ID": "N", "TRX_NUMBER": "V", "TRX_DATE": "D",
                            "BILL_TO_CUSTOMER_ID": "N", "ORG_ID": "N", "COMPLETE_FLAG": "V",
                            "INVOICE_CURRENCY_CODE": "V"},
    "AR_PAYMENT_SCHEDULES_ALL": {"PAYMENT_SCHEDULE_ID": "N", "CUSTOMER_TRX_ID": "N",
                                 "CUSTOMER_ID": "N", "CLASS": "V", "AMOUNT_DUE_ORIGINAL": "N",
                                 "AMOUNT_DUE_REMAINING": "N", "DUE_DATE": "D", "STATUS": "V",
                                 "ORG_ID": "N"},
    "MTL_SYSTEM_ITEMS_B": {"INVENTORY_ITEM_ID": "N", "ORGANIZATION_ID": "N", "SEGMENT1": "V",
                           "DESCRIPTION": "V", "PRIMARY_UOM_CODE": "V", "ITEM_TYPE": "V"},
    "MTL_ONHAND_QUANTITIES_DETAIL": {"INVENTORY_ITEM_ID": "N", "ORGANIZATION_ID": "N",
                                     "SUBINVENTORY_CODE": "V",
                                     "PRIMARY_TRANSACTION_QUANTITY": "N"},
    "HR_OPERATING_UNITS": {"ORGANIZATION_ID": "N", "NAME": "V"},
    "PER_ALL_PEOPLE_F": {"PERSON_ID": "N", "FULL_NAME": "V", "EMPLOYEE_NUMBER": "V",
                         "EFFECTIVE_START_DATE": "D", "EFFECTIVE_END_DATE": "D"},
}

# Join edges (table, columns, referenced table, referenced columns) that must be declared.
REQUIRED_EDGES = [
    ("MTL_ONHAND_QUANTITIES_DETAIL", ("INVENTORY_ITEM_ID", "ORGANIZATION_ID"),
     "MTL_SYSTEM_ITEMS_B", ("INVENTORY_ITEM_ID", "ORGANIZATION_ID")),
    ("MTL_MATERIAL_TRANSACTIONS", ("INVENTORY_ITEM_ID", "ORGANIZATION_ID"),
     "MTL_SYSTEM_ITEMS_B", ("INVENTORY_ITEM_ID", "ORGANIZATION_ID")),
    ("PO_HEADERS_ALL", ("AGENT_ID",), "PER_ALL_PEOPLE_F", ("PERSON_ID",)),
    ("PO_HEADERS_ALL", ("VENDOR_ID",), "AP_SUPPLIERS", ("VENDOR_ID",)),
    ("PO_LINES_ALL", ("PO_HEADER_ID",), "PO_HEADERS_ALL", ("PO_HEADER_ID",)),
    ("HZ_CUST_ACCOUNTS", ("PARTY_ID",), "HZ_PARTIES", ("PARTY_ID",)),
    ("RA_CUSTOMER_TRX_ALL", ("BILL_TO_CUSTOMER_ID",), "HZ_CUST_ACCOUNTS", ("CUST_ACCOUNT_ID",)),
    ("AR_PAYMENT_SCHEDULES_ALL", ("CUSTOMER_ID",), "HZ_CUST_ACCOUNTS", ("CUST_ACCOUNT_ID",)),
    ("AR_PAYMENT_SCHEDULES_ALL", ("CUSTOMER_TRX_ID",), "RA_CUSTOMER_TRX_ALL",
     ("CUSTOMER_TRX_ID",)),
    ("GL_JE_LINES", ("JE_HEADER_ID",), "GL_JE_HEADERS", ("JE_HEADER_ID",)),
    ("GL_JE_LINES", ("CODE_COMBINATION_ID",), "GL_CODE_COMBINATIONS", ("CODE_COMBINATION_ID",)),
    ("GL_JE_HEADERS", ("LEDGER_ID",), "GL_LEDGERS", ("LEDGER_ID",)),
    ("AP_INVOICES_ALL", ("VENDOR_ID",), "AP_SUPPLIERS", ("VENDOR_ID",)),
    ("AP_INVOICES_ALL", ("VENDOR_SITE_ID",), "AP_SUPPLIER_SITES_ALL", ("VENDOR_SITE_ID",)),
    ("AP_SUPPLIER_SITES_ALL", ("VENDOR_ID",), "AP_SUPPLIERS", ("VENDOR_ID",)),
    ("AP_INVOICE_PAYMENTS_ALL", ("INVOICE_ID",), "AP_INVOICES_ALL", ("INVOICE_ID",)),
    ("AP_INVOICE_PAYMENTS_ALL", ("CHECK_ID",), "AP_CHECKS_ALL", ("CHECK_ID",)),
    ("AP_CHECKS_ALL", ("VENDOR_ID",), "AP_SUPPLIERS", ("VENDOR_ID",)),
]

PRIMARY_KEYS = {
    "MTL_SYSTEM_ITEMS_B": ["INVENTORY_ITEM_ID", "ORGANIZATION_ID"],
    "PER_ALL_PEOPLE_F": ["PERSON_ID", "EFFECTIVE_START_DATE", "EFFECTIVE_END_DATE"],
    "GL_JE_LINES": ["JE_HEADER_ID", "JE_LINE_NUM"],
    "GL_PERIODS": ["PERIOD_SET_NAME", "PERIOD_NAME"],
    "AP_INVOICES_ALL": ["INVOICE_ID"],
    "HR_OPERATING_UNITS": ["ORGANIZATION_ID"],
}

# Coded column -> codes its lookup must contain (golden sets and generated data rely on them).
REQUIRED_CODES = {
    ("AP_INVOICES_ALL", "PAYMENT_STATUS_FLAG"): {"Y", "N", "P"},
    ("AP_INVOICES_ALL", "INVOICE_TYPE_LOOKUP_CODE"): {"STANDARD", "CREDIT", "DEBIT",
                                                      "PREPAYMENT"},
    ("AP_INVOICES_ALL", "INVOICE_CURRENCY_CODE"): {"USD", "EUR", "GBP", "CAD"},
    ("AP_CHECKS_ALL", "STATUS_LOOKUP_CODE"): {"NEGOTIABLE", "VOIDED", "CLEARED"},
    ("AP_SUPPLIERS", "ENABLED_FLAG"): {"Y", "N"},
    ("AP_SUPPLIER_SITES_ALL", "PAY_SITE_FLAG"): {"Y", "N"},
    ("PO_HEADERS_ALL", "AUTHORIZATION_STATUS"): {"APPROVED", "INCOMPLETE", "IN PROCESS",
                                                 "REJECTED", "REQUIRES REAPPROVAL"},
    ("PO_HEADERS_ALL", "CLOSED_CODE"): {"OPEN", "CLOSED", "FINALLY CLOSED"},
    ("PO_HEADERS_ALL", "TYPE_LOOKUP_CODE"): {"STANDARD", "BLANKET", "CONTRACT", "PLANNED"},
    ("GL_JE_HEADERS", "STATUS"): {"P", "U"},
    ("GL_JE_HEADERS", "ACTUAL_FLAG"): {"A", "B", "E"},
    ("GL_CODE_COMBINATIONS", "ACCOUNT_TYPE"): {"A", "L", "O", "R", "E"},
    ("AR_PAYMENT_SCHEDULES_ALL", "CLASS"): {"INV", "CM", "DM", "PMT", "DEP", "GUAR", "CB"},
    ("AR_PAYMENT_SCHEDULES_ALL", "STATUS"): {"OP", "CL"},
    ("HZ_PARTIES", "PARTY_TYPE"): {"ORGANIZATION", "PERSON"},
    ("HZ_CUST_ACCOUNTS", "STATUS"): {"A", "I"},
    ("RA_CUSTOMER_TRX_ALL", "COMPLETE_FLAG"): {"Y", "N"},
}

# Nullable columns whose NULLs the embedded data facts (contract 6, docs/contracts.md) promise.
NULLABLE = [("AP_INVOICES_ALL", "AMOUNT_PAID"), ("AP_INVOICES_ALL", "CANCELLED_DATE"),
            ("AP_SUPPLIERS", "VENDOR_TYPE_LOOKUP_CODE"), ("PO_HEADERS_ALL", "VENDOR_ID"),
            ("AP_SUPPLIER_SITES_ALL", "PAY_SITE_FLAG"), ("GL_JE_LINES", "ACCOUNTED_DR"),
            ("GL_JE_LINES", "ACCOUNTED_CR")]

REQUIRED_SYNONYMS = {
    "supplier": "AP_SUPPLIERS", "vendor": "AP_SUPPLIERS",
    "supplier number": "AP_SUPPLIERS.SEGMENT1", "PO number": "PO_HEADERS_ALL.SEGMENT1",
    "buyer": "PO_HEADERS_ALL.AGENT_ID", "customer": "HZ_CUST_ACCOUNTS",
    "customer name": "HZ_PARTIES.PARTY_NAME",
    "open balance": "AR_PAYMENT_SCHEDULES_ALL.AMOUNT_DUE_REMAINING",
    "item number": "MTL_SYSTEM_ITEMS_B.SEGMENT1", "employee": "PER_ALL_PEOPLE_F",
    "period": "GL_PERIODS.PERIOD_NAME",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _family(table: str, column: str, cat: Catalog) -> str:
    t = cat.table(table).column(column).type
    return "N" if t.is_numeric else "D" if t.is_temporal else "V" if t.is_text else "?"


def _edges(cat: Catalog) -> set[tuple]:
    return {(t, tuple(fk.columns), fk.references, tuple(fk.ref_columns))
            for t, fk in cat.join_edges()}


# --- the shipped catalog --------------------------------------------------------------------

def test_shipped_catalog_loads_with_a_stable_fingerprint(catalog):
    assert set(catalog.modules) == MODULES
    assert load_catalog().fingerprint == catalog.fingerprint


def test_at_least_30_tables_spread_over_every_module(catalog):
    assert len(catalog.tables) >= 30
    per_module = Counter(catalog.table_module.values())
    assert set(per_module) == MODULES
    assert min(per_module.values()) >= 3, per_module


def test_each_table_lives_in_the_module_file_of_its_prefix(catalog):
    for name, module in catalog.table_module.items():
        prefix = next(p for p in PREFIX_MODULE if name.startswith(p))
        assert module == PREFIX_MODULE[prefix], name
        assert catalog.sources[module].stem == module.lower()


@pytest.mark.parametrize("table", sorted(REQUIRED))
def test_required_columns_exist_with_their_type_family(catalog, table):
    assert table in catalog.tables
    got = {c: _family(table, c, catalog) for c in REQUIRED[table]
           if c in catalog.table(table).column_names}
    assert got == REQUIRED[table]


@pytest.mark.parametrize("edge", REQUIRED_EDGES, ids=lambda e: f"{e[0]}->{e[2]}")
def test_required_join_edges(catalog, edge):
    assert edge in _edges(catalog)


def test_composite_item_key_is_referenced_as_a_whole(catalog):
    assert catalog.table("MTL_SYSTEM_ITEMS_B").primary_key == ["INVENTORY_ITEM_ID",
                                                               "ORGANIZATION_ID"]
    composite = [e for e in _edges(catalog)
                 if e[2] == "MTL_SYSTEM_ITEMS_B" and len(e[3]) == 2]
    assert {e[0] for e in composite} >= {"MTL_ONHAND_QUANTITIES_DETAIL",
                                         "MTL_MATERIAL_TRANSACTIONS"}
    assert all(e[3] == ("INVENTORY_ITEM_ID", "ORGANIZATION_ID") for e in composite)


def test_partial_key_references_say_how_to_complete_the_key(catalog):
    """An edge to part of a composite key (date-tracked people, per-organization items, GL
    periods) must explain in its description what completes the key."""
    for table, fk in catalog.join_edges():
        target = catalog.table(fk.references)
        if set(fk.ref_columns) < set(target.primary_key):
            assert fk.description, f"{table}{fk.columns} -> {fk.references}{fk.ref_columns}"
    assert "date-tracked" in catalog.table("PER_ALL_PEOPLE_F").description


@pytest.mark.parametrize("table,key", sorted(PRIMARY_KEYS.items()))
def test_primary_keys(catalog, table, key):
    assert catalog.table(table).primary_key == key


# The EBS unique indexes (eTRM) the catalog declares besides the primary keys; the mutation
# prover relies on them, so each is one EBS enforces and none is invented.
UNIQUE_KEYS = {
    "AP_SUPPLIERS": {"AP_SUPPLIERS_U2": ["SEGMENT1"]},
    "AP_SUPPLIER_SITES_ALL": {"AP_SUPPLIER_SITES_U2": ["VENDOR_ID", "VENDOR_SITE_CODE",
                                                       "ORG_ID"]},
    "AP_INVOICES_ALL": {"AP_INVOICES_U2": ["VENDOR_ID", "INVOICE_NUM", "ORG_ID"]},
    "FND_USER": {"FND_USER_U2": ["USER_NAME"]},
    "GL_LEDGERS": {"GL_LEDGERS_U1": ["NAME"], "GL_LEDGERS_U3": ["SHORT_NAME"]},
    "HZ_PARTIES": {"HZ_PARTIES_U2": ["PARTY_NUMBER"]},
    "HZ_CUST_ACCOUNTS": {"HZ_CUST_ACCOUNTS_U2": ["ACCOUNT_NUMBER"]},
    "PO_REQUISITION_HEADERS_ALL": {"PO_REQUISITION_HEADERS_U2": ["SEGMENT1", "ORG_ID"]},
    "PO_LINES_ALL": {"PO_LINES_U2": ["PO_HEADER_ID", "LINE_NUM"]},
    "PO_HEADERS_ALL": {"PO_HEADERS_U2": ["SEGMENT1", "TYPE_LOOKUP_CODE", "ORG_ID"]},
    "GL_JE_HEADERS": {"GL_JE_HEADERS_U2": ["JE_BATCH_ID", "NAME"]},
}


def test_unique_keys_are_the_declared_ebs_indexes(catalog):
    declared = {t.name: {u.index: u.columns for u in t.unique_keys}
                for t in catalog.tables.values() if t.unique_keys}
    assert declared == UNIQUE_KEYS


def test_referencing_and_referenced_columns_share_a_type_family(catalog):
    for table, fk in catalog.join_edges():
        for c, r in zip(fk.columns, fk.ref_columns, strict=True):
            assert _family(table, c, catalog) == _family(fk.references, r, catalog), (table, c)


def test_join_graph_is_acyclic_apart_from_self_references(catalog):
    """The data generator fills parents before children, which needs a topological order."""
    graph = {name: set() for name in catalog.tables}
    for table, fk in catalog.join_edges():
        if fk.references != table:
            graph[table].add(fk.references)
    assert len(list(graphlib.TopologicalSorter(graph).static_order())) == len(graph)


def test_join_graph_connects_every_table(catalog):
    neighbours = {name: set() for name in catalog.tables}
    for table, fk in catalog.join_edges():
        neighbours[table].add(fk.references)
        neighbours[fk.references].add(table)
    seen, todo = set(), ["AP_INVOICES_ALL"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(neighbours[name] - seen)
    assert seen == set(catalog.tables)


def test_operating_unit_striping_is_org_id_of_an_all_table(catalog):
    striped = catalog.striped_tables("operating_unit")
    assert len(striped) >= 20
    for name in striped:
        table = catalog.table(name)
        assert name.endswith("_ALL"), name
        assert table.striping.column == "ORG_ID"
        assert not table.column("ORG_ID").nullable, name
        assert (name, ("ORG_ID",), "HR_OPERATING_UNITS", ("ORGANIZATION_ID",)) in _edges(catalog)


def test_every_all_table_with_org_id_is_striped(catalog):
    for name, table in catalog.tables.items():
        if name.endswith("_ALL") and "ORG_ID" in table.column_names:
            assert name in catalog.striped_tables("operating_unit"), name


def test_inventory_tables_are_striped_by_organization(catalog):
    striped = catalog.striped_tables("inventory_organization")
    assert {"MTL_SYSTEM_ITEMS_B", "MTL_ONHAND_QUANTITIES_DETAIL"} <= striped
    for name in striped:
        assert name.startswith("MTL_")
        assert catalog.table(name).striping.column == "ORGANIZATION_ID"


def test_every_coded_column_has_at_least_two_codes_that_fit_the_column(catalog):
    coded = list(catalog.coded_columns())
    assert len(coded) >= 60
    for table, col, lookup in coded:
        where = f"{table.name}.{col.name} ({lookup.name})"
        assert len(lookup.codes) >= 2, where
        for code in lookup.codes:
            if col.type.is_numeric:
                assert re.fullmatch(r"-?\d+", code), where
            else:
                assert len(code) <= col.type.precision, where


def test_every_lookup_is_used_and_described(catalog):
    used = {lookup.name for _, _, lookup in catalog.coded_columns()}
    assert used == set(catalog.lookups)
    assert all(lk.description for lk in catalog.lookups.values())


@pytest.mark.parametrize("column,codes", sorted(REQUIRED_CODES.items()))
def test_required_codes(catalog, column, codes):
    lookup = catalog.table(column[0]).column(column[1]).lookup
    assert lookup is not None
    assert codes <= set(catalog.lookups[lookup].codes)


def test_currency_lookup_is_small_and_iso(catalog):
    lookup = catalog.lookups[catalog.table("FND_CURRENCIES").column("CURRENCY_CODE").lookup]
    assert 4 <= len(lookup.codes) <= 8
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in lookup.codes)


@pytest.mark.parametrize("table,column", NULLABLE)
def test_columns_the_data_facts_leave_null_are_nullable(catalog, table, column):
    assert catalog.table(table).column(column).nullable


def test_every_table_and_column_is_described(catalog):
    for table in catalog.tables.values():
        assert len(table.description) >= 20, table.name
        for col in table.columns:
            assert col.description, f"{table.name}.{col.name}"


def test_required_synonyms(catalog):
    terms = {s.term: s.maps_to for s in catalog.synonyms}
    assert {t: terms.get(t) for t in REQUIRED_SYNONYMS} == REQUIRED_SYNONYMS


def test_synonyms_are_unique_and_in_every_module(catalog):
    terms = Counter(s.term.lower() for s in catalog.synonyms)
    assert [t for t, n in terms.items() if n > 1] == []
    assert all(len(m.synonyms) >= 5 for m in catalog.modules.values())


def test_security_policy(catalog):
    assert [ou.organization_id for ou in catalog.security.operating_units] == [204, 458]
    assert {io.organization_id: io.operating_unit
            for io in catalog.security.inventory_organizations} == {207: 204, 208: 204}


def test_summary_counts_match_the_files(catalog):
    """Counts recomputed from the raw YAML, independently of the loader's models."""
    raw = {}
    for path in sorted((DEFAULT_CATALOG_DIR / "catalog").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        raw[data["module"]] = data
    summary = catalog.summary()
    assert summary["modules"] == {
        m: {"tables": len(d["tables"]),
            "columns": sum(len(t["columns"]) for t in d["tables"]),
            "lookups": len(d["lookups"]), "synonyms": len(d["synonyms"])}
        for m, d in raw.items()}
    tables = [t for d in raw.values() for t in d["tables"]]
    assert summary["tables"] == len(tables) == len(catalog.tables)
    assert summary["columns"] == sum(len(t["columns"]) for t in tables)
    assert summary["foreign_keys"] == sum(len(t.get("foreign_keys", [])) for t in tables)
    assert summary["lookups"] == sum(len(d["lookups"]) for d in raw.values())
    assert summary["synonyms"] == sum(len(d["synonyms"]) for d in raw.values())
    assert summary["striped_by_operating_unit"] == sorted(
        t["name"] for t in tables if t.get("striping", {}).get("by") == "operating_unit")
    assert summary["striped_by_inventory_organization"] == sorted(
        t["name"] for t in tables if t.get("striping", {}).get("by") == "inventory_organization")
    assert summary["operating_units"] == [204, 458]
    assert summary["inventory_organizations"] == [207, 208]
    assert summary["fingerprint"] == catalog.fingerprint


# --- Oracle types ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,shown,duckdb", [
    ("NUMBER", "NUMBER", "DECIMAL(38,6)"),
    ("NUMBER(15)", "NUMBER(15)", "BIGINT"),
    ("number(15, 2)", "NUMBER(15,2)", "DECIMAL(15,2)"),
    ("NUMBER(38)", "NUMBER(38)", "DECIMAL(38,0)"),
    ("NUMBER(18)", "NUMBER(18)", "BIGINT"),
    ("NUMBER(5,-2)", "NUMBER(5,-2)", "BIGINT"),
    ("NUMBER(2,5)", "NUMBER(2,5)", "DECIMAL(5,5)"),
    ("VARCHAR2(240)", "VARCHAR2(240)", "VARCHAR"),
    ("CHAR(1)", "CHAR(1)", "VARCHAR"),
    ("DATE", "DATE", "TIMESTAMP"),
    ("TIMESTAMP(6)", "TIMESTAMP(6)", "TIMESTAMP"),
    ("CLOB", "CLOB", "VARCHAR"),
])
def test_oracle_type_parses(text, shown, duckdb):
    parsed = OracleType.parse(text)
    assert str(parsed) == shown
    assert OracleType.parse(str(parsed)) == parsed
    assert parsed.duckdb_type() == duckdb


@pytest.mark.parametrize("text", ["NUMBR(15)", "VARCHAR2", "VARCHAR(30)", "DATE(7)", "CLOB(10)",
                                  "NUMBER(15,2,1)", "VARCHAR2(10,2)", "NUMBER(39)", "NUMBER(0)",
                                  "CHAR(2001)", "VARCHAR2(0)", "TIMESTAMP(10)", "NUMBER(5,200)",
                                  "NUMBER(\u0661\u0665)", "T\u0131MESTAMP", "", "INTEGER"])
def test_oracle_type_rejects(text):
    with pytest.raises(ValueError):
        OracleType.parse(text)


# --- malformed catalogs ---------------------------------------------------------------------

MINI_AP = """\
module: AP
description: Mini catalog for loader tests.
tables:
  - name: AP_SUPPLIERS
    description: Supplier header.
    primary_key: [VENDOR_ID]
    columns:
      - {name: VENDOR_ID, type: NUMBER(15), nullable: false}
      - {name: VENDOR_NAME, type: VARCHAR2(240), nullable: false}
      - {name: ENABLED_FLAG, type: VARCHAR2(1), lookup: YES_NO}
  - name: AP_INVOICES_ALL
    description: Invoice header.
    primary_key: [INVOICE_ID]
    striping: {by: operating_unit, column: ORG_ID}
    columns:
      - name: INVOICE_ID
        type: NUMBER(15)
        nullable: false
      - {name: VENDOR_ID, type: NUMBER(15), nullable: false}
      - {name: ORG_ID, type: NUMBER(15), nullable: false}
      - {name: INVOICE_AMOUNT, type: NUMBER}
    foreign_keys:
      - {columns: [VENDOR_ID], references: AP_SUPPLIERS, ref_columns: [VENDOR_ID]}
lookups:
  - name: YES_NO
    codes: {Y: "Yes", N: "No"}
synonyms:
  - {term: supplier, maps_to: AP_SUPPLIERS}
  - {term: invoice amount, maps_to: AP_INVOICES_ALL.INVOICE_AMOUNT}
"""

MINI_GL = """\
module: GL
tables:
  - name: GL_LEDGERS
    description: Ledger.
    primary_key: [LEDGER_ID]
    columns:
      - {name: LEDGER_ID, type: NUMBER(15), nullable: false}
      - {name: ENABLED_FLAG, type: VARCHAR2(1), lookup: YES_NO}
lookups:
  - name: LEDGER CATEGORY
    codes: {PRIMARY: Primary, SECONDARY: Secondary}
"""

MINI_SECURITY = """\
operating_units:
  - {organization_id: 204, name: Vision Operations}
inventory_organizations:
  - {organization_id: 207, code: M1, name: Seattle Manufacturing, operating_unit: 204}
rule: Restrict ORG_ID.
"""


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    (root / "catalog").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = root / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def _mini(tmp_path: Path, **changes: str | bytes) -> Path:
    """The mini catalog with some files replaced (keys: ap, gl, security, or any file name)."""
    files: dict[str, str | bytes] = {"catalog/ap.yaml": MINI_AP, "catalog/gl.yaml": MINI_GL,
                                     "security.yaml": MINI_SECURITY}
    for key, content in changes.items():
        name = {"ap": "catalog/ap.yaml", "gl": "catalog/gl.yaml",
                "security": "security.yaml"}.get(key, f"catalog/{key}")
        files[name] = content
    return _write(tmp_path, files)


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _line(text: str, snippet: str) -> int:
    """The 1-based line of the only line containing `snippet`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if snippet in line]
    assert len(hits) == 1, (snippet, hits)
    return hits[0]


def _error(directory: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_catalog(directory)
    return info.value


def _assert_at(err: InputError, file: str, line: int | None, field: str | None,
               message: str) -> None:
    assert Path(err.path).name == file
    assert (err.line, err.field) == (line, field), str(err)
    assert message in err.message
    where = f"{file}:{line}:" if line is not None else f"{file}:"
    assert where in str(err)
    if field:
        assert f" {field}:" in str(err)


def test_mini_catalog_is_valid(tmp_path):
    cat = load_catalog(_mini(tmp_path))
    assert set(cat.tables) == {"AP_SUPPLIERS", "AP_INVOICES_ALL", "GL_LEDGERS"}


# (case id, file key, old text, new text, line snippet or None, field, message fragment)
DAMAGE = [
    ("bad type in flow mapping", "ap", "{name: ORG_ID, type: NUMBER(15)",
     "{name: ORG_ID, type: NUMBR(15)", "name: ORG_ID", "tables[1].columns[2].type",
     "expected an Oracle type"),
    ("bad type in block mapping", "ap", "        type: NUMBER(15)\n",
     "        type: NUMBR(15)\n", "type: NUMBR(15)", "tables[1].columns[0].type",
     "expected an Oracle type"),
    ("scale on a text type", "ap", "type: VARCHAR2(240)", 'type: "VARCHAR2(240,2)"',
     "VARCHAR2(240,2)", "tables[0].columns[1].type", "VARCHAR2 takes one number"),
    ("unquoted comma in a flow-mapping type", "ap", "{name: INVOICE_AMOUNT, type: NUMBER}",
     "{name: INVOICE_AMOUNT, type: NUMBER(15,2)}", "name: INVOICE_AMOUNT",
     "tables[1].columns[3].type", 'quote a type with a comma inside a flow mapping'),
    ("missing column type", "ap", "{name: INVOICE_AMOUNT, type: NUMBER}",
     "{name: INVOICE_AMOUNT}", "name: INVOICE_AMOUNT", "tables[1].columns[3].type",
     "required field is missing"),
    ("missing table description", "ap", "    description: Invoice header.\n", "",
     "name: AP_INVOICES_ALL", "tables[1].description", "required field is missing"),
    ("unknown column field", "ap", "{name: VENDOR_NAME, type: VARCHAR2(240), nullable: false}",
     "{name: VENDOR_NAME, type: VARCHAR2(240), nulable: false}", "name: VENDOR_NAME",
     "tables[0].columns[1].nulable", "unknown field"),
    ("unknown top-level field", "gl", "module: GL\n", "module: GL\nowner: GL\n", "owner: GL",
     "owner", "unknown field"),
    ("duplicate key", "ap", "{name: VENDOR_NAME, type: VARCHAR2(240), nullable: false}",
     "{name: VENDOR_NAME, type: VARCHAR2(240), nullable: false, type: DATE}",
     "name: VENDOR_NAME", "tables[0].columns[1].type", "duplicate key 'type'"),
    ("duplicate lookup code", "ap", '{Y: "Yes", N: "No"}', '{Y: "Yes", Y: "No"}',
     '{Y: "Yes", Y: "No"}', "lookups[0].codes.Y", "duplicate key 'Y'"),
    ("duplicate column", "ap", "{name: INVOICE_AMOUNT, type: NUMBER}",
     "{name: ORG_ID, type: NUMBER}", "{name: ORG_ID, type: NUMBER}",
     "tables[1].columns[3].name", "duplicate column ORG_ID in AP_INVOICES_ALL"),
    ("FK to unknown table", "ap", "references: AP_SUPPLIERS", "references: AP_SUPPLIER",
     "references: AP_SUPPLIER,", "tables[1].foreign_keys[0].references",
     "unknown table AP_SUPPLIER (did you mean AP_SUPPLIERS?)"),
    ("FK to unknown column", "ap", "ref_columns: [VENDOR_ID]", "ref_columns: [SUPPLIER_ID]",
     "ref_columns: [SUPPLIER_ID]", "tables[1].foreign_keys[0].ref_columns[0]",
     "unknown column AP_SUPPLIERS.SUPPLIER_ID"),
    ("FK from a column not in the table", "ap", "{columns: [VENDOR_ID]",
     "{columns: [VENDOR_SITE_ID]", "columns: [VENDOR_SITE_ID]",
     "tables[1].foreign_keys[0].columns[0]", "VENDOR_SITE_ID is not a column of AP_INVOICES_ALL"),
    ("FK arity mismatch", "ap", "ref_columns: [VENDOR_ID]}", "ref_columns: [VENDOR_ID, X]}",
     "ref_columns: [VENDOR_ID, X]", "tables[1].foreign_keys[0]", "same length"),
    ("PK column not in table", "ap", "primary_key: [INVOICE_ID]", "primary_key: [INVOICE_NUM]",
     "primary_key: [INVOICE_NUM]", "tables[1].primary_key[0]",
     "INVOICE_NUM is not a column of AP_INVOICES_ALL"),
    ("nullable PK column", "ap", "primary_key: [INVOICE_ID]",
     "primary_key: [INVOICE_ID, INVOICE_AMOUNT]", "primary_key: [INVOICE_ID, INVOICE_AMOUNT]",
     "tables[1].primary_key[1]", "must be declared nullable: false"),
    ("unique key column not in table", "ap", "primary_key: [VENDOR_ID]\n",
     "primary_key: [VENDOR_ID]\n    unique_keys: [{index: AP_SUPPLIERS_U2, columns: "
     "[VENDOR_NAM]}]\n", "unique_keys:", "tables[0].unique_keys[0].columns[0]",
     "unique key column VENDOR_NAM is not a column of AP_SUPPLIERS"),
    ("unique key every row can escape", "ap", "primary_key: [VENDOR_ID]\n",
     "primary_key: [VENDOR_ID]\n    unique_keys: [{index: AP_SUPPLIERS_U9, columns: "
     "[ENABLED_FLAG]}]\n", "unique_keys:", "tables[0].unique_keys[0].columns",
     "unique key AP_SUPPLIERS_U9 needs a column declared nullable: false"),
    ("date-tracked period on a nullable column", "ap", "primary_key: [VENDOR_ID]\n",
     "primary_key: [VENDOR_ID]\n    date_tracked: {key: [VENDOR_ID], start: ENABLED_FLAG, "
     "end: VENDOR_NAME, source: x}\n", "date_tracked:", "tables[0].date_tracked.start",
     "date_tracked start column ENABLED_FLAG must be a NOT NULL column of AP_SUPPLIERS"),
    ("striping column not in table", "ap", "column: ORG_ID}", "column: ORGID}",
     "column: ORGID}", "tables[1].striping.column", "ORGID is not a column"),
    ("undefined lookup", "ap", "lookup: YES_NO}", "lookup: YES_N0}", "lookup: YES_N0}",
     "tables[0].columns[2].lookup", "'YES_N0' is not defined in any catalog file"),
    ("synonym to unknown column", "ap", "AP_INVOICES_ALL.INVOICE_AMOUNT",
     "AP_INVOICES_ALL.INVOICE_AMT", "AP_INVOICES_ALL.INVOICE_AMT", "synonyms[1].maps_to",
     "maps to unknown AP_INVOICES_ALL.INVOICE_AMT (did you mean INVOICE_AMOUNT?)"),
    ("synonym to unknown table", "ap", "maps_to: AP_SUPPLIERS}", "maps_to: AP_VENDORS}",
     "maps_to: AP_VENDORS}", "synonyms[0].maps_to", "maps to unknown AP_VENDORS"),
    ("lookup codes not a mapping", "gl", "codes: {PRIMARY: Primary, SECONDARY: Secondary}",
     "codes: [PRIMARY, SECONDARY]", "codes: [PRIMARY, SECONDARY]", "lookups[0].codes",
     "valid dictionary"),
    ("invalid YAML: bad indentation", "ap", "        nullable: false\n      - {name: VENDOR_ID",
     "       nullable: false\n      - {name: VENDOR_ID", "       nullable: false", None,
     "not valid YAML"),
    ("invalid YAML: unquoted colon in flow mapping", "ap", "description: Supplier header.",
     "description: Supplier header: the vendor, one per row.", "Supplier header: the vendor",
     None, "not valid YAML"),
]


@pytest.mark.parametrize("key,old,new,snippet,field,message",
                         [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_damage_is_reported_with_file_line_and_field(tmp_path, key, old, new, snippet, field,
                                                     message):
    text = _edit({"ap": MINI_AP, "gl": MINI_GL}[key], old, new)
    err = _error(_mini(tmp_path, **{key: text}))
    _assert_at(err, f"{key}.yaml", _line(text, snippet), field, message)


def test_table_defined_in_two_files(tmp_path):
    text = MINI_GL.replace("GL_LEDGERS", "AP_SUPPLIERS")
    err = _error(_mini(tmp_path, gl=text))
    _assert_at(err, "gl.yaml", _line(text, "- name: AP_SUPPLIERS"), "tables[0].name",
               "table AP_SUPPLIERS is already defined in ap.yaml")


def test_lookup_defined_in_two_files(tmp_path):
    text = MINI_GL.replace("name: LEDGER CATEGORY", "name: YES_NO")
    err = _error(_mini(tmp_path, gl=text))
    _assert_at(err, "gl.yaml", _line(text, "name: YES_NO"), "lookups[0].name",
               "lookup 'YES_NO' is already defined in ap.yaml")


def test_module_defined_in_two_files(tmp_path):
    text = "# General ledger, again\n" + MINI_GL.replace("module: GL", "module: AP")
    err = _error(_mini(tmp_path, gl=text))
    _assert_at(err, "gl.yaml", 2, "module", "module AP is already defined in ap.yaml")


def test_lookup_defined_in_another_file_is_found(tmp_path):
    cat = load_catalog(_mini(tmp_path))
    assert cat.table("GL_LEDGERS").column("ENABLED_FLAG").lookup == "YES_NO"
    assert cat.lookups["YES_NO"].codes == {"Y": "Yes", "N": "No"}


def test_non_utf8_bytes(tmp_path):
    data = MINI_AP.encode().replace(b"Invoice header.", b"Invoice header \xff.")
    offset = data.index(b"\xff")
    err = _error(_mini(tmp_path, ap=data))
    line = data[:offset].count(b"\n") + 1
    _assert_at(err, "ap.yaml", line, None, f"not valid UTF-8 (byte {offset})")


def test_nul_byte(tmp_path):
    text = _edit(MINI_AP, "Invoice header.", "Invoice header\x00.")
    err = _error(_mini(tmp_path, ap=text))
    _assert_at(err, "ap.yaml", _line(text, "Invoice header\x00."), None, "contains a NUL byte")


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path, content):
    err = _error(_mini(tmp_path, gl=content))
    _assert_at(err, "gl.yaml", None, None, "is empty")


def test_file_that_is_not_a_mapping(tmp_path):
    err = _error(_mini(tmp_path, gl="- module: GL\n"))
    _assert_at(err, "gl.yaml", 1, None, "valid dictionary")


def test_no_catalog_files(tmp_path):
    (tmp_path / "catalog").mkdir()
    err = _error(tmp_path)
    assert err.path == str(tmp_path / "catalog")
    assert "no catalog files" in err.message


def test_missing_security_file(tmp_path):
    root = _mini(tmp_path)
    (root / "security.yaml").unlink()
    err = _error(root)
    _assert_at(err, "security.yaml", None, None, "cannot read")


def test_inventory_organization_of_an_unknown_operating_unit(tmp_path):
    text = MINI_SECURITY.replace("operating_unit: 204", "operating_unit: 458")
    err = _error(_mini(tmp_path, security=text))
    _assert_at(err, "security.yaml", _line(text, "operating_unit: 458"),
               "inventory_organizations[0].operating_unit", "operating unit 458 is not one of")


def test_operating_unit_listed_twice(tmp_path):
    text = MINI_SECURITY.replace("inventory_organizations:",
                                 "  - {organization_id: 204, name: Again}\ninventory_organizations:")
    err = _error(_mini(tmp_path, security=text))
    _assert_at(err, "security.yaml", _line(text, "name: Again"),
               "operating_units[1].organization_id", "organization 204 is listed twice")


def test_error_names_the_file_when_the_whole_shipped_catalog_is_loaded(tmp_path):
    root = tmp_path / "ebs"
    shutil.copytree(DEFAULT_CATALOG_DIR, root)
    path = root / "catalog" / "po.yaml"
    text = path.read_text(encoding="utf-8")
    snippet = "{name: QUANTITY_ORDERED, type: NUMBER,"
    path.write_text(_edit(text, snippet, "{name: QUANTITY_ORDERED, type: NUMBR,"),
                    encoding="utf-8")
    err = _error(root)
    assert Path(err.path).name == "po.yaml"
    assert err.line == _line(text, snippet)
    assert re.fullmatch(r"tables\[\d+\]\.columns\[\d+\]\.type", err.field)


# --- property: any invalid type anywhere is reported where it is -----------------------------

def _type_sites() -> list[tuple[str, int, int, str]]:
    """(file name, table index, column index, type as written) of every shipped column."""
    sites = []
    for path in sorted((DEFAULT_CATALOG_DIR / "catalog").glob("*.yaml")):
        data, _ = read_yaml(path)
        for ti, table in enumerate(data["tables"]):
            for ci, col in enumerate(table["columns"]):
                sites.append((path.name, ti, ci, col["type"]))
    return sites


def _is_valid_type(text: str) -> bool:
    try:
        OracleType.parse(text)
    except ValueError:
        return False
    return True


def _yaml_double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar, escaping anything not printable ASCII."""
    out = []
    for ch in text:
        out.append(ch if " " <= ch <= "~" and ch not in '"\\' else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _near_misses(original: str) -> st.SearchStrategy[str]:
    """One-character edits of a valid type: the typos people actually make."""
    alphabet = "ABCDEGHIMNRTUV2(),0123456789 "
    pos = st.integers(0, len(original))
    return st.one_of(
        st.builds(lambda i, c: original[:i] + c + original[i:], pos, st.sampled_from(alphabet)),
        st.builds(lambda i: original[:i] + original[i + 1:], pos),
        st.builds(lambda i, c: original[:i] + c + original[i + 1:], pos,
                  st.sampled_from(alphabet)),
    )


SITES = _type_sites()


@functools.cache
def _shipped(file: str) -> tuple[str, dict]:
    """The text of a shipped module file and its line map."""
    path = DEFAULT_CATALOG_DIR / "catalog" / file
    return path.read_text(encoding="utf-8"), read_yaml(path)[1]


@st.composite
def _damaged_type(draw):
    site = draw(st.sampled_from(SITES))
    bad = draw(st.one_of(
        _near_misses(site[3]),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
        st.sampled_from(["NUMBR(15)", "VARCHAR2", "DATE(7)", "VARCHAR2(4,1)", "NUMBER(40)",
                         "INTEGER", "NUMBER(15", "VARCHAR2(30))"]),
    ).filter(lambda t: not _is_valid_type(t)))
    return site, bad


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("catalog_property")
    shutil.copy(DEFAULT_CATALOG_DIR / "security.yaml", root / "security.yaml")
    (root / "catalog").mkdir()
    return root


@settings(max_examples=40, deadline=None)
@given(case=_damaged_type())
def test_any_invalid_column_type_is_reported_at_its_file_and_line(scratch, case):
    (file, ti, ci, original), bad = case
    text, lines = _shipped(file)
    line = lines[("tables", ti, "columns", ci, "type")]
    rows = text.splitlines(keepends=True)
    old = f"type: {original}"
    assert rows[line - 1].count(old) == 1, rows[line - 1]
    rows[line - 1] = rows[line - 1].replace(old, f"type: {_yaml_double_quoted(bad)}")
    # Only the damaged module is loaded: per-file validation stops there, and loading the
    # full catalog for every example would make this test slow without testing more.
    for stale in (scratch / "catalog").glob("*.yaml"):
        stale.unlink()
    (scratch / "catalog" / file).write_text("".join(rows), encoding="utf-8")
    err = _error(scratch)
    assert Path(err.path).name == file
    assert err.line == line
    assert err.field == f"tables[{ti}].columns[{ci}].type"
    assert str(err).startswith(f"{err.path}:{line}: tables[{ti}].columns[{ci}].type: ")

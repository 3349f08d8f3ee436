"""The embedded data facts (contract 6, docs/contracts.md) hold on every instance of the test suite."""

from __future__ import annotations

import pytest

from harness.datagen.nvl_labels import recipe_customer_codes
from harness.datagen.recipe import load_recipe
from harness.datagen.sparse_coverage import missing_codes
from harness.datagen.tables_ar import closed_pairs
from tests.datagen import facts

INSTANCES = range(load_recipe().k)


def _ok(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("i", INSTANCES)
def test_every_foreign_key_resolves(connections, catalog, i):
    _ok(facts.integrity(connections[i], catalog))


@pytest.mark.parametrize("i", INSTANCES)
def test_organizations_and_striping(connections, catalog, recipe, i):
    _ok(facts.organizations(connections[i], catalog, recipe))


@pytest.mark.parametrize("i", INSTANCES)
def test_every_lookup_code_in_every_operating_unit(connections, catalog, recipe, i):
    # but for the (unit, code) pairs a sparse instance empties or recodes, the type of
    # documents it retyped, and any code of whole documents it deleted (sparse_coverage.py)
    emptied = missing_codes(catalog, recipe, i)
    # and with the codes customers added to extensible lookups (nvl_labels.py)
    _ok(facts.lookup_codes(connections[i], catalog, emptied,
                           recipe_customer_codes(catalog, recipe)))


@pytest.mark.parametrize("i", INSTANCES)
def test_no_empty_strings(connections, catalog, i):
    _ok(facts.no_empty_strings(connections[i], catalog))


@pytest.mark.parametrize("i", INSTANCES)
def test_id_kinds_are_disjoint(connections, catalog, recipe, i):
    _ok(facts.disjoint_ids(connections[i], catalog, recipe))


@pytest.mark.parametrize("i", INSTANCES)
def test_calendar_edges_and_times_of_day(connections, catalog, recipe, i):
    # instances beyond the span hold documents outside it, on the golds' days only
    beyond = (facts.gold_days(catalog, recipe) if i in recipe.targeted.beyond_span
              else None)
    _ok(facts.calendar(connections[i], catalog, recipe, beyond))


@pytest.mark.parametrize("i", INSTANCES)
def test_general_ledger(connections, recipe, i):
    _ok(facts.general_ledger(connections[i], recipe))


@pytest.mark.parametrize("i", INSTANCES)
def test_receivables(connections, catalog, recipe, i):
    # but for the classes a unit closed on a sparse instance (tables_ar.closed_pairs)
    units = [ou.organization_id for ou in catalog.security.operating_units]
    _ok(facts.receivables(connections[i], catalog,
                          frozenset(closed_pairs(recipe, i, units))))


@pytest.mark.parametrize("i", INSTANCES)
def test_payables(connections, catalog, i):
    _ok(facts.payables(connections[i], catalog))


@pytest.mark.parametrize("i", INSTANCES)
def test_date_tracked_people(connections, recipe, i):
    _ok(facts.people(connections[i], recipe))


@pytest.mark.parametrize("i", INSTANCES)
def test_nulls_in_every_nullable_column(connections, catalog, recipe, i):
    con = connections[i]
    missing = facts.nulls_expected(con, catalog, recipe) - facts.null_columns(con, catalog)
    assert not missing, f"nullable columns without a NULL: {sorted(missing)}"


def test_schema_follows_the_catalog(connections, catalog):
    _ok(facts.schema(connections[0], catalog))


def test_every_catalog_table_has_rows(connections, catalog):
    empty = [t for t in catalog.tables
             if not facts.one(connections[0], f"SELECT COUNT(*) FROM {t}")]
    assert not empty


def test_instances_differ(connections):
    """Another seed gives other row counts and values, so luck on one instance fails on
    another."""
    sql = ("SELECT COUNT(*), SUM(INVOICE_AMOUNT), MIN(INVOICE_ID), "
           "(SELECT COUNT(*) FROM GL_JE_LINES) FROM AP_INVOICES_ALL")
    shapes = [con.execute(sql).fetchone() for con in connections]
    assert len(set(shapes)) == len(shapes)
    names = [con.execute("SELECT list(VENDOR_NAME ORDER BY VENDOR_ID) FROM AP_SUPPLIERS"
                         ).fetchone()[0] for con in connections]
    assert len({tuple(n) for n in names}) == len(names)

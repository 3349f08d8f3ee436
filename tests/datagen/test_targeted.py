"""Targeted rows: the constants golds compare columns with, and the rows placed on them."""

from __future__ import annotations

import datetime as dt

import pytest

from harness.datagen.targeted import (
    Target,
    block_targets,
    entity_targets,
    gold_targets,
    targets_of,
)


def test_constants_resolve_through_aliases_wrappers_and_between(catalog):
    sql = ("SELECT a.ACCOUNT_NUMBER FROM HZ_CUST_ACCOUNTS a JOIN HZ_PARTIES p "
           "ON p.PARTY_ID = a.PARTY_ID WHERE a.ACCOUNT_ESTABLISHED_DATE >= "
           "TO_DATE('2024-01-01', 'YYYY-MM-DD') AND a.ACCOUNT_ESTABLISHED_DATE < DATE '2025-01-01'"
           " AND 3 < a.CUST_ACCOUNT_ID AND p.PARTY_NUMBER IN ('7', '8')")
    found = targets_of(sql, catalog)
    assert Target("HZ_CUST_ACCOUNTS", "ACCOUNT_ESTABLISHED_DATE", dt.date(2024, 1, 1)) in found
    assert Target("HZ_CUST_ACCOUNTS", "ACCOUNT_ESTABLISHED_DATE", dt.date(2025, 1, 1)) in found
    assert Target("HZ_CUST_ACCOUNTS", "CUST_ACCOUNT_ID", 3.0) in found  # constant on the left
    # a quoted number is no date and no number: not a target
    assert not [t for t in found if t.table == "HZ_PARTIES"]


def test_between_and_unqualified_columns(catalog):
    sql = ("SELECT COUNT(*) FROM PO_HEADERS_ALL WHERE CREATION_DATE BETWEEN "
           "DATE '2024-03-01' AND DATE '2024-03-31' AND REVISION_NUM > 2")
    assert targets_of(sql, catalog) == {
        Target("PO_HEADERS_ALL", "CREATION_DATE", dt.date(2024, 3, 1)),
        Target("PO_HEADERS_ALL", "CREATION_DATE", dt.date(2024, 3, 31)),
        Target("PO_HEADERS_ALL", "REVISION_NUM", 2.0)}


def test_unparsable_gold_has_no_targets(catalog):
    assert targets_of("SELEC nothing", catalog) == set()


def test_shipped_golds_have_date_targets(catalog, recipe):
    targets = gold_targets(recipe.targeted.paths(), catalog)
    assert Target("PER_ALL_PEOPLE_F", "ORIGINAL_DATE_OF_HIRE", dt.date(2023, 1, 1)) in targets


@pytest.mark.parametrize("day", [dt.date(2023, 12, 31), dt.date(2024, 1, 1),
                                 dt.date(2024, 1, 2)])
def test_rows_on_below_and_above_a_gold_date_in_every_instance(connections, day):
    # hz-002 compares ACCOUNT_ESTABLISHED_DATE with 2024-01-01: `>` vs `>=` and ±1 day
    for con in connections:
        k = con.execute("SELECT COUNT(*) FROM HZ_CUST_ACCOUNTS WHERE "
                        "ACCOUNT_ESTABLISHED_DATE = ?", [day]).fetchone()[0]
        assert k >= 1


def test_frozen_and_key_columns_are_left_alone(connections, catalog, recipe):
    # GL journals stay inside their period (frozen), ids keep their blocks (facts), and a
    # moved start date keeps its end after it
    for con in connections:
        bad = con.execute("SELECT COUNT(*) FROM FND_USER WHERE END_DATE < START_DATE"
                          ).fetchone()[0]
        assert bad == 0
    assert "GL_JE_HEADERS.DEFAULT_EFFECTIVE_DATE" in recipe.targeted.frozen


@pytest.mark.parametrize("day", [dt.date(2024, 12, 30), dt.date(2024, 12, 31),
                                 dt.date(2025, 1, 1)])
def test_hires_and_changes_on_and_around_a_gold_as_of_date(connections, day):
    # golds ask who is there `TO_DATE('2024-12-31') BETWEEN effective_start_date AND
    # effective_end_date`: someone hired on the day (before, after) and someone whose second
    # row starts on it tell the date from its neighbours
    for con in connections:
        hired, changed = con.execute(
            "SELECT COUNT(*) FILTER (WHERE n = 1), COUNT(*) FILTER (WHERE n = 2) FROM ("
            "SELECT EFFECTIVE_START_DATE AS s, row_number() OVER (PARTITION BY PERSON_ID "
            "ORDER BY EFFECTIVE_START_DATE) AS n FROM PER_ALL_PEOPLE_F) WHERE s = ?",
            [day]).fetchone()
        assert hired >= 1
        assert changed >= 1


def test_a_row_ends_on_the_pinned_sysdate_day_and_hr_009_keeps_its_alternative(connections,
                                                                               catalog):
    # EBS effective dates are whole days, the end day included: hr-009 asks who is employed on
    # 15-JUN-2025 and writes `TRUNC(SYSDATE) BETWEEN start AND end`, its alternative `DATE
    # '2025-06-15' BETWEEN ...`. A current employee's row that ends on that day must exist in
    # some instance (else `SYSDATE BETWEEN ...`, which drops it at 10:30, survives as a wrong
    # answer judged right), and the gold and its alternative must agree on every instance.
    import json

    from harness.authoring.validate import REPO_ROOT
    from harness.backends.duckdb_backend import DuckDBPreparer

    lines = (REPO_ROOT / "fixtures" / "golden" / "ebs_core.jsonl").read_text().splitlines()
    entry = next(e for e in map(json.loads, lines) if e["id"] == "hr-009")
    preparer = DuckDBPreparer(catalog.column_types())
    gold_sql, alt_sql, untruncated_sql = (preparer.prepare(sql).sql for sql in (
        entry["sql_gold"], entry["alt_sql_gold"][0],
        entry["sql_gold"].replace("TRUNC(SYSDATE)", "SYSDATE")))
    parted = 0
    for index, con in enumerate(connections):
        gold = sorted(con.execute(gold_sql).fetchall())
        assert gold == sorted(con.execute(alt_sql).fetchall()), f"instance {index}"
        parted += gold != sorted(con.execute(untruncated_sql).fetchall())
    assert parted >= 1, "no instance tells TRUNC(SYSDATE) from SYSDATE in hr-009"


@pytest.mark.parametrize("day", [dt.date(2024, 12, 31), dt.date(2025, 1, 1)])
def test_changes_on_a_gold_day_move_the_assignment_and_rename_a_supervisor(connections, day):
    # hr-005 and hr-017 ask, as of 2024-12-31, who works where for whom: a date-tracked change
    # on the day (or the next) that kept department, job and supervisor would let the day
    # shift by one survive, and so would a supervisor whose name is the same on both days
    transfers = renames = 0
    for con in connections:
        transfers += con.execute(
            "SELECT COUNT(*) FROM PER_ALL_ASSIGNMENTS_F a JOIN PER_ALL_ASSIGNMENTS_F b "
            "ON b.ASSIGNMENT_ID = a.ASSIGNMENT_ID AND b.EFFECTIVE_END_DATE = "
            "a.EFFECTIVE_START_DATE - INTERVAL 1 DAY WHERE a.EFFECTIVE_START_DATE = ? "
            "AND a.PRIMARY_FLAG = 'Y' AND a.ORGANIZATION_ID <> b.ORGANIZATION_ID "
            "AND a.SUPERVISOR_ID IS DISTINCT FROM b.SUPERVISOR_ID", [day]).fetchone()[0]
        renames += con.execute(
            "SELECT COUNT(*) FROM PER_ALL_PEOPLE_F a JOIN PER_ALL_PEOPLE_F b "
            "ON b.PERSON_ID = a.PERSON_ID AND b.EFFECTIVE_END_DATE = "
            "a.EFFECTIVE_START_DATE - INTERVAL 1 DAY WHERE a.EFFECTIVE_START_DATE = ? "
            "AND a.FULL_NAME <> b.FULL_NAME AND a.PERSON_ID IN (SELECT SUPERVISOR_ID "
            "FROM PER_ALL_ASSIGNMENTS_F WHERE ? BETWEEN EFFECTIVE_START_DATE AND "
            "EFFECTIVE_END_DATE)", [day, day]).fetchone()[0]
    assert transfers >= 1
    assert renames >= 1


@pytest.mark.parametrize(("table", "column"), [("PO_REQUISITION_HEADERS_ALL", "APPROVED_DATE"),
                                               ("AP_INVOICES_ALL", "CANCELLED_DATE")])
def test_a_column_too_small_for_every_edge_still_gets_the_golds_days(connections, table, column):
    # po-051 (approved requisitions of 2024) and ap-057 (invoices cancelled in 2024): 80
    # requisitions, or the few cancelled invoices, hold nothing but calendar-edge rows; those
    # used to be untouchable, so no row lay on 2023-12-31 and `>= DATE '2023-12-31'` survived
    for day in (dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2024, 1, 2),
                dt.date(2024, 12, 31), dt.date(2025, 1, 1)):
        found = [con.execute(f"SELECT COUNT(*) FROM {table} WHERE CAST({column} AS DATE) = ?",
                             [day]).fetchone()[0] for con in connections]
        assert min(found) >= 1, f"{table}.{column} on {day}: {found}"


def test_contingent_workers_have_jobs_and_accounts_and_some_assignments_no_supervisor(
        connections):
    # hr-019/hr-023 join an assignment's default account or job and keep employees
    # (`assignment_type = 'E'`): with no other kind of assignment holding either, dropping
    # that filter changed nothing; hr-017 (primary assignments without a supervisor) needs
    # secondary ones without a supervisor for `primary_flag = 'Y'` to matter
    for con in connections:
        jobs, accounts, unsupervised = con.execute(
            "SELECT COUNT(JOB_ID) FILTER (WHERE ASSIGNMENT_TYPE = 'C'), "
            "COUNT(DEFAULT_CODE_COMB_ID) FILTER (WHERE ASSIGNMENT_TYPE = 'C'), "
            "COUNT(*) FILTER (WHERE PRIMARY_FLAG = 'N' AND SUPERVISOR_ID IS NULL) "
            "FROM PER_ALL_ASSIGNMENTS_F").fetchone()
        assert jobs and accounts and unsupervised


def test_block_targets_keep_the_blocks_other_conditions(catalog):
    sql = ("SELECT s.SEGMENT1 FROM AP_SUPPLIERS s WHERE EXISTS (SELECT 1 FROM AP_INVOICES_ALL i "
           "WHERE i.VENDOR_ID = s.VENDOR_ID AND i.ORG_ID = 204 AND i.INVOICE_DATE >= "
           "DATE '2025-01-01') AND s.CREATION_DATE < DATE '2024-01-01'")
    found = {(b.target.table, b.target.column, b.target.value): b.probe
             for b in block_targets(sql, catalog)}
    invoices = found[("AP_INVOICES_ALL", "INVOICE_DATE", dt.date(2025, 1, 1))]
    # the subquery's own condition stays; the one on the target column and the correlated
    # one (s is the outer query's) go
    assert "ORG_ID = 204" in invoices
    assert "INVOICE_DATE" not in invoices.split("WHERE")[1]
    assert "VENDOR_ID" not in invoices.split("WHERE")[1]
    suppliers = found[("AP_SUPPLIERS", "CREATION_DATE", dt.date(2024, 1, 1))]
    # the outer block's probe lists supplier keys and keeps the EXISTS
    assert "AS K0" in suppliers and "EXISTS" in suppliers
    assert "CREATION_DATE" not in suppliers.split("WHERE")[1]


@pytest.mark.parametrize("day", [dt.date(2024, 12, 31), dt.date(2025, 1, 1),
                                 dt.date(2025, 1, 2)])
def test_a_narrow_gold_filter_gets_rows_on_its_dates(connections, day):
    # ap-033 asks for unit 204's expense reports of 2025: random targeted rows seldom were
    # expense reports of 204, so `> DATE '2025-01-01'` and the day shifted by one survived
    found = [con.execute("SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204 AND "
                         "INVOICE_TYPE_LOOKUP_CODE = 'EXPENSE REPORT' AND INVOICE_DATE = ?",
                         [day]).fetchone()[0] for con in connections]
    assert max(found) >= 1, found


_ENTITY_GOLD = (
    "SELECT s.SEGMENT1 FROM AP_SUPPLIERS s WHERE s.ENABLED_FLAG = 'Y' "
    "AND EXISTS (SELECT 1 FROM AP_CHECKS_ALL c WHERE c.VENDOR_ID = s.VENDOR_ID "
    "AND c.CHECK_DATE >= DATE '2023-07-01') "
    "AND NOT EXISTS (SELECT 1 FROM AP_INVOICES_ALL i WHERE i.VENDOR_ID = s.VENDOR_ID "
    "AND i.ORG_ID = 458 AND i.INVOICE_DATE < DATE '2023-10-01')")


def test_entity_targets_probe_the_entities_the_rest_of_the_gold_admits(catalog):
    found = {(e.target.table, e.target.column, e.target.value): e
             for e in entity_targets(_ENTITY_GOLD, catalog)}
    assert set(found) == {("AP_CHECKS_ALL", "CHECK_DATE", dt.date(2023, 7, 1)),
                          ("AP_INVOICES_ALL", "INVOICE_DATE", dt.date(2023, 10, 1)),
                          ("AP_INVOICES_ALL", "ORG_ID", 458.0)}
    invoices = found[("AP_INVOICES_ALL", "INVOICE_DATE", dt.date(2023, 10, 1))]
    assert invoices.entity == "AP_INVOICES_ALL.VENDOR_ID"
    own, admitted = invoices.probe.split(" IN (", 1)
    # the block's rows and their entity, less the condition on the target column
    assert "AS K0" in own and "i.VENDOR_ID AS E" in own and "ORG_ID = 458" in own
    assert "INVOICE_DATE" not in own
    # entities the other conjuncts admit, holding no row of the whole block
    assert "ENABLED_FLAG = 'Y'" in admitted and admitted.count("NOT EXISTS") == 1
    assert "CHECK_DATE" in admitted and "INVOICE_DATE <" in admitted
    checks = found[("AP_CHECKS_ALL", "CHECK_DATE", dt.date(2023, 7, 1))]
    # a positive EXISTS is asked as NOT EXISTS: suppliers without a check in the range
    assert checks.probe.split(" IN (", 1)[1].count("NOT EXISTS") == 2


@pytest.mark.parametrize("sql", [
    # no correlation, two correlations, a correlation that is not an equality
    "SELECT 1 FROM AP_SUPPLIERS s WHERE EXISTS (SELECT 1 FROM AP_INVOICES_ALL i "
    "WHERE i.INVOICE_DATE >= DATE '2024-01-01')",
    "SELECT 1 FROM AP_SUPPLIERS s WHERE EXISTS (SELECT 1 FROM AP_INVOICES_ALL i WHERE "
    "i.VENDOR_ID = s.VENDOR_ID AND i.PARTY_ID = s.PARTY_ID AND i.INVOICE_DATE >= DATE '2024-01-01')",
    "SELECT 1 FROM AP_SUPPLIERS s WHERE EXISTS (SELECT 1 FROM AP_INVOICES_ALL i WHERE "
    "i.VENDOR_ID > s.VENDOR_ID AND i.INVOICE_DATE >= DATE '2024-01-01')",
])
def test_no_entity_target_without_one_correlated_equality(catalog, sql):
    assert entity_targets(sql, catalog) == set()


def test_every_date_bound_neighbour_inside_x_010s_exists_blocks_is_killed(connections,
                                                                          catalog):
    """x-010 (suppliers with an order created in 2024 and no invoice dated in 2024): its
    four bounds moved by a day or `>=` made `>` only change whether a supplier whose only
    row in a block lies on a range's edge is listed; targeted rows on random suppliers
    never made one (4 survivors before entity targets)."""
    import json
    from pathlib import Path

    from harness.authoring.mutants import SchemaFacts, neighbours
    from harness.translate.api import translate

    gold = next(json.loads(line)["sql_gold"] for line in Path(
        "fixtures/golden/ebs_core.jsonl").read_text().splitlines()
        if line.strip() and json.loads(line)["id"] == "x-010")
    types = catalog.column_types()
    bounds = [m for m in neighbours(gold, facts=SchemaFacts.from_catalog(catalog))
              if m.operator in ("constant_shifted", "comparison_boundary")]
    assert len(bounds) >= 4

    def rows(con, sql):
        return sorted(con.execute(translate(sql, schema=types).sql).fetchall())

    for mutant in bounds:
        assert any(rows(con, gold) != rows(con, mutant.sql) for con in connections), mutant.sql

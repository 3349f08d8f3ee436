"""Secondary assignments beside the golds' primary ones (tables_hr.add_secondary_assignments):
which golds are targets, and a person a primary-assignment join reads who holds a secondary
assignment too, so `primary_flag = 'Y'` dropped counts that person twice."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.datagen.probe import run_probe
from harness.datagen.tables_hr import primary_targets

# a gold the shipped set does not have: unit 204's purchase orders by their buyer's department
# (buyers are few, and the random secondary assignments miss them)
BUYERS = ("SELECT a.organization_id, COUNT(*) FROM po_headers_all r "
             "JOIN per_all_assignments_f a ON a.person_id = r.agent_id "
             "WHERE r.org_id = 204 AND {flag}"
             "DATE '2024-03-31' BETWEEN a.effective_start_date AND a.effective_end_date "
             "GROUP BY a.organization_id")


def test_a_primary_flag_on_a_joined_assignment_is_a_target(catalog):
    (target,) = primary_targets(BUYERS.format(flag="a.primary_flag = 'Y' AND "), catalog)
    assert "K2" in target.probe and "204" in target.probe and "GROUP BY" not in target.probe
    on = ("SELECT j.name FROM per_jobs j JOIN per_all_assignments_f a "
          "ON a.job_id = j.job_id AND 'Y' = a.primary_flag")
    assert len(primary_targets(on, catalog)) == 1


@pytest.mark.parametrize("sql", [
    # assignments alone: the random secondary assignments meet it already
    "SELECT COUNT(*) FROM per_all_assignments_f a WHERE a.primary_flag = 'Y'",
    # no primary flag, another flag value, another table's column
    BUYERS.format(flag=""),
    BUYERS.format(flag="a.primary_flag = 'N' AND "),
    "SELECT h.segment1 FROM po_headers_all h JOIN po_agents p ON p.agent_id = h.agent_id "
    "WHERE h.approved_flag = 'Y'",
])
def test_other_blocks_are_no_targets(catalog, sql):
    assert primary_targets(sql, catalog) == set()


@pytest.fixture(scope="module")
def held_out(instance_for_gold):
    """Instance 0 generated for a golden file holding only the BUYERS gold."""
    return instance_for_gold("held-3", BUYERS.format(flag="a.primary_flag = 'Y' AND "))


def test_dropping_the_primary_flag_counts_a_buyer_twice(catalog, held_out):
    gold = run_probe(catalog, held_out, BUYERS.format(flag="a.primary_flag = 'Y' AND "))
    dropped = run_probe(catalog, held_out, BUYERS.format(flag=""))
    assert gold is not None and not gold.empty
    assert set(gold.itertuples(index=False, name=None)) != set(
        dropped.itertuples(index=False, name=None))


def test_secondary_assignments_have_no_number_and_never_a_second_primary(held_out):
    a = pd.DataFrame(held_out["PER_ALL_ASSIGNMENTS_F"])
    assert a["ASSIGNMENT_NUMBER"][a["PRIMARY_FLAG"] == "N"].isna().all()
    assert not a.duplicated(["ASSIGNMENT_ID", "EFFECTIVE_START_DATE"]).any()
    primary = a[a["PRIMARY_FLAG"] == "Y"]
    secondary = a[a["PRIMARY_FLAG"] == "N"]
    # a secondary assignment id is never one of a primary assignment
    assert not set(secondary["ASSIGNMENT_ID"]) & set(primary["ASSIGNMENT_ID"])

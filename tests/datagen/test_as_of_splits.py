"""Versions split on the golds' as-of days (tables_hr.split_on_as_of_days): which golds are
targets, and a person an as-of join reads whose name differs on the day before, on and after
the gold's day."""

from __future__ import annotations

import pytest

from harness.datagen.probe import run_probe
from harness.datagen.tables_hr import as_of_targets

# a gold the shipped set does not have: the buyers of organization 208's items, mid-2023
BUYERS = ("SELECT ppf.full_name, COUNT(*) FROM mtl_system_items_b msi "
          "JOIN po_agents pa ON pa.agent_id = msi.buyer_id "
          "JOIN per_all_people_f ppf ON ppf.person_id = pa.agent_id "
          "WHERE msi.organization_id = 208 "
          "AND DATE '{day}' BETWEEN ppf.effective_start_date AND ppf.effective_end_date "
          "GROUP BY ppf.person_id, ppf.full_name")


def test_an_as_of_join_on_a_person_is_a_target_with_its_day(catalog):
    (target,) = as_of_targets(BUYERS.format(day="2023-07-14"), catalog)
    assert str(target.day) == "2023-07-14"
    assert "K2" in target.probe and "208" in target.probe and "GROUP BY" not in target.probe


@pytest.mark.parametrize("sql", [
    # one table: the changes on random persons meet it already
    "SELECT full_name FROM per_all_people_f p WHERE DATE '2024-01-01' "
    "BETWEEN p.effective_start_date AND p.effective_end_date",
    # not the person's own dates, no constant day, an assignment's dates
    "SELECT p.full_name FROM per_all_people_f p JOIN po_agents a ON a.agent_id = p.person_id "
    "WHERE DATE '2024-01-01' BETWEEN a.start_date_active AND a.end_date_active",
    "SELECT p.full_name FROM per_all_people_f p JOIN po_agents a ON a.agent_id = p.person_id "
    "WHERE SYSDATE BETWEEN p.effective_start_date AND p.effective_end_date",
    "SELECT p.full_name FROM per_all_people_f p JOIN per_all_assignments_f a "
    "ON a.person_id = p.person_id WHERE DATE '2024-01-01' "
    "BETWEEN a.effective_start_date AND a.effective_end_date",
])
def test_other_blocks_are_no_targets(catalog, sql):
    assert as_of_targets(sql, catalog) == set()


@pytest.fixture(scope="module")
def held_out(instance_for_gold):
    """Instance 0 generated for a golden file holding only the BUYERS gold."""
    return instance_for_gold("held-2", BUYERS.format(day="2023-07-14"))


def _names(catalog, tables, day: str) -> set[tuple]:
    rows = run_probe(catalog, tables, BUYERS.format(day=day))
    assert rows is not None and not rows.empty
    return set(rows.itertuples(index=False, name=None))


def test_the_day_moved_by_one_shows_other_names(catalog, held_out):
    on = _names(catalog, held_out, "2023-07-14")
    assert _names(catalog, held_out, "2023-07-15") != on
    assert _names(catalog, held_out, "2023-07-13") != on


def test_split_versions_stay_contiguous_with_one_current_row(held_out):
    import pandas as pd

    people = pd.DataFrame(held_out["PER_ALL_PEOPLE_F"]).sort_values(
        ["PERSON_ID", "EFFECTIVE_START_DATE"])
    following = people.groupby("PERSON_ID")["EFFECTIVE_START_DATE"].shift(-1)
    gaps = following.notna() & (following != people["EFFECTIVE_END_DATE"] + pd.Timedelta(days=1))
    assert not gaps.any()
    assert (people.groupby("PERSON_ID")["EFFECTIVE_END_DATE"].max()
            == people["EFFECTIVE_END_DATE"].max()).all()
    named = people[people["FULL_NAME"].notna()]
    first = named["FULL_NAME"].str.split(", ").str[1]
    assert (named["FULL_NAME"] == named["LAST_NAME"] + ", " + first).all()

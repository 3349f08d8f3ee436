"""ADD_MONTHS of constants as a targeted constant: `date_of_birth <= ADD_MONTHS(DATE …, -600)`
(an age on a day) gets rows on the day before, on and after, as a DATE literal does."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import Counter

import sqlglot
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.targeted import Target, _constant, targets_of


def _value(text: str):
    return _constant(sqlglot.parse_one(f"SELECT {text} FROM DUAL", read="oracle").expressions[0])


def test_oracle_keeps_the_last_day_of_a_month_and_clamps_shorter_months():
    assert _value("ADD_MONTHS(DATE '2024-12-31', -50 * 12)") == dt.date(1974, 12, 31)
    assert _value("ADD_MONTHS(DATE '2024-01-31', 1)") == dt.date(2024, 2, 29)
    assert _value("ADD_MONTHS(DATE '2023-02-28', 12)") == dt.date(2024, 2, 29)  # a month's end
    assert _value("ADD_MONTHS(DATE '2024-02-29', -12)") == dt.date(2023, 2, 28)
    assert _value("ADD_MONTHS(TO_DATE('2024-03-15', 'YYYY-MM-DD'), (2 + 1))") == dt.date(
        2024, 6, 15)
    assert _value("ADD_MONTHS(DATE '2024-03-15', 1.5)") is None  # not a whole number of months
    assert _value("ADD_MONTHS(hire_date, 12)") is None


@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
       months=st.integers(min_value=-1200, max_value=1200))
def test_the_month_moves_by_n_and_the_day_stays_unless_the_month_ends(day, months):
    got = _value(f"ADD_MONTHS(DATE '{day.isoformat()}', {months})")
    assert (got.year * 12 + got.month) - (day.year * 12 + day.month) == months
    month_end = calendar.monthrange(got.year, got.month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        assert got.day == month_end
    else:
        assert got.day == min(day.day, month_end)


def test_hr_010s_age_cut_is_a_target(catalog):
    sql = ("SELECT full_name FROM per_all_people_f ppf WHERE current_employee_flag = 'Y' "
           "AND date_of_birth <= ADD_MONTHS(DATE '2024-12-31', -50 * 12)")
    assert Target("PER_ALL_PEOPLE_F", "DATE_OF_BIRTH", dt.date(1974, 12, 31)) in targets_of(
        sql, catalog)


def test_hr_010_le_and_lt_differ_on_some_instance(connections, catalog):
    # `date_of_birth < ADD_MONTHS(…)` returned the same people everywhere: nobody was born
    # on the day fifty years before
    from harness.authoring.validate import REPO_ROOT
    from harness.backends.duckdb_backend import DuckDBPreparer

    lines = (REPO_ROOT / "fixtures" / "golden" / "ebs_core.jsonl").read_text().splitlines()
    gold = next(e for e in map(json.loads, lines) if e["id"] == "hr-010")["sql_gold"]
    assert "date_of_birth <= ADD_MONTHS" in gold
    preparer = DuckDBPreparer(catalog.column_types())
    sqls = [preparer.prepare(s).sql for s in (gold, gold.replace("<= ADD_MONTHS",
                                                                  "< ADD_MONTHS"))]
    assert any(Counter(con.execute(sqls[0]).fetchall()) != Counter(con.execute(sqls[1])
                                                                   .fetchall())
               for con in connections)

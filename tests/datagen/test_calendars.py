"""Calendars: a fiscal calendar reuses the main calendar's period names and dates with its
own years, quarters and numbers, so a join that drops PERIOD_SET_NAME double counts."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.tables_gl import _calendar_rows


@given(first_month=st.integers(1, 12), start_year=st.integers(2000, 2030),
       years=st.integers(1, 4))
def test_a_calendar_numbers_its_months_from_its_first_month(first_month, start_year, years):
    rows = _calendar_rows(first_month, start_year, start_year + years - 1)
    monthly = [r for r in rows if r[9] == "N"]
    adjusting = [r for r in rows if r[9] == "Y"]
    assert len(monthly) == 12 * years  # every month of the span once
    assert len({r[0] for r in rows}) == len(rows)  # names unique inside one calendar
    for name, start, _end, year_start, quarter_start, year, num, quarter, *_ in monthly:
        assert name == f"{start:%b-%y}".upper()
        assert num == (start.month - first_month) % 12 + 1
        assert quarter == (num - 1) // 3 + 1
        assert year_start.month == first_month and year_start <= start
        assert start < dt.date(year_start.year + 1, first_month, 1)
        assert quarter_start <= start and (start.year * 12 + start.month) - (
            quarter_start.year * 12 + quarter_start.month) < 3
        assert year == year_start.year + (first_month > 1)  # named by the year it ends in
    for _name, start, end, *_, num, quarter in [r[:8] for r in adjusting]:
        assert start == end and (end + dt.timedelta(days=1)).month == first_month
        assert (num, quarter) == (13, 4)


def test_fiscal_periods_share_names_and_dates_but_not_years():
    main = {r[0]: r for r in _calendar_rows(1, 2024, 2024)}
    fiscal = {r[0]: r for r in _calendar_rows(7, 2024, 2024)}
    assert main.keys() == fiscal.keys()  # JAN-24 .. DEC-24 and ADJ-24 in both
    assert main["JAN-24"][1:3] == fiscal["JAN-24"][1:3]
    assert (fiscal["JAN-24"][5], fiscal["JAN-24"][6]) == (2024, 7)
    assert (fiscal["JUL-24"][5], fiscal["JUL-24"][6]) == (2025, 1)
    assert main["ADJ-24"][1] == dt.date(2024, 12, 31) and fiscal["ADJ-24"][1] == dt.date(2024, 6, 30)

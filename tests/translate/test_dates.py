"""Oracle DATE semantics: arithmetic, TRUNC/ROUND, ADD_MONTHS, MONTHS_BETWEEN, LAST_DAY, ..."""

import calendar
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.translate import UnsupportedConstruct, translate

DB = duckdb.connect()
SCHEMA = {"T": {"D": "DATE", "E": "DATE", "N": "NUMBER"}}


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


ANY_DATE = st.datetimes(datetime(1990, 1, 1), datetime(2040, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
MONTH_END = st.builds(
    lambda y, m, h: datetime(y, m, _last_day(y, m), h),
    st.integers(1990, 2040), st.integers(1, 12), st.integers(0, 23),
)
# Dates on the edges the rounding and month-end rules care about.
EDGES = st.builds(
    lambda y, m, day, h, mi, sec: datetime(y, m, min(day, _last_day(y, m)), h, mi, sec),
    st.integers(1990, 2040), st.integers(1, 12), st.sampled_from([1, 15, 16, 28, 29, 30, 31]),
    st.sampled_from([0, 11, 12, 23]), st.sampled_from([0, 29, 30, 59]),
    st.sampled_from([0, 29, 30, 59]),
)
DATES = st.one_of(ANY_DATE, MONTH_END, EDGES)


def scalar(oracle_sql: str):
    return DB.execute(translate(oracle_sql, schema=SCHEMA).sql).fetchone()[0]


def lit(d: datetime) -> str:
    return f"TO_DATE('{d:%Y-%m-%d %H:%M:%S}', 'YYYY-MM-DD HH24:MI:SS')"


def is_month_end(d: datetime) -> bool:
    return d.day == _last_day(d.year, d.month)


def add_months_ref(d: datetime, n: float) -> datetime:
    """Oracle ADD_MONTHS: month ends stay month ends, too-large days clamp; n truncated."""
    months = d.year * 12 + d.month - 1 + int(n)
    year, month = divmod(months, 12)
    last = _last_day(year, month + 1)
    day = last if is_month_end(d) or d.day > last else d.day
    return d.replace(year=year, month=month + 1, day=day)


def months_between_ref(d1: datetime, d2: datetime) -> float:
    """Oracle MONTHS_BETWEEN: whole if same day or both month ends, else /31 days with time."""
    whole = (d1.year - d2.year) * 12 + d1.month - d2.month
    if d1.day == d2.day or (is_month_end(d1) and is_month_end(d2)):
        return whole

    def seconds(d: datetime) -> int:
        return d.day * 86400 + d.hour * 3600 + d.minute * 60 + d.second

    return whole + (seconds(d1) - seconds(d2)) / (31 * 86400)


def trunc_ref(d: datetime, fmt: str) -> datetime:
    day = d.replace(hour=0, minute=0, second=0)
    return {
        "DD": day,
        "MM": day.replace(day=1),
        "YYYY": day.replace(month=1, day=1),
        "Q": day.replace(month=(d.month - 1) // 3 * 3 + 1, day=1),
        "IW": day - timedelta(days=d.weekday()),
        "WW": day - timedelta(days=(d.timetuple().tm_yday - 1) % 7),
        "W": day - timedelta(days=(d.day - 1) % 7),
        "HH": d.replace(minute=0, second=0),
        "MI": d.replace(second=0),
    }[fmt]


def round_ref(d: datetime, fmt: str) -> datetime:
    """Oracle ROUND(date): day at noon, month on the 16th, year on July 1, quarter on the
    16th day of its second month, hour at :30, minute at :30 seconds."""
    start = trunc_ref(d, fmt)
    if fmt == "DD":
        return start + timedelta(days=1) if d.hour >= 12 else start
    if fmt == "MM":
        return add_months_ref(start, 1) if d.day >= 16 else start
    if fmt == "YYYY":
        return start.replace(year=d.year + 1) if d.month >= 7 else start
    if fmt == "Q":
        second_half = (d.month - 1) % 3 == 2 or ((d.month - 1) % 3 == 1 and d.day >= 16)
        return add_months_ref(start, 3) if second_half else start
    if fmt == "HH":
        return start + timedelta(hours=1) if d.minute >= 30 else start
    return start + timedelta(minutes=1) if d.second >= 30 else start


@settings(max_examples=80, deadline=None)
@given(d=DATES, n=st.one_of(st.integers(-30, 30), st.sampled_from([1.5, -1.5, 2.99, -0.5])))
def test_add_months_property(d, n):
    assert scalar(f"SELECT ADD_MONTHS({lit(d)}, {n}) FROM dual") == add_months_ref(d, n)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-02-29", 1, datetime(2024, 3, 31)),
        ("2024-01-31", 1, datetime(2024, 2, 29)),
        ("2023-01-31", 1, datetime(2023, 2, 28)),
        ("2024-03-31", -1, datetime(2024, 2, 29)),
        ("2024-04-30", 1, datetime(2024, 5, 31)),
        ("2024-01-15", 12, datetime(2025, 1, 15)),
    ],
)
def test_add_months_month_end_rule(start, months, expected):
    assert scalar(f"SELECT ADD_MONTHS(DATE '{start}', {months}) FROM dual") == expected


def test_add_months_keeps_time_of_day():
    query = f"SELECT ADD_MONTHS({lit(datetime(2024, 2, 29, 13, 5, 7))}, 1) FROM dual"
    assert scalar(query) == datetime(2024, 3, 31, 13, 5, 7)


@settings(max_examples=80, deadline=None)
@given(d1=DATES, d2=DATES)
def test_months_between_property(d1, d2):
    result = scalar(f"SELECT MONTHS_BETWEEN({lit(d1)}, {lit(d2)}) FROM dual")
    assert result == pytest.approx(months_between_ref(d1, d2), rel=1e-12, abs=1e-12)


def test_months_between_documented_examples():
    query = "SELECT MONTHS_BETWEEN(DATE '1995-02-02', DATE '1995-01-01') FROM dual"
    assert scalar(query) == pytest.approx(1.03225806, abs=1e-8)
    assert scalar("SELECT MONTHS_BETWEEN(DATE '2024-03-31', DATE '2024-02-29') FROM dual") == 1


@pytest.mark.parametrize("fmt", ["DD", "MM", "YYYY", "Q", "IW", "WW", "W", "HH", "MI"])
@settings(max_examples=30, deadline=None)
@given(d=DATES)
def test_trunc_date_property(fmt, d):
    assert scalar(f"SELECT TRUNC({lit(d)}, '{fmt}') FROM dual") == trunc_ref(d, fmt)


@pytest.mark.parametrize("fmt", ["DD", "MM", "YYYY", "Q", "HH", "MI"])
@settings(max_examples=40, deadline=None)
@given(d=DATES)
def test_round_date_property(fmt, d):
    assert scalar(f"SELECT ROUND({lit(d)}, '{fmt}') FROM dual") == round_ref(d, fmt)


def test_trunc_and_round_without_format_work_on_days():
    noon = datetime(2024, 5, 31, 12, 0, 0)
    assert scalar(f"SELECT TRUNC({lit(noon)}) FROM dual") == datetime(2024, 5, 31)
    assert scalar(f"SELECT ROUND({lit(noon)}) FROM dual") == datetime(2024, 6, 1)
    morning = noon.replace(hour=11, minute=59, second=59)
    assert scalar(f"SELECT ROUND({lit(morning)}) FROM dual") == datetime(2024, 5, 31)


def test_trunc_format_aliases_and_centuries():
    d = lit(datetime(2024, 8, 17, 9, 45))
    assert scalar(f"SELECT TRUNC({d}, 'month') FROM dual") == datetime(2024, 8, 1)
    assert scalar(f"SELECT TRUNC({d}, 'YEAR') FROM dual") == datetime(2024, 1, 1)
    assert scalar(f"SELECT TRUNC({d}, 'CC') FROM dual") == datetime(2001, 1, 1)


def test_trunc_on_nls_dependent_week_start_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT TRUNC(SYSDATE, 'D') FROM dual")


def test_trunc_of_untyped_column_needs_schema():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT TRUNC(x) FROM u")
    assert "date_trunc" in translate("SELECT TRUNC(d) FROM t", schema=SCHEMA).sql.lower()


def round_half_away_seconds(days: Decimal) -> int:
    return int((days * 86400).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@settings(max_examples=60, deadline=None)
@given(d=DATES, days=st.decimals(-400, 400, places=4))
def test_date_plus_days_property(d, days):
    expected = d + timedelta(seconds=round_half_away_seconds(days))
    assert scalar(f"SELECT {lit(d)} + {days} FROM dual") == expected
    back = d - timedelta(seconds=round_half_away_seconds(days))
    assert scalar(f"SELECT {lit(d)} - ({days}) FROM dual") == back


@settings(max_examples=60, deadline=None)
@given(d1=DATES, d2=DATES)
def test_date_minus_date_is_fractional_days(d1, d2):
    expected = (d1 - d2).total_seconds() / 86400
    assert scalar(f"SELECT {lit(d1)} - {lit(d2)} FROM dual") == pytest.approx(expected)


def test_date_arithmetic_on_typed_columns():
    DB.execute("CREATE TEMP TABLE t AS SELECT TIMESTAMP '2024-03-01 06:00:00' AS d, "
               "TIMESTAMP '2024-02-28 18:00:00' AS e, 2.25 AS n")
    try:
        row = DB.execute(translate("SELECT d - e, d - n, n + d, d + 1/24 FROM t",
                                   schema=SCHEMA).sql).fetchone()
    finally:
        DB.execute("DROP TABLE t")
    assert row == (1.5, datetime(2024, 2, 28, 0, 0), datetime(2024, 3, 3, 12, 0),
                   datetime(2024, 3, 1, 7, 0))


def test_untyped_date_subtraction_cannot_silently_become_an_interval():
    DB.execute("CREATE TEMP TABLE u AS SELECT TIMESTAMP '2024-03-01' AS a, "
               "TIMESTAMP '2024-02-01' AS b")
    try:
        with pytest.raises(duckdb.BinderException):
            DB.execute(translate("SELECT a - b FROM u").sql)
    finally:
        DB.execute("DROP TABLE u")


def test_date_literals_and_sysdate():
    assert scalar("SELECT DATE '2024-02-29' FROM dual") == datetime(2024, 2, 29)
    query = "SELECT TIMESTAMP '2024-02-29 23:59:58.5' FROM dual"
    assert scalar(query) == datetime(2024, 2, 29, 23, 59, 58, 500000)
    assert scalar("SELECT TRUNC(SYSDATE) - 1 FROM dual") == datetime(2025, 6, 14)


def test_invalid_date_literal_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT DATE '2023-02-29' FROM dual")


def test_last_day_keeps_time():
    query = f"SELECT LAST_DAY({lit(datetime(2024, 2, 10, 8, 30))}) FROM dual"
    assert scalar(query) == datetime(2024, 2, 29, 8, 30)


@pytest.mark.parametrize(
    ("weekday", "expected"),
    [("MONDAY", datetime(2024, 6, 17, 9)), ("sat", datetime(2024, 6, 15, 9)),
     ("Friday", datetime(2024, 6, 21, 9))],
)
def test_next_day_is_strictly_later(weekday, expected):
    friday = lit(datetime(2024, 6, 14, 9))
    assert scalar(f"SELECT NEXT_DAY({friday}, '{weekday}') FROM dual") == expected


def test_extract_from_dates():
    d = lit(datetime(2024, 7, 9, 22, 5))
    assert scalar(f"SELECT EXTRACT(YEAR FROM {d}) * 10000 + EXTRACT(MONTH FROM {d}) * 100 "
                  f"+ EXTRACT(DAY FROM {d}) FROM dual") == 20240709
    with pytest.raises(UnsupportedConstruct):
        translate(f"SELECT EXTRACT(HOUR FROM {d}) FROM dual")  # an error for DATE in Oracle


def test_interval_literals():
    d = "DATE '2024-01-31'"
    assert scalar(f"SELECT {d} + INTERVAL '2' HOUR FROM dual") == datetime(2024, 1, 31, 2)
    assert scalar(f"SELECT {d} - INTERVAL '1' DAY FROM dual") == datetime(2024, 1, 30)
    assert scalar(f"SELECT {d} + INTERVAL '2' MONTH FROM dual") == datetime(2024, 3, 31)
    with pytest.raises(duckdb.Error, match="ORA-01839"):
        scalar(f"SELECT {d} + INTERVAL '1' MONTH FROM dual")  # Feb 31 does not exist
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT SYSDATE + INTERVAL '100' DAY FROM dual")  # leading precision 2


def test_comparing_a_date_with_a_string_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT 1 FROM t WHERE d > '01-JAN-2024'", schema=SCHEMA)


def test_string_literal_cannot_be_read_as_a_date_by_duckdb():
    DB.execute("CREATE TEMP TABLE u AS SELECT TIMESTAMP '2024-03-01' AS a")
    try:
        with pytest.raises(duckdb.BinderException):
            DB.execute(translate("SELECT 1 FROM u WHERE a > '2024-01-01'").sql)
    finally:
        DB.execute("DROP TABLE u")

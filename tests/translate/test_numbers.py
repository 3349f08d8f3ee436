"""Numeric semantics: ROUND half away from zero, TRUNC, MOD, division, and friends."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.translate import UnsupportedConstruct, translate

DB = duckdb.connect()
DECIMALS = st.decimals(-10_000, 10_000, places=4)


def scalar(oracle_sql: str):
    return DB.execute(translate(oracle_sql).sql).fetchone()[0]


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


@settings(max_examples=80, deadline=None)
@given(value=DECIMALS, places=st.integers(-2, 3))
def test_round_is_half_away_from_zero(value, places):
    expected = value.quantize(quantum(places), rounding=ROUND_HALF_UP) if places >= 0 else (
        (value.scaleb(places)).quantize(Decimal(1), rounding=ROUND_HALF_UP).scaleb(-places)
    )
    assert Decimal(str(scalar(f"SELECT ROUND({value}, {places}) FROM dual"))) == expected


@settings(max_examples=80, deadline=None)
@given(value=DECIMALS, places=st.integers(-2, 3))
def test_trunc_is_toward_zero(value, places):
    expected = value.quantize(quantum(places), rounding=ROUND_DOWN) if places >= 0 else (
        (value.scaleb(places)).quantize(Decimal(1), rounding=ROUND_DOWN).scaleb(-places)
    )
    assert Decimal(str(scalar(f"SELECT TRUNC({value}, {places}) FROM dual"))) == expected


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("ROUND(2.5)", 3), ("ROUND(-2.5)", -3), ("ROUND(0.125, 2)", Decimal("0.13")),
        ("ROUND(1235, -1)", 1240), ("ROUND(-1235, -1)", -1240), ("ROUND(15.193, 1.9)", Decimal("15.2")),
        ("TRUNC(15.79)", 15), ("TRUNC(-15.79, 1)", Decimal("-15.7")), ("TRUNC(1599, -2)", 1500),
    ],
)
def test_round_and_trunc_examples(call, expected):
    assert scalar(f"SELECT {call} FROM dual") == expected


def test_round_of_double_ties_away_from_zero():
    assert scalar("SELECT ROUND(CAST(2.5 AS BINARY_DOUBLE)) FROM dual") == 3.0
    assert scalar("SELECT ROUND(CAST(-0.5 AS BINARY_DOUBLE)) FROM dual") == -1.0


@settings(max_examples=60, deadline=None)
@given(m=st.integers(-50, 50), n=st.integers(-7, 7))
def test_mod_takes_the_sign_of_the_dividend(m, n):
    expected = m if n == 0 else int(Decimal(m) % Decimal(n))  # Decimal % truncates like Oracle
    assert scalar(f"SELECT MOD({m}, {n}) FROM dual") == expected


def test_division_is_real_division():
    assert scalar("SELECT 7 / 2 FROM dual") == 3.5
    assert scalar("SELECT -7 / 2 FROM dual") == -3.5


def test_division_by_zero_raises_like_oracle():
    DB.execute("CREATE TEMP TABLE z AS SELECT 1 AS a, 0 AS b")
    try:
        with pytest.raises(duckdb.Error, match="ORA-01476"):
            DB.execute(translate("SELECT a / b FROM z").sql).fetchall()
    finally:
        DB.execute("DROP TABLE z")


@pytest.mark.parametrize(
    ("dividend", "divisor"),
    [("NULL", "0"), ("NULL", "b"), ("n", "b"), ("n", "0"), ("n", "NULL"), ("a", "NULL")],
)
def test_division_with_a_null_operand_is_null(dividend, divisor):
    # Any arithmetic operator with a NULL operand gives NULL, before the divisor is checked.
    DB.execute("CREATE TEMP TABLE z AS SELECT 1 AS a, 0 AS b, CAST(NULL AS INTEGER) AS n")
    try:
        schema = {"Z": {"A": "NUMBER", "B": "NUMBER", "N": "NUMBER"}}
        query = translate(f"SELECT {dividend} / {divisor} FROM z", schema=schema).sql
        assert DB.execute(query).fetchone()[0] is None
    finally:
        DB.execute("DROP TABLE z")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("ABS(-3.5)", Decimal("3.5")), ("CEIL(2.1)", 3), ("CEIL(-2.1)", -2), ("FLOOR(-2.1)", -3),
        ("SIGN(-7)", -1), ("SIGN(0)", 0), ("POWER(2, 10)", 1024), ("POWER(-2, 3)", -8),
        ("SQRT(16)", 4), ("EXP(0)", 1), ("LN(1)", 0),
    ],
)
def test_numeric_functions(call, expected):
    assert scalar(f"SELECT {call} FROM dual") == expected


@pytest.mark.parametrize("call", ["SQRT(-1)", "LN(0)", "POWER(-8, 0.5)"])
def test_out_of_range_arguments_raise(call):
    with pytest.raises(duckdb.Error, match="ORA-01428"):
        scalar(f"SELECT {call} FROM dual")


def test_arithmetic_with_strings_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT '5' + 1 FROM dual")


# --- exact NUMBER arithmetic -----------------------------------------------------------------
# Plain NUMBER columns are stored as the catalog maps them (DECIMAL(38,6)); Oracle computes
# in decimal, so sums, products and quotients of stored amounts must agree exactly.

CENTS = st.decimals(-10_000_000, 10_000_000, places=2)
EXACT_SCHEMA = {"J": {"ID": "NUMBER(5)", "DR": "NUMBER", "CR": "NUMBER"}}


def _journal(rows):
    from harness.inputs.catalog import OracleType

    storage = OracleType.parse("NUMBER").duckdb_type()
    con = DB
    con.execute(f"CREATE OR REPLACE TEMP TABLE j(id BIGINT, dr {storage}, cr {storage})")
    con.executemany("INSERT INTO j VALUES (?, ?, ?)", rows)
    return con


def _run(con, query):
    return con.execute(translate(query, schema=EXACT_SCHEMA).sql).fetchall()


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.tuples(CENTS, CENTS), min_size=1, max_size=8))
def test_sum_of_differences_and_difference_of_sums_agree(lines):
    # Make the journal balance, as Oracle sees it, then ask both ways.
    lines = [*lines, (sum(c for _, c in lines), sum(d for d, _ in lines))]
    con = _journal([(i, d, c) for i, (d, c) in enumerate(lines)])
    assert _run(con, "SELECT 'balanced' FROM j HAVING SUM(dr) = SUM(cr)") == [("balanced",)]
    assert _run(con, "SELECT 'balanced' FROM j HAVING SUM(dr - cr) = 0") == [("balanced",)]


@settings(max_examples=60, deadline=None)
@given(x=CENTS)
def test_equal_products_round_alike_as_in_oracle(x):
    con = _journal([(1, x, None)])
    expected = (x * Decimal("1.1")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _run(con, "SELECT ROUND(dr * 1.1, 2), ROUND(dr + dr * 0.1, 2) FROM j") == [
        (expected, expected)]


@settings(max_examples=60, deadline=None)
@given(a=CENTS, b=st.sampled_from(["2", "4", "5", "8", "0.5", "0.25", "1.25", "40", "-16"]))
def test_terminating_quotients_are_exact_decimals(a, b):
    con = _journal([(1, a, Decimal(b))])
    exact = a / Decimal(b)
    rounded = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _run(con, "SELECT dr / cr, ROUND(dr / cr, 2) FROM j") == [(exact, rounded)]


def test_average_is_an_exact_decimal_as_in_oracle():
    con = _journal([(1, Decimal("1.00"), 1), (2, Decimal("1.01"), 1)])
    # (1.00 + 1.01) / 2 = 1.005 exactly, which rounds up; the binary average rounds down.
    assert _run(con, "SELECT ROUND(AVG(dr), 2) FROM j") == [(Decimal("1.01"),)]
    assert _run(con, "SELECT ROUND(AVG(dr) OVER (), 2) FROM j") == [(Decimal("1.01"),)] * 2
    assert _run(con, "SELECT ROUND(SUM(dr) / COUNT(*), 2) FROM j") == [(Decimal("1.01"),)]


def test_non_terminating_quotients_keep_fifteen_significant_digits():
    con = _journal([(1, Decimal(1), Decimal(3))])
    assert _run(con, "SELECT dr / cr FROM j") == [(Decimal("0.333333333333"),)]
    # Oracle: 1/3*3 is .999..., not 1; so is the translation.
    assert _run(con, "SELECT COUNT(*) FROM j WHERE dr / cr * cr = 1") == [(0,)]


def test_median_averages_the_middle_values_exactly():
    con = _journal([(1, Decimal("1.000001"), 1), (2, Decimal("1.000002"), 1)])
    assert _run(con, "SELECT MEDIAN(dr) FROM j") == [(Decimal("1.0000015"),)]
    con = _journal([(1, Decimal("2.5"), 1), (2, Decimal("1.25"), 1), (3, Decimal("9"), 1)])
    assert _run(con, "SELECT MEDIAN(dr), MEDIAN(DISTINCT cr) FROM j") == [
        (Decimal("2.5"), Decimal("1"))]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT CASE WHEN id = 1 THEN ROUND(SUM(dr) OVER (), 2) ELSE cr END FROM j ORDER BY id",
        "SELECT DECODE(id, 1, ROUND(SUM(dr) OVER (), 2), cr) FROM j ORDER BY id",
        "SELECT NVL(CASE WHEN id = 1 THEN ROUND(SUM(dr) OVER (), 2) END, cr) FROM j ORDER BY id",
        "SELECT COALESCE(CASE WHEN id = 1 THEN CEIL(SUM(dr) OVER ()) END, cr) FROM j ORDER BY id",
        "SELECT NVL2(CASE WHEN id = 1 THEN 1 END, ROUND(SUM(dr) OVER (), 2), cr) FROM j "
        "ORDER BY id",
        "SELECT x FROM (SELECT id, ROUND(SUM(dr) OVER (), 2) AS x FROM j WHERE id = 1 "
        "UNION ALL SELECT id, cr FROM j WHERE id = 2) ORDER BY id",
        "SELECT LEAST(ROUND(SUM(dr) OVER (), 0), cr) FROM j ORDER BY id",
    ],
)
def test_choices_between_numbers_keep_every_place(query):
    # DuckDB unifies DECIMAL(38,2) with DECIMAL(38,6) as DECIMAL(38,2); Oracle keeps 1.716216.
    con = _journal([(1, Decimal("0.5"), Decimal("1.716216")),
                    (2, Decimal(1), Decimal("1.716216"))])
    assert _run(con, query)[1] == (Decimal("1.716216"),)


def test_round_to_a_computed_number_of_places_is_exact():
    con = _journal([(2, Decimal("1234.565"), 0), (1, Decimal("1.005"), 0), (0, Decimal(5), 0)])
    assert _run(con, "SELECT ROUND(dr, id), TRUNC(dr, id) FROM j ORDER BY id") == [
        (5, 5), (Decimal("1.0"), Decimal("1.0")), (Decimal("1234.57"), Decimal("1234.56"))]
    assert _run(con, "SELECT ROUND(dr, NULL) FROM j WHERE id = 0") == [(None,)]

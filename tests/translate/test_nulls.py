"""NULL semantics: '' is NULL, NVL/NVL2/DECODE/COALESCE/NULLIF, || and CONCAT, GREATEST/LEAST."""

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.translate import UnsupportedConstruct, translate

DB = duckdb.connect()
INTS = st.one_of(st.none(), st.integers(-5, 5))
WORDS = st.one_of(st.none(), st.sampled_from(["", "a", "b", "ab", "x y"]))


def scalar(oracle_sql: str, schema=None):
    return DB.execute(translate(oracle_sql, schema=schema).sql).fetchone()[0]


def sql_int(value: int | None) -> str:
    return "NULL" if value is None else f"({value})"


def sql_text(value: str | None) -> str:
    return "NULL" if value is None else f"'{value}'"


def oracle_text(value: str | None) -> str | None:
    """Oracle has no empty string: '' is NULL."""
    return value or None


def test_empty_string_literal_is_null():
    assert scalar("SELECT CASE WHEN '' IS NULL THEN 1 ELSE 0 END FROM dual") == 1


def test_comparing_with_empty_string_is_never_true():
    sql = translate("SELECT COUNT(*) FROM t WHERE a = '' OR a <> ''").sql
    DB.execute("CREATE TEMP TABLE t AS SELECT * FROM (VALUES ('x'), (NULL)) v(a)")
    try:
        assert DB.execute(sql).fetchone()[0] == 0
    finally:
        DB.execute("DROP TABLE t")


def test_length_of_empty_string_is_null():
    assert scalar("SELECT LENGTH('') FROM dual") is None


def test_concatenation_treats_null_as_empty():
    assert scalar("SELECT 'a' || NULL || 'b' FROM dual") == "ab"
    assert scalar("SELECT CONCAT('a', NULL) FROM dual") == "a"


def test_concatenation_of_only_nulls_is_null():
    assert scalar("SELECT NULL || '' FROM dual") is None


def test_concatenation_renders_numbers_as_oracle_does():
    assert scalar("SELECT 'n=' || 1.50 || '/' || 0.5 || '/' || -0.25 || '/' || 10 FROM dual") == (
        "n=1.5/.5/-.25/10"
    )


def test_concatenating_a_date_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT 'x' || SYSDATE FROM dual")


@settings(max_examples=60, deadline=None)
@given(a=WORDS, b=WORDS, c=WORDS)
def test_concatenation_property(a, b, c):
    parts = [oracle_text(v) or "" for v in (a, b, c)]
    expected = "".join(parts) or None
    assert scalar(f"SELECT {sql_text(a)} || {sql_text(b)} || {sql_text(c)} FROM dual") == expected


def test_nvl_and_nvl2():
    assert scalar("SELECT NVL(NULL, 3) FROM dual") == 3
    assert scalar("SELECT NVL('', 'dflt') FROM dual") == "dflt"
    assert scalar("SELECT NVL2(1, 'set', 'unset') FROM dual") == "set"
    assert scalar("SELECT NVL2('', 'set', 'unset') FROM dual") == "unset"


@settings(max_examples=60, deadline=None)
@given(value=INTS, search=st.lists(INTS, min_size=1, max_size=3), default=INTS)
def test_decode_matches_null_with_null(value, search, default):
    pairs = ", ".join(f"{sql_int(s)}, {i + 100}" for i, s in enumerate(search))
    query = f"SELECT DECODE({sql_int(value)}, {pairs}, {sql_int(default)}) FROM dual"
    expected = next((i + 100 for i, s in enumerate(search) if s == value), default)
    assert scalar(query) == expected


def test_decode_without_default_returns_null():
    assert scalar("SELECT DECODE(3, 1, 'one', 2, 'two') FROM dual") is None


def test_decode_with_null_first_result_returns_text():
    assert scalar("SELECT DECODE(2, 1, NULL, 2.50) FROM dual") == "2.5"


def test_coalesce_and_nullif():
    assert scalar("SELECT COALESCE(NULL, NULL, 7, 8) FROM dual") == 7
    assert scalar("SELECT NULLIF(5, 5) FROM dual") is None
    assert scalar("SELECT NULLIF(5, 6) FROM dual") == 5


def test_mixed_type_nvl_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT NVL(SYSDATE, 'none') FROM dual")


@settings(max_examples=60, deadline=None)
@given(values=st.lists(INTS, min_size=1, max_size=4))
def test_greatest_and_least_are_null_when_any_argument_is_null(values):
    args = ", ".join(sql_int(v) for v in values)
    has_null = any(v is None for v in values)
    assert scalar(f"SELECT GREATEST({args}) FROM dual") == (None if has_null else max(values))
    assert scalar(f"SELECT LEAST({args}) FROM dual") == (None if has_null else min(values))

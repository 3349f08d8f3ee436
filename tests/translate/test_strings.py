"""Character functions against Oracle's documented semantics (SUBSTR, INSTR, padding, ...)."""

import math

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.translate import UnsupportedConstruct, translate

DB = duckdb.connect()
TEXT = st.text(alphabet="abAB ", max_size=8)


def scalar(oracle_sql: str):
    return DB.execute(translate(oracle_sql).sql).fetchone()[0]


def sql_text(value: str | None) -> str:
    return "NULL" if value is None else f"'{value}'"


def substr_ref(s: str | None, position: float, length: float | None = None) -> str | None:
    """Oracle SUBSTR: 0 means 1, negative counts from the end, length < 1 gives NULL."""
    if not s:
        return None
    position = math.trunc(position)
    if length is not None:
        length = math.trunc(length)
        if length < 1:
            return None
    if position == 0:
        position = 1
    start = position - 1 if position > 0 else len(s) + position
    if start < 0:
        return None
    result = s[start:] if length is None else s[start : start + length]
    return result or None


def instr_ref(s: str | None, sub: str | None, position: int = 1, occurrence: int = 1) -> int | None:
    """Oracle INSTR: overlapping matches; a negative position searches backward from there."""
    if not s or not sub:
        return None
    if position == 0:
        return 0
    starts = [i for i in range(len(s)) if s.startswith(sub, i)]
    if position > 0:
        found = [i for i in starts if i >= position - 1]
    else:
        found = [i for i in reversed(starts) if i <= len(s) + position]
    return found[occurrence - 1] + 1 if len(found) >= occurrence else 0


@settings(max_examples=80, deadline=None)
@given(s=TEXT, position=st.integers(-10, 10), length=st.one_of(st.none(), st.integers(-2, 10)))
def test_substr_property(s, position, length):
    args = f"{sql_text(s)}, {position}" + ("" if length is None else f", {length}")
    assert scalar(f"SELECT SUBSTR({args}) FROM dual") == substr_ref(s, position, length)


def test_substr_documented_examples():
    assert scalar("SELECT SUBSTR('ABCDEFG', 3, 4) FROM dual") == "CDEF"
    assert scalar("SELECT SUBSTR('ABCDEFG', -5, 4) FROM dual") == "CDEF"
    assert scalar("SELECT SUBSTR('ABCDEFG', 0, 2) FROM dual") == "AB"
    assert scalar("SELECT SUBSTR('ABCDEFG', 2.9, 1.9) FROM dual") == "B"
    assert scalar("SELECT SUBSTR('ABC', 4) FROM dual") is None


@settings(max_examples=150, deadline=None)
@given(
    s=st.text(alphabet="ab", max_size=8),
    sub=st.sampled_from(["a", "ab", "aa", "ba", "", "b"]),
    data=st.data(),
    occurrence=st.integers(1, 3),
)
def test_instr_property(s, sub, data, occurrence):
    position = data.draw(st.integers(-len(s) - 1, len(s) + 1), label="position")
    query = f"SELECT INSTR({sql_text(s)}, {sql_text(sub)}, {position}, {occurrence}) FROM dual"
    assert scalar(query) == instr_ref(s, sub, position, occurrence)


def test_instr_documented_examples():
    assert scalar("SELECT INSTR('CORPORATE FLOOR', 'OR', 3, 2) FROM dual") == 14
    assert scalar("SELECT INSTR('CORPORATE FLOOR', 'OR', -3, 2) FROM dual") == 2
    assert scalar("SELECT INSTR('CORPORATE FLOOR', 'OR') FROM dual") == 2
    assert scalar("SELECT INSTR('aaa', 'aa', 1, 2) FROM dual") == 2


def test_instr_occurrence_below_one_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT INSTR('abc', 'b', 1, 0) FROM dual")


def test_length_upper_lower_initcap():
    assert scalar("SELECT LENGTH('héllo') FROM dual") == 5
    assert scalar("SELECT UPPER('abc') || LOWER('DEF') FROM dual") == "ABCdef"
    assert scalar("SELECT INITCAP('the SOAP-opera of o''neil 9am') FROM dual") == (
        "The Soap-Opera Of O'Neil 9am"
    )
    assert scalar("SELECT LENGTH(12.50) FROM dual") == 4  # the number's text is '12.5'


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("LPAD('abc', 6, 'xy')", "xyxabc"),
        ("LPAD('abcdef', 3)", "abc"),
        ("RPAD('abc', 5)", "abc  "),
        ("RPAD('abc', 0)", None),
        ("LPAD('abc', -1, 'x')", None),
        ("LPAD('abc', 5, '')", None),
        ("TRIM('  x  ')", "x"),
        ("TRIM('   ')", None),
        ("TRIM(LEADING 'x' FROM 'xxaxx')", "axx"),
        ("TRIM(TRAILING 'x' FROM 'xxaxx')", "xxa"),
        ("LTRIM('xyxabc', 'xy')", "abc"),
        ("RTRIM('abcxyx', 'xy')", "abc"),
        ("RTRIM('xxx', 'x')", None),
        ("REPLACE('banana', 'an')", "ba"),
        ("REPLACE('banana', 'an', NULL)", "ba"),
        ("REPLACE('banana', 'an', 'AN')", "bANANa"),
        ("REPLACE('banana', NULL, 'x')", "banana"),
        ("REPLACE('aa', 'a', '')", None),
        ("TRANSLATE('a-b-c', '-b', '+')", "a++c"),
        ("CHR(65) || CHR(97)", "Aa"),
        ("ASCII('A')", 65),
    ],
)
def test_character_functions(call, expected):
    assert scalar(f"SELECT {call} FROM dual") == expected


def test_trim_of_several_characters_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT TRIM('xy' FROM 'xyaxy') FROM dual")


def test_chr_above_ascii_raises_at_run_time():
    with pytest.raises(duckdb.Error, match="character set"):
        scalar("SELECT CHR(200) FROM dual")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("REGEXP_REPLACE('(555) 123-4567', '[^0-9]', '')", "5551234567"),
        ("REGEXP_REPLACE('a  b   c', ' +', ' ')", "a b c"),
        ("REGEXP_REPLACE('abc', '[a-c]')", None),
        ("REGEXP_SUBSTR('invoice 4711 of 12', '[0-9]+')", "4711"),
        ("REGEXP_SUBSTR('no digits', '[0-9]+')", None),
        ("CASE WHEN REGEXP_LIKE('ABC', '^a', 'i') THEN 1 ELSE 0 END", 1),
        ("CASE WHEN REGEXP_LIKE('ABC', '^a') THEN 1 ELSE 0 END", 0),
        ("CASE WHEN REGEXP_LIKE('ab12', '^[[:alpha:]]+[[:digit:]]+$') THEN 1 ELSE 0 END", 1),
    ],
)
def test_regular_expressions(call, expected):
    assert scalar(f"SELECT {call} FROM dual") == expected


@pytest.mark.parametrize(
    "call",
    [
        "REGEXP_SUBSTR('ab', 'a|ab')",  # alternation: leftmost-longest vs leftmost-first
        "REGEXP_REPLACE('aab', 'a*b?', 'x')",  # can match the empty string
        "REGEXP_REPLACE('aab', 'a+a', 'x')",  # variable length before another atom
        "REGEXP_REPLACE('aa', '(a)\\1', 'x')",  # back-reference
        "REGEXP_INSTR('abc', 'b')",
        "REGEXP_SUBSTR('abc', 'b', 1, 2)",
    ],
)
def test_unfaithful_regular_expressions_are_refused(call):
    with pytest.raises(UnsupportedConstruct):
        translate(f"SELECT {call} FROM dual")

"""Negated and quantified predicates, executed on DuckDB against the rows Oracle returns.

Every form of negation Oracle has (``NOT LIKE``, ``NOT BETWEEN``, ``NOT IN``, ``IS NOT NULL``,
``NOT EXISTS``, ``NOT REGEXP_LIKE``, ``<> ALL``, ``!= ANY``, ``^=``) and every quantified
comparison (``op ANY/SOME/ALL`` over a list or a subquery, empty and with NULLs) is walked
over one small table whose rows hold NULLs, wildcard characters and ties. The expected ids
follow the SQL Language Reference's definitions (three-valued logic: a row is returned only
when the condition is TRUE).
"""

import re

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.translate import UnsupportedConstruct, translate

SCHEMA = {
    "T": {"ID": "NUMBER(5)", "NAME": "VARCHAR2(10)", "AMT": "NUMBER(10,2)"},
    "U": {"V": "NUMBER(10,2)"},
    "UN": {"V": "NUMBER(10,2)"},
    "E": {"V": "NUMBER(10,2)"},
}
ROWS = [(1, "Tri_State", 10), (2, "TriXState", 20), (3, None, 30), (4, "abc", None),
        (5, "a%c", 10)]
ALL_IDS = {1, 2, 3, 4, 5}


@pytest.fixture(scope="module")
def db():
    con = duckdb.connect()
    con.execute("CREATE TABLE t(id BIGINT, name VARCHAR, amt DECIMAL(10,2))")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", ROWS)
    con.execute("CREATE TABLE u(v DECIMAL(10,2)); INSERT INTO u VALUES (10), (30)")
    con.execute("CREATE TABLE un(v DECIMAL(10,2)); INSERT INTO un VALUES (10), (NULL)")
    con.execute("CREATE TABLE e(v DECIMAL(10,2))")
    yield con
    con.close()


def ids(db, condition: str) -> set[int]:
    sql = translate(f"SELECT id FROM t WHERE {condition}", schema=SCHEMA).sql
    return {row[0] for row in db.execute(sql).fetchall()}


NEGATED = [
    ("name NOT LIKE 'Tri%'", {4, 5}),
    ("name NOT LIKE 'Tri\\_%' ESCAPE '\\'", {2, 4, 5}),
    ("name NOT LIKE 'a!%c' ESCAPE '!'", {1, 2, 4}),
    ("name NOT LIKE '%'", set()),
    ("NOT name LIKE 'a%'", {1, 2}),
    ("NOT (name LIKE 'a%')", {1, 2}),
    ("amt NOT BETWEEN 10 AND 20", {3}),
    ("amt NOT IN (10, 20)", {3}),
    ("amt NOT IN (10, NULL)", set()),
    ("name NOT IN ('abc')", {1, 2, 5}),
    ("amt NOT IN (SELECT v FROM u)", {2}),
    ("amt NOT IN (SELECT v FROM un)", set()),
    ("amt NOT IN (SELECT v FROM e)", ALL_IDS),
    ("name IS NOT NULL", {1, 2, 4, 5}),
    ("amt IS NOT NULL", {1, 2, 3, 5}),
    ("NOT EXISTS (SELECT 1 FROM u WHERE u.v = t.amt)", {2, 4}),
    ("NOT REGEXP_LIKE(name, '^Tri')", {4, 5}),
    ("amt <> ALL (SELECT v FROM u)", {2}),
    ("amt != ALL (SELECT v FROM un)", set()),
    ("amt ^= ALL (10, 20)", {3}),
    ("amt != ANY (10, 20)", {1, 2, 3, 5}),
    ("amt ^= 10", {2, 3}),
    ("amt != 10", {2, 3}),
    ("NOT (amt = ANY (SELECT v FROM u))", {2}),
    ("NOT amt >= 20", {1, 5}),
]

QUANTIFIED = [
    ("amt = ANY (SELECT v FROM u)", {1, 3, 5}),
    ("amt = SOME (SELECT v FROM u)", {1, 3, 5}),
    ("amt > SOME (SELECT v FROM u)", {2, 3}),
    ("amt >= ALL (SELECT v FROM u)", {3}),
    ("amt >= ALL (SELECT v FROM un)", set()),
    ("amt <= ANY (SELECT v FROM un)", {1, 5}),
    # Over no rows ALL is TRUE (even for a NULL left side) and ANY is FALSE.
    ("amt > ALL (SELECT v FROM e)", ALL_IDS),
    ("amt < ANY (SELECT v FROM e)", set()),
    ("amt = ANY (10, 30)", {1, 3, 5}),
    ("amt = SOME (10, 30)", {1, 3, 5}),
    ("amt < ALL (20, 30)", {1, 5}),
    ("amt < ALL (20, NULL)", set()),
    ("amt > ANY (20, NULL)", {3}),
    ("amt = ANY (10)", {1, 5}),
    ("name = ANY ('abc', 'a%c')", {4, 5}),
]


@pytest.mark.parametrize(("condition", "expected"), NEGATED)
def test_negated_predicates_return_the_rows_oracle_returns(db, condition, expected):
    assert ids(db, condition) == expected


@pytest.mark.parametrize(("condition", "expected"), QUANTIFIED)
def test_quantified_comparisons_return_the_rows_oracle_returns(db, condition, expected):
    assert ids(db, condition) == expected


@pytest.mark.parametrize(
    "condition",
    ["amt = ANY (SELECT v, v FROM u)", "(id, amt) = ANY (SELECT v, v FROM u)",
     "amt = ALL ()", "amt = ANY (SYSDATE)", "name = ALL (SELECT SYSDATE FROM dual)"],
)
def test_quantified_comparisons_oracle_rejects_are_refused(condition):
    with pytest.raises(UnsupportedConstruct):
        translate(f"SELECT id FROM t WHERE {condition}", schema=SCHEMA)


def _oracle_like(value: str, pattern: str) -> bool:
    """Oracle LIKE on non-NULL text: ``_`` one character, ``%`` any run, no escape."""
    regex = "".join(
        "." if c == "_" else ".*" if c == "%" else re.escape(c) for c in pattern
    )
    return re.fullmatch(regex, value, re.S) is not None


_SCRATCH = duckdb.connect()


@settings(max_examples=60)
@given(
    values=st.lists(st.one_of(st.none(), st.text("ab_%", min_size=1, max_size=4)),
                    min_size=1, max_size=6),
    pattern=st.text("ab_%", min_size=1, max_size=4),
)
def test_not_like_is_the_complement_of_like_among_non_null_values(values, pattern):
    con = _SCRATCH
    con.execute("CREATE OR REPLACE TABLE t(id BIGINT, name VARCHAR, amt DECIMAL(10,2))")
    con.executemany("INSERT INTO t VALUES (?, ?, NULL)", list(enumerate(values)))
    literal = pattern.replace("'", "''")
    like = ids(con, f"name LIKE '{literal}'")
    not_like = ids(con, f"name NOT LIKE '{literal}'")
    present = {i for i, v in enumerate(values) if v is not None}
    assert like == {i for i in present if _oracle_like(values[i], pattern)}
    assert not_like == present - like


_OPS = {"=": lambda a, b: a == b, "<>": lambda a, b: a != b, "!=": lambda a, b: a != b,
        "^=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _quantified_reference(left, op, quantifier, members):
    """Three-valued ANY/SOME/ALL as the SQL Language Reference defines them."""
    results = [None if left is None or m is None else _OPS[op](left, m) for m in members]
    if quantifier in ("ANY", "SOME"):
        return True if True in results else (None if None in results else False)
    return False if False in results else (None if None in results else True)


_MEMBER = st.one_of(st.none(), st.integers(-3, 3))


@settings(max_examples=150)
@given(left=_MEMBER, op=st.sampled_from(sorted(_OPS)),
       quantifier=st.sampled_from(["ANY", "SOME", "ALL"]),
       members=st.lists(_MEMBER, max_size=4))
def test_quantified_comparison_property(left, op, quantifier, members):
    con = _SCRATCH
    con.execute("CREATE OR REPLACE TABLE t(id BIGINT, name VARCHAR, amt DECIMAL(10,2))")
    con.execute("INSERT INTO t VALUES (1, NULL, ?)", [left])
    con.execute("CREATE OR REPLACE TABLE u(v DECIMAL(10,2))")
    if members:
        con.executemany("INSERT INTO u VALUES (?)", [[m] for m in members])
    expected = _quantified_reference(left, op, quantifier, members)
    forms = [f"amt {op} {quantifier} (SELECT v FROM u)"]
    if members:
        listed = ", ".join("NULL" if m is None else str(m) for m in members)
        forms.append(f"amt {op} {quantifier} ({listed})")
    for form in forms:
        query = f"SELECT CASE WHEN {form} THEN 1 WHEN NOT ({form}) THEN 0 END FROM t"
        got = con.execute(translate(query, schema=SCHEMA).sql).fetchone()[0]
        assert got == (None if expected is None else int(expected)), form


# Oracle converts a character value compared with a number to a number ("Data Type Comparison
# Rules"); DuckDB refuses a DECIMAL against a VARCHAR, so such literals are read as numbers.
NUMBER_TEXT = [
    ("amt > '15'", {2, 3}),
    ("amt = '10.00'", {1, 5}),
    ("'20' = amt", {2}),
    ("amt BETWEEN '10' AND '20'", {1, 2, 5}),
    ("amt IN ('10', '30')", {1, 3, 5}),
    ("amt NOT IN ('10', 30)", {2}),
    ("amt > ANY ('25', '5')", {1, 2, 3, 5}),
    ("amt >= ALL ('10', '-1.5')", {1, 2, 3, 5}),
    ("id = '3'", {3}),
]


@pytest.mark.parametrize(("condition", "expected"), NUMBER_TEXT)
def test_number_text_compared_with_a_number_is_read_as_that_number(db, condition, expected):
    assert ids(db, condition) == expected


def test_number_text_compared_with_text_stays_text(db):
    # Both sides are character values: no conversion, a byte-wise string comparison.
    assert ids(db, "name = '10'") == set()
    assert ids(db, "name > '1'") == {1, 2, 4, 5}

"""ROWNUM (assigned while WHERE accepts rows, before ORDER BY) and FETCH FIRST / OFFSET."""

import duckdb
import pytest

from harness.translate import UnsupportedConstruct, translate

SCHEMA = {"INV": {"ID": "NUMBER", "AMOUNT": "NUMBER", "VENDOR": "VARCHAR2(10)"}}
DATA = [(1, 50.0, "a"), (2, 70.0, "b"), (3, 10.0, "a"), (4, None, "c"), (5, 30.0, "b")]


@pytest.fixture(scope="module")
def db():
    con = duckdb.connect()
    con.execute("CREATE TABLE inv(id BIGINT, amount DOUBLE, vendor VARCHAR)")
    con.executemany("INSERT INTO inv VALUES (?, ?, ?)", DATA)
    yield con
    con.close()


def run(db, query):
    translation = translate(query, schema=SCHEMA)
    return translation, db.execute(translation.sql).fetchall()


@pytest.mark.parametrize(
    ("condition", "count"),
    [
        ("ROWNUM <= 3", 3), ("ROWNUM < 3", 2), ("3 >= ROWNUM", 3), ("ROWNUM = 1", 1),
        ("ROWNUM <= 2.5", 2), ("ROWNUM < 2.5", 2), ("ROWNUM <= 0", 0), ("ROWNUM BETWEEN 1 AND 4", 4),
        ("ROWNUM = 2", 0), ("ROWNUM > 1", 0), ("ROWNUM >= 2", 0), ("ROWNUM > 0", 5),
        ("ROWNUM >= 1", 5), ("ROWNUM BETWEEN 2 AND 4", 0), ("ROWNUM <> 3", 2), ("ROWNUM != 1", 0),
    ],
)
def test_rownum_conditions_keep_oracle_row_counts(db, condition, count):
    _, result = run(db, f"SELECT id FROM inv WHERE {condition}")
    assert len(result) == count


def test_arbitrary_first_rows_are_marked_nondeterministic(db):
    translation, result = run(db, "SELECT id FROM inv WHERE vendor = 'b' AND ROWNUM <= 1")
    assert translation.deterministic is False
    assert result[0][0] in (2, 5)


def test_rownum_limit_applies_before_order_by(db):
    translation, result = run(db, "SELECT id FROM inv WHERE ROWNUM <= 2 ORDER BY amount DESC")
    assert translation.ordered is True
    assert "LIMIT 2) AS" in translation.sql  # the limit is inside, the ORDER BY outside
    assert len(result) == 2


def test_rownum_limit_applies_before_aggregation(db):
    _, result = run(db, "SELECT COUNT(*) FROM inv WHERE ROWNUM > 1")
    assert result == [(0,)]
    _, result = run(db, "SELECT COUNT(*), COUNT(DISTINCT vendor) FROM inv WHERE ROWNUM <= 3")
    assert result[0][0] == 3


def test_top_n_over_an_ordered_inline_view(db):
    query = "SELECT * FROM (SELECT id, amount FROM inv ORDER BY amount DESC) WHERE ROWNUM <= 3"
    translation, result = run(db, query)
    assert translation.ordered is True and translation.deterministic is True
    # Oracle sorts NULLs last ascending, hence first descending.
    assert result == [(4, None), (2, 70.0), (1, 50.0)]


def test_top_n_by_select_alias_and_position(db):
    query = ("SELECT vendor, total FROM (SELECT vendor, SUM(amount) total FROM inv "
             "GROUP BY vendor ORDER BY total DESC NULLS LAST) WHERE ROWNUM <= 2")
    assert run(db, query)[1] == [("b", 100.0), ("a", 60.0)]
    query = ("SELECT * FROM (SELECT vendor, SUM(amount) FROM inv GROUP BY vendor "
             "ORDER BY 2) WHERE ROWNUM = 1")
    assert run(db, query)[1] == [("a", 60.0)]


def test_filter_outside_an_ordered_view_applies_before_rownum(db):
    query = ("SELECT id FROM (SELECT id, vendor FROM inv ORDER BY id DESC) "
             "WHERE vendor <> 'b' AND ROWNUM <= 2")
    assert run(db, query)[1] == [(4,), (3,)]


def test_rownum_numbers_an_ordered_view(db):
    query = "SELECT ROWNUM rn, id FROM (SELECT id FROM inv ORDER BY amount) WHERE ROWNUM <= 3"
    assert run(db, query)[1] == [(1, 3), (2, 5), (3, 1)]


def test_pagination_idiom(db):
    query = ("SELECT id FROM (SELECT a.*, ROWNUM rn FROM (SELECT id FROM inv ORDER BY id) a "
             "WHERE ROWNUM <= 4) WHERE rn > 2")
    assert sorted(run(db, query)[1]) == [(3,), (4,)]


def test_star_does_not_show_helper_columns(db):
    query = "SELECT * FROM (SELECT id FROM inv ORDER BY id) WHERE ROWNUM <= 1"
    translation, result = run(db, query)
    assert result == [(1,)]
    assert len(db.execute(translation.sql).description) == 1


def test_rownum_in_exists_is_deterministic(db):
    query = ("SELECT id FROM inv o WHERE EXISTS (SELECT 1 FROM inv i WHERE i.vendor = o.vendor "
             "AND i.id <> o.id AND ROWNUM = 1)")
    translation, result = run(db, query)
    assert translation.deterministic is True
    assert sorted(result) == [(1,), (2,), (3,), (5,)]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ROWNUM, id FROM inv",  # numbering over rows in no defined order
        "SELECT id FROM inv ORDER BY ROWNUM",
        "SELECT id FROM inv WHERE ROWNUM <= 2 OR id = 5",
        "SELECT id FROM inv WHERE ROWNUM <= id",
        "SELECT id FROM inv WHERE ROWNUM <= 2 FETCH FIRST 1 ROWS ONLY",
        "SELECT a.id FROM inv a, inv b WHERE ROWNUM <= 2 ORDER BY a.id",
    ],
)
def test_unsupported_rownum_uses_are_refused(query):
    with pytest.raises(UnsupportedConstruct):
        translate(query, schema=SCHEMA)


def test_fetch_first_and_offset(db):
    translation, result = run(db, "SELECT id FROM inv ORDER BY id OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY")
    assert result == [(2,), (3,)]
    assert translation.deterministic is True
    _, result = run(db, "SELECT id FROM inv ORDER BY id DESC FETCH FIRST ROW ONLY")
    assert result == [(5,)]


def test_fetch_without_order_is_nondeterministic(db):
    translation, _ = run(db, "SELECT id FROM inv FETCH FIRST 2 ROWS ONLY")
    assert translation.deterministic is False


@pytest.mark.parametrize(
    "query",
    [
        "SELECT id FROM inv ORDER BY amount FETCH FIRST 2 ROWS WITH TIES",
        "SELECT id FROM inv ORDER BY amount FETCH FIRST 10 PERCENT ROWS ONLY",
        "SELECT id FROM inv ORDER BY amount LIMIT 2",
    ],
)
def test_fetch_variants_without_faithful_translation_are_refused(query):
    with pytest.raises(UnsupportedConstruct):
        translate(query)

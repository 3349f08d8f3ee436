"""CONNECT BY as a recursive CTE: one row per path, LEVEL, SYS_CONNECT_BY_PATH, loops."""

import duckdb
import pytest

from harness.translate import UnsupportedConstruct, translate

SCHEMA = {"EMP": {"ID": "NUMBER", "MGR": "NUMBER", "NAME": "VARCHAR2(10)"}}
# king ─┬─ jones ── scott ── adams
#       └─ blake           ; solo stands alone.
EMPLOYEES = [(1, None, "king"), (2, 1, "jones"), (3, 1, "blake"), (4, 2, "scott"),
             (5, 4, "adams"), (6, None, "solo")]


@pytest.fixture(scope="module")
def db():
    con = duckdb.connect()
    con.execute("CREATE TABLE emp(id BIGINT, mgr BIGINT, name VARCHAR)")
    con.executemany("INSERT INTO emp VALUES (?, ?, ?)", EMPLOYEES)
    con.execute("CREATE TABLE edges AS SELECT * FROM (VALUES (1, 2), (1, 3), (2, 4), (3, 4)) "
                "v(parent, child)")
    con.execute("CREATE TABLE loop AS SELECT * FROM (VALUES (1, 2), (2, 1)) v(id, mgr)")
    yield con
    con.close()


def run(db, query, schema=SCHEMA):
    return db.execute(translate(query, schema=schema).sql).fetchall()


def test_levels_and_paths_from_roots(db):
    query = ("SELECT name, LEVEL, SYS_CONNECT_BY_PATH(name, '/') FROM emp "
             "START WITH mgr IS NULL CONNECT BY PRIOR id = mgr ORDER BY 3")
    assert run(db, query) == [
        ("king", 1, "/king"), ("blake", 2, "/king/blake"), ("jones", 2, "/king/jones"),
        ("scott", 3, "/king/jones/scott"), ("adams", 4, "/king/jones/scott/adams"),
        ("solo", 1, "/solo"),
    ]


def test_without_start_with_every_row_is_a_root(db):
    assert run(db, "SELECT COUNT(*) FROM emp CONNECT BY PRIOR id = mgr") == [(13,)]


def test_rows_reached_by_two_paths_appear_twice(db):
    query = ("SELECT child, LEVEL FROM edges START WITH parent = 1 "
             "CONNECT BY PRIOR child = parent ORDER BY 1, 2")
    schema = {"EDGES": {"PARENT": "NUMBER", "CHILD": "NUMBER"}}
    assert run(db, query, schema) == [(2, 1), (3, 1), (4, 2), (4, 2)]


def test_level_limit_in_connect_by_and_root(db):
    query = ("SELECT e.name, CONNECT_BY_ROOT e.name FROM emp e START WITH e.id = 2 "
             "CONNECT BY PRIOR e.id = e.mgr AND LEVEL <= 2 ORDER BY 1")
    assert run(db, query) == [("jones", "jones"), ("scott", "jones")]


def test_where_filters_after_the_hierarchy_is_built(db):
    query = ("SELECT name FROM emp WHERE name <> 'scott' START WITH id = 2 "
             "CONNECT BY PRIOR id = mgr ORDER BY 1")
    assert run(db, query) == [("adams",), ("jones",)]


def test_star_shows_only_table_columns(db):
    sql = translate("SELECT * FROM emp START WITH id = 5 CONNECT BY PRIOR id = mgr",
                    schema=SCHEMA).sql
    assert db.execute(sql).fetchall() == [(5, 4, "adams")]


def test_a_loop_in_the_data_raises_like_oracle(db):
    query = "SELECT id FROM loop START WITH id = 1 CONNECT BY PRIOR id = mgr"
    with pytest.raises(duckdb.Error, match="ORA-01436"):
        run(db, query, {"LOOP": {"ID": "NUMBER", "MGR": "NUMBER"}})


def test_dual_row_generator(db):
    query = ("SELECT LEVEL, ADD_MONTHS(DATE '2024-01-31', LEVEL - 1) FROM dual "
             "CONNECT BY LEVEL <= 3 ORDER BY 1")
    assert [row[1].day for row in run(db, query)] == [31, 29, 31]
    assert run(db, "SELECT COUNT(*) FROM dual CONNECT BY LEVEL < 5") == [(4,)]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT id FROM emp START WITH mgr IS NULL CONNECT BY NOCYCLE PRIOR id = mgr",
        "SELECT id FROM emp START WITH mgr IS NULL CONNECT BY PRIOR id = mgr ORDER SIBLINGS BY id",
        "SELECT PRIOR name FROM emp START WITH mgr IS NULL CONNECT BY PRIOR id = mgr",
        "SELECT CONNECT_BY_ISLEAF FROM emp START WITH mgr IS NULL CONNECT BY PRIOR id = mgr",
        "SELECT id FROM emp START WITH mgr IS NULL CONNECT BY PRIOR id = mgr OR id = 1",
        "SELECT e.id FROM emp e, emp f START WITH e.mgr IS NULL CONNECT BY PRIOR e.id = e.mgr",
        "SELECT id FROM emp WHERE ROWNUM < 3 START WITH mgr IS NULL CONNECT BY PRIOR id = mgr",
        "SELECT LEVEL FROM dual CONNECT BY LEVEL <= id",
        "SELECT LEVEL FROM dual START WITH 1 = 1 CONNECT BY LEVEL <= 3",
    ],
)
def test_unsupported_hierarchical_forms_are_refused(query):
    with pytest.raises(UnsupportedConstruct):
        translate(query, schema=SCHEMA)

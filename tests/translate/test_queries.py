"""Query-level semantics: set operations, NULL ordering, analytics, LISTAGG, DUAL, WITH, ..."""

from decimal import Decimal

import duckdb
import pytest

from harness.translate import UnsupportedConstruct, translate

SCHEMA = {"T": {"ID": "NUMBER", "GRP": "VARCHAR2(5)", "AMOUNT": "NUMBER", "NAME": "VARCHAR2(10)"}}
DATA = [(1, "a", 10.0, "x"), (2, "a", None, "y"), (3, "b", 5.0, None), (4, "b", 5.0, "z"),
        (5, "c", 7.0, "x")]


@pytest.fixture(scope="module")
def db():
    con = duckdb.connect()
    con.execute("CREATE TABLE t(id BIGINT, grp VARCHAR, amount DOUBLE, name VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", DATA)
    yield con
    con.close()


def run(db, query):
    return db.execute(translate(query, schema=SCHEMA).sql).fetchall()


def test_minus_is_a_set_difference_with_duplicates_removed(db):
    assert sorted(run(db, "SELECT grp FROM t MINUS SELECT 'c' FROM dual")) == [("a",), ("b",)]


def test_union_intersect_and_union_all(db):
    assert len(run(db, "SELECT grp FROM t UNION SELECT grp FROM t")) == 3
    assert len(run(db, "SELECT grp FROM t UNION ALL SELECT grp FROM t")) == 10
    assert run(db, "SELECT grp FROM t INTERSECT SELECT 'b' FROM dual") == [("b",)]


def test_set_operators_are_evaluated_left_to_right(db):
    # Oracle gives INTERSECT no precedence over UNION: (a UNION b) INTERSECT c.
    query = "SELECT 'a' FROM dual UNION SELECT 'b' FROM dual INTERSECT SELECT 'b' FROM dual"
    assert run(db, query) == [("b",)]


def test_compound_query_order_by(db):
    query = "SELECT id FROM t WHERE id < 3 UNION SELECT id FROM t WHERE id > 3 ORDER BY 1 DESC"
    assert run(db, query) == [(5,), (4,), (2,), (1,)]


def test_nulls_sort_last_ascending_and_first_descending(db):
    assert [r[0] for r in run(db, "SELECT amount FROM t ORDER BY amount")][-1] is None
    assert run(db, "SELECT amount FROM t ORDER BY amount DESC")[0][0] is None
    assert run(db, "SELECT amount FROM t ORDER BY amount DESC NULLS LAST")[-1][0] is None
    assert run(db, "SELECT amount FROM t ORDER BY amount NULLS FIRST")[0][0] is None


def test_analytic_functions_pass_through_with_oracle_null_order(db):
    query = ("SELECT id, ROW_NUMBER() OVER (ORDER BY amount DESC), "
             "RANK() OVER (PARTITION BY grp ORDER BY amount), "
             "SUM(amount) OVER (PARTITION BY grp), "
             "LAG(amount, 1, 0) OVER (ORDER BY id) FROM t ORDER BY id")
    assert run(db, query) == [
        (1, 2, 1, 10.0, 0.0), (2, 1, 2, 10.0, 10.0), (3, 4, 1, 10.0, None),
        (4, 5, 1, 10.0, 5.0), (5, 3, 1, 7.0, 5.0),
    ]


def test_aggregates(db):
    query = ("SELECT COUNT(*), COUNT(amount), COUNT(DISTINCT grp), SUM(amount), MIN(name), "
             "MAX(amount) FROM t")
    assert run(db, query) == [(5, 4, 3, 27.0, "x", 10.0)]


def test_stddev_of_one_value_is_zero_as_in_oracle(db):
    assert run(db, "SELECT STDDEV(amount), VARIANCE(amount) FROM t WHERE id = 1") == [(0, 0)]
    assert run(db, "SELECT STDDEV_SAMP(amount) FROM t WHERE id = 1") == [(None,)]


def test_listagg_within_group(db):
    query = ("SELECT grp, LISTAGG(name, ', ') WITHIN GROUP (ORDER BY name DESC) FROM t "
             "GROUP BY grp ORDER BY grp")
    assert run(db, query) == [("a", "y, x"), ("b", "z"), ("c", "x")]


def test_listagg_on_overflow_error_is_the_default(db):
    query = ("SELECT LISTAGG(grp, '-' ON OVERFLOW ERROR) WITHIN GROUP (ORDER BY id) FROM t "
             "WHERE id < 4")
    assert run(db, query) == [("a-a-b",)]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT LISTAGG(name, ',' ON OVERFLOW TRUNCATE '...') WITHIN GROUP (ORDER BY name) FROM t",
        "SELECT LISTAGG(name, ',') FROM t",  # element order would be arbitrary
    ],
)
def test_listagg_variants_are_refused(query):
    with pytest.raises(UnsupportedConstruct):
        translate(query)


def test_dual_and_with(db):
    assert run(db, "SELECT 1 + 1 FROM dual") == [(2,)]
    query = "WITH g AS (SELECT grp, COUNT(*) n FROM t GROUP BY grp) SELECT grp FROM g WHERE n = 2"
    assert sorted(run(db, query)) == [("a",), ("b",)]


def test_subqueries_in_where_and_select(db):
    query = ("SELECT id, (SELECT MAX(amount) FROM t i WHERE i.grp = o.grp) FROM t o "
             "WHERE o.amount > ANY (SELECT amount FROM t WHERE grp = 'b') AND id IN (1, 5) "
             "ORDER BY id")
    assert run(db, query) == [(1, 10.0), (5, 7.0)]
    assert run(db, "SELECT id FROM t WHERE amount = ANY (5, 7) ORDER BY id") == [(3,), (4,), (5,)]


def test_case_and_string_comparison(db):
    query = ("SELECT id FROM t WHERE CASE grp WHEN 'a' THEN 1 ELSE 0 END = 1 "
             "AND name >= 'x' ORDER BY id")
    assert run(db, query) == [(1,), (2,)]


def test_grouping_rollup(db):
    query = "SELECT grp, COUNT(*) FROM t GROUP BY ROLLUP (grp) ORDER BY grp"
    assert run(db, query)[-1] == (None, 5)


def test_group_by_expression_matching_the_select_list(db):
    query = "SELECT SUBSTR(name, 1, 1), COUNT(*) FROM t GROUP BY SUBSTR(name, 1, 1) ORDER BY 1"
    assert run(db, query) == [("x", 2), ("y", 1), ("z", 1), (None, 1)]


GROUPS = [("a", 2), ("b", 2), ("c", 1)]
GROUPS_AND_TOTAL = [*GROUPS, (None, 5)]


@pytest.mark.parametrize(
    ("select", "grouping", "expected"),
    [
        ("COUNT(*)", "()", [(5,)]),
        ("COUNT(*)", "(), ()", [(5,)]),
        ("COUNT(*)", "GROUPING SETS (())", [(5,)]),
        ("grp, COUNT(*)", "GROUPING SETS ((grp), ())", GROUPS_AND_TOTAL),
        ("grp, COUNT(*)", "ROLLUP (grp)", GROUPS_AND_TOTAL),
        ("grp, COUNT(*)", "CUBE (grp)", GROUPS_AND_TOTAL),
        ("grp, COUNT(*)", "grp, ()", GROUPS),
    ],
)
def test_group_by_returns_one_row_per_group_and_none_over_no_rows(db, select, grouping, expected):
    # Oracle 19c SELECT, group_by_clause: one result row for each group, so no grand total
    # over an empty input (DuckDB returns one for (), ROLLUP, CUBE and GROUPING SETS).
    assert run(db, f"SELECT {select} FROM t GROUP BY {grouping} ORDER BY 1") == expected
    assert run(db, f"SELECT {select} FROM t WHERE id > 99 GROUP BY {grouping}") == []


def test_aggregates_without_group_by_return_one_row_over_no_rows(db):
    assert run(db, "SELECT COUNT(*), SUM(amount) FROM t WHERE id > 99") == [(0, None)]


def test_having_is_kept_beside_the_no_empty_group_condition(db):
    query = ("SELECT grp, COUNT(*) FROM t {} GROUP BY ROLLUP (grp) "
             "HAVING COUNT(*) = 0 OR SUM(amount) > 20")
    assert run(db, query.format("")) == [(None, 5)]
    assert run(db, query.format("WHERE id > 99")) == []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT grp, COUNT(*) FROM t GROUP BY 1",  # Oracle groups by the constant 1
        "SELECT amount * 2 AS doubled FROM t WHERE doubled > 4",  # alias not visible in WHERE
        "SELECT grp g, COUNT(*) FROM t GROUP BY g",
        "SELECT id = 1 FROM t",  # conditions are not values in Oracle
        "SELECT id FROM t WHERE id",
        "SELECT TRUE FROM dual",
        "SELECT id FROM t WHERE name ILIKE 'x'",
        "SELECT 1",
        "SELECT id FROM t FOR UPDATE",
        "SELECT id FROM t SAMPLE (10)",
        "SELECT * FROM t PIVOT (SUM(amount) FOR grp IN ('a' AS a))",
        "SELECT id FROM t ORDER SIBLINGS BY id",
        "WITH r (n) AS (SELECT 1 FROM dual UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT n FROM r",
        "SELECT SUM(amount) KEEP (DENSE_RANK FIRST ORDER BY id) FROM t",
        "SELECT RATIO_TO_REPORT(amount) OVER () FROM t",
        "SELECT id FROM t WHERE id = :bind",
        "SELECT 'a ' FROM dual WHERE 'a ' = 'a'",  # blank-padded CHAR comparison
        "SELECT CASE WHEN id = 1 THEN 1 ELSE '2' END FROM t",  # ORA-00932
        "SELECT id FROM t UNION SELECT name FROM t",  # ORA-01790
    ],
)
def test_unsupported_query_constructs_are_refused(query):
    with pytest.raises(UnsupportedConstruct):
        translate(query, schema=SCHEMA)


def test_quoted_identifiers_that_oracle_reads_case_sensitively_are_refused(db):
    with pytest.raises(UnsupportedConstruct):
        translate('SELECT "id" FROM t')
    with pytest.raises(UnsupportedConstruct):
        translate('SELECT id FROM "t"')
    query = 'SELECT id AS "Key", "ID" FROM t ORDER BY "Key" DESC'
    assert run(db, query)[0] == (5, 5)


def test_schema_prefix_is_dropped(db):
    assert len(run(db, "SELECT id FROM apps.t")) == 5


def test_joins_in_ansi_syntax(db):
    query = ("SELECT a.id, b.id, c.grp FROM t a LEFT JOIN t b ON b.id = a.id + 10 "
             "INNER JOIN t c ON c.id = a.id WHERE a.id = 1")
    assert run(db, query) == [(1, None, "a")]
    query = "SELECT id, b.grp FROM t a JOIN t b USING (id) WHERE id = 2"
    assert run(db, query) == [(2, "a")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Inner aggregates per group (a: 10, b: 10, c: 7), then aggregated again into one row.
        ("SELECT MAX(SUM(amount)) FROM t GROUP BY grp", [(10.0,)]),
        # Top-level aggregates are all over the groups: AVG of the group counts (2, 2, 1),
        # the largest group key, the number of groups.
        ("SELECT AVG(COUNT(*)), MAX(grp), COUNT(*), MIN(MAX(amount)) - 1 FROM t GROUP BY grp",
         [(Decimal("1.666666666667"), "c", 3, 4.0)]),
        ("SELECT SUM(COUNT(DISTINCT name)) FROM t GROUP BY grp HAVING COUNT(*) > 1", [(3,)]),
        ("SELECT COUNT(DISTINCT MAX(amount)) FROM t GROUP BY grp", [(3,)]),
        ("WITH v AS (SELECT * FROM t) SELECT MAX(SUM(amount)) FROM v GROUP BY grp", [(10.0,)]),
        ("SELECT MAX(SUM(amount)) FROM t WHERE id > 99 GROUP BY grp", [(None,)]),
    ],
)
def test_nested_aggregates_aggregate_the_groups_again(db, query, expected):
    assert run(db, query) == expected


@pytest.mark.parametrize(
    "query",
    ["SELECT MAX(SUM(amount)) FROM t",  # ORA-00978: nesting needs GROUP BY
     "SELECT grp, MAX(SUM(amount)) FROM t GROUP BY grp",  # ORA-00979
     "SELECT MAX(SUM(amount)) FROM t GROUP BY grp ORDER BY 1",
     "SELECT grp FROM t GROUP BY grp HAVING SUM(amount) = MAX(MIN(amount))"],
)
def test_nested_aggregates_outside_the_rewrite_are_refused_not_left_to_the_binder(query):
    with pytest.raises(UnsupportedConstruct, match="nested aggregate|outside the nested"):
        translate(query, schema=SCHEMA)


def test_aggregate_inside_an_analytic_function_is_not_nested(db):
    query = ("SELECT grp, SUM(SUM(amount)) OVER (ORDER BY grp) FROM t GROUP BY grp "
             "ORDER BY grp")
    assert run(db, query) == [("a", 10.0), ("b", 20.0), ("c", 27.0)]


def test_aggregate_of_a_subquery_with_aggregates_is_not_nested(db):
    query = "SELECT MAX((SELECT SUM(amount) FROM t)) FROM dual"
    assert run(db, query) == [(27.0,)]

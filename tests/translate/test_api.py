"""The public API: Translation fields, input forms, parse errors, pinned SYSDATE."""

from datetime import datetime

import duckdb
import pytest
import sqlglot
from sqlglot.errors import ParseError

from harness.translate import PINNED_SYSDATE, Translation, UnsupportedConstruct, translate

DB = duckdb.connect()


def test_translation_is_frozen_with_sql_and_ordered():
    result = translate("SELECT 1 AS x FROM dual ORDER BY 1")
    assert isinstance(result, Translation)
    assert result.ordered is True
    assert result.deterministic is True
    with pytest.raises(AttributeError):
        result.sql = "x"  # type: ignore[misc]


def test_unordered_top_level_query_is_not_ordered():
    assert translate("SELECT * FROM (SELECT 1 AS x FROM dual ORDER BY 1)").ordered is False


def test_pinned_sysdate_is_the_documented_instant():
    assert datetime(2025, 6, 15, 10, 30, 0) == PINNED_SYSDATE
    assert DB.execute(translate("SELECT SYSDATE FROM dual").sql).fetchone()[0] == PINNED_SYSDATE


def test_sysdate_can_be_overridden():
    moment = datetime(2024, 2, 29, 23, 59, 59)
    sql = translate("SELECT SYSDATE, CURRENT_DATE, SYSTIMESTAMP FROM dual", sysdate=moment).sql
    assert DB.execute(sql).fetchone() == (moment, moment, moment)


def test_parse_errors_propagate():
    with pytest.raises(ParseError):
        translate("SELECT FROM WHERE")


def test_non_oracle_cast_shorthand_is_a_parse_error():
    with pytest.raises(ParseError):
        translate("SELECT a::int FROM t")


def test_parsed_tree_is_accepted_and_left_unchanged():
    tree = sqlglot.parse_one(
        "SELECT NVL(a, 'x') FROM t WHERE d >= DATE '2024-01-01' "
        "AND ts < TIMESTAMP '2024-01-02 10:00:00'",
        read="oracle",
    )
    before = repr(tree)
    from_tree = translate(tree)
    assert repr(tree) == before
    assert from_tree == translate(
        "SELECT NVL(a, 'x') FROM t WHERE d >= DATE '2024-01-01' "
        "AND ts < TIMESTAMP '2024-01-02 10:00:00'"
    )


def test_parsed_tree_with_limit_is_refused():
    with pytest.raises(UnsupportedConstruct):
        translate(sqlglot.parse_one("SELECT a FROM t LIMIT 1", read="oracle"))


def test_unsupported_construct_names_construct_and_reason():
    with pytest.raises(UnsupportedConstruct) as caught:
        translate("SELECT SYS_CONTEXT('USERENV', 'LANG') FROM dual")
    assert caught.value.construct == "function SYS_CONTEXT"
    assert caught.value.reason


def test_hints_are_dropped():
    sql = translate("SELECT /*+ INDEX(t t_n1) */ 1 AS x FROM dual").sql
    assert "INDEX" not in sql
    assert DB.execute(sql).fetchall() == [(1,)]


def test_schema_resolves_ambiguous_date_arithmetic():
    query = "SELECT d - x FROM t"
    with pytest.raises(UnsupportedConstruct):
        translate("SELECT SYSDATE - x FROM t")
    typed = translate(query, schema={"T": {"D": "DATE", "X": "DATE"}})
    assert "EPOCH" in typed.sql

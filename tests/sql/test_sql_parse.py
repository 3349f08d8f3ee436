"""Tests of harness.sql.parse: strict Oracle parsing, terminators, and sqlglot's fallbacks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlglot import exp

from harness.sql.parse import SqlParseError, parse_oracle, parse_single, split_statements


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 FROM dual",
        "SELECT 1 FROM dual;",
        "  SELECT 1 FROM dual ;  \n",
        "SELECT 1 FROM dual\n/",
        "SELECT 1 FROM dual;\n/\n",
        "SELECT 1 FROM dual\n/ -- run it\n",
        "SELECT 1 FROM dual;;",
        "-- leading comment\nSELECT 1 /* inline */ FROM dual -- trailing",
        "SELECT 1 FROM dual; -- trailing comment after the terminator",
    ],
)
def test_terminators_and_comments_give_one_statement(sql):
    statement = parse_single(sql)
    assert isinstance(statement, exp.Select)
    assert statement.sql("oracle", comments=False) == "SELECT 1 FROM dual"


@pytest.mark.parametrize("sql", ["", "   \n\t", "-- only a comment", "/* block */", ";", "\n/\n"])
def test_input_without_a_statement_raises(sql):
    with pytest.raises(SqlParseError, match="no SQL statement"):
        parse_oracle(sql)


def test_syntax_error_message_names_line_and_column():
    with pytest.raises(SqlParseError, match=r"line 2, col \d+") as raised:
        parse_oracle("SELECT vendor_name\nFROM ap_suppliers WHERE x = 1 garbage")
    assert "garbage" in str(raised.value)


def test_unterminated_string_raises():
    with pytest.raises(SqlParseError, match="tokenize"):
        parse_oracle("SELECT 'abc FROM dual")


@pytest.mark.parametrize(
    "sql",
    [
        "EXECUTE IMMEDIATE 'DROP TABLE x'",
        "CALL do_it()",
        "ALTER SESSION SET nls_date_format = 'YYYY'",
        "RENAME a TO b",
        "EXPLAIN PLAN FOR SELECT 1 FROM dual",
    ],
)
def test_sqlglot_command_fallback_is_a_parse_failure(sql):
    with pytest.raises(SqlParseError, match="unsupported statement"):
        parse_oracle(sql)


@pytest.mark.parametrize("sql", ["EXEC proc", "SAVEPOINT before_change", "CHECKPOINT", "1 + 1"])
def test_non_query_statement_is_refused_whatever_sqlglot_makes_of_it(sql):
    # sqlglot versions differ in what they build for these (a bare expression in 30.30, a
    # Command fallback for SAVEPOINT in 30.31); the behaviour that matters is the refusal.
    with pytest.raises(SqlParseError, match="not a SQL statement|unsupported statement"):
        parse_oracle(sql)


def test_expression_without_statement_is_not_a_statement():
    with pytest.raises(SqlParseError, match="not a SQL statement"):
        parse_oracle("1 + 1")


def test_several_statements_are_all_returned():
    statements = parse_oracle("SELECT 1 FROM dual; DELETE FROM t;\nSELECT 2 FROM dual\n/\n")
    assert [type(s) for s in statements] == [exp.Select, exp.Delete, exp.Select]


def test_parse_single_counts_statements():
    with pytest.raises(SqlParseError, match="expected one statement, found 2"):
        parse_single("SELECT 1 FROM dual; SELECT 2 FROM dual")


def test_slash_inside_an_expression_is_division():
    statement = parse_single("SELECT 6 / 2 FROM dual")
    assert isinstance(statement.expressions[0], exp.Div)


def test_slash_inside_a_string_is_kept():
    statement = parse_single("SELECT 'a\n/\nb' FROM dual")
    assert statement.expressions[0].name == "a\n/\nb"


def test_parenthesised_query_and_set_operations_parse():
    assert isinstance(parse_single("(SELECT 1 FROM dual)"), exp.Subquery)
    assert isinstance(parse_single("SELECT 1 FROM dual MINUS SELECT 2 FROM dual"), exp.Except)


def test_oracle_idioms_parse():
    for sql in [
        "SELECT * FROM a, b WHERE a.id = b.id(+)",
        "SELECT LEVEL FROM dual CONNECT BY LEVEL <= 3",
        "SELECT LISTAGG(x, ',') WITHIN GROUP (ORDER BY x) FROM t",
        "SELECT q'[it's]' FROM dual",
        "SELECT * FROM t WHERE ROWNUM <= 10",
        "SELECT * FROM t WHERE a = :bind",
    ]:
        parse_single(sql)


def test_split_statements_ignores_separators_inside_strings_and_comments():
    groups = split_statements("SELECT ';' FROM dual -- ; not here\n; SELECT 2 FROM dual")
    assert len(groups) == 2
    assert [token.text for token in groups[0]] == ["SELECT", ";", "FROM", "dual"]


@given(st.text(max_size=200))
def test_parse_oracle_either_parses_or_raises_sql_parse_error(text):
    try:
        statements = parse_oracle(text)
    except SqlParseError:
        return
    assert statements and all(not isinstance(s, exp.Command) for s in statements)


@pytest.mark.parametrize(
    "sql",
    [
        # A model's runaway answer: sqlglot reads `, 'Y'` as a join with a table named Y.
        "SELECT COUNT(*) FROM po_line_locations_all WHERE org_id = 'Y', 'Y'",
        "SELECT 1 AS 'one' FROM dual",
        "SELECT x.a FROM 'ap_invoices_all' x",
    ],
)
def test_a_string_literal_where_a_name_goes_is_a_parse_error(sql):
    with pytest.raises(SqlParseError, match="string literal .* where a name is expected"):
        parse_oracle(sql)


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "A"."B" AS "One" FROM "AP_INVOICES_ALL" "A" WHERE "A"."B" = \'Y\'',
        "SELECT 'Y' AS flag, q'[it's]' AS s FROM dual WHERE 'a' = 'a'",
    ],
)
def test_quoted_names_and_string_values_still_parse(sql):
    assert isinstance(parse_single(sql), exp.Select)


@pytest.mark.parametrize("sql", ["SELECT COUNT(*) AS row_flag",
                                 "SELECT a FROM t WHERE a IN (SELECT 1)",
                                 "SELECT 1 FROM dual UNION SELECT 2"])
def test_select_without_from_is_a_parse_error(sql):
    with pytest.raises(SqlParseError, match="SELECT without FROM"):
        parse_oracle(sql)

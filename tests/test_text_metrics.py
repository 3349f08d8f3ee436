"""Tests of harness.scoring.text_metrics: SQL normalisation, exact match, ROUGE-L and BLEU."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from harness.scoring.text_metrics import (
    _lcs_length,
    bleu,
    exact_match,
    exact_match_any,
    normalize_sql,
    rouge_l,
    sql_tokens,
)
from harness.sql.parsed import ParsedSql

# ---------------------------------------------------------------- generated SQL

KEYWORDS = ["select", "from", "where", "and", "or", "order by", "group by", "is null", "as"]


@st.composite
def queries(draw) -> str:
    """Small Oracle queries over EBS-like names, in lower case with single spaces."""
    columns = draw(
        st.lists(
            st.sampled_from(["invoice_id", "vendor_id", "amount_paid", "a.org_id", "count(*)"]),
            min_size=1,
            max_size=3,
        )
    )
    table = draw(st.sampled_from(["ap_invoices_all a", "po_headers_all a", "dual a"]))
    sql = f"select {', '.join(columns)} from {table}"
    if draw(st.booleans()):
        value = draw(st.sampled_from(["'Open'", "'APPROVED '", "204", "null", "sysdate - 30"]))
        sql += f" where a.invoice_id = {value} and a.org_id is not null"
    if draw(st.booleans()):
        sql += " order by 1"
    return sql


@st.composite
def respelled(draw, sql: str) -> str:
    """`sql` with other whitespace and other case of keywords and unquoted identifiers."""
    out = []
    in_literal = False
    for ch in sql:
        if ch == "'":
            in_literal = not in_literal
        if in_literal or ch == "'":
            out.append(ch)
        elif ch == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\n", "\t ", " \n  "])))
        else:
            out.append(ch.upper() if draw(st.booleans()) else ch)
    return (
        draw(st.sampled_from(["", " ", "\n"]))
        + "".join(out)
        + draw(st.sampled_from(["", ";", " ;\n"]))
    )


sql_text = st.one_of(queries(), st.text(alphabet="selctfrom wh'\"-*/;().,=<>aAbB12\n", max_size=40))


# ---------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(sql_text)
def test_normalize_sql_is_idempotent(sql):
    once = normalize_sql(sql)
    assert normalize_sql(once) == once


@settings(max_examples=200, deadline=None)
@given(sql_text)
def test_exact_match_is_reflexive(sql):
    assert exact_match(sql, sql)


@settings(max_examples=200, deadline=None)
@given(st.data(), queries())
def test_exact_match_ignores_whitespace_and_keyword_case(data, sql):
    assert exact_match(data.draw(respelled(sql)), sql)


@settings(max_examples=200, deadline=None)
@given(sql_text, sql_text)
def test_scores_in_unit_interval_and_rouge_symmetric(a, b):
    assert 0.0 <= rouge_l(a, b) <= 1.0
    assert 0.0 <= bleu(a, b) <= 1.0
    assert rouge_l(a, b) == rouge_l(b, a)


@settings(max_examples=200, deadline=None)
@given(sql_text)
def test_identical_inputs_score_one(sql):
    assert rouge_l(sql, sql) == 1.0
    assert bleu(sql, sql) == 1.0


# ---------------------------------------------------------------- normalize_sql


def test_normalize_sql_canonical_form():
    sql = "select a.invoice_num inv, sum(amount) -- total\nfrom ap_invoices_all a where x = 'Open';"
    assert normalize_sql(sql) == (
        "SELECT A.INVOICE_NUM AS INV, SUM(AMOUNT) FROM AP_INVOICES_ALL A WHERE X = 'Open'"
    )


def test_literals_and_quoted_identifiers_keep_their_case():
    assert not exact_match("select 1 from t where s = 'open'", "select 1 from t where s = 'OPEN'")
    assert not exact_match('select "Name" from t', "select name from t")
    assert exact_match('select "NAME" from t', 'SELECT "NAME" FROM T')


def test_optional_as_is_normalised_but_aliases_are_not_dropped():
    assert exact_match("select amount a from t", "select amount as a from t")
    assert not exact_match("select amount a from t", "select amount from t")
    assert not exact_match("select t.amount from t", "select amount from t")


def test_unparseable_text_falls_back_to_token_normalisation():
    assert normalize_sql("select  from WHERE 'Abc' -- x") == "SELECT FROM WHERE 'Abc'"
    assert normalize_sql("select 'unterminated") == "SELECT 'unterminated"
    assert exact_match("select from\nwhere;", "SELECT FROM WHERE")
    # A comment left open at the end: the rest parses, and prints as parsed SQL.
    assert normalize_sql("select a x from t /* open") == "SELECT A AS X FROM T"


@pytest.mark.parametrize(
    "sql",
    [
        "0%0%0",  # sqlglot prints MOD(MOD(0, 0), 0), then reprints it with more parentheses
        ':"0"',  # sqlglot prints :0, which it cannot read back
        "{:}",  # sqlglot fails with AttributeError, not a ParseError
        "select ΐ from t /* open",  # upper-casing ΐ gives a letter and combining marks
        "begin null; end;",  # kept by sqlglot only as a raw command
    ],
)
def test_normalize_sql_is_idempotent_where_sqlglot_printing_is_not(sql):
    once = normalize_sql(sql)
    assert normalize_sql(once) == once


def test_comment_only_text_keeps_its_comments():
    assert normalize_sql("--  UNANSWERABLE:\n") == "-- UNANSWERABLE:"
    assert not exact_match("-- UNANSWERABLE", "-- UNANSWERABLE: no such table")
    assert not exact_match("-- UNANSWERABLE", "")


# ---------------------------------------------------------------- sql_tokens


def test_sql_tokens():
    assert sql_tokens("select Name, \"Mixed\" from t where s = 'Open' -- c\n;") == [
        "SELECT", "NAME", ",", '"Mixed"', "FROM", "T", "WHERE", "S", "=", "'Open'",
    ]  # fmt: skip
    assert sql_tokens("select n'Ab', 'it''s' from dual") == [
        "SELECT", "N'Ab'", ",", "'it''s'", "FROM", "DUAL",
    ]  # fmt: skip


def test_sql_tokens_fallback_follows_the_same_rules():
    assert sql_tokens("select a /* open comment") == ["SELECT", "A"]
    assert sql_tokens("select x, 'Open") == ["SELECT", "X", ",", "'Open"]


# ---------------------------------------------------------------- hand-computed values


def test_rouge_l_by_hand():
    # SELECT A FROM T vs SELECT B FROM T: LCS = SELECT FROM T = 3, P = R = 3/4, F = 3/4.
    assert rouge_l("select a from t", "select b from t") == pytest.approx(0.75)
    # Candidate of 4 tokens inside a reference of 8: LCS = 4, P = 1, R = 1/2,
    # F = 2 * 1 * 1/2 / (1 + 1/2) = 2/3.
    assert rouge_l("select a from t", "select a from t where x = 1") == pytest.approx(2 / 3)
    assert rouge_l("select a from t", "") == 0.0
    assert rouge_l("", "") == 1.0


def test_bleu_by_hand():
    # SELECT A FROM T vs SELECT B FROM T, c = r = 4 so BP = 1.
    #   p1 = 3/4 (SELECT, FROM, T)
    #   p2 = (1 + 1)/(3 + 1) = 1/2 (FROM T matches of 3 bigrams)
    #   p3 = (0 + 1)/(2 + 1) = 1/3
    #   p4 = (0 + 1)/(1 + 1) = 1/2
    #   BLEU = (3/4 * 1/2 * 1/3 * 1/2) ** (1/4) = (1/16) ** (1/4) = 1/2
    assert bleu("select a from t", "select b from t") == pytest.approx(0.5)
    # All n-grams of the 4-token candidate occur in the 8-token reference: p1..p4 = 1
    # (smoothed (m + 1)/(m + 1) for n > 1), BP = exp(1 - 8/4) = exp(-1).
    assert bleu("select a from t", "select a from t where x = 1") == pytest.approx(math.exp(-1))
    # A longer candidate has no brevity penalty: reference SELECT A FROM T (4 tokens),
    # candidate adds WHERE X = 1: p1 = 4/8, p2 = (3+1)/(7+1), p3 = (2+1)/(6+1), p4 = (1+1)/(5+1).
    expected = ((4 / 8) * (4 / 8) * (3 / 7) * (2 / 6)) ** 0.25
    assert bleu("select a from t where x = 1", "select a from t") == pytest.approx(expected)
    # max_n = 1 is unigram precision times BP.
    assert bleu("select a from t", "select b from t", max_n=1) == pytest.approx(0.75)


def test_bleu_edge_cases():
    assert bleu("delete", "select a from t") == 0.0  # no shared token: p1 = 0
    assert bleu("", "select a from t") == 0.0
    assert bleu("", "") == 1.0
    with pytest.raises(ValueError, match="max_n"):
        bleu("a", "a", max_n=0)


# ---------------------------------------------------------------- the scorer's one reading


def _read(sql: str) -> ParsedSql:
    try:
        return ParsedSql.read(sql)
    except Exception:  # noqa: BLE001 — sqlglot's own crash ({:}): scoring stops before metrics
        assume(False)


EDGE_CASES = ["0%0%0", ':"0"', "select ΐ from t /* open", "begin null; end;",
              "select 1 from dual\n/", "--  UNANSWERABLE:\n", "select a x from t /* open"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(sql_text, st.sampled_from(EDGE_CASES)),
       st.lists(st.one_of(sql_text, st.sampled_from(EDGE_CASES)), min_size=1, max_size=3))
def test_metrics_of_a_reading_equal_those_of_its_text(sql, golds):
    parsed = _read(sql)
    assert normalize_sql(parsed) == normalize_sql(sql)
    assert sql_tokens(parsed) == sql_tokens(sql)
    assert exact_match_any(parsed, golds) == any(exact_match(sql, g) for g in golds)
    assert exact_match_any(parsed, [*golds, sql])  # its own text, written another way
    assert rouge_l(parsed, golds[0]) == rouge_l(sql, golds[0])
    assert bleu(parsed, golds[0]) == bleu(sql, golds[0])


def test_a_reading_is_not_changed_by_normalisation():
    parsed = ParsedSql.read("select a from t")
    normalize_sql(parsed)
    assert parsed.written[0].sql("oracle") == "SELECT a FROM t"  # still lower case


def _lcs_by_table(a: list[str], b: list[str]) -> int:
    """The textbook dynamic-programming table, the reference for the bit-parallel LCS."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1],
                                                                     table[i + 1][j])
    return table[-1][-1]


_TOKEN_LISTS = st.lists(st.sampled_from(["SELECT", "A", "B", ",", "(", ")", "'x'"]), max_size=70)


@given(_TOKEN_LISTS, _TOKEN_LISTS)
def test_lcs_length_equals_the_dynamic_programming_table(a, b):
    # ROUGE-L rests on it: a wrong LCS changes every rouge_l score it touches.
    assert _lcs_length(a, b) == _lcs_by_table(a, b)
    assert _lcs_length(b, a) == _lcs_length(a, b)

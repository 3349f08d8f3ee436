"""Tests of harness.sql.output: SQL-only compliance, SQL extraction, the refusal convention."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.sql.output import REFUSAL_MARKER, OutputCheck, check_output, is_refusal

QUERY = "SELECT vendor_name\nFROM ap_suppliers\nWHERE enabled_flag = 'Y'"


@pytest.mark.parametrize(
    "raw", [QUERY, f"{QUERY};", f"  \n{QUERY}\n  ", f"\n{QUERY} ;\n\n", f"\t{QUERY};\t\n"]
)
def test_sql_only_answer_is_compliant(raw):
    assert check_output(raw) == OutputCheck(QUERY, True, (), False, None)


def test_comments_are_sql():
    raw = f"-- suppliers enabled for purchasing\n{QUERY} /* done */"
    assert check_output(raw) == OutputCheck(raw, True, (), False, None)


@pytest.mark.parametrize(
    ("raw", "issues"),
    [
        (f"```sql\n{QUERY}\n```", ("markdown_fence",)),
        (f"```\n{QUERY};\n```", ("markdown_fence",)),
        (f"```oracle\n{QUERY}\n```\n", ("markdown_fence",)),
        (f"```sql\n{QUERY}", ("markdown_fence", "unclosed_fence")),
        (f"Here is the query:\n```sql\n{QUERY}\n```", ("markdown_fence", "prose_before")),
        (f"```sql\n{QUERY}\n```\nIt lists enabled suppliers.", ("markdown_fence", "prose_after")),
        (f"Here is the query:\n{QUERY}", ("prose_before",)),
        (f"Query:\n\n{QUERY};", ("prose_before",)),
        (f"With this query you get the suppliers.\n{QUERY}", ("prose_before",)),
        (f"Select these columns:\n{QUERY}", ("prose_before",)),
        (f"{QUERY};\n\nThis query returns the enabled suppliers. It's simple.", ("prose_after",)),
        (f"{QUERY}\n\nThis query returns the enabled suppliers.", ("prose_after",)),
        (f"{QUERY}\nNote: 'Y' means enabled.", ("prose_after",)),
        (f"{QUERY}\n\nUse another flag to see disabled suppliers.", ("prose_after",)),
        (f"{QUERY}\nIn this query, the flag filters suppliers!", ("prose_after",)),
        (f"`{QUERY}`", ("inline_code",)),
        (f"{QUERY}\n/", ("sqlplus_terminator",)),
        (f"{QUERY};\n/\n", ("sqlplus_terminator",)),
        (f"{QUERY};;", ("extra_terminator",)),
    ],
)
def test_recoverable_answer_yields_the_sql_and_its_issues(raw, issues):
    check = check_output(raw)
    assert check.sql == QUERY
    assert check.issues == issues
    assert not check.compliant
    assert not check.refusal


@pytest.mark.parametrize("comment", [" -- done", "\n-- end of query\n", "\n/* the end */"])
def test_comment_after_the_terminator_keeps_compliance(comment):
    assert check_output(f"{QUERY};{comment}") == OutputCheck(QUERY, True, (), False, None)


def test_broken_sql_followed_by_prose_is_split_at_the_blank_line():
    check = check_output("SELECT FROM WHERE\n\nExplanation: this selects suppliers.")
    assert (check.sql, check.issues) == ("SELECT FROM WHERE", ("prose_after",))


def test_broken_sql_alone_is_returned_as_written():
    raw = "SELECT vendor_name FROM ap_suppliers WHERE"
    assert check_output(raw) == OutputCheck(raw, True, (), False, None)


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        (f"```sql\n{QUERY}\n```\nor\n```sql\nSELECT 1 FROM dual\n```", "multiple_fences"),
        ("SELECT vendor_name\nThis picks the name\nFROM ap_suppliers", "prose_interleaved"),
        ("I do not know which table holds that.", "no_sql"),
        ("-- no idea", "no_sql"),
        ("-- UNANSWERABLE because there is no such table", "malformed_refusal"),
        ("-- UNANSWERABLE.", "malformed_refusal"),
    ],
)
def test_unrecoverable_answer_has_no_sql(raw, issue):
    check = check_output(raw)
    assert check.sql is None
    assert issue in check.issues
    assert not check.compliant


@pytest.mark.parametrize("raw", ["", "   ", "\n\t\n"])
def test_empty_answer(raw):
    assert check_output(raw) == OutputCheck(None, False, ("empty",), False, None)


def test_several_statements_are_kept_together_for_the_safety_check():
    check = check_output("SELECT 1 FROM dual;\nDELETE FROM ap_suppliers;")
    assert check.sql == "SELECT 1 FROM dual;\nDELETE FROM ap_suppliers"
    assert check.issues == ("multiple_statements",)


def test_sql_is_never_repaired():
    raw = "select  VENDOR_NAME from ap_suppliers where x = 'it''s'"
    assert check_output(f"```sql\n{raw}\n```").sql == raw


# --- refusal ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (REFUSAL_MARKER, None),
        ("-- UNANSWERABLE", None),
        ("  -- UNANSWERABLE  \n", None),
        ("--UNANSWERABLE", None),
        ("-- unanswerable", None),
        ("-- UNANSWERABLE: no payroll tables in the catalog", "no payroll tables in the catalog"),
        ("-- UNANSWERABLE :  weather is not in EBS  ", "weather is not in EBS"),
        ("-- UNANSWERABLE:", None),
        ("-- UNANSWERABLE: it's not; there's no table", "it's not; there's no table"),
    ],
)
def test_refusal_convention(raw, reason):
    assert check_output(raw) == OutputCheck(None, True, (), True, reason)
    assert is_refusal(raw)


@pytest.mark.parametrize(
    ("raw", "issues"),
    [
        ("```sql\n-- UNANSWERABLE\n```", ("markdown_fence",)),
        ("I cannot answer this.\n-- UNANSWERABLE: no such data", ("prose_before",)),
        ("-- UNANSWERABLE\n\nThe catalog has no payroll tables.", ("prose_after",)),
    ],
)
def test_wrapped_refusal_is_a_refusal_but_not_compliant(raw, issues):
    check = check_output(raw)
    assert check.refusal and check.sql is None
    assert check.issues == issues and not check.compliant


@pytest.mark.parametrize(
    "raw",
    ["-- UNANSWERABLE\nSELECT 1 FROM dual", "SELECT 1 FROM dual -- UNANSWERABLE", "UNANSWERABLE"],
)
def test_refusal_marker_with_sql_or_without_comment_is_not_a_refusal(raw):
    assert not is_refusal(raw)


def test_refusal_marker_beside_sql_is_flagged():
    check = check_output("-- UNANSWERABLE\nSELECT 1 FROM dual")
    assert check.sql == "-- UNANSWERABLE\nSELECT 1 FROM dual"
    assert check.issues == ("refusal_marker_in_sql",)


# --- properties ------------------------------------------------------------------------------

QUERIES = st.sampled_from(
    [
        QUERY,
        "SELECT 1 FROM dual",
        "WITH c AS (SELECT vendor_id FROM ap_suppliers)\nSELECT COUNT(*) FROM c",
        "SELECT i.invoice_num\n  FROM ap_invoices_all i\n WHERE i.org_id = 204\n ORDER BY 1",
    ]
)
PROSE = st.sampled_from(
    [
        "Here is the query:",
        "Sure! The following SQL answers the question.",
        "This query returns what you asked for.",
        "Note: adjust the operating unit if needed.",
        "Explanation: it filters on the flag.",
    ]
)
SPACE = st.sampled_from(["", " ", "\n", "\n\n", "  \n\t"])


@settings(max_examples=100)
@given(query=QUERIES, before=SPACE, after=SPACE, semicolon=st.booleans())
def test_whitespace_and_one_semicolon_keep_compliance(query, before, after, semicolon):
    raw = before + query + (";" if semicolon else "") + after
    assert check_output(raw) == OutputCheck(query, True, (), False, None)


@settings(max_examples=100)
@given(query=QUERIES, before=st.none() | PROSE, after=st.none() | PROSE, fenced=st.booleans())
def test_prose_and_fence_around_sql_are_reported_and_removed(query, before, after, fenced):
    body = f"```sql\n{query}\n```" if fenced else query
    raw = "\n\n".join(part for part in (before, body, after) if part)
    check = check_output(raw)
    assert check.sql == query
    flags = {"markdown_fence": fenced, "prose_before": before, "prose_after": after}
    expected = {issue for issue, present in flags.items() if present}
    assert set(check.issues) == expected
    assert check.compliant == (not expected)


ONE_LINE = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))


@given(reason=st.text(alphabet=ONE_LINE, max_size=40))
def test_any_one_line_reason_is_kept(reason):
    check = check_output(f"-- UNANSWERABLE: {reason}")
    assert check.refusal
    assert check.refusal_reason == (reason.strip() or None)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_check_output_is_total_and_consistent(raw):
    check = check_output(raw)
    assert check.compliant == (not check.issues)
    assert not (check.refusal and check.sql is not None)
    assert check.refusal_reason is None or check.refusal


@given(st.lists(st.sampled_from(["-- note", "/* c */", "\n", " ", "SELECT 1", "'open", "x"]),
                max_size=6).map("".join))
def test_comment_only_from_a_reading_equals_tokenizing_again(text):
    # check_output asks its reading of the answer instead of tokenizing it again; a
    # different answer here turns an answer into `no_sql` or back.
    from harness.sql.output import _is_comment_only
    from harness.sql.parsed import ParsedSql

    assert _is_comment_only(text, ParsedSql.read(text)) == _is_comment_only(text)


def test_a_comment_only_answer_is_no_sql_and_names_no_reading():
    check = check_output("-- just a note\n/* nothing */")
    assert check.sql is None and "no_sql" in check.issues and check.parsed is None

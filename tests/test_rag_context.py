"""RAG context retrieval: ranking, join expansion, distractors, sizing, sections and stability."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.inputs.catalog import load_catalog
from harness.inputs.golden import GoldenExample
from harness.prompting.rag_context import (
    PRODUCTION_TARGET_CHARS,
    SECTIONS,
    build_context,
    rank_tables,
)

QUESTIONS = [
    "How many unpaid supplier invoices does Vision Operations have?",
    "Total open balance per customer name",
    "Which journals were posted in JAN-24?",
    "On-hand quantity of each item in organization M1",
    "List the buyers of approved purchase orders",
    "What is the weather tomorrow?",
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_sections_come_in_the_required_order_and_make_the_text(catalog):
    ctx = build_context(QUESTIONS[0], catalog)
    assert list(ctx.sections) == list(SECTIONS)
    headings = [line for line in ctx.text.splitlines() if line.startswith("# ")]
    assert headings == [f"# {name}" for name in SECTIONS]
    # The golden-example model renders the stored sections to exactly the same text.
    example = GoldenExample(id="x", question=QUESTIONS[0], sql_gold="SELECT 1 FROM DUAL",
                            domain="AP", difficulty="easy", rag_context=ctx.sections)
    assert example.context_text() == ctx.text


@pytest.mark.parametrize("question", QUESTIONS)
def test_production_contexts_fit_the_size_range_and_are_stable(catalog, question):
    first = build_context(question, catalog)
    low, high = PRODUCTION_TARGET_CHARS
    assert low <= len(first.text) <= high
    assert build_context(question, catalog) == first
    assert first.tables == tuple(sorted(first.tables))
    for table in first.tables:
        assert table in first.sections["Candidate Tables"]


def test_lexical_ranking_uses_names_and_synonyms(catalog):
    ranked = [name for name, _ in rank_tables("How many unpaid supplier invoices?", catalog)]
    assert ranked[0] == "AP_INVOICES_ALL"
    assert "AP_SUPPLIERS" in ranked[:3]
    ctx = build_context("How many unpaid supplier invoices?", catalog)
    synonyms = ctx.sections["Synonyms/Business Mapping"].splitlines()
    # terms found in the question are listed first
    assert any('"unpaid invoice"' in line for line in synonyms[:4]) or any(
        '"supplier invoice"' in line for line in synonyms[:4])


def test_required_tables_are_present_and_complete(catalog):
    ctx = build_context("What is the weather tomorrow?", catalog,
                        required_tables=["gl_je_lines", "GL_CODE_COMBINATIONS"])
    assert {"GL_JE_LINES", "GL_CODE_COMBINATIONS"} <= set(ctx.tables)
    views = {v.table.name: v for v in ctx.views}
    for name in ("GL_JE_LINES", "GL_CODE_COMBINATIONS"):
        assert views[name].role == "required"
        assert len(views[name].columns) == len(catalog.tables[name].columns)
    assert "GL_JE_LINES.CODE_COMBINATION_ID = GL_CODE_COMBINATIONS.CODE_COMBINATION_ID" in \
        ctx.sections["Join Graph"]


def test_join_paths_connect_required_tables(catalog):
    ctx = build_context("invoice lines and suppliers", catalog, target_chars=(0, 60000),
                        required_tables=["AP_INVOICE_LINES_ALL", "AP_SUPPLIERS"])
    roles = {v.table.name: v.role for v in ctx.views}
    assert roles["AP_INVOICES_ALL"] in ("join", "retrieved")
    assert "HR_OPERATING_UNITS" not in roles or roles["HR_OPERATING_UNITS"] != "join"


def test_distractors_fill_to_the_lower_bound_and_depend_on_seed(catalog):
    a = build_context("What is the weather tomorrow?", catalog, target_chars=(9000, 16000))
    b = build_context("What is the weather tomorrow?", catalog, target_chars=(9000, 16000),
                      seed=1)
    assert len(a.text) >= 9000
    assert {v.role for v in a.views} == {"distractor"}
    assert a.tables != b.tables


def test_a_small_range_shows_less_detail(catalog):
    ctx = build_context(QUESTIONS[0], catalog, target_chars=(0, 7000))
    assert len(ctx.text) <= 7000
    assert any(v.detail == "relevant" for v in ctx.views)
    assert "more columns not shown" in ctx.sections["Relevant Columns"]


def test_security_section_names_striped_tables_units_and_rule(catalog):
    ctx = build_context(QUESTIONS[0], catalog)
    security = ctx.sections["Security Filters"]
    assert "AP_INVOICES_ALL.ORG_ID" in security
    assert "204 = Vision Operations" in security and "458 = Vision Services" in security
    assert catalog.security.rule in security


def test_coded_columns_show_their_meanings(catalog):
    ctx = build_context("invoice payment status", catalog)
    assert "PAYMENT_STATUS_FLAG" in ctx.sections["Relevant Columns"]
    assert "Y = Fully paid" in ctx.sections["Relevant Columns"]


def test_bad_arguments_are_refused(catalog):
    with pytest.raises(ValueError, match="NO_SUCH_TABLE"):
        build_context("x", catalog, required_tables=["NO_SUCH_TABLE"])
    with pytest.raises(ValueError, match="target_chars"):
        build_context("x", catalog, target_chars=(10, 5))


@settings(max_examples=40)
@given(st.text(min_size=0, max_size=120))
def test_any_question_gives_a_deterministic_well_formed_context(catalog, question):
    ctx = build_context(question, catalog)
    assert list(ctx.sections) == list(SECTIONS)
    assert len(ctx.text) <= PRODUCTION_TARGET_CHARS[1]
    assert build_context(question, catalog).text == ctx.text

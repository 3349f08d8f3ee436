"""Budgetary lines: the D and C copies of a code combination carry a balanced line pair per line
of their original, so a DECODE of ACCOUNT_TYPE over journal lines meets both in equal counts."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from harness.datagen.budgetary_lines import place_budgetary_lines
from harness.datagen.build import generate
from harness.datagen.context import GenContext, id_blocks

GL = ("GL_JE_LINES", "GL_JE_HEADERS", "GL_JE_BATCHES", "GL_CODE_COMBINATIONS", "GL_BALANCES")


@pytest.fixture(scope="module")
def generated(catalog, recipe):
    seed = recipe.seed(0)
    return seed, generate(catalog, recipe, seed)


@pytest.fixture(scope="module")
def gl(generated):
    _, tables = generated
    con = duckdb.connect()
    for name in GL:
        con.register(name, pd.DataFrame({c: pd.Series(v) for c, v in tables[name].items()}))
    return con


def test_the_budgetary_types_are_rare_codes_of_the_catalogs_lookup(catalog, recipe):
    codes = catalog.lookups["ACCOUNT TYPE"].codes
    assert {"D", "C"} <= set(codes)
    assert list(recipe.targeted.rare_codes["ACCOUNT TYPE"]) == ["D", "C"]


def test_a_decode_over_lines_meets_d_and_c_in_equal_counts(gl):
    # gl-024's family: DISTINCT over DECODE(account_type, …) GROUP BY account_type merges the
    # two unlisted codes only where their line counts agree; under any filter on the journal
    for where in ("TRUE", "jl.period_name = 'APR-24'", "jl.status = 'P'",
                  "jl.period_name LIKE '%-24' AND jl.status = 'U'"):
        counts = dict(gl.execute(
            "SELECT gcc.account_type, COUNT(*) FROM GL_JE_LINES jl JOIN GL_CODE_COMBINATIONS gcc "
            f"USING (code_combination_id) WHERE {where} AND gcc.account_type IN ('D', 'C') "
            "GROUP BY 1").fetchall())
        assert counts.get("D", 0) == counts.get("C", 0)
    assert dict(gl.execute("SELECT gcc.account_type, COUNT(*) FROM GL_JE_LINES jl JOIN "
                       "GL_CODE_COMBINATIONS gcc USING (code_combination_id) WHERE "
                       "gcc.account_type IN ('D', 'C') GROUP BY 1").fetchall())["D"] >= 1


def test_each_pair_is_one_amount_in_one_journal_on_one_side_each(gl):
    pairs = gl.execute(
        "SELECT jl.je_header_id, gcc.account_type, jl.entered_dr, jl.entered_cr, "
        "jl.accounted_dr, jl.accounted_cr FROM GL_JE_LINES jl JOIN GL_CODE_COMBINATIONS gcc "
        "USING (code_combination_id) WHERE gcc.account_type IN ('D', 'C')").df()
    debit, credit = pairs[pairs["ACCOUNT_TYPE"] == "D"], pairs[pairs["ACCOUNT_TYPE"] == "C"]
    assert debit["ENTERED_CR"].isna().all() and credit["ENTERED_DR"].isna().all()
    assert debit["ENTERED_DR"].notna().all() and credit["ENTERED_CR"].notna().all()
    by_journal = [frame.groupby("JE_HEADER_ID")[columns].sum().sort_index()
                  for frame, columns in ((debit, ["ENTERED_DR", "ACCOUNTED_DR"]),
                                         (credit, ["ENTERED_CR", "ACCOUNTED_CR"]))]
    assert np.allclose(by_journal[0].to_numpy(), by_journal[1].to_numpy())
    # line numbers stay unique in each journal
    assert gl.execute("SELECT COUNT(*) = COUNT(DISTINCT (je_header_id, je_line_num)) "
                  "FROM GL_JE_LINES").fetchone()[0]


def test_journals_with_pairs_balance_and_carry_their_totals(gl):
    rows = gl.execute(
        "SELECT h.running_total_dr, h.running_total_cr, h.running_total_accounted_dr, "
        "SUM(jl.entered_dr), SUM(jl.entered_cr), SUM(jl.accounted_dr), SUM(jl.accounted_cr), "
        "b.running_total_accounted_cr FROM GL_JE_HEADERS h JOIN GL_JE_LINES jl USING "
        "(je_header_id) JOIN GL_JE_BATCHES b USING (je_batch_id) WHERE h.je_header_id IN ("
        "SELECT l.je_header_id FROM GL_JE_LINES l JOIN GL_CODE_COMBINATIONS g USING "
        "(code_combination_id) WHERE g.account_type = 'D') GROUP BY h.je_header_id, "
        "h.running_total_dr, h.running_total_cr, h.running_total_accounted_dr, "
        "b.running_total_accounted_cr").fetchall()
    assert rows
    for head_dr, head_cr, head_adr, dr, cr, adr, acr, batch_acr in rows:
        assert np.allclose([head_dr, head_cr, dr], cr, atol=0.005)
        assert np.allclose([head_adr, adr, batch_acr], acr, atol=0.005)


def test_posted_pairs_have_the_balances_posting_makes(gl):
    # PERIOD_NET of each budgetary account is its posted lines' sum in the period
    diff = gl.execute(
        "WITH posted AS (SELECT jl.ledger_id, jl.code_combination_id, h.currency_code, "
        "jl.period_name, h.actual_flag, SUM(COALESCE(jl.entered_dr, 0)) dr, "
        "SUM(COALESCE(jl.entered_cr, 0)) cr FROM GL_JE_LINES jl JOIN GL_JE_HEADERS h USING "
        "(je_header_id) JOIN GL_CODE_COMBINATIONS g USING (code_combination_id) WHERE "
        "jl.status = 'P' AND g.account_type IN ('D', 'C') GROUP BY ALL), bal AS (SELECT b.* "
        "FROM GL_BALANCES b JOIN GL_CODE_COMBINATIONS g USING (code_combination_id) WHERE "
        "g.account_type IN ('D', 'C')) SELECT COUNT(*), COUNT(p.dr), COUNT(b.period_net_dr), "
        "SUM(ABS(COALESCE(p.dr, 0) - COALESCE(b.period_net_dr, 0)) + ABS(COALESCE(p.cr, 0) - "
        "COALESCE(b.period_net_cr, 0))) FROM posted p FULL JOIN bal b USING (ledger_id, "
        "code_combination_id, currency_code, period_name, actual_flag)").fetchone()
    total, lines, balances, gap = diff
    assert total >= 1 and total == lines == balances and gap < 0.01
    assert gl.execute("SELECT COUNT(*) FROM GL_BALANCES b JOIN GL_CODE_COMBINATIONS g USING "
                  "(code_combination_id) WHERE g.account_type IN ('D', 'C') AND ("
                  "b.last_updated_by IS NULL OR b.period_year IS NULL)").fetchone()[0] == 0


def test_without_budgetary_copies_nothing_moves(catalog, recipe, generated):
    seed, base = generated
    tables = {t: dict(cols) for t, cols in base.items()}
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    arrays = {(t, c): v for t, cols in tables.items() for c, v in cols.items()}
    plain = np.flatnonzero(np.isin(tables["GL_CODE_COMBINATIONS"]["ACCOUNT_TYPE"], ["A", "E"]))
    assert place_budgetary_lines(ctx, tables, plain[:4].tolist()) == {}
    assert all(tables[t][c] is v for (t, c), v in arrays.items())

"""NVL zeros: NULL where golds read an amount through NVL(x, 0) in an aggregate (nvl_zeros.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.datagen.context import GenContext, id_blocks
from harness.datagen.nvl_zeros import (
    GROUP,
    MAX_REPLACED,
    ROW,
    ROWS,
    ZeroTarget,
    all_null_group,
    nullable_amount,
    operand_rows,
    recipe_zero_targets,
    zero_targets,
)

BY_VENDOR = ("SELECT s.VENDOR_NAME, SUM(NVL(i.AMOUNT_PAID, 0)) FROM AP_SUPPLIERS s "
             "JOIN AP_INVOICES_ALL i ON i.VENDOR_ID = s.VENDOR_ID WHERE i.ORG_ID = 204 "
             "GROUP BY s.VENDOR_ID, s.VENDOR_NAME")
NET = ("SELECT SUM(NVL(b.period_net_cr, 0) - NVL(b.period_net_dr, 0)) FROM gl_balances b "
       "WHERE b.period_name = 'JUN-24'")


def test_a_whole_sum_argument_is_a_group_target_arithmetic_a_row_target(catalog):
    (group,) = zero_targets(BY_VENDOR, catalog)
    assert (group.table, group.column, group.mode) == ("AP_INVOICES_ALL", "AMOUNT_PAID", GROUP)
    assert "G0" in group.probe and "G1" in group.probe
    rows = sorted(zero_targets(NET, catalog))
    assert [(t.column, t.mode) for t in rows] == [("PERIOD_NET_CR", ROW), ("PERIOD_NET_DR", ROW)]
    # the probe's E is the argument with this NVL read as 0: the other operand alone
    assert "NVL(b.period_net_cr, 0) - 0 AS E" in rows[1].probe


@pytest.mark.parametrize("sql", [
    "SELECT NVL(AMOUNT_PAID, 0) FROM AP_INVOICES_ALL",              # no aggregate
    "SELECT SUM(NVL(AMOUNT_PAID, 1)) FROM AP_INVOICES_ALL",         # another default
    "SELECT COUNT(NVL(VENDOR_NAME, 0)) FROM AP_SUPPLIERS",          # not a number column
    "SELECT SUM(NVL(AMOUNT_PAID, ",                                  # no parse
    # the NVL sits in a subquery without an aggregate of its own
    "SELECT SUM(x) FROM (SELECT NVL(AMOUNT_PAID, 0) x FROM AP_INVOICES_ALL)",
])
def test_no_target_without_a_numeric_nvl_zero_under_its_blocks_aggregate(catalog, sql):
    assert zero_targets(sql, catalog) == set()


@pytest.mark.parametrize(("table", "column", "expected"), [
    ("AP_INVOICES_ALL", "AMOUNT_PAID", True),       # frozen, but only zeros turn NULL
    ("AP_INVOICES_ALL", "INVOICE_AMOUNT", False),   # never_null: payments agree with it
    ("AP_INVOICES_ALL", "INVOICE_ID", False),       # a key
    ("AP_INVOICES_ALL", "ORG_ID", False),           # striping
    ("PO_LINE_LOCATIONS_ALL", "QUANTITY_RECEIVED", True),
])
def test_only_nullable_amounts_outside_keys_take_a_null(catalog, recipe, table, column,
                                                         expected):
    never_null = frozenset(recipe.never_null)
    assert nullable_amount(catalog.tables[table], column, never_null) is expected


def _probe_rows(groups: list[int], values: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame({"G0": groups, "V": _floats(values), "E": 0.0,
                         "_pos": range(len(values))})


def _floats(values: list[float | None]) -> np.ndarray:
    """A probe's number column: NULL as NaN, as DuckDB returns it."""
    return np.array([np.nan if x is None else x for x in values], dtype=float)


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(st.integers(0, 4),
                               st.one_of(st.none(), st.just(0.0),
                                         st.floats(1, 1e6, allow_nan=False))),
                     min_size=1, max_size=40),
       locked=st.booleans())
def test_one_group_becomes_all_null_and_a_frozen_column_loses_no_amount(data, locked):
    groups, values = [g for g, _ in data], [x for _, x in data]
    rows = _probe_rows(groups, values)
    chosen = all_null_group(rows, locked)
    value = np.array([np.nan if x is None else x for x in values])
    if chosen:
        members = {groups[i] for i in chosen}
        assert len(members) == 1  # one group, every row of it
        (g,) = members
        assert sorted(chosen) == [i for i in range(len(groups)) if groups[i] == g]
        replaced = int((np.nan_to_num(value[chosen]) != 0).sum())
        assert replaced <= MAX_REPLACED
        if locked:
            assert replaced == 0  # only zeros turn NULL: sums stay what they were
        assert not np.isnan(value[chosen]).all()  # nothing to do on an all-NULL group
    else:
        # nothing chosen: the best group is all NULL, or none may become so
        by = pd.Series(value).groupby(groups)
        fit = [g for g, part in by if not (locked and (part.fillna(0) != 0).any())
               and int((part.fillna(0) != 0).sum()) <= MAX_REPLACED]
        if fit:
            best = min(fit, key=lambda g: (int((by.get_group(g).fillna(0) != 0).sum()),
                                           -len(by.get_group(g)),
                                           not by.get_group(g).isna().all()))
            assert by.get_group(best).isna().all()


def test_the_largest_all_zero_group_wins_over_a_smaller_all_null_one():
    # a vendor with one NULL invoice must not stop a vendor of three unpaid ones (HAVING
    # COUNT(*) >= 3 drops the first)
    rows = _probe_rows([1, 2, 2, 2, 3], [None, 0.0, None, 0.0, 50.0])
    assert all_null_group(rows, locked=True) == [1, 2, 3]


def test_operand_rows_carry_the_other_amount_and_prefer_zeros(catalog, recipe):
    ctx = GenContext(catalog, recipe, recipe.seed(0), id_blocks(catalog, recipe))
    target = ZeroTarget("GL_BALANCES", "PERIOD_NET_DR", ROW, "probe")
    rows = pd.DataFrame({"V": _floats([0.0, 0.0, 7.0, 5.0, 0.0]),
                         "E": [0.0, 3.0, 4.0, 2.0, 9.0], "_pos": [10, 11, 12, 13, 14]})
    assert sorted(operand_rows(ctx, target, rows, locked=False)) == [11, 14]
    # a frozen column: only zeros, and never where the other operand is zero
    assert sorted(operand_rows(ctx, target, rows.iloc[[0, 2, 3]], locked=True)) == []
    # a NULL beside an amount already: nothing more
    done = rows.assign(V=_floats([None, 0.0, 7.0, 5.0, 0.0]),
                       E=[1.0, 3.0, 4.0, 2.0, 9.0])
    assert operand_rows(ctx, target, done, locked=False) == []
    assert len(operand_rows(ctx, target, rows, locked=False)) <= ROWS


def test_every_instance_shows_the_golds_group_nvl(connections, catalog, recipe):
    """Some instance holds an all-NULL group in the gold's block: ap-017's vendors (of
    unpaid invoices only) and po-024's ship-to organizations."""
    from harness.translate.api import translate

    targets = [t for t in recipe_zero_targets(catalog, recipe.targeted.paths())
               if t.mode == GROUP and t.column in ("AMOUNT_PAID", "QUANTITY_RECEIVED")
               and " AS G0" in t.probe]
    assert {t.column for t in targets} == {"AMOUNT_PAID", "QUANTITY_RECEIVED"}
    types = catalog.column_types()
    for target in targets:
        sql = translate(target.probe, schema=types).sql
        found = False
        for con in connections:
            rows = con.execute(sql).df()
            groups = [c for c in rows.columns if c.startswith("G")]
            found |= bool(rows["V"].isna().groupby(
                [rows[g].fillna(-1) for g in groups]).all().any())
        assert found, target.key()


def test_amount_paid_is_null_only_where_nothing_was_paid(connections):
    for con in connections:
        paid_null = con.execute(
            "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE AMOUNT_PAID IS NULL "
            "AND PAYMENT_STATUS_FLAG <> 'N'").fetchone()[0]
        assert paid_null == 0


BY_JOURNAL = ("SELECT h.name, SUM(NVL(jl.entered_dr, 0)), SUM(NVL(jl.entered_cr, 0)) "
              "FROM gl_je_headers h, gl_je_lines jl WHERE jl.je_header_id = h.je_header_id "
              "AND h.period_name = 'SEP-24' GROUP BY h.je_header_id, h.name")
BY_LEDGER = ("SELECT l.name, SUM(NVL(jl.accounted_dr, 0)) FROM gl_je_lines jl, gl_je_headers h, "
             "gl_ledgers l WHERE jl.je_header_id = h.je_header_id AND h.ledger_id = l.ledger_id "
             "AND h.period_name = 'MAR-24' AND h.status = 'P' AND h.actual_flag = 'A' "
             "GROUP BY l.name")


@pytest.mark.parametrize("sql", [BY_JOURNAL, BY_LEDGER])
def test_a_group_of_gl_lines_loses_one_side_and_journals_still_balance(catalog, recipe, sql):
    # gl-041, gl-004: GL lines are frozen (journals balance), so a group's debits go NULL by
    # carrying them to the credit side with the sign changed (journal_levers.to_other_side)
    from harness.datagen.build import generate
    from harness.datagen.nvl_zeros import place_zero_nulls
    from harness.datagen.probe import run_probe

    seed = recipe.seed(0)  # generated without NVL zeros: the golds' own would take the group
    plain = recipe.model_copy(update={"targeted": recipe.targeted.model_copy(
        update={"nvl_zeros": False})})
    base = generate(catalog, plain, seed)
    tables = {t: dict(cols) for t, cols in base.items()}
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    targets = sorted(t for t in zero_targets(sql, catalog) if t.mode == GROUP)
    assert place_zero_nulls(ctx, tables, targets, frozenset(recipe.targeted.frozen)) > 0
    for target in targets:  # some group of the block now holds no amount of the side
        rows = run_probe(catalog, tables, target.probe)
        groups = [c for c in rows.columns if c.startswith("G")]
        assert rows.groupby(groups, dropna=False)["V"].count().min() == 0, target.column
    lines = pd.DataFrame({c: pd.Series(v) for c, v in tables["GL_JE_LINES"].items()})
    for kind in ("ENTERED", "ACCOUNTED"):
        dr, cr = lines[f"{kind}_DR"], lines[f"{kind}_CR"]
        assert (dr.isna() != cr.isna()).all()  # one side per line
        sums = pd.DataFrame({"dr": dr.fillna(0), "cr": cr.fillna(0),
                             "j": lines["JE_HEADER_ID"]}).groupby("j").sum()
        assert np.allclose(sums["dr"], sums["cr"], atol=0.005)
    head = pd.DataFrame({c: pd.Series(v) for c, v in tables["GL_JE_HEADERS"].items()})
    before = pd.DataFrame({c: pd.Series(v) for c, v in base["GL_JE_LINES"].items()})
    flipped = lines["ENTERED_DR"].isna() != before["ENTERED_DR"].isna()
    assert flipped.any()  # and the running totals of the journals that changed follow
    journals = lines.loc[flipped, "JE_HEADER_ID"].unique()
    was_head = pd.DataFrame({c: pd.Series(v) for c, v in base["GL_JE_HEADERS"].items()})
    for side in ("DR", "CR"):
        totals = lines.groupby("JE_HEADER_ID")[f"ENTERED_{side}"].sum().reindex(journals)
        now = head.set_index("JE_HEADER_ID")[f"RUNNING_TOTAL_{side}"].reindex(journals)
        was = was_head.set_index("JE_HEADER_ID")[f"RUNNING_TOTAL_{side}"].reindex(journals)
        assert (now.isna() == was.isna()).all()  # a NULL running total stays NULL
        assert np.allclose(now[now.notna()], totals[now.notna()], atol=0.005)
    # posted lines and balances agree per account and period, as posting made them
    posted = lines[lines["STATUS"] == "P"]
    bal = pd.DataFrame({c: pd.Series(v) for c, v in tables["GL_BALANCES"].items()})
    if sql is BY_LEDGER:
        was = pd.DataFrame({c: pd.Series(v) for c, v in base["GL_BALANCES"].items()})
        moved = (bal["PERIOD_NET_CR"].fillna(0) - was["PERIOD_NET_CR"].fillna(0)).sum()
        lost = (bal["PERIOD_NET_DR"].fillna(0) - was["PERIOD_NET_DR"].fillna(0)).sum()
        assert moved < 0 and np.isclose(moved, lost)
        old = pd.DataFrame({c: pd.Series(v) for c, v in base["GL_JE_LINES"].items()})
        assert np.isclose(posted["ENTERED_DR"].sum() - old.loc[old["STATUS"] == "P",
                                                                "ENTERED_DR"].sum(), lost)


def test_every_period_holds_a_one_sided_category_and_journal(catalog, recipe):
    # held-out golds group any period's lines by category or journal under SUM(NVL(side, 0)):
    # the recipe's one_sided_blocks leave, per period, a category without credits and a
    # journal without debits (journals still balance: checked on every instance by the facts)
    from harness.datagen.build import generate
    from harness.datagen.nvl_zeros import block_zero_targets

    targets = block_zero_targets(recipe.targeted.one_sided_blocks, catalog)
    assert {(t.column, t.mode) for t in targets} == {("ACCOUNTED_CR", GROUP),
                                                     ("ACCOUNTED_DR", GROUP)}
    tables = generate(catalog, recipe, recipe.seed(0))
    lines = pd.DataFrame({c: pd.Series(v) for c, v in tables["GL_JE_LINES"].items()})
    head = pd.DataFrame({c: pd.Series(v) for c, v in tables["GL_JE_HEADERS"].items()})
    lines = lines.merge(head[["JE_HEADER_ID", "JE_CATEGORY"]], on="JE_HEADER_ID")
    periods = [p for p, part in lines.groupby("PERIOD_NAME") if part["JE_HEADER_ID"].nunique() > 3]
    assert len(periods) >= 12
    no_credit = lines.groupby(["PERIOD_NAME", "JE_CATEGORY"])["ACCOUNTED_CR"].count() == 0
    no_debit = lines.groupby(["PERIOD_NAME", "JE_HEADER_ID"])["ACCOUNTED_DR"].count() == 0
    assert no_credit.groupby(level=0).any().reindex(periods).mean() > 0.8
    assert no_debit.groupby(level=0).any().reindex(periods).mean() > 0.8


def test_a_one_sided_block_without_a_gl_group_target_is_refused(catalog):
    from harness.datagen.nvl_zeros import block_zero_targets

    with pytest.raises(ValueError, match=r"one_sided_blocks\[1\]"):
        block_zero_targets([BY_VENDOR], catalog)


@pytest.mark.parametrize("header_total", [None, 300.0])
def test_a_line_carried_to_the_other_side_keeps_a_null_running_total_null(header_total):
    # the catalog lets a journal's running totals be NULL; carrying a line over
    # (journal_levers.to_other_side, placed in every period since round 7) must not turn a
    # NULL into minus the amount carried (it read NULL as 0: test_property, seed 277)
    from harness.datagen.journal_levers import to_other_side

    nan = np.nan
    tables = {
        "GL_JE_LINES": {"JE_HEADER_ID": np.array([7, 7, 7]),
                        "CODE_COMBINATION_ID": np.array([1, 2, 3]),
                        "ENTERED_DR": np.array([100.0, 200.0, nan]),
                        "ENTERED_CR": np.array([nan, nan, 300.0]),
                        "ACCOUNTED_DR": np.array([100.0, 200.0, nan]),
                        "ACCOUNTED_CR": np.array([nan, nan, 300.0])},
        "GL_JE_HEADERS": {"JE_HEADER_ID": np.array([7]), "JE_BATCH_ID": np.array([70]),
                          "STATUS": np.array(["U"], dtype=object)},
        "GL_JE_BATCHES": {"JE_BATCH_ID": np.array([70])},
    }
    for side in ("DR", "CR"):
        for column in (f"RUNNING_TOTAL_{side}", f"RUNNING_TOTAL_ACCOUNTED_{side}"):
            tables["GL_JE_HEADERS"][column] = np.array([header_total], dtype=float)
            tables["GL_JE_BATCHES"][column] = np.array([300.0])
    assert to_other_side(tables, [0], "DR")
    lines = tables["GL_JE_LINES"]
    assert np.isnan(lines["ENTERED_DR"][0]) and lines["ENTERED_CR"][0] == -100.0
    for side in ("DR", "CR"):  # both sides less by 100; a NULL stays NULL
        head = tables["GL_JE_HEADERS"][f"RUNNING_TOTAL_ACCOUNTED_{side}"][0]
        assert np.isnan(head) if header_total is None else head == 200.0
        assert tables["GL_JE_BATCHES"][f"RUNNING_TOTAL_{side}"][0] == 200.0

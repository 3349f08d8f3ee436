"""Budgetary lines: journal lines on the code combinations decode_pairs.py copies with GL's
budgetary account types, so a gold that DECODEs ACCOUNT_TYPE and counts journal lines sees
the two codes outside its list in equal counts.

`SELECT DECODE(gcc.account_type, 'A', 'Asset', …) label, COUNT(*) FROM gl_je_lines jl JOIN
gl_code_combinations gcc … GROUP BY gcc.account_type` (gl-024) returns one row per type, and the
budgetary types D and C (the recipe's `targeted.rare_codes` for the lookup ACCOUNT TYPE) both
decode to NULL: two such rows of equal counts are equal, which `SELECT DISTINCT` merges.
decode_pairs.py copies a code combination the gold reads once per rare code (fresh id, the code
set), but the copies carry no line, so a gold counting lines never meets them. Here every line
of the original account gets, in its own journal, a budgetary pair: a debit of its amount on the
D copy and a credit of that amount on the C copy (`place_budgetary_lines`). Both lines lie in
the line's journal, period and status, so any filter that does not read the account or the side
keeps both or neither: D and C come in equal counts wherever a gold looks.

What stays true: the journal still balances (debits and credits both grow by the amount, entered
and accounted as the original line carries them, so a foreign journal keeps its rate); each new
line has one side and a fresh JE_LINE_NUM after its journal's last; the header's and batch's
running totals follow; a posted journal's balances of the new accounts are derived as
tables_gl._balances derives every balance (the new accounts hold no other line), the columns
posting does not compute (TRANSLATED_FLAG, LAST_UPDATED_BY) copied from the original account's
row of the same ledger, currency, period and balance type.

EBS: the Account Type qualifier of a natural account value is one of Asset, Liability, Owners'
Equity, Revenue, Expense, Budgetary Dr and Budgetary Cr (lookup ACCOUNT_TYPE, codes D and C;
General Ledger User's Guide / Implementation Guide, *Defining Segment Qualifiers*); budgetary
accounts take actual journals in budgetary (US Federal) accounting, in balanced pairs.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from harness.datagen.context import GenContext
from harness.datagen.decode_pairs import rare_codes
from harness.datagen.document_levers import Tables
from harness.datagen.journal_levers import BALANCES, HEADERS, LINES, POSTED, _header_row, add_known
from harness.datagen.tables_gl import _balances

ACCOUNTS = "GL_CODE_COMBINATIONS"
LOOKUP = "ACCOUNT TYPE"
# columns a copied account shares with its original (all but its id and its type)
_SHARED = ("SEGMENT1", "SEGMENT2", "SEGMENT3", "SEGMENT4", "SEGMENT5", "DESCRIPTION",
           "CHART_OF_ACCOUNTS_ID")


def place_budgetary_lines(ctx: GenContext, tables: Tables,
                          copies: Iterable[int]) -> dict[str, set[int]]:
    """Give each (debit code, credit code) pair of budgetary copies among the account rows
    `copies` a line pair per line of their original account (module docstring); in place.
    Returns the rows added, by table."""
    codes = rare_codes(ctx, LOOKUP)
    if len(codes) < 2:
        return {}
    debit_code, credit_code = codes[0], codes[1]
    accounts = tables[ACCOUNTS]
    added: dict[str, set[int]] = {}
    copies = sorted(copies)
    for original, debit, credit in _pairs(accounts, copies, debit_code, credit_code):
        for table, rows in _line_pairs(ctx, tables, accounts["CODE_COMBINATION_ID"][original],
                                       accounts["CODE_COMBINATION_ID"][debit],
                                       accounts["CODE_COMBINATION_ID"][credit]).items():
            added.setdefault(table, set()).update(rows)
    return added


def _pairs(accounts: dict[str, np.ndarray], copies: list[int], debit_code: str,
           credit_code: str) -> list[tuple[int, int, int]]:
    """(original, debit copy, credit copy) account rows: copies of one account (the same
    segments, description and chart) holding the two codes; the original is the first other
    row that shares them."""
    def shared(row: int) -> tuple:
        return tuple(str(accounts[c][row]) for c in _SHARED if c in accounts)

    taken = set(copies)
    out = []
    for debit in (r for r in copies if accounts["ACCOUNT_TYPE"][r] == debit_code):
        credit = next((r for r in copies if accounts["ACCOUNT_TYPE"][r] == credit_code
                       and shared(r) == shared(debit) and r not in {c for _, _, c in out}),
                      None)
        original = next((r for r in range(len(accounts["ACCOUNT_TYPE"]))
                         if r not in taken and shared(r) == shared(debit)), None)
        if credit is not None and original is not None:
            out.append((original, debit, credit))
    return out


def _line_pairs(ctx: GenContext, tables: Tables, original: object, debit_account: object,
                credit_account: object) -> dict[str, set[int]]:
    """Append, per line of account `original`, a debit of its amount on `debit_account` and
    a credit of it on `credit_account` in its journal; totals and balances follow."""
    lines = tables[LINES]
    found = np.flatnonzero(lines["CODE_COMBINATION_ID"] == original)
    if not len(found):
        return {}
    start = len(lines["JE_HEADER_ID"])
    new = {c: np.concatenate([v[found], v[found]]) for c, v in lines.items()}
    last = pd.Series(lines["JE_LINE_NUM"].astype(float)).groupby(lines["JE_HEADER_ID"]).max()
    numbers = last.reindex(new["JE_HEADER_ID"]).to_numpy()
    order = pd.Series(np.ones(len(numbers))).groupby(new["JE_HEADER_ID"]).cumsum().to_numpy()
    new["JE_LINE_NUM"] = (numbers + order).astype(lines["JE_LINE_NUM"].dtype)
    half = len(found)
    new["CODE_COMBINATION_ID"] = np.array([debit_account] * half + [credit_account] * half,
                                          dtype=lines["CODE_COMBINATION_ID"].dtype)
    amounts = {}
    for kind in ("ENTERED", "ACCOUNTED"):
        dr, cr = (lines[f"{kind}_{s}"][found].astype(float) for s in ("DR", "CR"))
        amount = np.where(np.isnan(dr), cr, dr)
        amounts[kind] = amount
        nan = np.full(half, np.nan)
        new[f"{kind}_DR"] = np.concatenate([amount, nan])
        new[f"{kind}_CR"] = np.concatenate([nan, amount])
    for c in lines:
        lines[c] = _concat(lines[c], new[c])
    _follow_totals(tables, lines["JE_HEADER_ID"][found], amounts)
    added = {LINES: set(range(start, start + 2 * half))}
    rows = _append_balances(ctx, tables, new, original)
    if rows:
        added[BALANCES] = rows
    return added


def _follow_totals(tables: Tables, journals: np.ndarray, amounts: dict[str, np.ndarray]) -> None:
    """Each journal's header and batch running totals grow by its pairs' amounts, both sides."""
    batches = tables["GL_JE_BATCHES"]
    for journal, entered, accounted in zip(journals, amounts["ENTERED"], amounts["ACCOUNTED"],
                                           strict=True):
        header = _header_row(tables, journal)
        if header is None:
            continue
        batch = np.flatnonzero(batches["JE_BATCH_ID"] == tables[HEADERS]["JE_BATCH_ID"][header])
        for side in ("DR", "CR"):
            for column, d in ((f"RUNNING_TOTAL_{side}", entered),
                              (f"RUNNING_TOTAL_ACCOUNTED_{side}", accounted)):
                add_known(tables, HEADERS, column, np.array([header]), d)
                add_known(tables, "GL_JE_BATCHES", column, batch, d)


def _append_balances(ctx: GenContext, tables: Tables, new: dict[str, np.ndarray],
                     original: object) -> set[int]:
    """GL_BALANCES rows of the new lines' accounts (posted journals only), as posting derives
    them; the rows added."""
    frame = pd.DataFrame({c: pd.Series(v) for c, v in new.items()})
    if not (frame["STATUS"] == POSTED).any():
        return set()
    headers = pd.DataFrame({c: pd.Series(v) for c, v in tables[HEADERS].items()})
    derived = _balances(ctx, headers, frame)
    bal = tables[BALANCES]
    key = ["LEDGER_ID", "CURRENCY_CODE", "PERIOD_NAME", "ACTUAL_FLAG"]
    source = pd.DataFrame({c: pd.Series(v) for c, v in bal.items()})
    source = source[source["CODE_COMBINATION_ID"] == original].drop_duplicates(key)
    extra = [c for c in bal if c not in derived.columns]
    derived = derived.merge(source[key + extra], on=key, how="left")
    start = len(bal["LEDGER_ID"])
    for c in bal:
        bal[c] = _concat(bal[c], derived[c].to_numpy())
    return set(range(start, start + len(derived)))


def _concat(column: np.ndarray, more: np.ndarray) -> np.ndarray:
    """`column` with `more` appended, in the column's dtype where the values fit it."""
    try:
        return np.concatenate([column, np.asarray(more, dtype=column.dtype)])
    except (TypeError, ValueError):
        return np.concatenate([column.astype(object), np.asarray(more, dtype=object)])

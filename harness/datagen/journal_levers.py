"""Journal levers: a journal line's amount moved together with another line of the same side of
the same journal, so a group total of GL lines (group_totals.py) lands on a HAVING threshold.

GL lines are frozen (recipe `targeted.frozen`): every journal balances, its header's running
totals are its lines' sums, and a line in the ledger's currency accounts what it enters
(tests/datagen/facts.py, `general_ledger`). A document lever as AP's and AR's
(document_levers.py) would move a whole journal and its header; a journal lever moves less: d
from one debit (credit) line to another debit (credit) line of the same journal, as if the
journal had been entered with its debit spread otherwise over its accounts. The journal's
sides, its header's and batch's running totals, its period, status and every other column
stay; only the two lines' amounts and, for a posted journal, the balances posting made of them
change:

- both lines keep their side and their sign (a negative line, one carried over from the
  other side below, stays negative) and no line grows beyond the journal's largest amount of
  that side; entered and accounted amounts move together, so only journals in their ledger's currency move (a foreign line accounts its
  entered amount at the journal's rate, which d would break by its rounding);
- the two lines are on two code combinations (else the move changes no group); the partner is
  no row the caller keeps (`keep`: the group moved and the groups already placed) and no twin;
- a posted journal's GL_BALANCES rows of both accounts (ledger, account, currency, period,
  balance type) move with it, as `tables_gl._balances` derives them: PERIOD_NET by ±d in the
  journal's period, PROJECT_TO_DATE from it on, BEGIN_BALANCE after it, QUARTER_TO_DATE through
  the end of its quarter; where either row is missing the journal does not move.

**One side** (`to_other_side`, used by nvl_zeros.py where a gold reads `SUM(NVL(dr, 0))` by
journal, ledger or company: the group's debits all NULL): lines carry their debit over to the
credit side with the sign changed (a debit of 100 becomes a credit of -100), or the reverse.
Each journal still balances (its debits and credits both less by the amount), each line keeps
one side; the header's and batch's running totals and a posted journal's balances
(PERIOD_NET_DR and PERIOD_NET_CR both less by it, and what is carried) follow.

**Growth** (`JournalLever.grow`, group_totals.py's last resort where no move inside a side
reaches a threshold: a small group far below it, gl-037's company without a SEGMENT1): one line
of the group's side and one line of the other side of the same journal both move by d, as if the
journal had been entered for d more (or less); it still balances, both lines keep their sign,
and the header's and batch's running totals and a posted journal's balances of both accounts
follow. Only where the gold sums that one side alone (`HavingTarget.one_column`): a net
`SUM(dr - cr)` would see the partner cancel the move.

EBS: the journal entry form takes any debit or credit per line (General Ledger User's Guide,
*Entering Journals*: a journal balances when its debits equal its credits), so two lines of one
journal may split the same total in any proportion; posting adds each line to its account's
period balance (the balances the journal moves here). Negative amounts are GL data: a journal
reversed with the reversal method *Change Sign* keeps each line's side and negates its amount
(General Ledger User's Guide, *Defining Reverse Journal Entries*: Switch Dr/Cr or Change Sign).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from harness.datagen.context import GenContext
from harness.datagen.document_levers import Protected, Tables
from harness.datagen.generic import is_null

LINES, HEADERS, LEDGERS, BALANCES = "GL_JE_LINES", "GL_JE_HEADERS", "GL_LEDGERS", "GL_BALANCES"
SIDES = {"ACCOUNTED_DR": "DR", "ENTERED_DR": "DR", "ACCOUNTED_CR": "CR", "ENTERED_CR": "CR"}
POSTED = "P"
_CENT = Decimal("0.01")
_OTHER = {"DR": "CR", "CR": "DR"}
_UNCAPPED = Decimal("1e15")  # a grown line has no cap but the column's precision


@dataclass
class JournalLever:
    """Moves the `side` (DR or CR) of a line by d, and another line of that side of its journal
    by -d (module docstring). `keep` are line rows that must not be the partner; `moved` lists
    each line moved (both of each pair), with what it moved by, for the caller's totals."""

    side: str
    keep: set[int] = field(default_factory=set)
    moved: list[tuple[int, Decimal]] = field(default_factory=list)

    def __call__(self, ctx: GenContext, tables: Tables, pos: int, delta: Decimal,
                 protected: Protected) -> bool:
        ccid = tables[LINES]["CODE_COMBINATION_ID"]
        for partner, header in self._partners(tables, pos, protected):
            balances = _balance_moves(tables, header, [(ccid[pos], delta),
                                                       (ccid[partner], -delta)], self.side)
            if balances is None or not self._fits(tables, pos, partner, delta):
                continue
            for row, d in ((pos, delta), (partner, -delta)):
                for column in (f"ACCOUNTED_{self.side}", f"ENTERED_{self.side}"):
                    _add(tables, LINES, column, np.array([row]), d)
            for column, rows, d in balances:
                _add(tables, BALANCES, column, rows, d)
            self.moved += [(pos, delta), (partner, -delta)]
            return True
        return False

    def grow(self, ctx: GenContext, tables: Tables, pos: int, delta: Decimal,
             protected: Protected) -> bool:
        """Line `pos`'s side moves by d and a line of the other side of its journal by d too
        (module docstring, *Growth*): the journal balances at a total larger (smaller) by d.
        Only journals in their ledger's currency; both lines keep their sign; neither is a
        twin. `moved` lists `pos` alone (the partner's side is not the one summed). False,
        and nothing changed, where no partner may move or a balance row is missing."""
        lines = tables[LINES]
        other = _OTHER[self.side]
        mine = lines[f"ACCOUNTED_{self.side}"]
        theirs = lines[f"ACCOUNTED_{other}"]
        twins = protected.get(LINES, set())
        if (delta == 0 or pos in twins or is_null(mine[pos:pos + 1])[0]
                or _room(_money(mine[pos]), delta, _UNCAPPED) < abs(delta)):
            return False
        header = _header_row(tables, lines["JE_HEADER_ID"][pos])
        if header is None or not _in_ledger_currency(tables, header):
            return False
        null = is_null(theirs)
        same = np.flatnonzero(lines["JE_HEADER_ID"] == lines["JE_HEADER_ID"][pos])
        ccid = lines["CODE_COMBINATION_ID"]
        for partner in (int(p) for p in same if int(p) not in twins and not null[p]):
            if _room(_money(theirs[partner]), delta, _UNCAPPED) < abs(delta):
                continue
            mine_moves = _balance_moves(tables, header, [(ccid[pos], delta)], self.side)
            their_moves = _balance_moves(tables, header, [(ccid[partner], delta)], other)
            if mine_moves is None or their_moves is None:
                return False
            for row, side in ((pos, self.side), (partner, other)):
                for kind in ("ACCOUNTED", "ENTERED"):
                    _add(tables, LINES, f"{kind}_{side}", np.array([row]), delta)
            _grow_totals(tables, header, delta)
            for column, rows, d in mine_moves + their_moves:
                _add(tables, BALANCES, column, rows, d)
            self.moved.append((pos, delta))
            return True
        return False

    def reach(self, tables: Tables, pos: int, delta: Decimal, protected: Protected) -> Decimal:
        """The largest part of `delta` (same sign, a whole number of cents) one move of line
        `pos` can take: both lines keep their sign; 0 where no partner may move."""
        accounted = tables[LINES][f"ACCOUNTED_{self.side}"]
        cap = self._cap(tables, pos)
        mine = _room(_money(accounted[pos]), delta, cap)
        room = [min(mine, _room(_money(accounted[p]), -delta, cap))
                for p, _ in self._partners(tables, pos, protected)]
        best = max(room, default=Decimal(0))
        return max(Decimal(0), min(best, abs(delta))) * (1 if delta > 0 else -1)

    def _partners(self, tables: Tables, pos: int,
                  protected: Protected) -> list[tuple[int, int]]:
        """(partner row, header row) of each line of `pos`'s journal and side it may move with:
        not kept, no twin, on another account; none for a twin's line or a foreign journal."""
        lines = tables[LINES]
        twins = protected.get(LINES, set())
        accounted = lines[f"ACCOUNTED_{self.side}"]
        null = is_null(accounted)
        if pos in twins or null[pos] or accounted[pos] == 0:
            return []
        header = _header_row(tables, lines["JE_HEADER_ID"][pos])
        if header is None or not _in_ledger_currency(tables, header):
            return []
        ccid = lines["CODE_COMBINATION_ID"]
        same = np.flatnonzero(lines["JE_HEADER_ID"] == lines["JE_HEADER_ID"][pos])
        return [(int(p), header) for p in same if p != pos and int(p) not in twins
                and int(p) not in self.keep and not null[p] and accounted[p] != 0
                and ccid[p] != ccid[pos]]

    def _fits(self, tables: Tables, pos: int, partner: int, delta: Decimal) -> bool:
        accounted = tables[LINES][f"ACCOUNTED_{self.side}"]
        cap = self._cap(tables, pos)
        return delta != 0 and all(abs(d) <= _room(_money(accounted[row]), d, cap)
                                  for row, d in ((pos, delta), (partner, -delta)))

    def _cap(self, tables: Tables, pos: int) -> Decimal:
        """The largest amount a line of `pos`'s journal and side holds: no move goes beyond."""
        lines = tables[LINES]
        side = lines[f"ACCOUNTED_{self.side}"][lines["JE_HEADER_ID"] == lines["JE_HEADER_ID"][pos]]
        return _money(np.nanmax(np.abs(side.astype(float))))


def _grow_totals(tables: Tables, header: int, delta: Decimal) -> None:
    """A journal grown by `delta` on both sides (`JournalLever.grow`): its header's and its
    batch's running totals, entered and accounted, follow (ledger currency: the same d)."""
    batches = tables["GL_JE_BATCHES"]
    batch = np.flatnonzero(batches["JE_BATCH_ID"] == tables[HEADERS]["JE_BATCH_ID"][header])
    for side in ("DR", "CR"):
        for column in (f"RUNNING_TOTAL_{side}", f"RUNNING_TOTAL_ACCOUNTED_{side}"):
            add_known(tables, HEADERS, column, np.array([header]), delta)
            add_known(tables, "GL_JE_BATCHES", column, batch, delta)


def add_known(tables: Tables, table: str, column: str, rows: np.ndarray,
              delta: Decimal) -> None:
    """`_add` on the rows whose value is known: a NULL running total (the catalog allows one)
    stays NULL rather than turning into the amount added."""
    known = rows[~is_null(tables[table][column][rows])] if len(rows) else rows
    if len(known):
        _add(tables, table, column, known, delta)


def _room(value: Decimal, d: Decimal, cap: Decimal) -> Decimal:
    """How far `value` may move in the direction of `d` and keep its sign (a negative line,
    one carried over to the other side, stays negative): up to `cap` away from zero, to a
    cent short of it towards zero."""
    if (value > 0) == (d > 0):
        return max(Decimal(0), cap - abs(value))
    return abs(value) - _CENT


def journal_side(table: str, column: str) -> str | None:
    """DR or CR for a GL line amount column, None for any other column."""
    return SIDES[column] if table == LINES and column in SIDES else None


def journal_lever(table: str, column: str) -> JournalLever | None:
    """The lever of a GL line amount column, None for any other column."""
    side = journal_side(table, column)
    return JournalLever(side) if side else None


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(_CENT)


def _header_row(tables: Tables, header_id: object) -> int | None:
    rows = np.flatnonzero(tables[HEADERS]["JE_HEADER_ID"] == header_id)
    return int(rows[0]) if len(rows) == 1 else None


def _in_ledger_currency(tables: Tables, header: int) -> bool:
    head, ledgers = tables[HEADERS], tables[LEDGERS]
    own = ledgers["CURRENCY_CODE"][ledgers["LEDGER_ID"] == head["LEDGER_ID"][header]]
    return len(own) == 1 and own[0] == head["CURRENCY_CODE"][header]


def _balance_moves(tables: Tables, header: int, moves: list[tuple[object, Decimal]],
                   side: str) -> list[tuple[str, np.ndarray, Decimal]] | None:
    """(column, rows, d) of GL_BALANCES that move when a posted journal's `side` moves by d on
    each (account, d) of `moves`; [] for an unposted journal, None where a balance row of an
    account in the journal's period is missing."""
    head = tables[HEADERS]
    if head["STATUS"][header] != POSTED:
        return []
    bal = tables[BALANCES]
    series = ((bal["LEDGER_ID"] == head["LEDGER_ID"][header])
              & (bal["CURRENCY_CODE"] == head["CURRENCY_CODE"][header])
              & (bal["ACTUAL_FLAG"] == head["ACTUAL_FLAG"][header]))
    out = []
    for account, d in moves:
        rows = series & (bal["CODE_COMBINATION_ID"] == account)
        here = np.flatnonzero(rows & (bal["PERIOD_NAME"] == head["PERIOD_NAME"][header]))
        if len(here) != 1:
            return None
        year, num = bal["PERIOD_YEAR"][here[0]], bal["PERIOD_NUM"][here[0]]
        order = bal["PERIOD_YEAR"] * 100 + bal["PERIOD_NUM"]
        now = year * 100 + num
        quarter = (bal["PERIOD_YEAR"] == year) & (_quarter(bal["PERIOD_NUM"]) == _quarter(num))
        out += [(f"PERIOD_NET_{side}", here, d),
                (f"PROJECT_TO_DATE_{side}", np.flatnonzero(rows & (order >= now)), d),
                (f"BEGIN_BALANCE_{side}", np.flatnonzero(rows & (order > now)), d),
                (f"QUARTER_TO_DATE_{side}", np.flatnonzero(rows & quarter & (order >= now)), d)]
    return out


def _quarter(num: object) -> object:
    """The quarter of a period number (the adjusting period 13 closes the fourth)."""
    return np.minimum((np.asarray(num) - 1) // 3, 3)


def _add(tables: Tables, table: str, column: str, rows: np.ndarray, delta: Decimal) -> None:
    """Add `delta` to `rows` of a copy of the column, to the cent (a NULL counts as 0: the
    balances nvl_zeros.py turned NULL held 0)."""
    data = tables[table][column].astype(float)
    old = np.nan_to_num(data[rows])
    data[rows] = np.round(old + float(delta), 2)
    tables[table][column] = data


def one_sided_group(tables: Tables, groups: list[list[int]], side: str,
                    limit: int) -> list[int]:
    """Lines of the first of `groups` (line rows, in the order to try) that can lose every
    `side` amount (module `to_other_side`), moved; [] where none can. A group of at most
    `limit` such lines only."""
    amounts = tables[LINES][f"ENTERED_{side}"]
    for group in groups:
        carrying = sorted({p for p in group if not is_null(amounts[p:p + 1])[0]})
        if 0 < len(carrying) <= limit and to_other_side(tables, carrying, side):
            return carrying
    return []


def to_other_side(tables: Tables, rows: list[int], side: str) -> bool:
    """Lines `rows` carry their `side` amount over to the other side with its sign changed
    (a debit of 100 becomes a credit of -100): each journal still balances, its debits and
    credits both less by that amount, and every line still has one side. The journals'
    running totals (a NULL one stays NULL), their batches' and, for posted ones, the balances
    follow. False, and nothing changed, where a line has no positive `side` amount or a
    posted journal's balance row is missing."""
    other = "CR" if side == "DR" else "DR"
    lines = tables[LINES]
    entered, accounted = lines[f"ENTERED_{side}"], lines[f"ACCOUNTED_{side}"]
    if not rows or (is_null(entered[rows]) | ~(entered[rows].astype(float) > 0)).any():
        return False
    moves: list[tuple[str, np.ndarray, Decimal]] = []
    heads = []
    for row in rows:
        header = _header_row(tables, lines["JE_HEADER_ID"][row])
        if header is None:
            return False
        heads.append(header)
        d = -_money(entered[row])
        for s in (side, other):
            found = _balance_moves(tables, header, [(lines["CODE_COMBINATION_ID"][row], d)], s)
            if found is None:
                return False
            moves += found
    batches = tables["GL_JE_BATCHES"]
    for row, header in zip(rows, heads, strict=True):
        e, a = _money(entered[row]), _money(accounted[row])
        batch = np.flatnonzero(batches["JE_BATCH_ID"] == tables[HEADERS]["JE_BATCH_ID"][header])
        for s in (side, other):
            add_known(tables, HEADERS, f"RUNNING_TOTAL_{s}", np.array([header]), -e)
            add_known(tables, HEADERS, f"RUNNING_TOTAL_ACCOUNTED_{s}", np.array([header]), -a)
            add_known(tables, "GL_JE_BATCHES", f"RUNNING_TOTAL_{s}", batch, -e)
            add_known(tables, "GL_JE_BATCHES", f"RUNNING_TOTAL_ACCOUNTED_{s}", batch, -a)
    for kind in ("ENTERED", "ACCOUNTED"):
        was = lines[f"{kind}_{side}"].astype(float)
        moved = lines[f"{kind}_{other}"].astype(float)
        moved[rows] = -was[rows]
        was[rows] = np.nan
        lines[f"{kind}_{side}"], lines[f"{kind}_{other}"] = was, moved
    for column, found, d in moves:
        _add(tables, BALANCES, column, found, d)
    return True

"""Group totals on HAVING thresholds: for each gold `HAVING SUM(x) op c`, groups whose total is
exactly c - 1, c and c + 1, so `>` vs `>=` and a threshold ±1 return another result.

Targeted rows (targeted.py) put single values on a constant; a HAVING constant is compared
with a group's total, which random data lands on almost never. `having_targets` reads each
shipped gold (sqlglot) for comparisons of `SUM(arg)` with a number in a HAVING clause, where
`arg` is a column of one table of the query, possibly inside `NVL(col, …)`/`COALESCE(col, …)`
(the *lever*). `place_group_totals` runs a *probe* of the gold's query block on the generated
columns (the block's FROM and WHERE, translated as scoring translates, on an in-memory DuckDB):
one output row per joined row with the lever table's primary key, the GROUP BY expressions, the
summed value and the lever. It then picks, per target total, the group whose total is nearest,
and moves the lever of one of its rows by the difference, so the group's total lands on it.

What keeps the data true: only free columns are moved (targeted._free: no key, no frozen
column, so a sum a data fact ties to other rows is never a lever: those thresholds are left
alone, and docs/test-suite-data.md lists them); a lever the block's WHERE or join conditions
read is left alone (moving it could move the row out of the block); the row moved is one the
probe holds once (a row a join fans out would move several groups), whose lever is not NULL,
not the column's minimum or maximum, not a constant another gold compares the column with and
not part of a twin; a column without negative values gets none, and a new value keeps the
column's scale and precision.

A frozen lever moves only where `document_levers.LEVERS` knows the rows that sum to it (an AP
invoice's amount with a line, a distribution and an installment; an AR installment's balance
with its original amount and its transaction's line): the whole document then moves by the
difference, and every amount fact stays true. A GL line amount moves with another line of
its side in the same journal (journal_levers.py: the journal stays balanced, its balances
follow), in steps over several lines where one journal cannot carry the whole difference, and as a
last resort by growing one journal on both sides (`JournalLever.grow`) where the gold sums that
side alone.
Amounts of a table carried from other rows (`CARRIED`: GL balances, summed from posted lines)
never move.

Each instance starts the goals at another of c - 1, c, c + 1 (seed mod 3): where one group
alone can reach the threshold, it lands on each of them on some instance.

Beyond the gold's own c - 1, c, c + 1, one more group of the same block is placed on each
round threshold (1,000, 2,000, 2,500, 5,000, 10,000, … 500,000,000) inside the range of its
positive totals:
a prediction (or a held-out gold) that groups the same rows may bring `HAVING SUM(x) > 10000`
of its own, and `>` vs `>=` on it differs only where a total is that round number. The recipe's
`round_total_blocks` add blocks no shipped gold has (a supplier's invoices in one unit, a
customer's open items), placed first so the golds' own totals, placed after, stay exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen.context import GenContext
from harness.datagen.document_levers import LEVERS, Mover
from harness.datagen.generic import is_null
from harness.datagen.journal_levers import JournalLever, journal_lever
from harness.datagen.probe import (
    block_tables,
    gold_blocks,
    key_items,
    probe_sql,
    probed_blocks,
    row_positions,
)
from harness.datagen.targeted import _constant, _free, from_recipe_golds, recipe_targets
from harness.datagen.values import ROUND_MANTISSAS
from harness.inputs.catalog import Catalog

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_OFFSETS = (-1, 0, 1)  # the totals placed around each threshold c: c - 1, c, c + 1
# and on round thresholds 10**ROUND_FROM … 5 * 10**(ROUND_UNTIL - 1) a prediction may bring
ROUND_FROM, ROUND_UNTIL = 3, 9
# tables whose amounts are carried from other rows, though no data fact checks them: GL
# balances are posted journal lines summed per period and carried across periods
# (tables_gl._balances), so one moved QUARTER_TO_DATE_DR would part it from PERIOD_NET_DR and
# from the lines (a right prediction reading the other would be judged wrong)
CARRIED = frozenset({"GL_BALANCES"})
# a journal lever's difference spread over at most this many moves (a group far from the
# threshold would otherwise empty its lines into the other groups')
MAX_STEPS = 6


@dataclass(frozen=True, order=True)
class HavingTarget:
    """A threshold `value` a gold compares `SUM(…table.column…)` with in a HAVING clause;
    `probe` is the Oracle query that lists the block's joined rows (module docstring)."""

    table: str
    column: str
    value: float
    probe: str
    # the SUM reads the lever column alone (`SUM(NVL(dr, 0))`, not `SUM(dr - cr)`): a journal
    # may grow on both sides (journal_levers.JournalLever.grow) without the sum seeing it
    one_column: bool = False

    def key(self) -> str:
        return f"HAVING SUM({self.table}.{self.column})={self.value}:{self.probe}"


def _lever(arg: exp.Expression) -> exp.Column | None:
    """The column a summed argument moves with one for one: the column itself, the first
    argument of NVL/COALESCE (where that is not NULL), or the left operand of a sum or
    difference whose right operand does not read it (`INVOICE_AMOUNT - NVL(AMOUNT_PAID, 0)`)."""
    while isinstance(arg, exp.Paren | exp.Coalesce | exp.Anonymous | exp.Add | exp.Sub):
        if isinstance(arg, exp.Anonymous) and arg.name.upper() != "NVL":
            return None
        if isinstance(arg, exp.Add | exp.Sub):
            left = _lever(arg.this)
            if left is None or any(c.name.upper() == left.name.upper()
                                   for c in arg.expression.find_all(exp.Column)):
                return None
            return left
        arg = arg.this if not isinstance(arg, exp.Anonymous) else arg.expressions[0]
    return arg if isinstance(arg, exp.Column) else None


def _thresholds(having: exp.Expression) -> list[tuple[exp.Sum, float]]:
    """(SUM node, constant) for each comparison of a SUM with a number in `having`."""
    out = []
    for node in having.walk():
        if isinstance(node, _COMPARISONS):
            for side, other in ((node.this, node.expression), (node.expression, node.this)):
                value = _constant(other)
                inner = side.unnest() if isinstance(side, exp.Paren) else side
                if isinstance(value, float) and isinstance(inner, exp.Sum) and not inner.args.get(
                        "distinct") and not isinstance(inner.this, exp.Distinct):
                    out.append((inner, value))
    return out


def _conditions_read(select: exp.Select, table_alias: str, column: str,
                     aliases: dict[str, str]) -> bool:
    """Whether the block's WHERE or join conditions read `alias.column`."""
    places = [select.args.get("where")] + [j.args.get("on") for j in select.args.get("joins")
                                           or []]
    for place in places:
        for col in (place.find_all(exp.Column) if place is not None else ()):
            qualifier = col.table.upper()
            if col.name.upper() == column and (qualifier == table_alias or (
                    not qualifier and len(set(aliases.values())) == 1)):
                return True
    return False


def having_targets(sql: str, catalog: Catalog) -> set[HavingTarget]:
    """The HAVING thresholds of one gold whose SUM has a lever column (module docstring)."""
    out = set()
    for select in gold_blocks(sql):
        having = select.args.get("having")
        if having is None:
            continue
        aliases = block_tables(select, catalog)
        for total, value in _thresholds(having):
            lever = _lever(total.this)
            if lever is None:
                continue
            qualifier = lever.table.upper() or (
                next(iter(aliases)) if len(set(aliases.values())) == 1 else "")
            table = aliases.get(qualifier)
            column = lever.name.upper()
            if (table is None or column not in catalog.tables[table].column_names
                    or _conditions_read(select, qualifier, column, aliases)):
                continue
            out.add(HavingTarget(table, column, value,
                                 _probe(select, qualifier, catalog.tables[table].primary_key,
                                        total.this, lever),
                                 all(c.name.upper() == column
                                     for c in total.this.find_all(exp.Column))))
    return out


def _probe(select: exp.Select, alias: str, key: Sequence[str], summed: exp.Expression,
           lever: exp.Column) -> str:
    """The block's joined rows: lever table key K0…, group expressions G0…, summed value V,
    lever L (Oracle text)."""
    group = select.args.get("group")
    items = key_items(alias, key) + [exp.alias_(g.copy(), f"G{i}") for i, g in
                                     enumerate(group.expressions if group else [])]
    items += [exp.alias_(summed.copy(), "V"), exp.alias_(lever.copy(), "L")]
    where = select.args.get("where")
    return probe_sql(select, items, where.this if where is not None else None)


def recipe_having_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[HavingTarget, ...]:
    """Every HAVING target of the answerable golds of the golden files, sorted; computed once
    per file version."""
    return from_recipe_golds(catalog, golden, having_targets, HavingTarget.key)


def block_having_targets(blocks: Sequence[str], catalog: Catalog) -> tuple[HavingTarget, ...]:
    """The HAVING targets of the recipe's `round_total_blocks`, in the recipe's order: common
    groupings (a supplier's invoices in one unit, a customer's open items) a held-out gold may
    total under a HAVING of its own; their groups are placed on the block's constant and on
    every round threshold (module docstring), as a gold's are. A block that gives no target
    (no SUM with a lever, a lever its WHERE reads) is a recipe error."""
    out: list[HavingTarget] = []
    for number, sql in enumerate(blocks, 1):
        found = having_targets(sql, catalog)
        if not found:
            raise ValueError(f"targeted.round_total_blocks[{number}]: no HAVING SUM(column) "
                             f"op constant with a movable column in {sql!r}")
        out.extend(sorted(found))
    return tuple(out)


def place_group_totals(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                       targets: Sequence[HavingTarget], frozen: frozenset[str],
                       protected: dict[str, set[int]] | None = None) -> int:
    """Move, per target and per total c - 1, c, c + 1, the lever of one row of the group
    nearest that total so the group's total lands on it (in place; module docstring).
    `protected` rows (twins and their originals) are never moved. Returns the groups set."""
    protected = protected or {}
    placed = 0
    compared = recipe_targets(ctx.catalog, ctx.recipe.targeted.paths())
    movable = (t for t in targets if _mover_of(ctx, t, frozen)[0])
    for target, rows in probed_blocks(ctx.catalog, tables, movable):
        placed += _place(ctx, tables, target, rows, protected,
                         {t.value for t in compared
                          if (t.table, t.column) == (target.table, target.column)},
                         _mover_of(ctx, target, frozen)[1])
    return placed


def _mover_of(ctx: GenContext, target: HavingTarget,
              frozen: frozenset[str]) -> tuple[bool, Mover | None]:
    """Whether the target's column may move, and the mover of a frozen one: a free column
    moves alone, a frozen amount only as a whole document or journal (document_levers.py,
    journal_levers.py), a carried one never."""
    free = (_free(ctx.catalog.tables[target.table], target.column, frozen)
            and target.table not in CARRIED)
    mover = None if free else (LEVERS.get((target.table, target.column))
                               or journal_lever(target.table, target.column))
    return free or mover is not None, mover


def _place(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]], target: HavingTarget,
           rows: pd.DataFrame, protected: dict[str, set[int]], constants: set,
           mover: Mover | None = None) -> int:
    table = ctx.catalog.tables[target.table]
    col = table.column(target.column)
    cols = tables[target.table]
    data = cols[target.column]
    if mover is None:  # a free lever is written in place, into a copy; a mover copies its own
        data = cols[target.column] = data.copy()
    null = is_null(data)
    if null.all() or data.dtype.kind not in "iuf":
        return 0
    low, high = data[~null].min(), data[~null].max()
    scale = col.type.storage_scale
    limit = (Decimal(10) ** (col.type.precision - (col.type.scale or 0))
             if col.type.precision else None)
    keys = [c for c in rows.columns if c.startswith("K")]
    groups = [c for c in rows.columns if c.startswith("G")]
    rows = rows.assign(_pos=row_positions(cols, table.primary_key, rows))
    once = ~rows.duplicated(keys, keep=False)
    group_of = (rows.groupby(groups, dropna=False, sort=False).ngroup() if groups
                else pd.Series(0, index=rows.index))
    totals = rows.assign(_g=group_of).groupby("_g")["V"].apply(
        lambda s: sum((Decimal(str(x)) for x in s if not pd.isna(x)), Decimal(0)))
    rng = ctx.rng(f"{target.key()}:group_totals")
    used: set[int] = set()
    placed = 0
    constant = Decimal(str(target.value))
    # the first goal takes the nearest group; where one group alone can reach the threshold
    # (two companies in millions, one small), each instance gives it another of c - 1, c, c + 1
    turn = ctx.seed % len(_OFFSETS)
    goals = [constant + offset for offset in _OFFSETS[turn:] + _OFFSETS[:turn]]
    goals += [g for g in round_goals(totals) if g not in goals]
    for goal in goals:
        order = sorted(totals.index, key=lambda g: (abs(totals[g] - goal), rng.random()))
        for g in order:
            if g in used:
                continue
            if isinstance(mover, JournalLever):  # its partner line lies in no group placed
                mover.keep = _positions(rows[group_of.isin(used | {g})])
                mover.moved.clear()
            group = rows[(group_of == g) & once]
            column = (data, null, low, high, scale, limit)
            if (_move_group(ctx, tables, target, group, goal - totals[g], column, protected,
                            constants, mover)
                    or _move_in_steps(ctx, tables, target, group, goal - totals[g], column,
                                      protected, constants, mover)
                    or _grow_journal(ctx, tables, target, group, goal - totals[g], column,
                                     protected, constants, mover)):
                used.add(g)
                placed += 1
                _follow_lines(mover, rows, group_of, totals)
                totals[g] = goal
                break
    return placed


def _move_in_steps(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                   target: HavingTarget, group: pd.DataFrame, delta: Decimal, column: tuple,
                   protected: dict[str, set[int]], constants: set, mover: Mover | None) -> bool:
    """A journal lever's `delta` spread over at most `MAX_STEPS` moves of the group's lines
    where no one line's journal carries all of it (a small group far below the threshold),
    tried on a copy of the tables: all of it moves, or nothing."""
    if not isinstance(mover, JournalLever):
        return False
    data, null, low, high, _, _ = column
    trial = {t: dict(cols) for t, cols in tables.items()}  # a mover replaces, never writes in
    steps = 0
    for pos, _ in _movable_rows(group, data, null, low, high,
                                protected.get(target.table, set()), constants):
        # one line may take from each of its journal's other lines in turn
        while delta and steps < MAX_STEPS and (part := mover.reach(trial, pos, delta,
                                                                    protected)):
            if not mover(ctx, trial, pos, part, protected):
                break
            delta -= part
            steps += 1
        if not delta:
            for t, cols in trial.items():
                tables[t].update(cols)
            return True
    mover.moved.clear()  # nothing moved: the trial is dropped
    return False


def _grow_journal(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                  target: HavingTarget, group: pd.DataFrame, delta: Decimal, column: tuple,
                  protected: dict[str, set[int]], constants: set, mover: Mover | None) -> bool:
    """A journal lever's last resort: one line of the group and a line of the other side of
    its journal both move by `delta` (the journal grows or shrinks and still balances), where
    the gold sums the lever's side alone; whether one moved."""
    if not (isinstance(mover, JournalLever) and target.one_column):
        return False
    data, null, low, high, _, _ = column
    return any(mover.grow(ctx, tables, pos, delta, protected)
               for pos, _ in _movable_rows(group, data, null, low, high,
                                           protected.get(target.table, set()), constants))


def _follow_lines(mover: Mover | None, rows: pd.DataFrame, group_of: pd.Series,
                  totals: pd.Series) -> None:
    """The totals of the groups whose lines a journal lever moved (either line of a pair)."""
    if isinstance(mover, JournalLever):
        for line, moved in mover.moved:
            for h in group_of[rows["_pos"] == line]:
                totals[h] += moved
        mover.moved.clear()


def _positions(rows: pd.DataFrame) -> set[int]:
    return {int(p) for p in rows["_pos"] if p is not None and not pd.isna(p)}


def round_goals(totals: Iterable[Decimal]) -> list[Decimal]:
    """Round thresholds a group total is also placed on: the round mantissas amounts are
    drawn on (values.ROUND_MANTISSAS: 1, 2, 2.5 and 5) times a power of ten from
    `ROUND_FROM` up, inside the range of the positive totals (module docstring)."""
    positive = [t for t in totals if t > 0]
    if not positive:
        return []
    low, high = min(positive), max(positive)
    return [goal for k in range(ROUND_FROM, ROUND_UNTIL) for m in ROUND_MANTISSAS
            if low <= (goal := Decimal(str(m)) * Decimal(10) ** k) <= high]


def _move_group(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                target: HavingTarget, group: pd.DataFrame, delta: Decimal,
                column: tuple, protected: dict[str, set[int]], constants: set,
                mover: Mover | None) -> bool:
    """Move the lever of the first row of `group` that may move by `delta` (a free column
    directly, a frozen one with its document: `mover`); whether one moved."""
    data, null, low, high, scale, limit = column
    for pos, lever in _movable_rows(group, data, null, low, high,
                                    protected.get(target.table, set()), constants):
        new = (lever + delta).quantize(Decimal(1).scaleb(-scale))
        if (new != lever + delta or (low >= 0 > new)
                or (limit is not None and abs(new) >= limit)):
            continue
        if mover is not None:
            if mover(ctx, tables, pos, delta, protected):
                return True
            continue
        data[pos] = int(new) if data.dtype.kind in "iu" else float(new)
        return True
    return False


def _movable_rows(group: pd.DataFrame, data: np.ndarray, null: np.ndarray, low: object,
                  high: object, protected: set[int],
                  constants: set) -> Iterator[tuple[int, Decimal]]:
    """The rows of `group` whose lever may move (module docstring), with their lever values."""
    for pos, lever in zip(group["_pos"], group["L"], strict=True):
        if pos is None or pd.isna(lever) or pos in protected:
            continue
        pos = int(pos)
        value = data[pos]
        if null[pos] or value in (low, high) or float(value) in constants:
            continue
        yield pos, Decimal(str(lever))


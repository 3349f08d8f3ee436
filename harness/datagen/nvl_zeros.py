"""NVL zeros: NULL where a gold reads an amount through `NVL(x, 0)` inside an aggregate, so
the NVL dropped or moved changes the result.

`SUM(NVL(x, 0))` and `SUM(x)` differ only on a group whose x are all NULL (0 against NULL);
`SUM(NVL(a, 0) - NVL(b, 0))` and `SUM(NVL(a, 0) - b)` only where a row holds a NULL b beside
a non-zero a (that row drops out of the sum). NULLs per unit (`hand_nulls`) and the unit
without amounts (`generic.amountless_turn`) put NULLs in a table, but rarely a whole group of
a gold's GROUP BY, and never in frozen amounts. `zero_targets` reads every shipped gold
(sqlglot) for `NVL(col, 0)` / `COALESCE(col, 0)` of a numeric column of the block's own tables
under an aggregate of that block; `place_zero_nulls` probes the block (probe.py: its FROM and
WHERE, one row per joined row with the column table's key, the GROUP BY expressions, the
column and the aggregate's argument with this NVL read as 0) and then:

- **group** (`SUM(NVL(col, 0))`, the NVL the aggregate's whole argument): makes one group's
  column NULL on every row the block reads: the group that needs the fewest non-zero values
  replaced (at most `MAX_REPLACED`), the largest among those (a HAVING COUNT(*) >= c keeps
  it);
- **row** (the NVL inside arithmetic): makes the column NULL on `ROWS` rows of the block
  whose aggregate argument with the NVL read as 0 is not zero (the other operand carries an
  amount, so the row drops out of the prediction's sum), rows holding 0 first.

What keeps the data true: only nullable numeric columns that are no key, foreign key,
striping, unique-key or `never_null` column. A frozen column (a data fact ties it to other
rows: an invoice's AMOUNT_PAID to its payments) turns NULL only where it holds 0, which every
fact reads as NULL-or-zero (`coalesce(AMOUNT_PAID, 0)`; AP_INVOICES_ALL.AMOUNT_PAID is NULL
before the first payment, the catalog says, so an unpaid invoice holds either); its sums stay
what they were. GL journal lines (one side NULL, never 0, frozen: journals balance) take the
other way (journal_levers.to_other_side): the group's lines carrying the column's side carry
it over to the other side with the sign changed (a debit of 100 becomes a credit of -100), so
the group's debits (credits) are all NULL while every journal still balances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen.context import GenContext
from harness.datagen.generic import is_null
from harness.datagen.journal_levers import journal_side, one_sided_group
from harness.datagen.probe import (
    block_tables,
    gold_blocks,
    key_items,
    probe_sql,
    probed_blocks,
    row_positions,
)
from harness.datagen.targeted import from_recipe_golds
from harness.inputs.catalog import Catalog, Table

MAX_REPLACED = 20  # non-zero values a group may lose to become all NULL
ROWS = 2  # rows of a block that take a NULL operand
GROUP, ROW = "group", "row"


@dataclass(frozen=True, order=True)
class ZeroTarget:
    """A gold reads `table.column` through `NVL(column, 0)` under an aggregate: `mode` says
    whether the NVL is the aggregate's whole argument (group) or inside arithmetic (row);
    `probe` lists the block's joined rows (module docstring)."""

    table: str
    column: str
    mode: str
    probe: str

    def key(self) -> str:
        return f"NVL({self.table}.{self.column}, 0) {self.mode}:{self.probe}"


def nullable_amount(table: Table, column: str, never_null: frozenset[str]) -> bool:
    """Whether `table.column` may hold NULL in place of an amount (module docstring)."""
    col = table.column(column)
    taken = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    taken |= {c for key in table.unique_keys for c in key.columns}
    if table.striping:
        taken.add(table.striping.column)
    return (col.type.is_numeric and col.nullable and column not in taken
            and f"{table.name}.{column}" not in never_null)


def _is_zero(node: exp.Expression) -> bool:
    node = node.unnest() if isinstance(node, exp.Paren) else node
    return isinstance(node, exp.Literal) and not node.is_string and float(node.this) == 0


def _aggregate_of(node: exp.Expression, select: exp.Select) -> exp.AggFunc | None:
    """The aggregate of `select` (not of a subquery) that `node` sits in."""
    parent = node.parent
    while parent is not None and parent is not select:
        if isinstance(parent, exp.Select):
            return None
        if isinstance(parent, exp.AggFunc):
            return parent
        parent = parent.parent
    return None


def zero_targets(sql: str, catalog: Catalog) -> set[ZeroTarget]:
    """The `NVL(col, 0)` reads under an aggregate of one gold's blocks."""
    out = set()
    for select in gold_blocks(sql):
        aliases = block_tables(select, catalog)
        for node in select.find_all(exp.Coalesce):
            column, rest = node.this, node.expressions
            if not (isinstance(column, exp.Column) and len(rest) == 1 and _is_zero(rest[0])):
                continue
            aggregate = _aggregate_of(node, select)
            qualifier = column.table.upper() or (
                next(iter(aliases)) if len(set(aliases.values())) == 1 else "")
            if aggregate is None or qualifier not in aliases:
                continue
            table = catalog.tables[aliases[qualifier]]
            name = column.name.upper()
            if name not in table.column_names or not table.column(name).type.is_numeric:
                continue
            argument = aggregate.this.unnest() if isinstance(aggregate.this, exp.Paren) \
                else aggregate.this
            mode = GROUP if argument is node else ROW
            group = select.args.get("group")
            items = key_items(qualifier, table.primary_key)
            items += [exp.alias_(g.copy(), f"G{i}")
                      for i, g in enumerate(group.expressions if group else [])]
            # the argument with this NVL read as 0: what the gold sums where the column is NULL
            without = argument.transform(
                lambda n, this=node: exp.Literal.number(0) if n == this else n)
            items += [exp.alias_(exp.column(name, table=exp.to_identifier(qualifier.lower())),
                                 "V"), exp.alias_(without, "E")]
            where = select.args.get("where")
            probe = probe_sql(select, items, where.this if where is not None else None)
            out.add(ZeroTarget(table.name, name, mode, probe))
    return out


def recipe_zero_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[ZeroTarget, ...]:
    """Every NVL zero target of the answerable golds of the golden files, sorted."""
    return from_recipe_golds(catalog, golden, zero_targets, ZeroTarget.key)



def place_zero_nulls(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                     targets: Sequence[ZeroTarget], frozen: frozenset[str]) -> int:
    """NULL in each target's column on an all-NULL group or on `ROWS` operand rows (in
    place; module docstring). Returns the values made NULL."""
    never_null = frozenset(ctx.recipe.never_null)
    placed = 0
    nullable = (t for t in targets if nullable_amount(ctx.catalog.tables[t.table], t.column,
                                                      never_null))
    for target, rows in probed_blocks(ctx.catalog, tables, nullable):
        table = ctx.catalog.tables[target.table]
        cols = tables[target.table]
        rows = rows.assign(_pos=row_positions(cols, table.primary_key, rows))
        rows = rows[rows["_pos"].notna()]
        locked = (f"{table.name}.{target.column}" in frozen
                  or f"{table.name}.*" in frozen)
        if target.mode == GROUP and journal_side(target.table, target.column):
            placed += len(one_sided_group(tables, _groups_to_try(rows),
                                          journal_side(target.table, target.column),
                                          MAX_REPLACED))
            continue
        chosen = (all_null_group(rows, locked) if target.mode == GROUP
                  else operand_rows(ctx, target, rows, locked))
        if chosen:
            data = cols[target.column].astype(float)
            data[chosen] = np.nan
            cols[target.column] = data
            placed += len(chosen)
    return placed


def block_zero_targets(blocks: Sequence[str], catalog: Catalog) -> tuple[ZeroTarget, ...]:
    """The one-sided GL targets of the recipe's `one_sided_blocks` (groupings no gold has,
    `SUM(NVL(jl.side, 0))` grouped by a partition column first), in the recipe's order; a block
    that gives no group-mode target on a GL line amount is a recipe error."""
    out: list[ZeroTarget] = []
    for number, sql in enumerate(blocks, 1):
        found = sorted(t for t in zero_targets(sql, catalog)
                       if t.mode == GROUP and journal_side(t.table, t.column))
        if not found:
            raise ValueError(f"targeted.one_sided_blocks[{number}]: no SUM(NVL(GL line "
                             f"amount, 0)) by group in {sql!r}")
        out.extend(found)
    return tuple(out)


def place_one_sided_per_partition(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                                  targets: Sequence[ZeroTarget]) -> int:
    """For each target of `block_zero_targets`, one group per value of its first GROUP BY
    expression (a period) loses every amount of its side (journal_levers.to_other_side), the
    group with the fewest such lines first; a partition holding such a group already is left
    alone. Returns the lines moved. A held-out gold may group any period's lines by category or
    journal: one-sided groups of the golds' own blocks reach only the golds' periods."""
    placed = 0
    for target, rows in probed_blocks(ctx.catalog, tables, targets):
        table = ctx.catalog.tables[target.table]
        rows = rows.assign(_pos=row_positions(tables[target.table], table.primary_key, rows))
        rows = rows[rows["_pos"].notna()]
        if "G0" not in rows.columns or "G1" not in rows.columns:
            continue
        for _, part in rows.groupby("G0", dropna=True, sort=True):
            placed += len(one_sided_group(tables, _groups_to_try(part),
                                          journal_side(target.table, target.column),
                                          MAX_REPLACED))
    return placed


def _groups_to_try(rows: pd.DataFrame) -> list[list[int]]:
    """The block's groups as line rows, those with the fewest amounts first (then the most
    rows); none where a group holds no amount already (its SUM is NULL there)."""
    null, _ = _values(rows)
    rows = rows.assign(_null=null)
    groups = [c for c in rows.columns if c.startswith("G")]
    parts = [part for _, part in (rows.groupby(groups, dropna=False, sort=True) if groups
                                  else [((), rows)])]
    if any(part["_null"].all() for part in parts):
        return []
    parts.sort(key=lambda part: (int((~part["_null"]).sum()), -len(part)))
    return [[int(p) for p in part["_pos"]] for part in parts]


def _values(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per probe row: whether V is NULL, whether it is a non-zero amount."""
    null = is_null(rows["V"].to_numpy())
    value = pd.to_numeric(rows["V"], errors="coerce").fillna(0).to_numpy()
    return null, ~null & (value != 0)


def all_null_group(rows: pd.DataFrame, locked: bool) -> list[int]:
    """Positions of the group to make all NULL: of the groups that may become so, the one
    with the fewest non-zero values, then the most rows; none when that group is all NULL
    already (a smaller all-NULL group may fail a HAVING COUNT(*) the chosen one passes)."""
    null, nonzero = _values(rows)
    rows = rows.assign(_null=null, _nonzero=nonzero)
    groups = [c for c in rows.columns if c.startswith("G")]
    parts = rows.groupby(groups, dropna=False, sort=True) if groups else [((), rows)]
    best: tuple[int, int, bool] | None = None
    chosen: list[int] = []
    for _, part in parts:
        replaced = int(part["_nonzero"].sum())
        if (locked and replaced) or replaced > MAX_REPLACED:
            continue
        rank = (replaced, -len(part), not part["_null"].all())
        if best is None or rank < best:
            best, chosen = rank, sorted({int(p) for p in part["_pos"]})
    return chosen if best is not None and best[2] else []


def operand_rows(ctx: GenContext, target: ZeroTarget, rows: pd.DataFrame,
                  locked: bool) -> list[int]:
    """Positions of `ROWS` rows whose column turns NULL where the aggregate's argument with
    the NVL read as 0 is not zero (E); none when the block holds such a row already."""
    null, nonzero = _values(rows)
    argument = pd.to_numeric(rows["E"], errors="coerce").fillna(0).to_numpy() != 0
    if (null & argument).any():
        return []
    fit = ~null & argument & ~(locked & nonzero)
    positions = rows["_pos"].to_numpy().astype(int)
    rng = ctx.rng(f"{target.key()}:nvl_zeros")
    order = np.lexsort((rng.random(len(rows)), nonzero))  # zeros first, then by chance
    out: list[int] = []
    for i in order:
        if fit[i] and positions[i] not in out:
            out.append(int(positions[i]))
        if len(out) == ROWS:
            break
    return out

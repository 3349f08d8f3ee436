"""Group sizes on HAVING COUNT thresholds: for each gold `HAVING COUNT(*) op c`, groups of
exactly c - 1, c and c + 1 rows, so `>` vs `>=` and a threshold ±1 return another result.

group_totals.py lands a group's SUM on a constant by moving one summed value; a COUNT only
moves when rows change group. `count_targets` reads each shipped gold (sqlglot) for
comparisons of `COUNT(*)` with a number in a HAVING clause and finds the block's *lever*: the
column whose value puts a row in its group, that is a GROUP BY column, or the column a join
equates with it (`GROUP BY sup.person_id` over `sup.person_id = paaf.supervisor_id`: the
assignment's SUPERVISOR_ID). `place_group_counts` runs a probe of the block (probe.py: its
FROM and WHERE, one row per joined row with the lever table's key, the GROUP BY expressions
and the lever), then per size c - 1, c, c + 1 takes the group nearest that size and moves
rows between it and the largest other group by giving them the other group's lever value.

What keeps the data true: a row takes a lever value another row of the same block holds, so a
foreign key still resolves and the row still joins (the lever's only reads in the block are
that join, or `IS [NOT] NULL`, which a non-NULL value from the block passes); never a key,
striping, unique-key or frozen column, nor a mandatory parent (a NOT NULL foreign key: the
row's children point at its parent's rows); only rows the probe holds once (a row a join
fans out would move several group members) and no twin; at most `MAX_MOVES` rows per size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen.context import GenContext
from harness.datagen.group_totals import _COMPARISONS, _OFFSETS  # sizes c - 1, c, c + 1
from harness.datagen.probe import (
    block_tables,
    gold_blocks,
    key_items,
    probe_sql,
    probed_blocks,
    row_positions,
)
from harness.datagen.targeted import _constant, from_recipe_golds
from harness.inputs.catalog import Catalog, Table

MAX_MOVES = 25  # rows moved at most to bring one group to its size


@dataclass(frozen=True, order=True)
class CountTarget:
    """A size `value` a gold compares `COUNT(*)` of a group with; rows change group through
    `table.column`; `probe` is the Oracle query that lists the block's joined rows."""

    table: str
    column: str
    value: float
    probe: str

    def key(self) -> str:
        return f"HAVING COUNT BY {self.table}.{self.column}={self.value}:{self.probe}"


def _count_thresholds(having: exp.Expression) -> list[float]:
    out = []
    for node in having.walk():
        if isinstance(node, _COMPARISONS):
            for side, other in ((node.this, node.expression), (node.expression, node.this)):
                value = _constant(other)
                inner = side.unnest() if isinstance(side, exp.Paren) else side
                if (isinstance(value, float) and value >= 1 and isinstance(inner, exp.Count)
                        and isinstance(inner.this, exp.Star)):
                    out.append(value)
    return out


def _name(col: exp.Column, aliases: dict[str, str]) -> tuple[str, str] | None:
    """(alias, COLUMN) of a column of the block's own tables."""
    qualifier = col.table.upper()
    if not qualifier and len(set(aliases.values())) == 1:
        qualifier = next(iter(aliases))
    return (qualifier, col.name.upper()) if qualifier in aliases else None


def _reads(select: exp.Select) -> list[exp.Expression]:
    return [select.args.get("where")] + [j.args.get("on") for j in select.args.get("joins")
                                         or []]


def _lever(select: exp.Select, aliases: dict[str, str]) -> tuple[str, str] | None:
    """The column that puts a row in its group (module docstring), when the block reads it
    nowhere else than in that join and in `IS [NOT] NULL`."""
    group = select.args.get("group")
    for g in group.expressions if group else []:
        if not isinstance(g, exp.Column) or (here := _name(g, aliases)) is None:
            continue
        lever, join = here, None
        for place in _reads(select):
            for eq in (place.find_all(exp.EQ) if place is not None else ()):
                sides = [_name(s, aliases) if isinstance(s, exp.Column) else None
                         for s in (eq.this, eq.expression)]
                if here in sides and None not in sides and sides[0][0] != sides[1][0]:
                    lever, join = sides[1] if sides[0] == here else sides[0], eq
        if _read_elsewhere(select, lever, join, aliases):
            continue
        return lever
    return None


def _read_elsewhere(select: exp.Select, lever: tuple[str, str], join: exp.EQ | None,
                    aliases: dict[str, str]) -> bool:
    for place in _reads(select):
        for col in (place.find_all(exp.Column) if place is not None else ()):
            if _name(col, aliases) != lever:
                continue
            parent = col.parent.unnest() if isinstance(col.parent, exp.Paren) else col.parent
            if parent is join or (isinstance(parent, exp.Is)
                                  and isinstance(parent.expression, exp.Null)):
                continue
            return True
    return False


def movable(table: Table, column: str, frozen: frozenset[str]) -> bool:
    """Whether rows may change group through `table.column` (module docstring)."""
    taken = set(table.primary_key) | {c for key in table.unique_keys for c in key.columns}
    # a mandatory parent (NOT NULL foreign key) owns the row: moving it would re-parent a row
    # whose children point at the old parent's rows (an account's sites at its party's sites)
    taken |= {c for fk in table.foreign_keys for c in fk.columns
              if not table.column(c).nullable}
    if table.striping:
        taken.add(table.striping.column)
    return (column not in taken and f"{table.name}.{column}" not in frozen
            and f"{table.name}.*" not in frozen)


def count_targets(sql: str, catalog: Catalog) -> set[CountTarget]:
    """The HAVING COUNT(*) thresholds of one gold whose block has a lever column."""
    out = set()
    for select in gold_blocks(sql):
        having = select.args.get("having")
        if having is None:
            continue
        aliases = block_tables(select, catalog)
        values = _count_thresholds(having)
        lever = _lever(select, aliases) if values else None
        if lever is None:
            continue
        alias, column = lever
        table = catalog.tables[aliases[alias]]
        if column not in table.column_names:
            continue
        group = select.args["group"]
        items = key_items(alias, table.primary_key) + [
            exp.alias_(g.copy(), f"G{i}") for i, g in enumerate(group.expressions)]
        items.append(exp.alias_(exp.column(column, table=exp.to_identifier(alias.lower())),
                                "L"))
        where = select.args.get("where")
        probe = probe_sql(select, items, where.this if where is not None else None)
        out |= {CountTarget(table.name, column, v, probe) for v in values}
    return out


def recipe_count_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[CountTarget, ...]:
    """Every HAVING COUNT target of the answerable golds of the golden files, sorted."""
    return from_recipe_golds(catalog, golden, count_targets, CountTarget.key)



def place_group_counts(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                       targets: Sequence[CountTarget], frozen: frozenset[str],
                       protected: dict[str, set[int]] | None = None) -> int:
    """Bring, per target and per size c - 1, c, c + 1, one group to that many rows (in place;
    module docstring). `protected` rows (twins) never move. Returns the groups sized."""
    protected = protected or {}
    placed = 0
    sizable = (t for t in targets if movable(ctx.catalog.tables[t.table], t.column, frozen))
    for target, rows in probed_blocks(ctx.catalog, tables, sizable):
        placed += _size(ctx, tables, target, rows, protected.get(target.table, set()))
    return placed


def _size(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]], target: CountTarget,
          rows: pd.DataFrame, protected: set[int]) -> int:
    table = ctx.catalog.tables[target.table]
    cols = tables[target.table]
    data = cols[target.column] = cols[target.column].copy()
    keys = [c for c in rows.columns if c.startswith("K")]
    groups = [c for c in rows.columns if c.startswith("G")]
    rows = rows.assign(_pos=row_positions(cols, table.primary_key, rows))
    once = ~rows.duplicated(keys, keep=False) & rows["_pos"].notna() & rows["L"].notna()
    once &= ~rows["_pos"].isin(list(protected))
    rows = rows.assign(_g=rows.groupby(groups, dropna=False, sort=False).ngroup())
    members = {g: list(part.index) for g, part in rows.groupby("_g")}
    lever = {g: rows.loc[idx[0], "L"] for g, idx in members.items()}
    movable_rows = {g: [i for i in idx if once[i]] for g, idx in members.items()}
    members = {g: idx for g, idx in members.items() if not pd.isna(lever[g])}  # no NULL group
    rng = ctx.rng(f"{target.key()}:group_counts")
    used: set[int] = set()
    placed = 0
    for offset in _OFFSETS:
        goal = int(target.value) + offset
        if goal < 1:
            continue
        order = sorted((g for g in members if g not in used),
                       key=lambda g: (abs(len(members[g]) - goal), rng.random()))
        for g in order:
            donor = max((d for d in members if d not in used and d != g),
                        key=lambda d: (len(members[d]), -d), default=None)
            if donor is None:
                break
            need = goal - len(members[g])
            source, sink = (g, donor) if need < 0 else (donor, g)
            moving = movable_rows[source][: abs(need)]
            if abs(need) > MAX_MOVES or len(moving) < abs(need) or (
                    need > 0 and len(members[donor]) - need < 1):
                continue
            for i in moving:
                data[int(rows.at[i, "_pos"])] = _as(data, lever[sink])
                members[source].remove(i)
                movable_rows[source].remove(i)
                members[sink].append(i)
            used.add(g)
            placed += 1
            break
    return placed


def _as(data: np.ndarray, value: object) -> object:
    """`value` in the representation of the column array `data`."""
    if data.dtype.kind in "iu":
        return int(value)
    if data.dtype.kind == "f":
        return float(value)
    if data.dtype.kind == "M":
        return np.datetime64(pd.Timestamp(value))
    return value

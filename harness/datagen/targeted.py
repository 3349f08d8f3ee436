"""Targeted rows: values placed on, just below and just above every constant a gold compares a
column with, so the boundary neighbours of the golds (`>` vs `>=`, a constant ±1, a dropped
range bound) return another result on some instance (constant-aware data, as test-suite
accuracy's fuzzing draws from the gold's own constants: Zhong, Yu, Klein 2020).

`gold_targets` reads every shipped gold (sqlglot) and collects (table, column, constant) for
each comparison, BETWEEN and IN of a column with a number or a date literal. `place_targets`
then overwrites, in a few rows chosen at random per instance, that column with c - 1, c and
c + 1 (dates: midnight of the day before, of and after). Only free columns are touched: never a
key (primary, foreign, striping, `*_ID`), never a column the recipe freezes because a data fact
depends on it (`targeted.frozen`), and a start date moves with its end date (the row keeps its
duration), so every catalog constraint and every embedded fact stays true.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
from sqlglot import exp

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.generic import is_null
from harness.inputs.catalog import Catalog, Table

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
# literal wrappers that keep the literal's value: DATE '…', TO_DATE('…', fmt), CAST, -x
_WRAPPERS = (exp.Paren, exp.Cast, exp.StrToTime, exp.StrToDate, exp.TsOrDsToDate,
             exp.TimeStrToTime, exp.DateStrToDate, exp.Date)
# the partner column that moves with a date column, so intervals keep their order
_INTERVALS = (("EFFECTIVE_START_DATE", "EFFECTIVE_END_DATE"),
              ("START_DATE_ACTIVE", "END_DATE_ACTIVE"), ("START_DATE", "END_DATE"),
              ("DATE_FROM", "DATE_TO"), ("CREATION_DATE", "LAST_UPDATE_DATE"))

Constant = float | dt.date
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Target:
    """A constant a gold compares `table.column` with."""

    table: str
    column: str
    value: Constant

    def key(self) -> str:
        return f"{self.table}.{self.column}={self.value}"


def table_aliases(tree: exp.Expr, catalog: Catalog) -> dict[str, str]:
    """Catalog tables a query reads, by their name and by each alias (upper case)."""
    aliases: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        name = table.name.upper()
        if name in catalog.tables:
            aliases[name] = name
            if table.alias:
                aliases[table.alias.upper()] = name
    return aliases


def _constant(node: exp.Expression) -> Constant | None:
    """The number or ISO date a literal (possibly wrapped, negated) stands for; a date plus
    or minus a number of days is that day (`DATE '2025-06-15' - 90`), and `ADD_MONTHS` of
    constants the day Oracle computes (`_months_added`)."""
    if isinstance(node, exp.AddMonths):
        return _months_added(node)
    if isinstance(node, exp.Add | exp.Sub):
        day, days = _constant(node.this), _constant(node.expression)
        if isinstance(day, dt.date) and isinstance(days, float) and days == int(days):
            sign = 1 if isinstance(node, exp.Add) else -1
            return day + dt.timedelta(days=sign * int(days))
        return None
    sign = 1
    while True:
        if isinstance(node, exp.Neg):
            sign, node = -sign, node.this
        elif isinstance(node, _WRAPPERS):
            node = node.this
        else:
            break
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        if not _ISO_DATE.match(node.this) or sign < 0:
            return None
        try:
            return dt.date.fromisoformat(node.this[:10])
        except ValueError:
            return None
    try:
        return sign * float(node.this)
    except ValueError:
        return None


def _months_added(node: exp.AddMonths) -> dt.date | None:
    """`ADD_MONTHS(day, n)` of a constant day and a constant whole n (`-50 * 12`), as Oracle
    computes it (SQL Language Reference, ADD_MONTHS): the same day of the month n months on,
    or that month's last day when `day` is the last day of its month or the target month is
    shorter (`ADD_MONTHS(DATE '2024-12-31', -600)` is 1974-12-31: an age on a day)."""
    day, months = _constant(node.this), _number(node.expression)
    if not isinstance(day, dt.date) or months is None or months != int(months):
        return None
    index = day.year * 12 + day.month - 1 + int(months)
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        return None
    last = calendar.monthrange(year, month + 1)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, last if at_end else min(day.day, last))


def _number(node: exp.Expression) -> float | None:
    """A number written as constant arithmetic (`-50 * 12`, `(3 + 1)`), else None."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Mul | exp.Add | exp.Sub):
        left, right = _number(node.this), _number(node.expression)
        if left is None or right is None:
            return None
        if isinstance(node, exp.Mul):
            return left * right
        return left + right if isinstance(node, exp.Add) else left - right
    value = _constant(node)
    return value if isinstance(value, float) else None


def _columns_of(node: exp.Expression) -> list[exp.Column]:
    """The column a compared expression is, seen through UPPER/TRUNC/NVL-like wrappers of one
    column (TRUNC(d) = DATE '…' still needs rows on that day)."""
    while isinstance(node, exp.Paren | exp.Upper | exp.Lower | exp.DateTrunc
                     | exp.TimestampTrunc | exp.Coalesce | exp.Trim | exp.Cast):
        node = node.this
    return [node] if isinstance(node, exp.Column) else []


def _pairs(tree: exp.Expression) -> Iterable[tuple[exp.Column, Constant]]:
    for node in tree.walk():
        if isinstance(node, _COMPARISONS):
            for side, other in ((node.this, node.expression), (node.expression, node.this)):
                value = _constant(other)
                if value is not None:
                    yield from ((c, value) for c in _columns_of(side))
        elif isinstance(node, exp.Between):
            low, high = node.args.get("low"), node.args.get("high")
            for bound in (low, high):
                value = _constant(bound) if bound is not None else None
                if value is not None:
                    yield from ((c, value) for c in _columns_of(node.this))
            # `DATE 'c' BETWEEN start AND end`: rows starting or ending on c tell c from c ± 1
            value = _constant(node.this)
            if value is not None:
                for bound in (low, high):
                    yield from ((c, value) for c in _columns_of(bound))
        elif isinstance(node, exp.In) and node.expressions:
            for item in node.expressions:
                value = _constant(item)
                if value is not None:
                    yield from ((c, value) for c in _columns_of(node.this))


def targets_of(sql: str, catalog: Catalog) -> set[Target]:
    """The (table, column, constant) a gold compares; a column resolves through the query's
    aliases, or, unqualified, to each table of the query that has it."""
    from harness.sql.parse import SqlParseError, parse_single

    try:
        tree = parse_single(sql)
    except SqlParseError:
        return set()
    aliases = table_aliases(tree, catalog)
    out = set()
    for column, value in _pairs(tree):
        qualifier = column.table.upper()
        tables = [aliases[qualifier]] if qualifier in aliases else (
            [] if qualifier else sorted(set(aliases.values())))
        for name in tables:
            if column.name.upper() in catalog.tables[name].column_names:
                out.add(Target(name, column.name.upper(), value))
    return out


def _target_order(t: Target) -> tuple:
    return (t.table, t.column, str(t.value))


def collect_from_golds(paths: Sequence[Path], catalog: Catalog,
                       collect: Callable[[str, Catalog], set[T]],
                       order: Callable[[T], object]) -> tuple[T, ...]:
    """What `collect` finds in the gold SQL of every answerable entry of the JSONL files
    `paths`, sorted by `order`."""
    found: set[T] = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                if entry.get("kind", "answerable") == "answerable" and entry.get("sql_gold"):
                    found |= collect(entry["sql_gold"], catalog)
    return tuple(sorted(found, key=order))


_COLLECTED: dict[tuple, tuple] = {}


def from_recipe_golds(catalog: Catalog, golden: Sequence[Path],
                      collect: Callable[[str, Catalog], set[T]],
                      order: Callable[[T], object]) -> tuple[T, ...]:
    """`collect_from_golds` of the golden files that exist, once per file version."""
    paths = tuple(p for p in golden if p.is_file())
    key = (collect, paths, tuple(p.stat().st_mtime_ns for p in paths), catalog.fingerprint)
    if key not in _COLLECTED:
        _COLLECTED[key] = collect_from_golds(paths, catalog, collect, order)
    return _COLLECTED[key]


def gold_targets(paths: Sequence[Path], catalog: Catalog) -> tuple[Target, ...]:
    """Every target of the answerable golds in the JSONL files `paths`, sorted."""
    return collect_from_golds(paths, catalog, targets_of, _target_order)


def recipe_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[Target, ...]:
    """`gold_targets` of the golden files that exist, computed once per file version."""
    return from_recipe_golds(catalog, golden, targets_of, _target_order)


def target_days(ctx: GenContext, columns: dict[str, Sequence[str]]) -> list[dt.date]:
    """The dates golds compare the given columns ({table: columns}) with, sorted: for
    generators that place whole rows on them (a hire, a date-tracked change)."""
    shape = ctx.recipe.targeted
    if not shape.rows_per_value:
        return []
    return sorted({t.value for t in recipe_targets(ctx.catalog, shape.paths())
                   if t.column in columns.get(t.table, ()) and isinstance(t.value, dt.date)
                   and t.value.year <= 3000})


class Keyed(Protocol):
    """A target of any placement pass: its key says what it makes the data depend on."""

    def key(self) -> str: ...


def targets_fingerprint(targets: Sequence[Keyed]) -> str:
    """What a placement pass's targets (constants, HAVING totals and counts, NVL labels and
    zeros) add to an instance's fingerprint."""
    return "\n".join(t.key() for t in targets)


def _free(table: Table, column: str, frozen: frozenset[str]) -> bool:
    taken = {c for fk in table.foreign_keys for c in fk.columns} | set(table.primary_key)
    if table.striping:
        taken.add(table.striping.column)
    col = table.column(column)
    # *_NUM, *_NUMBER: numbers of a line, shipment or installment within its parent, which
    # EBS keeps unique there (PO_LINES_U2): a second line 2 would break that
    return (column not in taken and not column.endswith(("_ID", "_NUM", "_NUMBER"))
            and f"{table.name}.{column}" not in frozen and f"{table.name}.*" not in frozen
            and (col.type.is_numeric or col.type.is_temporal))


def _partner(table: Table, column: str) -> str | None:
    for start, end in _INTERVALS:
        for a, b in ((start, end), (end, start)):
            if column == a and b in table.column_names:
                return b
    return None


def place_targets(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                  targets: Sequence[Target], rows_per_value: int,
                  frozen: frozenset[str], bounds: frozenset[str] = frozenset(),
                  within: np.ndarray | None = None,
                  deltas: Sequence[int] = (-1, 0, 1)) -> None:
    """Overwrite, per target, `rows_per_value` random rows of its column with c - 1, c and
    c + 1 each (in place). Targets on keys or frozen columns are skipped, and so are dates
    past the year 3000 (the end of time stays the only far date). In a column of `bounds`
    (the span of main dates, ties at extremes) a value outside its present [min, max] is
    skipped too. Rows holding NULL, the min or the max are never chosen, nor rows on a
    calendar edge's day in a column that holds every edge in every unit, so NULL, edge and
    extreme facts stay; a column's few free rows are shared among its targets. With `within`
    (a mask of the target table's rows), only those rows are chosen, and a value one of them
    holds already is not placed again. `deltas` are the offsets placed (days or units)."""
    edges = np.array(ctx.edges, dtype="datetime64[us]")
    # slots (a target's c - 1, c, c + 1) still to fill per column: a column with few free
    # rows (the few cancelled invoices) shares them among its targets instead of giving
    # them all to the first
    slots = Counter((t.table, t.column) for t in targets for _ in deltas)
    for target in targets:
        table = ctx.catalog.tables[target.table]
        if not _free(table, target.column, frozen):
            continue
        cols = tables[target.table]
        col = table.column(target.column)
        if col.type.is_temporal != isinstance(target.value, dt.date):
            continue
        data = cols[target.column] = cols[target.column].copy()
        null = is_null(data)
        if null.all():
            continue
        low, high = data[~null].min(), data[~null].max()
        bounded = f"{table.name}.{target.column}" in bounds
        movable = ~null & (data != low) & (data != high)
        if col.type.is_temporal:
            # nor any row on an edge's day where the column holds every edge in every unit
            # (main and due dates): a time of day there is what tells `= DATE 'c'` from a
            # whole-day range (fixtures/examples ex-ap-quarter-end). A column too small for
            # every edge (80 requisitions, the few cancelled invoices) may hold nothing but
            # edge rows: there they are movable, but for those on a day a gold compares the
            # column with (c - 1, c, c + 1 of its targets, placed before or to come)
            days = data.astype("datetime64[D]")
            complete = bounded or _holds_every_edge(table, cols, days, null, edges)
            kept = edges if complete else _target_days(targets, target)
            movable &= ~np.isin(days, kept.astype("datetime64[D]"))
        if within is not None:
            movable &= within
        rng = ctx.rng(f"{target.key()}:targeted")
        partner = _partner(table, target.column)
        if partner is not None and f"{table.name}.{partner}" in frozen:
            continue
        for delta in deltas:
            share = max(1, int(np.sum(movable)) // slots[(target.table, target.column)])
            slots[(target.table, target.column)] -= 1
            if col.type.is_temporal:
                if target.value.year > 3000:
                    break
                new = v.day(target.value + dt.timedelta(days=delta))
            else:
                new = target.value + delta
                if data.dtype.kind in "iu" and new != int(new):
                    continue
            if bounded and not low <= new <= high or (
                    within is not None and (data[within] == new).any()):
                continue
            free = np.flatnonzero(movable)
            if not len(free):
                break
            rows = rng.choice(free, size=min(rows_per_value, share, len(free)), replace=False)
            movable[rows] = False
            if partner is not None and col.type.is_temporal:
                _move_partner(ctx, cols, target.column, partner, rows, new - data[rows])
            data[rows] = new


def _holds_every_edge(table: Table, cols: dict[str, np.ndarray], days: np.ndarray,
                      null: np.ndarray, edges: np.ndarray) -> bool:
    """Whether every calendar edge's day is among the non-NULL `days` of each unit."""
    units = cols[table.striping.column] if table.striping else np.zeros(len(days))
    wanted = edges.astype("datetime64[D]")
    return all(np.isin(wanted, days[~null & (units == unit)]).all()
               for unit in np.unique(units))


def _target_days(targets: Sequence[Target], target: Target) -> np.ndarray:
    """The days c - 1, c and c + 1 of every target on `target`'s column."""
    return np.array([v.day(t.value + dt.timedelta(days=d)) for t in targets
                     if (t.table, t.column) == (target.table, target.column)
                     and isinstance(t.value, dt.date) and t.value.year <= 3000
                     for d in (-1, 0, 1)], dtype="datetime64[us]")


def _move_partner(ctx: GenContext, cols: dict[str, np.ndarray], column: str, partner: str,
                  rows: np.ndarray, shift: np.ndarray) -> None:
    """Move the other end of the rows' intervals by `shift` (an open end stays open)."""
    other = cols[partner] = cols[partner].copy()
    moved = rows[~np.isnat(other[rows]) & (other[rows] < ctx.open_end)]
    step = shift[np.isin(rows, moved)]
    if np.issubdtype(other.dtype, np.datetime64) and len(moved):
        other[moved] = other[moved] + step.astype(other.dtype.str.replace("M8", "m8"))


@dataclass(frozen=True, order=True)
class BlockTarget:
    """A target seen inside the gold's query block: `probe` lists the keys (K0, …) of the
    target table's rows that pass every other condition of the block's WHERE, so the values
    c - 1, c and c + 1 land on rows the gold reads (a random row seldom passes a gold's
    narrow filter: an expense report of unit 204)."""

    target: Target
    probe: str

    def key(self) -> str:
        return f"{self.target.key()}:{self.probe}"


def _reads(node: exp.Expression, alias: str, column: str, single: bool) -> bool:
    return any(c.name.upper() == column and (c.table.upper() == alias
                                             or (not c.table and single))
               for c in node.find_all(exp.Column))


def _outer(node: exp.Expression, select: exp.Select, aliases: dict[str, str]) -> bool:
    """Whether `node` reads a column of a query around the block (a correlated condition)."""
    return any(c.table and c.table.upper() not in aliases
               and c.find_ancestor(exp.Select) is select for c in node.find_all(exp.Column))


def block_targets(sql: str, catalog: Catalog) -> set[BlockTarget]:
    """The targets of one gold with their block probes (`BlockTarget`): per SELECT block and
    per comparison of one of its own tables' columns with a constant, the block's WHERE
    without the conditions that read that column or an outer query's columns."""
    from harness.datagen.probe import block_tables, gold_blocks, key_items, probe_sql
    out = set()
    for select in gold_blocks(sql):
        aliases = block_tables(select, catalog)
        if not aliases or select.args.get("from_") is None:
            continue
        single = len(aliases) == 1
        where = select.args.get("where")
        conjuncts = list(where.this.flatten()) if where is not None and isinstance(
            where.this, exp.And) else ([where.this] if where is not None else [])
        for column, value in _pairs(select):
            if column.find_ancestor(exp.Select) is not select:
                continue
            alias = column.table.upper() or (next(iter(aliases)) if single else "")
            table = aliases.get(alias)
            name = column.name.upper()
            if table is None or name not in catalog.tables[table].column_names:
                continue
            kept = [c for c in conjuncts if not _reads(c, alias, name, single)
                    and not _outer(c, select, aliases)]
            condition = exp.and_(*kept) if kept else None
            probe = probe_sql(select, key_items(alias, catalog.tables[table].primary_key),
                              condition)
            out.add(BlockTarget(Target(table, name, value), probe))
    return out


def recipe_block_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[BlockTarget, ...]:
    """Every block target of the answerable golds of the golden files, sorted; computed once
    per file version."""
    return from_recipe_golds(catalog, golden, block_targets, BlockTarget.key)


def place_block_targets(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                        targets: Sequence[BlockTarget], frozen: frozenset[str],
                        bounds: frozenset[str] = frozenset()) -> None:
    """`place_targets` again, one row per value, among the rows each block target's probe
    returns (in place); a probe that cannot run places nothing."""
    from harness.datagen.probe import Prober, row_positions

    prober = Prober(ctx.catalog, tables)
    try:
        for block in targets:
            table = ctx.catalog.tables[block.target.table]
            if not _free(table, block.target.column, frozen):
                continue
            rows = prober.run(block.probe)
            if rows is None or rows.empty:
                continue
            cols = tables[block.target.table]
            within = np.zeros(len(cols[block.target.column]), dtype=bool)
            within[[p for p in row_positions(cols, table.primary_key, rows)
                    if p is not None]] = True
            place_targets(ctx, tables, [block.target], 1, frozen, bounds, within)
    finally:
        prober.close()


@dataclass(frozen=True, order=True)
class EntityTarget:
    """A target inside a correlated `[NOT] EXISTS` block of a gold's WHERE: `probe` lists the
    keys (K0, …) and the correlated column (E, the entity: a supplier's VENDOR_ID) of the
    target table's rows that pass the block's other conditions and belong to an entity the
    rest of the gold admits and that holds no row the whole block reads (the block as
    `NOT EXISTS`). One such row moved onto c - 1, c or c + 1 is then the entity's only row on
    the range's edge: `>=` vs `>`, a bound moved by a day, flips whether the entity has a row
    in the block, which a random row of an entity with rows all over the range never does."""

    target: Target
    entity: str  # TABLE.COLUMN of E, the correlated column
    probe: str

    def key(self) -> str:
        return f"{self.target.key()}:entity:{self.probe}"


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


def _correlation(inner: exp.Select,
                 aliases: dict[str, str]) -> tuple[exp.Column, exp.Column] | None:
    """(inner column, outer column) of a block's one correlated equality, else None."""
    found = [c for c in _conjuncts(inner.args.get("where") and inner.args["where"].this)
             if _outer(c, inner, aliases)]
    if len(found) != 1 or not isinstance(found[0], exp.EQ):
        return None
    sides = (found[0].this, found[0].expression)
    if not all(isinstance(s, exp.Column) and s.table for s in sides):
        return None
    own = [s for s in sides if s.table.upper() in aliases]
    if len(own) != 1:
        return None
    other = sides[1] if own[0] is sides[0] else sides[0]
    return own[0], other


def entity_targets(sql: str, catalog: Catalog) -> set[EntityTarget]:
    """The targets of one gold's correlated `EXISTS` / `NOT EXISTS` conjuncts (`EntityTarget`):
    per such block with one correlated equality and per comparison of one of its own tables'
    columns with a constant, the block's rows, less the conditions on that column, whose
    entity the outer block's other conjuncts admit and which has no row in the block."""
    from harness.datagen.probe import block_tables, gold_blocks, key_items, probe_sql
    out = set()
    for outer in gold_blocks(sql):
        if outer.args.get("from_") is None or outer.args.get("where") is None:
            continue
        conjuncts = _conjuncts(outer.args["where"].this)
        for place, conjunct in enumerate(conjuncts):
            exists = conjunct.this if isinstance(conjunct, exp.Not) else conjunct
            inner = exists.this if isinstance(exists, exp.Exists) else None
            if not isinstance(inner, exp.Select) or inner.args.get("from_") is None:
                continue
            aliases = block_tables(inner, catalog)
            pair = _correlation(inner, aliases) if aliases else None
            if pair is None:
                continue
            entity, outside = pair
            # the entities the rest of the gold admits that hold no row of the block
            rest = [c.copy() for i, c in enumerate(conjuncts) if i != place]
            admitted = exp.Select(expressions=[outside.copy()])
            admitted.set("from_", outer.args["from_"].copy())
            if outer.args.get("joins"):
                admitted.set("joins", [j.copy() for j in outer.args["joins"]])
            admitted.set("where", exp.Where(this=exp.and_(*rest, exp.Not(this=exists.copy()))))
            member = exp.maybe_parse(f"{entity.sql(dialect='oracle')} IN "
                                     f"({admitted.sql(dialect='oracle')})", dialect="oracle")
            single = len(aliases) == 1
            own = _conjuncts(inner.args["where"].this)
            for column, value in _pairs(inner):
                if column.find_ancestor(exp.Select) is not inner:
                    continue
                alias = column.table.upper() or (next(iter(aliases)) if single else "")
                table, name = aliases.get(alias), column.name.upper()
                if table is None or name not in catalog.tables[table].column_names:
                    continue
                kept = [c for c in own if not _reads(c, alias, name, single)
                        and not _outer(c, inner, aliases)]
                items = key_items(alias, catalog.tables[table].primary_key) + [
                    exp.alias_(entity.copy(), "E")]
                probe = probe_sql(inner, items, exp.and_(*kept, member))
                where = f"{aliases[entity.table.upper()]}.{entity.name.upper()}"
                out.add(EntityTarget(Target(table, name, value), where, probe))
    return out


def recipe_entity_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[EntityTarget, ...]:
    """Every entity target of the answerable golds of the golden files, sorted; computed
    once per file version."""
    return from_recipe_golds(catalog, golden, entity_targets, EntityTarget.key)


def place_entity_targets(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                         targets: Sequence[EntityTarget], frozen: frozenset[str],
                         bounds: frozenset[str] = frozenset()) -> None:
    """`place_targets` once per value, one row, among the rows each entity target's probe
    returns (in place), each value on another entity: an entity given a day outside the
    range is not given one inside it later (its row outside would then tell nothing). The
    probe runs again before each value, so an entity given a day inside the range (which
    now holds a row of the block) is no longer offered."""
    from harness.datagen.probe import Prober, row_positions

    used: dict[str, set[object]] = {}
    prober = Prober(ctx.catalog, tables)
    try:
        for entity in targets:
            target = entity.target
            table = ctx.catalog.tables[target.table]
            if not _free(table, target.column, frozen):
                continue
            taken = used.setdefault(entity.entity, set())
            for delta in (-1, 0, 1):
                rows = prober.run(entity.probe)
                if rows is None or rows.empty:
                    break
                cols = tables[target.table]
                positions = row_positions(cols, table.primary_key, rows)
                owners = [_plain_entity(e) for e in rows["E"]]
                within = np.zeros(len(cols[target.column]), dtype=bool)
                within[[p for p, e in zip(positions, owners, strict=True)
                        if p is not None and e not in taken]] = True
                before = cols[target.column]
                place_targets(ctx, tables, [target], 1, frozen, bounds, within, (delta,))
                after = tables[target.table][target.column]
                if after is before:
                    continue
                moved = {p for p in np.flatnonzero(_differs(before, after))}
                taken.update(e for p, e in zip(positions, owners, strict=True) if p in moved)
    finally:
        prober.close()


def _plain_entity(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    return int(value) if isinstance(value, float) and value == int(value) else value


def _differs(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Where two arrays of one column differ (two NULLs are alike)."""
    same = before == after
    if np.issubdtype(before.dtype, np.datetime64):
        same |= np.isnat(before) & np.isnat(after)
    return ~same

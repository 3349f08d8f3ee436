"""Ties at a gold's top-N cut: a twin of the thing ranked N, so two rows share the sort key
right where the gold cuts its ranking.

A top-N gold (`ORDER BY … FETCH FIRST n`, `… ) WHERE ROWNUM <= n`, `RANK() OVER (…) … WHERE
rnk = n`) on random data almost never has two rows whose sort keys tie at rank n. Without
that tie a flipped tie-breaker (`ORDER BY total DESC, segment1 DESC`), ROW_NUMBER for RANK, or
DENSE_RANK() <= n for FETCH FIRST n return the gold's rows. The sums these golds rank by are
facts (an invoice's amount is its lines', a journal balances: recipe `targeted.frozen`), so
moving one value, as group_totals.py does for HAVING, is not allowed here; a *twin* is: a copy
of the whole document or entity with everything it owns (twins.py), whose every amount and
date repeats its original's, so its total, count or date ties with the original's.

`cut_targets` reads each shipped gold (sqlglot) for a block that orders its rows and is cut
at rank n (its own FETCH/LIMIT, a ROWNUM bound of the query around it, or a filter on a
RANK/DENSE_RANK/ROW_NUMBER column around it), and for the *entity* of the block's rows: the
table whose own ids the GROUP BY holds (a supplier for `GROUP BY s.VENDOR_ID, …`), the one
table whose number or name alone it holds (an item for `GROUP BY msi.SEGMENT1`: the twin then
gets a number of its own, `fresh`), or, for a block without GROUP BY, its FROM table (a person
for a list of people; numbers that break its sort ties are `fresh` too). `place_cut_twins`
probes the block on the generated columns (probe.py: the block with the entity's key added
and the cut removed) and twins the entity ranked n (for a rank filter: ranked n in up to
`_PARTITIONS` partitions; for a cut that keeps n > 1 rows in order, first the entity ranked 1
too, so two rows also tie inside the result, where an outer ORDER BY's tie-breaker shows), if
its ownership component (twins.component, with the block's rows that join to the entity
and are documents of their own: an item's material transactions, `owned`) is at most
`targeted.cut_twin_rows` rows. The twin's unique keys get fresh values (twins.py: the next
supplier or order number), so the gold's tie-breaker still orders the two rows (where the
block groups by a nullable number and sorts ties by it, the twin ranked 1 gets none, `blank`,
so NULLS FIRST/LAST shows); the twin ranks n + 1, just outside the cut,
under the gold's order, and inside it under a flipped tie-breaker. Where the twin would leave
the cut undetermined (tied rows that look different on both sides of it), it is taken back.

The probe reads the final rows, so this runs after the recipe's twins; its twins are copied
like those (every data fact holds for them as for the originals) and later placements leave
them alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen.context import GenContext, own_id_columns
from harness.datagen.probe import Prober, block_tables, gold_blocks, key_items, row_positions
from harness.datagen.targeted import from_recipe_golds
from harness.datagen.twins import (
    Component,
    Ownership,
    _Index,
    component,
    copy_components,
    ownership,
)
from harness.inputs.catalog import Catalog, ForeignKey, Table

_RANKS = (exp.Rank, exp.DenseRank, exp.RowNumber)
_RANK_COLUMN = "SQLGATE_CUT_RANK"
_PARTITIONS = 2  # partitions of a rank filter whose entity at the cut gets a twin
_ORDER_KEY = re.compile(r"O\d+")  # the probe's sort-key columns O0, O1, …


@dataclass(frozen=True, order=True)
class CutTarget:
    """The entity (`table`, keyed by `key`) ranked `rank` by a gold block; `probe` is Oracle
    text listing the block's rows with the entity key K0… (and, for a rank filter, the rank
    as SQLGATE_CUT_RANK) in the block's order (module docstring)."""

    table: str
    key: tuple[str, ...]
    rank: int
    probe: str
    reads: tuple[str, ...] = ()  # the block's other tables a twin must copy rows of
    shown: int = 0  # the block's own output columns, first in the probe
    exact: bool = True  # the cut keeps n rows (FETCH, ROWNUM, ROW_NUMBER), not every tie
    names: tuple[str, ...] = ()  # the entity's name columns a twin takes from another row
    fresh: tuple[str, ...] = ()  # the entity's columns a twin gets a value of its own in
    owned: tuple[str, ...] = ()  # CHILD.COLUMN keys whose rows a twin copies with the entity
    blank: bool = False  # the twin ranked 1 takes no number: NULLS FIRST/LAST then shows

    def fingerprint(self) -> str:
        return f"CUT {self.table} #{self.rank}:{self.probe}"


def _number(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    return None


def _outer_filter(select: exp.Select) -> exp.Expression | None:
    """The WHERE of the query whose FROM is this block (a subquery), if any."""
    sub = select.parent
    if not isinstance(sub, exp.Subquery) or not isinstance(sub.parent, exp.From):
        return None
    outer = sub.parent.parent
    where = outer.args.get("where") if isinstance(outer, exp.Select) else None
    return where.this if where is not None else None


def _bound(condition: exp.Expression, is_subject) -> int | None:
    """n for `subject <= n`, `subject < n + 1` or `subject = n` among the conjuncts."""
    for node in condition.flatten() if isinstance(condition, exp.And) else [condition]:
        if not isinstance(node, exp.LTE | exp.LT | exp.EQ):
            continue
        if not is_subject(node.this):
            continue
        n = _number(node.expression)
        if n is not None:
            return n - 1 if isinstance(node, exp.LT) else n
    return None


def _limit(select: exp.Select) -> int | None:
    """The block's own FETCH FIRST n / LIMIT n, or a ROWNUM <= n of the query around it."""
    for arg in ("limit", "fetch"):
        node = select.args.get(arg)
        if node is not None:
            n = _number(node.args.get("count") or node.args.get("expression"))
            if n is not None:
                return n
    outer = _outer_filter(select)
    if outer is None:
        return None
    return _bound(outer, lambda e: isinstance(e, exp.Column) and e.name.upper() == "ROWNUM")


def _rank_filter(select: exp.Select) -> tuple[exp.Window, int] | None:
    """A ranking window of the block (ordered) and the rank the query around it keeps."""
    outer = _outer_filter(select)
    if outer is None:
        return None
    for item in select.expressions:
        window = item.unalias() if isinstance(item, exp.Alias) else item
        if (isinstance(window, exp.Window) and window.args.get("order") is not None
                and isinstance(window.this, _RANKS) and item.alias_or_name):
            name = item.alias_or_name.upper()
            n = _bound(outer, lambda e, name=name: isinstance(e, exp.Column)
                       and e.name.upper() == name)
            if n is not None:
                return window, n
    return None


@dataclass(frozen=True)
class _Entity:
    """What one row of a block stands for: the table (under `alias`), whether the GROUP BY
    holds its own ids (else it groups by a number or name of it alone), and the columns a
    twin must get a value of its own in to make a row of its own (module docstring)."""

    alias: str
    table: str
    by_id: bool
    fresh: tuple[str, ...] = ()


def _free_text(table: Table, column: str) -> bool:
    """A text column no key fills (a number or a name, not a code another table keys)."""
    keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    found = [c for c in table.columns if c.name == column]
    return bool(found) and found[0].type.is_text and column not in keys


def _entity(select: exp.Select, catalog: Catalog) -> _Entity | None:
    """The thing one row of the block stands for (module docstring)."""
    aliases = block_tables(select, catalog)
    group = select.args.get("group")
    if group is None:
        source = select.args["from_"].this if select.args.get("from_") else None
        if isinstance(source, exp.Table) and source.alias_or_name.upper() in aliases:
            alias = source.alias_or_name.upper()
            table = catalog.tables[aliases[alias]]
            return _Entity(alias, table.name, True, _tie_breakers(select, alias, table))
        return None
    grouped = [(c.table.upper() or (next(iter(aliases)) if len(aliases) == 1 else ""),
                c.name.upper()) for g in group.expressions
               for c in ([g] if isinstance(g, exp.Column) else [])]
    for alias, table in aliases.items():
        ids = own_id_columns(catalog.tables[table])
        if ids and all((alias, c) in grouped for c in ids):
            return _Entity(alias, table, True)
    # grouped by a number or name of one table alone (an item's SEGMENT1, a party's name):
    # a twin with a value of its own there makes a group of its own
    owners = {a for a, _ in grouped}
    if len(grouped) != len(group.expressions) or len(owners) != 1 or "" in owners:
        return None
    alias = owners.pop()
    table = catalog.tables.get(aliases.get(alias, ""))
    if (table is None or not own_id_columns(table)
            or not all(_free_text(table, c) for _, c in grouped)):
        return None
    return _Entity(alias, table.name, False, (grouped[0][1],))


def _tie_breakers(select: exp.Select, alias: str, table: Table) -> tuple[str, ...]:
    """The entity's numbers and names that break ties of an earlier sort key (an employee
    number after a hire date): a twin that repeated one would tie on every key."""
    out = []
    for i, o in enumerate(select.args["order"].expressions if select.args.get("order") else []):
        key = o.this
        if (i > 0 and isinstance(key, exp.Column) and key.table.upper() in (alias, "")
                and _free_text(table, key.name.upper())):
            out.append(key.name.upper())
    return tuple(out)


def _owned_rows(select: exp.Select, catalog: Catalog, entity: _Entity) -> tuple[str, ...]:
    """Foreign keys (CHILD.COLUMN+…) by which the block joins rows of another of its tables
    to the entity, or to a table of the block that refers to the entity: a twin of an item
    copies the item's transactions, a twin of a party the transactions billed to its
    accounts, so its total ties (twins.py copies whole ownership components; where those
    rows belong to a document that holds other rows too, the component grows past the
    limit and no twin is made)."""
    tables = set(block_tables(select, catalog).values())
    near = {entity.table} | {t for t in tables if any(
        fk.references == entity.table for fk in catalog.tables[t].foreign_keys)}
    read = {c.name.upper() for c in select.find_all(exp.Column)}
    out = []
    for t in sorted(tables - {entity.table}):
        fks = catalog.tables[t].foreign_keys
        for fk in fks:
            if (fk.references in near and fk.references != t and set(fk.columns) <= read
                    and sum(other.columns == fk.columns for other in fks) == 1):
                out.append(f"{t}.{'+'.join(fk.columns)}")
    return tuple(out)


def _resolved(key: exp.Expression, select: exp.Select) -> exp.Expression:
    """An ORDER BY key with an output alias replaced by the aliased expression."""
    if isinstance(key, exp.Column) and not key.table:
        for item in select.expressions:
            if isinstance(item, exp.Alias) and item.alias.upper() == key.name.upper():
                return item.this.copy()
    return key.copy()


def _names(select: exp.Select, alias: str, table: Table) -> tuple[str, ...]:
    """The entity's name columns (text `*_NAME(S)`, no key) when the block shows one of them
    and no condition of the block reads one: a twin takes them from another row."""
    taken = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    taken |= {c for u in table.unique_keys for c in u.columns}
    names = {c.name for c in table.columns if c.type.is_text and c.name not in taken
             and c.name.endswith(("_NAME", "_NAMES"))}

    def read(node: exp.Expression | None) -> set[str]:
        return {c.name.upper() for c in (node.find_all(exp.Column) if node is not None else ())
                if c.table.upper() in (alias, "")}

    shown = set().union(*(read(e) for e in select.expressions))
    if not names & shown or names & _conditions_read(select, alias):
        return ()
    return tuple(sorted(names))


def _conditions_read(select: exp.Select, alias: str) -> set[str]:
    """The columns of `alias` (or unqualified) the block's WHERE and join conditions read."""
    nodes = [select.args.get("where")] + [j.args.get("on") for j in select.args.get("joins") or []]
    return {c.name.upper() for node in nodes if node is not None
            for c in node.find_all(exp.Column) if c.table.upper() in (alias, "")}


def cut_targets(sql: str, catalog: Catalog) -> set[CutTarget]:
    """The top-N cuts of one gold whose rows stand for an entity (module docstring)."""
    out = set()
    for select in gold_blocks(sql):
        limit = _limit(select) if select.args.get("order") is not None else None
        ranked = None if limit is not None else _rank_filter(select)
        if limit is None and ranked is None:
            continue
        entity = _entity(select, catalog)
        if entity is None:
            continue
        alias, table = entity.alias, entity.table
        t = catalog.tables[table]
        key = tuple(own_id_columns(t) if select.args.get("group") is not None
                    else t.primary_key)
        probe = select.copy()
        for arg in ("limit", "fetch"):
            probe.set(arg, None)
        order = ranked[0].args["order"] if ranked is not None else select.args["order"]
        keys = ([p.copy() for p in ranked[0].args.get("partition_by") or []]
                if ranked is not None else [])
        keys += [_resolved(o.this, select) for o in order.expressions]
        ids = key_items(alias, key)
        if not entity.by_id:  # one entity of a group, which its number or name alone keys
            ids = [exp.alias_(exp.Min(this=i.this), i.alias) for i in ids]
        items = [e.copy() for e in probe.expressions] + ids
        items += [exp.alias_(k, f"O{i}") for i, k in enumerate(keys)]
        if ranked is not None:
            items.append(exp.alias_(ranked[0].copy(), _RANK_COLUMN))
        probe.set("expressions", items)
        # grouped rows total what the entity owns: a twin without those rows ties nothing
        reads = (tuple(sorted(set(block_tables(select, catalog).values()) - {table}))
                 if select.args.get("group") is not None else ())
        # grouped by its name: the twin keeps its other names beside a name of its own
        names = _names(select, alias, t) if entity.by_id else ()
        # a nullable number the block groups by and breaks ties with (an item's SEGMENT1)
        sorted_by = {o.this.name.upper() for o in select.args["order"].expressions
                     if isinstance(o.this, exp.Column)} if limit is not None else set()
        blank = (not entity.by_id and entity.fresh[0] in sorted_by
                 and t.column(entity.fresh[0]).nullable
                 and entity.fresh[0] not in _conditions_read(select, alias))
        out.add(CutTarget(table, key, limit if limit is not None else ranked[1],
                          probe.sql(dialect="oracle"), reads, len(select.expressions),
                          ranked is None or isinstance(ranked[0].this, exp.RowNumber),
                          names, entity.fresh,
                          _owned_rows(select, catalog, entity) if reads else (), blank))
    return out


def recipe_cut_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[CutTarget, ...]:
    """Every cut of the answerable golds of the golden files, sorted; once per file version."""
    return from_recipe_golds(catalog, golden, cut_targets, lambda t: t)


def cuts_fingerprint(targets: Sequence[CutTarget]) -> str:
    """What the cut targets add to an instance's fingerprint."""
    return "\n".join(t.fingerprint() for t in targets)


def _ranks(target: CutTarget) -> tuple[int, ...]:
    """The ranks whose entity gets a twin: n, and first 1 where the cut keeps n > 1 rows in
    order (the twin of the first then ties inside the result, the twin of the n-th at the
    cut; the other way round the first twin would push the n-th tie past the cut)."""
    return (1, target.rank) if target.exact and target.rank > 1 else (target.rank,)


def _at_cut(rows: pd.DataFrame, target: CutTarget, rank: int) -> pd.DataFrame:
    """The probe rows ranked `rank`: by position in the block's order, or, for a rank
    filter, those whose rank is `rank` (the first `_PARTITIONS` of them)."""
    if _RANK_COLUMN in rows.columns:
        return rows[rows[_RANK_COLUMN] == rank].head(_PARTITIONS)
    return rows.iloc[rank - 1:rank]


def determined(rows: pd.DataFrame, target: CutTarget) -> bool:
    """Whether the cut keeps the same rows whichever order tied rows come in: rows whose
    sort keys tie across the cut show the same values (probe rows in the block's order)."""
    order = [c for c in rows.columns if _ORDER_KEY.fullmatch(c)]  # not a shown ORG_ID
    shown = list(rows.columns[:target.shown])
    if _RANK_COLUMN in rows.columns:
        if not target.exact:
            return True  # RANK and DENSE_RANK keep every tied row
        kept = rows[rows[_RANK_COLUMN] == target.rank]
    else:
        kept = rows.iloc[target.rank - 1:target.rank]
    keys = pd.Series([tuple(str(v) for v in r) for r in rows[order].itertuples(index=False)],
                     index=rows.index)
    for key in keys[kept.index]:
        tied = rows[keys.map(lambda k, key=key: k == key)]
        if len(tied) > 1 and len(tied[shown].astype(str).drop_duplicates()) > 1:
            return False
    return True


def place_cut_twins(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                    targets: Sequence[CutTarget], max_rows: int) -> Component:
    """Append a twin of each target's entity at the cut, with what it owns (in place;
    module docstring); a twin after which the gold's cut would no longer be determined is
    taken back. Returns the original rows copied, by table."""
    shape = ctx.recipe.twins.model_copy(update={"hidden": {}, "max_rows": max_rows})
    base = Ownership.of(ctx.catalog, shape.owned, shape.with_owner)
    copied: Component = {}
    prober = Prober(ctx.catalog, tables)
    try:
        for target, rank in ((t, r) for t in targets for r in _ranks(t)):
            rows = prober.run(target.probe)
            if rows is None or len(rows) < target.rank:
                continue
            owns = Ownership(base.edges + _root_edges(ctx.catalog, target, base), base.entities,
                              base.keyed_by_owner)
            chosen = _components(tables, owns, target, _at_cut(rows, target, rank), max_rows,
                                 copied)
            if not chosen:
                continue
            before = dict(tables)
            copy_components(ctx, tables, shape, chosen)
            start = len(before[target.table][target.key[0]])
            # one NULL group at most: a second would merge with the first
            keys = rows[[c for c in rows.columns if _ORDER_KEY.fullmatch(c)]]
            _refresh(ctx, tables, target, start,
                     blank=target.blank and rank == 1 < target.rank and not keys.isna().any().any())
            _rename(ctx, tables, target, start)
            after = prober.run(target.probe)
            if after is None or not determined(after, target):
                tables.update(before)
                continue
            for t, r in chosen.items():
                copied.setdefault(t, set()).update(r)
    finally:
        prober.close()
    return copied


def _root_edges(catalog: Catalog, target: CutTarget,
                base: Ownership) -> tuple[tuple[str, ForeignKey], ...]:
    """The target's `owned` keys whose rows are documents of their own: keyed by own ids
    alone, and no recipe ownership makes them part of another (material transactions, AR
    transactions). A row another document owns (a journal line, an assignment) would bring
    that whole document, and with it the other things it refers to, far beyond a tie; one
    keyed by its parent's id (a journal line) cannot be copied without it at all."""
    owned = {child for child, _ in base.edges}
    return tuple((child, fk) for child, fk in ownership(catalog, list(target.owned))
                 if child not in owned and set(catalog.tables[child].primary_key)
                 <= set(own_id_columns(catalog.tables[child])))


def _refresh(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]], target: CutTarget,
             start: int, blank: bool = False) -> None:
    """Give the entity twins (rows from `start`) a value of their own in each `fresh`
    column, all rows of one entity alike (an item keeps one SEGMENT1 in every organization):
    the next number where the column holds only digits (employee numbers), else the
    original's value with `-2` (or the next free suffix), which sorts right after it; with
    `blank`, NULL (an item without a number, as the recipe draws some), which sorts after
    it under the gold's default NULLS LAST and before it under NULLS FIRST."""
    cols = tables[target.table] = dict(tables[target.table])
    ids = own_id_columns(ctx.catalog.tables[target.table]) or list(target.key)
    entity = [tuple(cols[c][r] for c in ids) for r in range(len(cols[ids[0]]))]
    for name in target.fresh:
        cols[name] = cols[name].copy()
        values = {v for v in cols[name][:start].tolist() if v is not None}
        digits = bool(values) and all(isinstance(v, str) and v.isdigit() for v in values)
        width = ctx.catalog.tables[target.table].column(name).type.precision or 0
        for twin in sorted({entity[r] for r in range(start, len(entity))}):
            rows = [r for r in range(start, len(entity)) if entity[r] == twin]
            old = cols[name][rows[0]]
            if old is None:
                continue
            if blank:
                for r in rows:
                    cols[name][r] = None
                continue
            k = 2
            new = str(max(int(v) for v in values) + 1) if digits else f"{old}-{k}"
            while new in values:
                k += 1
                new = f"{old}-{k}"
            if width and len(new) > width:
                continue
            values.add(new)
            for r in rows:
                cols[name][r] = new


def _rename(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]], target: CutTarget,
            start: int) -> None:
    """Give the entity twins (rows from `start`) the names of another entity of the table,
    all rows of one entity alike, so the twin's output row differs from its original's (a
    namesake of another supplier or person: recipe `namesakes`)."""
    if not target.names:
        return
    cols = tables[target.table] = dict(tables[target.table])
    ids = own_id_columns(ctx.catalog.tables[target.table]) or list(target.key)
    for name in target.names:
        cols[name] = cols[name].copy()
    rng = ctx.rng(f"{target.fingerprint()}:names")
    entity = [tuple(cols[c][r] for c in ids) for r in range(len(cols[ids[0]]))]
    donors = [r for r in range(start) if all(cols[n][r] is not None for n in target.names)]
    for twin in sorted({entity[r] for r in range(start, len(entity))}):
        rows = [r for r in range(start, len(entity)) if entity[r] == twin]
        options = [r for r in donors if all(cols[n][r] != cols[n][rows[0]]
                                            for n in target.names)]
        if not options:
            continue
        donor = options[int(rng.integers(len(options)))]
        for name in target.names:
            for r in rows:
                cols[name][r] = cols[name][donor]


def _components(tables: dict[str, dict[str, np.ndarray]], owns: Ownership, target: CutTarget,
                at: pd.DataFrame, max_rows: int, copied: Component) -> Component:
    """The ownership components of the entities at the cut that hold rows of a table the
    block reads besides the entity's and share no row with one copied before."""
    chosen: Component = {}
    index = _Index(tables)
    for pos in row_positions(tables[target.table], list(target.key), at):
        if pos is None or any(tables[target.table][c][pos] is None for c in target.fresh):
            continue  # a NULL number: its twin would join the original's group
        found = component(tables, owns, target.table, int(pos), max_rows, index)
        if (found is None or (target.reads and not set(target.reads) & set(found))
                or any((copied.get(t, set()) | chosen.get(t, set())) & r
                       for t, r in found.items())):
            continue
        for t, r in found.items():
            chosen.setdefault(t, set()).update(r)
    return chosen

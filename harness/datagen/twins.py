"""Twins: copies of documents that differ from the original only in their keys, so a whole
output row repeats and DISTINCT, a dropped GROUP BY key and ROW_NUMBER vs RANK tell apart
(test-suite accuracy draws duplicate rows on purpose: Zhong, Yu, Klein 2020).

For a few rows of each document table the recipe names (`twins.documents`), `place_twins`
appends a copy of the row and of everything the row owns. A copy keeps every column of its
original (foreign keys to parents, dates, amounts, names) but:

- its own id columns (`context.own_id_columns`) get fresh ids from their id block;
- a foreign key that points at a copied row points at that row's twin (a line of a twin
  invoice belongs to the twin; a twin invoice of a twin supplier's site, to the twin site),
  unless the column is shared with a key whose parent was not copied;
- a unique key the copy would share with its original gets a fresh value in one column
  (a supplier's SEGMENT1 becomes the next free number, an invoice number gets a suffix),
  unless the recipe names a hidden column of the key for the table (`twins.hidden`): then
  every so many twins vary that column instead (a standard order's twin becomes a planned
  order of the same number, its shipments planned ones), so the twin's visible row repeats
  its original's for a gold that does not show the hidden column (`vary_hidden`).

What is copied with a document is its *ownership component*: the rows that reach it through
the foreign keys the recipe declares as ownership (`twins.owned`, CHILD.COLUMN: the parent
owns its children), downwards, with every row of the same thing (the date-tracked rows of a
person or an assignment, an item's row in each organization: they share the own id), plus,
for a child with several owners (a payment belongs to its check and to its invoice), its
other owners too, and what they own. So a twin check takes
its payments and the invoices they pay, and every sum a data fact ties across those links
(check amount, AMOUNT_PAID, installments) holds for the twins as for the originals. Every
other foreign key is a reference and keeps pointing at the same row. A component larger than
`max_rows`, or one that shares a row with a component already chosen, is passed over.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.datagen.context import DatagenError, GenContext, own_id_columns
from harness.datagen.generic import is_null
from harness.datagen.recipe import HiddenKey, Twins
from harness.inputs.catalog import Catalog, ForeignKey, Table

Columns = dict[str, np.ndarray]
Component = dict[str, set[int]]  # table -> row positions


def ownership(catalog: Catalog, owned: list[str],
              where: str = "twins.owned") -> list[tuple[str, ForeignKey]]:
    """The catalog foreign keys `owned` names (CHILD.COLUMN or CHILD.COL1+COL2), as
    (child table, key); DatagenError names an entry that is no declared foreign key."""
    out = []
    for entry in owned:
        table, _, cols = entry.partition(".")
        columns = cols.split("+")
        t = catalog.tables.get(table)
        fks = [fk for fk in (t.foreign_keys if t else []) if fk.columns == columns]
        if len(fks) != 1:
            raise DatagenError(f"{where}: {entry} is no foreign key of the catalog "
                               "(expected CHILD_TABLE.COLUMN, columns joined by '+')")
        out.append((table, fks[0]))
    return out


def _key(cols: Columns, columns: list[str], row: int) -> tuple:
    return tuple(_plain(cols[c][row]) for c in columns)


def _plain(value: object) -> object:
    """A hashable value equal for equal database values (NaN and NaT are None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.datetime64) and np.isnat(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


class _Index:
    """Rows of a table by the values of some of its columns, built on first use."""

    def __init__(self, tables: Mapping[str, Columns]) -> None:
        self.tables = tables
        self._by: dict[tuple[str, tuple[str, ...]], dict[tuple, list[int]]] = {}

    def rows(self, table: str, columns: list[str], key: tuple) -> list[int]:
        if None in key:
            return []
        name = (table, tuple(columns))
        if name not in self._by:
            cols = self.tables[table]
            found: dict[tuple, list[int]] = {}
            for row in range(len(cols[columns[0]])):
                found.setdefault(_key(cols, columns, row), []).append(row)
            self._by[name] = found
        return self._by[name].get(key, [])


@dataclass(frozen=True)
class Ownership:
    """What a twin copies: the owning foreign keys (child table, key) and, per table whose
    own id spans several rows (a date-tracked person, an item in two organizations), the id
    columns whose rows make one thing and are copied together."""

    edges: tuple[tuple[str, ForeignKey], ...]
    entities: Mapping[str, list[str]]
    # per table, its owning keys that are part of one of its unique keys (a journal's name is
    # unique in its batch, GL_JE_HEADERS_U2): a twin of such a row comes with a copy of its
    # owner, so it keeps its visible values and still breaks no unique key
    keyed_by_owner: Mapping[str, tuple[ForeignKey, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, catalog: Catalog, owned: list[str], with_owner: Sequence[str] = ()) -> Ownership:
        entities = {}
        for t in catalog.tables.values():
            ids = own_id_columns(t)
            if ids and len(ids) < len(t.primary_key):
                entities[t.name] = ids
        keyed: dict[str, tuple[ForeignKey, ...]] = {}
        for child, fk in ownership(catalog, list(with_owner), "twins.with_owner"):
            if not any(set(fk.columns) <= set(u.columns)
                       for u in catalog.tables[child].unique_keys):
                raise DatagenError(f"twins.with_owner: {child}.{'+'.join(fk.columns)} is in "
                                   f"no unique key of {child}: its twins need no owner copy")
            keyed[child] = (*keyed.get(child, ()), fk)
        return cls(tuple(ownership(catalog, owned)), entities, keyed)


def component(tables: Mapping[str, Columns], owns: Ownership, table: str, row: int,
              max_rows: int, index: _Index | None = None) -> Component | None:
    """The ownership component of `table` row `row` (module docstring), or None when it
    holds more than `max_rows` rows."""
    index = index or _Index(tables)
    owners_of: dict[str, list[ForeignKey]] = {}
    for child, fk in owns.edges:
        owners_of.setdefault(child, []).append(fk)
    found: Component = {table: {row}}
    todo = deque([(table, row)])
    size = 1
    while todo:
        t, r = todo.popleft()
        reached = []
        for fk in owns.keyed_by_owner.get(t, ()):  # a name unique in its owner: the owner too
            key = _key(tables[t], fk.columns, r)
            reached += [(fk.references, p) for p in index.rows(fk.references, fk.ref_columns, key)]
        if t in owns.entities:  # the other rows of the same person, item, assignment
            ids = owns.entities[t]
            reached += [(t, s) for s in index.rows(t, ids, _key(tables[t], ids, r))]
        for child, fk in owns.edges:  # what the row owns
            if fk.references == t:
                key = _key(tables[t], fk.ref_columns, r)
                reached += [(child, c) for c in index.rows(child, fk.columns, key)]
        if len(owners_of.get(t, ())) > 1:  # a shared child: its other owners come too
            for fk in owners_of[t]:
                key = _key(tables[t], fk.columns, r)
                reached += [(fk.references, p)
                            for p in index.rows(fk.references, fk.ref_columns, key)]
        for t2, r2 in reached:
            if r2 not in found.setdefault(t2, set()):
                found[t2].add(r2)
                size += 1
                if size > max_rows:
                    return None
                todo.append((t2, r2))
    return found


def choose(ctx: GenContext, tables: Mapping[str, Columns], shape: Twins) -> Component:
    """The rows to copy: for each document table, `documents[table]` roots whose components
    are small enough and disjoint from those chosen before, each next one the row that
    brings the most (unit, column, value) pairs no twin has yet (`_Strata`)."""
    owns = Ownership.of(ctx.catalog, shape.owned, shape.with_owner)
    unknown = sorted(set(shape.documents) - set(tables))
    if unknown:
        raise DatagenError(f"twins.documents: {unknown} are no catalog tables")
    index = _Index(tables)
    chosen: Component = {}
    for table, wanted in shape.documents.items():
        strata = _Strata(ctx.catalog.tables[table], tables[table], ctx.rng(f"{table}:twins"))
        got = 0
        while got < wanted and (row := strata.best()) is not None:
            found = component(tables, owns, table, row, shape.max_rows, index)
            if found is None or any(chosen.get(t, set()) & rows for t, rows in found.items()):
                strata.drop(row)
                continue
            for t, rows in found.items():
                chosen.setdefault(t, set()).update(rows)
            strata.take(row)
            got += 1
    return chosen


class _Strata:
    """Which rows of a document table would bring twins into filters they have not met yet.

    A gold filters on codes, flags, NULLs and periods, often inside one operating unit; a
    random twin rarely passes a narrow filter (a finally closed order of unit 458, a reversed
    receipt). The strata of a row are its (unit, column, value) for every column with at most
    `MAX_VALUES` distinct values (NULL one of them) that no key fills; `best` is the row with
    the most strata no twin covers yet, ties broken at random."""

    MAX_VALUES = 40

    def __init__(self, table: Table, cols: Columns, rng: np.random.Generator) -> None:
        n = len(next(iter(cols.values())))
        keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
        unit = (np.asarray(pd.factorize(cols[table.striping.column])[0]) if table.striping
                else np.zeros(n, dtype=np.int64))
        self.codes: list[np.ndarray] = []  # per column: the row's stratum number
        for col in table.columns:
            if col.name in keys or col.name.endswith("_ID"):
                continue
            values = pd.factorize(pd.Series(cols[col.name], dtype=object), use_na_sentinel=False)
            if not 2 <= len(values[1]) <= self.MAX_VALUES:
                continue
            self.codes.append(unit * (self.MAX_VALUES + 1) + values[0])
        self.covered = [np.zeros(int(c.max()) + 1, dtype=bool) for c in self.codes]
        self.open = np.ones(n, dtype=bool)
        self.tiebreak = rng.random(n)

    def best(self) -> int | None:
        if not self.open.any():
            return None
        gain = sum((~cov[c]).astype(np.int64) for c, cov in zip(self.codes, self.covered,
                                                                 strict=True))
        score = np.where(self.open, gain + self.tiebreak, -1.0)
        return int(score.argmax())

    def drop(self, row: int) -> None:
        self.open[row] = False

    def take(self, row: int) -> None:
        self.drop(row)
        for c, cov in zip(self.codes, self.covered, strict=True):
            cov[c[row]] = True


def place_twins(ctx: GenContext, tables: dict[str, Columns], shape: Twins) -> Component:
    """Append the twins of `choose`'s rows to `tables` (in place); returns what was copied."""
    chosen = choose(ctx, tables, shape)
    copy_components(ctx, tables, shape, chosen)
    return chosen


def copy_components(ctx: GenContext, tables: dict[str, Columns], shape: Twins,
                    chosen: Component) -> None:
    """Append a twin of every row of `chosen` (whole ownership components) to `tables`, in
    place: fresh own ids, keys re-pointed at copied parents, `shape.hidden` varied, unique
    keys made fresh (module docstring)."""
    rows = {t: np.array(sorted(r), dtype=np.int64) for t, r in chosen.items() if r}
    twins = {t: {c: v[rows[t]].copy() for c, v in tables[t].items()} for t in rows}
    for t in rows:
        table = ctx.catalog.tables[t]
        for column in own_id_columns(table):
            twins[t][column] = _fresh_ids(ctx, table, column, tables[t][column],
                                          twins[t][column])
    _repoint(ctx.catalog, tables, rows, twins)
    for t, hidden in shape.hidden.items():
        if t in twins:
            vary_hidden(ctx.catalog, t, hidden, twins)
    for t in rows:
        table = ctx.catalog.tables[t]
        for unique in table.unique_keys:
            fresh_unique(table, unique.columns, tables[t], twins[t])
        _check_unique(table, table.primary_key, tables[t], twins[t], "primary key")
        for unique in table.unique_keys:
            _check_unique(table, unique.columns, tables[t], twins[t], unique.index)
    for t, cols in twins.items():
        tables[t] = {c: np.concatenate([tables[t][c], cols[c]]) for c in tables[t]}


def vary_hidden(catalog: Catalog, table: str, hidden: HiddenKey,
                twins: dict[str, Columns]) -> np.ndarray:
    """Give every `hidden.every`-th twin of `table` whose `hidden.column` value
    `hidden.swap` maps the mapped value, and its copied children (each `hidden.children`
    CHILD.COLUMN, found through the child's foreign key to `table`) the values their map
    gives, in place; returns the twin rows varied. A twin that varies a hidden key column
    already differs from its original in a unique key, so `fresh_unique` leaves its visible
    number alone and the twin's output row repeats its original's where the gold does not
    show the hidden column. DatagenError names a column or child the catalog lacks."""
    where = f"twins.hidden.{table}"
    _column(catalog, table, hidden.column, where)
    cols = twins[table]
    eligible = [i for i, v in enumerate(cols[hidden.column].tolist()) if v in hidden.swap]
    varied = np.array(eligible[::hidden.every], dtype=np.int64)
    for i in varied:
        cols[hidden.column][i] = hidden.swap[cols[hidden.column][i]]
    for entry, values in hidden.children.items():
        child, _, column = entry.partition(".")
        _column(catalog, child, column, f"{where}.children")
        fks = [fk for fk in catalog.tables[child].foreign_keys if fk.references == table]
        if len(fks) != 1:
            raise DatagenError(f"{where}.children: {child} has {len(fks)} foreign keys to "
                               f"{table}, expected one")
        if child not in twins:
            continue
        keys = {_key(cols, fks[0].ref_columns, int(i)) for i in varied}
        under = twins[child]
        for r in range(len(under[column])):
            value = under[column][r]
            if _key(under, fks[0].columns, r) in keys and value in values:
                under[column][r] = values[value]
    return varied


def _column(catalog: Catalog, table: str, column: str, where: str) -> None:
    t = catalog.tables.get(table)
    if t is None or column not in {c.name for c in t.columns}:
        raise DatagenError(f"{where}: {table}.{column} is no catalog column")


def _fresh_ids(ctx: GenContext, table: Table, column: str, values: np.ndarray,
               old: np.ndarray) -> np.ndarray:
    """A new id for each distinct id in `old` (rows of one thing keep sharing theirs), after
    the largest of `values`, inside the column's id block."""
    block = ctx.blocks.get(f"{table.name}.{column}")
    size = ctx.recipe.ids.block_size
    present = values[~is_null(values)].astype(np.int64)
    start = int(present.max()) + 1 if len(present) else (block or 0) * size + 1
    distinct, position = np.unique(old.astype(np.int64), return_inverse=True)
    new = np.arange(start, start + len(distinct), dtype=np.int64)
    if block is not None and len(new) and new[-1] >= (block + 1) * size:
        raise DatagenError(f"twins of {table.name}: {len(new)} more {column} ids do not fit "
                           "the id block; raise ids.block_size")
    new = new[position]
    return new.astype(values.dtype) if values.dtype.kind in "iuf" else new


def _repoint(catalog: Catalog, tables: Mapping[str, Columns], rows: Mapping[str, np.ndarray],
             twins: dict[str, Columns]) -> None:
    """Point every foreign key of a twin whose original parent was copied at the parent's
    twin (also across components: a twin invoice of a supplier that has a twin of its own
    goes to the twin supplier, so two namesake suppliers have alike invoices). A column that
    another key shares moves only if that key's parent was copied too
    (PO_HEADERS_ALL.AGENT_ID is a person and a buyer). Repeated until nothing
    moves, since a parent's key may itself be re-pointed (a payment schedule's INVOICE_ID,
    which payments reference)."""
    for _ in range(len(rows) + 2):
        moved = False
        for t in rows:
            fks = catalog.tables[t].foreign_keys
            targets = [_targets(tables, rows, twins, t, fk) for fk in fks]
            for j, fk in enumerate(fks):
                for i, target in enumerate(targets[j] or ()):
                    current = _key(twins[t], fk.columns, i)
                    if target is None or target == current:
                        continue
                    changed = {c for c, a, b in zip(fk.columns, target, current, strict=True)
                               if a != b}
                    if any(set(other.columns) & changed and (targets[k] is None
                                                             or targets[k][i] is None)
                           for k, other in enumerate(fks) if k != j):
                        continue
                    for c, value in zip(fk.columns, target, strict=True):
                        twins[t][c][i] = value
                    moved = True
        if not moved:
            return
    raise DatagenError("twins: foreign keys keep moving (a cycle of copied keys)")


def _targets(tables: Mapping[str, Columns], rows: Mapping[str, np.ndarray],
             twins: Mapping[str, Columns], table: str, fk: ForeignKey) -> list[tuple | None] | None:
    """Per twin of `table`: the key of its parent's twin, else None (no list at all when the
    parent table has no twins)."""
    parent = fk.references
    if parent not in rows:
        return None
    to_twin = {_key(tables[parent], fk.ref_columns, int(r)): _key(twins[parent], fk.ref_columns, i)
               for i, r in enumerate(rows[parent])}
    return [to_twin.get(_key(tables[table], fk.columns, int(r))) for r in rows[table]]


def fresh_unique(table: Table, columns: list[str], cols: Columns, twin: Columns) -> None:
    """Give a twin that still agrees with its original on every column of a unique key a new
    value in its first text column that no foreign key fills."""
    taken = {c for fk in table.foreign_keys for c in fk.columns}
    free = [c for c in columns if c not in taken and table.column(c).type.is_text]
    n = len(twin[columns[0]])
    used = {_key(cols, columns, r) for r in range(len(cols[columns[0]]))}
    clash = [i for i in range(n) if _key(twin, columns, i) in used]
    if not clash:
        return
    if not free:
        raise DatagenError(f"twins of {table.name}: unique key {columns} has no text column "
                           "a twin could change; leave the table out of twins.documents")
    column = free[0]
    # a twin's own values count too: a new number must not repeat another changed row's
    values = {v for v in [*cols[column].tolist(), *twin[column].tolist()] if v is not None}
    twin[column] = twin[column].copy()
    digits = bool(values) and all(isinstance(v, str) and v.isdigit() for v in values)
    width = table.column(column).type.precision or 0
    for i in clash:
        if digits:
            new = str(max(int(v) for v in values) + 1)
        else:
            k = 2
            while (new := f"{twin[column][i]}-{k}") in values:
                k += 1
        if width and len(new) > width:
            raise DatagenError(f"twins of {table.name}: {column} {new!r} is longer than "
                               f"{width}")
        values.add(new)
        twin[column][i] = new


def _check_unique(table: Table, columns: list[str], cols: Columns, twin: Columns,
                  what: str) -> None:
    seen = {_key(cols, columns, r) for r in range(len(cols[columns[0]]))}
    for i in range(len(twin[columns[0]])):
        key = _key(twin, columns, i)
        if key in seen and any(v is not None for v in key):
            raise DatagenError(f"twins of {table.name}: a twin repeats {what} {columns} = "
                               f"{key}; give the table an own id or copy its parent")
        seen.add(key)

"""The catalog-driven generator: completes any table from its catalog definition alone.

It fills what hand-written generators leave out (or the whole table when there is none):
striping columns covering every organization, own ids from the table's id block, foreign
keys sampled from the parent (in the same organization, and carrying shared id columns along
so a distribution's line and header agree), every lookup code in every organization, NULLs in
every nullable column, and plausible values chosen by type and column name.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import DatagenError, GenContext, own_id_columns
from harness.datagen.recipe import Recipe
from harness.inputs.catalog import Catalog, Column, ForeignKey, Table

_END_OF = (("EFFECTIVE_END_DATE", "EFFECTIVE_START_DATE"), ("END_DATE_ACTIVE", "START_DATE_ACTIVE"),
           ("END_DATE", "START_DATE"), ("DATE_TO", "DATE_FROM"),
           ("LAST_UPDATE_DATE", "CREATION_DATE"))
_MONEY = re.compile(r"AMOUNT|PRICE|COST|TOTAL|BALANCE|_DR$|_CR$")
_QUANTITY = re.compile(r"QUANTITY|_QTY")
_CODE_TEXT = re.compile(r"(_NUM|_NUMBER|^SEGMENT\d+)$")


def is_id_like(table: Table, name: str) -> bool:
    """A numeric `*_ID` column: an identifier of some kind of row."""
    return name.endswith("_ID") and table.column(name).type.is_numeric


def implicit_keys(catalog: Catalog, recipe: Recipe, table: Table,
                  known: frozenset[str]) -> list[ForeignKey]:
    """The recipe's name-based references (CREATED_BY -> FND_USER.USER_ID) of `table`'s
    columns that no catalog foreign key covers, as foreign keys the generator honours, when
    the referenced table is generated (in the catalog or in `known`)."""
    declared = {c for fk in table.foreign_keys for c in fk.columns}
    out = []
    for col in table.columns:
        target = recipe.implicit_references.get(col.name)
        if target and col.name not in declared and col.type.is_numeric:
            ref_table, _, ref_column = target.partition(".")
            if ref_table in catalog.tables or ref_table in known:
                out.append(ForeignKey(columns=[col.name], references=ref_table,
                                      ref_columns=[ref_column]))
    return out


def conform(table: Table, col: Column, values: np.ndarray) -> np.ndarray:
    """Hand-made values in the representation of the column's type (NULL as NaN, NaT or None);
    DatagenError when they cannot be, or when a string is empty (Oracle stores '' as NULL)."""
    where = f"{table.name}.{col.name} ({col.type})"
    if col.type.is_numeric:
        if values.dtype.kind in "iuf":
            return values
        try:
            return pd.to_numeric(pd.Series(values, dtype=object)).to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise DatagenError(f"{where}: generator made non-numbers: {exc}") from None
    if col.type.is_temporal:
        try:
            return np.asarray(values, dtype="datetime64[us]")
        except (TypeError, ValueError) as exc:
            raise DatagenError(f"{where}: generator made non-dates: {exc}") from None
    out = np.empty(len(values), dtype=object)
    limit = col.type.precision
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out[i] = None
            continue
        text = str(value)[:limit] if limit else str(value)
        if not text:
            raise DatagenError(f"{where}: generator made an empty string (Oracle: NULL)")
        out[i] = text
    return out


def is_null(values: np.ndarray) -> np.ndarray:
    """Mask of NULLs in a column array of any of the representations above."""
    return pd.isna(pd.Series(values, dtype=object if values.dtype.kind == "O" else None)
                   ).to_numpy()


def amountless_turn(seed: int, table: str, units: int) -> int | None:
    """Which of a table's `units` organizations (sorted) holds no amount on the instance of
    `seed` (`TableFiller._unit_without_amounts`), or None: none on every other instance."""
    turn = (seed + zlib.crc32(table.encode())) % (2 * units)
    return turn if turn < units else None


def to_series(col: Column, values: np.ndarray) -> pd.Series:
    """The pandas column DuckDB reads `values` from, in the catalog type's representation."""
    duck = col.type.duckdb_type()
    if duck == "BIGINT":
        if values.dtype.kind in "iu":
            return pd.Series(values.astype(np.int64))
        return pd.Series(pd.array(np.round(values.astype(float)), dtype="Int64"))
    if duck.startswith("DECIMAL"):
        # DuckDB rounds the float to the column's scale when it stores it, exactly.
        return pd.Series(np.round(values.astype(float), col.type.storage_scale))
    if duck == "TIMESTAMP":
        return pd.Series(values.astype("datetime64[us]"))
    return pd.Series(values, dtype=object)


def violations(child: dict[str, np.ndarray], fk: ForeignKey, parent: pd.DataFrame) -> np.ndarray:
    """Rows whose foreign key has no NULL part and matches no parent row."""
    keys = [_comparable(child[c]) for c in fk.columns]
    has_null = np.zeros(len(keys[0]), bool)
    for k in keys:
        has_null |= pd.isna(k)
    refs = [_comparable(parent[r].to_numpy()) for r in fk.ref_columns]
    if len(keys) == 1:
        found = pd.Series(keys[0]).isin(pd.Series(refs[0]).dropna()).to_numpy()
    else:
        found = pd.MultiIndex.from_arrays(keys).isin(pd.MultiIndex.from_arrays(refs))
    return ~has_null & ~found


def _comparable(values: np.ndarray) -> np.ndarray:
    """Integers as floats, so an int key and a float key with NULLs compare equal."""
    return values.astype(float) if values.dtype.kind in "iu" else values


def sample_rows(rng: np.random.Generator, parent: pd.DataFrame,
                conditions: list[tuple[np.ndarray, str]], n: int) -> np.ndarray:
    """For each of `n` child rows, a random parent row position whose columns equal the
    child's condition values (child array, parent column); -1 where none does."""
    if not len(parent):
        return np.full(n, -1)
    if not conditions:
        return rng.integers(0, len(parent), n)
    names = [f"k{i}" for i in range(len(conditions))]
    child = pd.DataFrame({k: pd.Series(a, dtype=object) for k, (a, _) in
                          zip(names, conditions, strict=True)})
    par = pd.DataFrame({k: parent[p].astype(object).to_numpy() for k, (_, p) in
                        zip(names, conditions, strict=True)})
    both = pd.concat([par, child], ignore_index=True)
    group = both.groupby(names, sort=True, dropna=True).ngroup().fillna(-1).to_numpy(
        dtype=np.int64)
    parent_group, child_group = group[: len(par)], group[len(par):]
    order = np.argsort(parent_group, kind="stable")
    sizes = np.bincount(parent_group[parent_group >= 0], minlength=group.max() + 1)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    sorted_valid = order[parent_group[order] >= 0]
    out = np.full(n, -1)
    ok = child_group >= 0
    ok[ok] = sizes[child_group[ok]] > 0
    offsets = (rng.random(int(ok.sum())) * sizes[child_group[ok]]).astype(int)
    out[ok] = sorted_valid[starts[child_group[ok]] + offsets]
    return out


@dataclass
class TableFiller:
    """Completes one table: hand-made columns kept (after checks), the rest generated."""

    ctx: GenContext
    table: Table
    hand: pd.DataFrame | None
    hand_made_tables: frozenset[str]
    cols: dict[str, np.ndarray] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # hand-made or fixed: never resampled
    deferred: list[ForeignKey] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = self.ctx.rng(f"{self.table.name}:generic")
        self.n = 0
        self.groups: np.ndarray | None = None  # the striping column: codes cover each value
        self.foreign_keys = self.table.foreign_keys + implicit_keys(
            self.ctx.catalog, self.ctx.recipe, self.table, self.hand_made_tables)

    @property
    def name(self) -> str:
        """The table's name."""
        return self.table.name

    def run(self) -> pd.DataFrame:
        """The completed table as column arrays in catalog order."""
        if self.hand is not None:
            self.n = len(self.hand)
            self._take_hand_columns()
        else:
            self.n = self._generic_rows()
        self._striping()
        if self.hand is not None:
            self._hand_codes()
        for c in own_id_columns(self.table):
            if c not in self.cols:
                self.cols[c] = self.ctx.ids(self.name, c, self.n)
                self.kept.add(c)
        self._foreign_keys()
        self._rest_of_primary_key()
        if self.hand is None:
            self._drop_duplicate_keys()
        self._coded_columns()
        waiting = {c for fk in self.deferred for c in fk.columns}
        for col in sorted(self.table.columns, key=lambda c: _is_end_date(c.name)):
            if col.name not in self.cols and col.name not in waiting:
                self.cols[col.name] = self._plain(col)
        self._nulls_in_hand_columns()
        self._unit_without_amounts()
        return self.frame()

    def finish(self) -> pd.DataFrame:
        """Resolve the foreign keys whose parent was generated later (a cycle in the
        catalog), once every table exists; returns the complete table."""
        for fk in self.deferred:
            if set(fk.columns) <= self.cols.keys():
                self._check_hand_key(fk)
            self.fill_foreign_key(fk)
        self.deferred = []
        return self.frame()

    def frame(self) -> pd.DataFrame:
        """The columns made so far, in catalog order."""
        return v.frame({c.name: self.cols[c.name] for c in self.table.columns
                        if c.name in self.cols})

    def _generic_rows(self) -> int:
        codes = self._referenced_codes()
        if codes:
            # a code table (FND_CURRENCIES): one row per code that coded columns point at
            (key,) = self.table.primary_key
            self.cols[key] = np.array(codes, dtype=object)
            self.kept.add(key)
            return len(codes)
        wanted = self.ctx.row_count(self.name)
        extension = self._extension_key()
        if extension is not None:
            return self._extend(extension, wanted)
        # enough rows that every code of every coded column fits in every organization
        groups = self._stripe_values()
        need = max((len(self.ctx.codes(self.name, c.name)) for c in self.table.columns
                    if c.lookup), default=1)
        return max(wanted, need * len(groups or [0]) + 2)

    def _referenced_codes(self) -> list[str]:
        """For a table keyed by one text column: the lookup codes of every coded column whose
        foreign key points at that key, in catalog order."""
        if len(self.table.primary_key) != 1:
            return []
        (key,) = self.table.primary_key
        if not self.table.column(key).type.is_text:
            return []
        codes: dict[str, None] = {}
        for child, fk in self.ctx.catalog.join_edges():
            if fk.references != self.name or fk.ref_columns != [key]:
                continue
            col = self.ctx.catalog.tables[child].column(fk.columns[0])
            if col.lookup:
                codes.update(dict.fromkeys(self.ctx.catalog.lookups[col.lookup].codes))
        return list(codes)

    def _extension_key(self) -> ForeignKey | None:
        """The foreign key whose columns hold the whole primary key (PO_AGENTS.AGENT_ID ->
        PER_ALL_PEOPLE_F): this table adds columns to some of the parent's rows."""
        for fk in self.table.foreign_keys:
            if (set(self.table.primary_key) <= set(fk.columns) and fk.references != self.name
                    and fk.references in self.ctx.frames):
                return fk
        return None

    def _extend(self, fk: ForeignKey, wanted: int) -> int:
        parent = self.ctx.frames[fk.references]
        keys = parent[fk.ref_columns].dropna().drop_duplicates()
        n = min(wanted, len(keys))
        pos = keys.index.to_numpy()[self.rng.choice(len(keys), size=n, replace=False)]
        rows = parent.index.get_indexer(pos)
        for c, r in zip(fk.columns, fk.ref_columns, strict=True):
            self.cols[c] = parent[r].to_numpy()[rows]
            self.kept.add(c)
        for c in sorted(set(parent.columns) & self.table.column_names - self.cols.keys()):
            if is_id_like(self.table, c):
                self.cols[c] = parent[c].to_numpy()[rows]
        return n

    def _drop_duplicate_keys(self) -> None:
        """Sampled key columns can repeat a primary key; keep the first of each."""
        key = pd.DataFrame({c: pd.Series(self.cols[c], dtype=object)
                            for c in self.table.primary_key})
        keep = ~key.duplicated().to_numpy()
        if keep.all():
            return
        self.cols = {c: a[keep] for c, a in self.cols.items()}
        self.n = int(keep.sum())
        if self.table.striping:
            self.groups = self.cols[self.table.striping.column]

    def _stripe_values(self) -> list[int] | None:
        s = self.table.striping
        if s is None:
            return None
        return self.ctx.operating_units if s.by == "operating_unit" else self.ctx.inventory_orgs

    def _take_hand_columns(self) -> None:
        for col in self.table.columns:
            if col.name in self.hand.columns:
                self.cols[col.name] = conform(self.table, col, self.hand[col.name].to_numpy())
                self.kept.add(col.name)
        for fk in self.foreign_keys:
            if set(fk.columns) <= self.cols.keys() and fk.references in self.ctx.frames:
                self._check_hand_key(fk)

    def _check_hand_key(self, fk: ForeignKey) -> None:
        bad = violations(self.cols, fk, self.parent_frame(fk))
        if not bad.any():
            return
        if fk.references in self.hand_made_tables:
            raise DatagenError(f"{self.name}{fk.columns} -> {fk.references}{fk.ref_columns}: "
                               f"{int(bad.sum())} rows of the hand-made data do not resolve")
        # the catalog links a hand-made column to a generated table: draw it from there
        fixed = set(self.table.primary_key) | self._striping_column()
        for c in set(fk.columns) - fixed:
            del self.cols[c]
            self.kept.discard(c)

    def _hand_codes(self) -> None:
        """A hand-made coded column keeps its values when they are codes of its lookup,
        gaining any code an operating unit lacks on a row whose value repeats there; one that
        holds other values (the catalog coded it later) is made again from the lookup."""
        by_unit = self.table.striping is not None and self.table.striping.by == "operating_unit"
        groups = self.groups if by_unit else None
        for col in self.table.columns:
            if col.name not in self.kept or not col.lookup or col.name in self.table.primary_key:
                continue
            codes = self.ctx.codes(self.name, col.name)
            if col.type.is_numeric:
                codes = [float(c) for c in codes]
            values = self.cols[col.name].copy()
            present = pd.Series(values, dtype=object).dropna()
            if not present.isin(codes).all():
                del self.cols[col.name]
                self.kept.discard(col.name)
                continue
            for pos in v.group_positions(groups, self.n):
                have = set(pd.Series(values[pos], dtype=object).dropna())
                missing = [c for c in codes if c not in have]
                spare = pos[pd.Series(values[pos], dtype=object).duplicated().to_numpy()
                            & ~is_null(values[pos])]
                if missing and len(spare) >= len(missing):
                    values[self.rng.choice(spare, len(missing), replace=False)] = missing
            self.cols[col.name] = values

    def _striping_column(self) -> set[str]:
        return {self.table.striping.column} if self.table.striping else set()

    def _striping(self) -> None:
        orgs = self._stripe_values()
        if orgs is None:
            return
        column = self.table.striping.column
        if column not in self.cols:
            self.cols[column] = v.cover(self.rng, self.n, orgs).astype(np.int64)
        self.kept.add(column)
        self.groups = self.cols[column]

    def _foreign_keys(self) -> None:
        def depth(fk: ForeignKey) -> tuple[int, str]:
            parent = self.ctx.catalog.tables.get(fk.references)
            shared = {c for c in self.table.column_names & parent.column_names
                      if is_id_like(self.table, c) and is_id_like(parent, c)} if parent else ()
            return -len(shared), fk.references + ".".join(fk.columns)

        for fk in sorted(self.foreign_keys, key=depth):
            if fk.references != self.name and fk.references not in self.ctx.frames:
                self.deferred.append(fk)
            else:
                self.fill_foreign_key(fk)

    def parent_frame(self, fk: ForeignKey) -> pd.DataFrame:
        """The rows `fk` may point at (this table's own for a self-reference)."""
        if fk.references == self.name:
            return v.frame(self.cols)
        return self.ctx.frames[fk.references]

    def fill_foreign_key(self, fk: ForeignKey) -> None:
        """Draw the unassigned columns of `fk` from parent rows that agree with the child on
        the key's assigned columns and, where possible, on shared id and striping columns."""
        missing = [c for c in fk.columns if c not in self.cols]
        if not missing:
            return
        parent = self.parent_frame(fk)
        pairs = list(zip(fk.columns, fk.ref_columns, strict=True))
        given = [(self.cols[c], r) for c, r in pairs if c in self.cols]
        own = set(own_id_columns(self.table))
        shared = [(self.cols[c], c) for c in sorted(self.cols.keys() & set(parent.columns))
                  if c not in fk.columns and c not in own and c in self.table.column_names
                  and (is_id_like(self.table, c) or c in self._striping_column())]
        pos = sample_rows(self.rng, parent, given + shared, self.n)
        if shared and (pos < 0).any():
            retry = sample_rows(self.rng, parent, given, self.n)
            pos = np.where(pos < 0, retry, pos)
        unmatched = pos < 0
        if not len(parent):
            parent = pd.DataFrame({r: np.array([None], dtype=object) for r in fk.ref_columns})
        if unmatched.any() and not all(self.ctx.nullable(self.name, c) for c in missing):
            raise DatagenError(f"{self.name}{fk.columns} -> {fk.references}: no parent row "
                               f"matches {int(unmatched.sum())} rows")
        nulled = unmatched.copy()
        if all(self.table.column(c).nullable and f"{self.name}.{c}" not in
               self.ctx.recipe.never_null for c in missing):
            # a self-reference is a hierarchy, which needs many roots
            share = (self.ctx.recipe.generic.hierarchy_root_fraction
                     if fk.references == self.name else self.ctx.recipe.null_fraction)
            nulled |= v.null_mask(self.rng, self.n, share)
        # shared id columns come from the drawn parent row even where the key itself is
        # left NULL, so a NOT NULL column they fill stays filled
        safe = np.where(unmatched, self.rng.integers(0, max(1, len(parent)), self.n), pos)
        for c, r in pairs:
            if c in missing:
                self.cols[c] = v.null_where(parent[r].to_numpy()[safe], nulled)
        for c in sorted(set(parent.columns) & self.table.column_names - self.cols.keys()):
            if is_id_like(self.table, c):
                self.cols[c] = parent[c].to_numpy()[safe]

    def _rest_of_primary_key(self) -> None:
        assigned = [c for c in self.table.primary_key if c in self.cols]
        for c in self.table.primary_key:
            if c in self.cols:
                continue
            col = self.table.column(c)
            if col.lookup:
                codes = list(self.ctx.catalog.lookups[col.lookup].codes)
                self.cols[c] = v.cover(self.rng, self.n, codes, self.groups)
                self.kept.add(c)
                assigned.append(c)
                continue
            rank = (pd.DataFrame({k: pd.Series(self.cols[k], dtype=object) for k in assigned})
                    .groupby(assigned, dropna=False).cumcount().to_numpy()
                    if assigned else np.arange(self.n))
            if col.type.is_numeric:
                self.cols[c] = rank + 1
            elif col.type.is_temporal:
                # 30-day windows per rank keep the key unique within the assigned columns
                start = v.day(self.ctx.recipe.dates.start)
                self.cols[c] = start + (rank * 30 + self.rng.integers(0, 30, self.n)) * v.DAY
            else:
                self.cols[c] = np.array([f"{c[:3]}{r + 1}" for r in rank], dtype=object)
            self.kept.add(c)
            assigned.append(c)

    def _coded_columns(self) -> None:
        for col in self.table.columns:
            if col.name in self.cols or not col.lookup:
                continue
            codes = self.ctx.codes(self.name, col.name)
            values = v.cover(self.rng, self.n, codes, self.groups)
            if col.type.is_numeric:
                values = values.astype(float)  # numeric codes ('1', '2') of a NUMBER column
            self.cols[col.name] = self._maybe_null(col, values,
                                                   v.first_positions(values, self.groups))

    def _maybe_null(self, col: Column, values: np.ndarray,
                    keep: np.ndarray | None = None) -> np.ndarray:
        """`values` with NULLs when the column is nullable, sparing the rows in `keep`."""
        if not col.nullable or f"{self.name}.{col.name}" in self.ctx.recipe.never_null:
            return values
        return v.with_nulls(self.rng, values, self.ctx.recipe.null_fraction, keep)

    def _plain(self, col: Column) -> np.ndarray:
        """A column with no key, code or hand-made value: chosen by type and name."""
        if col.type.is_temporal:
            values = self._dates(col)
        elif col.type.is_numeric:
            values = self._numbers(col)
        else:
            values = self._text(col)
        return self._maybe_null(col, values)

    def _dates(self, col: Column) -> np.ndarray:
        shape = self.ctx.recipe.generic
        start_name = dict(_END_OF).get(col.name)
        if start_name in self.cols:
            start = self.cols[start_name]
            start = np.where(np.isnat(start), self.ctx.dates(self.rng, self.n), start)
            later = start + self.rng.integers(0, shape.end_after_days, self.n) * v.DAY
            if col.name == "LAST_UPDATE_DATE":  # an update happened, so not after the span
                return np.maximum(start, self.ctx.clip(later))
            return np.where(self.rng.random(self.n) < shape.open_end_fraction,
                            self.ctx.open_end, later)
        return self.ctx.dates(self.rng, self.n, self.groups)

    def _numbers(self, col: Column) -> np.ndarray:
        name, t, shape = col.name, col.type, self.ctx.recipe.generic
        if name.endswith("_ID") and f"{self.name}.{name}" in self.ctx.blocks:
            # the id of something outside the catalog: a few of them, shared by many rows
            pool = self.ctx.ids(self.name, name, max(1, int(self.n * shape.id_pool_fraction)))
            return self.rng.choice(pool, self.n)
        scale = t.scale or 0
        top = 10.0 ** ((t.precision or 15) - scale) - 1
        if _CODE_TEXT.search(name):
            return self._sequence().astype(float)
        if _MONEY.search(name):
            low, high = shape.amount
            return v.money(self.rng, self.n, low, min(top, high), 2 if t.scale is None else scale)
        if _QUANTITY.search(name):
            return self.rng.integers(1, int(min(top, shape.quantity_max)) + 1, self.n).astype(
                float)
        if "RATE" in name:  # exchange and conversion rates around 1
            return np.round(self.rng.uniform(0.5, min(top, 1.5), self.n), 4)
        return self.rng.integers(1, int(min(top, shape.number_max)) + 1, self.n).astype(float)

    def _sequence(self) -> np.ndarray:
        """1, 2, ... within each parent (the first NOT NULL foreign key), as line numbers."""
        for fk in self.table.foreign_keys:
            if all(c in self.cols and not self.table.column(c).nullable for c in fk.columns):
                parent = pd.DataFrame({c: pd.Series(self.cols[c], dtype=object)
                                       for c in fk.columns})
                return parent.groupby(fk.columns).cumcount().to_numpy() + 1
        return np.arange(1, self.n + 1)

    def _text(self, col: Column) -> np.ndarray:
        name, length = col.name, col.type.precision or 240
        words = self.ctx.recipe.vocabulary.words
        pool = self.ctx.recipe.value_pools.get(name)
        if pool:
            return np.array([s[:length] for s in v.pick(self.rng, pool, self.n)], dtype=object)
        if length == 1 or name.endswith("_FLAG"):
            out = v.cover(self.rng, self.n, ["Y", "N"], self.groups)
        elif "CURRENCY" in name:
            out = v.cover(self.rng, self.n, self.ctx.recipe.currencies.codes)
        elif _CODE_TEXT.search(name):
            out = np.array([str(x) for x in v.distinct_numbers(
                self.rng, self.n, 10_000, 10_000 + 20 * self.n + 1)], dtype=object)
        elif name.endswith("_CODE") or length <= 4:
            pool = sorted({w.upper()[:length] for w in words})
            out = v.pick(self.rng, pool, self.n)
        elif "EMAIL" in name:
            out = np.array([f"{w.lower()}{i}@example.com" for i, w in
                            enumerate(v.pick(self.rng, words, self.n))], dtype=object)
        elif "NAME" in name:
            out = v.phrases(self.rng, self.n, words, 2)
            out = np.array([s.title() for s in out], dtype=object)
        else:
            out = v.phrases(self.rng, self.n, words, 3)
        return np.array([s[:length] for s in out], dtype=object)

    def _nulls_in_hand_columns(self) -> None:
        """A nullable hand-made column with no NULL gets some in every organization (recipe
        `hand_nulls`: at least `rows`, else `fraction` of the organization's rows), on rows
        whose value repeats there, so no code's coverage is lost: a filter on one operating
        unit still meets a NULL (NVL dropped, NULLS FIRST vs LAST, a NULL group)."""
        shape = self.ctx.recipe.hand_nulls
        exempt = set(self.table.primary_key) | self._striping_column()
        for col in self.table.columns:
            key = f"{self.name}.{col.name}"
            if (col.name not in self.kept or col.name in exempt or not col.nullable
                    or key in self.ctx.recipe.never_null or self.n < 2):
                continue
            values = self.cols[col.name]
            if is_null(values).any():
                continue
            groups = self.groups if self.groups is not None else np.zeros(self.n, int)
            frame = pd.DataFrame({"g": groups, "x": pd.Series(values, dtype=object)})
            repeated = (frame.duplicated(["g", "x"], keep="first").to_numpy()
                        & self._null_keeps_unique_keys(col.name))
            if not repeated.any() and col.lookup:
                continue  # every row carries a code that must stay present
            mask = np.zeros(self.n, bool)
            if not repeated.any():
                mask[self.rng.integers(self.n)] = True
            for group in pd.unique(groups):
                rows = np.flatnonzero(repeated & (groups == group))
                size = int(np.sum(groups == group))
                k = min(len(rows), max(shape.rows, round(shape.fraction * size)))
                mask[self.rng.choice(rows, size=k, replace=False)] = True
            self.cols[col.name] = v.null_where(values, mask)

    def _unit_without_amounts(self) -> None:
        """On every other instance, one organization's rows hold NULL in every nullable
        amount and quantity column of the table (not a key, not `never_null`, not
        `targeted.frozen`: facts tie those to other rows). Which organization, and whether,
        turns with the seed and the table, so consecutive seeds cover every organization, and
        the other organizations keep their values (a comparison of two amounts of a row
        still finds rows). A gold's filter on that unit then meets only NULLs: `SUM(NVL(x,
        0))` (0) differs from `SUM(x)` (NULL), with or without GROUP BY."""
        if self.groups is None or self.n < 2:
            return
        units = sorted(pd.unique(self.groups))
        turn = amountless_turn(self.ctx.seed, self.name, len(units))
        frozen = set(self.ctx.recipe.targeted.frozen) | set(self.ctx.recipe.never_null)
        if turn is None or f"{self.name}.*" in frozen:
            return
        exempt = set(self.table.primary_key) | self._striping_column() | {
            c for fk in self.foreign_keys for c in fk.columns}
        for col in self.table.columns:
            if (col.nullable and col.type.is_numeric and col.name not in exempt
                    and not col.name.endswith("_ID") and col.name in self.cols
                    and f"{self.name}.{col.name}" not in frozen
                    and (_MONEY.search(col.name) or _QUANTITY.search(col.name))):
                self.cols[col.name] = v.null_where(self.cols[col.name],
                                                   self.groups == units[turn])


    def _null_keeps_unique_keys(self, column: str) -> np.ndarray:
        """Rows that may take a NULL in `column` without two rows of a declared unique key
        holding it then agreeing on every other column of the key: Oracle's unique index
        counts such partly-NULL keys as equal (only all-NULL keys are left out)."""
        allowed = np.ones(self.n, bool)
        for key in self.table.unique_keys:
            others = [c for c in key.columns if c != column]
            if column not in key.columns or not others:
                continue
            rest = pd.DataFrame({c: pd.Series(self.cols[c], dtype=object) for c in others})
            allowed &= ~rest.duplicated(keep="first").to_numpy()
        return allowed


def _is_end_date(name: str) -> bool:
    return name in dict(_END_OF)

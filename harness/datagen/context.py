"""The state one instance's generation shares: catalog, recipe, seed, id blocks and frames.

Each table draws from its own random stream (seeded by instance seed and table name), so
adding a table to the catalog leaves every other table's data as it was.
"""

from __future__ import annotations

import datetime as dt
import zlib
from functools import cached_property

import numpy as np
import pandas as pd

from harness.datagen import values
from harness.datagen.recipe import Recipe
from harness.inputs.catalog import Catalog, Column, Table
from harness.translate import PINNED_SYSDATE


class DatagenError(Exception):
    """The catalog and the recipe (or a hand-written generator) disagree."""


def own_id_columns(table: Table) -> list[str]:
    """Primary-key columns that identify rows of this table: numeric `*_ID` columns that are
    not taken from another table through a foreign key or striping."""
    free = set(free_id_columns(table))
    return [c for c in table.primary_key if c in free]


def free_id_columns(table: Table) -> list[str]:
    """Numeric `*_ID` columns that no foreign key or striping fills: own ids and the ids of
    things outside the catalog (REQUEST_ID, …)."""
    taken = {c for fk in table.foreign_keys for c in fk.columns}
    if table.striping:
        taken.add(table.striping.column)
    return [c.name for c in table.columns
            if c.name.endswith("_ID") and c.type.is_numeric and c.name not in taken]


def id_blocks(catalog: Catalog, recipe: Recipe) -> dict[str, int]:
    """TABLE.COLUMN -> id block: the recipe's, then free blocks in name order for every other
    free id column of the catalog, so ranges stay disjoint however the catalog grows."""
    blocks = dict(recipe.ids.blocks)
    wanted = {f"{t.name}.{c}" for t in catalog.tables.values() for c in free_id_columns(t)}
    free = recipe.ids.first_free_block
    for key in sorted(wanted - blocks.keys()):
        blocks[key] = free
        free += 1
    return blocks


class GenContext:
    """Generation state of one instance; generators read parents' frames from `frames`."""

    def __init__(self, catalog: Catalog, recipe: Recipe, seed: int,
                 blocks: dict[str, int]) -> None:
        self.catalog = catalog
        self.recipe = recipe
        self.seed = seed
        self.blocks = blocks
        self.frames: dict[str, pd.DataFrame] = {}  # every column a generator made, by table

    def rng(self, stream: str) -> np.random.Generator:
        """The random stream named `stream` (a table name, or table:purpose)."""
        return np.random.default_rng([self.seed, zlib.crc32(stream.encode())])

    def row_count(self, table: str) -> int:
        """This instance's row count for `table`, drawn from the recipe's range."""
        low, high = self.recipe.row_range(table)
        return int(self.rng(f"{table}:rows").integers(low, high + 1))

    def ids(self, table: str, column: str, n: int) -> np.ndarray:
        """`n` fresh ids for `table.column` from its own block."""
        key = f"{table}.{column}"
        if key not in self.blocks:
            raise DatagenError(f"no id block for {key}; add it to ids.blocks in the recipe")
        return values.ids(self.rng(f"{key}:ids"), n, self.blocks[key],
                          self.recipe.ids.block_size, self.recipe.ids.max_gap)

    def column(self, table: str, column: str) -> Column | None:
        """The catalog column, or None when the catalog does not (yet) have it."""
        t = self.catalog.tables.get(table)
        return None if t is None or column not in t.column_names else t.column(column)

    def codes(self, table: str, column: str) -> list[str]:
        """The codes random rows of `table.column` draw: the catalog lookup's but those the
        recipe keeps rare (`targeted.rare_codes`), else the recipe's."""
        col = self.column(table, column)
        if col is not None and col.lookup:
            # codes the recipe keeps rare are placed by decode_pairs.py, never drawn
            rare = set(self.recipe.targeted.rare_codes.get(col.lookup, ()))
            return [c for c in self.catalog.lookups[col.lookup].codes if c not in rare]
        key = f"{table}.{column}"
        if key not in self.recipe.codes:
            raise DatagenError(f"{key} has no catalog lookup and no codes in the recipe")
        return list(self.recipe.codes[key])

    def nullable(self, table: str, column: str) -> bool:
        """Whether the catalog lets `table.column` be NULL (columns it lacks: yes)."""
        col = self.column(table, column)
        return col is None or col.nullable

    @cached_property
    def operating_units(self) -> list[int]:
        """ORG_IDs of the security policy's operating units (204, 458)."""
        return [ou.organization_id for ou in self.catalog.security.operating_units]

    @cached_property
    def inventory_orgs(self) -> list[int]:
        """ORGANIZATION_IDs of the security policy's inventory organizations (207, 208)."""
        return [io.organization_id for io in self.catalog.security.inventory_organizations]

    @cached_property
    def edges(self) -> list[np.datetime64]:
        """The calendar edges main dates must land on at midnight."""
        d = self.recipe.dates
        return values.calendar_edges(d.start, d.end, d.boundary_year, d.extra_edges())

    @cached_property
    def instants(self) -> list[np.datetime64]:
        """Times of day around the pinned SYSDATE, on its day and on each aging day before
        it: two hours before its time and six hours after; the recipe's month-end times;
        then the same times on each instant day (last: the rows the edges before them take
        stay as they were). `d >= SYSDATE - 7` and `d >= TRUNC(SYSDATE) - 7`, or
        `d < TRUNC(SYSDATE)` and `d <= SYSDATE - 1`, differ only on such rows."""
        day = values.day(self.today)
        clock = (PINNED_SYSDATE - dt.datetime.combine(PINNED_SYSDATE.date(), dt.time()))
        before, after = clock - dt.timedelta(hours=2), clock + dt.timedelta(hours=6)
        def around(days: list[int]) -> list[np.datetime64]:
            return [day + np.timedelta64(int(-k * 86_400 + offset.total_seconds()), "s")
                    for k in days for offset in (before, after)]

        # and a time of day on every month's last day of the boundary year (BETWEEN the
        # first and the last day of a month misses it)
        month_ends = [np.datetime64(t, "s") for t in self.recipe.dates.month_end_instants()]
        return (around([0, *self.recipe.dates.aging_days]) + month_ends
                + around(self.recipe.dates.instant_days))

    def dates(self, rng: np.random.Generator, n: int,
              groups: np.ndarray | None = None) -> np.ndarray:
        """Transaction dates over the recipe's span, calendar edges and the instants around
        the pinned SYSDATE in every group."""
        d = self.recipe.dates
        return values.transaction_dates(rng, n, d.start, d.end, [*self.edges, *self.instants],
                                        d.time_of_day_fraction, groups)

    @property
    def today(self) -> dt.date:
        """The day of the pinned SYSDATE (the recipe's `today`, else the span's end)."""
        return self.recipe.dates.today or self.recipe.dates.end

    @property
    def open_end(self) -> np.datetime64:
        """The end of time of current date-tracked rows (4712-12-31)."""
        return values.day(self.recipe.dates.open_end)

    def coded(self, rng: np.random.Generator, n: int, table: str, column: str,
              groups: np.ndarray | None = None, share: float | None = None,
              main: str | None = None, nulls: float = 0.0) -> np.ndarray:
        """`n` codes of `table.column`, each in every group; `share` of the rest is `main`
        (default: the first code), the others evenly spread; about `nulls` of the rows that
        no code's presence depends on are NULL."""
        codes = self.codes(table, column)
        weights = None if share is None else values.skewed(codes, share, main)
        out = values.cover(rng, n, codes, groups, weights)
        if nulls:
            out = values.with_nulls(rng, out, nulls, values.first_positions(out, groups))
        return out

    def clip(self, dates: np.ndarray) -> np.ndarray:
        """`dates` moved into the span: what happened after an event still happened by its
        last second (the span's end is "now")."""
        d = self.recipe.dates
        last = values.day(d.end) + values.DAY - np.timedelta64(1, "s")
        return np.minimum(np.maximum(dates, values.day(d.start)), last)

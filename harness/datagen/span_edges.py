"""Span edges: documents dated on the golds' days, inside the span and, on some instances,
beyond it.

Every instance keeps its main dates in the recipe's span (2023-01-01 .. 2025-12-31), so a gold's
span bound (`>= DATE '2023-01-01'`, `< DATE '2026-01-01'`) dropped, moved by a day or turned
from `<` into `<=` returns the same rows there. EBS holds documents of any date: the years
before a data set's window (history kept after an upgrade or conversion) and future-dated
ones (Payables takes future-dated invoices and payments, Receivables transaction dates in a
later period). On the instances `targeted.beyond_span` names:

- the `targeted.bounded` columns are not bounded: targeted.py places c - 1, c and c + 1 of the
  golds' constants there too (2022-12-31, 2026-01-01, 2026-01-02), on rows the gold's other
  conditions read when `blocks` is on;
- hand-made document dates whose dependants derive from them (AR transactions, whose
  schedules, receipts and applications repeat or follow the date) take the golds' days
  (`gold_days`) as they are generated (`place_on_days`), outside the span too.

Other instances keep the span; a fact about the span's extremes (ties at the latest date, the
future-dated invoices being the latest) holds there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.recipe import Recipe
from harness.datagen.targeted import target_days


def beyond_span(recipe: Recipe, seed: int) -> bool:
    """Whether the instance of `seed` holds documents dated outside the span."""
    return recipe.index_of(seed) in recipe.targeted.beyond_span


def bounded_columns(recipe: Recipe, seed: int) -> frozenset[str]:
    """The columns whose [min, max] targeted rows keep on this instance: the recipe's
    `bounded`, none on an instance beyond the span."""
    return frozenset() if beyond_span(recipe, seed) else frozenset(recipe.targeted.bounded)


def gold_days(ctx: GenContext, columns: dict[str, Sequence[str]]) -> list[np.datetime64]:
    """The midnights of c - 1, c and c + 1 for every date c golds compare the columns
    ({table: columns}) with, sorted; days outside the span only on an instance beyond it."""
    d = ctx.recipe.dates
    wide = beyond_span(ctx.recipe, ctx.seed)
    days = {c + dt.timedelta(days=delta) for c in target_days(ctx, columns)
            for delta in (-1, 0, 1)}
    return [v.day(x) for x in sorted(days) if wide or d.start <= x <= d.end]


def place_on_days(rng: np.random.Generator, dates: np.ndarray, days: Sequence[np.datetime64],
                  units: np.ndarray, kinds: np.ndarray, prefer: Sequence[np.ndarray],
                  free: np.ndarray) -> np.ndarray:
    """`dates` with, per day, per unit and per kind, one `free` row moved to that midnight;
    each such row is drawn among those of one of the `prefer` masks (statuses, a foreign
    currency), the mask turning with the day and the kind from a random start, so a day
    meets several sorts of document across kinds and instances. A unit's first and last
    dates stay where they are, and so does every row not `free` (calendar edges, instants
    around SYSDATE); a row moves at most once."""
    out = dates.copy()
    movable = free.copy()
    for unit in np.unique(units):
        mine = units == unit
        movable &= ~(mine & ((dates == dates[mine].min()) | (dates == dates[mine].max())))
    turn = int(rng.integers(len(prefer))) if len(prefer) else 0
    for day in days:
        for unit in np.unique(units):
            for kind in np.unique(kinds):
                pool = movable & (units == unit) & (kinds == kind)
                if len(prefer):
                    wanted = pool & prefer[turn % len(prefer)]
                    turn += 1
                    pool = wanted if wanted.any() else pool
                rows = np.flatnonzero(pool)
                if len(rows):
                    row = rng.choice(rows)
                    out[row] = day
                    movable[row] = False
    return out


def tie_latest(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]]) -> None:
    """On an instance beyond the span, after targeted rows: where a unit's latest date in a
    `bounded` column is one row's only (a day after the span placed once in that unit), a
    second row of the unit takes it, so the latest date stays tied in every unit (ROW_NUMBER
    vs RANK on "the latest invoice"). The row is drawn among those off the calendar edges'
    days, the golds' days and the unit's earliest date; an interval's other end moves with it.
    Elsewhere nothing changes (in-span targeted rows never pass the extremes)."""
    from harness.datagen.targeted import _move_partner, _partner

    if not beyond_span(ctx.recipe, ctx.seed):
        return
    shape = ctx.recipe.targeted
    kept = np.array(ctx.edges, dtype="datetime64[us]").astype("datetime64[D]")
    after = v.day(ctx.recipe.dates.end) + v.DAY
    for key in shape.bounded:
        name, column = key.split(".")
        if key in shape.frozen or f"{name}.*" in shape.frozen:
            continue  # targeted rows never moved it
        table = ctx.catalog.tables[name]
        cols = tables[name]
        data = cols[column] = cols[column].copy()
        units = cols[table.striping.column] if table.striping else np.zeros(len(data))
        days = np.array(gold_days(ctx, {name: (column,)}), dtype="datetime64[D]")
        off = ~np.isnat(data) & ~np.isin(data.astype("datetime64[D]"),
                                         np.concatenate([kept, days]))
        rng = ctx.rng(f"{key}:tie_latest")
        partner = _partner(table, column)
        for unit in np.unique(units):
            mine = (units == unit) & ~np.isnat(data)
            if not mine.any():
                continue
            latest = data[mine].max()
            free = np.flatnonzero(mine & off & (data != data[mine].min()) & (data != latest))
            if latest < after or np.sum(data[mine] == latest) >= 2 or not len(free):
                continue
            row = np.array([rng.choice(free)])
            if partner is not None:
                _move_partner(ctx, cols, column, partner, row, latest - data[row])
            data[row] = latest

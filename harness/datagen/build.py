"""Building one test-suite instance: every catalog table generated in dependency order, then
written to a DuckDB file with the catalog's types, NOT NULL constraints and primary keys."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from harness.datagen import (  # noqa: F401  (importing a module registers its generators)
    tables_ap,
    tables_ap_invoices,
    tables_ar,
    tables_gl,
    tables_hr,
    tables_inv,
    tables_org,
    tables_po,
    tables_tca,
)
from harness.datagen.budgetary_lines import place_budgetary_lines
from harness.datagen.context import DatagenError, GenContext, id_blocks
from harness.datagen.decode_pairs import place_rare_codes, recipe_decode_targets
from harness.datagen.generic import TableFiller, implicit_keys, to_series
from harness.datagen.group_counts import place_group_counts, recipe_count_targets
from harness.datagen.group_totals import (
    block_having_targets,
    place_group_totals,
    recipe_having_targets,
)
from harness.datagen.nvl_labels import (
    add_customer_codes,
    place_labels,
    recipe_customer_codes,
    recipe_gold_strings,
    recipe_label_targets,
)
from harness.datagen.nvl_zeros import (
    block_zero_targets,
    place_one_sided_per_partition,
    place_zero_nulls,
    recipe_zero_targets,
)
from harness.datagen.recipe import Recipe
from harness.datagen.registry import GENERATORS, HandGenerator
from harness.datagen.repeat_rows import place_repeat_twins, recipe_repeat_targets
from harness.datagen.role_twins import copies_of, place_role_twins
from harness.datagen.span_edges import bounded_columns, tie_latest
from harness.datagen.sparse_coverage import emptied_pairs, empty_pairs, recode_pairs
from harness.datagen.tables_ar import keep_windows_paid
from harness.datagen.tables_hr import (
    add_secondary_assignments,
    recipe_as_of_targets,
    recipe_primary_targets,
    split_on_as_of_days,
)
from harness.datagen.tables_po import requisitions_across_units
from harness.datagen.targeted import (
    place_block_targets,
    place_entity_targets,
    place_targets,
    recipe_block_targets,
    recipe_entity_targets,
    recipe_targets,
)
from harness.datagen.top_ties import place_cut_twins, recipe_cut_targets
from harness.datagen.twins import place_twins
from harness.inputs.catalog import Catalog, Table

BLOCK_SIZE = 16_384  # bytes per DuckDB storage block
Step = HandGenerator | str  # a hand-written generator or a catalog table made generically


def plan(catalog: Catalog, recipe: Recipe) -> list[Step]:
    """Generation order: parents before children. A generator's `needs` must come first; a
    foreign key (declared, or implied by the recipe) that closes a cycle is filled once
    every table exists."""
    produced_by = {t: g for g in GENERATORS for t in g.produces}
    known = frozenset(produced_by)
    steps: dict[str, Step] = {g.name: g for g in GENERATORS}
    steps |= {t: t for t in catalog.tables if t not in produced_by}

    def key(table: str) -> str | None:
        if table in produced_by:
            return produced_by[table].name
        return table if table in catalog.tables else None

    hard: dict[str, set[str]] = {k: set() for k in steps}
    soft: dict[str, set[str]] = {k: set() for k in steps}
    for k, step in steps.items():
        tables = step.produces if isinstance(step, HandGenerator) else (step,)
        if isinstance(step, HandGenerator):
            hard[k] |= {key(t) for t in step.needs} - {None, k}
        for t in tables:
            if t in catalog.tables:
                table = catalog.tables[t]
                keys = table.foreign_keys + implicit_keys(catalog, recipe, table, known)
                soft[k] |= {key(fk.references) for fk in keys}
        soft[k] -= {None, k}
    order: list[Step] = []
    done: set[str] = set()
    while len(done) < len(steps):
        ready = [k for k in steps if k not in done and hard[k] | soft[k] <= done]
        if not ready:
            # a cycle of foreign keys: start with a table whose generator needs nothing
            # pending, preferring generic ones (their keys can be filled later)
            ready = [k for k in steps if k not in done and hard[k] <= done]
            generic = [k for k in ready if isinstance(steps[k], str)]
            ready = generic or ready
            if not ready:
                raise DatagenError(f"generators need each other: {sorted(set(steps) - done)}")
        heapq.heapify(ready)
        k = heapq.heappop(ready)
        order.append(steps[k])
        done.add(k)
    return order


def generate(catalog: Catalog, recipe: Recipe, seed: int,
             on_table: Callable[[str], None] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Every catalog table of the instance made from `seed`, as column arrays."""
    ctx = GenContext(catalog, recipe, seed, id_blocks(catalog, recipe))
    hand_made = frozenset(t for g in GENERATORS for t in g.produces)
    fillers: dict[str, TableFiller] = {}
    wide: dict[str, pd.DataFrame] = {}  # hand-made columns the catalog lacks, for generators

    def complete(name: str, hand: pd.DataFrame | None) -> None:
        filler = TableFiller(ctx, catalog.tables[name], hand, hand_made)
        ctx.frames[name] = _with_extra(filler.run(), hand)
        fillers[name] = filler
        if on_table:
            on_table(name)

    for step in plan(catalog, recipe):
        if isinstance(step, str):
            complete(step, None)
            continue
        for name, frame in step.make(ctx).items():
            frame = frame.reset_index(drop=True)
            wide[name] = frame
            if name in catalog.tables:
                complete(name, frame)
            else:
                ctx.frames[name] = frame
    for name, filler in fillers.items():
        if filler.deferred:
            ctx.frames[name] = _with_extra(filler.finish(), wide.get(name))
    tables = {name: fillers[name].cols for name in sorted(catalog.tables)}
    # requisitions placed on another unit's order (tables_po, owner: flags)
    requisitions_across_units(ctx, tables)
    shape = recipe.targeted
    if shape.rows_per_value:
        bounds = bounded_columns(recipe, seed)  # none beyond the span (span_edges.py)
        place_targets(ctx, tables, recipe_targets(catalog, shape.paths()),
                      shape.rows_per_value, frozenset(shape.frozen), bounds)
        if shape.blocks:
            # then inside each gold's block: rows that pass the gold's other conditions
            place_block_targets(ctx, tables, recipe_block_targets(catalog, shape.paths()),
                                frozenset(shape.frozen), bounds)
            # and inside a correlated [NOT] EXISTS: an entity's only row on a range's edge
            place_entity_targets(ctx, tables, recipe_entity_targets(catalog, shape.paths()),
                                 frozenset(shape.frozen), bounds)
        tie_latest(ctx, tables)  # beyond the span: the latest dates stay tied
    if shape.rows_per_value:
        # the text golds put in place of NULL is a value too (nvl_labels.py)
        place_labels(ctx, tables, recipe_label_targets(catalog, shape.paths()),
                     frozenset(shape.frozen), recipe_gold_strings(catalog, shape.paths()),
                     frozenset(shape.extensible_lookups))
        add_customer_codes(tables, recipe_customer_codes(catalog, recipe))
    if shape.rows_per_value and shape.nvl_zeros:
        # NULL where a gold reads NVL(x, 0) in an aggregate: an all-NULL group, a NULL
        # operand (nvl_zeros.py); before twins, which copy it
        place_zero_nulls(ctx, tables, recipe_zero_targets(catalog, shape.paths()),
                         frozenset(shape.frozen))
        # and GL groupings no gold has, one one-sided group per period (nvl_zeros.py)
        place_one_sided_per_partition(ctx, tables,
                                      block_zero_targets(shape.one_sided_blocks, catalog))
    twinned: dict[str, set[int]] = {}
    if recipe.twins.documents and recipe.twins.applies_to(recipe.index_of(seed)):
        # a twin copies its original's final values, targeted ones included
        before = {t: len(next(iter(cols.values()))) for t, cols in tables.items()}
        twinned = place_twins(ctx, tables, recipe.twins)
        for t, cols in tables.items():
            twinned.setdefault(t, set()).update(range(before[t],
                                                      len(next(iter(cols.values())))))
    if shape.rows_per_value and shape.repeat_twin_rows:
        # rows the golds list, repeated: a twin of a document a gold shows (repeat_rows.py)
        repeated = place_repeat_twins(ctx, tables, recipe_repeat_targets(
            catalog, shape.paths()), shape.repeat_twin_rows)
        _mark_twinned(tables, repeated, twinned)
    if shape.rows_per_value and shape.cut_twin_rows:
        # ties at the golds' top-N cuts: a twin of the entity ranked n (top_ties.py)
        cut = place_cut_twins(ctx, tables, recipe_cut_targets(catalog, shape.paths()),
                              shape.cut_twin_rows)
        for t, cols in tables.items():
            rows = len(next(iter(cols.values())))
            if t in cut:
                twinned.setdefault(t, set()).update(cut[t])
                twinned[t].update(range(rows - len(cut[t]), rows))
    if recipe.role_twins.roles:
        # a buyer, account, location, type copied with the rows that point at it
        # (role_twins.py): namesakes whose aggregates agree; after the cut twins, so a
        # buyer's twin copies every order the buyer has
        before = {t: len(next(iter(cols.values()))) for t, cols in tables.items()}
        for t, rows in place_role_twins(ctx, tables, recipe.index_of(seed)).items():
            twinned.setdefault(t, set()).update(rows)
        for t, rows in copies_of(before, tables).items():
            twinned.setdefault(t, set()).update(rows)
    if shape.rare_codes:
        # codes outside the golds' DECODE lists, in equal counts (decode_pairs.py); the
        # copies are twins, which the passes below leave alone
        decoded = recipe_decode_targets(catalog, shape.paths()) if shape.rows_per_value else ()
        rare = place_rare_codes(ctx, tables, decoded)
        for t, rows in rare.items():
            twinned.setdefault(t, set()).update(rows)
        # GL: the budgetary account copies get balanced line pairs (budgetary_lines.py)
        for t, rows in place_budgetary_lines(ctx, tables,
                                             rare.get("GL_CODE_COMBINATIONS", ())).items():
            twinned.setdefault(t, set()).update(rows)
    if shape.rows_per_value:
        # a person the golds' as-of joins read changes on the day and the day after
        # (tables_hr.split_on_as_of_days)
        split_on_as_of_days(ctx, tables, recipe_as_of_targets(catalog, shape.paths()))
        # a person the golds' primary-assignment joins read holds a secondary assignment too
        # (tables_hr.add_secondary_assignments)
        add_secondary_assignments(ctx, tables, recipe_primary_targets(catalog, shape.paths()))
    if shape.rows_per_value and shape.group_totals:
        # last: a group's total is read off the final rows; twins stay exact copies
        # the recipe's common blocks first: a gold's own totals, placed after, win
        place_group_totals(ctx, tables, block_having_targets(shape.round_total_blocks, catalog)
                           + recipe_having_targets(catalog, shape.paths()),
                           frozenset(shape.frozen), twinned)
        # and HAVING COUNT(*) thresholds: groups of c - 1, c, c + 1 rows (group_counts.py)
        place_group_counts(ctx, tables, recipe_count_targets(catalog, shape.paths()),
                           frozenset(shape.frozen), twinned)
    index = recipe.index_of(seed)
    if shape.rows_per_value and index is not None:
        # empty inputs: on the sparse instances a few golds' (unit, code) pairs hold no row
        # (sparse_coverage.py); last, so nothing placed later refills them
        # pairs a recipe substitute keeps under another code (their rows, and what other
        # passes placed on them, stay); the others are deleted
        pairs = recode_pairs(catalog, tables, emptied_pairs(catalog, recipe, index),
                             recipe.sparse)
        empty_pairs(catalog, tables, pairs, recipe.sparse.documents)
    # AR: an aging window a unit paid stays paid whatever the passes above dated into it
    # (tables_ar.paid_windows)
    keep_windows_paid(ctx, tables)
    return tables


def _mark_twinned(tables: dict[str, dict[str, np.ndarray]], copied: dict[str, set[int]],
                  twinned: dict[str, set[int]]) -> None:
    """Record the originals `copied` (by table) and their twins, the last rows of each such
    table, as twins later placements leave alone."""
    for t, rows in copied.items():
        total = len(next(iter(tables[t].values())))
        twinned.setdefault(t, set()).update(rows)
        twinned[t].update(range(total - len(rows), total))


def _with_extra(done: pd.DataFrame, hand: pd.DataFrame | None) -> pd.DataFrame:
    """The completed catalog columns plus the hand-made columns the catalog does not have."""
    if hand is None:
        return done
    extra = [c for c in hand.columns if c not in done.columns]
    return pd.concat([done, hand[extra]], axis=1) if extra else done


def create_table_sql(table: Table) -> str:
    """DDL with the catalog's DuckDB types, NOT NULL constraints and primary key."""
    cols = [f"{c.name} {c.type.duckdb_type()}{'' if c.nullable else ' NOT NULL'}"
            for c in table.columns]
    cols.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    return f"CREATE TABLE {table.name} ({', '.join(cols)})"


def write_instance(path: Path, catalog: Catalog, tables: dict[str, dict[str, np.ndarray]]) -> None:
    """Write every table (and Oracle's one-row DUAL) into a new DuckDB file at `path`."""
    # small blocks: the tables are small, and DuckDB's default 256 KiB blocks would make
    # each instance file about ten times larger (and slower to write)
    con = duckdb.connect(str(path), config={"default_block_size": str(BLOCK_SIZE)})
    try:
        for name, cols in tables.items():
            table = catalog.tables[name]
            con.execute(create_table_sql(table))
            source = pd.DataFrame({c.name: to_series(c, cols[c.name]) for c in table.columns})
            con.register("source", source)
            con.execute(f"INSERT INTO {name} SELECT * FROM source")
            con.unregister("source")
        con.execute("CREATE TABLE DUAL (DUMMY VARCHAR NOT NULL)")
        con.execute("INSERT INTO DUAL VALUES ('X')")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def build_instance(path: Path, catalog: Catalog, recipe: Recipe, seed: int,
                   on_table: Callable[[str], None] | None = None) -> None:
    """Generate the instance of `seed` and write it to `path` (which must not exist)."""
    write_instance(path, catalog, generate(catalog, recipe, seed, on_table))


"""Rows that repeat a gold's output: a twin of a document the gold lists, placed where the
gold's own filters keep it, whose visible number repeats because EBS keys it with a part the
gold does not show.

`SELECT DISTINCT` on a gold that lists rows (no GROUP BY, no aggregate) returns the gold's
result unless two output rows are equal. The recipe's twins (twins.py) copy documents chosen
by strata, and a random twin rarely passes a narrow filter (a cancelled order of unit 458,
the Payables journals of DEC-24, the unposted OCT-24 journals whose lines lack a
description, the unidentified receipts of unit 204). Here each shipped gold is read
(sqlglot) for its outermost block that lists rows of catalog tables; for every table of the
block that the recipe twins (`twins.documents`) a *probe* lists the block's output with the
table's key added (probe.py), and a row the gold shows gets a twin (its ownership component,
`twins.component`, copied by `twins.copy_components`):

- every column but the keys repeats, so the twin passes the gold's filters where its
  original does, and its output row repeats the original's unless the gold shows a column a
  unique key made fresh;
- where the recipe names a hidden key column for the table (`twins.hidden`), the twin always
  varies it (not every `every`-th twin): a standard order's twin becomes a planned order of
  the same number (PO_HEADERS_U2 is number, type and unit; the eTRM's PO TRM: "Different
  document types can share the same numbers"), so a gold that shows the number but not the
  type lists it twice;
- journals keep their names (EBS keys no journal by name alone; GL_JE_HEADERS has no unique
  key in the catalog) and receipts their numbers (Receivables lets a receipt number repeat:
  the catalog declares no unique key on AR_CASH_RECEIPTS_ALL).

Setup tables are not twinned (golds look them up by name), but a few are keyed by a part
golds rarely name: the recipe's `targeted.repeat_setup` lists them, with the rows that make
one thing (`along`) and the key column a repeat changes (`column`). A lookup type may be
defined under several view applications (FND_LOOKUP_TYPES is keyed by LOOKUP_TYPE,
SECURITY_GROUP_ID and VIEW_APPLICATION_ID; FND_LOOKUP_VALUES adds LANGUAGE and LOOKUP_CODE),
so `SELECT lookup_code, meaning FROM fnd_lookup_values WHERE lookup_type = …` lists a code
twice when the type's codes are copied, every language, under another application the column
holds (the first whose copy repeats no primary key).

The probe runs again after the copy; a twin after which the block's output shows no
repeated row (a fresh number in a shown column, a filter on the hidden column) is taken back
and the next of the first `_TRIES` rows is tried. A block whose output already repeats a row
needs nothing. Runs after the recipe's twins and before top-N ties (top_ties.py), which
re-check their cuts on the final rows; later passes leave these twins alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen.context import DatagenError, GenContext
from harness.datagen.probe import Prober, block_tables, gold_blocks, key_items, row_positions
from harness.datagen.recipe import SetupRepeat
from harness.datagen.targeted import from_recipe_golds
from harness.datagen.twins import Component, Ownership, component, copy_components
from harness.inputs.catalog import Catalog

_TRIES = 4  # rows of a block's output whose documents are tried as twins, first first


@dataclass(frozen=True, order=True)
class RepeatTarget:
    """Rows of `table` (keyed by `key`) a gold block lists: `probe` is Oracle text with the
    block's `shown` output columns first, then the key as K0, K1, … (module docstring)."""

    table: str
    key: tuple[str, ...]
    probe: str
    shown: int

    def fingerprint(self) -> str:
        return f"REPEAT {self.table}:{self.probe}"


def repeats_fingerprint(targets: Sequence[RepeatTarget]) -> str:
    """What the repeat targets add to an instance's fingerprint."""
    return "\n".join(t.fingerprint() for t in targets)


def _lists_rows(select: exp.Select) -> bool:
    """Whether the block returns its joined rows one for one: no DISTINCT, GROUP BY,
    aggregate, window, `*` or row limit, and it is the gold's outermost query."""
    if select.args.get("distinct") or select.args.get("group") or select.args.get("having"):
        return False
    if any(select.args.get(a) for a in ("limit", "fetch")):
        return False
    if select.parent is not None:  # a subquery, or one side of a set operation
        return False
    for item in select.expressions:
        if isinstance(item, exp.Star) or item.find(exp.AggFunc, exp.Window, exp.Star):
            return False
    return True


def repeat_targets(sql: str, catalog: Catalog) -> set[RepeatTarget]:
    """One target per catalog table of the gold's outermost block, if that block lists
    rows (`_lists_rows`)."""
    blocks = gold_blocks(sql)
    if not blocks or not _lists_rows(blocks[0]):
        return set()
    select = blocks[0]
    out = set()
    for alias, table in block_tables(select, catalog).items():
        key = tuple(catalog.tables[table].primary_key)
        probe = select.copy()
        probe.set("order", None)
        probe.set("expressions", [e.copy() for e in select.expressions] + key_items(alias, key))
        out.add(RepeatTarget(table, key, probe.sql(dialect="oracle"), len(select.expressions)))
    return out


def recipe_repeat_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[RepeatTarget, ...]:
    """Every target of the answerable golds of the golden files, sorted; once per file
    version."""
    return from_recipe_golds(catalog, golden, repeat_targets, lambda t: t)


def repeats(rows: pd.DataFrame, shown: int) -> bool:
    """Whether two probe rows show the same values in the block's output columns (NULLs
    alike, as DISTINCT takes them)."""
    out = rows.iloc[:, :shown].astype(str)
    return bool(out.duplicated().any())


def place_repeat_twins(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                       targets: Sequence[RepeatTarget], max_rows: int) -> Component:
    """Append, for each target whose block shows no repeated row yet, a twin of one document
    it shows after which the block's output repeats a row (in place; module docstring).
    Returns the original rows copied, by table."""
    setup = ctx.recipe.targeted.repeat_setup
    documents = ctx.recipe.twins.documents
    hidden = {t: h.model_copy(update={"every": 1}) for t, h in ctx.recipe.twins.hidden.items()}
    shape = ctx.recipe.twins.model_copy(update={"hidden": hidden, "max_rows": max_rows})
    owns = Ownership.of(ctx.catalog, shape.owned, shape.with_owner)
    copied: Component = {}
    prober = Prober(ctx.catalog, tables)
    try:
        for target in targets:
            if target.table not in documents and target.table not in setup:
                continue
            rows = prober.run(target.probe)
            if rows is None or rows.empty or repeats(rows, target.shown):
                continue
            if target.table in setup:
                found = _setup_repeat(ctx.catalog, tables, prober, setup[target.table],
                                      target, rows)
            else:
                found = _first_repeating(ctx, tables, prober, owns, shape, target, rows,
                                         copied)
            for t, r in (found or {}).items():
                copied.setdefault(t, set()).update(r)
    finally:
        prober.close()
    return copied


def _first_repeating(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                     prober: Prober, owns: Ownership, shape, target: RepeatTarget,
                     rows: pd.DataFrame, copied: Component) -> Component | None:
    """The component of the first of the block's first `_TRIES` documents whose twin makes
    the block's output repeat a row, copied into `tables`; None (nothing copied) if none."""
    positions = row_positions(tables[target.table], list(target.key), rows)
    tried: set[int] = set()
    for pos in positions:
        if pos is None or pos in tried:
            continue
        if len(tried) == _TRIES:
            break
        tried.add(pos)
        found = component(tables, owns, target.table, int(pos), shape.max_rows)
        if found is None or any(copied.get(t, set()) & r for t, r in found.items()):
            continue
        before = dict(tables)
        copy_components(ctx, tables, shape, found)
        after = prober.run(target.probe)
        if after is not None and repeats(after, target.shown):
            return found
        tables.update(before)
    return None


def _setup_repeat(catalog: Catalog, tables: dict[str, dict[str, np.ndarray]], prober: Prober,
                  how: SetupRepeat, target: RepeatTarget, rows: pd.DataFrame) -> Component | None:
    """Copy the setup thing of the block's first row (every row sharing its `how.along`
    values) with `how.column` set to the first other value of the column whose copy repeats
    no primary key, if the block's output then repeats a row; None (nothing copied) if not.
    DatagenError names a column the catalog's table lacks."""
    table = catalog.tables[target.table]
    names = {c.name for c in table.columns}
    for column in [how.column, *how.along]:
        if column not in names:
            raise DatagenError(f"targeted.repeat_setup.{table.name}: {column} is no column "
                               f"of {table.name}")
    cols = tables[table.name]
    pos = row_positions(cols, list(target.key), rows.head(1))[0]
    if pos is None:
        return None
    along = np.ones(len(cols[how.column]), dtype=bool)
    for column in how.along:
        along &= cols[column] == cols[column][pos]
    rows_of = np.flatnonzero(along)
    keys = set(zip(*(cols[c].tolist() for c in table.primary_key), strict=True))
    for value in sorted(set(cols[how.column].tolist()) - {cols[how.column][pos]}):
        twin = {c: v[rows_of].copy() for c, v in cols.items()}
        twin[how.column][:] = value
        if keys & set(zip(*(twin[c].tolist() for c in table.primary_key), strict=True)):
            continue
        before = dict(tables)
        tables[table.name] = {c: np.concatenate([cols[c], twin[c]]) for c in cols}
        after = prober.run(target.probe)
        if after is not None and repeats(after, target.shown):
            return {table.name: set(rows_of.tolist())}
        tables.update(before)
        return None
    return None

"""NVL labels: the text a gold puts in place of NULL (`NVL(col, 'UNASSIGNED')`) is also a value
some rows hold, beside rows where the column is NULL.

`GROUP BY NVL(col, 'X')` and `GROUP BY col` with `NVL(col, 'X')` selected return the same rows
unless a row holds 'X' itself: then the gold merges the NULL rows into the 'X' group and the
prediction returns two groups labelled 'X'. Random data never holds the gold's label, so the
NVL moved out of the GROUP BY survived on every instance (issue #17). `label_targets` reads
every shipped gold (sqlglot) for `NVL(column, 'text')` / `COALESCE(column, 'text')` whose
column is a text column of a table of the query; `place_labels` then sets, in every instance,
that column to the label on a few rows of each organization (striping group), and to NULL on
one more row where that organization holds no NULL in the column.

What keeps the data true: only columns whose domain the catalog leaves open are labelled, that
is nullable text columns with no lookup (a lookup code outside its lookup would break a fact;
the label of a coded column can only be told apart on data that breaks it, so those NVL moves
are equivalent on EBS data), not a key, a foreign key, the striping column, a column of a
declared unique key or a frozen one, and where the label fits the column's length. The rows
relabelled hold a value that repeats in their organization, else one no gold compares with
(any string literal of the golds is kept where it is), so a value a gold filters on stays
present; NULLs replace only such rows too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.generic import is_null
from harness.datagen.targeted import from_recipe_golds
from harness.inputs.catalog import Catalog, Table

ROWS_PER_GROUP = 2  # rows of an organization (striping group) that take the label


@dataclass(frozen=True, order=True)
class LabelTarget:
    """A text `label` a gold substitutes for NULL in `table.column`."""

    table: str
    column: str
    label: str

    def key(self) -> str:
        return f"NVL({self.table}.{self.column}, '{self.label}')"


def labelable(table: Table, column: str, frozen: frozenset[str]) -> bool:
    """Whether `table.column` may hold a gold's NVL label (module docstring)."""
    col = table.column(column)
    taken = {c for fk in table.foreign_keys for c in fk.columns} | set(table.primary_key)
    taken |= {c for key in table.unique_keys for c in key.columns}
    if table.striping:
        taken.add(table.striping.column)
    return (col.type.is_text and col.nullable and not col.lookup and column not in taken
            and f"{table.name}.{column}" not in frozen and f"{table.name}.*" not in frozen)


def _aliases(tree: exp.Expression, catalog: Catalog) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        name = table.name.upper()
        if name in catalog.tables:
            out[name] = name
            if table.alias:
                out[table.alias.upper()] = name
    return out


def label_targets(sql: str, catalog: Catalog) -> set[LabelTarget]:
    """The (table, column, label) of each `NVL(column, 'label')` of one gold; a column
    resolves through the query's aliases, or, unqualified, to each table that has it."""
    from harness.sql.parse import SqlParseError, parse_single

    try:
        tree = parse_single(sql)
    except SqlParseError:
        return set()
    aliases = _aliases(tree, catalog)
    out = set()
    for node in tree.find_all(exp.Coalesce):
        column, rest = node.this, node.expressions
        if not (isinstance(column, exp.Column) and rest and isinstance(rest[0], exp.Literal)
                and rest[0].is_string and rest[0].this):
            continue
        qualifier = column.table.upper()
        tables = [aliases[qualifier]] if qualifier in aliases else (
            [] if qualifier else sorted(set(aliases.values())))
        for name in tables:
            table = catalog.tables[name]
            if column.name.upper() in table.column_names:
                out.add(LabelTarget(name, column.name.upper(), rest[0].this))
    return out


def gold_strings(sql: str, catalog: Catalog) -> set[str]:
    """Every string literal of one gold (`catalog` unused: the shape `from_recipe_golds`
    collects with)."""
    from harness.sql.parse import SqlParseError, parse_single

    del catalog
    try:
        tree = parse_single(sql)
    except SqlParseError:
        return set()
    return {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}


def recipe_label_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[LabelTarget, ...]:
    """Every NVL label of the answerable golds of the golden files, sorted; computed once
    per file version."""
    return from_recipe_golds(catalog, golden, label_targets, LabelTarget.key)


def labels_fingerprint(targets: Sequence[LabelTarget]) -> str:
    """What the NVL labels add to an instance's fingerprint."""
    return "\n".join(t.key() for t in targets)


def place_labels(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                 targets: Sequence[LabelTarget], frozen: frozenset[str],
                 kept: frozenset[str] = frozenset()) -> int:
    """Set, per target and per organization, `ROWS_PER_GROUP` rows of the column to the
    label and one more to NULL where the organization has none (in place; module docstring).
    Values in `kept` (the golds' string literals) are never overwritten. Returns the rows
    labelled."""
    placed = 0
    for target in targets:
        table = ctx.catalog.tables[target.table]
        col = table.column(target.column)
        if not labelable(table, target.column, frozen) or (
                col.type.precision and len(target.label) > col.type.precision):
            continue
        cols = tables[target.table]
        data = cols[target.column].copy()
        if (data == target.label).any():
            continue
        groups = cols[table.striping.column] if table.striping else None
        rng = ctx.rng(f"{target.key()}:nvl_labels")
        for pos in v.group_positions(groups, len(data)):
            spare = _spare_rows(data[pos], kept)
            chosen = pos[rng.permutation(spare)[: ROWS_PER_GROUP + 1]]
            data[chosen[:ROWS_PER_GROUP]] = target.label
            placed += len(chosen[:ROWS_PER_GROUP])
            if not is_null(data[pos]).any() and len(chosen) > ROWS_PER_GROUP:
                data[chosen[ROWS_PER_GROUP]] = None
        cols[target.column] = data
    return placed


def _spare_rows(values: np.ndarray, kept: frozenset[str]) -> np.ndarray:
    """Positions (in `values`) of rows whose value may change: not NULL, and either repeated
    in `values` (a later row keeps it) or no gold's literal."""
    series = pd.Series(values, dtype=object)
    null = series.isna().to_numpy()
    repeated = series.duplicated(keep="first").to_numpy()
    free = ~series.isin(list(kept)).to_numpy()
    return np.flatnonzero(~null & (repeated | free))


def recipe_gold_strings(catalog: Catalog, golden: Sequence[Path]) -> frozenset[str]:
    """Every string literal of the answerable golds of the golden files: values relabelling
    keeps present."""
    return frozenset(from_recipe_golds(catalog, golden, gold_strings, str))

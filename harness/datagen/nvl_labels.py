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
is nullable text columns with no lookup, or whose lookup users may extend (recipe
`targeted.extensible_lookups`: Purchasing's VENDOR TYPE takes a customer's own supplier types
in the Purchasing Lookups window, Payables User Guide "Lookups"), not a key, a foreign key,
the striping column, a column of a declared unique key or a frozen one, and where the label
fits the column's length. On an extensible lookup the label is a code the customer added
(`customer_codes`), on rows of the commonest code only (not an EMPLOYEE supplier, whose
EMPLOYEE_ID goes with its type): FND_LOOKUP_VALUES gets it in every language
(`add_customer_codes`), and the lookup facts accept it. A label on a closed (system) lookup such as Payables' CHECK STATE
is no code any EBS database holds: those NVL moves are equivalent on EBS data. The rows
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
from harness.datagen.recipe import Recipe
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


def labelable(table: Table, column: str, frozen: frozenset[str],
              extensible: frozenset[str] = frozenset()) -> bool:
    """Whether `table.column` may hold a gold's NVL label (module docstring); `extensible`
    names the lookups users may add codes to."""
    col = table.column(column)
    taken = {c for fk in table.foreign_keys for c in fk.columns} | set(table.primary_key)
    taken |= {c for key in table.unique_keys for c in key.columns}
    if table.striping:
        taken.add(table.striping.column)
    return (col.type.is_text and col.nullable and (not col.lookup or col.lookup in extensible)
            and column not in taken
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



def _fits(table: Table, target: LabelTarget, frozen: frozenset[str],
          extensible: frozenset[str]) -> bool:
    col = table.column(target.column)
    return labelable(table, target.column, frozen, extensible) and not (
        col.type.precision and len(target.label) > col.type.precision)


def customer_codes(catalog: Catalog, targets: Sequence[LabelTarget], frozen: frozenset[str],
                   extensible: frozenset[str]) -> dict[str, frozenset[str]]:
    """Lookup type -> the labels placed in its columns as codes a customer added."""
    out: dict[str, set[str]] = {}
    for t in targets:
        table = catalog.tables[t.table]
        lookup = table.column(t.column).lookup
        if lookup and _fits(table, t, frozen, extensible) and t.label not in (
                catalog.lookups[lookup].codes):
            out.setdefault(lookup, set()).add(t.label)
    return {k: frozenset(v) for k, v in sorted(out.items())}


def recipe_customer_codes(catalog: Catalog, recipe: Recipe) -> dict[str, frozenset[str]]:
    """`customer_codes` of the recipe's golds (none when targeted rows are off)."""
    shape = recipe.targeted
    if not shape.rows_per_value:
        return {}
    return customer_codes(catalog, recipe_label_targets(catalog, shape.paths()),
                          frozenset(shape.frozen), frozenset(shape.extensible_lookups))


def add_customer_codes(tables: dict[str, dict[str, np.ndarray]],
                       codes: dict[str, frozenset[str]]) -> int:
    """Each customer code in FND_LOOKUP_VALUES, in every language its lookup type has, as a
    copy of the type's first code's rows (its owner, dates, flags) with the code, and its
    label in capitals and small letters as meaning (in place). Returns the rows added."""
    cols = tables.get("FND_LOOKUP_VALUES")
    if cols is None:
        return 0
    added = 0
    for lookup, labels in codes.items():
        rows = np.flatnonzero(cols["LOOKUP_TYPE"] == lookup)
        if not len(rows):
            continue
        template = rows[cols["LOOKUP_CODE"][rows] == min(cols["LOOKUP_CODE"][rows])]
        for label in sorted(labels - set(cols["LOOKUP_CODE"][rows])):
            copy = {c: v[template].copy() for c, v in cols.items()}
            copy["LOOKUP_CODE"][:] = label
            copy["MEANING"][:] = label.title()
            copy["DESCRIPTION"][:] = f"{label.title()} (customer code)"
            for c in cols:
                cols[c] = np.concatenate([cols[c], copy[c]])
            added += len(template)
    return added


def place_labels(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                 targets: Sequence[LabelTarget], frozen: frozenset[str],
                 kept: frozenset[str] = frozenset(),
                 extensible: frozenset[str] = frozenset()) -> int:
    """Set, per target and per organization, `ROWS_PER_GROUP` rows of the column to the
    label and one more to NULL where the organization has none (in place; module docstring).
    Values in `kept` (the golds' string literals) are never overwritten; `extensible` names
    the lookups whose columns may take a label as a customer's code. Returns the rows
    labelled."""
    placed = 0
    for target in targets:
        table = ctx.catalog.tables[target.table]
        if not _fits(table, target, frozen, extensible):
            continue
        cols = tables[target.table]
        data = cols[target.column].copy()
        if (data == target.label).any():
            continue
        groups = cols[table.striping.column] if table.striping else None
        rng = ctx.rng(f"{target.key()}:nvl_labels")
        coded = table.column(target.column).lookup is not None
        for pos in v.group_positions(groups, len(data)):
            spare = _spare_rows(data[pos], kept)
            if coded:  # a customer's code takes rows of the commonest code, not of one
                # another column depends on (an EMPLOYEE supplier's EMPLOYEE_ID)
                values = pd.Series(data[pos], dtype=object)
                common = values.mode(dropna=True)
                spare = spare[(values.iloc[spare] == common.iloc[0]).to_numpy()] \
                    if len(common) else spare[:0]
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

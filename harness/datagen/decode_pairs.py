"""Codes outside a DECODE's list, in equal counts: rows a gold's DECODE reads, copied once per
code EBS has that the DECODE does not name.

`SELECT DECODE(code, 1, 'Issue', 2, 'Transfer') label, COUNT(*) … GROUP BY code` returns one
row per code; codes outside the list all decode to NULL (or to the DECODE's default). With two
such codes of equal counts the gold returns the row `(NULL, n)` twice and `SELECT DISTINCT`
once: DISTINCT toggled survived on every instance (gl-024, inv-006, inv-027) because random
rows drew only the codes the golds list. EBS has more: Inventory seeds transaction actions and
source types beyond the common six (the catalog's lookups list them, with their sources).

The recipe's `targeted.rare_codes` names, per lookup type, the codes random rows never draw
(`GenContext.codes` leaves them out). `decode_targets` reads every shipped gold (sqlglot) for
`DECODE(column, …)` whose column is a coded column of a table of the DECODE's own block;
`place_rare_codes` then lists the rows that block reads (a probe over its FROM, joins and
WHERE, with the table's key) and copies the first of them once per rare code the DECODE does
not name, fresh keys and the code set, nothing else changed (twins.copy_components). Every
copy of one row passes the same filters, so under any gold's conditions that do not name the
code itself the rare codes come in equal counts, and a gold that groups by the code shows
its outside codes as equal rows. A rare code no gold's rows took (no target, or a block that
reads no row) goes on a copy of the column's table's first row, so every code of the lookup
is held (the lookup facts).

Runs after the twins, repeats and top-N ties, so no later copy breaks a pair; the copies are
marked as twins, which later passes leave alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlglot import exp

from harness.datagen.context import DatagenError, GenContext
from harness.datagen.probe import (
    Prober,
    block_tables,
    gold_blocks,
    key_items,
    probe_sql,
    row_positions,
)
from harness.datagen.recipe import Twins
from harness.datagen.targeted import from_recipe_golds
from harness.datagen.twins import copy_components
from harness.inputs.catalog import Catalog

Columns = dict[str, np.ndarray]


@dataclass(frozen=True, order=True)
class DecodeTarget:
    """`table.column` decoded by a gold with the codes `listed`; `probe` lists the key
    (K0, K1, …) of the rows of `table` the DECODE's block reads."""

    table: str
    column: str
    listed: tuple[str, ...]
    probe: str

    def key(self) -> str:
        return f"DECODE {self.table}.{self.column} [{','.join(self.listed)}]:{self.probe}"


def _code_text(literal: exp.Expression) -> str | None:
    """A DECODE search value as a lookup code ('1' for 1 and 1.0), None if not a literal."""
    if not isinstance(literal, exp.Literal):
        return None
    if literal.is_string:
        return literal.this
    number = float(literal.this)
    return str(int(number)) if number == int(number) else literal.this


def _own_block(node: exp.Expression) -> exp.Select | None:
    return node.find_ancestor(exp.Select)


def _column_table(column: exp.Column, tables: dict[str, str], catalog: Catalog) -> str | None:
    """The alias (upper case) of the block's table that holds `column`, None if unknown or
    ambiguous."""
    name = column.name.upper()
    if column.table:
        alias = column.table.upper()
        return alias if alias in tables else None
    holders = [a for a, t in tables.items() if name in catalog.tables[t].column_names]
    return holders[0] if len(holders) == 1 else None


def decode_targets(sql: str, catalog: Catalog) -> set[DecodeTarget]:
    """One target per DECODE of the gold over a coded column of its block's tables."""
    out: set[DecodeTarget] = set()
    for select in gold_blocks(sql):
        tables = block_tables(select, catalog)
        for decode in select.find_all(exp.DecodeCase):
            if _own_block(decode) is not select or not decode.expressions:
                continue
            subject, *rest = decode.expressions
            if not isinstance(subject, exp.Column):
                continue
            alias = _column_table(subject, tables, catalog)
            if alias is None:
                continue
            table = catalog.tables[tables[alias]]
            column = subject.name.upper()
            if column not in table.column_names or not table.column(column).lookup:
                continue
            searched = rest[0:len(rest) - len(rest) % 2:2]  # search values, not the default
            listed = tuple(sorted({c for c in map(_code_text, searched) if c is not None}))
            where = select.args.get("where")
            probe = probe_sql(select, key_items(alias, table.primary_key),
                              where.this if where is not None else None)
            out.add(DecodeTarget(table.name, column, listed, probe))
    return out


def recipe_decode_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[DecodeTarget, ...]:
    """Every target of the answerable golds of the golden files, sorted; once per file
    version."""
    return from_recipe_golds(catalog, golden, decode_targets, lambda t: t)


def rare_codes(ctx: GenContext, lookup: str) -> list[str]:
    """The recipe's rare codes of `lookup`; DatagenError names one the catalog's lookup
    lacks."""
    codes = ctx.recipe.targeted.rare_codes.get(lookup, [])
    if not codes:
        return []
    if lookup not in ctx.catalog.lookups:
        raise DatagenError(f"targeted.rare_codes: {lookup} is no lookup of the catalog")
    unknown = [c for c in codes if c not in ctx.catalog.lookups[lookup].codes]
    if unknown:
        raise DatagenError(f"targeted.rare_codes.{lookup}: {unknown} are no codes of the "
                           f"catalog's lookup (add them there, with their EBS source)")
    return list(codes)


def _copy_with_codes(ctx: GenContext, tables: dict[str, Columns], table: str, column: str,
                     row: int, codes: Sequence[str]) -> list[int]:
    """Append one copy of `table` row `row` per code, `column` set to it; the new rows."""
    shape = Twins()
    numeric = ctx.catalog.tables[table].column(column).type.is_numeric
    start = len(tables[table][column])
    for _ in codes:
        copy_components(ctx, tables, shape, {table: {row}})
    values = tables[table][column].copy()
    values[start:] = [float(c) if numeric else c for c in codes]
    tables[table][column] = values
    return list(range(start, start + len(codes)))


def place_rare_codes(ctx: GenContext, tables: dict[str, Columns],
                     targets: Sequence[DecodeTarget]) -> dict[str, set[int]]:
    """Copy rows for every target, then for every rare code still absent from a coded column
    (module docstring); in place. Returns the rows added, by table."""
    for lookup in ctx.recipe.targeted.rare_codes:
        rare_codes(ctx, lookup)  # every entry names the catalog's lookup and codes
    added: dict[str, set[int]] = {}
    prober = Prober(ctx.catalog, tables)
    try:
        for target in targets:
            lookup = ctx.catalog.tables[target.table].column(target.column).lookup
            codes = [c for c in rare_codes(ctx, lookup) if c not in target.listed]
            if len(codes) < 2:
                continue
            rows = prober.run(target.probe)
            if rows is None or rows.empty:
                continue
            key = ctx.catalog.tables[target.table].primary_key
            found = [p for p in row_positions(tables[target.table], key, rows) if p is not None]
            if found:
                new = _copy_with_codes(ctx, tables, target.table, target.column, min(found),
                                       codes)
                added.setdefault(target.table, set()).update(new)
    finally:
        prober.close()
    for table, col, lookup in ctx.catalog.coded_columns():
        codes = rare_codes(ctx, lookup.name)
        values = tables[table.name][col.name]
        if not codes or not len(values):
            continue
        held = {str(int(x)) if isinstance(x, float) and x == int(x) else str(x)
                for x in values.tolist() if x is not None and x == x}
        missing = [c for c in codes if c not in held]
        if missing:
            new = _copy_with_codes(ctx, tables, table.name, col.name, 0, missing)
            added.setdefault(table.name, set()).update(new)
    return added

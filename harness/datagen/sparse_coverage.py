"""Empty inputs: on a few instances, a unit holds no row of a code a gold filters on.

Everywhere else every lookup code appears in every operating unit (the coverage fact), so a
gold's `WHERE ORG_ID = 458 AND DESTINATION_TYPE_CODE = 'SHOP FLOOR'` always reads rows, and
mistakes that differ only on an empty input never show: `NVL(SUM(x), 0)` for `SUM(NVL(x, 0))`
(0 vs NULL over no rows), `x > ALL (subquery)` for `x > (SELECT MAX(...))` (true vs NULL over
an empty subquery), an aggregate without GROUP BY (one row vs none). On the instances
`sparse.instances` names, this pass reads the (unit, code) pairs the golds compare one table
with (the table's striping column and one of its coded columns, both against constants, in
the same gold) and deletes every row of the table in that unit with that code; each pair is
emptied on ONE of those instances (in turn, by the pairs' sorted order), so on the other the
gold still reads rows. Only the tables `sparse.tables` lists take part: those whose rows no
calendar, sum or per-unit fact depends on. A pair of a table `sparse.documents` names goes
with the whole documents that hold it (a PO shipment's code with its orders: their lines,
shipments and distributions), so no approved order is left without a shipment.

Rows that point at a deleted row: a nullable reference is cleared (an invoice line matched to
a shipment that is gone stays an unmatched line), a NOT NULL one goes with its parent
(a shipment's distributions), recursively, so every foreign key still resolves. The coverage
fact skips exactly the emptied pairs on those instances (`emptied_pairs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.datagen.context import DatagenError
from harness.datagen.generic import amountless_turn
from harness.datagen.recipe import Recipe, SparseCoverage
from harness.datagen.targeted import Target, from_recipe_golds, table_aliases, targets_of
from harness.datagen.twins import fresh_unique
from harness.inputs.catalog import Catalog, ForeignKey, Table

Tables = dict[str, dict[str, np.ndarray]]


@dataclass(frozen=True, order=True)
class UnitCode:
    """A gold compares `table`'s striping column with `unit` and `column` with `code`."""

    table: str
    unit: int
    column: str
    code: str

    def key(self) -> str:
        return f"{self.table}:{self.unit}:{self.column}={self.code}"


def _code(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def unit_codes_of(sql: str, catalog: Catalog) -> set[UnitCode]:
    """The (unit, code) pairs of one gold: per table, each constant its striping column is
    compared with, crossed with each constant one of its coded columns is compared with."""
    by_table: dict[str, list[Target]] = {}
    for t in targets_of(sql, catalog):
        by_table.setdefault(t.table, []).append(t)
    # targets_of reads only numbers and dates: a coded text column's literal comes from the
    # equalities themselves
    out = set()
    for table_name, found in _with_text_codes(sql, catalog, by_table).items():
        table = catalog.tables[table_name]
        if not table.striping:
            continue
        units = [int(t.value) for t in found if t.column == table.striping.column
                 and isinstance(t.value, float)]
        codes = [(t.column, _code(t.value)) for t in found
                 if t.column != table.striping.column and table.column(t.column).lookup]
        out |= {UnitCode(table_name, u, c, v) for u in units for c, v in codes}
    return out


def _with_text_codes(sql: str, catalog: Catalog,
                     by_table: dict[str, list[Target]]) -> dict[str, list]:
    """`by_table` plus `column = 'text'` equalities of coded columns (as Target-like rows)."""
    from sqlglot import exp

    from harness.sql.parse import SqlParseError, parse_single

    try:
        tree = parse_single(sql)
    except SqlParseError:
        return by_table
    aliases = table_aliases(tree, catalog)
    out: dict[str, list] = {k: list(v) for k, v in by_table.items()}
    for eq in tree.find_all(exp.EQ):
        col, lit = eq.this, eq.expression
        if isinstance(lit, exp.Column):
            col, lit = lit, col
        if not (isinstance(col, exp.Column) and isinstance(lit, exp.Literal) and lit.is_string):
            continue
        qualifier = col.table.upper()
        names = [aliases[qualifier]] if qualifier in aliases else (
            [] if qualifier else sorted(set(aliases.values())))
        for name in names:
            if col.name.upper() in catalog.tables[name].column_names:
                out.setdefault(name, []).append(Target(name, col.name.upper(), lit.this))
    return out


def recipe_unit_codes(catalog: Catalog, golden: Sequence[Path]) -> tuple[UnitCode, ...]:
    """Every (unit, code) pair of the answerable golds of the golden files, sorted."""
    return from_recipe_golds(catalog, golden, unit_codes_of, UnitCode.key)


def emptied_pairs(catalog: Catalog, recipe: Recipe, index: int) -> tuple[UnitCode, ...]:
    """The pairs instance `index` holds no row of: those of the listed tables, dealt in turn
    to the sparse instances (none on an instance `sparse.instances` does not name)."""
    if index not in recipe.sparse.instances:
        return ()
    return tuple(p for p, i in _deal(catalog, recipe) if i == index)


def _deal(catalog: Catalog, recipe: Recipe) -> list[tuple[UnitCode, int]]:
    """Each dealt pair with the sparse instance that empties it: in turn (`_instance_of`),
    but a code already emptied in another unit of an instance goes to the next instance that
    has it yet, so every instance keeps some rows of every code (a unit's standard orders
    recoded, the other unit's kept: what the twins of two types need)."""
    out: list[tuple[UnitCode, int]] = []
    for turn, p in enumerate(dealt_pairs(catalog, recipe)):
        index = _instance_of(catalog, recipe, p, turn)
        code = (p.table, p.column, p.code)
        if any(i == index and (q.table, q.column, q.code) == code for q, i in out):
            free = [i for i in recipe.sparse.instances
                    if not any(j == i and (q.table, q.column, q.code) == code for q, j in out)]
            index = free[0] if free else index
        out.append((p, index))
    return out


def dealt_pairs(catalog: Catalog, recipe: Recipe) -> list[UnitCode]:
    """The golds' pairs on the listed tables, in the order they are dealt. A table with
    substitutes only recodes: a pair of it without one is left alone (deleting a shipment's
    code would leave approved orders without shipments)."""
    shape = recipe.sparse
    recoded = {entry.partition(".")[0] for entry in shape.substitutes}
    golds = [p for p in recipe_unit_codes(catalog, recipe.targeted.paths())
             if p.table in shape.tables
             and (p.table not in recoded or _substitute(shape, p) is not None)]
    return golds + family_pairs(catalog, shape, golds)


def family_pairs(catalog: Catalog, shape: SparseCoverage,
                 taken: Sequence[UnitCode]) -> list[UnitCode]:
    """Every unit's pair of each code the `shape.every_unit` columns substitute, but those
    in `taken`, sorted: a held-out question filters another unit or code than the golds do
    (`WHERE ORG_ID = 458 AND SHIPMENT_TYPE = 'STANDARD'` where the golds ask 204's), so
    each pair of the family is empty on one sparse instance too. Dealt after the golds' own
    pairs, which keep their turns."""
    out = set()
    for entry in shape.every_unit:
        table, _, column = entry.partition(".")
        if table not in shape.tables:
            continue
        out |= {UnitCode(table, unit, column, code) for unit in _units(catalog, table)
                for code in shape.substitutes[entry]}
    return sorted(out - set(taken))


def _instance_of(catalog: Catalog, recipe: Recipe, pair: UnitCode, turn: int) -> int:
    """The sparse instance that empties `pair`, the `turn`-th pair: in turn, but not one
    where the pair's unit is the table's unit without amounts (generic.py), where the
    pair's rows already hold only NULL amounts: `SUM(NVL(x, 0))` vs `SUM(x)` dies there."""
    instances = recipe.sparse.instances
    units = _units(catalog, pair.table)
    for step in range(len(instances)):
        index = instances[(turn + step) % len(instances)]
        idle = amountless_turn(recipe.seed(index), pair.table, len(units))
        if idle is None or units[idle] != pair.unit:
            return index
    return instances[turn % len(instances)]


def _units(catalog: Catalog, table: str) -> list[int]:
    """The organizations a table is striped by, sorted."""
    security = catalog.security
    orgs = (security.operating_units
            if catalog.tables[table].striping.by == "operating_unit"
            else security.inventory_organizations)
    return sorted(o.organization_id for o in orgs)


def empty_pairs(catalog: Catalog, tables: Tables, pairs: Sequence[UnitCode],
                documents: Mapping[str, str] | None = None) -> dict[str, int]:
    """Delete every row of each pair (and what must go with it, see the module docstring);
    a pair of a table `documents` names goes with the whole documents that hold it (their
    root rows, whose NOT NULL children follow). Returns the rows deleted per table."""
    gone: dict[str, np.ndarray] = {}
    for p in pairs:
        hit = _rows_of(catalog, tables, p)
        table = p.table
        if documents and p.table in documents:
            table, hit = documents[p.table], _roots(catalog, tables, p.table,
                                                    documents[p.table], hit)
        gone[table] = gone.get(table, np.zeros(len(hit), dtype=bool)) | hit
    deleted: dict[str, int] = {}
    while gone:
        table, mask = gone.popitem()
        if not mask.any():
            continue
        _cascade(catalog, tables, table, mask, gone)
        tables[table] = {c: v[~mask] for c, v in tables[table].items()}
        deleted[table] = deleted.get(table, 0) + int(mask.sum())
    return deleted


def _codes(values: np.ndarray) -> np.ndarray:
    """A coded column's values as the strings pairs hold (None for NULL)."""
    return np.array([_code(v) if v is not None else None for v in values], dtype=object)


def _rows_of(catalog: Catalog, tables: Tables, p: UnitCode) -> np.ndarray:
    """The rows of `p`'s table in its unit with its code."""
    cols = tables[p.table]
    stripe = catalog.tables[p.table].striping.column
    return (cols[stripe] == p.unit) & (_codes(cols[p.column]) == p.code)


def recode_pairs(catalog: Catalog, tables: Tables, pairs: Sequence[UnitCode],
                 shape: SparseCoverage) -> list[UnitCode]:
    """Give the rows of each pair whose column `shape.substitutes` maps the pair's code the
    substitute code instead of deleting them (a Shop Floor distribution becomes an Expense
    one); where the column follows its document's type (`shape.retyped`), every document
    that holds the pair takes it whole: the root's type column and every row of the child
    under it (a unit's standard orders become planned orders, their shipments planned
    shipments), and a root whose unique key the new type makes clash (a planned order of
    the same number in the unit) takes a new number, as a twin does. In place; returns the
    pairs left for `empty_pairs`. The rows stay, so whatever other passes placed on them
    (calendar and span edges, twins, cross-unit invoices) stays too."""
    left = []
    for p in pairs:
        entry = f"{p.table}.{p.column}"
        substitute = _substitute(shape, p)
        if substitute is None:
            left.append(p)
            continue
        _check_code(catalog, entry, substitute)
        hit = _rows_of(catalog, tables, p)
        root = shape.retyped.get(entry)
        if root is not None:
            _check_code(catalog, root, substitute)
            root_table, _, root_column = root.partition(".")
            documents = _roots(catalog, tables, p.table, root_table, hit)
            retyped = documents & (_codes(tables[root_table][root_column]) == p.code)
            _set_code(tables[root_table], root_column, retyped, substitute)
            _fresh_keys(catalog.tables[root_table], tables[root_table], retyped)
            hit = _under(catalog, tables, p.table, root_table, documents) & (
                _codes(tables[p.table][p.column]) == p.code)
        _set_code(tables[p.table], p.column, hit, substitute)
        _clear(catalog, tables[p.table], p.table, shape.cleared.get(entry, []), hit)
    return left


def _clear(catalog: Catalog, cols: dict[str, np.ndarray], table: str, columns: Sequence[str],
           rows: np.ndarray) -> None:
    """Set `columns` NULL on the recoded `rows` (what only the old code carries); a column
    the catalog lacks or keeps NOT NULL is refused."""
    for column in columns:
        t = catalog.tables[table]
        if column not in t.column_names or not t.column(column).nullable:
            raise DatagenError(f"recipe sparse.cleared: {table}.{column} is no nullable "
                               "catalog column")
        cols[column] = _nulled(cols[column], rows)


def _nulled(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A copy of `values` with NULL at `rows` (NaN in a numeric column)."""
    numeric = values.dtype.kind in "iuf"
    out = values.astype(float if numeric else object)
    out[rows] = np.nan if numeric else None
    return out


def _check_code(catalog: Catalog, entry: str, code: str) -> None:
    table, _, column = entry.partition(".")
    where = f"recipe sparse: {entry}"
    if table not in catalog.tables or column not in catalog.tables[table].column_names:
        raise DatagenError(f"{where} is no catalog column")
    lookup = catalog.lookups.get(catalog.tables[table].column(column).lookup or "")
    if lookup is not None and code not in lookup.codes:
        raise DatagenError(f"{where}: substitute {code!r} is no code of lookup "
                           f"{lookup.name}")


def _set_code(cols: dict[str, np.ndarray], column: str, rows: np.ndarray, code: str) -> None:
    values = cols[column].copy()
    values[rows] = float(code) if values.dtype.kind in "iuf" else code
    cols[column] = values


def _under(catalog: Catalog, tables: Tables, child: str, root: str,
           documents: np.ndarray) -> np.ndarray:
    """The rows of `child` that belong to the `documents` rows of `root` (through the child's
    NOT NULL foreign key to it)."""
    fk = _mandatory_key(catalog, child, root)
    keys = {tuple(k) for k in zip(*(tables[root][c][documents] for c in fk.ref_columns),
                                  strict=True)}
    return np.array([tuple(k) in keys for k in zip(*(tables[child][c] for c in fk.columns),
                                                  strict=True)], dtype=bool)


def _fresh_keys(table: Table, cols: dict[str, np.ndarray], changed: np.ndarray) -> None:
    """Give each `changed` row whose unique key now clashes with another row's a new value
    (twins.fresh_unique), in place."""
    if not changed.any():
        return
    for unique in table.unique_keys:
        kept = {c: v[~changed] for c, v in cols.items()}
        moved = {c: v[changed].copy() for c, v in cols.items()}
        fresh_unique(table, unique.columns, kept, moved)
        for c in unique.columns:
            values = cols[c].copy()
            values[changed] = moved[c]
            cols[c] = values


def _mandatory_key(catalog: Catalog, child: str, root: str) -> ForeignKey:
    """The child's NOT NULL foreign key to `root` (a shipment's PO_HEADER_ID)."""
    table = catalog.tables[child]
    fks = [fk for fk in table.foreign_keys if fk.references == root
           and not any(table.column(c).nullable for c in fk.columns)]
    if not fks:
        raise DatagenError(f"recipe sparse.documents: {child} has no NOT NULL foreign key "
                           f"to {root}")
    return fks[0]


def _roots(catalog: Catalog, tables: Tables, child: str, root: str,
           hit: np.ndarray) -> np.ndarray:
    """The rows of `root` the `hit` rows of `child` belong to, through the child's NOT NULL
    foreign key to it."""
    fk = _mandatory_key(catalog, child, root)
    owners = {tuple(k) for k in zip(*(tables[child][c][hit] for c in fk.columns),
                                     strict=True)}
    keys = zip(*(tables[root][c] for c in fk.ref_columns), strict=True)
    return np.array([tuple(k) in owners for k in keys], dtype=bool)


def document_tables(catalog: Catalog, root: str) -> set[str]:
    """`root` and every table that hangs from it through NOT NULL foreign keys: what goes
    with a deleted document."""
    out, todo = {root}, [root]
    while todo:
        parent = todo.pop()
        for child, fk in catalog.join_edges():
            table = catalog.tables[child]
            if (fk.references == parent and child not in out
                    and not any(table.column(c).nullable for c in fk.columns)):
                out.add(child)
                todo.append(child)
    return out


def emptied_units(catalog: Catalog, recipe: Recipe, index: int) -> set[tuple[str, int]]:
    """(table, unit) of every table instance `index` may have deleted rows of in a unit: a
    pair's own table, and where the pair goes with whole documents every table of them."""
    out = set()
    for p in emptied_pairs(catalog, recipe, index):
        if _substitute(recipe.sparse, p) is not None:
            continue  # recoded: its rows stay
        root = recipe.sparse.documents.get(p.table)
        for table in document_tables(catalog, root) if root else {p.table}:
            out.add((table, p.unit))
    return out


def missing_codes(catalog: Catalog, recipe: Recipe,
                  index: int) -> frozenset[tuple[str, int, str, str]]:
    """(table, unit, column, code) instance `index` holds no row of: its pairs, the type a
    retyped pair's documents had (the root's own code), and, where a pair went with whole
    documents, any code of their tables in the unit (column and code '*'). The coverage
    fact skips these."""
    shape = recipe.sparse
    out = set()
    for p in emptied_pairs(catalog, recipe, index):
        out.add((p.table, p.unit, p.column, p.code))
        entry = f"{p.table}.{p.column}"
        if _substitute(shape, p) is not None and entry in shape.retyped:
            root_table, _, root_column = shape.retyped[entry].partition(".")
            out.add((root_table, p.unit, root_column, p.code))
        elif _substitute(shape, p) is None and p.table in shape.documents:
            out |= {(t, p.unit, "*", "*")
                    for t in document_tables(catalog, shape.documents[p.table])}
    return frozenset(out)


def _substitute(shape: SparseCoverage, p: UnitCode) -> str | None:
    """The code `p`'s rows take instead of being deleted (None: they are deleted)."""
    return shape.substitutes.get(f"{p.table}.{p.column}", {}).get(p.code)


def _cascade(catalog: Catalog, tables: Tables, parent: str, mask: np.ndarray,
             gone: dict[str, np.ndarray]) -> None:
    """Clear nullable references to the deleted rows of `parent`; mark rows with NOT NULL
    ones for deletion (in `gone`)."""
    for child, fk in catalog.join_edges():
        if fk.references != parent:
            continue
        ref = tables[parent]
        dead = {tuple(k) for k in zip(*(ref[c][mask] for c in fk.ref_columns), strict=True)}
        live = {tuple(k) for k in zip(*(ref[c][~mask] for c in fk.ref_columns), strict=True)}
        dead -= live
        if not dead:
            continue
        cols = tables[child]
        keys = list(zip(*(cols[c] for c in fk.columns), strict=True))
        hit = np.array([k in dead for k in keys], dtype=bool)
        if not hit.any():
            continue
        table = catalog.tables[child]
        if all(table.column(c).nullable for c in fk.columns):
            for c in fk.columns:
                cols[c] = _nulled(cols[c], hit)
        elif child == parent:
            mask |= hit  # a row under a deleted row of its own table goes in the same pass
        else:
            gone[child] = gone.get(child, np.zeros(len(hit), dtype=bool)) | hit

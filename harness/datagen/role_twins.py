"""Twins in a role: a copy of a buyer, a customer account, a location, a transaction type or a
department together with the rows that reference it, so that two rows of one name also agree
on every count, sum, average and date a gold aggregates over them.

`SELECT DISTINCT p.FULL_NAME, COUNT(*) … GROUP BY p.PERSON_ID, p.FULL_NAME` differs from its
gold only where two persons share a name *and* a count; namesakes (values.namesakes,
role_namesakes.py) give the name, never the count, and a document twin (twins.py) copies a
document with what it owns, not the person, account or location the documents point at. A
role twin does: for each role of the recipe (`role_twins.roles`), a row of `root` is copied
with its ownership component (twins.component: a person's date-tracked rows and assignments),
then, until nothing more is reached, the rows of each `takes` foreign key (CHILD.COLUMN) that
point at a row reached so far and the row each `parents` key of a reached row points at, each
with its own ownership component (a buyer's orders with their lines, shipments and
distributions; the invoices matched to those orders with their schedules and payments; a
department's employees and their jobs). twins.copy_components appends the copies with fresh
ids and points every foreign key of a copy at the copied parent, so the twin buyer's orders
are the twin's and each aggregate over a buyer's orders, items or matched invoices is the same
for both; only the keys differ. A declared unique key gets a fresh value (twins.py: an account
number, an order number); `fresh` names columns EBS keeps unique without a declared index,
which the copies renumber (an item's SEGMENT1: one new number per original number).

Names EBS keeps unique per business group (an organization's, a job's, an employee number)
repeat legally only in another group: with `group`, the root's business group row is copied
too and named so; every copied BUSINESS_GROUP_ID then points at the new group. With `closed`,
rows of a taken table that point at no copied row are left out (an employee copied with a
department keeps only that department's assignment rows, so no other department gains a head);
`detach` clears a copy's reference to a row left uncopied (a supervisor in the old group).
With `sealed`, only roots whose taken rows all point at copied rows are copied (a receipt of
the account applied to another customer's transaction would take that transaction along, and
its copy would change that customer's open balance).

The roots copied (`count` per role) are those whose components are largest within `max_rows`
(most orders, so a HAVING COUNT(*) > n of a gold still keeps both namesakes), among the root
rows the first `takes` key points from (a person who is a buyer), sharing no row with a role
twin chosen before (a location's orders of the twinned buyer would give the buyer an order the
twin lacks). Runs after the recipe's twins and the top-N cut twins, so a copy repeats final
values and every order the buyer has; later placements leave originals and copies alone
(build.generate's `twinned`).
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.datagen.context import DatagenError, GenContext, own_id_columns
from harness.datagen.recipe import RoleTwin
from harness.datagen.twins import (
    Columns,
    Component,
    Ownership,
    _Index,
    _key,
    component,
    copy_components,
)
from harness.inputs.catalog import Catalog, ForeignKey

_GROUPS = "HR_ALL_ORGANIZATION_UNITS"  # business groups are organizations of their own
_GROUP_COLUMN = "BUSINESS_GROUP_ID"


def takes(catalog: Catalog, role: str, entries: list[str],
          field: str = "takes") -> list[tuple[str, list[ForeignKey]]]:
    """The foreign keys each `takes` entry (CHILD.COLUMN, columns joined by '+') names, as
    (child table, keys): a column may hold several (PO_HEADERS_ALL.AGENT_ID is a buyer and a
    person). DatagenError names an entry that is no declared foreign key."""
    out = []
    for entry in entries:
        table, _, cols = entry.partition(".")
        t = catalog.tables.get(table)
        fks = [fk for fk in (t.foreign_keys if t else []) if fk.columns == cols.split("+")]
        if not fks:
            raise DatagenError(f"role_twins.roles.{role}.{field}: {entry} is no foreign key of "
                               "the catalog (expected CHILD_TABLE.COLUMN)")
        out.append((table, fks))
    return out


def role_component(tables: Mapping[str, Columns], owns: Ownership, root: str, row: int,
                   taken: list[tuple[str, list[ForeignKey]]], max_rows: int,
                   index: _Index, parents: list[tuple[str, list[ForeignKey]]] = ()
                   ) -> Component | None:
    """`root` row `row` with its ownership component, then every row of each taken key that
    points at a row reached so far, and every row a `parents` key of a reached row points
    at, each with its component, until nothing more is reached (module docstring); None when
    more than `max_rows` rows."""
    found = component(tables, owns, root, row, max_rows, index)
    if found is None:
        return None
    size = sum(len(r) for r in found.values())
    while True:
        reached = [(child, c) for child, fks in taken for fk in fks
                   for p in sorted(found.get(fk.references, ()))
                   for c in index.rows(child, fk.columns,
                                       _key(tables[fk.references], fk.ref_columns, p))]
        reached += [(fk.references, p) for child, fks in parents for fk in fks
                    for c in sorted(found.get(child, ()))
                    for p in index.rows(fk.references, fk.ref_columns,
                                        _key(tables[child], fk.columns, c))]
        new = [(t, r) for t, r in reached if r not in found.get(t, ())]
        if not new:
            return found
        for t, r in new:
            if r in found.get(t, ()):
                continue
            sub = component(tables, owns, t, r, max_rows, index)
            if sub is None:
                return None
            for t2, rows in sub.items():
                found.setdefault(t2, set()).update(rows)
            size = sum(len(rows) for rows in found.values())
            if size > max_rows:
                return None


def prune(tables: Mapping[str, Columns], found: Component,
          taken: list[tuple[str, list[ForeignKey]]], index: _Index) -> Component:
    """`found` without the rows of a taken table that point, through every taken key, at no
    row of `found`: a copied employee keeps only the assignment rows of the copied
    department, so the copies add nothing to a department left out (its headcount)."""
    out = {t: set(rows) for t, rows in found.items()}
    for child, fks in taken:
        for c in sorted(found.get(child, ())):
            if not any(r in found.get(fk.references, ())
                       for fk in fks
                       for r in index.rows(fk.references, fk.ref_columns,
                                           _key(tables[child], fk.columns, c))):
                out[child].discard(c)
    return out


def choose_root(ctx: GenContext, tables: Mapping[str, Columns], owns: Ownership, name: str,
                role: RoleTwin, max_rows: int, taken_before: Component) -> Component | None:
    """The largest role component within `max_rows` of a root row the first taken key points
    from, sharing no row with `taken_before`; ties broken on the role's own random stream."""
    catalog = ctx.catalog
    if role.root not in catalog.tables:
        raise DatagenError(f"role_twins.roles.{name}.root: {role.root} is no catalog table")
    taken = takes(catalog, name, role.takes)
    up = takes(catalog, name, role.parents, "parents")
    first_child, first_fks = taken[0]
    on_root = [fk for fk in first_fks if fk.references == role.root]
    if not on_root:
        raise DatagenError(f"role_twins.roles.{name}.takes: the first key must point at "
                           f"{role.root}, got {role.takes[0]}")
    fk = on_root[0]
    child = tables[first_child]
    pointed = {_key(child, fk.columns, r) for r in range(len(child[fk.columns[0]]))}
    cols = tables[role.root]
    ids = own_id_columns(catalog.tables[role.root]) or catalog.tables[role.root].primary_key
    index = _Index(tables)
    seen: set[tuple] = set()
    best: list[Component] = []
    best_size = 0
    for r in range(len(cols[ids[0]])):
        entity = _key(cols, ids, r)
        if entity in seen or _key(cols, fk.ref_columns, r) not in pointed:
            continue
        seen.add(entity)
        found = role_component(tables, owns, role.root, r, taken, max_rows, index, up)
        if found is None or any(taken_before.get(t, set()) & rows for t, rows in found.items()):
            continue
        if role.sealed and prune(tables, found, taken, index) != found:
            continue
        if role.closed:
            found = prune(tables, found, taken, index)
        size = sum(len(rows) for rows in found.values())
        if size > best_size:
            best, best_size = [found], size
        elif size == best_size:
            best.append(found)
    if not best:
        return None
    return best[int(ctx.rng(f"role_twins:{name}").integers(len(best)))]


def renumber(tables: dict[str, Columns], table: str, column: str, start: int) -> None:
    """Give the rows of `table` from `start` on (the copies) a new `column` value each
    original value maps to (the next free number where the column holds numbers, else the
    value with a `-2`, `-3`… suffix), so a copy of an item keeps one number in every
    organization and no two items share one (in place)."""
    cols = tables[table]
    values = cols[column]
    used = {v for v in values.tolist() if v is not None}
    digits = bool(used) and all(isinstance(v, str) and v.isdigit() for v in used)
    new = values.copy()
    mapped: dict[object, object] = {}
    for i in range(start, len(values)):
        old = values[i]
        if old is None:
            continue
        if old not in mapped:
            if digits:
                value: object = str(max(int(v) for v in used) + 1)
            else:
                k = 2
                while (value := f"{old}-{k}") in used:
                    k += 1
            used.add(value)
            mapped[old] = value
        new[i] = mapped[old]
    cols[column] = new


def place_role_twins(ctx: GenContext, tables: dict[str, Columns],
                     index: int | None) -> Component:
    """Append, for each role of the recipe that applies to instance `index`, a twin of one
    root row with the rows it takes (in place; module docstring). Returns the original rows
    copied, by table."""
    shape = ctx.recipe.role_twins
    twins = ctx.recipe.twins.model_copy(update={"hidden": {}, "max_rows": shape.max_rows})
    owns = Ownership.of(ctx.catalog, twins.owned, twins.with_owner)
    copied: Component = {}
    for name, role in shape.roles.items():
        if not role.applies_to(index):
            continue
        chosen: Component = {}
        for _ in range(role.count):
            found = choose_root(ctx, tables, owns, name, role, shape.max_rows,
                                _union(copied, chosen))
            if found is None:
                break
            for t, rows in found.items():
                chosen.setdefault(t, set()).update(rows)
        if not chosen:
            continue
        if role.group:
            group = business_group(ctx.catalog, tables, role.root, chosen, name)
            chosen.setdefault(_GROUPS, set()).add(group)
        before = {t: len(next(iter(cols.values()))) for t, cols in tables.items()}
        copy_components(ctx, tables, twins, chosen)
        for entry in role.detach:
            detach(ctx.catalog, tables, entry, before, name)
        if role.group:
            at = sorted(chosen[_GROUPS]).index(group)
            tables[_GROUPS]["NAME"] = tables[_GROUPS]["NAME"].copy()
            tables[_GROUPS]["NAME"][before[_GROUPS] + at] = role.group
        for entry in role.fresh:
            table, _, column = entry.partition(".")
            if table not in ctx.catalog.tables or column not in tables[table]:
                raise DatagenError(f"role_twins.roles.{name}.fresh: {entry} is no catalog "
                                   "column (expected TABLE.COLUMN)")
            renumber(tables, table, column, before[table])
        for t, rows in chosen.items():
            copied.setdefault(t, set()).update(rows)
    return copied


def detach(catalog: Catalog, tables: dict[str, Columns], entry: str, before: Mapping[str, int],
           name: str) -> None:
    """Clear the foreign key `entry` (TABLE.COLUMN) of every copy (rows from `before`) whose
    parent was not copied (in place): an employee copied into another business group loses a
    supervisor left in the old one, so that supervisor's count of reports stays as it was."""
    table, _, column = entry.partition(".")
    t = catalog.tables.get(table)
    fks = [fk for fk in (t.foreign_keys if t else []) if fk.columns == [column]]
    if not fks:
        raise DatagenError(f"role_twins.roles.{name}.detach: {entry} is no foreign key of the "
                           "catalog (expected TABLE.COLUMN)")
    ref = fks[0].references
    copies = set(tables[ref][fks[0].ref_columns[0]][before[ref]:].tolist())
    values = tables[table][column].copy()
    for i in range(before[table], len(values)):
        if values[i] is not None and values[i] == values[i] and values[i] not in copies:
            values[i] = None
    tables[table][column] = values


def business_group(catalog: Catalog, tables: Mapping[str, Columns], root: str,
                   chosen: Component, name: str) -> int:
    """The row of the business group the first chosen `root` row belongs to: copied with the
    component, it becomes a new business group, and every copy whose BUSINESS_GROUP_ID
    pointed at the old one points at it (twins.copy_components re-points keys to copied
    parents), so names EBS keeps unique per business group (an organization's, a job's, an
    employee number) may repeat in the copies."""
    fks = [fk for fk in catalog.tables[root].foreign_keys
           if fk.columns == [_GROUP_COLUMN] and fk.references == _GROUPS]
    if not fks:
        raise DatagenError(f"role_twins.roles.{name}.group: {root} has no {_GROUP_COLUMN} "
                           f"referencing {_GROUPS}")
    cols = tables[root]
    key = _key(cols, fks[0].columns, min(chosen[root]))
    rows = _Index(tables).rows(_GROUPS, fks[0].ref_columns, key)
    if not rows:
        raise DatagenError(f"role_twins.roles.{name}.group: no business group {key}")
    return rows[0]


def _union(a: Component, b: Component) -> Component:
    return {t: a.get(t, set()) | b.get(t, set()) for t in a.keys() | b.keys()}


def copies_of(before: Mapping[str, int], tables: Mapping[str, Columns]) -> Component:
    """The rows appended to each table since `before` (row counts by table)."""
    return {t: set(range(before[t], len(next(iter(cols.values())))))
            for t, cols in tables.items() if len(next(iter(cols.values()))) > before[t]}


"""Tables and columns a query references, resolved against a schema; and the MOAC ORG_ID check.

Names follow Oracle: unquoted identifiers are upper-cased, quoted ones are kept as written, so
``"vendor_id"`` is a different (and in EBS nonexistent) column from ``vendor_id``. A table's owner
is dropped (``APPS.AP_INVOICES_ALL`` is ``AP_INVOICES_ALL``) because the schema is keyed by table
name alone; ``harness.sql.safety`` is what rejects ``SYS.`` and database links.

Resolution uses sqlglot's scopes. A qualified column resolves through the alias of a FROM item
of its query block or of an enclosing block the block may see (a subquery sees the blocks around
it; an inline view or CTE does not). An unqualified column resolves like Oracle does: to the one
FROM item of the innermost block that has it, else outward; two FROM items of the same block
having it make it ambiguous (ORA-00918), unless it is a ``JOIN ... USING`` / ``NATURAL JOIN``
column. Pseudo-columns (ROWNUM, ROWID, LEVEL, USER...) are not references; nor are select-list
aliases used in ORDER BY. ``DUAL`` is a built-in table (column DUMMY) unless the schema has it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import Scope, ScopeType, traverse_scope

from harness.sql.parsed import ParsedSql

Schema = Mapping[str, frozenset[str]]

PSEUDO_COLUMNS = frozenset(
    {
        "ROWNUM",
        "ROWID",
        "LEVEL",
        "USER",
        "UID",
        "SYSDATE",
        "SYSTIMESTAMP",
        "CURRENT_DATE",
        "CURRENT_TIMESTAMP",
        "LOCALTIMESTAMP",
        "DBTIMEZONE",
        "SESSIONTIMEZONE",
        "ORA_ROWSCN",
        "CONNECT_BY_ISLEAF",
        "CONNECT_BY_ISCYCLE",
        "COLUMN_VALUE",
        "OBJECT_VALUE",
        "NULL",
    }
)
# Pseudo-columns that may follow a table alias (t.ROWID), and sequence operations (s.NEXTVAL),
# whose qualifier is a sequence rather than a FROM item.
_QUALIFIED_PSEUDO_COLUMNS = frozenset({"ROWID", "ORA_ROWSCN", "COLUMN_VALUE", "OBJECT_VALUE"})
_SEQUENCE_OPERATIONS = frozenset({"NEXTVAL", "CURRVAL"})
_BUILTIN_TABLES: Mapping[str, frozenset[str]] = {"DUAL": frozenset({"DUMMY"})}
# A block sees the FROM items of the block around it only when it is a subquery (or a branch of
# a set operation, or a lateral view, that is one).
_SEES_OUTWARD = frozenset({ScopeType.SUBQUERY, ScopeType.SET_OPERATION, ScopeType.UDTF})

MOAC_COLUMN = "ORG_ID"


@dataclass(frozen=True)
class References:
    """What a query references and which of those references the schema does not know.

    ``columns`` holds only references to existing columns of known tables. A column of a known
    table that the table lacks, a column of an unknown CTE/inline-view output (named by its
    alias), or one that resolves nowhere (table None) is in ``unknown_columns``. Columns of
    tables missing from the schema are in neither set: ``unknown_tables`` already says why.
    ``SELECT *`` adds no columns.
    """

    tables: frozenset[str]
    columns: frozenset[tuple[str, str]]
    unknown_tables: frozenset[str]
    unknown_columns: frozenset[tuple[str | None, str]]
    ambiguous_columns: frozenset[str]


def _prepare(tree: exp.Expression | ParsedSql) -> exp.Expression:
    """A copy of ``tree`` with identifiers normalised the way Oracle resolves them (for a
    ``ParsedSql``, the one copy it makes for all its readers, which only read it)."""
    if isinstance(tree, ParsedSql):
        return tree.normalized
    return normalize_identifiers(tree.copy(), dialect="oracle")


def _base_table(source: object) -> str | None:
    """The table name of a FROM item that is a plain table, else None."""
    if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
        return source.name
    return None


def _visible_scopes(scope: Scope) -> Iterator[Scope]:
    """``scope`` and the enclosing scopes whose FROM items its columns may reference."""
    yield scope
    while scope.scope_type in _SEES_OUTWARD and scope.parent is not None:
        scope = scope.parent
        yield scope


def _own_columns(scope: Scope) -> list[exp.Column]:
    """Columns written in this query block (sqlglot also lists correlated ones of child blocks)."""
    children = scope.subquery_scopes + scope.udtf_scopes + scope.derived_table_scopes
    foreign = {id(column) for child in children for column in child.external_columns}
    return [column for column in scope.columns if id(column) not in foreign]


def _joined_names(scope: Scope) -> tuple[frozenset[str], bool]:
    """Column names of ``JOIN ... USING`` in this block, and whether it has a NATURAL JOIN."""
    names: set[str] = set()
    natural = False
    for join in scope.expression.args.get("joins") or []:
        names.update(identifier.name for identifier in join.args.get("using") or [])
        natural = natural or join.args.get("method") == "NATURAL"
    return frozenset(names), natural


class _Resolver:
    """Resolves the columns of every query block of one tree against one schema."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.outputs_memo: dict[int, frozenset[str] | None] = {}
        self.columns: set[tuple[str, str]] = set()
        self.unknown_columns: set[tuple[str | None, str]] = set()
        self.ambiguous: set[str] = set()
        self.tracing: set[tuple[int, str]] = set()

    def table_columns(self, name: str) -> frozenset[str] | None:
        if name in self.schema:
            return self.schema[name]
        return _BUILTIN_TABLES.get(name)

    def source_columns(self, source: object) -> frozenset[str] | None:
        """Column names a FROM item exposes; None when they cannot be known."""
        if isinstance(source, Scope):
            return self.outputs(source)
        table = _base_table(source)
        return None if table is None else self.table_columns(table)

    def outputs(self, scope: Scope) -> frozenset[str] | None:
        """Output column names of a CTE or inline view; None when they cannot be known."""
        key = id(scope)
        if key not in self.outputs_memo:
            # Marked unknown while computing, so a recursive CTE ends instead of looping.
            self.outputs_memo[key] = None
            self.outputs_memo[key] = self._compute_outputs(scope)
        return self.outputs_memo[key]

    def _compute_outputs(self, scope: Scope) -> frozenset[str] | None:
        if scope.outer_columns:
            return frozenset(scope.outer_columns)
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            return self.outputs(scope.set_operation_scopes[0])
        if not isinstance(expression, exp.Select):
            return None
        names: set[str] = set()
        for projection in expression.expressions:
            if isinstance(projection, exp.Star):
                sources = [source for _, source in scope.selected_sources.values()]
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                sources = [scope.selected_sources.get(projection.table, (None, None))[1]]
            else:
                if projection.alias_or_name:
                    names.add(projection.alias_or_name)
                continue
            for source in sources:
                columns = self.source_columns(source)
                if columns is None:
                    return None
                names.update(columns)
        return frozenset(names)

    def record(self, alias: str, source: object, name: str) -> None:
        """Record ``alias.name`` where ``alias`` is known to be ``source``."""
        if isinstance(source, Scope):
            outputs = self.outputs(source)
            if outputs is not None and name not in outputs | _QUALIFIED_PSEUDO_COLUMNS:
                self.unknown_columns.add((alias, name))
            else:
                self.trace_star(source, name)
            return
        table = _base_table(source)
        columns = None if table is None else self.table_columns(table)
        if table is None or columns is None:
            return
        if name in columns:
            if table in self.schema:
                self.columns.add((table, name))
        elif name not in _QUALIFIED_PSEUDO_COLUMNS:
            self.unknown_columns.add((table, name))

    def trace_star(self, scope: Scope, name: str) -> None:
        """Record the base column behind ``name`` when a CTE or inline view gets it from ``*``.

        A column the view names explicitly was recorded when its own select list was resolved.
        """
        key = (id(scope), name)
        if key in self.tracing or scope.outer_columns:
            return
        self.tracing.add(key)
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            for branch in scope.set_operation_scopes:
                self.trace_star(branch, name)
        elif isinstance(expression, exp.Select) and name not in {
            projection.alias_or_name
            for projection in expression.expressions
            if not projection.is_star
        }:
            for projection in expression.expressions:
                if isinstance(projection, exp.Star):
                    self.resolve_unqualified(scope, name, outward=False)
                elif projection.is_star and projection.table in scope.selected_sources:
                    source = scope.selected_sources[projection.table][1]
                    if name in (self.source_columns(source) or ()):
                        self.record(projection.table, source, name)
        self.tracing.discard(key)

    def resolve(self, scope: Scope, column: exp.Column) -> None:
        """Resolve one column written in ``scope`` and record the outcome."""
        name, qualifier = column.name, column.table
        if qualifier:
            if name in _SEQUENCE_OPERATIONS:
                return
            for visible in _visible_scopes(scope):
                if qualifier in visible.selected_sources:
                    self.record(qualifier, visible.selected_sources[qualifier][1], name)
                    return
            self.unknown_columns.add((None, name))
            return
        if name in PSEUDO_COLUMNS:
            return
        if isinstance(scope.expression, exp.SetOperation):
            # ORDER BY of a compound query names the output columns of its first branch.
            outputs = self.outputs(scope)
            if outputs is not None and name not in outputs:
                self.unknown_columns.add((None, name))
            return
        self.resolve_unqualified(scope, name)

    def resolve_unqualified(self, scope: Scope, name: str, outward: bool = True) -> None:
        """Resolve an unqualified column: innermost block first, then enclosing ones."""
        joined, natural = _joined_names(scope)
        for visible in _visible_scopes(scope) if outward else (scope,):
            holders, unknowable = [], False
            for alias, (_, source) in visible.selected_sources.items():
                columns = self.source_columns(source)
                if columns is None:
                    unknowable = True
                elif name in columns:
                    holders.append((alias, source))
            if len(holders) > 1 and not (visible is scope and (name in joined or natural)):
                self.ambiguous.add(name)
                return
            for alias, source in holders:
                self.record(alias, source, name)
            if holders or unknowable:
                # A FROM item of unknown shape may hold the column: nothing can be claimed.
                return
        if not outward:
            return
        sources = list(scope.selected_sources.items())
        if len(sources) == 1:
            alias, source = sources[0]
            self.unknown_columns.add((_base_table(source) or alias, name))
        else:
            self.unknown_columns.add((None, name))

    def resolve_stars(self, scope: Scope) -> None:
        """``alias.*`` must name a FROM item of its own block."""
        if not isinstance(scope.expression, exp.Select):
            return
        for projection in scope.expression.expressions:
            if (
                isinstance(projection, exp.Column)
                and isinstance(projection.this, exp.Star)
                and projection.table not in scope.selected_sources
            ):
                self.unknown_columns.add((None, "*"))


def references(tree: exp.Expression | ParsedSql, schema: Schema) -> References:
    """Resolve every table and column ``tree`` (an Oracle query) references against ``schema``.

    ``schema`` maps upper-case table names to their upper-case column names. The module
    docstring gives the resolution rules; ``References`` says what each field holds.
    """
    resolver = _Resolver(schema)
    tables: set[str] = set()
    for scope in traverse_scope(_prepare(tree)):
        for _, source in scope.selected_sources.values():
            table = _base_table(source)
            if table is not None and (table in schema or table not in _BUILTIN_TABLES):
                tables.add(table)
        for column in _own_columns(scope):
            if not isinstance(column.this, exp.Star):
                resolver.resolve(scope, column)
        resolver.resolve_stars(scope)
    return References(
        tables=frozenset(tables),
        columns=frozenset(resolver.columns),
        unknown_tables=frozenset(table for table in tables if table not in schema),
        unknown_columns=frozenset(resolver.unknown_columns),
        ambiguous_columns=frozenset(resolver.ambiguous),
    )


# (alias, column) of a FROM item within one query block.
_OrgColumn = tuple[str, str]
# A column resolved to the query block that defines its FROM item.
_ScopedColumn = tuple[Scope, str, str]


def _conjuncts(node: exp.Expression) -> Iterator[exp.Expression]:
    """The operands of a chain of ANDs, through any parentheses."""
    node = node.unnest()
    if isinstance(node, exp.And):
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _contexts(select: exp.Select) -> list[tuple[frozenset[str] | None, list[exp.Expression]]]:
    """The block's filter contexts: (aliases whose rows they filter, None for all; conjuncts).

    WHERE is one context; so is each JOIN ON. An inner join's ON filters every FROM item, a LEFT
    JOIN's only the item it joins, a RIGHT JOIN's only the items before it, a FULL JOIN's none.
    WHERE conjuncts carrying Oracle's ``(+)`` form one context per set of marked aliases, which
    acts like the ON of an outer join: it filters only the marked (optional) items.
    """
    contexts: dict[frozenset[str] | None, list[exp.Expression]] = {}
    where = select.args.get("where")
    for conjunct in _conjuncts(where.this) if where else ():
        marked = frozenset(
            column.table for column in conjunct.find_all(exp.Column) if column.args.get("join_mark")
        )
        contexts.setdefault(marked or None, []).append(conjunct)
    result = list(contexts.items())
    from_ = select.args.get("from_")
    seen = [from_.this.alias_or_name] if from_ else []
    for join in select.args.get("joins") or []:
        alias = join.this.alias_or_name
        targets = {
            "": None,
            "LEFT": frozenset({alias}),
            "RIGHT": frozenset(seen),
        }.get(join.side.upper(), frozenset())
        seen.append(alias)
        on = join.args.get("on")
        result.append((targets, list(_conjuncts(on)) if on else []))
    return result


def _disjuncts(node: exp.Expression) -> Iterator[exp.Expression]:
    node = node.unnest()
    if isinstance(node, exp.Or):
        yield from _disjuncts(node.left)
        yield from _disjuncts(node.right)
    else:
        yield node


def _is_within(node: exp.Expression | None, ancestor: exp.Expression) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def _is_constant(node: exp.Expression) -> bool:
    """True when ``node`` has one value for all rows of its block: literals, binds, functions of
    those, and subqueries whose qualified columns all name FROM items inside the subquery."""
    for column in node.find_all(exp.Column):
        query = column.find_ancestor(exp.Query)
        if not _is_within(query, node):
            return False
        inner = {table.alias_or_name for table in query.find_all(exp.Table)}
        inner |= {subquery.alias for subquery in query.find_all(exp.Subquery) if subquery.alias}
        if column.table and column.table not in inner:
            return False
    return True


def _projection_names(scope: Scope) -> list[str]:
    """Output names of a block in order, ``*`` for star projections."""
    expression = scope.expression
    if isinstance(expression, exp.SetOperation):
        return _projection_names(scope.set_operation_scopes[0])
    if not isinstance(expression, exp.Select):
        return []
    return [
        "*" if projection.is_star else projection.alias_or_name
        for projection in expression.expressions
    ]


class _MoacChecker:
    """Works out, per query block, which ORG_ID columns are restricted (see moac_violations)."""

    def __init__(self, tree: exp.Expression, striped: frozenset[str]) -> None:
        self.striped = striped
        self.scopes = list(traverse_scope(tree))
        self.consumers: dict[int, list[tuple[Scope, str]]] = {}
        for scope in self.scopes:
            for alias, (_, source) in scope.selected_sources.items():
                if isinstance(source, Scope):
                    self.consumers.setdefault(id(source), []).append((scope, alias))
        self.memo: dict[int, frozenset[_OrgColumn]] = {}

    def is_striped(self, source: object) -> bool:
        return _base_table(source) in self.striped

    def holds(self, source: object, name: str) -> bool:
        """Whether ``name`` of this FROM item may carry an operating-unit restriction."""
        if isinstance(source, Scope):
            names = _projection_names(source)
            return name in names or "*" in names
        return name == MOAC_COLUMN and self.is_striped(source)

    def org_column(self, scope: Scope, node: exp.Expression) -> _ScopedColumn | None:
        """Resolve ``node`` to an ORG_ID-carrying column of this or an enclosing block."""
        node = node.unnest()
        if not isinstance(node, exp.Column) or node.is_star:
            return None
        name, qualifier = node.name, node.table
        for visible in _visible_scopes(scope):
            sources = visible.selected_sources
            if qualifier:
                if qualifier in sources:
                    return (
                        (visible, qualifier, name)
                        if self.holds(sources[qualifier][1], name)
                        else None
                    )
                continue
            holders = [alias for alias, (_, source) in sources.items() if self.holds(source, name)]
            if holders:
                return (visible, holders[0], name) if len(holders) == 1 else None
        return None

    def carriers(self, scope: Scope) -> dict[str, set[_OrgColumn]]:
        """Output name -> the ORG_ID-carrying columns of this block it passes through."""
        carried: dict[str, set[_OrgColumn]] = {}
        sources = scope.selected_sources
        for projection in scope.expression.expressions:
            if projection.is_star:
                qualifier = projection.text("table")
                aliases = [qualifier] if qualifier else list(sources)
                for alias in aliases:
                    source = sources.get(alias, (None, None))[1]
                    names = [MOAC_COLUMN] if self.is_striped(source) else []
                    if isinstance(source, Scope):
                        names = [name for name in _projection_names(source) if name != "*"]
                    for name in names:
                        carried.setdefault(name, set()).add((alias, name))
                continue
            column = self.org_column(scope, projection.unalias())
            if column is not None and column[0] is scope:
                carried.setdefault(projection.alias_or_name, set()).add(column[1:])
        return carried

    def restricted_outputs(self, scope: Scope) -> frozenset[str]:
        """Output names of a CTE / inline view that every query using it restricts."""
        parent = scope.parent
        if (
            scope.scope_type == ScopeType.SET_OPERATION
            and parent is not None
            and isinstance(parent.expression, exp.SetOperation)
        ):
            # A branch's columns are the compound query's columns at the same positions.
            outer = self.restricted_outputs(parent)
            theirs, mine = _projection_names(parent), _projection_names(scope)
            if "*" in theirs or "*" in mine or len(theirs) != len(mine):
                return outer & frozenset(mine)
            return frozenset(
                name for their, name in zip(theirs, mine, strict=True) if their in outer
            )
        consumers = self.consumers.get(id(scope))
        if not consumers:
            return frozenset()
        return frozenset.intersection(
            *(
                frozenset(name for owner, name in self.restricted(user) if owner == alias)
                for user, alias in consumers
            )
        )

    def restricted(self, scope: Scope) -> frozenset[_OrgColumn]:
        """The ORG_ID-carrying columns of this block that are restricted (memoised)."""
        key = id(scope)
        if key not in self.memo:
            # Empty while computing, so that a recursive CTE ends (conservatively) instead of
            # looping.
            self.memo[key] = frozenset()
            self.memo[key] = self._compute_restricted(scope)
        return self.memo[key]

    def direct(self, scope: Scope, node: exp.Expression) -> _ScopedColumn | None:
        """The column ``node`` restricts to constants (``= c``, ``IN (c, ...)``), or None."""
        node = node.unnest()
        if isinstance(node, exp.EQ):
            for column, other in ((node.this, node.expression), (node.expression, node.this)):
                resolved = self.org_column(scope, column)
                if resolved and _is_constant(other):
                    return resolved
        if isinstance(node, exp.In) and not node.args.get("query") and node.expressions:
            resolved = self.org_column(scope, node.this)
            if resolved and all(_is_constant(value) for value in node.expressions):
                return resolved
        if isinstance(node, exp.Or):
            # Every branch must restrict the same column: (o = 204 OR o = 458).
            branches = {self.direct(scope, branch) for branch in _disjuncts(node)}
            if len(branches) == 1:
                return branches.pop()
        return None

    def _compute_restricted(self, scope: Scope) -> frozenset[_OrgColumn]:
        select = scope.expression
        if not isinstance(select, exp.Select):
            return frozenset()
        carriers = self.carriers(scope)
        restricted = {
            column for name in self.restricted_outputs(scope) for column in carriers.get(name, ())
        }
        contexts = [
            (targets, self._facts(scope, conjuncts)) for targets, conjuncts in _contexts(select)
        ]
        changed = True
        while changed:
            changed = False
            for targets, (direct, edges) in contexts:
                # Inside one context every conjunct holds for the rows it keeps, so the closure
                # runs over all its columns; only the items it filters take the result out.
                known = restricted | direct
                self._close(scope, known, edges)
                new = {c for c in known if targets is None or c[0] in targets} - restricted
                if new:
                    restricted |= new
                    changed = True
        return frozenset(restricted)

    def _facts(
        self, scope: Scope, conjuncts: list[exp.Expression]
    ) -> tuple[set[_OrgColumn], list[tuple[_ScopedColumn, _ScopedColumn]]]:
        """Columns restricted to constants, and column-to-column equalities, of the conjuncts."""
        direct: set[_OrgColumn] = set()
        edges: list[tuple[_ScopedColumn, _ScopedColumn]] = []
        for conjunct in conjuncts:
            column = self.direct(scope, conjunct)
            node = conjunct.unnest()
            if column is not None:
                if column[0] is scope:
                    direct.add(column[1:])
            elif isinstance(node, exp.EQ):
                left = self.org_column(scope, node.this)
                right = self.org_column(scope, node.expression)
                if left and right:
                    edges.append((left, right))
        return direct, edges

    def _close(
        self,
        scope: Scope,
        known: set[_OrgColumn],
        edges: list[tuple[_ScopedColumn, _ScopedColumn]],
    ) -> None:
        """Add to ``known`` every column of this block equal to a restricted column."""
        changed = True
        while changed:
            changed = False
            for left, right in edges:
                for column, other in ((left, right), (right, left)):
                    if (
                        column[0] is scope
                        and column[1:] not in known
                        and self._is_restricted(scope, other, known)
                    ):
                        known.add(column[1:])
                        changed = True

    def _is_restricted(self, scope: Scope, column: _ScopedColumn, local: set[_OrgColumn]) -> bool:
        if column[0] is scope:
            return column[1:] in local
        return column[1:] in self.restricted(column[0])

    def violations(self) -> frozenset[str]:
        found: set[str] = set()
        for scope in self.scopes:
            if not isinstance(scope.expression, exp.Select):
                continue
            restricted = self.restricted(scope)
            for alias, (_, source) in scope.selected_sources.items():
                if self.is_striped(source) and (alias, MOAC_COLUMN) not in restricted:
                    found.add(_base_table(source))
        return frozenset(found)


def moac_violations(tree: exp.Expression | ParsedSql,
                    striped_tables: frozenset[str]) -> frozenset[str]:
    """Tables of ``striped_tables`` read by some query block without an operating-unit filter.

    Rule: every FROM item that is an ORG_ID-striped table must have its ORG_ID restricted in
    its query block. ORG_ID is restricted by a conjunct (top-level AND) of the block's WHERE or
    of a JOIN ON that filters that item (see ``_contexts``: inner joins filter all items, an
    outer join only its optional side, ``(+)`` marks the optional side in WHERE) of the form

    - ``alias.ORG_ID = c`` or ``c = alias.ORG_ID``, ``alias.ORG_ID IN (c1, c2, ...)``, or an OR
      of those on the same column, where each ``c`` is constant for the block: a literal, a bind
      (``:org_id``), a function of those, or an uncorrelated scalar subquery;
    - ``alias.ORG_ID = other.ORG_ID`` where ``other`` is restricted: another striped item of the
      block, or of an enclosing block for a correlated subquery (transitively). Conjuncts of one
      JOIN ON combine, so ``LEFT JOIN p ON p.ORG_ID = i.ORG_ID AND i.ORG_ID = 204`` restricts
      ``p`` (not ``i``);
    - through a CTE or inline view: the view passes ``alias.ORG_ID`` out (by name, alias or
      ``*``) and every query block that reads the view restricts that output column as above
      (for a set operation, at the same position of each branch).

    Unqualified ``ORG_ID`` resolves to the only ORG_ID-carrying item of the block (no schema is
    consulted: other tables are assumed not to have ORG_ID). ``IN (subquery)``, ranges, joins
    to HR_OPERATING_UNITS filtered by name, and predicates under OR/NOT with other columns do
    not count. Returns upper-case table names (owner dropped).
    """
    striped = frozenset(name.upper() for name in striped_tables)
    return _MoacChecker(_prepare(tree), striped).violations()

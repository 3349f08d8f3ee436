"""CONNECT BY queries as recursive CTEs: one row per path, as Oracle returns them.

Supported: the row generator ``FROM dual CONNECT BY LEVEL <= n``, and one table (or WITH name) in FROM, optional START WITH, a CONNECT BY made of
``PRIOR parent_expr = child_expr`` equalities AND-ed with conditions on the child row (LEVEL
allowed), LEVEL, SYS_CONNECT_BY_PATH(col, 'literal') and CONNECT_BY_ROOT col in the select
list, WHERE and ORDER BY. WHERE filters after the hierarchy is built, as in Oracle. A loop in
the data raises ORA-01436 like Oracle instead of recursing forever. Refused: NOCYCLE, joins,
ORDER SIBLINGS BY, PRIOR outside CONNECT BY, CONNECT_BY_ISLEAF/ISCYCLE, ROWNUM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct
from .expressions import ExprTranslator, condition, literal_int, literal_str
from .kinds import Kind
from .rownum import block_nodes, conjuncts, mentions_rownum
from .scope import Scope, Source
from .strings import concatenate, to_text

if TYPE_CHECKING:
    from .queries import QueryResult, QueryTranslator

# Oracle VARCHAR2 limit for SYS_CONNECT_BY_PATH results.
_PATH_BYTES = 4000


def _is_level(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.upper() == "LEVEL"


def _requalify(node: exp.Expr, own: set[str], alias: str) -> exp.Expr:
    """A copy of ``node`` whose columns of the hierarchy's table are qualified by ``alias``."""
    copy = node.copy()
    for column in list(block_nodes(copy)):
        if isinstance(column, exp.Column) and not _is_level(column) and (
            not column.table or column.table.upper() in own
        ):
            column.set("table", exp.to_identifier(alias))
    return copy


def _replace_level(node: exp.Expr, replacement: exp.Expr) -> exp.Expr:
    copy = node.copy()
    for column in list(block_nodes(copy)):
        if _is_level(column):
            column.replace(replacement.copy())
    return copy


class _Hierarchy:
    """The parts of one hierarchical query block while it is being translated."""

    def __init__(self, queries: QueryTranslator, sel: exp.Select, outer: Scope | None) -> None:
        self.queries = queries
        self.ctx = queries.ctx
        self.sel = sel
        self.outer = outer
        connect = sel.args["connect"]
        if connect.args.get("nocycle"):
            raise UnsupportedConstruct("CONNECT BY NOCYCLE", "not supported")
        if sel.args.get("joins"):
            raise UnsupportedConstruct("CONNECT BY over a join", "not supported")
        if any(mentions_rownum(node) for node in sel.iter_expressions()):
            raise UnsupportedConstruct("ROWNUM in a hierarchical query", "not supported")
        order = sel.args.get("order")
        if order is not None and order.args.get("siblings"):
            raise UnsupportedConstruct("ORDER SIBLINGS BY", "sibling order not supported")
        table = sel.args["from_"].this
        if not isinstance(table, exp.Table) or table.args.get("db"):
            raise UnsupportedConstruct("CONNECT BY source", "must be one table or WITH name")
        self.table_name = table.name.upper()
        self.alias = (table.alias or table.name).upper()
        self.own = {self.alias, self.table_name}
        cte = outer.cte(self.table_name) if outer is not None else None
        self.columns = (
            dict(cte.columns or {}) if cte is not None else self.ctx.schema.get(self.table_name)
        )
        self.cte_name = self.ctx.fresh("hierarchy")
        self.parent = self.ctx.fresh("parent")
        self.level = self.ctx.fresh("level")
        self.ancestors = self.ctx.fresh("ancestors")
        self.paths: dict[str, tuple[str, exp.Expr, str]] = {}  # key → (hidden, column, sep)
        self.roots: dict[str, tuple[str, exp.Expr]] = {}

    def table(self, alias: str) -> exp.Table:
        return exp.Table(
            this=exp.to_identifier(self.table_name),
            alias=exp.TableAlias(this=exp.to_identifier(alias)),
        )

    def scope(self, *sources: Source) -> Scope:
        scope = Scope(parent=self.outer)
        for source in sources:
            scope.add(source)
        return scope

    def hidden_columns(self) -> dict[str, Kind]:
        hidden = {self.level: Kind.NUMBER, self.ancestors: Kind.UNKNOWN}
        hidden.update({name: Kind.STRING for name, _, _ in self.paths.values()})
        hidden.update({name: Kind.UNKNOWN for name, _ in self.roots.values()})
        return hidden

    def rewrite_outer(self) -> exp.Select:
        """The block without CONNECT BY, reading the hierarchy's rows instead of the table."""
        select = self.sel.copy()
        select.set("connect", None)
        select.set("with_", None)  # already translated by the caller
        for node in list(block_nodes(select)):
            if _is_level(node):
                node.replace(exp.column(self.level, table=self.alias))
            elif isinstance(node, exp.Anonymous) and node.name.upper() == "SYS_CONNECT_BY_PATH":
                node.replace(exp.column(self._path(node), table=self.alias))
            elif isinstance(node, exp.ConnectByRoot):
                node.replace(exp.column(self._root(node), table=self.alias))
            elif isinstance(node, exp.Prior):
                raise UnsupportedConstruct("PRIOR outside CONNECT BY", "not supported")
        select.set("from_", exp.From(this=exp.Table(
            this=exp.to_identifier(self.cte_name),
            alias=exp.TableAlias(this=exp.to_identifier(self.alias)))))
        return select

    def _path(self, node: exp.Anonymous) -> str:
        if len(node.expressions) != 2 or literal_str(node.expressions[1]) is None:
            raise UnsupportedConstruct(
                "SYS_CONNECT_BY_PATH", "takes a column and a separator literal"
            )
        key = node.sql(dialect="oracle")
        if key not in self.paths:
            self.paths[key] = (self.ctx.fresh("path"), node.expressions[0],
                               literal_str(node.expressions[1]) or "")
        return self.paths[key][0]

    def _root(self, node: exp.ConnectByRoot) -> str:
        key = node.sql(dialect="oracle")
        if key not in self.roots:
            self.roots[key] = (self.ctx.fresh("root"), node.this)
        return self.roots[key][0]

    def recursive_cte(self) -> tuple[exp.CTE, Source]:
        connect = self.sel.args["connect"]
        child = Source(self.alias, dict(self.columns) if self.columns is not None else None)
        parent_columns = None
        if self.columns is not None:
            parent_columns = {**self.columns, **self.hidden_columns()}
        parent = Source(self.parent, parent_columns)
        anchor_tr = ExprTranslator(self.ctx, self.scope(child), self.queries)
        step_tr = ExprTranslator(self.ctx, self.scope(parent, Source(child.alias, child.columns)),
                                 self.queries)
        links, filters = self._split(connect.args["connect"])
        keys_child = [step_tr.tx(_requalify(child_side, self.own, self.alias)).sql
                      for _, child_side in links]
        own_keys = [anchor_tr.tx(_requalify(parent_side, self.own, self.alias)).sql
                    for parent_side, _ in links]
        step_keys = [step_tr.tx(_requalify(parent_side, self.own, self.alias)).sql
                     for parent_side, _ in links]

        anchor_items = [exp.Column(this=exp.Star(), table=exp.to_identifier(self.alias)),
                        exp.alias_(b.num(1), self.level),
                        exp.alias_(exp.Array(expressions=[exp.Array(expressions=own_keys)]),
                                   self.ancestors)]
        step_items = [
            exp.Column(this=exp.Star(), table=exp.to_identifier(self.alias)),
            exp.alias_(b.add(exp.column(self.level, table=self.parent), b.num(1)), self.level),
            exp.alias_(b.call("list_append", exp.column(self.ancestors, table=self.parent),
                              exp.Array(expressions=[k.copy() for k in step_keys])),
                       self.ancestors),
        ]
        for name, column, separator in self.paths.values():
            value = to_text(anchor_tr, anchor_tr.tx(_requalify(column, self.own, self.alias)),
                            "SYS_CONNECT_BY_PATH")
            anchor_items.append(exp.alias_(self._path_piece(None, separator, value), name))
            value = to_text(step_tr, step_tr.tx(_requalify(column, self.own, self.alias)),
                            "SYS_CONNECT_BY_PATH")
            step_items.append(exp.alias_(
                self._path_piece(exp.column(name, table=self.parent), separator, value), name))
        for name, column in self.roots.values():
            anchor_items.append(exp.alias_(
                anchor_tr.tx(_requalify(column, self.own, self.alias)).sql, name))
            step_items.append(exp.alias_(exp.column(name, table=self.parent), name))

        anchor = exp.Select(expressions=anchor_items)
        anchor.set("from_", exp.From(this=self.table(self.alias)))
        start = connect.args.get("start")
        if start is not None:
            start = _replace_level(_requalify(start, self.own, self.alias), b.num(1))
            anchor.set("where", exp.Where(this=condition(anchor_tr, start)))

        matched = [
            b.eq(step_tr.tx(_requalify(parent_side, self.own, self.parent)).sql, key.copy())
            for (parent_side, _), key in zip(links, keys_child, strict=True)
        ]
        # LEVEL in CONNECT BY is the candidate child's level: the parent's plus one.
        child_level = exp.Paren(this=exp.Add(this=exp.column(self.level, table=self.parent),
                                             expression=exp.Literal.number(1)))
        conditions = matched + [
            condition(step_tr, _replace_level(_requalify(f, self.own, self.alias), child_level))
            for f in filters
        ]
        loop = b.case(
            [(b.and_(*[m.copy() for m in matched],
                     b.call("list_contains", exp.column(self.ancestors, table=self.parent),
                            exp.Array(expressions=[k.copy() for k in step_keys]))),
              b.error("ORA-01436: CONNECT BY loop in user data"))],
            exp.Boolean(this=True),
        )
        step = exp.Select(expressions=step_items)
        step.set("from_", exp.From(this=exp.Table(
            this=exp.to_identifier(self.cte_name),
            alias=exp.TableAlias(this=exp.to_identifier(self.parent)))))
        step.set("joins", [exp.Join(this=self.table(self.alias), on=b.and_(*conditions, loop))])
        union = exp.Union(this=anchor, expression=step, distinct=False)
        cte = exp.CTE(this=union, alias=exp.TableAlias(this=exp.to_identifier(self.cte_name)))
        hidden = self.hidden_columns()
        columns = None if self.columns is None else {**self.columns, **hidden}
        return cte, Source(self.cte_name, columns, tuple(hidden))

    def _path_piece(self, prefix: exp.Expr | None, separator: str, value: exp.Expr) -> exp.Expr:
        checked = b.case(
            [(b.gt(b.call("strpos", value.copy(), b.text(separator)), b.num(0)),
              b.error("ORA-30004: SYS_CONNECT_BY_PATH separator inside a column value"))],
            value,
        )
        parts = ([prefix] if prefix is not None else []) + [b.text(separator), checked]
        path = concatenate(parts)
        return b.case(
            [(b.gt(b.call("strlen", path.copy()), b.num(_PATH_BYTES)),
              b.error("ORA-01489: result of string concatenation is too long"))],
            path,
        )

    def _split(self, connect: exp.Expr) -> tuple[list[tuple[exp.Expr, exp.Expr]], list[exp.Expr]]:
        """CONNECT BY conjuncts: (parent side, child side) equalities and child-row filters."""
        links, filters = [], []
        for part in conjuncts(connect):
            priors = [n for n in block_nodes(part) if isinstance(n, exp.Prior)]
            if not priors:
                filters.append(part)
                continue
            if not isinstance(part, exp.EQ) or len(priors) != 1:
                raise UnsupportedConstruct(
                    f"CONNECT BY {part.sql(dialect='oracle')}",
                    "only PRIOR expr = expr conditions (AND-ed)",
                )
            left, right = part.this, part.expression
            if isinstance(right, exp.Prior):
                left, right = right, left
            if not isinstance(left, exp.Prior) or any(_is_level(n) for n in block_nodes(part)):
                raise UnsupportedConstruct(
                    f"CONNECT BY {part.sql(dialect='oracle')}", "PRIOR must wrap one whole side"
                )
            links.append((left.this, right))
        if not links:
            raise UnsupportedConstruct("CONNECT BY without PRIOR", "not supported")
        return links, filters


def _row_generator(queries: QueryTranslator, sel: exp.Select, outer: Scope,
                   with_sql: exp.With | None) -> QueryResult | None:
    """``SELECT ... FROM dual CONNECT BY LEVEL <= n``: rows with LEVEL = 1..n."""
    table = sel.args["from_"].this
    connect = sel.args["connect"]
    if not (isinstance(table, exp.Table) and table.name.upper() == "DUAL"
            and not sel.args.get("joins") and connect.args.get("start") is None):
        return None
    bound = connect.args["connect"]
    op, level, limit = type(bound), bound.this, bound.expression
    if _is_level(limit):
        op, level, limit = {exp.GTE: exp.LTE, exp.GT: exp.LT}.get(op), limit, level
    count = literal_int(limit) if op in (exp.LTE, exp.LT) and _is_level(level) else None
    if count is None or connect.args.get("nocycle"):
        raise UnsupportedConstruct(
            "CONNECT BY on DUAL", "only CONNECT BY LEVEL <= n (or < n) with a number literal"
        )
    rows = max(count - (1 if op is exp.LT else 0), 0)
    name, alias = queries.ctx.fresh("levels"), queries.ctx.fresh("level")
    # The range() table function streams its rows; unnest(range(...)) would first build a list
    # of n numbers in memory, which a timeout cannot interrupt (LEVEL <= 1e9 ran for minutes).
    generator = exp.select(exp.alias_(exp.column("range"), alias)).from_(
        exp.Table(this=b.call("range", b.num(1), b.num(rows + 1))))
    cte = exp.CTE(this=generator, alias=exp.TableAlias(this=exp.to_identifier(name)))
    rewritten = sel.copy()
    rewritten.set("connect", None)
    rewritten.set("with_", None)
    for node in list(block_nodes(rewritten)):
        if _is_level(node):
            node.replace(exp.column(alias, table=name))
    rewritten.set("from_", exp.From(this=exp.Table(this=exp.to_identifier(name))))
    source = Source(name, {alias: Kind.NUMBER}, (alias,))
    return queries.select(rewritten, outer, recursive=(cte, source, with_sql))


def translate_hierarchical(
    queries: QueryTranslator, sel: exp.Select, outer: Scope, with_sql: exp.With | None
) -> QueryResult:
    """Translate a block with CONNECT BY (``outer`` holds the block's own WITH names)."""
    generated = _row_generator(queries, sel, outer, with_sql)
    if generated is not None:
        return generated
    hierarchy = _Hierarchy(queries, sel, outer)
    rewritten = hierarchy.rewrite_outer()
    cte, source = hierarchy.recursive_cte()
    return queries.select(rewritten, outer, recursive=(cte, source, with_sql))

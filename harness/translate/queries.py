"""Query blocks: SELECT, set operations, WITH, FROM and joins, ORDER BY, FETCH, and ROWNUM."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlglot import exp

from . import build as b
from . import outer_joins, rownum
from .aggregates import ordered
from .clauses import check_alias_use, check_args, fetch, group_by, groups_of_rows_only, select_list
from .context import Context
from .errors import UnsupportedConstruct
from .exact import COMMON_NUMBER_TYPE
from .expressions import ExprTranslator, condition, literal_int
from .kinds import Kind, Typed, mixed_families
from .nested_aggregates import unnest_aggregates
from .registry import AGGREGATES
from .scope import Scope, Source

_SELECT_ARGS = {
    "with_", "expressions", "hint", "distinct", "from_", "joins", "where", "group", "having",
    "order", "limit", "offset", "connect",
}
_SET_OPERATION_ARGS = {"with_", "this", "expression", "distinct", "order", "limit", "offset"}
_QUERY = (exp.Select, exp.Union, exp.Intersect, exp.Except)


@dataclass
class QueryResult:
    """A translated query with its output columns (upper-case name or None, kind)."""

    sql: exp.Query
    columns: list[tuple[str | None, Kind]]
    ordered: bool = False  # ORDER BY at its top level
    open_columns: bool = False  # ``*`` over a source of unknown columns: the list is partial
    hidden: tuple[str, ...] = ()  # translator-added columns (ordered view keys)
    order_keys: list[tuple[str, bool, bool]] = field(default_factory=list)


@dataclass
class _Source:
    sql: exp.Expr | None  # None for DUAL
    source: Source
    order_keys: list[tuple[str, bool, bool]] = field(default_factory=list)


def _walk_block(node: exp.Expr, *, into_windows: bool = True):
    """Nodes of one query block; optionally without descending into OVER (...) windows."""
    yield node
    for child in node.iter_expressions():
        if isinstance(child, (*_QUERY, exp.Subquery)):
            continue
        if not into_windows and isinstance(child, exp.Window):
            yield child
            continue
        yield from _walk_block(child, into_windows=into_windows)


def block_has_aggregate(nodes: list[exp.Expr]) -> bool:
    """Whether an aggregate call (not an analytic one) occurs in ``nodes`` of this block."""
    return any(
        (isinstance(n, exp.Anonymous) and n.name.upper() in AGGREGATES)
        or isinstance(n, exp.GroupConcat)
        for node in nodes
        for n in _walk_block(node, into_windows=False)
    )


def _windows(nodes: list[exp.Expr]) -> bool:
    return any(isinstance(n, exp.Window) for node in nodes for n in _walk_block(node))


def _common_number_columns(select: exp.Expr, positions: list[int]) -> exp.Expr:
    """A set-operation branch with its NUMBER columns at ``positions`` cast to one exact type
    (see `exact.common_numbers`: DuckDB's UNION would otherwise round DECIMAL(38,6) values to
    the other branch's smaller scale). Names are kept, so the first branch still names the
    columns. A nested set operation's branches are cast when it is translated."""
    if not positions or not isinstance(select, exp.Select):
        return select
    items = list(select.expressions)
    if any(isinstance(item, exp.Star) or isinstance(item, exp.Column) and item.is_star
           for item in items):
        return select
    for i in positions:
        if i >= len(items):
            continue
        item = items[i]
        value = item.this if isinstance(item, exp.Alias) else item
        cast = b.cast(value.copy(), COMMON_NUMBER_TYPE)
        if isinstance(item, exp.Alias):
            items[i] = exp.alias_(cast, item.args["alias"].copy())
        elif isinstance(item, exp.Column):
            items[i] = exp.alias_(cast, exp.to_identifier(item.name))
        else:
            items[i] = cast
    select.set("expressions", items)
    return select


class QueryTranslator:
    """Translates Oracle queries to DuckDB, one query block at a time."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def query(self, node: exp.Expr, outer: Scope | None, *, expose_order: bool = False
              ) -> QueryResult:
        """Translate a query (a block or a set operation) that may see ``outer``'s sources."""
        if isinstance(node, exp.Subquery) and not node.alias:
            check_args(node, {"this"})
            inner = self.query(node.this, outer, expose_order=expose_order)
            inner.sql = exp.Subquery(this=inner.sql)  # type: ignore[assignment]
            return inner
        if isinstance(node, exp.Select):
            node = unnest_aggregates(node, self.ctx)
            return self.select(node, outer, expose_order=expose_order)
        if isinstance(node, exp.Union | exp.Intersect | exp.Except):
            if expose_order:
                raise UnsupportedConstruct(
                    "ROWNUM over an ordered set operation", "not supported"
                )
            return self._set_operation(node, outer)
        raise UnsupportedConstruct(f"{type(node).__name__} query", "not supported")

    def _with(self, with_: exp.With | None, scope: Scope) -> exp.With | None:
        if with_ is None:
            return None
        check_args(with_, {"expressions"})
        ctes = []
        for cte in with_.expressions:
            check_args(cte, {"this", "alias"})
            name = cte.alias.upper()
            if cte.args["alias"].columns:
                raise UnsupportedConstruct("WITH name (columns)", "column lists not supported")
            if any(
                isinstance(t, exp.Table) and t.name.upper() == name and not t.args.get("db")
                for t in cte.this.find_all(exp.Table)
            ):
                raise UnsupportedConstruct(f"recursive WITH {name}", "not supported")
            result = self.query(cte.this, scope)
            columns = None if result.open_columns else _column_map(result)
            scope.ctes[name] = Source(name, columns, result.hidden)
            ctes.append(exp.CTE(this=result.sql, alias=exp.TableAlias(this=exp.to_identifier(name))))
        return exp.With(expressions=ctes)

    def _set_operation(self, node: exp.Expr, outer: Scope | None) -> QueryResult:
        check_args(node, _SET_OPERATION_ARGS)
        name = {exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "MINUS"}[type(node)]
        distinct = bool(node.args.get("distinct"))
        if not distinct and not isinstance(node, exp.Union):
            raise UnsupportedConstruct(f"{name} ALL", "not Oracle syntax")
        scope = Scope(parent=outer)
        with_sql = self._with(node.args.get("with_"), scope)
        left = self.query(node.this, scope)
        right = self.query(node.expression, scope)
        if len(left.columns) != len(right.columns) and not (left.open_columns or right.open_columns):
            raise UnsupportedConstruct(name, "branches select different numbers of columns")
        numeric = [i for i, ((_, lk), (_, rk)) in enumerate(zip(left.columns, right.columns,
                                                                  strict=False))
                   if Kind.NUMBER in (lk, rk) and not (left.open_columns or right.open_columns)]
        sides = [
            exp.Subquery(this=side.sql) if isinstance(side.sql, exp.SetOperation)
            else _common_number_columns(side.sql, numeric)
            for side in (left, right)
        ]
        result = type(node)(this=sides[0], expression=sides[1], distinct=distinct)
        columns = []
        for (lname, lkind), (_, rkind) in zip(left.columns, right.columns, strict=False):
            if mixed_families([lkind, rkind]):
                raise UnsupportedConstruct(
                    f"{name} of a {lkind.value} and a {rkind.value} column",
                    "an error in Oracle (ORA-01790)",
                )
            columns.append((lname, lkind if lkind is not Kind.NULL else rkind))
        query = QueryResult(result, columns, open_columns=left.open_columns)
        order = node.args.get("order")
        if order is not None:
            if order.args.get("siblings"):
                raise UnsupportedConstruct("ORDER SIBLINGS BY", "only in hierarchical queries")
            order_scope = Scope(parent=outer, output_aliases={n: k for n, k in columns if n})
            tr = ExprTranslator(self.ctx, order_scope, self)
            keys = []
            for item in order.expressions:
                if not (isinstance(item.this, exp.Column) and not item.this.table) and literal_int(
                    item.this
                ) is None:
                    raise UnsupportedConstruct(
                        f"ORDER BY {item.sql(dialect='oracle')} of a {name}",
                        "must name an output column or position",
                    )
                keys.append(ordered(tr, item))
            result.set("order", exp.Order(expressions=keys))
            query.ordered = True
        fetch(self.ctx, node, result, query.ordered)
        if with_sql is not None:
            result.set("with_", with_sql)
        return query

    # --- one query block -------------------------------------------------------------------

    def select(
        self,
        sel: exp.Select,
        outer: Scope | None,
        *,
        expose_order: bool = False,
        recursive: tuple[exp.CTE, Source, exp.With | None] | None = None,
    ) -> QueryResult:
        """Translate one query block; ``recursive`` is the CTE a CONNECT BY became."""
        check_args(sel, _SELECT_ARGS)
        scope = Scope(parent=outer)
        if recursive is not None:
            cte, source, with_sql = recursive
            scope.ctes[source.alias] = source
            earlier = with_sql.expressions if with_sql is not None else []
            with_sql = exp.With(expressions=[*earlier, cte], recursive=True)
        else:
            with_sql = self._with(sel.args.get("with_"), scope)
        if sel.args.get("connect") is not None:
            from .hierarchical import translate_hierarchical

            return translate_hierarchical(self, sel, scope, with_sql)
        use = rownum.analyze(sel)
        items = self._from_items(sel)
        ordered_view = (
            use is not None
            and len(items) == 1
            and isinstance(items[0], exp.Subquery)
            and isinstance(items[0].this, exp.Select)
            and items[0].this.args.get("order") is not None
        )
        sources = [self._source(item, scope, expose_order=ordered_view) for item in items]
        for source in sources:
            scope.add(source.source)
        tr = ExprTranslator(self.ctx, scope, self)
        where = use.other_conditions if use else rownum.conjuncts(
            sel.args["where"].this if sel.args.get("where") else None
        )
        from_sql, joins, where = self._joins(sel, sources, where, tr)

        number = None
        if ordered_view:
            alias = sources[0].source.alias
            keys = sources[0].order_keys
            order = exp.Order(
                expressions=[
                    exp.Ordered(this=exp.column(name, table=alias), desc=desc, nulls_first=nf)
                    for name, desc, nf in keys
                ]
            )
            number = exp.Window(this=b.call("row_number"), order=order, over="OVER")
        late_nodes = [*sel.expressions]
        for key in ("having", "order"):
            if sel.args.get(key) is not None:
                late_nodes.append(sel.args[key])
        aggregated = sel.args.get("group") is not None or block_has_aggregate(late_nodes)
        if use is not None and use.numbered:
            if number is None:
                raise UnsupportedConstruct(
                    "ROWNUM as a value over unordered rows",
                    "the numbering is arbitrary; number an ordered inline view instead",
                )
            if aggregated:
                raise UnsupportedConstruct("ROWNUM with GROUP BY or aggregates", "not supported")
            scope.pseudo["ROWNUM"] = Typed(number, Kind.NUMBER)

        check_alias_use(sel, scope)
        where_sql = [condition(tr, c) for c in where]
        result = exp.Select()
        out_items, columns, open_columns = select_list(sel, tr, scope)
        result.set("expressions", out_items)
        if sel.args.get("distinct") is not None:
            if sel.args["distinct"].args.get("on"):
                raise UnsupportedConstruct("DISTINCT ON", "not Oracle syntax")
            result.set("distinct", exp.Distinct())
        if sel.args.get("group") is not None:
            result.set("group", group_by(sel.args["group"], tr))
        having = condition(tr, sel.args["having"].this) if sel.args.get("having") else None
        if sel.args.get("group") is not None:
            having = groups_of_rows_only(sel.args["group"], having)
        if having is not None:
            result.set("having", exp.Having(this=having))
        has_order = sel.args.get("order") is not None
        if has_order:
            order = sel.args["order"]
            if order.args.get("siblings"):
                raise UnsupportedConstruct("ORDER SIBLINGS BY", "only in hierarchical queries")
            scope.output_aliases = {n: k for n, k in columns if n}
            result.set("order", exp.Order(expressions=[ordered(tr, o) for o in order.expressions]))
        query = QueryResult(result, columns, ordered=has_order, open_columns=open_columns)
        if expose_order and has_order:
            self._expose_order(sel, tr, result, query)

        if use is not None and use.filtered:
            if sel.args.get("limit") is not None or sel.args.get("offset") is not None:
                raise UnsupportedConstruct("ROWNUM with FETCH/OFFSET", "not supported")
            late = (
                aggregated
                or has_order
                or sel.args.get("distinct") is not None
                or _windows(late_nodes)
            )
            from_sql, where_sql, joins = self._rownum_limit(
                use.limit, late, from_sql, joins, where_sql, number, sources, result, query
            )
        else:
            fetch(self.ctx, sel, result, has_order)
        if from_sql is not None:
            result.set("from_", exp.From(this=from_sql))
        if joins:
            result.set("joins", joins)
        if where_sql:
            result.set("where", exp.Where(this=b.and_(*where_sql)))
        if with_sql is not None:
            result.set("with_", with_sql)
        return query

    def _rownum_limit(
        self,
        limit: float,
        late: bool,
        from_sql: exp.Expr | None,
        joins: list[exp.Join],
        where_sql: list[exp.Expr],
        number: exp.Window | None,
        sources: list[_Source],
        result: exp.Select,
        query: QueryResult,
    ) -> tuple[exp.Expr | None, list[exp.Expr], list[exp.Join]]:
        """Apply ROWNUM's limit before the block's later stages (GROUP BY, ORDER BY, ...).

        Returns the block's new FROM item, WHERE conditions and joins.
        """
        if limit == math.inf:
            return from_sql, where_sql, joins
        if from_sql is None:
            raise UnsupportedConstruct("ROWNUM condition on DUAL", "not supported")
        rows = int(limit)
        key_order = number.args["order"].copy() if number is not None else None
        if number is None and rows:
            self.ctx.nondeterminism.append("ROWNUM limit over rows in no defined order")
        if not late:
            result.set("limit", exp.Limit(expression=b.num(rows)))
            if key_order is not None:
                result.set("order", key_order)
                query.ordered = True  # Oracle returns the view's rows in the view's order
            return from_sql, where_sql, joins
        if len(sources) != 1 or joins:
            raise UnsupportedConstruct(
                "ROWNUM condition with GROUP BY/ORDER BY/DISTINCT over a join",
                "not supported (only a single row source)",
            )
        alias = sources[0].source.alias
        inner = exp.Select(expressions=[exp.Column(this=exp.Star(), table=exp.to_identifier(alias))])
        inner.set("from_", exp.From(this=from_sql))
        if where_sql:
            inner.set("where", exp.Where(this=b.and_(*where_sql)))
        if key_order is not None:
            inner.set("order", key_order)
        inner.set("limit", exp.Limit(expression=b.num(rows)))
        wrapped = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        return wrapped, [], joins

    def _expose_order(self, sel: exp.Select, tr: ExprTranslator, result: exp.Select,
                      query: QueryResult) -> None:
        """Add the ORDER BY keys as hidden columns so an outer ROWNUM can number in that order."""
        items = sel.expressions
        aliases = {i.alias.upper(): i.this for i in items if isinstance(i, exp.Alias)}
        plain = [i.this if isinstance(i, exp.Alias) else i for i in items]
        for ordered_key in sel.args["order"].expressions:
            key = ordered_key.this
            position = literal_int(key)
            if position is not None:
                if not 1 <= position <= len(items) or isinstance(plain[position - 1], exp.Star):
                    raise UnsupportedConstruct("ORDER BY position", "out of range")
                key = plain[position - 1]
            elif isinstance(key, exp.Column) and not key.table and key.name.upper() in aliases:
                key = aliases[key.name.upper()]
            if sel.args.get("distinct") is not None and key not in plain:
                raise UnsupportedConstruct("ORDER BY of a DISTINCT view", "key not selected")
            name = self.ctx.fresh("key")
            result.expressions.append(exp.Alias(this=tr.tx(key).sql, alias=exp.to_identifier(name)))
            desc = bool(ordered_key.args.get("desc"))
            nulls_first = ordered_key.args.get("nulls_first")
            query.order_keys.append((name, desc, desc if nulls_first is None else nulls_first))
        query.hidden = tuple(name for name, _, _ in query.order_keys)

    def _from_items(self, sel: exp.Select) -> list[exp.Expr]:
        from_ = sel.args.get("from_")
        if from_ is None:
            raise UnsupportedConstruct("SELECT without FROM", "not Oracle syntax (use DUAL)")
        return [from_.this] + [join.this for join in sel.args.get("joins") or []]

    def _source(self, node: exp.Expr, scope: Scope, *, expose_order: bool) -> _Source:
        if isinstance(node, exp.Table):
            check_args(node, {"this", "alias", "db"})
            if not isinstance(node.this, exp.Identifier):
                raise UnsupportedConstruct(f"{node.sql(dialect='oracle')} in FROM",
                                           "only tables, views and subqueries")
            name = node.name.upper()
            alias = node.alias.upper() if node.alias else name
            if node.this.quoted and name != node.name and scope.cte(name) is None:
                raise UnsupportedConstruct(
                    f'table "{node.name}"',
                    "a quoted non-upper-case name is case-sensitive in Oracle but not in DuckDB",
                )
            if node.args.get("alias") is not None and node.args["alias"].columns:
                raise UnsupportedConstruct("table alias column list", "not Oracle syntax")
            if name == "DUAL" and not node.args.get("db"):
                return _Source(None, Source(alias, {}))
            cte = None if node.args.get("db") else scope.cte(name)
            if cte is not None:
                columns = cte.columns
                hidden = cte.hidden
            else:
                columns = self.ctx.schema.get(name)
                hidden = ()
            # A schema prefix (APPS.) names the same table in the embedded database.
            table = exp.Table(this=exp.to_identifier(name))
            if node.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
            return _Source(table, Source(alias, dict(columns) if columns is not None else None,
                                         hidden, table=None if cte is not None else name))
        if isinstance(node, exp.Subquery):
            check_args(node, {"this", "alias"})
            if node.args.get("alias") is not None and node.args["alias"].columns:
                raise UnsupportedConstruct("inline view column list", "not Oracle syntax")
            alias = node.alias.upper() if node.alias else self.ctx.fresh("view")
            # An inline view sees the block's WITH names but not its sibling FROM items.
            view_scope = Scope(parent=scope.parent, ctes=scope.ctes)
            inner = self.query(node.this, view_scope, expose_order=expose_order)
            view = exp.Subquery(this=inner.sql, alias=exp.TableAlias(this=exp.to_identifier(alias)))
            columns = None if inner.open_columns else _column_map(inner)
            return _Source(view, Source(alias, columns, inner.hidden), inner.order_keys)
        raise UnsupportedConstruct(f"{type(node).__name__} in FROM", "not supported")

    def _joins(
        self, sel: exp.Select, sources: list[_Source], where: list[exp.Expr], tr: ExprTranslator
    ) -> tuple[exp.Expr | None, list[exp.Join], list[exp.Expr]]:
        """FROM item, joins and remaining WHERE conditions; (+) conditions become LEFT JOINs."""
        joins = sel.args.get("joins") or []
        ansi = [j for j in joins if j.args.get("on") or j.args.get("using") or j.side or j.kind
                or j.args.get("method")]
        marked = [c for c in where if outer_joins.has_join_mark(c)]
        by_alias = {s.source.alias: s for s in sources}
        if marked and ansi:
            raise UnsupportedConstruct("(+) together with ANSI JOIN", "an Oracle error (ORA-25156)")
        if marked:
            plan = outer_joins.plan(where, [s.source.alias for s in sources], tr.scope.owner)
            order = [a for a in plan.order if by_alias[a].sql is not None]
            if not order:
                raise UnsupportedConstruct("(+) on DUAL", "not supported")
            out_joins = []
            for alias in order[1:]:
                sql = by_alias[alias].sql.copy()
                if alias in plan.on:
                    on = b.and_(*(condition(tr, c) for c in plan.on[alias]))
                    out_joins.append(exp.Join(this=sql, side="LEFT", on=on))
                else:
                    out_joins.append(exp.Join(this=sql, kind="CROSS"))
            if any(by_alias[a].sql is None for a in plan.on):
                raise UnsupportedConstruct("(+) on DUAL", "not supported")
            return by_alias[order[0]].sql.copy(), out_joins, plan.where
        first = None
        out_joins = []
        for source, join in zip(sources, [None, *joins], strict=True):
            ansi_join = join is not None and join in ansi
            if source.sql is None or first is None:
                if ansi_join:
                    raise UnsupportedConstruct(
                        "ANSI JOIN with DUAL or after DUAL", "not supported"
                    )
                if source.sql is not None:
                    first = source.sql
                continue
            out_joins.append(self._join(source, join, tr))
        return first, out_joins, where

    def _join(self, source: _Source, join: exp.Join, tr: ExprTranslator) -> exp.Join:
        check_args(join, {"this", "on", "side", "kind", "using", "method"})
        method = (join.args.get("method") or "").upper()
        side = (join.side or "").upper()
        kind = (join.kind or "").upper()
        if method not in ("", "NATURAL") or kind not in ("", "INNER", "OUTER", "CROSS"):
            raise UnsupportedConstruct(f"{method} {side} {kind} JOIN".strip(), "not supported")
        out = exp.Join(this=source.sql.copy())
        if side:
            out.set("side", side)
        if kind in ("INNER", "CROSS"):
            out.set("kind", kind)
        if method:
            out.set("method", method)
        if join.args.get("on") is not None:
            out.set("on", condition(tr, join.args["on"]))
        if join.args.get("using"):
            out.set("using", [exp.to_identifier(u.name) for u in join.args["using"]])
        return out


def _column_map(result: QueryResult) -> dict[str, Kind]:
    columns: dict[str, Kind] = {}
    seen: set[str] = set()
    for name, kind in result.columns:
        if name is None:
            continue
        columns[name] = Kind.UNKNOWN if name in seen else kind
        seen.add(name)
    for name in result.hidden:
        columns[name] = Kind.UNKNOWN
    return columns

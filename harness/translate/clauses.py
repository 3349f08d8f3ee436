"""Clauses of a query block: select list, GROUP BY, FETCH/OFFSET, and alias visibility."""

from __future__ import annotations

from sqlglot import exp

from . import build as b
from .context import Context
from .errors import UnsupportedConstruct
from .expressions import ExprTranslator, literal_int
from .kinds import Kind
from .rownum import block_nodes
from .scope import Scope

_NON_VALUES = (Kind.BOOLEAN, Kind.INTERVAL_DS, Kind.INTERVAL_YM)


def check_args(node: exp.Expr, allowed: set[str]) -> None:
    """Refuse any clause of ``node`` outside ``allowed`` (default deny for syntax)."""
    for key, value in node.args.items():
        if key in allowed or value in (None, False, [], ""):
            continue
        raise UnsupportedConstruct(
            f"{key.rstrip('_').upper()} clause", "not supported in this translation"
        )


def fetch(ctx: Context, node: exp.Expr, target: exp.Expr, has_order: bool) -> None:
    """FETCH FIRST n ROWS ONLY / OFFSET n ROWS (applied after ORDER BY, as in Oracle)."""
    limit, offset = node.args.get("limit"), node.args.get("offset")
    if limit is not None:
        if not isinstance(limit, exp.Fetch):
            raise UnsupportedConstruct("LIMIT", "not Oracle syntax (use FETCH FIRST)")
        options = limit.args.get("limit_options")
        if options is not None and (options.args.get("percent") or options.args.get(
                "with_ties")):
            raise UnsupportedConstruct(
                "FETCH ... PERCENT / WITH TIES", "not supported (DuckDB has no WITH TIES)"
            )
        count = limit.args.get("count")
        rows = 1 if count is None else literal_int(count)
        if rows is None or rows < 0:
            raise UnsupportedConstruct("FETCH FIRST n", "n must be a non-negative integer")
        target.set("limit", exp.Limit(expression=b.num(rows)))
        if not has_order and rows:
            ctx.nondeterminism.append("FETCH FIRST without ORDER BY")
    if offset is not None:
        skip = literal_int(offset.expression)
        if skip is None or skip < 0:
            raise UnsupportedConstruct("OFFSET n", "n must be a non-negative integer")
        target.set("offset", exp.Offset(expression=b.num(skip)))
        if not has_order:
            ctx.nondeterminism.append("OFFSET without ORDER BY")


def check_alias_use(sel: exp.Select, scope: Scope) -> None:
    """Oracle resolves WHERE/GROUP BY/HAVING names to columns only, never select aliases."""
    aliases = {
        item.alias.upper(): item.this
        for item in sel.expressions
        if isinstance(item, exp.Alias)
    }
    for key in ("where", "group", "having"):
        clause = sel.args.get(key)
        if clause is None:
            continue
        for node in block_nodes(clause):
            if not isinstance(node, exp.Column) or node.table:
                continue
            name = node.name.upper()
            target = aliases.get(name)
            same_column = isinstance(target, exp.Column) and target.name.upper() == name
            if target is not None and not same_column and not scope.has_column(name):
                raise UnsupportedConstruct(
                    f"{name} in {key.upper()}",
                    "names a select-list alias, which Oracle does not see there (or a column"
                    " the schema does not list)",
                )


def select_list(
    sel: exp.Select, tr: ExprTranslator, scope: Scope
) -> tuple[list[exp.Expr], list[tuple[str | None, Kind]], bool]:
    """The select items, their output (name, kind) and whether ``*`` hid unknown columns."""
    items: list[exp.Expr] = []
    columns: list[tuple[str | None, Kind]] = []
    open_columns = False
    for item in sel.expressions:
        if isinstance(item, exp.Star) or (
            isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
        ):
            alias = item.table.upper() if isinstance(item, exp.Column) and item.table else None
            if alias is not None and alias not in scope.sources:
                raise UnsupportedConstruct(f"{alias}.*", f"no table {alias} in FROM")
            expanded = [scope.sources[alias]] if alias else list(scope.sources.values())
            hidden = tuple(h for s in expanded for h in s.hidden)
            star = exp.Star(except_=[exp.column(h) for h in hidden] if hidden else None)
            items.append(
                exp.Column(this=star, table=exp.to_identifier(alias)) if alias else star
            )
            for source in expanded:
                if source.columns is None:
                    open_columns = True
                    continue
                columns.extend(
                    (n, k) for n, k in source.columns.items() if n not in source.hidden
                )
            continue
        expression = item.this if isinstance(item, exp.Alias) else item
        value = tr.tx(expression)
        if value.kind in _NON_VALUES:
            raise UnsupportedConstruct(
                f"select item {expression.sql(dialect='oracle')[:60]}",
                f"a {value.kind.value} is not a value Oracle can select",
            )
        if isinstance(item, exp.Alias):
            name = item.alias.upper()
            items.append(exp.Alias(this=value.sql, alias=exp.to_identifier(name)))
        else:
            name = expression.name.upper() if isinstance(expression, exp.Column) else None
            items.append(value.sql)
        columns.append((name, value.kind))
    return items, columns, open_columns


def group_by(group: exp.Group, tr: ExprTranslator) -> exp.Group:
    check_args(group, {"expressions", "rollup", "cube", "grouping_sets"})
    out = exp.Group()
    for key in ("expressions", "rollup", "cube", "grouping_sets"):
        values = group.args.get(key) or []
        translated = []
        for value in values:
            if literal_int(value) is not None:
                raise UnsupportedConstruct(
                    "GROUP BY <number>", "Oracle groups by the constant, DuckDB by position"
                )
            translated.append(_group_item(value, tr))
        if translated:
            out.set(key, translated)
    return out


def groups_of_rows_only(group: exp.Group, having: exp.Expr | None) -> exp.Expr | None:
    """The translated ``having`` AND-ed with ``COUNT(*) > 0`` when ``group`` can form a group
    of no rows; ``having`` unchanged otherwise.

    Oracle returns one row per group whenever there is a GROUP BY clause (SQL Language
    Reference 19c, SELECT, group_by_clause: "Oracle applies the aggregate functions to each
    group of rows and returns a single result row for each group"), so over an empty input
    ``GROUP BY ()``, ROLLUP, CUBE and GROUPING SETS with ``()`` return no row, where DuckDB
    returns a grand total of the empty set. Every group of a non-empty input has rows, so the
    conjunct removes only that grand total. A plain grouping item (``GROUP BY a, ()``) is in
    every grouping set, so no group of no rows can form and nothing is added.
    """
    items = [v for key in ("expressions", "rollup", "cube", "grouping_sets")
             for v in group.args.get(key) or []]
    composite = exp.Rollup | exp.Cube | exp.GroupingSets
    if any(not isinstance(v, composite) and not _is_empty_set(v) for v in items):
        return having
    has_rows = b.gt(b.call("count", exp.Star()), b.num(0))
    return has_rows if having is None else b.and_(having, has_rows)


def _is_empty_set(value: exp.Expr) -> bool:
    return isinstance(value, exp.Tuple) and not value.expressions


def _group_item(value: exp.Expr, tr: ExprTranslator) -> exp.Expr:
    if isinstance(value, exp.Rollup | exp.Cube | exp.GroupingSets | exp.Tuple):
        copy = type(value)(
            expressions=[_group_item(v, tr) for v in value.expressions]
        )
        return copy
    return tr.tx(value).sql

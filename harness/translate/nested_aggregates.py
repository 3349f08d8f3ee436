"""Nested aggregates (``MAX(SUM(x)) ... GROUP BY g``) rewritten as an aggregate over a view.

Oracle evaluates the inner aggregates once per group of the GROUP BY and aggregates their
values again into one row (SQL Language Reference, "Aggregate Functions": "you can nest
aggregate functions ... the inner aggregate is evaluated for each group defined by the GROUP BY
clause, and the results are aggregated again"). Every aggregate at the top of the select list
is then an outer aggregate over the groups: ``MAX(dept)`` next to ``MAX(AVG(salary))`` is the
largest group key. DuckDB has no nesting, so the block becomes

    SELECT MAX(n1), MAX(n2) FROM (SELECT SUM(x) AS n1, g AS n2 FROM ... GROUP BY g HAVING ...)

which has the same meaning, and one row even when there are no groups (aggregates over no
rows). Forms Oracle rejects or that this rewrite does not cover are refused: nesting without
GROUP BY (ORA-00978), a column outside the aggregates, ORDER BY, DISTINCT, analytic functions.
"""

from __future__ import annotations

from sqlglot import exp

from .context import Context
from .errors import UnsupportedConstruct
from .registry import AGGREGATES


def _is_aggregate(node: exp.Expr) -> bool:
    return (isinstance(node, exp.Anonymous) and node.name.upper() in AGGREGATES
            and not isinstance(node.parent, exp.Window))


def _outer_aggregates(item: exp.Expr) -> list[exp.Anonymous]:
    """Aggregate calls of a select item that no other aggregate encloses (same block)."""
    found: list[exp.Anonymous] = []

    def walk(node: exp.Expr) -> None:
        if isinstance(node, exp.Subquery | exp.Select):
            return
        if _is_aggregate(node):
            found.append(node)  # type: ignore[arg-type]
            return
        for child in node.iter_expressions():
            walk(child)

    walk(item)
    return found


def _has_nested(call: exp.Anonymous) -> bool:
    return any(_outer_aggregates(arg) for arg in call.expressions)


def unnest_aggregates(sel: exp.Select, ctx: Context) -> exp.Select:
    """``sel`` with nested aggregates moved into an inline view, or ``sel`` unchanged."""
    outer_calls = [call for item in sel.expressions for call in _outer_aggregates(item)]
    if not any(_has_nested(call) for call in outer_calls):
        return sel
    if sel.args.get("group") is None:
        raise UnsupportedConstruct("nested aggregate without GROUP BY",
                                   "an error in Oracle (ORA-00978)")
    for key in ("order", "distinct", "limit", "offset", "connect", "start"):
        if sel.args.get(key):
            raise UnsupportedConstruct(f"nested aggregate with {key.upper()}", "not supported")
    if any(isinstance(n, exp.Window) for item in sel.expressions for n in item.walk()):
        raise UnsupportedConstruct("nested aggregate with an analytic function", "not supported")
    outer_items = [item.copy() for item in sel.expressions]
    inner_items: list[exp.Expr] = []
    for item in outer_items:
        for call in _outer_aggregates(item):
            for arg in list(call.expressions):
                target = arg.expressions[0] if isinstance(arg, exp.Distinct) else arg
                if isinstance(target, exp.Star):
                    continue
                name = ctx.fresh("nested")
                inner_items.append(exp.alias_(target.copy(), name))
                target.replace(exp.column(name))
        value = item.this if isinstance(item, exp.Alias) else item
        stray = [c for c in value.find_all(exp.Column)
                 if not c.name.startswith("__SQLGATE_NESTED")]
        if stray:
            raise UnsupportedConstruct(
                f"column {stray[0].sql(dialect='oracle')} outside the nested aggregates",
                "an error in Oracle (ORA-00979: not a GROUP BY expression)",
            )
    if not inner_items:
        inner_items.append(exp.alias_(exp.Literal.number(1), ctx.fresh("nested")))
    inner = sel.copy()
    inner.set("with_", None)
    inner.set("expressions", inner_items)
    view = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(ctx.fresh("view"))))
    outer = exp.Select(expressions=outer_items)
    outer.set("from_", exp.From(this=view))
    if sel.args.get("with_") is not None:
        outer.set("with_", sel.args["with_"].copy())
    return outer

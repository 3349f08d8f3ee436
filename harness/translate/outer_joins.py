"""Oracle's old-style outer joins: AND-ed WHERE conditions with (+) become ANSI LEFT JOINs.

A condition whose columns marked (+) all belong to table T makes T the optional side: the
condition moves to T's ON clause (constant filters such as ``T.status(+) = 'A'`` included),
and T is LEFT JOINed after the one table it is joined to. Conditions without (+) stay in
WHERE, which is Oracle's meaning too (they filter after the outer join). Forms Oracle rejects
or that do not map onto a chain of LEFT JOINs are refused: (+) under OR/NOT/IN or with a
subquery, a table outer-joined to two tables, cycles, and mixing with ANSI JOIN syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from .errors import UnsupportedConstruct
from .rownum import block_nodes

_FORBIDDEN = (exp.Or, exp.Not, exp.In, exp.Subquery, exp.Exists, exp.Select, exp.Any, exp.All)


def _is_quantifier_call(node: exp.Expr) -> bool:
    """``ANY/SOME/ALL (list)``, which sqlglot reads as a call: OR/AND-ed comparisons."""
    return isinstance(node, exp.Anonymous) and node.name.upper() in {"ANY", "SOME", "ALL"}


def has_join_mark(node: exp.Expr) -> bool:
    return any(isinstance(n, exp.Column) and n.args.get("join_mark") for n in block_nodes(node))


@dataclass
class JoinPlan:
    """Row sources in join order, ON conditions of the outer-joined ones, and what stays in WHERE."""

    order: list[str]
    on: dict[str, list[exp.Expr]] = field(default_factory=dict)
    where: list[exp.Expr] = field(default_factory=list)


def _unmarked(condition: exp.Expr) -> exp.Expr:
    copy = condition.copy()
    for column in copy.find_all(exp.Column):
        column.set("join_mark", None)
    return copy


def plan(
    conditions: list[exp.Expr], aliases: list[str], owner: Callable[[exp.Column], str | None]
) -> JoinPlan:
    """Plan the joins for FROM items ``aliases`` (in FROM order) and WHERE ``conditions``."""
    result = JoinPlan(order=[])
    drivers: dict[str, set[str]] = {}
    for condition in conditions:
        if not has_join_mark(condition):
            result.where.append(condition)
            continue
        text = condition.sql(dialect="oracle")
        if any(isinstance(n, _FORBIDDEN) or _is_quantifier_call(n) for n in condition.walk()):
            raise UnsupportedConstruct(
                f"(+) condition {text}", "(+) with OR, NOT, IN or a subquery is an Oracle error"
            )
        marked, others = set(), set()
        for column in condition.find_all(exp.Column):
            alias = owner(column)
            if alias is None:
                raise UnsupportedConstruct(
                    f"(+) condition {text}",
                    f"cannot tell which table {column.sql(dialect='oracle')} belongs to"
                    " (qualify it or pass the schema)",
                )
            (marked if column.args.get("join_mark") else others).add(alias)
        if len(marked) != 1:
            raise UnsupportedConstruct(f"(+) condition {text}", "(+) on columns of two tables")
        (optional,) = marked
        if optional in others:
            raise UnsupportedConstruct(
                f"(+) condition {text}", "the outer-joined table appears without (+) too"
            )
        if len(others) > 1:
            raise UnsupportedConstruct(
                f"(+) condition {text}", "outer join to two tables in one condition"
            )
        result.on.setdefault(optional, []).append(_unmarked(condition))
        drivers.setdefault(optional, set()).update(others)
    for optional, driving in drivers.items():
        if len(driving) != 1:
            raise UnsupportedConstruct(
                f"(+) outer join of {optional}",
                "joined to several tables" if driving else "no join condition to another table",
            )
    parent = {optional: next(iter(driving)) for optional, driving in drivers.items()}
    result.order = [a for a in aliases if a not in parent]
    remaining = [a for a in aliases if a in parent]
    while remaining:
        ready = [a for a in remaining if parent[a] in result.order]
        if not ready:
            raise UnsupportedConstruct("(+) outer joins", "the tables outer-join each other in a cycle")
        result.order.extend(ready)
        remaining = [a for a in remaining if a not in ready]
    return result

"""ROWNUM: Oracle numbers rows as the WHERE clause accepts them, before GROUP BY and ORDER BY.

This module reads a query block's ROWNUM uses; the query translator then emits a LIMIT (in an
inner query when later stages must see only the limited rows) and, when the rows come from an
ordered inline view, numbers them in that view's order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp

from .errors import UnsupportedConstruct

_QUERY_NODES = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)


def block_nodes(node: exp.Expr) -> Iterator[exp.Expr]:
    """All nodes under ``node`` that belong to the same query block (not nested queries)."""
    yield node
    for child in node.iter_expressions():
        if isinstance(child, _QUERY_NODES):
            continue
        yield from block_nodes(child)


def is_rownum(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.upper() == "ROWNUM"


def mentions_rownum(node: exp.Expr) -> bool:
    return any(is_rownum(n) for n in block_nodes(node))


def conjuncts(condition: exp.Expr | None) -> list[exp.Expr]:
    """The AND-ed parts of a condition (through parentheses)."""
    if condition is None:
        return []
    if isinstance(condition, exp.Paren) and isinstance(condition.this, exp.And):
        return conjuncts(condition.this)
    if isinstance(condition, exp.And):
        return conjuncts(condition.this) + conjuncts(condition.expression)
    return [condition]


_FLIP = {exp.LT: exp.GT, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.GTE: exp.LTE,
         exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}


def _number(node: exp.Expr) -> float | None:
    negate = False
    while isinstance(node, exp.Neg | exp.Paren):
        negate ^= isinstance(node, exp.Neg)
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        return -float(node.this) if negate else float(node.this)
    return None


def _rows_kept(op: type[exp.Expr], n: float) -> float:
    """How many rows survive ``ROWNUM op n`` (math.inf: no restriction).

    ROWNUM only advances when a row is accepted, so a condition false for ROWNUM = 1 rejects
    every row: ``ROWNUM > 1`` and ``ROWNUM = 2`` return nothing.
    """
    if op is exp.LTE:
        return max(math.floor(n), 0)
    if op is exp.LT:
        return max(math.ceil(n) - 1, 0)
    if op is exp.EQ:
        return 1 if n == 1 else 0
    if op is exp.GTE:
        return math.inf if n <= 1 else 0
    if op is exp.GT:
        return math.inf if n < 1 else 0
    # <>: rows pass until ROWNUM reaches n, then every later row gets n and fails.
    return n - 1 if n.is_integer() and n >= 1 else math.inf


def _condition_limit(condition: exp.Expr) -> float:
    if isinstance(condition, exp.Paren):
        return _condition_limit(condition.this)
    if isinstance(condition, exp.Between) and is_rownum(condition.this):
        low, high = _number(condition.args["low"]), _number(condition.args["high"])
        if low is not None and high is not None:
            return min(_rows_kept(exp.GTE, low), _rows_kept(exp.LTE, high))
    if type(condition) in _FLIP:
        op: type[exp.Expr] = type(condition)
        left, right = condition.this, condition.expression
        if is_rownum(right) and not is_rownum(left):
            left, right, op = right, left, _FLIP[op]
        n = _number(right)
        if is_rownum(left) and n is not None:
            return _rows_kept(op, n)
    raise UnsupportedConstruct(
        f"ROWNUM condition {condition.sql(dialect='oracle')}",
        "only ROWNUM compared with a number literal, AND-ed with the other conditions",
    )


@dataclass
class RownumUse:
    """How one query block uses ROWNUM."""

    limit: float = math.inf  # rows its ROWNUM conditions keep (inf: not restricted)
    filtered: bool = False  # it has a ROWNUM condition
    numbered: bool = False  # it selects ROWNUM (in the select list)
    other_conditions: list[exp.Expr] = field(default_factory=list)


def analyze(select: exp.Select) -> RownumUse | None:
    """ROWNUM use of ``select``'s own block, or ``None`` when it has none."""
    use = RownumUse()
    found = False
    for condition in conjuncts(select.args.get("where") and select.args["where"].this):
        if mentions_rownum(condition):
            use.limit = min(use.limit, _condition_limit(condition))
            use.filtered = found = True
        else:
            use.other_conditions.append(condition)
    for item in select.expressions:
        if mentions_rownum(item):
            use.numbered = found = True
    for key in ("group", "having", "order", "joins", "connect"):
        value = select.args.get(key)
        values = value if isinstance(value, list) else [value]
        if any(v is not None and mentions_rownum(v) for v in values):
            raise UnsupportedConstruct(f"ROWNUM in {key.upper()}", "not supported")
    return use if found else None

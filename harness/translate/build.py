"""Small builders for the DuckDB syntax trees that the translator emits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlglot import exp

# Nodes that print as one token or a self-delimited group, so never need parentheses.
_ATOMIC = (
    exp.Column,
    exp.Literal,
    exp.Null,
    exp.Anonymous,
    exp.Paren,
    exp.Cast,
    exp.Case,
    exp.Subquery,
    exp.Identifier,
    exp.Star,
    exp.Window,
    exp.Boolean,
    exp.Array,
)


def paren(node: exp.Expr) -> exp.Expr:
    """``node`` wrapped in parentheses unless it is atomic, so operator precedence is explicit."""
    return node if isinstance(node, _ATOMIC) else exp.Paren(this=node)


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A DuckDB function call printed verbatim as ``name(args...)``."""
    return exp.Anonymous(this=name, expressions=list(args))


def num(value: int | float | str) -> exp.Literal:
    """A numeric literal."""
    return exp.Literal.number(value)


def text(value: str) -> exp.Literal:
    """A string literal (DuckDB side: never subject to the Oracle '' → NULL rule)."""
    return exp.Literal.string(value)


def null() -> exp.Null:
    """The NULL literal."""
    return exp.Null()


def binary(kind: type[exp.Binary], left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """A binary operator node with both operands parenthesized when needed."""
    return kind(this=paren(left), expression=paren(right))


def add(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.Add, left, right)


def sub(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.Sub, left, right)


def mul(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.Mul, left, right)


def div(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.Div, left, right)


def eq(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.EQ, left, right)


def lt(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.LT, left, right)


def lte(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.LTE, left, right)


def gt(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.GT, left, right)


def gte(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return binary(exp.GTE, left, right)


def and_(*conditions: exp.Expr) -> exp.Expr:
    """The conjunction of ``conditions`` (at least one)."""
    result = paren(conditions[0])
    for condition in conditions[1:]:
        result = exp.And(this=result, expression=paren(condition))
    return result


def or_(*conditions: exp.Expr) -> exp.Expr:
    """The disjunction of ``conditions`` (at least one)."""
    result = paren(conditions[0])
    for condition in conditions[1:]:
        result = exp.Or(this=result, expression=paren(condition))
    return result


def not_(condition: exp.Expr) -> exp.Expr:
    return exp.Not(this=paren(condition))


def is_null(value: exp.Expr) -> exp.Expr:
    return exp.Is(this=paren(value), expression=exp.Null())


def is_not_null(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=is_null(value))


def case(whens: list[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Case:
    """``CASE WHEN c1 THEN v1 ... ELSE default END``."""
    return exp.Case(
        ifs=[exp.If(this=condition, true=value) for condition, value in whens], default=default
    )


def cast(value: exp.Expr, type_sql: str) -> exp.Cast:
    """``CAST(value AS type_sql)`` with a DuckDB type name."""
    return exp.Cast(this=value, to=exp.DataType.build(type_sql, dialect="duckdb"))


def nullif_empty(value: exp.Expr) -> exp.Expr:
    """``NULLIF(value, '')``: Oracle has no empty string, a string function yielding '' is NULL."""
    return call("NULLIF", value, text(""))


def error(message: str) -> exp.Anonymous:
    """A DuckDB ``error()`` call: raises at run time, the way Oracle raises ``message``."""
    return call("error", text(message))


def timestamp(value: datetime) -> exp.Cast:
    """A TIMESTAMP literal for ``value`` (second or microsecond precision)."""
    return cast(text(value.isoformat(sep=" ")), "TIMESTAMP")


def int_of(value: exp.Expr, type_sql: str = "BIGINT") -> exp.Cast:
    """``value`` truncated toward zero to an integer, as Oracle truncates integer arguments."""
    return cast(call("trunc", value), type_sql)


def let(value: exp.Expr, name: str, body: Callable[[exp.Column], exp.Expr]) -> exp.Expr:
    """``body`` with ``value`` computed once: ``list_transform([value], lambda name: body)[1]``.

    Keeps nested rewrites linear in size where a value is used many times. ``name`` must not
    be used by an enclosing ``let`` whose parameter ``body`` refers to.
    """
    param = exp.column(name)
    return call(
        "list_extract",
        call("list_transform", exp.Array(expressions=[value]),
             exp.Lambda(this=body(param), expressions=[exp.to_identifier(name)])),
        num(1),
    )

"""Oracle numeric functions: ROUND/TRUNC on numbers, MOD, ABS, CEIL, FLOOR, SIGN, POWER, ..."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct
from .kinds import Kind, Typed
from .registry import function

if TYPE_CHECKING:
    from .expressions import ExprTranslator

_NUMERIC_ARG = (Kind.NUMBER, Kind.UNKNOWN, Kind.NULL)


def number_args(tr: ExprTranslator, node: exp.Anonymous, low: int, high: int) -> list[Typed]:
    """Translated arguments that must all be numbers."""
    values = tr.args(node, low, high)
    for value in values:
        if value.kind not in _NUMERIC_ARG:
            raise UnsupportedConstruct(
                f"{node.name.upper()} of a {value.kind.value}",
                "Oracle would convert implicitly; not mirrored",
            )
    return values


def places(value: Typed) -> exp.Expr:
    """The decimal-places argument of ROUND/TRUNC: Oracle truncates it to an integer."""
    if isinstance(value.sql, exp.Literal):
        return b.num(int(float(value.sql.this)))
    return b.cast(b.call("trunc", value.sql), "INTEGER")


# DuckDB's ROUND/TRUNC of a DECIMAL need the places as a constant; a non-literal count of
# places is dispatched over this range (currency precisions and every scale stored here).
_PLACES_RANGE = range(-12, 13)


def _at_places(name: str, value: Typed, digits: Typed) -> exp.Expr:
    """``name(value, d)`` for Oracle's ROUND/TRUNC at ``d`` places.

    A literal ``d`` is passed through. A computed one (``ROUND(amount, c.precision)``) is
    matched against each constant of _PLACES_RANGE, because DuckDB's decimal ROUND/TRUNC
    accept only a constant (casting to DOUBLE instead would round binary ties wrongly); a NULL
    ``d`` gives NULL as in Oracle, one outside the range raises.
    """
    if isinstance(digits.sql, exp.Literal):
        return b.call(name, value.sql, places(digits))
    from .exact import COMMON_NUMBER_TYPE

    # Each branch has its own DECIMAL scale; one common type keeps DuckDB from unifying them
    # to the smallest scale.
    return b.let(places(digits), "__sqlgate_p", lambda p: b.case(
        [(b.is_null(p.copy()), b.null()),
         *((b.eq(p.copy(), b.num(k)),
            b.cast(b.call(name, value.copy(), b.num(k)), COMMON_NUMBER_TYPE))
           for k in _PLACES_RANGE)],
        b.error(f"{name.upper()} to a computed number of places outside "
                f"{_PLACES_RANGE.start}..{_PLACES_RANGE.stop - 1} is not supported"),
    ))


def round_number(value: Typed, digits: Typed | None) -> exp.Expr:
    """Oracle ROUND(n[, d]): half away from zero (DuckDB's round does the same)."""
    if digits is None:
        return b.call("round", value.sql)
    return _at_places("round", value, digits)


def trunc_number(value: Typed, digits: Typed | None) -> exp.Expr:
    """Oracle TRUNC(n[, d]): toward zero at d decimal places (d may be negative)."""
    if digits is None:
        return b.call("trunc", value.sql)
    return _at_places("trunc", value, digits)


@function("MOD")
def _mod(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """MOD(m, n): sign of m (as DuckDB's %), and MOD(m, 0) = m (DuckDB raises)."""
    dividend, divisor = number_args(tr, node, 2, 2)
    result = b.case(
        [(b.eq(divisor.sql, b.num(0)), dividend.copy())],
        exp.Mod(this=b.paren(dividend.sql), expression=b.paren(divisor.copy())),
    )
    return Typed(result, Kind.NUMBER)


@function("ABS", "CEIL", "FLOOR", "SIGN", "EXP")
def _unary(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    (value,) = number_args(tr, node, 1, 1)
    return Typed(b.call(node.name.lower(), value.sql), Kind.NUMBER)


def _guarded(test: exp.Expr, message: str, result: exp.Expr) -> exp.Expr:
    return b.case([(test, b.error(message))], result)


@function("SQRT")
def _sqrt(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    (value,) = number_args(tr, node, 1, 1)
    result = _guarded(
        b.lt(value.sql, b.num(0)), "ORA-01428: argument is out of range",
        b.call("sqrt", value.copy()),
    )
    return Typed(result, Kind.NUMBER)


@function("LN")
def _ln(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    (value,) = number_args(tr, node, 1, 1)
    result = _guarded(
        b.lte(value.sql, b.num(0)), "ORA-01428: argument is out of range",
        b.call("ln", value.copy()),
    )
    return Typed(result, Kind.NUMBER)


@function("POWER")
def _power(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """POWER(m, n): a negative m needs an integral n in Oracle (else an error)."""
    base, exponent = number_args(tr, node, 2, 2)
    invalid = b.and_(
        b.lt(base.sql, b.num(0)),
        exp.NEQ(this=b.paren(exponent.sql), expression=b.call("trunc", exponent.copy())),
    )
    result = _guarded(
        invalid, "ORA-01428: argument is out of range",
        b.call("power", base.copy(), exponent.copy()),
    )
    return Typed(result, Kind.NUMBER)

"""Arithmetic operators with Oracle's date rules: DATE ± n days, DATE - DATE in days, / by 0."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .dates import days_between, plus_days, plus_months_checked
from .errors import UnsupportedConstruct
from .exact import decimal_quotient
from .kinds import Kind, Storage, Typed
from .registry import node

if TYPE_CHECKING:
    from .expressions import ExprTranslator

_NUMERIC = (Kind.NUMBER, Kind.NULL)


def _refuse(op: str, left: Typed, right: Typed, reason: str) -> UnsupportedConstruct:
    return UnsupportedConstruct(f"{left.kind.value} {op} {right.kind.value}", reason)


def _check_operand(op: str, value: Typed, other: Typed) -> None:
    if value.kind is Kind.STRING:
        raise _refuse(op, value, other, "Oracle converts the string to a number implicitly")
    if value.kind in (Kind.TIMESTAMP, Kind.BOOLEAN):
        raise _refuse(op, value, other, "not supported")


def _numeric(op: type[exp.Binary], left: Typed, right: Typed) -> Typed:
    return Typed(b.binary(op, left.sql, right.sql), Kind.NUMBER)


@node(exp.Add)
def _add(tr: ExprTranslator, node: exp.Add) -> Typed:
    left, right = tr.tx(node.this), tr.tx(node.expression)
    for value, other in ((left, right), (right, left)):
        _check_operand("+", value, other)
    if left.kind is not Kind.DATE and right.kind is Kind.DATE:
        left, right = right, left
    if left.kind is Kind.DATE:
        if right.kind is Kind.DATE:
            raise _refuse("+", left, right, "adding two dates is an error in Oracle")
        if right.kind is Kind.INTERVAL_DS:
            return Typed(b.add(left.sql, right.sql), Kind.DATE)
        if right.kind is Kind.INTERVAL_YM:
            return Typed(plus_months_checked(left.sql, right.sql), Kind.DATE)
        # A number of days (an unknown operand that is not a number fails in DuckDB's binder).
        return Typed(plus_days(left.sql, right.sql), Kind.DATE)
    if Kind.INTERVAL_DS in (left.kind, right.kind) or Kind.INTERVAL_YM in (left.kind, right.kind):
        raise _refuse("+", left, right, "interval arithmetic only with a DATE")
    # NUMBER/UNKNOWN operands: DuckDB rejects TIMESTAMP + number, so a date cannot slip through.
    return _numeric(exp.Add, left, right)


@node(exp.Sub)
def _sub(tr: ExprTranslator, node: exp.Sub) -> Typed:
    left, right = tr.tx(node.this), tr.tx(node.expression)
    for value, other in ((left, right), (right, left)):
        _check_operand("-", value, other)
    if left.kind is Kind.DATE:
        if right.kind is Kind.DATE:
            return Typed(days_between(left.sql, right.sql), Kind.NUMBER)
        if right.kind in _NUMERIC:
            return Typed(plus_days(left.sql, exp.Neg(this=b.paren(right.sql))), Kind.DATE)
        if right.kind is Kind.INTERVAL_DS:
            return Typed(b.sub(left.sql, right.sql), Kind.DATE)
        if right.kind is Kind.INTERVAL_YM:
            return Typed(plus_months_checked(left.sql, exp.Neg(this=b.paren(right.sql))),
                         Kind.DATE)
        raise _refuse(
            "-", left, right,
            "DATE - x means days if x is a number and a day count if x is a date; the schema"
            " does not say which, pass it",
        )
    if right.kind is Kind.DATE:
        if left.kind is Kind.UNKNOWN:
            # NUMBER - DATE is an error in Oracle, so the unknown operand must be a date.
            return Typed(days_between(left.sql, right.sql), Kind.NUMBER)
        raise _refuse("-", left, right, "an error in Oracle")
    if {left.kind, right.kind} & {Kind.INTERVAL_DS, Kind.INTERVAL_YM}:
        raise _refuse("-", left, right, "interval arithmetic only with a DATE")
    if left.kind is Kind.UNKNOWN and right.kind is Kind.UNKNOWN:
        # Two DuckDB TIMESTAMPs would subtract to an INTERVAL, not Oracle's number of days;
        # adding 0 makes that a binder error instead of a silently different value.
        return Typed(b.add(b.sub(left.sql, right.sql), b.num(0)), Kind.NUMBER)
    return _numeric(exp.Sub, left, right)


@node(exp.Mul)
def _mul(tr: ExprTranslator, node: exp.Mul) -> Typed:
    left, right = tr.tx(node.this), tr.tx(node.expression)
    for value, other in ((left, right), (right, left)):
        _check_operand("*", value, other)
        if value.kind not in (*_NUMERIC, Kind.UNKNOWN):
            raise _refuse("*", value, other, "an error in Oracle")
    return _numeric(exp.Mul, left, right)


@node(exp.Div)
def _div(tr: ExprTranslator, node: exp.Div) -> Typed:
    """Division: real, decimal division; a zero divisor raises as in Oracle (DuckDB gives inf)."""
    left, right = tr.tx(node.this), tr.tx(node.expression)
    for value, other in ((left, right), (right, left)):
        _check_operand("/", value, other)
        if value.kind not in (*_NUMERIC, Kind.UNKNOWN):
            raise _refuse("/", value, other, "an error in Oracle")
    # Any operator with a NULL operand gives NULL, so NULL / 0 is NULL; only a non-NULL
    # dividend over zero raises.
    divisor = b.case(
        [(b.and_(b.eq(right.sql, b.num(0)), b.is_not_null(left.copy())),
          b.error("ORA-01476: divisor is equal to zero"))],
        right.copy(),
    )
    return Typed(decimal_quotient(b.div(left.sql, divisor)), Kind.NUMBER, Storage.DECIMAL)


@node(exp.Neg)
def _neg(tr: ExprTranslator, node: exp.Neg) -> Typed:
    value = tr.tx(node.this)
    if value.kind not in (*_NUMERIC, Kind.UNKNOWN):
        raise UnsupportedConstruct(f"-{value.kind.value}", "negating a non-number")
    if isinstance(value.sql, exp.Literal):
        return Typed(b.num(f"-{value.sql.this}"), Kind.NUMBER, value.storage)
    return Typed(exp.Neg(this=b.paren(value.sql)), Kind.NUMBER, value.storage)

"""Conversions: TO_CHAR, TO_DATE, TO_TIMESTAMP, TO_NUMBER and CAST."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .datetime_format import fix_two_digit_year, parse_format, read_literal, render, strptime_plan
from .errors import UnsupportedConstruct
from .expressions import literal_str
from .kinds import Kind, Typed
from .number_format import parse_number_format, render_number
from .registry import function, node
from .strings import to_text

if TYPE_CHECKING:
    from .expressions import ExprTranslator

# Oracle's TO_NUMBER without a format: digits with an optional point and exponent, no blanks.
_NUMBER_TEXT = r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
# What an exact DECIMAL(38,10) keeps: no exponent, at most 10 places.
_EXACT_NUMBER_TEXT = r"-?(\d{1,28}(\.\d{0,10})?|\.\d{1,10})"
EXACT_NUMBER_TYPE = "DECIMAL(38,10)"


def parse_number(text: exp.Expr, *, binary: bool = False) -> exp.Expr:
    """Oracle's implicit/explicit text-to-number conversion; invalid text raises ORA-01722.

    Oracle NUMBER is decimal, so the text becomes an exact DECIMAL(38,10) (TO_NUMBER('0.1') +
    TO_NUMBER('0.2') = 0.3 holds, as in Oracle); valid text that DECIMAL(38,10) cannot hold
    exactly (an exponent, more than 10 places or 28 integer digits) raises rather than being
    rounded. ``binary`` reads it as a DOUBLE instead (CAST AS BINARY_DOUBLE).
    """
    varchar = b.cast(text, "VARCHAR")
    valid = b.call("regexp_full_match", varchar.copy(), b.text(_NUMBER_TEXT))
    if binary:
        whens = [(valid, b.cast(varchar.copy(), "DOUBLE"))]
    else:
        exact = b.call("regexp_full_match", varchar.copy(), b.text(_EXACT_NUMBER_TEXT))
        whens = [(exact, b.cast(varchar.copy(), EXACT_NUMBER_TYPE)),
                 (valid, b.error("number text with an exponent or more than 10 places is not"
                                 " read exactly"))]
    return b.case([(b.is_null(varchar.copy()), b.null()), *whens],
                  b.error("ORA-01722: invalid number"))


def _format_literal(node: exp.Expr, what: str) -> str:
    text = literal_str(node)
    if text is None:
        raise UnsupportedConstruct(what, "the format must be a string literal")
    return text


@function("TO_CHAR")
def _to_char(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """TO_CHAR(date, fmt), TO_CHAR(number[, fmt]), TO_CHAR(string)."""
    if not 1 <= len(node.expressions) <= 2:
        raise UnsupportedConstruct("TO_CHAR", "NLS parameter argument not supported")
    value = tr.tx(node.expressions[0])
    if len(node.expressions) == 1:
        if value.kind in (Kind.DATE, Kind.TIMESTAMP):
            raise UnsupportedConstruct(
                "TO_CHAR(date) without a format", "depends on NLS_DATE_FORMAT"
            )
        return Typed(to_text(tr, value, "TO_CHAR"), Kind.STRING)
    fmt = _format_literal(node.expressions[1], "TO_CHAR")
    if value.kind in (Kind.DATE, Kind.TIMESTAMP):
        return Typed(render(parse_format(fmt), value.sql), Kind.STRING)
    if value.kind in (Kind.NUMBER, Kind.NULL):
        return Typed(render_number(value.sql, parse_number_format(fmt)), Kind.STRING)
    if value.kind is Kind.UNKNOWN:
        # Decide by the format; the wrong type then fails in DuckDB's binder, not silently.
        try:
            number_format = parse_number_format(fmt)
        except UnsupportedConstruct:
            return Typed(render(parse_format(fmt), value.sql), Kind.STRING)
        return Typed(render_number(value.sql, number_format), Kind.STRING)
    raise UnsupportedConstruct(f"TO_CHAR({value.kind.value}, fmt)", "not supported")


def _to_datetime(tr: ExprTranslator, node: exp.Anonymous, kind: Kind) -> Typed:
    name = node.name.upper()
    if len(node.expressions) != 2:
        raise UnsupportedConstruct(
            f"{name} without a format (or with NLS parameters)", "depends on NLS settings"
        )
    elements = parse_format(_format_literal(node.expressions[1], name))
    source = node.expressions[0]
    text = literal_str(source)
    if text is not None:
        try:
            value = read_literal(text, elements, tr.ctx.sysdate,
                                 fractions=kind is Kind.TIMESTAMP)
        except ValueError as error:
            raise UnsupportedConstruct(
                f"{name}('{text}', ...)", f"not read exactly by the format ({error})"
            ) from error
        return Typed(b.timestamp(value), kind)
    value = tr.tx(source)
    if value.kind in (Kind.DATE, Kind.TIMESTAMP, Kind.NUMBER):
        raise UnsupportedConstruct(
            f"{name} of a {value.kind.value}", "Oracle first converts it to text with NLS settings"
        )
    strptime_format, two_digit = strptime_plan(elements)
    parsed = b.call("strptime", value.sql, b.text(strptime_format))
    if two_digit is not None:
        parsed = fix_two_digit_year(parsed, two_digit, tr.ctx.sysdate)
    return Typed(parsed, kind)


@function("TO_DATE")
def _to_date(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    return _to_datetime(tr, node, Kind.DATE)


@function("TO_TIMESTAMP")
def _to_timestamp(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    return _to_datetime(tr, node, Kind.TIMESTAMP)


@node(exp.ToNumber)
def _to_number(tr: ExprTranslator, node: exp.ToNumber) -> Typed:
    """TO_NUMBER(text) without a format model."""
    for arg in ("format", "nlsparam", "default"):
        if node.args.get(arg) is not None:
            raise UnsupportedConstruct(f"TO_NUMBER with {arg}", "not supported")
    value = tr.tx(node.this)
    if value.kind in (Kind.NUMBER, Kind.NULL):
        return Typed(value.sql, Kind.NUMBER)
    if value.kind in (Kind.STRING, Kind.UNKNOWN):
        return Typed(parse_number(value.sql), Kind.NUMBER)
    raise UnsupportedConstruct(f"TO_NUMBER of a {value.kind.value}", "not supported")


def _length_checked(text: exp.Expr, limit: int) -> exp.Expr:
    return b.case(
        [(b.gt(b.call("length", text), b.num(limit)),
          b.error("ORA-25137: data value out of range"))],
        text.copy(),
    )


def _typed_null(dtype: exp.DType, params: list[int]) -> Typed:
    """CAST(NULL AS type): a NULL of the DuckDB type that stores the Oracle type."""
    if dtype in (exp.DType.DOUBLE, exp.DType.FLOAT):
        return Typed(b.cast(b.null(), "DOUBLE"), Kind.NUMBER)
    if dtype in (exp.DType.DECIMAL, exp.DType.INT, exp.DType.SMALLINT, exp.DType.BIGINT):
        # Exact, so a UNION with stored NUMBERs stays exact (a DOUBLE would make it binary).
        return Typed(b.cast(b.null(), EXACT_NUMBER_TYPE), Kind.NUMBER)
    if dtype in (exp.DType.VARCHAR, exp.DType.NVARCHAR, exp.DType.CHAR):
        return Typed(b.cast(b.null(), "VARCHAR"), Kind.STRING)
    if dtype is exp.DType.DATE:
        return Typed(b.cast(b.null(), "TIMESTAMP"), Kind.DATE)
    raise UnsupportedConstruct(f"CAST(NULL AS {dtype.value})", "not supported")


@node(exp.Cast)
def _cast(tr: ExprTranslator, node: exp.Cast) -> Typed:
    """CAST to NUMBER[(p[,s])]/INTEGER, VARCHAR2(n)/CHAR(n), DATE (from DATE only).

    ``DEFAULT ... ON CONVERSION ERROR`` and a format model (``CAST(x AS NUMBER, 'fmt')``)
    change the result and are refused, not dropped.
    """
    from .clauses import check_args

    check_args(node, {"this", "to"})
    target = node.to
    value = tr.tx(node.this)
    params = [int(p.this.this) for p in target.expressions if isinstance(p.this, exp.Literal)]
    if len(params) != len(target.expressions):
        raise UnsupportedConstruct(f"CAST AS {target.sql(dialect='oracle')}", "unsupported type")
    dtype = target.this
    if value.kind is Kind.NULL:
        return _typed_null(dtype, params)
    numeric_source = value.kind in (Kind.NUMBER, Kind.NULL, Kind.UNKNOWN)
    if dtype in (exp.DType.DECIMAL, exp.DType.INT, exp.DType.SMALLINT, exp.DType.BIGINT):
        if value.kind is Kind.STRING:
            source = parse_number(value.sql)
        elif numeric_source:
            source = value.sql
        else:
            raise UnsupportedConstruct(f"CAST({value.kind.value} AS NUMBER)", "an error in Oracle")
        if dtype is not exp.DType.DECIMAL:
            precision, scale = 38, 0  # Oracle INTEGER is NUMBER(38)
        elif not params:
            return Typed(source, Kind.NUMBER)  # plain NUMBER keeps every digit
        else:
            precision, scale = params[0], params[1] if len(params) > 1 else 0
        if not 0 <= scale <= precision <= 38:
            raise UnsupportedConstruct(f"CAST AS NUMBER({precision},{scale})", "unsupported scale")
        return Typed(b.cast(source, f"DECIMAL({precision}, {scale})"), Kind.NUMBER)
    if dtype in (exp.DType.DOUBLE, exp.DType.FLOAT) and not params:
        if value.kind is Kind.STRING:
            return Typed(parse_number(value.sql, binary=True), Kind.NUMBER)
        if numeric_source:
            return Typed(b.cast(value.sql, "DOUBLE"), Kind.NUMBER)
    if dtype in (exp.DType.VARCHAR, exp.DType.NVARCHAR, exp.DType.CHAR) and len(params) == 1:
        text = to_text(tr, value, "CAST AS VARCHAR2")
        if dtype is exp.DType.CHAR:
            raise UnsupportedConstruct("CAST AS CHAR(n)", "blank-padded CHAR semantics")
        return Typed(_length_checked(text, params[0]), Kind.STRING)
    if dtype is exp.DType.DATE and value.kind is Kind.DATE:
        return Typed(value.sql, Kind.DATE)
    raise UnsupportedConstruct(
        f"CAST({value.kind.value} AS {target.sql(dialect='oracle')})", "not supported"
    )


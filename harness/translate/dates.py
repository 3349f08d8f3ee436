"""Oracle DATE semantics: literals, SYSDATE, TRUNC/ROUND, ADD_MONTHS, MONTHS_BETWEEN, ...

Oracle DATE values are DuckDB TIMESTAMPs with whole seconds. Every function here returns a
TIMESTAMP for a DATE, never a DuckDB DATE, so results compare like stored columns.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct
from .expressions import literal_str
from .kinds import Kind, Typed
from .numbers import round_number, trunc_number
from .registry import function, node
from .strings import int_arg

if TYPE_CHECKING:
    from .expressions import ExprTranslator

_DATE_KINDS = (Kind.DATE, Kind.TIMESTAMP)
# Oracle's calendar is Julian before 1582-10-15; DuckDB's is proleptic Gregorian.
_FIRST_GREGORIAN_YEAR = 1583


def day_start(value: exp.Expr) -> exp.Expr:
    return b.call("date_trunc", b.text("day"), value)


def time_of_day(value: exp.Expr) -> exp.Expr:
    """The time part of a timestamp, as an INTERVAL."""
    return b.sub(value, day_start(value.copy()))


def as_timestamp(value: exp.Expr) -> exp.Expr:
    return b.cast(value, "TIMESTAMP")


def plus_days(value: exp.Expr, days: exp.Expr) -> exp.Expr:
    """DATE + n: n days, fractions as time, rounded to the second as Oracle DATE keeps seconds."""
    seconds = b.call("round", b.mul(days, b.num(86400)))
    return b.add(value, b.call("to_seconds", seconds))


def days_between(later: exp.Expr, earlier: exp.Expr) -> exp.Expr:
    """DATE - DATE: a number of days, fractional."""
    return b.div(b.sub(b.call("epoch", later), b.call("epoch", earlier)), b.num(86400))


def plus_months_checked(value: exp.Expr, months: exp.Expr) -> exp.Expr:
    """DATE + INTERVAL 'n' MONTH: Oracle raises when the day does not exist in the target month."""
    shifted = b.add(value, b.call("to_months", months))
    return b.case(
        [
            (
                exp.NEQ(this=b.call("day", shifted.copy()), expression=b.call("day", value.copy())),
                b.error("ORA-01839: date not valid for month specified"),
            )
        ],
        shifted,
    )


def require_date(value: Typed, what: str) -> None:
    if value.kind not in (*_DATE_KINDS, Kind.UNKNOWN, Kind.NULL):
        raise UnsupportedConstruct(
            f"{what} of a {value.kind.value}",
            "Oracle converts it to a date with session NLS settings; use TO_DATE",
        )


def _checked_datetime(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise UnsupportedConstruct(what, f"invalid literal {text!r}") from error
    if value.year < _FIRST_GREGORIAN_YEAR:
        raise UnsupportedConstruct(what, "dates before 1583 use Oracle's Julian calendar")
    return value


@node(exp.DateStrToDate)
def _date_literal(tr: ExprTranslator, node: exp.DateStrToDate) -> Typed:
    """DATE 'YYYY-MM-DD' (midnight)."""
    text = literal_str(node.this)
    if text is None or not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        raise UnsupportedConstruct("DATE literal", "must be DATE 'YYYY-MM-DD'")
    year, month, day = (int(p) for p in text.split("-"))
    value = _checked_datetime(f"{year:04d}-{month:02d}-{day:02d}", "DATE literal")
    return Typed(b.timestamp(value), Kind.DATE)


@node(exp.TimeStrToTime)
def _timestamp_literal(tr: ExprTranslator, node: exp.TimeStrToTime) -> Typed:
    """TIMESTAMP 'YYYY-MM-DD HH24:MI:SS[.FF]' (up to microseconds)."""
    text = literal_str(node.this)
    match = text and re.fullmatch(
        r"(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?)?", text
    )
    if not match:
        raise UnsupportedConstruct(
            "TIMESTAMP literal", "must be TIMESTAMP 'YYYY-MM-DD HH24:MI:SS[.FF1-6]'"
        )
    y, mo, d, h, mi, s, frac = match.groups()
    micro = int((frac or "0").ljust(6, "0"))
    iso = f"{int(y):04d}-{int(mo):02d}-{int(d):02d} {int(h or 0):02d}:{int(mi or 0):02d}:" \
          f"{int(s or 0):02d}.{micro:06d}"
    return Typed(b.timestamp(_checked_datetime(iso, "TIMESTAMP literal")), Kind.TIMESTAMP)


@node(exp.CurrentTimestamp, exp.CurrentDate, exp.Systimestamp, exp.Localtimestamp)
def _now(tr: ExprTranslator, node: exp.Expr) -> Typed:
    """SYSDATE, CURRENT_DATE, SYSTIMESTAMP, ...: the pinned instant, for reproducible results."""
    if node.this is not None:
        raise UnsupportedConstruct(node.sql(dialect="oracle"), "precision argument unsupported")
    is_date = isinstance(node, exp.CurrentDate) or (
        isinstance(node, exp.CurrentTimestamp) and node.args.get("sysdate")
    )
    return Typed(b.timestamp(tr.ctx.sysdate), Kind.DATE if is_date else Kind.TIMESTAMP)


# TRUNC(date, fmt): format element (upper case) → how to truncate.
_TRUNC_UNITS = {
    **dict.fromkeys(("DD", "DDD", "J"), "day"),
    **dict.fromkeys(("MM", "MON", "MONTH", "RM"), "month"),
    **dict.fromkeys(("YYYY", "YEAR", "SYYYY", "YYY", "YY", "Y", "SYEAR"), "year"),
    "Q": "quarter",
    "IW": "week",  # ISO week: Monday
    **dict.fromkeys(("HH", "HH12", "HH24"), "hour"),
    "MI": "minute",
}


def _date_format_arg(node: exp.Expr | None, function_name: str) -> str:
    if node is None:
        return "DD"
    text = literal_str(node)
    if text is None:
        raise UnsupportedConstruct(f"{function_name}(date, fmt)", "fmt must be a string literal")
    return text.strip().upper()


def trunc_date(value: exp.Expr, fmt: str) -> exp.Expr:
    """Oracle TRUNC(date, fmt)."""
    if fmt in _TRUNC_UNITS:
        return b.call("date_trunc", b.text(_TRUNC_UNITS[fmt]), value)
    if fmt == "WW":  # weeks start on the weekday of January 1
        offset = b.call("mod", b.sub(b.call("dayofyear", value), b.num(1)), b.num(7))
        return plus_days(day_start(value.copy()), exp.Neg(this=b.paren(offset)))
    if fmt == "W":  # weeks start on the weekday of the 1st of the month
        offset = b.call("mod", b.sub(b.call("day", value), b.num(1)), b.num(7))
        return plus_days(day_start(value.copy()), exp.Neg(this=b.paren(offset)))
    if fmt in ("CC", "SCC"):  # centuries start in years ending in 01
        year = b.add(b.mul(b.call("floor", b.div(b.sub(b.call("year", value), b.num(1)),
                                                  b.num(100))), b.num(100)), b.num(1))
        return b.call("make_timestamp", b.cast(year, "BIGINT"), b.num(1), b.num(1), b.num(0),
                      b.num(0), b.num(0))
    raise UnsupportedConstruct(
        f"TRUNC(date, '{fmt}')", "format not supported (D/DY/DAY depend on NLS_TERRITORY)"
    )


def round_date(value: exp.Expr, fmt: str) -> exp.Expr:
    """Oracle ROUND(date, fmt): day at noon, month on the 16th, year on July 1, ..."""

    def up_if(test: exp.Expr, unit: str, step: exp.Expr) -> exp.Expr:
        start = b.call("date_trunc", b.text(unit), value.copy())
        return b.case([(test, b.add(start, step))], start.copy())

    if fmt in ("DD", "DDD", "J"):
        return up_if(b.gte(b.call("hour", value), b.num(12)), "day", b.call("to_days", b.num(1)))
    if fmt in ("MM", "MON", "MONTH", "RM"):
        return up_if(b.gte(b.call("day", value), b.num(16)), "month",
                     b.call("to_months", b.num(1)))
    if fmt in ("YYYY", "YEAR", "SYYYY", "YYY", "YY", "Y", "SYEAR"):
        return up_if(b.gte(b.call("month", value), b.num(7)), "year",
                     b.call("to_years", b.num(1)))
    if fmt == "Q":  # rounds up on the 16th day of the quarter's second month
        month_in_quarter = b.call("mod", b.sub(b.call("month", value), b.num(1)), b.num(3))
        later = b.or_(
            b.eq(month_in_quarter, b.num(2)),
            b.and_(b.eq(month_in_quarter.copy(), b.num(1)),
                   b.gte(b.call("day", value.copy()), b.num(16))),
        )
        return up_if(later, "quarter", b.call("to_months", b.num(3)))
    if fmt in ("HH", "HH12", "HH24"):
        return up_if(b.gte(b.call("minute", value), b.num(30)), "hour",
                     b.call("to_hours", b.num(1)))
    if fmt == "MI":
        return up_if(b.gte(b.call("second", value), b.num(30)), "minute",
                     b.call("to_minutes", b.num(1)))
    raise UnsupportedConstruct(f"ROUND(date, '{fmt}')", "format not supported")


def _round_or_trunc(tr: ExprTranslator, node: exp.Anonymous, *, rounding: bool) -> Typed:
    name = node.name.upper()
    if not 1 <= len(node.expressions) <= 2:
        raise UnsupportedConstruct(name, "takes 1 or 2 arguments")
    value = tr.tx(node.expressions[0])
    second = node.expressions[1] if len(node.expressions) > 1 else None
    second_value = tr.tx(second) if second is not None else None
    is_date = value.kind in _DATE_KINDS or (
        second_value is not None and second_value.kind is Kind.STRING
    )
    if value.kind is Kind.UNKNOWN and second is None:
        raise UnsupportedConstruct(
            f"{name}(x) on an expression of unknown type",
            "date and number semantics differ; pass the schema so the column type is known",
        )
    if is_date:
        require_date(value, name)
        if value.kind is Kind.TIMESTAMP:
            raise UnsupportedConstruct(f"{name}(timestamp)", "only Oracle DATE values supported")
        fmt = _date_format_arg(second, name)
        fn = round_date if rounding else trunc_date
        return Typed(fn(value.sql, fmt), Kind.DATE)
    if value.kind not in (Kind.NUMBER, Kind.NULL, Kind.UNKNOWN):
        raise UnsupportedConstruct(f"{name} of a {value.kind.value}", "not supported")
    fn = round_number if rounding else trunc_number
    return Typed(fn(value, second_value), Kind.NUMBER)


@function("TRUNC")
def _trunc(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    return _round_or_trunc(tr, node, rounding=False)


@function("ROUND")
def _round(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    return _round_or_trunc(tr, node, rounding=True)


def _date_arg(tr: ExprTranslator, node: exp.Expr, what: str) -> exp.Expr:
    value = tr.tx(node)
    require_date(value, what)
    if value.kind is Kind.TIMESTAMP:
        raise UnsupportedConstruct(f"{what} of a TIMESTAMP", "only Oracle DATE values supported")
    return value.sql


def _keep_time(day: exp.Expr, source: exp.Expr) -> exp.Expr:
    """A DuckDB DATE ``day`` with the time of day of ``source``, as a TIMESTAMP."""
    return b.add(as_timestamp(day), time_of_day(source))


@function("ADD_MONTHS")
def _add_months(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """ADD_MONTHS(d, n): a month-end date stays at month end; n is truncated to an integer."""
    if len(node.expressions) != 2:
        raise UnsupportedConstruct("ADD_MONTHS", "takes two arguments")
    value = _date_arg(tr, node.expressions[0], "ADD_MONTHS")
    months = int_arg(tr, node.expressions[1], "ADD_MONTHS", "INTEGER")

    def shifted_by(d: exp.Expr) -> exp.Expr:
        # DuckDB clamps a too-large day to the month end already; only month ends differ.
        shifted = b.add(d, b.call("to_months", months))
        at_month_end = b.eq(b.cast(d.copy(), "DATE"), b.call("last_day", d.copy()))
        return b.case(
            [(at_month_end, _keep_time(b.call("last_day", shifted.copy()), d.copy()))], shifted
        )

    return Typed(b.let(value, "__sqlgate_d", shifted_by), Kind.DATE)


@function("MONTHS_BETWEEN")
def _months_between_fn(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """MONTHS_BETWEEN(d1, d2): whole when same day or both month ends; else /31 with time."""
    if len(node.expressions) != 2:
        raise UnsupportedConstruct("MONTHS_BETWEEN", "takes two arguments")
    first = _date_arg(tr, node.expressions[0], "MONTHS_BETWEEN")
    second = _date_arg(tr, node.expressions[1], "MONTHS_BETWEEN")
    return Typed(
        b.let(first, "__sqlgate_d1", lambda d1: b.let(
            second, "__sqlgate_d2", lambda d2: _months_between(d1, d2))),
        Kind.NUMBER,
    )


def _months_between(first: exp.Expr, second: exp.Expr) -> exp.Expr:
    def month_number(value: exp.Expr) -> exp.Expr:
        return b.add(b.mul(b.call("year", value), b.num(12)), b.call("month", value.copy()))

    def seconds_in_month(value: exp.Expr) -> exp.Expr:
        return b.add(
            b.mul(b.call("day", value), b.num(86400)),
            b.sub(b.call("epoch", value.copy()), b.call("epoch", day_start(value.copy()))),
        )

    whole = b.sub(month_number(first), month_number(second))
    same_day = b.eq(b.call("day", first.copy()), b.call("day", second.copy()))
    both_month_ends = b.and_(
        b.eq(b.cast(first.copy(), "DATE"), b.call("last_day", first.copy())),
        b.eq(b.cast(second.copy(), "DATE"), b.call("last_day", second.copy())),
    )
    fraction = b.div(
        b.sub(seconds_in_month(first.copy()), seconds_in_month(second.copy())),
        b.num(31 * 86400),
    )
    return b.case([(b.or_(same_day, both_month_ends), whole)], b.add(whole.copy(), fraction))


@function("LAST_DAY")
def _last_day(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """LAST_DAY(d): the month's last day, keeping d's time of day."""
    if len(node.expressions) != 1:
        raise UnsupportedConstruct("LAST_DAY", "takes one argument")
    value = _date_arg(tr, node.expressions[0], "LAST_DAY")
    return Typed(_keep_time(b.call("last_day", value), value.copy()), Kind.DATE)


_WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


@function("NEXT_DAY")
def _next_day(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """NEXT_DAY(d, 'weekday'): the first later date on that weekday (English names)."""
    if len(node.expressions) != 2:
        raise UnsupportedConstruct("NEXT_DAY", "takes two arguments")
    value = _date_arg(tr, node.expressions[0], "NEXT_DAY")
    name = literal_str(node.expressions[1])
    matches = [
        i + 1
        for i, day in enumerate(_WEEKDAYS)
        if name and (name.strip().upper() == day or name.strip().upper() == day[:3])
    ]
    if not matches:
        raise UnsupportedConstruct("NEXT_DAY", "the weekday must be an English name literal")
    target = matches[0]
    # ISO day numbers: Monday = 1 ... Sunday = 7.
    ahead = b.add(
        b.call("mod", b.add(b.sub(b.num(target), b.call("isodow", value)), b.num(6)), b.num(7)),
        b.num(1),
    )
    return Typed(b.add(value.copy(), b.call("to_days", b.cast(ahead, "INTEGER"))), Kind.DATE)


@node(exp.Extract)
def _extract(tr: ExprTranslator, node: exp.Extract) -> Typed:
    """EXTRACT(YEAR|MONTH|DAY FROM date); HOUR/MINUTE only from a TIMESTAMP, as in Oracle."""
    field = node.this.name.upper()
    value = tr.tx(node.expression)
    require_date(value, "EXTRACT")
    allowed = {"YEAR", "MONTH", "DAY"}
    if value.kind is Kind.TIMESTAMP:
        allowed |= {"HOUR", "MINUTE"}
    if field not in allowed:
        raise UnsupportedConstruct(
            f"EXTRACT({field} FROM {value.kind.value})",
            "an error in Oracle for DATE values, or not supported",
        )
    return Typed(b.call(field.lower(), value.sql), Kind.NUMBER)


_DAY_TO_SECOND = {"DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}


@node(exp.Interval)
def _interval(tr: ExprTranslator, node: exp.Interval) -> Typed:
    """INTERVAL 'n' DAY|HOUR|MINUTE|SECOND|MONTH|YEAR with Oracle's default precision 2."""
    unit = node.args.get("unit")
    text = literal_str(node.this) if node.this is not None else None
    unit_name = unit.name.upper() if isinstance(unit, exp.Var) else None
    if text is None or unit_name is None or not re.fullmatch(r"-?\d{1,2}", text.strip()):
        raise UnsupportedConstruct(
            f"INTERVAL {node.sql(dialect='oracle')}",
            "only INTERVAL 'n' <unit> with |n| < 100 (Oracle's default leading precision)",
        )
    amount = int(text)
    if unit_name in _DAY_TO_SECOND:
        return Typed(b.call("to_seconds", b.num(amount * _DAY_TO_SECOND[unit_name])),
                     Kind.INTERVAL_DS)
    if unit_name in ("MONTH", "YEAR"):
        months = amount * (12 if unit_name == "YEAR" else 1)
        return Typed(b.num(months), Kind.INTERVAL_YM)
    raise UnsupportedConstruct(f"INTERVAL unit {unit_name}", "not supported")

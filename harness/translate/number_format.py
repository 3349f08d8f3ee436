"""Oracle number format models for TO_CHAR(number, fmt): a documented subset.

Supported: an optional leading FM, digits 9 and 0 with group separators (`,` or G) in the
integer part, and an optional decimal point (`.` or D) followed by all-9 or all-0 digits.
Examples: '999,999.99', 'FM999990.00', '0000', 'FM9,999,990.99'. NLS_NUMERIC_CHARACTERS is
assumed to be '.,'. Everything else is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct

_MAX_DIGITS = 38


@dataclass(frozen=True)
class NumberFormat:
    """A parsed number format model."""

    fill: bool  # FM: no padding blanks, trailing zeros of 9-decimals dropped
    integer: str  # integer-part pattern of '9', '0' and ','
    point: bool  # a decimal point is present
    decimals: int
    decimal_zeros: bool  # decimals are 0s (always printed) rather than 9s
    width: int  # output width without FM: the format's length plus one for the sign

    @property
    def integer_digits(self) -> int:
        return self.integer.count("9") + self.integer.count("0")

    @property
    def forced_digits(self) -> int:
        """How many integer digits are always printed (from the first 0 to the point)."""
        first_zero = self.integer.find("0")
        return 0 if first_zero < 0 else self.integer[first_zero:].count("0")


def parse_number_format(fmt: str) -> NumberFormat:
    """Parse ``fmt`` or refuse it."""
    body = fmt[2:] if fmt[:2].upper() == "FM" else fmt
    fill = body is not fmt
    normalized = body.replace("G", ",").replace("g", ",").replace("D", ".").replace("d", ".")
    match = re.fullmatch(r"([90,]*)(?:(\.)([90]*))?", normalized)
    if not match or not body:
        raise UnsupportedConstruct(f"number format '{fmt}'", "outside the supported subset")
    integer, point, decimals = match.group(1), bool(match.group(2)), match.group(3) or ""
    problems = [
        (integer.startswith(","), "a group separator cannot start the format"),
        (",," in integer or integer.endswith(","), "misplaced group separator"),
        ("9" in integer[integer.find("0"):] if "0" in integer else False,
         "a 9 after a 0 in the integer part"),
        (len(set(decimals)) > 1, "mixed 9 and 0 decimals"),
        (integer.count("9") + integer.count("0") + len(decimals) > _MAX_DIGITS, "too many digits"),
        (not (integer.strip(",") or decimals), "no digits"),
    ]
    for failed, reason in problems:
        if failed:
            raise UnsupportedConstruct(f"number format '{fmt}'", reason)
    return NumberFormat(
        fill=fill,
        integer=integer,
        point=point,
        decimals=len(decimals),
        decimal_zeros=decimals.startswith("0"),
        width=len(body) + 1,
    )


def _layout(pattern: str, shown: exp.Expr) -> exp.Expr:
    """The digits ``shown`` with the pattern's group separators between them."""
    commas = sorted({pattern[i + 1:].count("9") + pattern[i + 1:].count("0")
                     for i, c in enumerate(pattern) if c == ","})
    if not commas:
        return shown
    i = exp.column("__sqlgate_i")
    digits_right = b.add(b.sub(b.call("length", shown.copy()), i.copy()), b.num(1))
    separator = b.case(
        [(b.and_(b.gt(i.copy(), b.num(1)),
                 exp.In(this=digits_right, expressions=[b.num(c) for c in commas])),
          b.text(","))],
        b.text(""),
    )
    each = exp.DPipe(this=separator, expression=b.call("substring", shown.copy(), i.copy(),
                                                       b.num(1)), safe=True)
    positions = b.call("range", b.num(1), b.add(b.call("length", shown.copy()), b.num(1)))
    lam = exp.Lambda(this=each, expressions=[exp.to_identifier("__sqlgate_i")])
    return b.call("array_to_string", b.call("list_transform", positions, lam), b.text(""))


def render_number(value: exp.Expr, fmt: NumberFormat) -> exp.Expr:
    """TO_CHAR(value, fmt): rounded half away from zero, sign before the first digit."""
    return b.let(value, "__sqlgate_v", lambda v: b.let(
        b.call("round", v, b.num(fmt.decimals)), "__sqlgate_r",
        lambda r: b.let(
            b.cast(b.cast(b.call("abs", r), f"DECIMAL(38, {fmt.decimals})"), "VARCHAR"),
            "__sqlgate_s",
            lambda s: b.let(_shown(fmt, s), "__sqlgate_sh",
                            lambda sh: _rendered(fmt, v, r, s, sh)),
        ),
    ))


def _shown(fmt: NumberFormat, digits: exp.Expr) -> exp.Expr:
    """The integer digits to print: zero-filled from the first 0 of the format."""
    integer_text = b.call("split_part", digits.copy(), b.text("."), b.num(1))
    if fmt.forced_digits:
        width = b.cast(b.call("greatest", b.call("length", integer_text.copy()),
                              b.num(fmt.forced_digits)), "INTEGER")
        return b.call("lpad", integer_text, width, b.text("0"))
    if fmt.point:  # 0.5 with '99.99' prints '.50'
        return b.case([(b.eq(integer_text, b.text("0")), b.text(""))], integer_text.copy())
    return integer_text  # a zero value prints 0 in an integer-only format


def _rendered(fmt: NumberFormat, value: exp.Expr, rounded: exp.Expr, digits: exp.Expr,
              shown: exp.Expr) -> exp.Expr:
    body = _layout(fmt.integer, shown)
    if fmt.point:
        decimals = b.call("split_part", digits.copy(), b.text("."), b.num(2))
        if fmt.fill and not fmt.decimal_zeros:
            decimals = b.call("rtrim", decimals, b.text("0"))
        body = exp.DPipe(this=exp.DPipe(this=b.paren(body), expression=b.text("."), safe=True),
                         expression=decimals, safe=True)
    sign = b.case([(b.lt(rounded.copy(), b.num(0)), b.text("-"))], b.text(""))
    signed = exp.DPipe(this=sign, expression=b.paren(body), safe=True)
    text = signed if fmt.fill else b.call("lpad", signed, b.num(fmt.width), b.text(" "))
    # Oracle's text for a zero under a 9-only integer part with a point, and the sign of a
    # negative value rounding to zero, are not documented precisely: fail loudly instead.
    zero = b.eq(rounded.copy(), b.num(0))
    unverified_zero = (
        zero if fmt.point and not fmt.forced_digits
        else b.and_(zero, b.lt(value.copy(), b.num(0)))
    )
    overflow = b.gt(b.call("length", shown.copy()), b.num(fmt.integer_digits))
    overflow_text = (
        b.error("TO_CHAR overflow under FM is not verified") if fmt.fill
        else b.text("#" * fmt.width)
    )
    return b.case(
        [
            (b.is_null(value.copy()), b.null()),
            (unverified_zero, b.error(
                "TO_CHAR of a value rounding to zero with this format is not verified")),
            (overflow, overflow_text),
        ],
        text,
    )

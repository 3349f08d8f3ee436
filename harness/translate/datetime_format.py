"""Oracle datetime format models (TO_CHAR / TO_DATE): parsing, rendering, and strict reading.

Assumes NLS_DATE_LANGUAGE = AMERICAN (English names). Elements whose output depends on other
NLS settings (D, DS, DL, TS, ...) or that are not implemented are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct

_ELEMENTS = sorted(
    [
        "SSSSS", "SYYYY", "SYEAR", "MONTH", "Y,YYY", "A.M.", "P.M.", "B.C.", "A.D.", "YYYY",
        "IYYY", "RRRR", "HH24", "HH12", "YEAR", "DDD", "DAY", "MON", "YYY", "IYY", "SCC",
        "TZH", "TZM", "TZR", "TZD", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "FF7", "FF8",
        "FF9", "DD", "DY", "DS", "DL", "MM", "MI", "SS", "HH", "YY", "RR", "IY", "IW", "WW",
        "AM", "PM", "AD", "BC", "CC", "RM", "FM", "FX", "FF", "TS", "EE", "SP", "TH", "D", "J",
        "Q", "W", "Y", "I", "E", "X",
    ],
    key=len,
    reverse=True,
)
_PUNCTUATION = set(" -/,.;:")
_MONTHS = ["JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST",
           "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER"]
# Numeric elements: how to compute them and their zero-padded width.
_NUMERIC_WIDTH = {
    "YYYY": 4, "RRRR": 4, "YYY": 3, "YY": 2, "RR": 2, "Y": 1, "IYYY": 4, "IYY": 3, "IY": 2,
    "I": 1, "Q": 1, "MM": 2, "WW": 2, "W": 1, "IW": 2, "DD": 2, "DDD": 3, "J": 7, "HH": 2,
    "HH12": 2, "HH24": 2, "MI": 2, "SS": 2, "SSSSS": 5, "CC": 2,
}
_WORDS = {"MONTH", "MON", "DAY", "DY"}
_MERIDIANS = {"AM", "PM", "A.M.", "P.M."}
_ERAS = {"AD", "BC", "A.D.", "B.C."}


@dataclass(frozen=True)
class Element:
    """One item of a format model: an element (upper-case ``name``) or literal text."""

    name: str  # "" for literal text
    text: str  # as written (its letter case matters for names) or the literal text
    fill: bool  # FM in effect: no blank padding, no leading zeros


def parse_format(fmt: str) -> list[Element]:
    """Split an Oracle datetime format model into elements and literals."""
    elements: list[Element] = []
    fill = False
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == '"':
            end = fmt.find('"', i + 1)
            if end < 0:
                raise UnsupportedConstruct(f"format '{fmt}'", "unterminated quoted text")
            elements.append(Element("", fmt[i + 1 : end], fill))
            i = end + 1
            continue
        upper = fmt[i:].upper()
        name = next((e for e in _ELEMENTS if upper.startswith(e)), None)
        if name is None:
            if char in _PUNCTUATION:
                elements.append(Element("", char, fill))
                i += 1
                continue
            raise UnsupportedConstruct(f"format '{fmt}'", f"unknown format text at {fmt[i:]!r}")
        if name == "FM":
            fill = not fill  # each FM toggles fill mode
        else:
            elements.append(Element(name, fmt[i : i + len(name)], fill))
        i += len(name)
    return elements


def letter_case(element: Element) -> str:
    """'upper', 'lower' or 'capital': how a spelled word follows the element's letter case."""
    letters = [c for c in element.text if c.isalpha()]
    if all(c.isupper() for c in letters):
        return "upper"
    if all(c.islower() for c in letters):
        return "lower"
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return "capital"
    raise UnsupportedConstruct(f"format element {element.text!r}", "mixed letter case")


def _apply_case(value: exp.Expr, style: str) -> exp.Expr:
    if style == "upper":
        return b.call("upper", value)
    if style == "lower":
        return b.call("lower", value)
    return value  # DuckDB's English names are already capitalized


def _numeric_value(name: str, d: exp.Expr) -> exp.Expr:
    def fn(f: str) -> exp.Expr:
        return b.call(f, d.copy())

    def floor_div(value: exp.Expr, by: int) -> exp.Expr:
        return b.cast(b.call("floor", b.div(value, b.num(by))), "BIGINT")

    values = {
        "YYYY": fn("year"), "RRRR": fn("year"),
        "YYY": b.call("mod", fn("year"), b.num(1000)),
        "YY": b.call("mod", fn("year"), b.num(100)), "RR": b.call("mod", fn("year"), b.num(100)),
        "Y": b.call("mod", fn("year"), b.num(10)),
        "IYYY": fn("isoyear"), "IYY": b.call("mod", fn("isoyear"), b.num(1000)),
        "IY": b.call("mod", fn("isoyear"), b.num(100)), "I": b.call("mod", fn("isoyear"), b.num(10)),
        "Q": fn("quarter"), "MM": fn("month"),
        "WW": b.add(floor_div(b.sub(fn("dayofyear"), b.num(1)), 7), b.num(1)),
        "W": b.add(floor_div(b.sub(fn("day"), b.num(1)), 7), b.num(1)),
        "IW": fn("weekofyear"), "DD": fn("day"), "DDD": fn("dayofyear"),
        "J": b.cast(b.call("julian", b.cast(d.copy(), "DATE")), "BIGINT"),
        "HH": b.add(b.call("mod", b.add(fn("hour"), b.num(11)), b.num(12)), b.num(1)),
        "HH24": fn("hour"), "MI": fn("minute"), "SS": fn("second"),
        "SSSSS": b.add(b.add(b.mul(fn("hour"), b.num(3600)), b.mul(fn("minute"), b.num(60))),
                       fn("second")),
        "CC": b.add(floor_div(b.sub(fn("year"), b.num(1)), 100), b.num(1)),
    }
    values["HH12"] = values["HH"]
    return values[name]


def render_element(element: Element, d: exp.Expr) -> exp.Expr:
    """The DuckDB text of one format element for the TIMESTAMP ``d``."""
    name = element.name
    if not name:
        return b.text(element.text)
    if name in _NUMERIC_WIDTH:
        digits = b.cast(_numeric_value(name, d), "VARCHAR")
        return digits if element.fill else b.call("lpad", digits, b.num(_NUMERIC_WIDTH[name]),
                                                  b.text("0"))
    if name in _WORDS:
        code = {"MONTH": "%B", "MON": "%b", "DAY": "%A", "DY": "%a"}[name]
        word = _apply_case(b.call("strftime", d.copy(), b.text(code)), letter_case(element))
        if name in ("MONTH", "DAY") and not element.fill:
            return b.call("rpad", word, b.num(9), b.text(" "))  # longest English name
        return word
    if name in _MERIDIANS:
        style = letter_case(element)
        if style == "capital":
            raise UnsupportedConstruct(f"format element {element.text!r}", "mixed letter case")
        am, pm = ("A.M.", "P.M.") if "." in name else ("AM", "PM")
        if style == "lower":
            am, pm = am.lower(), pm.lower()
        return b.case([(b.lt(b.call("hour", d.copy()), b.num(12)), b.text(am))], b.text(pm))
    if name in _ERAS:
        style = letter_case(element)
        era = "A.D." if "." in name else "AD"
        return b.text(era.lower() if style == "lower" else era)
    raise UnsupportedConstruct(
        f"TO_CHAR format element {element.text!r}",
        "depends on NLS settings or is not supported",
    )


def render(elements: list[Element], value: exp.Expr) -> exp.Expr:
    """TO_CHAR(value, fmt) as a DuckDB expression; NULL for a NULL date."""

    def text_of(d: exp.Expr) -> exp.Expr:
        pieces = [render_element(element, d) for element in elements]
        text = pieces[0]
        for piece in pieces[1:]:
            text = exp.DPipe(this=text, expression=piece, safe=True)
        return b.case([(b.is_null(d.copy()), b.null())], text)

    return b.let(value, "__sqlgate_d", text_of)


# --- reading text with a format (TO_DATE / TO_TIMESTAMP) ---------------------------------

_STRPTIME = {
    "YYYY": "%Y", "YY": "%y", "RR": "%y", "MM": "%m", "MON": "%b", "MONTH": "%B",
    "DD": "%d", "HH24": "%H", "HH": "%I", "HH12": "%I", "MI": "%M", "SS": "%S",
    "AM": "%p", "PM": "%p",
}


def two_digit_year(yy: int, element: str, sysdate: datetime) -> int:
    """The year Oracle reads for two digits under YY (current century) or RR (nearest)."""
    century, current = divmod(sysdate.year, 100)
    if element == "YY":
        return century * 100 + yy
    if current < 50:
        return (century - (1 if yy >= 50 else 0)) * 100 + yy
    return (century + (1 if yy < 50 else 0)) * 100 + yy


def strptime_plan(elements: list[Element]) -> tuple[str, str | None]:
    """The DuckDB strptime format for reading column values, and the two-digit-year element.

    Refuses formats DuckDB would read differently from Oracle: a missing year or month (Oracle
    takes them from SYSDATE), 12-hour clocks without AM/PM, FM/FX and elements it lacks.
    """
    names = {e.name for e in elements}
    if not names & {"YYYY", "YY", "RR"} or not names & {"MM", "MON", "MONTH"}:
        raise UnsupportedConstruct(
            "TO_DATE format without year or month",
            "Oracle fills them from SYSDATE; only literal inputs are supported then",
        )
    if names & {"HH", "HH12"} and not names & {"AM", "PM"}:
        raise UnsupportedConstruct("TO_DATE with HH and no AM/PM", "ambiguous hour")
    if any(e.fill for e in elements):
        raise UnsupportedConstruct("TO_DATE format with FM", "matching rules not mirrored")
    parts = []
    two_digit = None
    for element in elements:
        if not element.name:
            parts.append(element.text.replace("%", "%%"))
        elif element.name in _STRPTIME:
            parts.append(_STRPTIME[element.name])
            if element.name in ("YY", "RR"):
                two_digit = element.name
        else:
            raise UnsupportedConstruct(
                f"TO_DATE format element {element.text!r}",
                "only supported for literal inputs (or not at all)",
            )
    return "".join(parts), two_digit


def fix_two_digit_year(parsed: exp.Expr, element: str, sysdate: datetime) -> exp.Expr:
    """Move a year DuckDB read with %y (1969-2068 window) to Oracle's YY/RR century."""
    yy = b.call("mod", b.call("year", parsed), b.num(100))
    oracle_year = b.add(
        b.case(
            [(b.lt(yy, b.num(50)), b.num(two_digit_year(0, element, sysdate)))],
            b.num(two_digit_year(50, element, sysdate) - 50),
        ),
        yy.copy(),
    )
    shift = b.cast(b.sub(oracle_year, b.call("year", parsed.copy())), "INTEGER")
    return b.add(parsed.copy(), b.call("to_years", shift))


@dataclass
class _Fields:
    year: int | None = None
    month: int | None = None
    day: int | None = None
    hour: int = 0
    minute: int = 0
    second: int = 0
    micro: int = 0
    meridian: str | None = None
    hour12: bool = False


def read_literal(text: str, elements: list[Element], sysdate: datetime,
                 *, fractions: bool = False) -> datetime:
    """Read a constant string exactly as the format says (raises ValueError on any mismatch).

    Stricter than Oracle (no punctuation or length leniency): a ValueError means "not proven
    to equal Oracle's reading", and the caller refuses. Missing fields take Oracle's
    defaults: current year and month from SYSDATE, day 1, midnight.
    """
    fields = _Fields()
    pos = 0

    def digits(limit: int) -> int:
        nonlocal pos
        match = re.match(rf"\d{{1,{limit}}}", text[pos:])
        if not match:
            raise ValueError("digits expected")
        pos += len(match.group())
        return int(match.group())

    for element in elements:
        name = element.name
        if element.fill:
            raise ValueError("FM in a TO_DATE format")
        if not name:
            if not text.startswith(element.text, pos):
                raise ValueError("literal text mismatch")
            pos += len(element.text)
        elif name == "YYYY":
            fields.year = digits(4)
        elif name in ("YY", "RR"):
            start = pos
            value = digits(2)
            if pos - start != 2:
                raise ValueError("two digits expected")
            fields.year = two_digit_year(value, name, sysdate)
        elif name == "RRRR":
            start = pos
            value = digits(4)
            fields.year = two_digit_year(value, "RR", sysdate) if pos - start == 2 else value
        elif name == "MM":
            fields.month = digits(2)
        elif name in ("MON", "MONTH"):
            word = re.match(r"[A-Za-z]+", text[pos:])
            found = word.group().upper() if word else ""
            months = [m for m in _MONTHS if found in (m, m[:3])]
            if not months:
                raise ValueError("month name expected")
            fields.month = _MONTHS.index(months[0]) + 1
            pos += len(found)
        elif name == "DD":
            fields.day = digits(2)
        elif name == "HH24":
            fields.hour = digits(2)
        elif name in ("HH", "HH12"):
            fields.hour, fields.hour12 = digits(2), True
        elif name == "MI":
            fields.minute = digits(2)
        elif name == "SS":
            fields.second = digits(2)
        elif name in ("AM", "PM"):
            word = text[pos : pos + 2].upper()
            if word not in ("AM", "PM"):
                raise ValueError("AM or PM expected")
            fields.meridian, pos = word, pos + 2
        elif fractions and (name == "FF" or name.startswith("FF")):
            limit = 9 if name == "FF" else int(name[2:])
            start = pos
            value = digits(limit)
            count = pos - start
            scaled = value * 10 ** (9 - count)
            if scaled % 1000:
                raise ValueError("more than microsecond precision")
            fields.micro = scaled // 1000
        else:
            raise ValueError(f"element {name} not supported")
    if pos != len(text):
        raise ValueError("text left over")
    hour = fields.hour
    if fields.hour12:
        if fields.meridian is None or not 1 <= hour <= 12:
            raise ValueError("12-hour clock needs AM/PM and 1..12")
        hour = hour % 12 + (12 if fields.meridian == "PM" else 0)
    elif fields.meridian is not None:
        raise ValueError("AM/PM without a 12-hour element")
    return datetime(
        fields.year if fields.year is not None else sysdate.year,
        fields.month if fields.month is not None else sysdate.month,
        fields.day if fields.day is not None else 1,
        hour, fields.minute, fields.second, fields.micro,
    )

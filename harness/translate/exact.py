"""Exact decimal values on DuckDB: quotients made decimal again, one type for NUMBER choices.

Oracle NUMBER is decimal and exact; the embedded databases store it as DECIMAL (see the
catalog's type mapping). Two DuckDB behaviours would break that, and are handled here:
division and AVG return DOUBLE, and unifying DECIMALs of width 38 drops scale.
"""

from __future__ import annotations

from sqlglot import exp

from . import build as b
from .kinds import Kind, Storage, Typed

# Digits after the point kept from a quotient (see `decimal_quotient`).
QUOTIENT_SCALE = 12


def decimal_quotient(value: exp.Expr) -> exp.Expr:
    """A DOUBLE result of DuckDB's division (or AVG) turned back into an exact decimal.

    Oracle divides NUMBERs in decimal, exactly to 38 digits; DuckDB divides DECIMALs in
    binary, so a quotient that is exactly 1.005 comes back as 1.00499999999999989 and
    ROUND(q, 2) gives 1.00 instead of Oracle's 1.01. The double is within a few units in its
    16th significant digit of the true quotient, so its 15-significant-digit decimal text
    *is* the true quotient whenever that has at most 15 significant digits (every quotient of
    the embedded data's amounts that terminates); longer ones (1/3) keep 15 digits, and
    QUOTIENT_SCALE places after the point (so a quotient below 1e-6 keeps fewer than 7
    significant digits). The result is DECIMAL(38, QUOTIENT_SCALE); a quotient of 10^26 or
    more does not fit and raises, and so does a product whose factors' scales add up past
    what DECIMAL(38) can hold (three quotients: 36 places, 2 integer digits).
    """
    text = b.call("printf", b.text("%.15g"), value)
    return b.cast(text, f"DECIMAL(38,{QUOTIENT_SCALE})")


# The one exact type that branches of a CASE, NVL, COALESCE, DECODE, GREATEST/LEAST or a set
# operation are brought to when they are NUMBERs of different DuckDB types.
COMMON_NUMBER_TYPE = f"DECIMAL(38,{QUOTIENT_SCALE})"


def common_numbers(values: list[Typed]) -> list[exp.Expr]:
    """The DuckDB expressions of ``values``, NUMBER ones cast to one exact type if needed.

    DuckDB unifies DECIMAL(38,2) with DECIMAL(38,6) (a CASE, COALESCE or UNION of them) as
    DECIMAL(38,2): it keeps the integer digits and drops scale, silently rounding the other
    branch (`CASE WHEN c THEN ROUND(SUM(x), 2) ELSE rate END` would round every rate to 2
    places). Oracle's NUMBER has no such limit, so branches that are not all integers are cast
    to COMMON_NUMBER_TYPE, which holds every value stored here exactly (26 integer digits,
    QUOTIENT_SCALE places; a product with more places is rounded at the 12th).
    """
    numbers = [v for v in values if v.kind is Kind.NUMBER]
    if not numbers or all(v.storage is Storage.INTEGER for v in numbers):
        return [v.sql for v in values]
    return [b.cast(v.sql, COMMON_NUMBER_TYPE) if v.kind is Kind.NUMBER else v.sql
            for v in values]

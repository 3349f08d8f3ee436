"""Oracle value kinds that the translator tracks to pick type-dependent rewrites."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from sqlglot import exp


class Kind(Enum):
    """The Oracle data type family of an expression, as far as the translator can tell."""

    NUMBER = "number"
    STRING = "string"
    DATE = "date"  # Oracle DATE; stored as DuckDB TIMESTAMP (whole seconds)
    TIMESTAMP = "timestamp"  # Oracle TIMESTAMP (literals, SYSTIMESTAMP, TO_TIMESTAMP)
    INTERVAL_DS = "interval day to second"
    INTERVAL_YM = "interval year to month"
    BOOLEAN = "boolean"  # conditions; Oracle has no boolean values in SQL
    NULL = "null"  # the NULL literal (or ''), compatible with every kind
    UNKNOWN = "unknown"  # a column whose type the schema does not give


@dataclass(frozen=True)
class Typed:
    """A translated DuckDB expression together with the Oracle kind of its value."""

    sql: exp.Expr
    kind: Kind

    def copy(self) -> exp.Expr:
        """A fresh copy of the DuckDB expression, for use in one more place of the output tree."""
        return self.sql.copy()


_NUMBER_TYPES = re.compile(
    r"^(NUMBER|NUMERIC|DECIMAL|DEC|INTEGER|INT|SMALLINT|BIGINT|HUGEINT|TINYINT|UBIGINT|UINTEGER"
    r"|FLOAT|REAL|DOUBLE|DOUBLE PRECISION|BINARY_FLOAT|BINARY_DOUBLE|INT\d|FLOAT\d)\b"
)
_STRING_TYPES = re.compile(
    r"^(VARCHAR2|VARCHAR|NVARCHAR2|CHAR|NCHAR|CHARACTER|TEXT|STRING|CLOB|NCLOB|LONG)\b"
)
_DATE_TYPES = re.compile(r"^(DATE|TIMESTAMP|DATETIME)\b")


def kind_of_type_name(type_name: str) -> Kind:
    """The kind of a column declared with ``type_name`` (an Oracle or DuckDB type name).

    ``TIMESTAMP`` maps to :attr:`Kind.DATE` because the embedded databases store Oracle DATE
    columns as DuckDB TIMESTAMP.
    """
    name = type_name.strip().upper()
    if _NUMBER_TYPES.match(name):
        return Kind.NUMBER
    if _STRING_TYPES.match(name):
        return Kind.STRING
    if _DATE_TYPES.match(name):
        return Kind.DATE
    return Kind.UNKNOWN


Schema = Mapping[str, Mapping[str, str]]


def normalize_schema(schema: Schema | None) -> dict[str, dict[str, Kind]]:
    """Table name → column name → kind, with names upper-cased and schema prefixes dropped."""
    if not schema:
        return {}
    return {
        table.split(".")[-1].upper(): {
            column.upper(): kind_of_type_name(type_name) for column, type_name in columns.items()
        }
        for table, columns in schema.items()
    }


_VALUE_FAMILIES = {Kind.NUMBER, Kind.STRING, Kind.DATE, Kind.TIMESTAMP}


def mixed_families(kinds: list[Kind]) -> set[Kind]:
    """The known value kinds among ``kinds`` when they disagree (DATE and TIMESTAMP agree)."""
    known = {Kind.DATE if k is Kind.TIMESTAMP else k for k in kinds} & _VALUE_FAMILIES
    return known if len(known) > 1 else set()

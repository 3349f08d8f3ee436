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


class Storage(Enum):
    """How DuckDB holds a NUMBER value, where the catalog (or a literal) says so.

    The text of a number (TO_CHAR, ||, LIKE) depends on it: an integer's DuckDB text is
    already Oracle's, a DECIMAL's needs its trailing zeros cut, and only a DOUBLE can come out
    in exponent form.
    """

    INTEGER = "integer"
    DECIMAL = "decimal"


@dataclass(frozen=True)
class Typed:
    """A translated DuckDB expression together with the Oracle kind of its value.

    ``storage`` is the DuckDB representation of a NUMBER when known (columns of the schema,
    literals), ``None`` otherwise.
    """

    sql: exp.Expr
    kind: Kind
    storage: Storage | None = None

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


_DUCKDB_INTEGERS = re.compile(
    r"^(INTEGER|INT|SMALLINT|BIGINT|HUGEINT|TINYINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|INT\d)$"
)
_DECIMAL = re.compile(r"^(DECIMAL|NUMERIC|DEC)\b")
_ORACLE_NUMBER = re.compile(r"^NUMBER(\(\s*\d+\s*(,\s*-?\d+\s*)?\))?$")


def storage_of_type_name(type_name: str) -> Storage | None:
    """How DuckDB stores a column declared ``type_name``: a DuckDB integer or DECIMAL type as
    itself, an Oracle NUMBER type as the embedded databases store it (the catalog's mapping:
    ``OracleType.duckdb_type``); ``None`` for anything else (DOUBLE, FLOAT, unknown)."""
    name = type_name.strip().upper()
    if _ORACLE_NUMBER.match(name):
        from harness.inputs.catalog import OracleType

        name = OracleType.parse(name).duckdb_type()
    if _DUCKDB_INTEGERS.match(name):
        return Storage.INTEGER
    if _DECIMAL.match(name):
        return Storage.DECIMAL
    return None


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


def normalize_storage(schema: Schema | None) -> dict[str, dict[str, Storage]]:
    """Table name → column name → storage, for the NUMBER columns whose storage is known."""
    result: dict[str, dict[str, Storage]] = {}
    for table, columns in (schema or {}).items():
        known = {column.upper(): storage for column, type_name in columns.items()
                 if (storage := storage_of_type_name(type_name)) is not None}
        if known:
            result[table.split(".")[-1].upper()] = known
    return result


_VALUE_FAMILIES = {Kind.NUMBER, Kind.STRING, Kind.DATE, Kind.TIMESTAMP}


def mixed_families(kinds: list[Kind]) -> set[Kind]:
    """The known value kinds among ``kinds`` when they disagree (DATE and TIMESTAMP agree)."""
    known = {Kind.DATE if k is Kind.TIMESTAMP else k for k in kinds} & _VALUE_FAMILIES
    return known if len(known) > 1 else set()

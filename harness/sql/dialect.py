"""The Oracle dialect used to read candidate SQL: every function call stays as written.

sqlglot's stock Oracle parser rewrites some calls as it reads them (``TO_DATE`` formats become
strftime codes, ``IFNULL`` becomes the same node as ``NVL``, ``TRUNC`` is split by a type guess).
The translator needs the call exactly as the author wrote it, so this dialect parses every
function except a few special-syntax ones into ``exp.Anonymous`` named as written; an unknown
name then falls through to the default-deny check instead of masquerading as a known one.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.oracle import Oracle
from sqlglot.parsers.oracle import OracleParser
from sqlglot.tokens import TokenType

# Calls whose syntax is not a plain argument list (CAST(x AS t), EXTRACT(y FROM d), ...).
_SPECIAL_SYNTAX = {"CAST", "EXTRACT", "TRIM", "LISTAGG", "TO_NUMBER"}
_NO_PAREN_PARSERS = {"ANY", "CASE", "CONNECT_BY_ROOT", "PRIOR", "SYSDATE"}
_NO_PAREN_FUNCTIONS = {
    TokenType.CURRENT_DATE,
    TokenType.CURRENT_TIMESTAMP,
    TokenType.LOCALTIMESTAMP,
    TokenType.SYSTIMESTAMP,
}


class OracleSource(Oracle):
    """Oracle as written by the candidate: no function renaming, no non-Oracle shorthands."""

    class Tokenizer(Oracle.Tokenizer):
        # `a::int` is PostgreSQL/DuckDB, not Oracle: without the token it is a parse error.
        KEYWORDS = {k: v for k, v in Oracle.Tokenizer.KEYWORDS.items() if k != "::"}

    class Parser(OracleParser):
        FUNCTIONS: dict = {}
        FUNCTION_PARSERS = {
            k: v for k, v in OracleParser.FUNCTION_PARSERS.items() if k in _SPECIAL_SYNTAX
        }
        NO_PAREN_FUNCTION_PARSERS = {
            k: v
            for k, v in OracleParser.NO_PAREN_FUNCTION_PARSERS.items()
            if k in _NO_PAREN_PARSERS
        }
        NO_PAREN_FUNCTIONS = {
            k: v for k, v in OracleParser.NO_PAREN_FUNCTIONS.items() if k in _NO_PAREN_FUNCTIONS
        }
        # DATE '...' and TIMESTAMP '...' literals keep their text; the translator validates it.
        TYPE_LITERAL_PARSERS = {
            exp.DType.DATE: lambda self, this, _: self.expression(exp.DateStrToDate(this=this)),
            exp.DType.TIMESTAMP: lambda self, this, _: self.expression(
                exp.TimeStrToTime(this=this)
            ),
        }

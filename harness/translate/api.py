"""The public entry point: translate one Oracle query to DuckDB, faithfully or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlglot
from sqlglot import exp

from harness.sql.dialect import OracleSource
from harness.sql.parsed import ParsedSql

from .context import Context
from .errors import UnsupportedConstruct
from .kinds import Schema, normalize_schema, normalize_storage
from .queries import QueryTranslator

PINNED_SYSDATE = datetime(2025, 6, 15, 10, 30, 0)
# How sqlglot's stock Oracle parser records a TIMESTAMP literal's format.
_STOCK_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class Translation:
    """DuckDB SQL with the same meaning as the Oracle query.

    ``ordered``: the top-level query has ORDER BY, so row order counts when comparing results.
    ``deterministic``: False when Oracle itself may return different rows on different runs
    (ROWNUM or FETCH limits over rows in no defined order); the reasons are in
    ``nondeterminism``.
    """

    sql: str
    ordered: bool
    deterministic: bool = True
    nondeterminism: tuple[str, ...] = ()


def _oracle_text(tree: exp.Expr) -> str:
    """Oracle SQL for a tree parsed by sqlglot's stock Oracle dialect (which is not modified).

    The stock parser turns ``TIMESTAMP '...'`` into a TO_TIMESTAMP with a fractional-second
    format that Oracle reads leniently and this translator reads strictly; such literals are
    printed back as literals.
    """
    if tree.find(exp.Limit) is not None:
        raise UnsupportedConstruct("LIMIT", "not Oracle syntax (use FETCH FIRST)")
    copy = tree.copy()
    for node in list(copy.find_all(exp.StrToTime)):
        fmt, value = node.args.get("format"), node.this
        if (
            isinstance(fmt, exp.Literal)
            and fmt.this == _STOCK_TIMESTAMP_FORMAT
            and isinstance(value, exp.Literal)
            and value.is_string
        ):
            node.replace(exp.Var(this=f"TIMESTAMP {exp.Literal.string(value.this).sql()}"))
    return copy.sql(dialect="oracle")


def translate(
    oracle_sql: str | exp.Expr | ParsedSql,
    *,
    sysdate: datetime = PINNED_SYSDATE,
    schema: Schema | None = None,
) -> Translation:
    """Translate one Oracle SELECT/WITH query to DuckDB SQL.

    ``oracle_sql`` is Oracle SQL text, that text read as ``ParsedSql``, or a tree sqlglot
    parsed with ``read="oracle"`` (left unchanged). The translator reads the text again in
    its own dialect (``harness.sql.dialect.OracleSource``: calls as written), into a tree of
    its own that it may rewrite; the shared reading-dialect tree is never touched. SYSDATE and its relatives evaluate to ``sysdate``. ``schema`` (table → column →
    Oracle or DuckDB type name) lets type-dependent constructs such as ``d - x`` or
    ``TRUNC(col)`` be translated; without it they are refused when ambiguous.

    Raises ``sqlglot.errors.ParseError`` for text that does not parse and
    :class:`~harness.translate.errors.UnsupportedConstruct` for anything that cannot be
    translated with certainty.
    """
    if isinstance(oracle_sql, ParsedSql):
        text = oracle_sql.text
    else:
        text = oracle_sql if isinstance(oracle_sql, str) else _oracle_text(oracle_sql)
    tree = sqlglot.parse_one(text, read=OracleSource)
    ctx = Context(sysdate=sysdate, schema=normalize_schema(schema),
                  storage=normalize_storage(schema))
    try:
        result = QueryTranslator(ctx).query(tree, None)
    except RecursionError:
        # The translator walks the tree recursively; a statement deeper than Python's stack
        # (20,000 chained `+`) is refused, not a crash.
        raise UnsupportedConstruct("deeply nested expression",
                                   "nested deeper than the translator can walk") from None
    return Translation(
        sql=result.sql.sql(dialect="duckdb", identify=True),
        ordered=result.ordered,
        deterministic=not ctx.nondeterminism,
        nondeterminism=tuple(ctx.nondeterminism),
    )


class CachedTranslator:
    """``translate`` with one catalog's column types, once per distinct Oracle text.

    Gold queries are translated once per run, not once per prediction; the test-suite
    instances of one catalog share one translator. ``translate`` raises as ``translate``
    does (exceptions are not cached).
    """

    def __init__(self, schema: Schema | None = None, *, maxsize: int = 8192) -> None:
        self._schema = schema or {}
        self._translate_text = lru_cache(maxsize=maxsize)(self._translate_uncached)

    def __call__(self, oracle_sql: str | ParsedSql) -> Translation:
        text = oracle_sql.text if isinstance(oracle_sql, ParsedSql) else oracle_sql
        return self._translate_text(text)

    def _translate_uncached(self, text: str) -> Translation:
        return translate(text, schema=self._schema)

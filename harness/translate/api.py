"""The public entry point: translate one Oracle query to DuckDB, faithfully or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlglot
from sqlglot import exp

from harness.sql.dialect import OracleSource

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
    oracle_sql: str | exp.Expr,
    *,
    sysdate: datetime = PINNED_SYSDATE,
    schema: Schema | None = None,
) -> Translation:
    """Translate one Oracle SELECT/WITH query to DuckDB SQL.

    ``oracle_sql`` is Oracle SQL text or a tree sqlglot parsed with ``read="oracle"`` (left
    unchanged). SYSDATE and its relatives evaluate to ``sysdate``. ``schema`` (table → column →
    Oracle or DuckDB type name) lets type-dependent constructs such as ``d - x`` or
    ``TRUNC(col)`` be translated; without it they are refused when ambiguous.

    Raises ``sqlglot.errors.ParseError`` for text that does not parse and
    :class:`~harness.translate.errors.UnsupportedConstruct` for anything that cannot be
    translated with certainty.
    """
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

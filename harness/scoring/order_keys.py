"""The sort keys of an ordered gold, so that the order of tied rows is not part of the answer.

When a gold orders at top level, its rows are compared in sequence; but rows whose ORDER BY
keys are equal come in an order Oracle leaves open (and DuckDB picks its own). Only the order
across distinct key values is the answer. The judge finds the keys itself:

- a key that is an output column — by position (`ORDER BY 2`), by alias or output name
  (`ORDER BY total`), or as the same expression as a select item — is read from the gold's
  own result;
- any other key expression (`ORDER BY s.VENDOR_NAME` with only the amount selected) is
  computed by running the gold once more with the expression appended as a hidden trailing
  column; that is faithful only where adding a select item changes no row, so not under
  DISTINCT/UNIQUE or a set operation; and `SELECT *` hides which column a name or a position
  means.

Where the keys cannot be found faithfully, `order_keys` returns None and the order is
compared strictly, as before (never laxer than the gold's meaning).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import ParseError

from harness.sql.parse import SqlParseError, parse_single

HIDDEN_KEY_PREFIX = "SQLGATE_ORDER_KEY_"


@dataclass(frozen=True)
class OrderKeys:
    """Where the gold's ORDER BY keys are found in a result.

    `columns[i]` is the result column holding key i. With `keyed_sql` (the gold, in Oracle
    SQL, with `hidden` key expressions appended to its select list) the result is the keyed
    query's, whose first columns are the gold's own; otherwise it is the gold's.
    """

    columns: tuple[int, ...]
    keyed_sql: str | None = None
    hidden: int = 0


@lru_cache(maxsize=4096)
def order_keys(oracle_sql: str) -> OrderKeys | None:
    """The gold's sort keys, or None (no top-level ORDER BY, or keys not found faithfully)."""
    try:
        tree = parse_single(oracle_sql)
    except (SqlParseError, ParseError):
        return None
    order = tree.args.get("order")
    if order is None or not order.expressions:
        return None
    if isinstance(tree, exp.Select):
        items = list(tree.expressions)
        can_add = not tree.args.get("distinct")
    elif isinstance(tree, exp.SetOperation):
        first = tree.left
        while isinstance(first, exp.SetOperation):
            first = first.left
        if not isinstance(first, exp.Select):
            return None
        items, can_add = list(first.expressions), False
    else:
        return None
    if _has_star(items):
        return None  # positions and names refer to the star's expansion, unknown here
    columns: list[int] = []
    hidden: list[exp.Expression] = []
    for ordered in order.expressions:
        index = _output_column(ordered.this, items)
        if index is _UNRESOLVED:
            return None
        if index is not None:
            columns.append(index)
        elif can_add:
            columns.append(len(items) + len(hidden))
            hidden.append(ordered.this)
        else:
            return None
    if not hidden:
        return OrderKeys(tuple(columns))
    keyed = tree.copy()
    for number, expression in enumerate(hidden, start=1):
        keyed.append("expressions", exp.alias_(expression.copy(), f"{HIDDEN_KEY_PREFIX}{number}"))
    return OrderKeys(tuple(columns), keyed.sql(dialect="oracle"), len(hidden))


def tie_groups(rows: Sequence[Sequence], columns: Sequence[int]) -> tuple[int, ...]:
    """A label per row: rows in one run of consecutive equal sort keys share it.

    Runs, not classes: two equal keys apart in the sequence (which a sorted result never has)
    stay in different runs, so the comparison is never laxer than the gold's order.
    """
    labels: list[int] = []
    previous: tuple | None = None
    for row in rows:
        key = tuple(row[c] for c in columns)
        if labels and key == previous and _exactly_equal(key, previous):
            labels.append(labels[-1])
        else:
            labels.append(len(labels))
        previous = key
    return tuple(labels)


def _exactly_equal(a: tuple, b: tuple) -> bool:
    """Equal and of the same kinds (True == 1 in Python, but a flag is not a count)."""
    return all(type(x) is type(y) or (_number(x) and _number(y)) for x, y in zip(a, b,
                                                                                  strict=True))


def _number(value: object) -> bool:
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool)


def _has_star(items: Sequence[exp.Expression]) -> bool:
    return any(isinstance(i, exp.Star) or (isinstance(i, exp.Column) and i.is_star)
               for i in items)


_UNRESOLVED = -1  # a key that names an output column, but not one this module can tell


def _output_column(key: exp.Expression, items: Sequence[exp.Expression]) -> int | None:
    """The select item a sort key names: by position, alias/output name, or same expression;
    None for another expression (a hidden key), _UNRESOLVED where no answer is faithful."""
    if isinstance(key, exp.Literal):
        # A position beyond the select list (ORA-01785), or a constant: never a hidden
        # column, which would tie every row.
        position = int(key.this) if key.is_int else 0
        return position - 1 if 1 <= position <= len(items) else _UNRESOLVED
    if isinstance(key, exp.Column) and not key.table:
        named = [i for i, item in enumerate(items) if _same_name(item.alias_or_name, key)]
        if len(named) == 1:
            return named[0]
        if named:
            return _UNRESOLVED  # ambiguous (ORA-00960)
    same = [i for i, item in enumerate(items)
            if (item.this if isinstance(item, exp.Alias) else item) == key]
    return same[0] if same else None


def _same_name(output: str, key: exp.Column) -> bool:
    if key.this.quoted:
        return output == key.name
    return output.upper() == key.name.upper()

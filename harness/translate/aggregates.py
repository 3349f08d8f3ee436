"""Aggregate and analytic functions: COUNT, SUM, ..., STDDEV, LISTAGG, and OVER (...) windows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct
from .exact import decimal_quotient
from .expressions import literal_str
from .kinds import Kind, Storage, Typed
from .registry import function, node
from .strings import to_text

if TYPE_CHECKING:
    from .expressions import ExprTranslator

# Oracle VARCHAR2 limit (MAX_STRING_SIZE = STANDARD): LISTAGG raises beyond it.
_VARCHAR2_BYTES = 4000


def _aggregate_arg(tr: ExprTranslator, node: exp.Anonymous) -> tuple[Typed, bool]:
    """The single argument of an aggregate and whether DISTINCT was given."""
    name = node.name.upper()
    if len(node.expressions) != 1:
        raise UnsupportedConstruct(name, "takes one argument")
    arg = node.expressions[0]
    distinct = isinstance(arg, exp.Distinct)
    if distinct:
        if len(arg.expressions) != 1:
            raise UnsupportedConstruct(f"{name}(DISTINCT ...)", "takes one expression")
        arg = arg.expressions[0]
    if not isinstance(node.parent, exp.Window):
        _refuse_nested_aggregate(name, arg)
    return tr.tx(arg), distinct


def _refuse_nested_aggregate(name: str, arg: exp.Expr) -> None:
    """``MAX(SUM(x)) ... GROUP BY g`` is valid Oracle (one row: the aggregate over the groups'
    aggregates) and a binder error in DuckDB; refused rather than left to fail at run time.

    An aggregate inside an analytic one (``SUM(SUM(x)) OVER ()``) is not nested in this sense
    and is translated.
    """
    from .queries import block_has_aggregate

    if block_has_aggregate([arg]):
        raise UnsupportedConstruct(
            f"nested aggregate {name}(...({arg.sql(dialect='oracle')[:40]}))",
            "an aggregate of grouped aggregates is not translated",
        )


def _wrap_distinct(value: exp.Expr, distinct: bool) -> exp.Expr:
    return exp.Distinct(expressions=[value]) if distinct else value


@function("COUNT", aggregate=True)
def _count(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    if len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Star):
        return Typed(b.call("count", exp.Star()), Kind.NUMBER)
    value, distinct = _aggregate_arg(tr, node)
    return Typed(b.call("count", _wrap_distinct(value.sql, distinct)), Kind.NUMBER)


@function("SUM", "AVG", aggregate=True)
def _numeric_aggregate(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """SUM and AVG; AVG is a decimal quotient as in Oracle (DuckDB's AVG is a DOUBLE), taken
    around the whole window when AVG is analytic."""
    value, distinct = _aggregate_arg(tr, node)
    if value.kind not in (Kind.NUMBER, Kind.UNKNOWN, Kind.NULL):
        raise UnsupportedConstruct(f"{node.name.upper()} of a {value.kind.value}", "not supported")
    result = b.call(node.name.lower(), _wrap_distinct(value.sql, distinct))
    if _is_average(node) and not isinstance(node.parent, exp.Window):
        return Typed(decimal_quotient(result), Kind.NUMBER, Storage.DECIMAL)
    return Typed(result, Kind.NUMBER)


def _is_average(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() == "AVG"


@function("MIN", "MAX", aggregate=True)
def _extreme(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    value, distinct = _aggregate_arg(tr, node)
    if value.kind in (Kind.BOOLEAN, Kind.INTERVAL_DS, Kind.INTERVAL_YM):
        raise UnsupportedConstruct(f"{node.name.upper()} of a {value.kind.value}", "not supported")
    return Typed(b.call(node.name.lower(), _wrap_distinct(value.sql, distinct)), value.kind)


@function("STDDEV", "VARIANCE", aggregate=True)
def _sample_spread(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """STDDEV/VARIANCE: sample statistics, but 0 (not NULL) for a single value."""
    value, distinct = _aggregate_arg(tr, node)
    sample = {"STDDEV": "stddev_samp", "VARIANCE": "var_samp"}[node.name.upper()]
    count = b.call("count", _wrap_distinct(value.copy(), distinct))
    result = b.case(
        [(b.eq(count, b.num(1)), b.num(0))],
        b.call(sample, _wrap_distinct(value.sql, distinct)),
    )
    return Typed(result, Kind.NUMBER)


@function("STDDEV_SAMP", "STDDEV_POP", "VAR_SAMP", "VAR_POP", "MEDIAN", aggregate=True)
def _statistic(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    value, distinct = _aggregate_arg(tr, node)
    if value.kind not in (Kind.NUMBER, Kind.UNKNOWN, Kind.NULL):
        raise UnsupportedConstruct(f"{node.name.upper()} of a {value.kind.value}", "not supported")
    if node.name.upper() == "MEDIAN":
        # Oracle averages the two middle values exactly; DuckDB's MEDIAN of a DECIMAL keeps
        # the column's scale (1.000001 and 1.000002 give 1.000001), so it is taken in DOUBLE
        # and made a decimal again like a quotient.
        median = b.call("median", _wrap_distinct(b.cast(value.sql, "DOUBLE"), distinct))
        return Typed(decimal_quotient(median), Kind.NUMBER, Storage.DECIMAL)
    return Typed(b.call(node.name.lower(), _wrap_distinct(value.sql, distinct)), Kind.NUMBER)


def ordered(tr: ExprTranslator, item: exp.Ordered) -> exp.Ordered:
    """An ORDER BY item with Oracle's NULL placement made explicit (NULLs are high)."""
    if item.args.get("with_fill"):
        raise UnsupportedConstruct("ORDER BY ... WITH FILL", "not Oracle syntax")
    value = tr.tx(item.this)
    desc = bool(item.args.get("desc"))
    nulls_first = item.args.get("nulls_first")
    if nulls_first is None:
        nulls_first = desc
    return exp.Ordered(this=value.sql, desc=desc, nulls_first=bool(nulls_first))


@node(exp.GroupConcat)
def _listagg(tr: ExprTranslator, node: exp.GroupConcat) -> Typed:
    """LISTAGG(x, sep) WITHIN GROUP (ORDER BY ...) → string_agg with the same order."""
    overflow = node.args.get("on_overflow")
    if overflow is not None and not (isinstance(overflow, exp.Var) and overflow.name == "ERROR"):
        raise UnsupportedConstruct("LISTAGG ... ON OVERFLOW TRUNCATE", "truncation not mirrored")
    order = node.this
    if not isinstance(order, exp.Order):
        raise UnsupportedConstruct(
            "LISTAGG without WITHIN GROUP (ORDER BY ...)", "element order would be arbitrary"
        )
    if isinstance(order.this, exp.Distinct):
        raise UnsupportedConstruct("LISTAGG(DISTINCT ...)", "not supported")
    separator_node = node.args.get("separator")
    separator = "" if separator_node is None else literal_str(separator_node)
    if separator is None and not (
        isinstance(separator_node, exp.Literal) and separator_node.this == ""
    ):
        raise UnsupportedConstruct("LISTAGG separator", "must be a string literal")
    value = to_text(tr, tr.tx(order.this), "LISTAGG")
    keys = [ordered(tr, item) for item in order.expressions]
    aggregated = exp.GroupConcat(
        this=exp.Order(this=value, expressions=keys), separator=b.text(separator or "")
    )
    checked = b.case(
        [(b.gt(b.call("strlen", aggregated.copy()), b.num(_VARCHAR2_BYTES)),
          b.error("ORA-01489: result of string concatenation is too long"))],
        aggregated,
    )
    return Typed(checked, Kind.STRING)


# Functions valid only with OVER (...).
_RANKING = {"ROW_NUMBER", "RANK", "DENSE_RANK", "PERCENT_RANK", "CUME_DIST"}
_NAVIGATION = {"LAG", "LEAD", "FIRST_VALUE", "LAST_VALUE", "NTILE"}
_WINDOW_AGGREGATES = {"COUNT", "SUM", "AVG", "MIN", "MAX"}


def _window_function(tr: ExprTranslator, func: exp.Expr) -> Typed:
    if not isinstance(func, exp.Anonymous):
        raise UnsupportedConstruct(f"{type(func).__name__} OVER (...)", "not supported")
    name = func.name.upper()
    if name in _WINDOW_AGGREGATES:
        return tr.tx(func)
    if name in _RANKING:
        if func.expressions:
            raise UnsupportedConstruct(name, "takes no arguments in its analytic form")
        return Typed(b.call(name.lower()), Kind.NUMBER)
    if name in _NAVIGATION:
        args = [tr.tx(a) for a in func.expressions]
        if any(isinstance(a, exp.IgnoreNulls | exp.RespectNulls) for a in func.expressions):
            raise UnsupportedConstruct(f"{name} IGNORE/RESPECT NULLS", "not supported")
        limits = {"LAG": (1, 3), "LEAD": (1, 3), "FIRST_VALUE": (1, 1), "LAST_VALUE": (1, 1),
                  "NTILE": (1, 1)}[name]
        if not limits[0] <= len(args) <= limits[1]:
            raise UnsupportedConstruct(name, "wrong number of arguments")
        kind = Kind.NUMBER if name == "NTILE" else args[0].kind
        return Typed(b.call(name.lower(), *(a.sql for a in args)), kind)
    raise UnsupportedConstruct(f"analytic function {name}", "not verified to be faithful")


_FRAME_BOUNDS = {"UNBOUNDED", "CURRENT ROW"}


def _frame(spec: exp.WindowSpec) -> exp.WindowSpec:
    for side in ("start", "end"):
        bound = spec.args.get(side)
        if bound is None or (isinstance(bound, str) and bound.upper() in _FRAME_BOUNDS):
            continue
        if not (isinstance(bound, exp.Literal) and not bound.is_string):
            raise UnsupportedConstruct("window frame", "only numeric literal offsets")
    if spec.args.get("exclude"):
        raise UnsupportedConstruct("window frame EXCLUDE", "not supported")
    return spec.copy()


@node(exp.Window)
def _window(tr: ExprTranslator, node: exp.Window) -> Typed:
    """f(...) OVER (PARTITION BY ... ORDER BY ... [frame]) with explicit NULL ordering."""
    over = (node.args.get("over") or "").upper()
    if over != "OVER" or node.args.get("alias") is not None or node.args.get("first"):
        raise UnsupportedConstruct(
            f"{over or 'named'} window (e.g. KEEP (DENSE_RANK ...))", "not supported"
        )
    func = _window_function(tr, node.this)
    partition = [tr.tx(p).sql for p in node.args.get("partition_by") or []]
    order = node.args.get("order")
    window = exp.Window(
        this=func.sql,
        partition_by=partition or None,
        order=exp.Order(expressions=[ordered(tr, o) for o in order.expressions]) if order else None,
        spec=_frame(node.args["spec"]) if node.args.get("spec") else None,
        over="OVER",
    )
    return Typed(decimal_quotient(window) if _is_average(node.this) else window, func.kind)

"""NULL-handling and choice functions: NVL, NVL2, DECODE, COALESCE, NULLIF, GREATEST, LEAST."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct
from .exact import common_numbers
from .expressions import check_comparable, is_null_literal
from .kinds import Kind, Storage, Typed, mixed_families
from .registry import function
from .strings import to_text

if TYPE_CHECKING:
    from .expressions import ExprTranslator


def _first_kind(values: list[Typed]) -> Kind:
    """The kind of the result: the first known kind (arguments were checked to agree)."""
    kinds = [v.kind for v in values]
    return next(
        (k for k in kinds if k not in (Kind.NULL, Kind.UNKNOWN)),
        Kind.UNKNOWN if Kind.UNKNOWN in kinds else Kind.NULL,
    )


def _same_storage(values: list[Typed]) -> Storage | None:
    """The storage of a choice among ``values``: known only when all agree (NULLs aside)."""
    kinds = {v.storage for v in values if v.kind is not Kind.NULL}
    return kinds.pop() if len(kinds) == 1 else None


def _check_same_family(name: str, values: list[Typed]) -> None:
    kinds = mixed_families([v.kind for v in values])
    if kinds:
        raise UnsupportedConstruct(
            f"{name} mixing {', '.join(sorted(k.value for k in kinds))}",
            "Oracle converts implicitly to the first argument's type; not mirrored",
        )


@function("NVL")
def _nvl(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    first, second = tr.args(node, 2, 2)
    _check_same_family("NVL", [first, second])
    return Typed(b.call("coalesce", *common_numbers([first, second])),
                 _first_kind([first, second]), _same_storage([first, second]))


@function("COALESCE")
def _coalesce(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    values = tr.args(node, 2, 255)
    _check_same_family("COALESCE", values)
    return Typed(b.call("coalesce", *common_numbers(values)), _first_kind(values),
                 _same_storage(values))


@function("NVL2")
def _nvl2(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """NVL2(a, b, c): b when a is not NULL, else c."""
    test, if_set, if_null = tr.args(node, 3, 3)
    _check_same_family("NVL2", [if_set, if_null])
    when_set, when_null = common_numbers([if_set, if_null])
    result = b.case([(b.is_not_null(test.sql), when_set)], when_null)
    return Typed(result, _first_kind([if_set, if_null]))


@function("NULLIF")
def _nullif(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    first, second = tr.args(node, 2, 2)
    check_comparable(first, second, "NULLIF")
    return Typed(b.call("nullif", first.sql, second.sql), first.kind)


@function("DECODE")
def _decode(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """DECODE(e, s1, r1, ..., [default]): NULL matches NULL; first result fixes the type.

    When the first result is NULL Oracle returns VARCHAR2, so later results are converted to
    text as Oracle would.
    """
    raw = node.expressions
    if len(raw) < 3:
        raise UnsupportedConstruct("DECODE", "takes at least three arguments")
    subject = tr.tx(raw[0])
    pairs = raw[1:]
    default = pairs.pop() if len(pairs) % 2 else None
    results_raw = [*pairs[1::2], *([default] if default is not None else [])]
    results = [tr.tx(r) for r in results_raw]
    text_results = is_null_literal(results_raw[0])
    if text_results:
        results = [Typed(to_text(tr, r, "DECODE result"), Kind.STRING) for r in results]
    else:
        _check_same_family("DECODE results", results)
        results = [Typed(sql, r.kind) for sql, r in zip(common_numbers(results), results,
                                                            strict=True)]
    whens = []
    for search_node, result in zip(pairs[0::2], results, strict=False):
        search = tr.tx(search_node)
        check_comparable(subject, search, "DECODE comparison")
        whens.append(
            (exp.NullSafeEQ(this=b.paren(subject.copy()), expression=b.paren(search.sql)),
             result.sql)
        )
    default_sql = results[-1].sql if default is not None else None
    kind = Kind.STRING if text_results else _first_kind(results)
    return Typed(b.case(whens, default_sql), kind)


@function("GREATEST", "LEAST")
def _extreme(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """GREATEST/LEAST: NULL if any argument is NULL (DuckDB's versions skip NULLs)."""
    name = node.name.upper()
    values = tr.args(node, 1, 255)
    _check_same_family(name, values)
    any_null = b.or_(*(b.is_null(v.copy()) for v in values))
    result = b.case([(any_null, b.null())], b.call(name.lower(), *common_numbers(values)))
    return Typed(result, _first_kind(values))

"""Neighbour queries of a gold (mutants), in the manner of distilled test suites (Zhong, Yu,
Klein 2020): small edits a model is likely to make — a predicate dropped or negated, `>` for
`>=`, SUM for AVG, RANK for ROW_NUMBER, NULLS FIRST for NULLS LAST, an inner join for an outer
one, a LIKE wildcard taken literally, SYSDATE for TRUNC(SYSDATE), a boundary constant off by
one. A test suite is adequate when every mutant that means something else returns another
result than the gold on at least one instance (`harness.mutation_score` measures that).

Generation is pure: each operator is a small function from one node of the gold's sqlglot tree
to the nodes that may replace it (None removes the node), and `OPERATORS` lists them as data.
`neighbours` applies each operator at each site of a fresh copy of the tree, one edit per
mutant, and returns the distinct Oracle texts that differ from the gold's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlglot import exp

from harness.sql_parse import parse_single

Replacement = exp.Expression | None  # None: the node is removed
Variants = Callable[[exp.Expression], list[Replacement]]

_PREDICATES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike,
               exp.In, exp.Is, exp.Between, exp.Exists, exp.Escape)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Operator:
    """One kind of edit: `variants(node)` gives the replacements of one site (empty: the node
    is not a site of this operator)."""

    name: str
    description: str
    variants: Variants


@dataclass(frozen=True)
class Mutant:
    """One neighbour of a gold: the operator that made it and its Oracle text."""

    operator: str
    sql: str


# ---------------------------------------------------------------- operators


def _where_dropped(node: exp.Expression) -> list[Replacement]:
    return [None] if isinstance(node, exp.Where | exp.Having) else []


def _conjunct_dropped(node: exp.Expression) -> list[Replacement]:
    if isinstance(node, exp.Connector):
        return [node.this.copy(), node.expression.copy()]
    return []


def _predicate_negated(node: exp.Expression) -> list[Replacement]:
    if isinstance(node, exp.Not):
        return [node.this.copy()]
    if isinstance(node, _PREDICATES) and not isinstance(node.parent, exp.Not | exp.Escape):
        return [exp.Not(this=node.copy())]
    return []


_FLIPS: dict[type, type] = {exp.GT: exp.GTE, exp.GTE: exp.GT, exp.LT: exp.LTE, exp.LTE: exp.LT,
                            exp.EQ: exp.NEQ, exp.NEQ: exp.EQ, exp.And: exp.Or, exp.Or: exp.And}


def _flipped(kinds: tuple[type, ...]) -> Variants:
    def variants(node: exp.Expression) -> list[Replacement]:
        if type(node) not in kinds:
            return []
        return [_FLIPS[type(node)](this=node.this.copy(), expression=node.expression.copy())]
    return variants


def _aggregate_swapped(node: exp.Expression) -> list[Replacement]:
    swaps = {exp.Sum: exp.Avg, exp.Avg: exp.Sum, exp.Min: exp.Max, exp.Max: exp.Min}
    if type(node) in swaps and not isinstance(node.parent, exp.Window):
        return [swaps[type(node)](this=node.this.copy())]
    if isinstance(node, exp.Window) and type(node.this) in swaps:
        swapped = node.copy()
        swapped.set("this", swaps[type(node.this)](this=node.this.this.copy()))
        return [swapped]
    if isinstance(node, exp.Count):
        arg = node.this
        if isinstance(arg, exp.Star):
            return []
        if isinstance(arg, exp.Distinct):
            return [exp.Count(this=arg.expressions[0].copy())] if len(arg.expressions) == 1 \
                else []
        return [exp.Count(this=exp.Star()), exp.Count(this=exp.Distinct(
            expressions=[arg.copy()]))]
    return []


def _rows_already_distinct(select: exp.Select) -> bool:
    """DISTINCT cannot change this SELECT's meaning: it feeds EXISTS or IN (only membership
    counts), a UNION/INTERSECT/MINUS (which removes duplicates itself), it aggregates without
    GROUP BY (one row), or it selects every GROUP BY key (one row per key)."""
    parent = select.parent
    while isinstance(parent, exp.Paren | exp.Subquery):
        parent = parent.parent
    if isinstance(parent, exp.Exists | exp.In) or (
            isinstance(parent, exp.Union | exp.Intersect | exp.Except)
            and parent.args.get("distinct", True)):
        return True
    group = select.args.get("group")
    selected = {e.unalias().sql("oracle") for e in select.expressions}
    if group is None:
        return any(e.find(exp.AggFunc) and not e.find(exp.Window) for e in select.expressions) \
            and all(not isinstance(e.unalias(), exp.Column) for e in select.expressions)
    return bool(group.expressions) and all(k.sql("oracle") in selected for k in group.expressions)


def _distinct_toggled(node: exp.Expression) -> list[Replacement]:
    if not isinstance(node, exp.Select) or _rows_already_distinct(node):
        return []
    toggled = node.copy()
    toggled.set("distinct", None if node.args.get("distinct") else exp.Distinct())
    return [toggled]


_RANKINGS = (exp.Rank, exp.DenseRank, exp.RowNumber)


def _ranking_swapped(node: exp.Expression) -> list[Replacement]:
    if type(node) not in _RANKINGS:
        return []
    return [other() for other in _RANKINGS if other is not type(node)]


def _nulls_flipped(node: exp.Expression) -> list[Replacement]:
    if not isinstance(node, exp.Ordered):
        return []
    flipped = node.copy()
    flipped.set("nulls_first", not node.args.get("nulls_first"))
    return [flipped]


def _direction_flipped(node: exp.Expression) -> list[Replacement]:
    # The whole order reversed, NULLs included (Oracle's default for the other direction).
    if not isinstance(node, exp.Ordered):
        return []
    flipped = node.copy()
    flipped.set("desc", not node.args.get("desc"))
    flipped.set("nulls_first", not node.args.get("nulls_first"))
    return [flipped]


def _null_rejected(select: exp.Select, alias: str) -> bool:
    """A top-level conjunct of WHERE compares a column of `alias` with `=`, `<>`, `<`, `>`,
    LIKE, IN or BETWEEN (or requires it NOT NULL): rows where the join added NULLs for `alias`
    never pass, so LEFT JOIN and JOIN give the same rows."""
    where = select.args.get("where")
    if where is None:
        return False
    strict = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.In, exp.Between)
    for conjunct in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        if isinstance(conjunct, exp.Not) and isinstance(conjunct.this, exp.Is):
            operands = [conjunct.this.this]
        elif isinstance(conjunct, strict):
            operands = [conjunct.this]
            if isinstance(conjunct, exp.Binary):
                operands.append(conjunct.expression)
        else:
            continue
        if any(isinstance(o, exp.Column) and o.table.upper() == alias for o in operands):
            return True
    return False


def _join_kind_swapped(node: exp.Expression) -> list[Replacement]:
    if not isinstance(node, exp.Join) or node.args.get("kind") == "CROSS" or not (
            node.args.get("on") or node.args.get("using")):
        return []
    if node.side not in ("", None, "LEFT"):
        return []
    select = node.parent
    if isinstance(select, exp.Select) and _null_rejected(select, node.this.alias_or_name.upper()):
        return []  # the same query either way (see _null_rejected)
    swapped = node.copy()
    swapped.set("side", None if node.side else "LEFT")
    swapped.set("kind", None)
    return [swapped]


def _outer_mark_dropped(node: exp.Expression) -> list[Replacement]:
    # Oracle's (+): dropping one makes that condition an inner one.
    if isinstance(node, exp.Column) and node.args.get("join_mark"):
        plain = node.copy()
        plain.set("join_mark", None)
        return [plain]
    return []


def _group_key_dropped(node: exp.Expression) -> list[Replacement]:
    if not isinstance(node, exp.Group) or not node.expressions:
        return []
    keys = node.expressions
    if len(keys) == 1:
        return [None]
    return [exp.Group(expressions=[k.copy() for j, k in enumerate(keys) if j != i])
            for i in range(len(keys))]


def _nvl_moved(node: exp.Expression) -> list[Replacement]:
    """NVL(SUM(x), d) ↔ SUM(NVL(x, d)), and NVL(x, d) → x."""
    out: list[Replacement] = []
    if isinstance(node, exp.Coalesce) and len(node.expressions) == 1:
        inner, default = node.this, node.expressions[0]
        if isinstance(inner, exp.AggFunc) and isinstance(inner.this, exp.Expression) and \
                not isinstance(inner.this, exp.Star | exp.Distinct):
            out.append(type(inner)(this=node.__class__(
                this=inner.this.copy(), expressions=[default.copy()], is_nvl=True)))
        out.append(inner.copy())
    elif isinstance(node, exp.AggFunc) and isinstance(node.this, exp.Coalesce) and \
            len(node.this.expressions) == 1 and not isinstance(node.parent, exp.Window):
        nvl = node.this
        out.append(exp.Coalesce(this=type(node)(this=nvl.this.copy()),
                                expressions=[nvl.expressions[0].copy()], is_nvl=True))
    return out


def _like_pattern_changed(node: exp.Expression) -> list[Replacement]:
    if isinstance(node, exp.Escape):
        return [node.this.copy()]  # ESCAPE dropped: `_` and `%` are wildcards again
    if not isinstance(node, exp.Like | exp.ILike) or not isinstance(
            node.expression, exp.Literal) or not node.expression.is_string:
        return []
    pattern = node.expression.this
    changes = {pattern.removeprefix("%"), pattern.removesuffix("%"), pattern.upper(),
               pattern.lower(), pattern.translate(str.maketrans("_%", "%_")),
               pattern.replace("\\_", "_").replace("\\%", "%")}
    out: list[Replacement] = []
    for changed in sorted(changes - {pattern}):
        like = node.copy()
        like.set("expression", exp.Literal.string(changed))
        out.append(like)
    return out


def _case_fold_dropped(node: exp.Expression) -> list[Replacement]:
    return [node.this.copy()] if isinstance(node, exp.Upper | exp.Lower) else []


def _is_sysdate(node: exp.Expression) -> bool:
    return isinstance(node, exp.CurrentTimestamp | exp.CurrentDate)


def _sysdate_truncated(node: exp.Expression) -> list[Replacement]:
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc) and _is_sysdate(node.this):
        return [node.this.copy()]
    if _is_sysdate(node) and not isinstance(node.parent, exp.DateTrunc | exp.TimestampTrunc):
        return [exp.DateTrunc(this=node.copy(), unit=exp.Literal.string("DD"))]
    return []


_TRANSPARENT = (exp.Neg, exp.Paren, exp.Cast, exp.StrToTime, exp.StrToDate, exp.TsOrDsToDate,
                exp.TimeStrToTime, exp.DateStrToDate)


def _is_compared(node: exp.Expression) -> bool:
    parent = node.parent
    while isinstance(parent, _TRANSPARENT):
        parent = parent.parent
    return isinstance(parent, exp.Binary | exp.Between | exp.In | exp.Fetch | exp.Limit) \
        and not isinstance(parent, exp.Connector)


def _constant_shifted(node: exp.Expression) -> list[Replacement]:
    """A numeric or ISO-date constant a predicate (or FETCH) compares with, ±1 (day)."""
    if not isinstance(node, exp.Literal) or not _is_compared(node):
        return []
    if node.is_string:
        if not _ISO_DATE.match(node.this):
            return []
        try:
            day = dt.date.fromisoformat(node.this)
        except ValueError:
            return []
        return [exp.Literal.string((day + dt.timedelta(days=d)).isoformat()) for d in (-1, 1)]
    try:
        value = int(node.this)
    except ValueError:
        return []
    return [exp.Literal.number(value + d) for d in (-1, 1) if value + d >= 0]


OPERATORS: tuple[Operator, ...] = (
    Operator("where_dropped", "the whole WHERE or HAVING clause removed", _where_dropped),
    Operator("conjunct_dropped", "one side of an AND/OR removed", _conjunct_dropped),
    Operator("predicate_negated", "a predicate negated (or its NOT removed)", _predicate_negated),
    Operator("comparison_boundary", "> for >=, < for <= and back",
             _flipped((exp.GT, exp.GTE, exp.LT, exp.LTE))),
    Operator("equality_flipped", "= for <> and back", _flipped((exp.EQ, exp.NEQ))),
    Operator("and_or_swapped", "AND for OR and back", _flipped((exp.And, exp.Or))),
    Operator("aggregate_swapped", "SUM/AVG, MIN/MAX, COUNT(col)/COUNT(*)/COUNT(DISTINCT col)",
             _aggregate_swapped),
    Operator("distinct_toggled", "SELECT DISTINCT added or removed", _distinct_toggled),
    Operator("ranking_swapped", "RANK, DENSE_RANK, ROW_NUMBER for one another", _ranking_swapped),
    Operator("nulls_flipped", "NULLS FIRST for NULLS LAST and back", _nulls_flipped),
    Operator("direction_flipped", "ASC for DESC and back", _direction_flipped),
    Operator("join_kind_swapped", "inner join for LEFT JOIN and back", _join_kind_swapped),
    Operator("outer_mark_dropped", "one Oracle (+) removed", _outer_mark_dropped),
    Operator("group_key_dropped", "one GROUP BY key removed", _group_key_dropped),
    Operator("nvl_moved", "NVL(SUM(x),d) for SUM(NVL(x,d)) and back, or NVL removed", _nvl_moved),
    Operator("like_pattern_changed", "LIKE pattern changed: ESCAPE dropped, wildcard taken "
             "literally, % trimmed, case changed", _like_pattern_changed),
    Operator("case_fold_dropped", "UPPER/LOWER removed", _case_fold_dropped),
    Operator("sysdate_truncated", "SYSDATE for TRUNC(SYSDATE) and back", _sysdate_truncated),
    Operator("constant_shifted", "a compared constant (number or date) ±1", _constant_shifted),
)
OPERATOR_NAMES = tuple(op.name for op in OPERATORS)


# ---------------------------------------------------------------- generation


def _sites(tree: exp.Expression) -> list[exp.Expression]:
    # walk() visits a tree and its copy in the same order, so an index finds the copy's node
    return list(tree.walk())


def _apply(tree: exp.Expression, index: int, variant: int, operator: Operator) -> str | None:
    copy = tree.copy()
    node = _sites(copy)[index]
    replacement = operator.variants(node)[variant]
    if node is copy:
        if replacement is None:
            return None
        copy = replacement
    elif replacement is None:
        node.pop()
    else:
        node.replace(replacement)
    try:
        return copy.sql(dialect="oracle")
    except Exception:  # noqa: BLE001 — a mutant sqlglot cannot print is no mutant
        return None


def mutate(tree: exp.Expression, operators: tuple[Operator, ...] = OPERATORS
           ) -> Iterator[Mutant]:
    """Every single-edit neighbour of `tree` (duplicates and no-ops included)."""
    for index, node in enumerate(_sites(tree)):
        for operator in operators:
            for variant in range(len(operator.variants(node))):
                sql = _apply(tree, index, variant, operator)
                if sql is not None:
                    yield Mutant(operator.name, sql)


def neighbours(gold_sql: str, operators: tuple[Operator, ...] = OPERATORS) -> list[Mutant]:
    """The distinct neighbours of a gold, in generation order; a text equal to the gold's
    (after printing both with sqlglot) is not a neighbour. Raises SqlParseError when the gold
    does not parse."""
    tree = parse_single(gold_sql)
    seen = {tree.sql(dialect="oracle")}
    out = []
    for mutant in mutate(tree, operators):
        if mutant.sql not in seen:
            seen.add(mutant.sql)
            out.append(mutant)
    return out

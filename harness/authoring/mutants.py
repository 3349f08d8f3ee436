"""Neighbour queries of a gold (mutants), in the manner of distilled test suites (Zhong, Yu,
Klein 2020): small edits a model is likely to make — a predicate dropped or negated, `>` for
`>=`, SUM for AVG, RANK for ROW_NUMBER, NULLS FIRST for NULLS LAST, an inner join for an outer
one, a LIKE wildcard taken literally, SYSDATE for TRUNC(SYSDATE), a boundary constant off by
one. A test suite is adequate when every mutant that means something else returns another
result than the gold on at least one instance (`harness.authoring.mutation_score` measures that).

Generation is pure: each operator is a small function from one node of the gold's sqlglot tree
to the nodes that may replace it (None removes the node), and `OPERATORS` lists them as data.
`neighbours` applies each operator at each site of a fresh copy of the tree, one edit per
mutant, and returns the distinct Oracle texts that differ from the gold's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.dialects.oracle import Oracle

from harness.sql.parse import SqlParseError, parse_single

if TYPE_CHECKING:
    from harness.inputs.catalog import Catalog

Replacement = exp.Expression | None  # None: the node is removed
Inheritance = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
Variants = Callable[[exp.Expression, "SchemaFacts"], list[Replacement]]

_PREDICATES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike,
               exp.In, exp.Is, exp.Between, exp.Exists, exp.Escape)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Operator:
    """One kind of edit: `variants(node, facts)` gives the replacements of one site (empty:
    the node is not a site of this operator, or every edit there provably keeps the meaning
    under the schema `facts`)."""

    name: str
    description: str
    variants: Variants


@dataclass(frozen=True)
class Mutant:
    """One neighbour of a gold: the operator that made it and its Oracle text."""

    operator: str
    sql: str


@dataclass(frozen=True)
class SchemaFacts:
    """What the catalog guarantees on every database it allows, used to leave out edits that
    cannot change a result (and by `harness.authoring.mutant_equivalence` to prove survivors
    equivalent): NOT NULL columns, primary keys, every key that determines a row (the primary
    key and the declared unique keys), each table's columns, and foreign keys whose columns are
    all NOT NULL (every child row has its parent), the version key of each date-tracked
    table (unique at one date), the columns a child row shares with the parent row its
    foreign key names (catalog `same:`, kept where both columns are NOT NULL), and each
    column's Oracle base type (equalities are only chained within one type).
    Names are upper case. Empty: no pruning."""

    not_null: frozenset[tuple[str, str]] = frozenset()
    primary_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # (child table, child columns) -> (parent table, parent columns), mandatory keys only
    mandatory_parents: Mapping[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = \
        field(default_factory=dict)
    unique_keys: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # table -> (key, start column, end column) of a date-tracked table (catalog `date_tracked`)
    date_tracked: Mapping[str, tuple[tuple[str, ...], str, str]] = field(default_factory=dict)
    # (child table, parent table) -> ((child columns, parent columns, shared columns), ...)
    inherited: Mapping[tuple[str, str], tuple[Inheritance, ...]] = field(default_factory=dict)
    # (table, column) -> the Oracle base type (NUMBER, VARCHAR2, DATE, ...)
    types: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> SchemaFacts:
        """The facts of a catalog (harness.inputs.catalog)."""
        not_null = frozenset((t.name.upper(), c.name.upper()) for t in catalog.tables.values()
                             for c in t.columns if not c.nullable)
        keys = {t.name.upper(): tuple(k.upper() for k in t.primary_key)
                for t in catalog.tables.values()}
        parents = {}
        for table in catalog.tables.values():
            for fk in table.foreign_keys:
                cols = tuple(c.upper() for c in fk.columns)
                if all((table.name.upper(), c) in not_null for c in cols):
                    parents[(table.name.upper(), cols)] = (
                        fk.references.upper(), tuple(c.upper() for c in fk.ref_columns))
        unique = {t.name.upper(): (keys[t.name.upper()], *(
            tuple(c.upper() for c in u.columns) for u in t.unique_keys))
            for t in catalog.tables.values()}
        columns = {t.name.upper(): frozenset(c.name.upper() for c in t.columns)
                   for t in catalog.tables.values()}
        inherited: dict[tuple[str, str], tuple[Inheritance, ...]] = {}
        for table, fk in catalog.join_edges():
            child, parent = table.upper(), fk.references.upper()
            shared = tuple(c.upper() for c in fk.same if (child, c.upper()) in not_null
                           and (parent, c.upper()) in not_null)
            if shared:
                inherited[(child, parent)] = (*inherited.get((child, parent), ()), (
                    tuple(c.upper() for c in fk.columns),
                    tuple(c.upper() for c in fk.ref_columns), shared))
        types = {(t.name.upper(), c.name.upper()): c.type.base for t in catalog.tables.values()
                 for c in t.columns}
        tracked = {t.name.upper(): (tuple(k.upper() for k in t.date_tracked.key),
                                    t.date_tracked.start.upper(), t.date_tracked.end.upper())
                   for t in catalog.tables.values() if t.date_tracked}
        return cls(not_null, keys, parents, unique, columns, date_tracked=tracked,
                   inherited=inherited, types=types)


def _scope_tables(select: exp.Select) -> dict[str, tuple[str, bool]]:
    """alias -> (table, may be NULL-extended) for the tables a SELECT reads directly."""
    out: dict[str, tuple[str, bool]] = {}
    outer_marks = any(c.args.get("join_mark") for c in select.find_all(exp.Column))
    joins = select.args.get("joins") or []
    sides = {j.side for j in joins}
    source = select.args.get("from_") or select.args.get("from")
    entries = [(source.this if source else None, bool(sides & {"RIGHT", "FULL"}))]
    entries += [(j.this, j.side in ("LEFT", "FULL") or bool(
        sides & {"RIGHT"} and j is not joins[-1])) for j in joins]
    for node, extended in entries:
        if isinstance(node, exp.Table):
            out[node.alias_or_name.upper()] = (node.name.upper(), extended or outer_marks)
    return out


def _column_source(column: exp.Column, select: exp.Select) -> tuple[str, bool] | None:
    """(table, may be NULL-extended) of a column the SELECT reads directly, if known."""
    tables = _scope_tables(select)
    if column.table:
        return tables.get(column.table.upper())
    return next(iter(tables.values())) if len(tables) == 1 else None


def never_null(node: exp.Expression, select: exp.Select, facts: SchemaFacts) -> bool:
    """The expression cannot be NULL in this SELECT: COUNT, or a NOT NULL column of a table
    that no outer join NULL-extends (or MIN/MAX/SUM of one over non-empty groups)."""
    if isinstance(node, exp.Count):
        return True
    if isinstance(node, exp.Min | exp.Max | exp.Sum) and select.args.get("group"):
        node = node.this
    if not isinstance(node, exp.Column):
        return False
    source = _column_source(node, select)
    return source is not None and not source[1] and (source[0], node.name.upper()) in \
        facts.not_null


def order_target(ordered: exp.Ordered, select: exp.Select) -> exp.Expression:
    """What an ORDER BY item sorts on: a select-list expression for a position or alias."""
    key = ordered.this
    items = select.expressions
    if isinstance(key, exp.Literal) and not key.is_string and key.this.isdigit():
        position = int(key.this) - 1
        if 0 <= position < len(items):
            return items[position].unalias()
    if isinstance(key, exp.Column) and not key.table:
        for item in items:
            if isinstance(item, exp.Alias) and item.alias.upper() == key.name.upper():
                return item.this
    return key


# ---------------------------------------------------------------- operators


def _where_dropped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    return [None] if isinstance(node, exp.Where | exp.Having) else []


def _conjunct_dropped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    if isinstance(node, exp.Connector):
        return [node.this.copy(), node.expression.copy()]
    return []


def _predicate_negated(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    if isinstance(node, exp.Not):
        return [node.this.copy()]
    if isinstance(node, _PREDICATES) and not isinstance(node.parent, exp.Not | exp.Escape):
        return [exp.Not(this=node.copy())]
    return []


_FLIPS: dict[type, type] = {exp.GT: exp.GTE, exp.GTE: exp.GT, exp.LT: exp.LTE, exp.LTE: exp.LT,
                            exp.EQ: exp.NEQ, exp.NEQ: exp.EQ, exp.And: exp.Or, exp.Or: exp.And}


def _flipped(kinds: tuple[type, ...]) -> Variants:
    def variants(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
        if type(node) not in kinds:
            return []
        flipped = _FLIPS[type(node)](this=node.this.copy(), expression=node.expression.copy())
        if isinstance(flipped, exp.Or) and isinstance(node.parent, exp.And | exp.Not):
            # `a AND b AND c` with its first AND swapped means `(a OR b) AND c`: printed
            # without parentheses it would read `a OR (b AND c)`, another mutant
            flipped = exp.Paren(this=flipped)
        return [flipped]
    return variants


def _aggregate_swapped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
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
        select = node.find_ancestor(exp.Select)
        star = [] if select is not None and never_null(arg, select, facts) else [
            exp.Count(this=exp.Star())]  # COUNT of a column that is never NULL is COUNT(*)
        return [*star, exp.Count(this=exp.Distinct(expressions=[arg.copy()]))]
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


def _distinct_toggled(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    if not isinstance(node, exp.Select) or _rows_already_distinct(node):
        return []
    toggled = node.copy()
    toggled.set("distinct", None if node.args.get("distinct") else exp.Distinct())
    return [toggled]


_RANKINGS = (exp.Rank, exp.DenseRank, exp.RowNumber)


def _ranking_swapped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    if type(node) not in _RANKINGS:
        return []
    return [other() for other in _RANKINGS if other is not type(node)]


def _nulls_flipped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    if not isinstance(node, exp.Ordered):
        return []
    select = node.find_ancestor(exp.Select)
    if select is not None and never_null(order_target(node, select), select, facts):
        return []  # no NULL to place
    flipped = node.copy()
    flipped.set("nulls_first", not node.args.get("nulls_first"))
    return [flipped]


def _direction_flipped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
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


def _parent_always_found(join: exp.Join, select: exp.Select, facts: SchemaFacts) -> bool:
    """The join's ON is exactly `child.fk = parent.key` for a foreign key whose columns are NOT
    NULL, from a child no outer join NULL-extends: every child row finds its parent, so the
    inner and the LEFT join give the same rows."""
    if not isinstance(join.this, exp.Table) or join.args.get("using"):
        return False
    parent_alias, parent = join.this.alias_or_name.upper(), join.this.name.upper()
    on = join.args.get("on")
    pairs: dict[str, list[tuple[str, str]]] = {}  # child alias -> (child col, parent col)
    for conjunct in on.flatten() if isinstance(on, exp.And) else [on]:
        if not isinstance(conjunct, exp.EQ) or not all(
                isinstance(side, exp.Column) and side.table
                for side in (conjunct.this, conjunct.expression)):
            return False
        a, b = conjunct.this, conjunct.expression
        if b.table.upper() != parent_alias:
            a, b = b, a
        if b.table.upper() != parent_alias or a.table.upper() == parent_alias:
            return False
        pairs.setdefault(a.table.upper(), []).append((a.name.upper(), b.name.upper()))
    if len(pairs) != 1:
        return False
    (child_alias, cols), = pairs.items()
    source = _scope_tables(select).get(child_alias)
    if source is None or source[1]:
        return False
    for (child, child_cols), (ref, ref_cols) in facts.mandatory_parents.items():
        if child == source[0] and ref == parent and sorted(zip(child_cols, ref_cols,
                                                                strict=True)) == sorted(cols):
            return True
    return False


def _join_kind_swapped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    if not isinstance(node, exp.Join) or node.args.get("kind") == "CROSS" or not (
            node.args.get("on") or node.args.get("using")):
        return []
    if node.side not in ("", None, "LEFT"):
        return []
    select = node.parent
    if isinstance(select, exp.Select) and (
            _null_rejected(select, node.this.alias_or_name.upper())
            or _parent_always_found(node, select, facts)):
        return []  # the same query either way
    swapped = node.copy()
    swapped.set("side", None if node.side else "LEFT")
    swapped.set("kind", None)
    return [swapped]


def _outer_mark_dropped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    # Oracle's (+): dropping one makes that condition an inner one.
    if isinstance(node, exp.Column) and node.args.get("join_mark"):
        plain = node.copy()
        plain.set("join_mark", None)
        return [plain]
    return []


def _group_key_dropped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    """One key removed; not a key the select list shows as it is (Oracle refuses the mutant,
    ORA-00979) nor one the rest of the keys determine (the same groups)."""
    if not isinstance(node, exp.Group) or not node.expressions:
        return []
    keys = node.expressions
    select = node.parent
    shown = {e.unalias().sql("oracle") for e in select.expressions} \
        if isinstance(select, exp.Select) else set()
    if len(keys) == 1:
        return [] if keys[0].sql("oracle") in shown else [None]
    return [exp.Group(expressions=[k.copy() for j, k in enumerate(keys) if j != i])
            for i in range(len(keys)) if keys[i].sql("oracle") not in shown and not (
                isinstance(select, exp.Select) and _determined(keys[i], keys, select, facts))]


def _determined(key: exp.Expression, keys: list[exp.Expression], select: exp.Select,
                facts: SchemaFacts) -> bool:
    """`key` is a column of a table whose whole primary key is among the other GROUP BY keys:
    the key determines it, so dropping it keeps the groups."""
    if not isinstance(key, exp.Column):
        return False
    source = _column_source(key, select)
    if source is None:
        return False
    pk = facts.primary_keys.get(source[0], ())
    others = {(k.table.upper(), k.name.upper()) for k in keys
              if isinstance(k, exp.Column) and k is not key}
    return bool(pk) and key.name.upper() not in pk and all(
        (key.table.upper(), c) in others for c in pk)


def _sum_of_zero_default_per_group(aggregate: exp.Expression, default: exp.Expression) -> bool:
    """NVL(SUM(x), 0) and SUM(NVL(x, 0)) agree on every non-empty group (SUM skips NULLs; an
    all-NULL group gives 0 both ways); they differ only on an empty input, which a plain
    GROUP BY never has. So the move is no edit for SUM with default 0 under a plain GROUP BY."""
    if not isinstance(aggregate, exp.Sum) or not (isinstance(default, exp.Literal)
                                                  and not default.is_string
                                                  and default.this in ("0", "0.0")):
        return False
    select = aggregate.find_ancestor(exp.Select)
    group = select.args.get("group") if select is not None else None
    return bool(group and group.expressions) and not any(
        group.args.get(k) for k in ("rollup", "cube", "grouping_sets"))


def _nvl_moved(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    """NVL(SUM(x), d) ↔ SUM(NVL(x, d)), and NVL(x, d) → x."""
    out: list[Replacement] = []
    if isinstance(node, exp.Coalesce) and len(node.expressions) == 1:
        inner, default = node.this, node.expressions[0]
        if isinstance(inner, exp.AggFunc) and isinstance(inner.this, exp.Expression) and \
                not isinstance(inner.this, exp.Star | exp.Distinct) and \
                not _sum_of_zero_default_per_group(inner, default):
            out.append(type(inner)(this=node.__class__(
                this=inner.this.copy(), expressions=[default.copy()], is_nvl=True)))
        out.append(inner.copy())
    elif isinstance(node, exp.AggFunc) and isinstance(node.this, exp.Coalesce) and \
            len(node.this.expressions) == 1 and not isinstance(node.parent, exp.Window):
        nvl = node.this
        if not _sum_of_zero_default_per_group(node, nvl.expressions[0]):
            out.append(exp.Coalesce(this=type(node)(this=nvl.this.copy()),
                                    expressions=[nvl.expressions[0].copy()], is_nvl=True))
    return out


def _like_pattern_changed(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
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


def _case_fold_dropped(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    return [node.this.copy()] if isinstance(node, exp.Upper | exp.Lower) else []


def _is_sysdate(node: exp.Expression) -> bool:
    return isinstance(node, exp.CurrentTimestamp | exp.CurrentDate)


def _sysdate_truncated(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc) and _is_sysdate(node.this):
        return [node.this.copy()]
    if _is_sysdate(node) and not isinstance(node.parent, exp.DateTrunc | exp.TimestampTrunc):
        return [exp.DateTrunc(this=node.copy(), unit=exp.Literal.string("DD"))]
    return []


_TRANSPARENT = (exp.Neg, exp.Paren, exp.Cast, exp.StrToTime, exp.StrToDate, exp.TsOrDsToDate,
                exp.TimeStrToTime, exp.DateStrToDate)


_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_BOUNDARIES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.In,
               exp.Fetch, exp.Limit)


def _is_compared(node: exp.Expression) -> bool:
    """The constant is a boundary: through conversions and arithmetic (`DATE '…' - 30`) it
    reaches a comparison, IN, BETWEEN or FETCH. A constant elsewhere (`SUBSTR(x, n + 1)`,
    `100 * a / b` in the select list, a GROUP BY expression) is no boundary: shifting it is
    another computation, not an off-by-one filter, and in GROUP BY it only breaks the query."""
    parent = node.parent
    while isinstance(parent, _TRANSPARENT + _ARITHMETIC):
        parent = parent.parent
    return isinstance(parent, _BOUNDARIES)


def _constant_shifted(node: exp.Expression, facts: SchemaFacts) -> list[Replacement]:
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


class _Oracle19(Oracle):
    """sqlglot's Oracle dialect, printing MINUS where it prints EXCEPT (which 19c refuses:
    a mutant of a MINUS gold printed with EXCEPT is no query the judge accepts)."""

    class Generator(Oracle.Generator):
        def set_operation(self, expression: exp.SetOperation) -> str:
            text = super().set_operation(expression)
            return text.replace("EXCEPT", "MINUS", 1) if isinstance(expression, exp.Except) \
                else text


def oracle_text(tree: exp.Expression) -> str:
    """The Oracle 19c text of a tree, as mutants are printed."""
    return tree.sql(dialect=_Oracle19)


def _sites(tree: exp.Expression) -> list[exp.Expression]:
    # walk() visits a tree and its copy in the same order, so an index finds the copy's node
    return list(tree.walk())


def _apply(tree: exp.Expression, index: int, variant: int, operator: Operator,
           facts: SchemaFacts) -> str | None:
    copy = tree.copy()
    node = _sites(copy)[index]
    replacement = operator.variants(node, facts)[variant]
    if node is copy:
        if replacement is None:
            return None
        copy = replacement
    elif replacement is None:
        node.pop()
    else:
        node.replace(replacement)
    try:
        return oracle_text(copy)
    except Exception:  # noqa: BLE001 — a mutant sqlglot cannot print is no mutant
        return None


def mutate(tree: exp.Expression, operators: tuple[Operator, ...] = OPERATORS,
           facts: SchemaFacts | None = None) -> Iterator[Mutant]:
    """Every single-edit neighbour of `tree` (duplicates and no-ops included)."""
    facts = facts or SchemaFacts()
    for index, node in enumerate(_sites(tree)):
        for operator in operators:
            for variant in range(len(operator.variants(node, facts))):
                sql = _apply(tree, index, variant, operator, facts)
                if sql is not None:
                    yield Mutant(operator.name, sql)


def neighbours(gold_sql: str, operators: tuple[Operator, ...] = OPERATORS,
               facts: SchemaFacts | None = None) -> list[Mutant]:
    """The distinct neighbours of a gold, in generation order; a text equal to the gold's
    (after printing both with sqlglot) is not a neighbour, nor is SQL that Oracle 19c refuses
    (DISTINCT toggled on a query ordered by an unselected expression: ORA-01791), which
    scoring calls a parse error before any instance sees it. With `facts` (the catalog's keys
    and NOT NULL columns), edits they prove meaning-preserving are left out. Raises
    SqlParseError when the gold does not parse."""
    tree = parse_single(gold_sql)
    seen = {oracle_text(tree)}
    out = []
    for mutant in mutate(tree, operators, facts):
        if mutant.sql in seen:
            continue
        seen.add(mutant.sql)
        try:
            parse_single(mutant.sql)
        except SqlParseError:
            continue
        out.append(mutant)
    return out

"""Proofs that a neighbour query (`harness.authoring.mutants`) means the same as its gold on every
database the catalog allows, so no test-suite instance can kill it.

The prover is conservative: `prove` returns a `Proof` (the rule and a machine-written reason)
only when one of the rules below applies soundly, and None whenever it is unsure (a CTE, a
RIGHT/FULL join, an outer-joined derived table, an unqualified column two tables share, an
expression it does not know). A None is no claim of difference: the survivor stays counted until data kills it or a
person reviews it (`fixtures/golden/equivalent_mutants.yaml`).

Every rule rests on one fact: which columns **determine a row** of a SELECT's FROM. A table's
primary key and its declared unique keys (catalog `unique_keys`, EBS unique indexes, each with
a NOT NULL column so that no row escapes the index) determine its row, and so do a derived
table's shown GROUP BY keys, or all its columns when its rows are distinct; an equality
conjunct of WHERE or of an inner join's ON (`a.x = b.y`, `a.x = 5`) carries a value from one
side to the other; an outer join (LEFT JOIN's ON, Oracle's `(+)`) that matches a whole unique key of the
joined table determines that table's row (the match or the NULL row) from the other side only;
on a date-tracked table (catalog `date_tracked`: the versions of one key never overlap) a
conjunct `d BETWEEN a.start AND a.end` makes the key and the date `d` determine a's row (and
the key with its start, or with its end, is unique on its own). An
inline view needs no alias (its columns resolve unqualified). The closure of a set of columns under these dependencies decides:

- `distinct_over_unique_rows`: DISTINCT toggled on a SELECT whose selected columns determine a
  row of every table (or every GROUP BY key, or show ROW_NUMBER() over a partition they
  determine): the rows are already distinct;
- `single_row_groups`: SUM↔AVG, MIN↔MAX, COUNT(x)↔COUNT(DISTINCT x) where the GROUP BY keys
  (or the WHERE's constants, without GROUP BY) determine a row of every table: a group holds at
  most one row, on which these aggregates agree;
- `constant_within_group`: MIN↔MAX of an expression the GROUP BY keys determine: every row of
  a group holds the same value;
- `group_key_determined`: a GROUP BY key dropped that the other keys determine: same groups;
- `order_decided_earlier`: ASC↔DESC or NULLS FIRST↔LAST of an ORDER BY key that follows keys
  determining the row (or of a one-row result): it never breaks a tie;
- `ranking_without_ties`: RANK, DENSE_RANK and ROW_NUMBER swapped in a window whose PARTITION BY
  and ORDER BY keys determine the row: with no ties the three number rows alike;
- `top_rank_filter`: RANK↔DENSE_RANK in an inline view its query reads only through
  `rank = 1`: both are 1 on the same rows;
- `sign_of_sum`: SUM↔AVG compared with 0: same sign (or both NULL);
- `count_of_distinct_values`: COUNT(x)↔COUNT(DISTINCT x) where the GROUP BY keys and x
  determine the row read: no non-NULL x repeats within a group;
- `no_null_to_place`: NULLS FIRST↔LAST of an ORDER BY or window key (through an alias, a
  position or a derived table's column) that is never NULL on the rows it orders
  (`predicate_implication.never_null_here`: NOT NULL columns, WHERE's NULL rejection, COUNT,
  aggregates of such under GROUP BY, null-propagating functions of such);
- `nvl_of_never_null`: NVL(x, d) → x where x is never NULL (a NOT NULL column no outer join
  extends, COUNT, or MIN/MAX/SUM of one per non-empty group);
- `never_null_test_dropped`: a conjunct `x IS NOT NULL` dropped where x is never NULL;
- `nvl_default_rejected`: `NVL(x, d) op k` -> `x op k` in a conjunct of WHERE or of an inner
  join's ON, where `d op k` (two literals) is false: a NULL x makes one side false and the
  other unknown, so WHERE drops the row either way;
- `nvl_sum_rejected_by_having`: `SUM(NVL(x, 0))` -> `SUM(x)` in a SELECT whose HAVING holds a
  conjunct `SUM(NVL(x, 0)) op k` with `0 op k` false: a group of only NULL x fails that
  conjunct (0, or unknown once mutated), so every group kept has a non-NULL x, where both
  sums agree;
- `implied_conjunct`: a conjunct (or a whole WHERE) dropped that the other conjuncts imply,
  by the equality classes of `harness.authoring.predicate_implication` (the enclosing
  query's conjuncts, positive EXISTS, the catalog's inherited columns such as ORG_ID);
- `equivalent_operands`: AND↔OR where, under the other conjuncts, every equality of both
  sides compares the same two classes (both sides true together);
- `implied_operands`: AND↔OR where the other conjuncts imply both sides (equalities of one
  class, IS NOT NULL of a column another conjunct rejects NULL in): both true;
- `outer_side_null_rejected`: JOIN↔LEFT JOIN where WHERE or a later inner join rejects NULL
  in a column of the joined table;
- `parent_matched_on_its_key`: JOIN↔LEFT JOIN of a parent on a mandatory foreign key of a
  never NULL-extended child, plus equalities of columns the child inherits.
- `outer_rows_rejected_by_having`: JOIN↔LEFT JOIN of a grouped SELECT's last table B: the
  rows LEFT JOIN adds (B all NULL) change no group when every aggregate ignores them (SUM,
  AVG, MIN, MAX, COUNT of expressions NULL with B) or the GROUP BY keys determine the other
  tables' rows, and a group of only such rows fails a HAVING `aggregate op number` (COUNT 0,
  SUM NULL, COUNT(*) 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp

from harness.authoring.mutants import Mutant, SchemaFacts, never_null, oracle_text, order_target
from harness.authoring.predicate_implication import (
    Implication,
    catalog_table,
    conjuncts,
    never_null_here,
    plain_tables,
    rejected_columns,
)
from harness.sql.parse import SqlParseError, parse_single

Attr = tuple[str, str]  # (alias, column); column "*" stands for the whole row of the alias
_ROW = "*"
_SWAPPED_AGGREGATES = (exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Count)


@dataclass(frozen=True)
class Proof:
    """Why a mutant means the same as its gold: the rule and what it found."""

    rule: str
    reason: str


RULES: dict[str, str] = {
    "distinct_over_unique_rows": "DISTINCT toggled where the selected columns determine a row "
                                 "of every table read (primary/unique keys): rows are already "
                                 "distinct",
    "single_row_groups": "SUM/AVG, MIN/MAX or COUNT(x)/COUNT(DISTINCT x) swapped where each "
                         "group holds at most one row",
    "constant_within_group": "MIN/MAX swapped on an expression the GROUP BY keys determine",
    "group_key_determined": "a GROUP BY key dropped that the other keys determine",
    "order_decided_earlier": "ASC/DESC or NULLS FIRST/LAST flipped on an ORDER BY key that "
                             "never breaks a tie (earlier keys determine the row)",
    "ranking_without_ties": "RANK/DENSE_RANK/ROW_NUMBER swapped where the window's keys "
                            "determine the row (no ties)",
    "no_null_to_place": "NULLS FIRST/LAST flipped on an ORDER BY key WHERE keeps from being "
                        "NULL",
    "sign_of_sum": "SUM/AVG swapped where the aggregate is compared with 0 (same sign)",
    "count_of_distinct_values": "COUNT(x)/COUNT(DISTINCT x) swapped where x determines the "
                                "row within a group",
    "top_rank_filter": "RANK/DENSE_RANK swapped in an inline view its query reads only "
                       "through rank = 1",
    "nvl_of_never_null": "NVL removed around an expression that is never NULL",
    "never_null_test_dropped": "an IS NOT NULL test dropped on an expression that is never "
                               "NULL",
    "nvl_default_rejected": "NVL(x, d) op k -> x op k in a WHERE/ON conjunct where d op k is "
                            "false: a NULL x drops the row either way",
    "nvl_sum_rejected_by_having": "SUM(NVL(x, 0)) -> SUM(x) where a HAVING conjunct "
                                  "SUM(NVL(x, 0)) op k is false at 0: every group kept has "
                                  "a non-NULL x, so both sums agree",
    "implied_conjunct": "a conjunct (or a whole WHERE) dropped that the remaining conjuncts "
                        "imply: equalities closed under the enclosing query's conjuncts, "
                        "positive EXISTS and the catalog's inherited columns (ORG_ID of a "
                        "document's child rows)",
    "equivalent_operands": "AND/OR swapped where, under the other conjuncts, every equality "
                           "of both sides compares the same two classes: both sides are true "
                           "together",
    "implied_operands": "AND/OR swapped where the other conjuncts imply both sides (both "
                        "true)",
    "outer_side_null_rejected": "inner/LEFT JOIN swapped where a WHERE conjunct or a later "
                                "inner join rejects NULL in a column of the joined table: the "
                                "NULL-extended rows never survive",
    "outer_rows_rejected_by_having": "inner/LEFT JOIN swapped of a grouped SELECT's last "
                                     "table: the NULL-extended rows change no group and "
                                     "HAVING drops a group of only such rows",
    "parent_matched_on_its_key": "inner/LEFT JOIN swapped of a parent joined on a mandatory "
                                 "foreign key (plus equalities of inherited columns) of a "
                                 "never NULL-extended child: every row finds its match",
}


# ---------------------------------------------------------------- where the edit is


def _children(node: exp.Expression) -> dict[str, object]:
    return {k: v for k, v in node.args.items() if v not in (None, False, [], "")}


def edit_site(gold: exp.Expression, mutant: exp.Expression
              ) -> tuple[exp.Expression, exp.Expression] | None:
    """The smallest pair of nodes (gold's, mutant's) outside which the two trees are equal,
    found by descending while exactly one child differs; None for equal trees."""
    if type(gold) is not type(mutant):
        return gold, mutant
    a, b = _children(gold), _children(mutant)
    if a.keys() != b.keys():
        return gold, mutant
    differing: list[tuple[exp.Expression, exp.Expression]] = []
    for key, left in a.items():
        right = b[key]
        lefts = left if isinstance(left, list) else [left]
        rights = right if isinstance(right, list) else [right]
        if len(lefts) != len(rights):
            return gold, mutant
        for x, y in zip(lefts, rights, strict=True):
            if isinstance(x, exp.Expression) and isinstance(y, exp.Expression):
                if x != y:
                    differing.append((x, y))
            elif x != y:
                return gold, mutant
    if not differing:
        return None
    if len(differing) > 1:
        return gold, mutant
    return edit_site(*differing[0])


# ---------------------------------------------------------------- functional dependencies


@dataclass(frozen=True)
class _Source:
    """One row source of a SELECT: its columns and the column sets that determine its row."""

    columns: frozenset[str]
    keys: tuple[tuple[str, ...], ...]


@dataclass
class _Scope:
    """The row sources one SELECT reads and the dependencies among their columns."""

    tables: dict[str, _Source]  # alias -> source
    constants: set[Attr]
    edges: list[tuple[frozenset[Attr], Attr]]  # premises -> conclusion


def _resolve(column: exp.Column, tables: dict[str, _Source]) -> Attr | str | None:
    """(alias, column) for a column of the scope, "outer" for one qualified by an alias of an
    enclosing query (a constant while this SELECT runs), None when unsure."""
    name = column.name.upper()
    if column.table:
        alias = column.table.upper()
        if alias in tables:
            return (alias, name) if name in tables[alias].columns else None
        return "outer"
    owners = [a for a, t in tables.items() if name in t.columns]
    return (owners[0], name) if len(owners) == 1 else None


def _plain(node: exp.Expression) -> bool:
    """Deterministic and row-local: no subquery, aggregate, window or ROWNUM."""
    return not any(isinstance(n, exp.Select | exp.AggFunc | exp.Window | exp.Rand)
                   or (isinstance(n, exp.Column) and n.name.upper() in ("ROWNUM", "LEVEL"))
                   for n in node.walk())


def _inputs(node: exp.Expression, scope: _Scope) -> frozenset[Attr] | None:
    """The scope columns a plain expression reads, None when it is not plain or a column
    does not resolve."""
    if not _plain(node):
        return None
    out = set()
    for column in node.find_all(exp.Column):
        attr = _resolve(column, scope.tables)
        if attr is None:
            return None
        if attr != "outer":
            out.add(attr)
    return frozenset(out)


def _marked(node: exp.Expression) -> set[str]:
    return {c.table.upper() for c in node.find_all(exp.Column) if c.args.get("join_mark")}


def _derived(subquery: exp.Subquery, facts: SchemaFacts) -> _Source | None:
    """A derived table's columns (its select list's names) and keys: the shown GROUP BY keys,
    all its columns when its rows are distinct (DISTINCT, or rows the select list determines),
    none at all for one row (an aggregate without GROUP BY)."""
    inner = subquery.this
    if not isinstance(inner, exp.Select):
        return None  # (an inline view without alias is read through its unqualified columns)
    names = [e.alias_or_name.upper() for e in inner.expressions]
    if not all(names) or len(set(names)) != len(names) or any(
            isinstance(e.unalias(), exp.Star) for e in inner.expressions):
        return None
    keys: list[tuple[str, ...]] = []
    group = _plain_group(inner)
    shown = {e.unalias().sql("oracle"): n for e, n in zip(inner.expressions, names, strict=True)}
    if group and all(k.sql("oracle") in shown for k in group):
        keys.append(tuple(shown[k.sql("oracle")] for k in group))
    if group == [] and _aggregates(inner) and not inner.args.get("having"):
        keys.append(())
    if inner.args.get("distinct") or rows_determined_by(inner, inner.expressions, facts):
        keys.append(tuple(names))
    return _Source(frozenset(names), tuple(keys))


def _scope(select: exp.Select, facts: SchemaFacts) -> _Scope | None:
    """The scope of a SELECT over catalog tables and derived tables joined inner, LEFT or by
    `(+)` (a derived table only inner); None for anything else (CTEs, RIGHT/FULL joins,
    USING, a derived table an outer join may NULL-extend)."""
    source = select.args.get("from_") or select.args.get("from")
    joins = select.args.get("joins") or []
    if source is None:
        return None
    items = [(source.this, None)] + [(j.this, j) for j in joins]
    tables: dict[str, _Source] = {}
    tracked: dict[str, tuple[tuple[str, ...], str, str]] = {}  # alias -> date-track key
    marks = any(c.args.get("join_mark") for c in select.find_all(exp.Column))
    for node, join in items:
        if isinstance(node, exp.Table) and node.name.upper() in facts.columns:
            table = node.name.upper()
            keys = tuple(facts.unique_keys.get(table, ()))
            if table in facts.date_tracked:
                key, start, end = tracked[node.alias_or_name.upper()] = facts.date_tracked[table]
                keys += ((*key, start), (*key, end))  # (versions that share one would overlap)
            found = _Source(facts.columns[table], keys)
        elif isinstance(node, exp.Subquery) and not marks and (
                join is None or join.side not in ("LEFT", "RIGHT", "FULL")):
            found = _derived(node, facts)
        else:
            found = None
        alias = node.alias_or_name.upper()
        if found is None or alias in tables:
            return None
        tables[alias] = found
    scope = _Scope(tables, set(), [])
    outer: list[tuple[str, exp.Expression]] = []  # (joined alias, condition)
    inner = conjuncts(select.args.get("where").this if select.args.get("where") else None)
    for node, join in items[1:]:
        if join.args.get("using") or join.side in ("RIGHT", "FULL"):
            return None
        on = conjuncts(join.args.get("on"))
        if join.side == "LEFT":
            outer += [(node.alias_or_name.upper(), c) for c in on]
        else:
            inner += on
    for conjunct in inner:
        marks = _marked(conjunct)
        if marks:
            outer += [(alias, conjunct) for alias in marks]
        else:
            _add_equality(conjunct, scope)
            _add_date_track_key(conjunct, tracked, scope)
    _add_outer_keys(outer, scope)
    return scope


def _add_date_track_key(conjunct: exp.Expression,
                        tracked: dict[str, tuple[tuple[str, ...], str, str]],
                        scope: _Scope) -> None:
    """`d BETWEEN a.start AND a.end` on a date-tracked table `a` (catalog `date_tracked`:
    the versions of one key never overlap): the key and the date `d` determine a's row. `d`
    must not read `a` itself (one date per row of the other tables)."""
    if not isinstance(conjunct, exp.Between):
        return
    low, high = conjunct.args.get("low"), conjunct.args.get("high")
    if not isinstance(low, exp.Column) or not isinstance(high, exp.Column):
        return
    start, end = _resolve(low, scope.tables), _resolve(high, scope.tables)
    if not isinstance(start, tuple) or not isinstance(end, tuple) or start[0] != end[0]:
        return
    alias = start[0]
    if alias not in tracked or (start[1], end[1]) != tracked[alias][1:]:
        return
    date = _inputs(conjunct.this, scope)
    if date is None or any(a[0] == alias for a in date):
        return
    key = frozenset((alias, c) for c in tracked[alias][0])
    scope.edges.append((key | date, (alias, _ROW)))


def _add_equality(conjunct: exp.Expression, scope: _Scope) -> None:
    """`a = b` holds on every row: each side determines the other."""
    if not isinstance(conjunct, exp.EQ):
        return
    for this, other in ((conjunct.this, conjunct.expression),
                        (conjunct.expression, conjunct.this)):
        if not isinstance(this, exp.Column):
            continue
        target = _resolve(this, scope.tables)
        premises = _inputs(other, scope)
        if not isinstance(target, tuple) or premises is None:
            continue
        if premises:
            scope.edges.append((premises, target))
        else:
            scope.constants.add(target)


def _add_outer_keys(conditions: list[tuple[str, exp.Expression]], scope: _Scope) -> None:
    """An outer join matching a whole unique key of the joined table determines its row (the
    one match, or NULLs) from the columns the key is compared with."""
    matched: dict[str, dict[str, frozenset[Attr]]] = {}
    for alias, conjunct in conditions:
        if not isinstance(conjunct, exp.EQ):
            continue
        for this, other in ((conjunct.this, conjunct.expression),
                            (conjunct.expression, conjunct.this)):
            target = _resolve(this, scope.tables) if isinstance(
                this, exp.Column) else None
            premises = _inputs(other, scope)
            if isinstance(target, tuple) and target[0] == alias and premises is not None \
                    and all(p[0] != alias for p in premises):
                matched.setdefault(alias, {})[target[1]] = premises
    for alias, columns in matched.items():
        for key in scope.tables[alias].keys:
            if all(c in columns for c in key):
                premises = frozenset().union(*(columns[c] for c in key))
                scope.edges.append((premises, (alias, _ROW)))


def _has(known: set[Attr], attr: Attr) -> bool:
    return attr in known or (attr[0], _ROW) in known


def _closure(start: Iterable[Attr], scope: _Scope) -> set[Attr]:
    known = set(start) | scope.constants
    changed = True
    while changed:
        changed = False
        for premises, conclusion in scope.edges:
            if not _has(known, conclusion) and all(_has(known, p) for p in premises):
                known.add(conclusion)
                changed = True
        for alias, source in scope.tables.items():
            if (alias, _ROW) in known:
                continue
            for key in source.keys:
                if all(_has(known, (alias, c)) for c in key):
                    known.add((alias, _ROW))
                    changed = True
                    break
    return known


def _start(exprs: Iterable[exp.Expression], scope: _Scope) -> set[Attr]:
    out: set[Attr] = set()
    for node in exprs:
        node = node.unalias() if isinstance(node, exp.Alias) else node
        if isinstance(node, exp.Star):
            out |= {(a, _ROW) for a in scope.tables}
        elif isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
            alias = node.table.upper()
            if alias in scope.tables:
                out.add((alias, _ROW))
        elif isinstance(node, exp.Column):
            attr = _resolve(node, scope.tables)
            if isinstance(attr, tuple):
                out.add(attr)
    return out


def _determines(known: set[Attr], node: exp.Expression, scope: _Scope) -> bool:
    inputs = _inputs(node, scope)
    return inputs is not None and all(_has(known, a) for a in inputs)


def _plain_group(select: exp.Select) -> list[exp.Expression] | None:
    """The GROUP BY keys ([] without GROUP BY), None for ROLLUP, CUBE or GROUPING SETS."""
    group = select.args.get("group")
    if group is None:
        return []
    if any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets")):
        return None
    return list(group.expressions)


def _aggregates(select: exp.Select) -> bool:
    return any(n.find_ancestor(exp.Select) is select and not n.find_ancestor(exp.Window)
               for e in select.expressions for n in e.find_all(exp.AggFunc))


def rows_determined_by(select: exp.Select, exprs: Iterable[exp.Expression],
                       facts: SchemaFacts) -> bool:
    """No two rows of `select`'s result (before DISTINCT, ORDER BY and FETCH) agree on
    `exprs` (NULLs counted equal): the expressions' columns determine a row of every table,
    or every GROUP BY key; a SELECT that aggregates without GROUP BY has one row."""
    scope = _scope(select, facts)
    keys = _plain_group(select)
    if scope is None or keys is None:
        return False
    known = _closure(_start(exprs, scope), scope)
    if _numbered_rows(exprs, known, scope):
        return True
    if keys:
        return all(_determines(known, k, scope) for k in keys)
    if _aggregates(select):
        return True
    return all((alias, _ROW) in known for alias in scope.tables)


def _numbered_rows(exprs: Iterable[exp.Expression], known: set[Attr], scope: _Scope) -> bool:
    """One of `exprs` is ROW_NUMBER() over a partition the others determine: within a
    partition the numbers never repeat, so no two rows agree on `exprs`."""
    for node in exprs:
        node = node.unalias() if isinstance(node, exp.Alias) else node
        if isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber) and all(
                _determines(known, p, scope) for p in node.args.get("partition_by") or []):
            return True
    return False


def _group_known(select: exp.Select, facts: SchemaFacts) -> tuple[_Scope, set[Attr]] | None:
    """What the GROUP BY keys (or, without GROUP BY, WHERE's constants) determine: the
    values every row of one group shares."""
    scope = _scope(select, facts)
    keys = _plain_group(select)
    if scope is None or keys is None:
        return None
    return scope, _closure(_start(keys, scope), scope)


# ---------------------------------------------------------------- rules


def _select_of(node: exp.Expression) -> exp.Select | None:
    return node if isinstance(node, exp.Select) else node.find_ancestor(exp.Select)


def _distinct_over_unique_rows(gold: exp.Expression, mutant: exp.Expression,
                               facts: SchemaFacts) -> str | None:
    if not isinstance(gold, exp.Select) or not isinstance(mutant, exp.Select):
        return None
    if rows_determined_by(gold, gold.expressions, facts):
        return ("the selected columns determine a row of every table read (or every GROUP BY "
                "key): no two rows repeat, with or without DISTINCT")
    return None


def _aggregate_pair(gold: exp.Expression, mutant: exp.Expression
                    ) -> tuple[exp.AggFunc, exp.AggFunc] | None:
    """The aggregate the edit swapped, in gold and mutant (COUNT's DISTINCT toggles inside)."""
    if not isinstance(gold, exp.AggFunc):
        gold, mutant = gold.parent, mutant.parent
    if isinstance(gold, _SWAPPED_AGGREGATES) and isinstance(mutant, _SWAPPED_AGGREGATES) \
            and not isinstance(gold.parent, exp.Window) \
            and not isinstance(mutant.parent, exp.Window):
        return gold, mutant
    return None


def _single_row_groups(gold: exp.Expression, mutant: exp.Expression,
                       facts: SchemaFacts) -> str | None:
    pair = _aggregate_pair(gold, mutant)
    if pair is None or any(isinstance(a, exp.Count) and isinstance(a.this, exp.Star)
                           for a in pair):
        return None  # COUNT(*) counts a row whose x is NULL; COUNT(x) does not
    select = _select_of(pair[0])
    known = _group_known(select, facts) if select is not None else None
    if known is None:
        return None
    scope, values = known
    if all((alias, _ROW) in values for alias in scope.tables):
        return (f"{pair[0].sql('oracle')} and {pair[1].sql('oracle')} agree on groups of at "
                "most one row, and the GROUP BY keys (or WHERE's constants) determine a row "
                "of every table read")
    return None


def _constant_within_group(gold: exp.Expression, mutant: exp.Expression,
                           facts: SchemaFacts) -> str | None:
    pair = _aggregate_pair(gold, mutant)
    if pair is None or {type(pair[0]), type(pair[1])} != {exp.Min, exp.Max}:
        return None
    select = _select_of(pair[0])
    known = _group_known(select, facts) if select is not None else None
    if known is None:
        return None
    scope, values = known
    if _determines(values, pair[0].this, scope):
        return (f"the GROUP BY keys determine {pair[0].this.sql('oracle')}: one value per "
                "group, so its MIN is its MAX")
    return None


def _group_key_determined(gold: exp.Expression, mutant: exp.Expression,
                          facts: SchemaFacts) -> str | None:
    if not isinstance(gold, exp.Group) or not isinstance(mutant, exp.Group):
        return None
    kept = {k.sql("oracle") for k in mutant.expressions}
    dropped = [k for k in gold.expressions if k.sql("oracle") not in kept]
    select = gold.parent
    if len(dropped) != 1 or len(mutant.expressions) != len(gold.expressions) - 1 or \
            not isinstance(select, exp.Select):
        return None
    scope = _scope(select, facts)
    if scope is None or _plain_group(select) is None:
        return None
    known = _closure(_start(mutant.expressions, scope), scope)
    if _determines(known, dropped[0], scope):
        return (f"the other GROUP BY keys determine {dropped[0].sql('oracle')}: the groups "
                "stay the same")
    return None


def _order_decided_earlier(gold: exp.Expression, mutant: exp.Expression,
                           facts: SchemaFacts) -> str | None:
    if not isinstance(gold, exp.Ordered) or not isinstance(gold.parent, exp.Order):
        return None
    select = gold.parent.parent
    if not isinstance(select, exp.Select):
        return None
    items = gold.parent.expressions
    earlier = [order_target(o, select) for o in items[:items.index(gold)]]
    if rows_determined_by(select, earlier, facts):
        return ("the ORDER BY keys before it determine the row (or the result has one row): "
                "it never breaks a tie")
    return None


_NULL_REJECTING = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.In,
                   exp.Between)


def _rejects_null_of(conjunct: exp.Expression, target: exp.Column) -> bool:
    """The conjunct is false or unknown whenever `target` is NULL."""
    if isinstance(conjunct, exp.Not) and isinstance(conjunct.this, exp.Is) and \
            isinstance(conjunct.this.expression, exp.Null):
        operands = [conjunct.this.this]
    elif isinstance(conjunct, _NULL_REJECTING):
        operands = [conjunct.this]  # IN, BETWEEN, LIKE: NULL on the left is never true
        if isinstance(conjunct, exp.Binary) and not isinstance(conjunct, exp.Like):
            operands.append(conjunct.expression)
    else:
        return False
    return any(isinstance(o, exp.Column) and o == target for o in operands)


def _no_null_to_place(gold: exp.Expression, mutant: exp.Expression,
                      facts: SchemaFacts) -> str | None:
    if not isinstance(gold, exp.Ordered) or not isinstance(gold.parent, exp.Order) or \
            bool(gold.args.get("desc")) != bool(mutant.args.get("desc")):
        return None
    holder = gold.parent.parent
    if isinstance(holder, exp.Select):
        select, target = holder, order_target(gold, holder)  # an alias or position: its item
    elif isinstance(holder, exp.Window) and holder.args.get("order") is gold.parent:
        select, target = holder.find_ancestor(exp.Select), gold.this
    else:
        return None  # (the ORDER BY of a UNION, WITHIN GROUP, ...)
    if select is not None and never_null_here(target, select, facts):
        return (f"{target.sql('oracle')} is never NULL on the rows it orders (NOT NULL "
                "columns, WHERE's NULL rejection, COUNT, or aggregates of such under GROUP "
                "BY): there is no NULL to place first or last")
    return None


def _ranking_without_ties(gold: exp.Expression, mutant: exp.Expression,
                          facts: SchemaFacts) -> str | None:
    rankings = (exp.Rank, exp.DenseRank, exp.RowNumber)
    window = gold.parent
    if not isinstance(gold, rankings) or not isinstance(mutant, rankings) or \
            not isinstance(window, exp.Window):
        return None
    select = _select_of(window)
    order = window.args.get("order")
    keys = [*(window.args.get("partition_by") or []),
            *(o.this for o in (order.expressions if order else []))]
    if select is not None and rows_determined_by(select, keys, facts):
        return ("the window's PARTITION BY and ORDER BY keys determine the row: no ties, so "
                "RANK, DENSE_RANK and ROW_NUMBER agree")
    return None


_TOP_RANK = {exp.EQ: 1, exp.LTE: 1, exp.LT: 2}  # rank = 1, rank <= 1, rank < 2


def _top_rank_only(conjunct: exp.Expression, name: str) -> bool:
    """The conjunct keeps exactly the rows whose ranking column `name` is 1."""
    bound = _TOP_RANK.get(type(conjunct))
    column, literal = conjunct.this, conjunct.args.get("expression")
    if isinstance(conjunct, exp.EQ) and isinstance(literal, exp.Column):
        column, literal = literal, column
    return bound is not None and isinstance(column, exp.Column) and not column.table and \
        column.name.upper() == name and isinstance(literal, exp.Literal) and \
        not literal.is_string and literal.this == str(bound)


def _top_rank_filter(gold: exp.Expression, mutant: exp.Expression,
                     facts: SchemaFacts) -> str | None:
    """RANK and DENSE_RANK are 1 on the same rows (the first peers of the window order): an
    inline view's ranking read by its enclosing query only through `rank = 1` does not see
    which of the two numbered the rows. ROW_NUMBER is not: it picks one of tied rows."""
    window = gold.parent
    if {type(gold), type(mutant)} != {exp.Rank, exp.DenseRank} or \
            not isinstance(window, exp.Window) or not isinstance(window.parent, exp.Alias):
        return None
    name = window.parent.alias.upper()
    inner = window.parent.parent
    view = inner.parent if isinstance(inner, exp.Select) else None
    outer = view.parent.parent if isinstance(view, exp.Subquery) and isinstance(
        view.parent, exp.From) else None
    if not isinstance(outer, exp.Select) or len(outer.args.get("joins") or []) or \
            outer.args.get("where") is None:
        return None
    filters = [c for c in conjuncts(outer.args["where"].this) if _top_rank_only(c, name)]
    reads = [c for c in outer.find_all(exp.Column) if c.name.upper() == name]
    if len(filters) != 1 or len(reads) != 1 or reads[0].find_ancestor(
            type(filters[0])) is not filters[0] or any(
            isinstance(e, exp.Star) for e in outer.expressions):
        return None  # (read anywhere else, the rank's value of rows below the top shows)
    return (f"the enclosing query keeps only {name} = 1, and RANK and DENSE_RANK are 1 on the "
            "same rows (the first peers of the window's order)")


def _comparison_with_zero(node: exp.Expression) -> bool:
    parent = node.parent
    if not isinstance(parent, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        return False
    other = parent.expression if parent.this is node else parent.this
    return isinstance(other, exp.Literal) and not other.is_string and \
        float(other.this) == 0


def _sign_of_sum(gold: exp.Expression, mutant: exp.Expression,
                 facts: SchemaFacts) -> str | None:
    """SUM(x) and AVG(x) of one group are both NULL (no non-NULL x) or have the same sign
    (AVG = SUM / n, n > 0): compared with 0 they give the same truth value."""
    pair = _aggregate_pair(gold, mutant)
    if pair is None or {type(pair[0]), type(pair[1])} != {exp.Sum, exp.Avg} or \
            not _comparison_with_zero(pair[0]):
        return None
    return (f"{pair[0].sql('oracle')} is compared with 0, and SUM and AVG of a group have the "
            "same sign (or are both NULL)")


def _from_rows_determined(select: exp.Select, exprs: Iterable[exp.Expression],
                          facts: SchemaFacts) -> bool:
    """`exprs` determine a row of every table the SELECT reads (before grouping)."""
    scope = _scope(select, facts)
    if scope is None:
        return False
    known = _closure(_start(exprs, scope), scope)
    return all((alias, _ROW) in known for alias in scope.tables)


def _count_of_distinct_values(gold: exp.Expression, mutant: exp.Expression,
                              facts: SchemaFacts) -> str | None:
    """COUNT(x) = COUNT(DISTINCT x) where, within a group, x determines the row read: no two
    rows of a group share a non-NULL x."""
    pair = _aggregate_pair(gold, mutant)
    if pair is None or not all(isinstance(a, exp.Count) for a in pair):
        return None
    arguments = [a.this.expressions if isinstance(a.this, exp.Distinct) else [a.this]
                 for a in pair]
    if arguments[0] != arguments[1] or len(arguments[0]) != 1:
        return None  # (COUNT(x) -> COUNT(*) also counts the rows whose x is NULL)
    argument = arguments[0][0]
    select = _select_of(pair[0])
    keys = _plain_group(select) if select is not None else None
    if keys is None or not isinstance(argument, exp.Column) or \
            not _from_rows_determined(select, [*keys, argument], facts):
        return None
    return (f"within a group, {argument.sql('oracle')} determines a row of every table read: "
            "its non-NULL values never repeat, so COUNT and COUNT(DISTINCT) agree")


def _nvl_of_never_null(gold: exp.Expression, mutant: exp.Expression,
                       facts: SchemaFacts) -> str | None:
    if not isinstance(gold, exp.Coalesce) or len(gold.expressions) != 1 or \
            gold.this != mutant:
        return None
    select = _select_of(gold)
    if select is not None and never_null(gold.this, select, facts):
        return f"{gold.this.sql('oracle')} is never NULL here, so NVL never applies"
    return None


_COMPARISONS = {exp.EQ: "==", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<",
                exp.LTE: "<="}
_MIRRORED = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}


def _literal_value(node: exp.Expression) -> float | str | None:
    """A number's or a string's value; None for anything else (NULL included)."""
    node = node.unnest()
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and \
            not node.this.is_string:
        return -float(node.this.this)
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    return None


def _default_fails(default: exp.Expression, comparison: exp.Expression,
                   nvl: exp.Expression) -> bool:
    """Whether `comparison`, with `nvl` replaced by its default, is false: both sides are
    literals of one kind (a string only under = and <>: Oracle's string order depends on
    NLS_SORT)."""
    kind = type(comparison)
    if kind not in _COMPARISONS:
        return False
    if comparison.this is nvl:
        other = comparison.expression
    elif comparison.expression is nvl:
        other, kind = comparison.this, _MIRRORED.get(kind, kind)
    else:
        return False
    left, right = _literal_value(default), _literal_value(other)
    if left is None or right is None or type(left) is not type(right):
        return False
    if isinstance(left, str) and (kind not in (exp.EQ, exp.NEQ) or
                                  left.endswith(" ") or right.endswith(" ")):
        return False  # (blank-padded comparison of CHAR values: 'N' = 'N ' in Oracle)
    return not {exp.EQ: left == right, exp.NEQ: left != right, exp.GT: left > right,
                exp.GTE: left >= right, exp.LT: left < right, exp.LTE: left <= right}[kind]


def _nvl_default_rejected(gold: exp.Expression, mutant: exp.Expression,
                          facts: SchemaFacts) -> str | None:
    """`NVL(x, d) op k` -> `x op k` in a conjunct of WHERE or an inner join's ON where
    `d op k` is false: a NULL x fails both (false, or unknown), any other x compares alike."""
    if not isinstance(gold, exp.Coalesce) or len(gold.expressions) != 1 or \
            gold.this != mutant:
        return None
    operand = gold
    while isinstance(operand.parent, exp.Paren):
        operand = operand.parent
    comparison = operand.parent
    if comparison is None or _conjunct_chain_select(comparison) is None or \
            not _default_fails(gold.expressions[0], comparison, operand):
        return None
    return (f"where {gold.this.sql('oracle')} is NULL, the default makes "
            f"{comparison.sql('oracle')} false and the bare comparison unknown: WHERE drops "
            "the row either way")


def _nvl_sum_rejected_by_having(gold: exp.Expression, mutant: exp.Expression,
                                facts: SchemaFacts) -> str | None:
    """`SUM(NVL(x, 0))` -> `SUM(x)` (in the select list, ORDER BY or HAVING) of a SELECT whose
    HAVING has a conjunct `SUM(NVL(x, 0)) op k` with `0 op k` false. A group whose x are all
    NULL sums to 0 (gold) and fails that conjunct, or to NULL and leaves it unknown (mutant,
    where the mutated SUM is that conjunct's): HAVING drops it either way. Every group kept
    holds a non-NULL x, and there SUM skips the NULLs the NVL turned into 0."""
    total = gold.parent
    if not (isinstance(gold, exp.Coalesce) and len(gold.expressions) == 1
            and gold.this == mutant and isinstance(total, exp.Sum)
            and not isinstance(total.parent, exp.Window)
            and _literal_value(gold.expressions[0]) == 0.0):
        return None
    select = total.find_ancestor(exp.Select)
    having = select.args.get("having") if select is not None else None
    if having is None:
        return None
    for conjunct in conjuncts(having.this):
        conjunct = conjunct.unnest()
        for side in (conjunct.this, conjunct.expression) if isinstance(
                conjunct, tuple(_COMPARISONS)) else ():
            inner = side.unnest()
            if inner == total and inner.find_ancestor(exp.Select) is select and \
                    _default_fails(gold.expressions[0], conjunct, side):
                return (f"HAVING {conjunct.sql('oracle')} is false at 0, so every group kept "
                        f"has a non-NULL {gold.this.sql('oracle')} and both sums agree")
    return None


def _never_null_test_dropped(gold: exp.Expression, mutant: exp.Expression,
                             facts: SchemaFacts) -> str | None:
    if not isinstance(gold, exp.And) or mutant not in (gold.this, gold.expression):
        return None
    dropped = (gold.expression if mutant == gold.this else gold.this).unnest()
    if not (isinstance(dropped, exp.Not) and isinstance(dropped.this, exp.Is)
            and isinstance(dropped.this.expression, exp.Null)):
        return None
    select = _select_of(gold)
    tested = dropped.this.this
    if select is not None and gold.find_ancestor(exp.Where, exp.Join) is not None and \
            never_null(tested, select, facts):
        return f"{tested.sql('oracle')} is never NULL here, so IS NOT NULL always holds"
    return None


def _conjunct_chain_select(node: exp.Expression) -> exp.Select | None:
    """The SELECT whose fact conjuncts `node` is part of: above it only AND and parentheses
    up to the WHERE or an inner join's ON."""
    current, parent = node, node.parent
    while isinstance(parent, exp.And | exp.Paren):
        current, parent = parent, parent.parent
    if isinstance(parent, exp.Where) and isinstance(parent.parent, exp.Select):
        return parent.parent
    if isinstance(parent, exp.Join) and current is parent.args.get("on") and \
            not parent.side and isinstance(parent.parent, exp.Select):
        return parent.parent
    return None


def _marks(node: exp.Expression) -> bool:
    return any(c.args.get("join_mark") for c in node.find_all(exp.Column))


def _implied_conjunct(gold: exp.Expression, mutant: exp.Expression,
                      facts: SchemaFacts) -> str | None:
    if isinstance(gold, exp.Select) and isinstance(mutant, exp.Select) and \
            gold.args.get("where") is not None and mutant.args.get("where") is None:
        without = gold.copy()
        without.set("where", None)
        if without != mutant:
            return None
        select, dropped, skip = gold, gold.args["where"].this, gold.args["where"]
    elif isinstance(gold, exp.And) and mutant in (gold.this, gold.expression):
        dropped = (gold.expression if mutant == gold.this else gold.this).unnest()
        select, skip = _conjunct_chain_select(gold), dropped
    else:
        return None
    if select is None or _marks(dropped):
        return None
    if Implication(select, facts, skip=skip).implies(dropped, select):
        return (f"the other conjuncts imply {dropped.sql('oracle')} (equalities, the "
                "enclosing query's conjuncts, positive EXISTS and the catalog's inherited "
                "columns)")
    return None


def _equivalent_operands(gold: exp.Expression, mutant: exp.Expression,
                         facts: SchemaFacts) -> str | None:
    """`A AND B` ↔ `A OR B` keeps the rows when, on every row the other conjuncts keep, A and
    B are both true or both not: every equality of A and B compares the same two classes."""
    if {type(gold), type(mutant)} != {exp.And, exp.Or} or gold.this != mutant.this or \
            gold.expression != mutant.expression:
        return None
    select = _conjunct_chain_select(gold)
    if select is None or _marks(gold):
        return None
    atoms = conjuncts(gold.this) + conjuncts(gold.expression)
    if Implication(select, facts, skip=gold).same_truth(atoms, select):
        return (f"under the other conjuncts, {gold.this.sql('oracle')} and "
                f"{gold.expression.sql('oracle')} compare the same values: both true or both "
                "not")
    return None


def _implied_operands(gold: exp.Expression, mutant: exp.Expression,
                      facts: SchemaFacts) -> str | None:
    """`A AND B` ↔ `A OR B` keeps the rows when the other conjuncts imply both A and B (an
    equality of one class, an IS NOT NULL of a column another conjunct rejects NULL in):
    both are true on every row the rest keeps."""
    if {type(gold), type(mutant)} != {exp.And, exp.Or} or gold.this != mutant.this or \
            gold.expression != mutant.expression:
        return None
    select = _conjunct_chain_select(gold)
    if select is None or _marks(gold):
        return None
    facts_without = Implication(select, facts, skip=gold)
    if facts_without.implies(gold.this, select) and \
            facts_without.implies(gold.expression, select):
        return (f"the other conjuncts imply both {gold.this.sql('oracle')} and "
                f"{gold.expression.sql('oracle')}: AND and OR of two true tests agree")
    return None


def _join_kind_swap(gold: exp.Expression, mutant: exp.Expression) -> exp.Select | None:
    """The SELECT whose join `gold` is, when `mutant` is the same join made LEFT (or LEFT
    made inner) and nothing else, in a SELECT without Oracle (+) marks; else None."""
    if not isinstance(gold, exp.Join) or not isinstance(mutant, exp.Join) or \
            {gold.side or "", mutant.side or ""} != {"", "LEFT"}:
        return None
    swapped = gold.copy()
    swapped.set("side", mutant.args.get("side"))
    swapped.set("kind", mutant.args.get("kind"))
    select = gold.parent
    if swapped != mutant or not isinstance(select, exp.Select) or _marks(select):
        return None
    return select


def _outer_side_null_rejected(gold: exp.Expression, mutant: exp.Expression,
                              facts: SchemaFacts) -> str | None:
    """JOIN ↔ LEFT JOIN of table B gives the same rows when a WHERE conjunct, or the ON of an
    inner join after it, is never true for a NULL column of B: the rows LEFT JOIN adds (B
    all NULL) are always dropped again."""
    select = _join_kind_swap(gold, mutant)
    if select is None:
        return None
    joins = select.args.get("joins") or []
    if any(j.side in ("RIGHT", "FULL") for j in joins):
        return None
    position = next(i for i, j in enumerate(joins) if j is gold)
    alias = gold.this.alias_or_name.upper()
    where = select.args.get("where")
    later = [c for j in joins[position + 1:] if not j.side
             for c in conjuncts(j.args.get("on"))]
    for conjunct in conjuncts(where.this if where else None) + later:
        if any(c.table and c.table.upper() == alias for c in rejected_columns(conjunct)):
            return (f"{conjunct.sql('oracle')} is never true when {alias}'s columns are NULL: "
                    "the rows an outer join adds are dropped")
    return None


def _null_with(node: exp.Expression, alias: str) -> bool:
    """Whether `node` is NULL whenever every column of `alias` is (a column of it, arithmetic
    on one, NVL of only such). Oracle's || is not: it reads NULL as ''."""
    node = node.unnest()
    if isinstance(node, exp.Column):
        return bool(node.table) and node.table.upper() == alias
    if isinstance(node, exp.Neg):
        return _null_with(node.this, alias)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        return _null_with(node.this, alias) or _null_with(node.expression, alias)
    if isinstance(node, exp.Coalesce):
        return all(_null_with(a, alias) for a in [node.this, *node.expressions])
    return False


def _on_null_rows(aggregate: exp.Expression, alias: str) -> tuple[bool, float | None] | None:
    """What an aggregate gives on a group of one row whose `alias` columns are all NULL:
    (ignores such rows, value); None when unsure. COUNT(*) counts the row."""
    if not isinstance(aggregate, _SWAPPED_AGGREGATES) or \
            isinstance(aggregate.parent, exp.Window):
        return None
    argument = aggregate.this
    if isinstance(aggregate, exp.Count) and isinstance(argument, exp.Star):
        return False, 1.0
    if isinstance(argument, exp.Distinct):
        if len(argument.expressions) != 1:
            return None
        argument = argument.expressions[0]
    if argument is None or not _null_with(argument, alias):
        return None
    return True, (0.0 if isinstance(aggregate, exp.Count) else None)


def _having_rejects(having: exp.Expression, alias: str) -> bool:
    """Whether a HAVING conjunct `aggregate op number` is false or unknown on a group of one
    row whose `alias` columns are all NULL."""
    for conjunct in conjuncts(having):
        kind = type(conjunct)
        if kind not in _COMPARISONS:
            continue
        sides = [conjunct.this.unnest(), conjunct.expression.unnest()]
        if isinstance(sides[1], exp.AggFunc):
            sides.reverse()
            kind = _MIRRORED.get(kind, kind)
        found = _on_null_rows(sides[0], alias)
        bound = _literal_value(sides[1])
        if found is None or not isinstance(bound, float):
            continue
        value = found[1]
        if value is None or not {exp.EQ: value == bound, exp.NEQ: value != bound,
                                 exp.GT: value > bound, exp.GTE: value >= bound,
                                 exp.LT: value < bound, exp.LTE: value <= bound}[kind]:
            return True
    return False


def _outer_rows_rejected_by_having(gold: exp.Expression, mutant: exp.Expression,
                                   facts: SchemaFacts) -> str | None:
    """JOIN ↔ LEFT JOIN of the last table B of a grouped SELECT: the LEFT JOIN only adds rows
    whose B columns are all NULL. They change no group the inner join makes when every
    aggregate ignores them (SUM, AVG, MIN, MAX, COUNT of expressions NULL with B), or when the
    GROUP BY keys determine the other tables' rows (an added row is alone in its group); and
    a group of only such rows is dropped when a HAVING conjunct `aggregate op number` is false
    or unknown on it (COUNT 0, SUM NULL; COUNT(*) 1 where a group holds one row)."""
    select = _join_kind_swap(gold, mutant)
    if select is None:
        return None
    joins = select.args.get("joins") or []
    having, keys = select.args.get("having"), _plain_group(select)
    if not joins or joins[-1] is not gold or having is None or not keys or \
            any(j.side in ("RIGHT", "FULL") for j in joins):
        return None
    alias = gold.this.alias_or_name.upper()
    shown = [*select.expressions, having, *(select.args.get("order") or exp.Order()).expressions]
    if any(node.find(exp.Subquery, exp.Window) for node in shown):
        return None
    aggregates = [a for node in shown for a in node.find_all(exp.AggFunc)]
    ignored = all((found := _on_null_rows(a, alias)) is not None and found[0]
                  for a in aggregates)
    if not ignored:
        others = select.copy()
        others.set("joins", [j.copy() for j in joins[:-1]])
        scope = _scope(others, facts)
        if scope is None or any(c.table and c.table.upper() == alias
                                for k in keys for c in k.find_all(exp.Column)):
            return None
        known = _closure(_start(keys, scope), scope)
        if not all((a, _ROW) in known for a in scope.tables):
            return None
    if not _having_rejects(having.this, alias):
        return None
    return (f"the rows LEFT JOIN adds have {alias}'s columns NULL: "
            + ("every aggregate ignores them" if ignored else
               "the GROUP BY keys put each alone in its group")
            + f", and HAVING {having.this.sql('oracle')} drops a group of only such rows")


def _parent_matched_on_its_key(gold: exp.Expression, mutant: exp.Expression,
                               facts: SchemaFacts) -> str | None:
    """JOIN ↔ LEFT JOIN of a parent table P whose ON is a mandatory foreign key of an earlier,
    never NULL-extended table C (`P.key = C.fk`, the fk NOT NULL), plus only equalities of
    columns C inherits from P (`P.ORG_ID = C.ORG_ID`): every C row finds its parent row, and
    that row satisfies the ON, so no row is ever NULL-extended."""
    if not isinstance(gold, exp.Join) or not isinstance(mutant, exp.Join) or \
            {gold.side or "", mutant.side or ""} != {"", "LEFT"} or \
            not isinstance(gold.this, exp.Table) or not isinstance(gold.parent, exp.Select):
        return None
    swapped = gold.copy()
    swapped.set("side", mutant.args.get("side"))
    swapped.set("kind", mutant.args.get("kind"))
    select, parent = gold.parent, gold.this.alias_or_name.upper()
    if swapped != mutant or _marks(select):
        return None
    pairs: dict[str, set[tuple[str, str]]] = {}  # child alias -> {(child col, parent col)}
    for conjunct in conjuncts(gold.args.get("on")):
        sides = (conjunct.this, conjunct.expression) if isinstance(conjunct, exp.EQ) else ()
        if len(sides) != 2 or not all(isinstance(c, exp.Column) and c.table for c in sides):
            return None
        child, own = sorted(sides, key=lambda c: c.table.upper() == parent)
        if own.table.upper() != parent or child.table.upper() == parent:
            return None
        pairs.setdefault(child.table.upper(), set()).add((child.name.upper(),
                                                          own.name.upper()))
    if len(pairs) != 1:
        return None
    (child, matched), = pairs.items()
    child_table = plain_tables(select, facts).get(child)  # never NULL-extended
    parent_table = gold.this.name.upper()
    if child_table is None or not catalog_table(gold.this, facts):
        return None
    for (table, columns), (ref, ref_columns) in facts.mandatory_parents.items():
        key = set(zip(columns, ref_columns, strict=True))
        if table != child_table or ref != parent_table or not key <= matched:
            continue
        inherited = {(c, c) for rule in facts.inherited.get((table, ref), ())
                     if (rule[0], rule[1]) == (columns, ref_columns) for c in rule[2]}
        if matched - key <= inherited:
            return (f"every {child} row finds its {parent} row through a mandatory foreign "
                    "key, and that row meets the rest of the ON (inherited columns): nothing "
                    "is NULL-extended")
    return None


_RULES_BY_OPERATOR = {
    "distinct_toggled": (("distinct_over_unique_rows", _distinct_over_unique_rows),),
    "aggregate_swapped": (("single_row_groups", _single_row_groups),
                          ("constant_within_group", _constant_within_group),
                          ("sign_of_sum", _sign_of_sum),
                          ("count_of_distinct_values", _count_of_distinct_values)),
    "group_key_dropped": (("group_key_determined", _group_key_determined),),
    "direction_flipped": (("order_decided_earlier", _order_decided_earlier),),
    "nulls_flipped": (("order_decided_earlier", _order_decided_earlier),
                      ("no_null_to_place", _no_null_to_place)),
    "ranking_swapped": (("ranking_without_ties", _ranking_without_ties),
                        ("top_rank_filter", _top_rank_filter)),
    "nvl_moved": (("nvl_of_never_null", _nvl_of_never_null),
                  ("nvl_default_rejected", _nvl_default_rejected),
                  ("nvl_sum_rejected_by_having", _nvl_sum_rejected_by_having)),
    "conjunct_dropped": (("never_null_test_dropped", _never_null_test_dropped),
                         ("implied_conjunct", _implied_conjunct)),
    "where_dropped": (("implied_conjunct", _implied_conjunct),),
    "and_or_swapped": (("equivalent_operands", _equivalent_operands),
                       ("implied_operands", _implied_operands)),
    "join_kind_swapped": (("outer_side_null_rejected", _outer_side_null_rejected),
                          ("parent_matched_on_its_key", _parent_matched_on_its_key),
                          ("outer_rows_rejected_by_having", _outer_rows_rejected_by_having)),
}


@lru_cache(maxsize=64)
def _printed_tree(sql: str) -> exp.Expression | None:
    """The gold as its mutants were printed and parsed again (rules only read it)."""
    try:
        return parse_single(oracle_text(parse_single(sql)))
    except SqlParseError:
        return None


def prove(gold_sql: str, mutant: Mutant, facts: SchemaFacts) -> Proof | None:
    """A proof that `mutant` means what `gold_sql` means on every database `facts` allow,
    or None (no rule applies, or either text does not parse)."""
    rules = _RULES_BY_OPERATOR.get(mutant.operator)
    if not rules:
        return None
    gold = _printed_tree(gold_sql)
    try:
        changed = parse_single(mutant.sql)
    except SqlParseError:
        return None
    if gold is None:
        return None
    site = edit_site(gold, changed)
    if site is None:
        return None
    if isinstance(site[1], exp.Paren) and not isinstance(site[0], exp.Paren):
        site = (site[0], site[1].this)  # the parentheses a swap inside a chain is printed in
    for rule, check in rules:
        reason = check(*site, facts)
        if reason is not None:
            return Proof(rule, reason)
    return None

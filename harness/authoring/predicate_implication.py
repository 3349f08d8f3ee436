"""What the conjuncts of a SELECT imply, for the mutant prover
(`harness.authoring.mutant_equivalence`): which values are equal on every row the query keeps,
and which expressions can never be NULL there.

**Equalities.** The facts of a SELECT are the top-level conjuncts of its WHERE and of its inner
joins' ON (a row the query keeps satisfies all of them). An equality `a = b` between columns
or constants puts a and b in one class: equal and not NULL on every kept row. Three more
sources feed the classes:

- the enclosing query: a subquery that sits inside one top-level conjunct K of its parent's
  WHERE is only looked at when every other conjunct of the parent holds (otherwise the row is
  dropped whatever K says), so those conjuncts are facts of the subquery too; a scalar
  subquery of the parent's select list sees all of them (it runs on kept rows, or per group
  of a plain GROUP BY; not under an aggregate without GROUP BY, whose row exists anyway);
- a positive `EXISTS (subquery)` conjunct: some row of the subquery satisfies all of its
  conjuncts, so their equalities about the outer row hold (the subquery's own columns become
  the witness row's, kept apart from any other subquery's);
- the catalog's inherited columns (`same:` on a foreign key, e.g. a PO line's ORG_ID is its
  header's): when a child's key columns are in the classes of a parent's key columns, the
  child row references that parent row, so each inherited column joins the parent's class
  (only NOT NULL columns, so that the class keeps meaning "equal and not NULL").

Equalities are chained only between terms of one Oracle type (NUMBER columns and number
literals, VARCHAR2 columns and text literals, DATE with DATE...): `x = 1` and `y = 1` on text
columns do not make x equal y ('01' and '1' both convert to 1). A fact that is never true
when a column is NULL (a comparison, BETWEEN, LIKE, IN on it) implies `column IS NOT NULL`.
A NULL-extended table (the inner side of LEFT JOIN or `(+)`), a derived table, RIGHT/FULL
joins and anything unresolved never enter a class: a column that does not resolve makes its
conjunct no fact. Contradictory constants are not exploited.

**Never NULL.** `never_null_here(expr, select)` is true when the expression cannot be NULL on a
row the SELECT returns: a NOT NULL column of a table no outer join extends, a column some WHERE
conjunct rejects NULL for, a derived table's column whose expression is never NULL, COUNT, a
SUM/MIN/MAX/AVG of a never-NULL argument under a plain GROUP BY (groups are never empty), NVL
with a never-NULL default, and null-propagating functions (arithmetic, ABS, ROUND, TRUNC,
EXTRACT, TO_CHAR of a date or number) of never-NULL arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from harness.authoring.mutants import SchemaFacts

Term = tuple  # ("col", id(select), alias, column, type) or ("const", type, value)

# Comparisons that are not true when an operand is NULL (every operand for these).
_STRICT_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
# Functions and operators whose result is NULL when (any of) their argument(s) is NULL.
_NULL_PROPAGATING = (exp.Add, exp.Sub, exp.Mul, exp.Neg, exp.Abs, exp.Round, exp.DateTrunc,
                     exp.Extract, exp.ToChar, exp.Paren, exp.Upper, exp.Lower)
_TRUNC = "TRUNC"


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    """The top-level conjuncts of a condition (AND chains and parentheses flattened)."""
    if node is None:
        return []
    node = node.unnest()
    if isinstance(node, exp.And):
        return [c for part in (node.this, node.expression) for c in conjuncts(part)]
    return [node]


def _inner_joins(select: exp.Select) -> list[exp.Join] | None:
    """The SELECT's joins, None when one is RIGHT, FULL or USING (not reasoned about)."""
    joins = select.args.get("joins") or []
    if any(j.side in ("RIGHT", "FULL") or j.args.get("using") for j in joins):
        return None
    return joins


def fact_conjuncts(select: exp.Select) -> list[exp.Expression]:
    """Top-level conjuncts of WHERE and of every inner join's ON: each holds on every row
    the SELECT keeps (before GROUP BY)."""
    joins = _inner_joins(select) or []
    where = select.args.get("where")
    out = conjuncts(where.this if where else None)
    for join in joins:
        if not join.side:
            out += conjuncts(join.args.get("on"))
    return [c for c in out if not any(col.args.get("join_mark")
                                      for col in c.find_all(exp.Column))]


def _sources(select: exp.Select) -> list[tuple[exp.Expression, exp.Join | None]]:
    source = select.args.get("from_") or select.args.get("from")
    if source is None:
        return []
    return [(source.this, None)] + [(j.this, j) for j in select.args.get("joins") or []]


@dataclass
class _Level:
    """The row sources of one SELECT: base tables it reads without NULL extension (alias ->
    table), and every alias it defines (to stop resolution at the right scope)."""

    select: exp.Select
    tables: dict[str, str]
    aliases: set[str]
    opaque: bool  # a source whose columns are unknown (derived table, unknown table)

    @classmethod
    def of(cls, select: exp.Select, facts: SchemaFacts) -> _Level:
        marked = {c.table.upper() for c in select.find_all(exp.Column)
                  if c.args.get("join_mark") and c.find_ancestor(exp.Select) is select}
        tables: dict[str, str] = {}
        aliases: set[str] = set()
        opaque = False
        for node, join in _sources(select):
            alias = node.alias_or_name.upper()
            aliases.add(alias)
            extended = join is not None and join.side in ("LEFT", "RIGHT", "FULL")
            if catalog_table(node, facts):
                if not extended and alias not in marked:
                    tables[alias] = node.name.upper()
            else:
                opaque = True
        if any(j.side in ("RIGHT", "FULL") for j in select.args.get("joins") or []):
            tables = {}  # every side may be NULL-extended
        return cls(select, tables, aliases, opaque)


def plain_tables(select: exp.Select, facts: SchemaFacts) -> dict[str, str]:
    """alias -> catalog table for the tables `select` reads that no outer join extends."""
    return _Level.of(select, facts).tables


def catalog_table(node: exp.Expression, facts: SchemaFacts) -> bool:
    """A table of the catalog, not a CTE of the statement that happens to share its name."""
    if not isinstance(node, exp.Table) or node.name.upper() not in facts.columns:
        return False
    return all(cte.alias_or_name.upper() != node.name.upper()
               for cte in node.root().find_all(exp.CTE))


def _constant(node: exp.Expression) -> Term | None:
    """A literal's term: ("const", type, value), numbers by value; None for anything else
    (NULL and Oracle's '' equal nothing; other constants are not reasoned about)."""
    node = node.unnest()
    if not isinstance(node, exp.Literal) or (node.is_string and node.this == ""):
        return None
    if node.is_string:
        return ("const", "VARCHAR2", node.this)
    try:
        return ("const", "NUMBER", str(Decimal(node.this).normalize()))
    except InvalidOperation:
        return None


@dataclass
class Equalities:
    """A union-find over terms: one class holds terms equal (and not NULL) on every row."""

    parent: dict[Term, Term] = field(default_factory=dict)

    def find(self, term: Term) -> Term:
        root = term
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while term != root:
            self.parent[term], term = root, self.parent.get(term, term)
        return root

    def union(self, a: Term, b: Term) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        self.parent.setdefault(rb, rb)
        return True

    def same(self, a: Term, b: Term) -> bool:
        return a == b or self.find(a) == self.find(b)

    def known(self, term: Term) -> bool:
        """The term is in a class with another one (it took part in a true equality)."""
        return term in self.parent and any(self.find(t) == self.find(term)
                                           for t in self.parent if t != term)


class Implication:
    """The equality classes that hold where one node of a query is evaluated, built from the
    facts of its SELECT (leaving out the conjuncts inside `skip`), of the enclosing queries
    and of positive EXISTS conjuncts, closed under the catalog's inherited columns."""

    def __init__(self, select: exp.Select, facts: SchemaFacts,
                 skip: exp.Expression | None = None) -> None:
        self.facts = facts
        self.classes = Equalities()
        self.rejected: set[Term] = set()  # columns some fact is never true for when NULL
        self._levels: dict[int, _Level] = {}
        self._chain = list(self._enclosing(select, skip))
        for level_select, left_out in self._chain:
            self._add_facts(level_select, left_out, self._chain_levels(level_select))
        self._inherit()

    # ---------------------------------------------------------------- building

    def _level(self, select: exp.Select) -> _Level:
        key = id(select)
        if key not in self._levels:
            self._levels[key] = _Level.of(select, self.facts)
        return self._levels[key]

    def _enclosing(self, select: exp.Select, skip: exp.Expression | None
                   ) -> Iterator[tuple[exp.Select, exp.Expression | None]]:
        """(SELECT, the node whose conjuncts are no facts there) from the innermost out, as
        far as each subquery sits inside a fact conjunct of its parent."""
        yield select, skip
        inner = select
        while True:
            parent = inner.parent
            while parent is not None and not isinstance(parent, exp.Select):
                parent = parent.parent
            if parent is None:
                return
            holder = next((c for c in fact_conjuncts(parent)
                           if any(n is inner for n in c.walk())), None)
            if holder is None and not _in_select_list(inner, parent):
                return  # in FROM, HAVING, ORDER BY, a LEFT JOIN's ON...
            yield parent, holder
            inner = parent

    def _chain_levels(self, select: exp.Select) -> list[_Level]:
        """The levels visible from `select`: itself, then its enclosing chain outward."""
        selects = [s for s, _ in self._chain]
        start = next((i for i, s in enumerate(selects) if s is select), None)
        if start is None:
            return [self._level(select)]
        return [self._level(s) for s in selects[start:]]

    def term(self, node: exp.Expression, levels: list[_Level]) -> Term | None:
        """The term of a column or constant seen from `levels` (innermost first), None when
        it is neither, NULL-extended, or does not resolve for sure."""
        node = node.unnest()
        if not isinstance(node, exp.Column):
            return _constant(node)
        if node.args.get("join_mark") or isinstance(node.this, exp.Star):
            return None
        name = node.name.upper()
        for level in levels:
            if node.table:
                alias = node.table.upper()
                if alias not in level.aliases:
                    continue
                table = level.tables.get(alias)
                if table is None or name not in self.facts.columns.get(table, ()):
                    return None
                return self._column(level, alias, name)
            owners = [a for a, t in level.tables.items() if name in self.facts.columns[t]]
            if level.opaque or len(owners) > 1 or len(level.tables) < len(level.aliases):
                return None  # an unqualified name an unknown source may also hold
            if owners:
                return self._column(level, owners[0], name)
        return None

    def _column(self, level: _Level, alias: str, name: str) -> Term:
        table = level.tables[alias]
        return ("col", id(level.select), alias, name, self.facts.types.get((table, name)))

    def _equal(self, left: exp.Expression, right: exp.Expression, levels: list[_Level]
               ) -> tuple[Term, Term] | None:
        """The terms of `left = right` when both resolve and have one known type."""
        a, b = self.term(left, levels), self.term(right, levels)
        if a is None or b is None or _type_of(a) is None or _type_of(a) != _type_of(b):
            return None
        return a, b

    def _add_facts(self, select: exp.Select, left_out: exp.Expression | None,
                   levels: list[_Level]) -> None:
        for conjunct in fact_conjuncts(select):
            if left_out is not None and any(n is conjunct for n in left_out.walk()):
                continue
            if left_out is not None and any(n is left_out for n in conjunct.walk()):
                continue
            self._add_fact(conjunct, levels)

    def _add_fact(self, conjunct: exp.Expression, levels: list[_Level]) -> None:
        for column in rejected_columns(conjunct):
            term = self.term(column, levels)
            if term is not None:
                self.rejected.add(term)
        if isinstance(conjunct, exp.EQ):
            pair = self._equal(conjunct.this, conjunct.expression, levels)
            if pair is not None:
                self.classes.union(*pair)
        elif isinstance(conjunct, exp.Exists) and isinstance(conjunct.this, exp.Select):
            witness = conjunct.this
            if _plain_rows(witness) and _inner_joins(witness) is not None:
                inner = [self._level(witness), *levels]
                for fact in fact_conjuncts(witness):
                    self._add_fact(fact, inner)

    def _inherit(self) -> None:
        """Close the classes under the catalog's inherited columns (`same:`)."""
        aliases = [(id(level.select), alias, table) for level in self._levels.values()
                   for alias, table in level.tables.items()]
        changed = True
        while changed:
            changed = False
            for child_scope, child, child_table in aliases:
                for parent_scope, parent, parent_table in aliases:
                    for rule in self.facts.inherited.get((child_table, parent_table), ()):
                        columns, ref_columns, same = rule
                        def term(scope: int, alias: str, table: str, column: str) -> Term:
                            return ("col", scope, alias, column,
                                    self.facts.types.get((table, column)))

                        if not all(self.classes.same(
                                term(child_scope, child, child_table, c),
                                term(parent_scope, parent, parent_table, r))
                                for c, r in zip(columns, ref_columns, strict=True)):
                            continue
                        for column in same:
                            changed |= self.classes.union(
                                term(child_scope, child, child_table, column),
                                term(parent_scope, parent, parent_table, column))

    # ---------------------------------------------------------------- questions

    def levels_of(self, select: exp.Select) -> list[_Level]:
        return self._chain_levels(select)

    def implies(self, conjunct: exp.Expression, select: exp.Select) -> bool:
        """The facts make `conjunct` (of `select`) true on every row they keep."""
        levels = self.levels_of(select)
        parts = conjuncts(conjunct)
        return bool(parts) and all(self._implies_one(p, levels) for p in parts)

    def _implies_one(self, conjunct: exp.Expression, levels: list[_Level]) -> bool:
        if isinstance(conjunct, exp.EQ):
            pair = self._equal(conjunct.this, conjunct.expression, levels)
            return pair is not None and self.classes.same(*pair)
        if isinstance(conjunct, exp.Not) and isinstance(conjunct.this, exp.Is) and \
                isinstance(conjunct.this.expression, exp.Null):
            tested = self.term(conjunct.this.this, levels)
            return tested is not None and tested[0] == "col" and (
                tested in self.rejected or self.classes.known(tested))
        return False

    def same_truth(self, atoms: Iterable[exp.Expression], select: exp.Select) -> bool:
        """Every atom is an equality `x = y` between the same two classes: on every row the
        facts keep, all of them are true or all are false (never unknown)."""
        levels = self.levels_of(select)
        pairs = set()
        for atom in atoms:
            pair = self._equal(atom.this, atom.expression, levels) if isinstance(
                atom, exp.EQ) else None
            if pair is None:
                return False
            pairs.add(frozenset(self.classes.find(t) for t in pair))
        return len(pairs) == 1


def _type_of(term: Term) -> str | None:
    return term[4] if term[0] == "col" else term[1]


def _in_select_list(inner: exp.Select, parent: exp.Select) -> bool:
    """`inner` is a scalar subquery of `parent`'s select list, evaluated only on the rows
    `parent` keeps: each row of a plain SELECT, or each group of a plain GROUP BY (whose
    rows all meet the facts and share the key values the subquery may read). Not an
    aggregate without GROUP BY, whose one row exists even when no row is kept."""
    if not any(n is inner for e in parent.expressions for n in e.walk()):
        return False
    if parent.args.get("group") is not None:
        return _group_keys(parent) is not None
    return not any(isinstance(n, exp.AggFunc) and not n.find_ancestor(exp.Window)
                   and n.find_ancestor(exp.Select) is parent
                   for e in parent.expressions for n in e.walk())


def _plain_rows(select: exp.Select) -> bool:
    """A subquery whose rows are rows of its FROM that pass its WHERE (no grouping, limit or
    set operation): EXISTS of it means some such row exists."""
    return not any(select.args.get(k) for k in ("group", "having", "limit", "fetch",
                                                "qualify", "with")) and not any(
        isinstance(n, exp.AggFunc) and n.find_ancestor(exp.Select) is select
        for e in select.expressions for n in e.walk()) and not any(
        isinstance(c, exp.Column) and c.name.upper() == "ROWNUM" for c in select.find_all(
            exp.Column))


# ---------------------------------------------------------------- NULL rejection


def strict_columns(node: exp.Expression) -> list[exp.Column]:
    """Columns whose NULL makes `node` NULL (through null-propagating operators)."""
    node = node.unnest()
    if isinstance(node, exp.Column):
        return [node]
    if isinstance(node, exp.Anonymous) and node.name.upper() == _TRUNC and node.expressions:
        return strict_columns(node.expressions[0])
    if isinstance(node, exp.Extract):
        return strict_columns(node.expression)
    if isinstance(node, _NULL_PROPAGATING):
        operands = [node.this] + ([node.expression] if isinstance(node, exp.Binary) else [])
        return [c for o in operands if isinstance(o, exp.Expression)
                for c in strict_columns(o)]
    return []


def rejected_columns(conjunct: exp.Expression) -> list[exp.Column]:
    """Columns a conjunct is never true for when they are NULL: operands of =, <>, <, >, <=,
    >=, BETWEEN (all three), the left of LIKE and IN, the tested one of IS NOT NULL."""
    conjunct = conjunct.unnest()
    if isinstance(conjunct, exp.Not) and isinstance(conjunct.this, exp.Is) and \
            isinstance(conjunct.this.expression, exp.Null):
        operands = [conjunct.this.this]
    elif isinstance(conjunct, _STRICT_COMPARISONS):
        operands = [conjunct.this, conjunct.expression]
    elif isinstance(conjunct, exp.Between):
        operands = [conjunct.this, conjunct.args.get("low"), conjunct.args.get("high")]
    elif isinstance(conjunct, exp.Like | exp.In):
        operands = [conjunct.this]
    else:
        return []
    return [c for o in operands if isinstance(o, exp.Expression) for c in strict_columns(o)]


# ---------------------------------------------------------------- never NULL


def _super_aggregates(select: exp.Select) -> bool:
    """GROUP BY with ROLLUP, CUBE or GROUPING SETS (as an argument or as a key)."""
    group = select.args.get("group")
    return group is not None and (
        any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets")) or any(
            isinstance(k, exp.Rollup | exp.Cube | exp.GroupingSets) for k in group.expressions))


def _group_keys(select: exp.Select) -> list[exp.Expression] | None:
    """The plain GROUP BY keys; None without GROUP BY or with ROLLUP/CUBE/GROUPING SETS
    (whose super-aggregate rows hold NULL keys)."""
    group = select.args.get("group")
    if group is None or _super_aggregates(select):
        return None
    return list(group.expressions) or None


def _same_column(a: exp.Column, b: exp.Column, select: exp.Select) -> bool:
    if a.name.upper() != b.name.upper():
        return False
    if a.table and b.table:
        return a.table.upper() == b.table.upper()
    return len(_sources(select)) == 1


def never_null_here(node: exp.Expression, select: exp.Select, facts: SchemaFacts,
                    depth: int = 0) -> bool:
    """`node`, evaluated on the rows `select` returns, is never NULL (see the module doc)."""
    node = node.unnest()
    if depth > 8 or _super_aggregates(select):
        return False  # (super-aggregate rows hold NULL keys)
    if isinstance(node, exp.Literal):
        return not (node.is_string and node.this == "")
    if isinstance(node, exp.Count):
        return True
    if isinstance(node, exp.Sum | exp.Min | exp.Max | exp.Avg) and not isinstance(
            node.parent, exp.Window):
        return _group_keys(select) is not None and \
            never_null_here(node.this, select, facts, depth + 1)
    if isinstance(node, exp.Coalesce):
        return any(never_null_here(a, select, facts, depth + 1)
                   for a in [node.this, *node.expressions])
    if isinstance(node, exp.Column):
        return _column_never_null(node, select, facts, depth)
    if isinstance(node, exp.Anonymous) and node.name.upper() == _TRUNC and node.expressions:
        return all(never_null_here(a, select, facts, depth + 1) for a in node.expressions)
    if isinstance(node, exp.Extract):
        return never_null_here(node.expression, select, facts, depth + 1)
    if isinstance(node, exp.Round) and node.args.get("decimals") is not None and \
            not never_null_here(node.args["decimals"], select, facts, depth + 1):
        return False
    if isinstance(node, exp.ToChar | exp.DateTrunc | exp.Round | exp.Abs | exp.Neg):
        return never_null_here(node.this, select, facts, depth + 1) and \
            (not isinstance(node, exp.ToChar) or _plain_format(node))
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return never_null_here(node.this, select, facts, depth + 1) and \
            never_null_here(node.expression, select, facts, depth + 1)
    return False


def _plain_format(node: exp.ToChar) -> bool:
    """TO_CHAR with no format or a literal one of date/number fields: never an empty text."""
    fmt = node.args.get("format")
    return fmt is None or (isinstance(fmt, exp.Literal) and fmt.is_string and fmt.this != "")


def _column_never_null(column: exp.Column, select: exp.Select, facts: SchemaFacts,
                       depth: int) -> bool:
    where = select.args.get("where")
    for conjunct in conjuncts(where.this if where else None):
        if any(_same_column(c, column, select) for c in rejected_columns(conjunct)):
            return True
    sources = _sources(select)
    if column.table:
        found = [(n, j) for n, j in sources if n.alias_or_name.upper() == column.table.upper()]
    else:
        found = sources if len(sources) == 1 else []
    if len(found) != 1:
        return False
    node, join = found[0]
    marked = any(c.args.get("join_mark") and c.table.upper() == node.alias_or_name.upper()
                 for c in select.find_all(exp.Column))
    if (join is not None and join.side in ("LEFT", "RIGHT", "FULL")) or marked or any(
            j.side in ("RIGHT", "FULL") for j in select.args.get("joins") or []):
        return False
    name = column.name.upper()
    if isinstance(node, exp.Table):
        return catalog_table(node, facts) and (node.name.upper(), name) in facts.not_null
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
        inner = node.this
        for item in inner.expressions:
            if item.alias_or_name.upper() == name:
                return never_null_here(item.unalias(), inner, facts, depth + 1)
    return False

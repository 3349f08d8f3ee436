"""Result-set comparison under the strict correctness policy (contract 5, docs/contracts.md).

Two results are equal when they hold the same bag of rows (duplicates count) up to column order
and column names; row order counts only when the gold orders at top level (`ordered=True`), and
then only across distinct sort keys when the gold's runs of tied keys are given (`tie_groups`,
from harness.scoring.order_keys): the rows of one run may come in any order, as the same bag.

Value semantics (results come from DuckDB or python-oracledb `fetchall`):
- NULL equals NULL.
- int, float, Decimal and other real numbers compare as numbers, because Oracle NUMBER has no
  int/float distinction (3 == 3.0 == Decimal('3')). They are compared as IEEE doubles with
  `math.isclose(a, b, rel_tol, abs_tol)`, so tolerances below about 1e-15 relative mean nothing.
  NaN equals NaN; +inf equals only +inf. A number outside the range of a double raises
  (Oracle NUMBER stays below 1e126, so such a value cannot be a faithful result).
- bool is not a number (True != 1): DuckDB returns BOOLEAN columns as bool, and a boolean where
  the gold has a count or a flag column is a different answer.
- str compares exactly: case-sensitive, trailing spaces significant (Oracle VARCHAR2 semantics).
- bytes, bytearray and memoryview compare as bytes, exactly.
- `datetime.date` equals the `datetime.datetime` at midnight of that date (Oracle DATE always
  has a time part; DuckDB returns DATE columns as `date`). Datetimes compare exactly, to the
  microsecond: Oracle DATE has second precision, so a sub-second difference can only come from
  a different expression (a TIMESTAMP computation), which is a different answer.
- Timezone-aware datetimes compare by instant; a result holding both aware and naive datetimes
  raises, since which wall clock the naive one means is unknown.
- Any other type compares by `==` with values of exactly the same type (time, timedelta, UUID,
  lists of a DuckDB LIST column, ...). A type whose `==` does not give a bool raises.
Values that cannot be compared raise `IncomparableResultsError` rather than a guessed verdict.

How tolerant bag equality is decided without hashing floats: every number of both results is
placed on one sorted line and chained into clusters (neighbours within tolerance). Two numbers
within tolerance always share a cluster, because `isclose` is convex on the real line (if a <= c
<= b and a, b are close, then a, c and c, b are close). Cells are then replaced by exact keys
(the cluster id for numbers), and bags of keyed rows are compared by counting. A cluster whose
extremes are themselves within tolerance ("tight", the usual case) makes key equality exactly
tolerant equality. A chain whose extremes are not close ("loose": 1.0, 1.0000007, 1.0000014)
is where sorting and pairing rows would be wrong near the boundary; rows holding loose cells are
matched exactly instead: sorted two-pointer matching when one column is loose (optimal because
each value's tolerance window is an interval that moves monotonically), bipartite maximum
matching otherwise.

Column matching: candidates for a gold column are the predicted columns with the same multiset
of keys; a backtracking search over them is pruned by the bag of partial rows at each step and
tries only one of a group of identical predicted columns (30 copies of one column cost 30
steps, not 30!). A search that exceeds its budget (far beyond what real results need) raises
IncomparableResultsError rather than declare the results different.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, partial
from operator import itemgetter

from harness.backends.base import ResultSet

REPORTED_ROWS = 20
"""How many missing and unexpected rows a Comparison carries for the scorecard's row diff."""

# Column-mapping search: tries allowed per column beyond the straight path, and a floor in
# cells, so that a real result (one try per column) never hits the limit.
_TRIES_PER_COLUMN = 50
_MIN_SEARCH_CELLS = 20_000_000
# The closest mapping only shapes the row diff of a wrong answer: a small budget (~0.1 s).
_DIFF_SEARCH_CELLS = 200_000

# Ranks order the kinds of value; a cell's key is (rank, payload) and payloads of one rank are
# mutually comparable, so rows of keys can be sorted as well as hashed.
_NULL, _BOOL, _NUM, _NAN, _STR, _BYTES, _DATETIME, _DATETIME_TZ, _OTHER = range(9)
_RUN = 9  # not a value: names a run of tied gold rows (the judge's own column)

Key = tuple[int, object]


@dataclass(frozen=True)
class Comparison:
    """Verdict of comparing a predicted result with the gold's, with the row diff for reviewers.

    `column_mapping[i]` is the predicted column matched to gold column i: the mapping that makes
    the results equal, else the closest one found (by column values, then names), under which
    `missing_rows` (gold rows without a match) and `unexpected_rows` (predicted rows without a
    match, in gold column order) are computed. None when the column counts differ. The row
    lists hold at most REPORTED_ROWS rows each; `reason` gives the full counts.
    """

    equal: bool
    reason: str
    column_mapping: tuple[int, ...] | None
    missing_rows: tuple[tuple, ...]
    unexpected_rows: tuple[tuple, ...]


class IncomparableResultsError(ValueError):
    """The results cannot be compared faithfully; report that instead of a verdict."""


def compare_results(
    gold: ResultSet,
    predicted: ResultSet,
    *,
    ordered: bool,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    tie_groups: Sequence[int] | None = None,
) -> Comparison:
    """Compare `predicted` with `gold` under the strict policy (module docstring).

    `ordered=True` when the gold orders at top level: rows must then come in the same sequence,
    except within runs of tied sort keys: `tie_groups[r]` labels gold row r's run (consecutive
    rows with one label), and the predicted rows at a run's positions must be the same bag as
    the gold's. Raises IncomparableResultsError for values that cannot be compared faithfully
    (or a column mapping search that gives up), ValueError for malformed result sets,
    tolerances or tie groups.
    """
    _check_inputs(gold, predicted, rel_tol, abs_tol)
    ties = _ties(tie_groups, gold) if ordered else None
    n_gold, n_pred = len(gold.columns), len(predicted.columns)
    if n_gold != n_pred:
        return Comparison(
            False, f"column count differs: gold {n_gold}, predicted {n_pred}", None, (), ()
        )
    prep = _prepare(gold, predicted, rel_tol, abs_tol)
    same_row_count = len(gold.rows) == len(predicted.rows)
    if ordered and same_row_count:
        mapping = _sequence_mapping(prep)
        if mapping is not None:
            return Comparison(True, "", mapping, (), ())
        if ties is not None:
            mapping = _mapping_within_ties(prep, ties)
            if mapping is not None:
                return Comparison(True, "", mapping, (), ())
    if same_row_count:
        mapping = _bag_mapping(prep)
        if mapping is not None:
            if not ordered:
                return Comparison(True, "", mapping, (), ())
            return Comparison(False, _order_reason(prep, mapping, ties), mapping, (), ())
    mapping = _closest_mapping(prep, gold.columns, predicted.columns)
    missing, unexpected = _bag_diff(prep, mapping)
    parts = []
    if not same_row_count:
        parts.append(f"row count differs: gold {len(gold.rows)}, predicted {len(predicted.rows)}")
    parts.append(_diff_summary(len(missing), len(unexpected)))
    return Comparison(
        False,
        "; ".join(parts),
        mapping,
        tuple(tuple(gold.rows[r]) for r in missing[:REPORTED_ROWS]),
        tuple(tuple(predicted.rows[r][j] for j in mapping) for r in unexpected[:REPORTED_ROWS]),
    )


def lenient_equal(
    gold: ResultSet,
    predicted: ResultSet,
    *,
    ordered: bool,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    tie_groups: Sequence[int] | None = None,
) -> bool:
    """True when some of the predicted columns, taken in some order, equal the gold result.

    The gold's columns must be a subset of the prediction's columns by value (names ignored),
    with the same bag of rows (same sequence when `ordered`); extra predicted columns are
    allowed. Reported beside the strict verdict, never instead of it. Raises as
    compare_results does.
    """
    _check_inputs(gold, predicted, rel_tol, abs_tol)
    if len(gold.columns) > len(predicted.columns) or len(gold.rows) != len(predicted.rows):
        return False
    prep = _prepare(gold, predicted, rel_tol, abs_tol)
    if ordered:
        if _sequence_mapping(prep) is not None:
            return True
        ties = _ties(tie_groups, gold)
        return ties is not None and _mapping_within_ties(prep, ties) is not None
    return _bag_mapping(prep) is not None


def _ties(tie_groups: Sequence[int] | None, gold: ResultSet) -> tuple[int, ...] | None:
    """The run labels, checked; None when every run is one row (the order is then strict)."""
    if tie_groups is None:
        return None
    labels = tuple(tie_groups)
    if len(labels) != len(gold.rows):
        raise ValueError(f"tie_groups has {len(labels)} labels for {len(gold.rows)} gold rows")
    closed: set[int] = set()  # labels of runs already ended
    for previous, label in zip(labels, labels[1:], strict=False):
        if label != previous:
            closed.add(previous)
            if label in closed:
                raise ValueError("tie_groups must label consecutive runs of rows")
    return labels if len(closed) + 1 < len(labels) else None


def _mapping_within_ties(prep: _Prepared, ties: Sequence[int]) -> tuple[int, ...] | None:
    """A column mapping under which every run of tied gold rows and the predicted rows at the
    same positions are equal bags (the rows have the same count).

    Both results get a trailing column naming the run of each position; its cells (rank
    _RUN) equal no value, so it can only map to itself, and a bag mapping of the widened
    results is a mapping of runs of rows, from which that column is dropped again.
    """
    mapping = _bag_mapping(prep.with_runs(ties))
    if mapping is None:
        return None
    assert mapping[-1] == prep.widths[1]  # the run column maps to the run column
    return mapping[:-1]


def _order_reason(prep: _Prepared, mapping: Sequence[int], ties: Sequence[int] | None) -> str:
    """Why rows equal as a bag are wrong in sequence: where the first out-of-place row is."""
    n = len(prep.gold_keys)
    if ties is None:
        first = next(r for r in range(n) if not prep.rows_close(r, r, mapping))
        return f"row order differs (gold orders at top level): first difference at row {first + 1}"
    start = 0
    for end in range(1, n + 1):
        if end < n and ties[end] == ties[start]:
            continue
        gold_run = Counter(prep.gold_keys[r] for r in range(start, end))
        pred_run = Counter(tuple(prep.pred_keys[r][j] for j in mapping) for r in range(start, end))
        if gold_run != pred_run:
            break
        start = end
    if start == n:  # only tolerance separates the runs: say where the sequence differs
        return _order_reason(prep, mapping, None)
    return (
        "row order differs across distinct sort keys (gold orders at top level; rows with "
        f"equal keys may come in any order): first difference in rows {start + 1}-{end}"
    )


def _diff_summary(missing: int, unexpected: int) -> str:
    parts = []
    if missing:
        parts.append(f"{missing} gold row{'s' if missing != 1 else ''} missing")
    if unexpected:
        parts.append(f"{unexpected} unexpected row{'s' if unexpected != 1 else ''}")
    return ", ".join(parts)


class _Normalizer:
    """Turns raw values into (rank, payload) cells; numbers keep their float as payload.

    Values of other types get an id shared by both results, so that equal values (by `==`)
    get equal keys whatever their hashability.
    """

    def __init__(self) -> None:
        self._hashable: dict[tuple[type, object], int] = {}
        self._unhashable: list[tuple[object, int]] = []
        self._next_id = 0
        self.naive_datetime = False
        self.aware_datetime = False

    def __call__(self, value: object) -> Key:
        kind = type(value)
        if kind is str:  # the common exact types first: this runs once per cell
            return (_STR, value)
        if kind is float:
            return (_NUM, value) if value == value else (_NAN, 0)
        if kind is int:
            try:
                return (_NUM, float(value))  # never NaN or infinite: too large raises
            except OverflowError:
                return _number(value)  # which says why it cannot be compared
        if kind is Decimal:
            return _number(value)
        if value is None:
            return (_NULL, 0)
        if isinstance(value, bool):
            return (_BOOL, value)
        if isinstance(value, numbers.Real | Decimal):
            return _number(value)
        if isinstance(value, str):
            return (_STR, value)
        if isinstance(value, bytes | bytearray | memoryview):
            return (_BYTES, bytes(value))
        if isinstance(value, dt.datetime):
            if value.utcoffset() is not None:
                self.aware_datetime = True
                return (_DATETIME_TZ, value)
            self.naive_datetime = True
            return (_DATETIME, value)
        if isinstance(value, dt.date):
            self.naive_datetime = True
            return (_DATETIME, dt.datetime.combine(value, dt.time()))
        return (_OTHER, self._intern(value))

    def _intern(self, value: object) -> int:
        kind = type(value)
        try:
            hash(value)
        except TypeError:
            return self._intern_unhashable(value)
        try:
            ident = self._hashable.setdefault((kind, value), self._next_id)
        except (TypeError, ValueError) as exc:
            raise _incomparable(kind, exc) from exc
        if ident == self._next_id:
            self._next_id += 1
        return ident

    def _intern_unhashable(self, value: object) -> int:
        kind = type(value)
        for other, ident in self._unhashable:
            if type(other) is kind:
                same = value == other
                if not isinstance(same, bool):
                    raise _incomparable(kind, f"== gave {type(same).__name__}, not bool")
                if same:
                    return ident
        ident = self._next_id
        self._next_id += 1
        self._unhashable.append((value, ident))
        return ident


def _incomparable(kind: type, why: object) -> IncomparableResultsError:
    return IncomparableResultsError(
        f"cannot compare values of type {kind.__module__}.{kind.__qualname__}: {why}"
    )


def _number(value: numbers.Real | Decimal) -> Key:
    if isinstance(value, Decimal) and value.is_nan():
        return (_NAN, 0)
    try:
        as_float: float | None = float(value)
    except OverflowError:
        as_float = None
    if as_float is not None and math.isnan(as_float):
        return (_NAN, 0)
    if as_float is None or (
        math.isinf(as_float) and isinstance(value, Decimal) and value.is_finite()
    ):
        raise IncomparableResultsError(f"number outside the range of a double: {value!r:.60}")
    return (_NUM, as_float)


class _Prepared:
    """Both results as normalised cells and as exact keys, with tolerant checks on loose cells."""

    def __init__(
        self,
        gold_cells: list[list[Key]],
        pred_cells: list[list[Key]],
        widths: tuple[int, int],
        close: Callable[[float, float], bool],
    ) -> None:
        self.gold_cells = gold_cells
        self.pred_cells = pred_cells
        self.widths = widths
        self.close = close
        cluster_of, self.loose = _cluster_numbers(
            [p for rows in (gold_cells, pred_cells) for row in rows for r, p in row if r == _NUM],
            close,
        )

        def keyed(cells: list[list[Key]]) -> list[tuple[Key, ...]]:
            # Once per cell of both results: a list comprehension (no generator frame), and
            # cells other than numbers are their own key.
            return [
                tuple([(_NUM, cluster_of[cell[1]]) if cell[0] == _NUM else cell for cell in row])
                for row in cells
            ]

        self.gold_keys = keyed(gold_cells)
        self.pred_keys = keyed(pred_cells)

    @cached_property
    def gold_cols(self) -> list[tuple[Key, ...]]:
        return _columns(self.gold_keys, self.widths[0])

    @cached_property
    def pred_cols(self) -> list[tuple[Key, ...]]:
        return _columns(self.pred_keys, self.widths[1])

    @cached_property
    def gold_counts(self) -> list[Counter]:
        return [Counter(col) for col in self.gold_cols]

    @cached_property
    def pred_counts(self) -> list[Counter]:
        return [Counter(col) for col in self.pred_cols]

    @cached_property
    def pred_twin_of(self) -> list[int]:
        """For each predicted column, the first column identical to it (interchangeable).

        Identical means equal keys, except that loose numbers must be equal exactly: two
        columns of one loose chain may pair differently with the gold.
        """
        twins: dict[tuple, int] = {}
        return [
            twins.setdefault(
                tuple(
                    cells[j] if self.is_loose(key) else key
                    for cells, key in zip(self.pred_cells, col, strict=True)
                ),
                j,
            )
            for j, col in enumerate(self.pred_cols)
        ]

    def with_runs(self, runs: Sequence[int]) -> _Prepared:
        """Both results with a trailing column naming each position's run of tied gold rows
        (cells of rank _RUN), built from these cells without normalising them again."""
        wide = object.__new__(_Prepared)
        wide.widths = (self.widths[0] + 1, self.widths[1] + 1)
        wide.close, wide.loose = self.close, self.loose
        for side in ("gold", "pred"):
            run_cells = [(_RUN, run) for run in runs]
            cells, keys = getattr(self, f"{side}_cells"), getattr(self, f"{side}_keys")
            setattr(wide, f"{side}_cells",
                    [[*row, cell] for row, cell in zip(cells, run_cells, strict=True)])
            setattr(wide, f"{side}_keys",
                    [(*row, cell) for row, cell in zip(keys, run_cells, strict=True)])
        return wide

    def is_loose(self, key: Key) -> bool:
        return key[0] == _NUM and key[1] in self.loose

    def columns_close(self, i: int, j: int) -> bool:
        """Gold column i and predicted column j, whose keys are equal, are close row by row."""
        return all(
            self.close(g[i][1], p[j][1])
            for g, p, key in zip(self.gold_cells, self.pred_cells, self.gold_cols[i], strict=True)
            if self.is_loose(key)
        )

    def rows_close(self, g: int, p: int, mapping: Sequence[int]) -> bool:
        """Gold row g equals predicted row p under the column mapping."""
        gold_keys, pred_keys = self.gold_keys[g], self.pred_keys[p]
        for i, j in enumerate(mapping):
            if gold_keys[i] != pred_keys[j]:
                return False
            if self.is_loose(gold_keys[i]) and not self.close(
                self.gold_cells[g][i][1], self.pred_cells[p][j][1]
            ):
                return False
        return True


def _columns(rows: list[tuple[Key, ...]], width: int) -> list[tuple[Key, ...]]:
    return [tuple(row[c] for row in rows) for c in range(width)]


def _check_inputs(gold: ResultSet, predicted: ResultSet, rel_tol: float, abs_tol: float) -> None:
    if not (0 <= rel_tol < 1 and 0 <= abs_tol < math.inf):
        raise ValueError(f"need 0 <= rel_tol < 1 and finite abs_tol >= 0: {rel_tol}, {abs_tol}")
    for name, result in (("gold", gold), ("predicted", predicted)):
        width = len(result.columns)
        for index, row in enumerate(result.rows):
            if len(row) != width:
                raise ValueError(
                    f"{name} result row {index} has {len(row)} values for {width} columns"
                )


def _prepare(gold: ResultSet, predicted: ResultSet, rel_tol: float, abs_tol: float) -> _Prepared:
    normalize = _Normalizer()
    gold_cells = [[normalize(v) for v in row] for row in gold.rows]
    pred_cells = [[normalize(v) for v in row] for row in predicted.rows]
    if normalize.naive_datetime and normalize.aware_datetime:
        raise IncomparableResultsError(
            "results mix timezone-aware and naive dates/datetimes; cannot tell which instant "
            "a naive value means"
        )
    close = partial(math.isclose, rel_tol=rel_tol, abs_tol=abs_tol)
    return _Prepared(gold_cells, pred_cells, (len(gold.columns), len(predicted.columns)), close)


def _cluster_numbers(
    values: list[float], close: Callable[[float, float], bool]
) -> tuple[dict[float, int], frozenset[int]]:
    """Chain sorted distinct numbers into clusters of neighbours within tolerance.

    Returns each number's cluster id and the ids of loose clusters (extremes not close).
    """
    cluster_of: dict[float, int] = {}
    loose = set()
    ordered = sorted(set(values))
    start = 0  # a cluster's id is the position of its smallest number
    for index, value in enumerate(ordered):
        if index and not close(ordered[index - 1], value):
            if not close(ordered[start], ordered[index - 1]):
                loose.add(start)
            start = index
        cluster_of[value] = start
    if ordered and not close(ordered[start], ordered[-1]):
        loose.add(start)
    return cluster_of, frozenset(loose)


def _max_matching(adjacency: Sequence[Sequence[int]], n_right: int) -> list[int | None]:
    """Maximum bipartite matching by breadth-first augmenting paths: left i -> right or None."""
    match_left: list[int | None] = [None] * len(adjacency)
    match_right: list[int | None] = [None] * n_right
    for start in range(len(adjacency)):
        parent: dict[int, int] = {}
        queue = [start]
        found = None
        for left in queue:
            for right in adjacency[left]:
                if right in parent:
                    continue
                parent[right] = left
                if match_right[right] is None:
                    found = right
                    break
                queue.append(match_right[right])
            if found is not None:
                break
        right = found
        while right is not None:  # flip the alternating path back to start
            left = parent[right]
            previous = match_left[left]
            match_left[left], match_right[right] = right, left
            right = previous
    return match_left


def _sequence_mapping(prep: _Prepared) -> tuple[int, ...] | None:
    """A gold -> predicted column mapping under which the rows are equal position by position.

    Columns must then be equal as whole vectors, independently of each other, so a bipartite
    matching of compatible columns finds a mapping whenever one exists.
    """
    by_vector = defaultdict(list)
    for j, col in enumerate(prep.pred_cols):
        by_vector[col].append(j)
    candidates = [
        [j for j in by_vector.get(col, ()) if prep.columns_close(i, j)]
        for i, col in enumerate(prep.gold_cols)
    ]
    match = _max_matching(candidates, prep.widths[1])
    return None if None in match else tuple(match)


def _bag_mapping(prep: _Prepared) -> tuple[int, ...] | None:
    """An injective gold -> predicted column mapping under which the bags of rows are equal.

    Backtracking over candidate columns (those with the same multiset of keys), pruned by the
    bag of the partial rows at every step (a necessary condition), trying one column of each
    group of identical predicted columns (they are interchangeable).
    """
    gold_cols, pred_cols = prep.gold_cols, prep.pred_cols
    width, n_rows = len(gold_cols), len(prep.gold_keys)
    if width == len(pred_cols) and Counter(tuple(sorted(r)) for r in prep.gold_keys) != Counter(
        tuple(sorted(r)) for r in prep.pred_keys
    ):
        return None  # the rows differ as multisets of values: no column order can help
    by_signature = defaultdict(list)
    for j, counts in enumerate(prep.pred_counts):
        by_signature[frozenset(counts.items())].append(j)
    candidates = [by_signature.get(frozenset(c.items()), []) for c in prep.gold_counts]
    if None in _max_matching(candidates, len(pred_cols)):
        return None
    twin_of = prep.pred_twin_of
    order = sorted(range(width), key=lambda i: (len(candidates[i]), -len(prep.gold_counts[i]), i))
    budget = max(_MIN_SEARCH_CELLS, _TRIES_PER_COLUMN * width * 2 * (n_rows + 1))
    mapping: list[int] = [-1] * width
    used = [False] * len(pred_cols)

    def search(depth: int, gold_ids: list[int], pred_ids: list[int]) -> bool:
        nonlocal budget
        if depth == width:
            return not prep.loose or _bag_diff(prep, mapping) == ([], [])
        i = order[depth]
        tried = set()
        for j in candidates[i]:
            if used[j] or twin_of[j] in tried:
                continue
            tried.add(twin_of[j])
            budget -= 2 * (n_rows + 1)
            if budget < 0:
                raise IncomparableResultsError(
                    f"column mapping search gave up: {width} columns with too many "
                    "look-alike candidates to decide"
                )
            gold_next, pred_next = _refine(gold_ids, gold_cols[i], pred_ids, pred_cols[j])
            if Counter(gold_next) != Counter(pred_next):
                continue
            mapping[i], used[j] = j, True
            if search(depth + 1, gold_next, pred_next):
                return True
            used[j] = False
        return False

    if search(0, [0] * n_rows, [0] * len(prep.pred_keys)):
        return tuple(mapping)
    return None


def _closest_mapping(
    prep: _Prepared, gold_names: Sequence[str], pred_names: Sequence[str]
) -> tuple[int, ...]:
    """The mapping used for the row diff when none makes the results equal: most rows matched.

    Branch and bound on the number of matched rows: the bag intersection of partial rows never
    grows as columns are added, so it bounds every completion. Candidates go best partial
    agreement first, then those with the same multiset of values, the same set of values, the
    same name, the nearest position. Small problems are searched exhaustively; on large ones
    a gold column only meets the predicted columns of its closest kind (same multiset, else
    same set, else any), and the first, greedy descent always completes while alternatives
    are explored within a budget.
    """
    width = len(gold_names)
    by_multiset, by_set = defaultdict(list), defaultdict(list)
    for j, counts in enumerate(prep.pred_counts):
        by_multiset[frozenset(counts.items())].append(j)
        by_set[frozenset(counts)].append(j)
    tiers = [
        (
            set(by_multiset.get(frozenset(c.items()), ())),
            set(by_set.get(frozenset(c), ())),
            set(range(width)),
        )
        for c in prep.gold_counts
    ]

    def tier(i: int, j: int) -> int:
        return next(t for t, options in enumerate(tiers[i]) if j in options)

    def preference(i: int, j: int) -> tuple:
        name = gold_names[i].casefold() != pred_names[j].casefold()
        return (tier(i, j), name, abs(i - j), j)

    def constraint(i: int) -> tuple[int, int, int]:
        level = next(t for t, options in enumerate(tiers[i]) if options)
        return (level, len(tiers[i][level]), i)

    order = sorted(range(width), key=constraint)
    twin_of = prep.pred_twin_of
    n_gold = len(prep.gold_keys)
    cells = n_gold + len(prep.pred_keys) + 1
    budget = _DIFF_SEARCH_CELLS
    exhaustive = width * width * cells <= budget
    best: list = [-1, None]
    mapping = [-1] * width
    used = [False] * width

    def search(depth: int, gold_ids: list[int], pred_ids: list[int], bound: int) -> None:
        nonlocal budget
        if depth == width:
            if prep.loose:  # the bound counted chained numbers as equal; count exactly
                bound = n_gold - len(_bag_diff(prep, mapping)[0])
            if bound > best[0]:
                best[:] = [bound, tuple(mapping)]
            return
        i = order[depth]
        options = (
            range(width) if exhaustive else next(o for o in tiers[i] if any(not used[j] for j in o))
        )
        scored = []
        tried = set()
        for j in sorted(options, key=lambda j: preference(i, j)):
            if used[j] or twin_of[j] in tried:
                continue
            tried.add(twin_of[j])
            budget -= cells
            gold_next, pred_next = _refine(gold_ids, prep.gold_cols[i], pred_ids, prep.pred_cols[j])
            score = sum((Counter(gold_next) & Counter(pred_next)).values())
            scored.append((-score, preference(i, j), j))
        scored.sort()
        for rank, (negative_score, _, j) in enumerate(scored):
            if -negative_score <= best[0] or (rank and budget < 0):
                return
            budget -= cells
            gold_next, pred_next = _refine(gold_ids, prep.gold_cols[i], pred_ids, prep.pred_cols[j])
            mapping[i], used[j] = j, True
            search(depth + 1, gold_next, pred_next, -negative_score)
            used[j] = False

    search(0, [0] * n_gold, [0] * len(prep.pred_keys), 0)
    return best[1]


def _refine(
    gold_ids: list[int], gold_col: tuple[Key, ...], pred_ids: list[int], pred_col: tuple[Key, ...]
) -> tuple[list[int], list[int]]:
    """Ids of partial rows extended by one column, shared by both sides (equal rows, equal ids)."""
    table: dict[tuple[int, Key], int] = {}
    return (
        [table.setdefault(pair, len(table)) for pair in zip(gold_ids, gold_col, strict=True)],
        [table.setdefault(pair, len(table)) for pair in zip(pred_ids, pred_col, strict=True)],
    )


def _bag_diff(prep: _Prepared, mapping: Sequence[int]) -> tuple[list[int], list[int]]:
    """Indices of gold and predicted rows left unmatched by a maximum matching of equal rows."""
    # It runs once per wrong answer on every row: plain dicts and itemgetter, no per-row
    # generator, and the loose columns looked for only where some number is loose.
    groups: dict[tuple[Key, ...], tuple[list[int], list[int]]] = {}
    for r, row in enumerate(prep.gold_keys):
        group = groups.get(row)
        if group is None:
            groups[row] = group = ([], [])
        group[0].append(r)
    mapped = _row_picker(mapping)
    for r, row in enumerate(prep.pred_keys):
        key = mapped(row)
        group = groups.get(key)
        if group is None:
            groups[key] = group = ([], [])
        group[1].append(r)
    missing: list[int] = []
    unexpected: list[int] = []
    for key, (gold_rows, pred_rows) in groups.items():
        loose_cols = (
            [c for c, cell in enumerate(key) if prep.is_loose(cell)]
            if prep.loose and gold_rows and pred_rows else []
        )
        if loose_cols:
            gold_left, pred_left = _match_loose(prep, mapping, gold_rows, pred_rows, loose_cols)
        else:
            matched = min(len(gold_rows), len(pred_rows))
            gold_left, pred_left = gold_rows[matched:], pred_rows[matched:]
        missing += gold_left
        unexpected += pred_left
    return sorted(missing), sorted(unexpected)


def _row_picker(mapping: Sequence[int]) -> Callable[[tuple[Key, ...]], tuple[Key, ...]]:
    """``row -> tuple(row[j] for j in mapping)``, as one C call per row."""
    if len(mapping) == 1:
        (only,) = mapping
        return lambda row: (row[only],)
    return itemgetter(*mapping) if mapping else (lambda row: ())


def _match_loose(
    prep: _Prepared,
    mapping: Sequence[int],
    gold_rows: list[int],
    pred_rows: list[int],
    cols: list[int],
) -> tuple[list[int], list[int]]:
    """Exact maximum matching of rows whose keys agree but hold loose (chained) numbers."""

    def gold_value(r: int, c: int) -> float:
        return prep.gold_cells[r][c][1]

    def pred_value(r: int, c: int) -> float:
        return prep.pred_cells[r][mapping[c]][1]

    def spread(c: int) -> bool:
        values = [gold_value(r, c) for r in gold_rows] + [pred_value(r, c) for r in pred_rows]
        return not prep.close(min(values), max(values))

    # A column whose values in this group are all close to each other never separates a pair
    # (a chain elsewhere in the results made its cluster loose, not these values).
    cols = [c for c in cols if spread(c)]
    if not cols:
        matched = min(len(gold_rows), len(pred_rows))
        return gold_rows[matched:], pred_rows[matched:]
    if len(cols) == 1:
        (c,) = cols
        golds = sorted(gold_rows, key=lambda r: gold_value(r, c))
        preds = sorted(pred_rows, key=lambda r: pred_value(r, c))
        gold_left, pred_left = [], []
        g = p = 0
        while g < len(golds) and p < len(preds):
            x, y = gold_value(golds[g], c), pred_value(preds[p], c)
            if prep.close(x, y):
                g, p = g + 1, p + 1
            elif x < y:
                gold_left.append(golds[g])
                g += 1
            else:
                pred_left.append(preds[p])
                p += 1
        return gold_left + golds[g:], pred_left + preds[p:]
    adjacency = [
        [
            k
            for k, p in enumerate(pred_rows)
            if all(prep.close(gold_value(g, c), pred_value(p, c)) for c in cols)
        ]
        for g in gold_rows
    ]
    match = _max_matching(adjacency, len(pred_rows))
    used = set(match)
    return (
        [g for g, m in zip(gold_rows, match, strict=True) if m is None],
        [p for k, p in enumerate(pred_rows) if k not in used],
    )

"""Tests of harness.scoring.compare: the strict result-equality policy and its row diff."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.scoring.compare import (
    REPORTED_ROWS,
    IncomparableResultsError,
    ResultSet,
    compare_results,
    lenient_equal,
)

REL, ABS = 1e-6, 1e-9


def rs(columns: str, *rows: tuple) -> ResultSet:
    return ResultSet(tuple(columns.split()), tuple(rows))


def equal(gold: ResultSet, pred: ResultSet, *, ordered: bool = False) -> bool:
    return compare_results(gold, pred, ordered=ordered).equal


# ---------------------------------------------------------------- an independent reference


def ref_value_equal(a: object, b: object) -> bool:
    """The policy's value rules, written out directly."""

    def norm(v: object) -> tuple[str, object]:
        if v is None:
            return ("null", None)
        if isinstance(v, bool):
            return ("bool", v)
        if isinstance(v, int | float | Decimal):
            return ("nan", None) if math.isnan(v) else ("num", float(v))
        if isinstance(v, dt.datetime):
            return ("ts", v)
        if isinstance(v, dt.date):
            return ("ts", dt.datetime(v.year, v.month, v.day))
        return (type(v).__name__, v)

    (ka, va), (kb, vb) = norm(a), norm(b)
    if ka != kb:
        return False
    if ka == "num":
        return math.isclose(va, vb, rel_tol=REL, abs_tol=ABS)
    return va == vb


def ref_rows_equal(g: tuple, p: tuple, perm: tuple[int, ...]) -> bool:
    return all(ref_value_equal(g[i], p[j]) for i, j in enumerate(perm))


def ref_max_matched(gold: ResultSet, pred: ResultSet, perm: tuple[int, ...]) -> int:
    """Largest number of gold rows paired with equal predicted rows (equal row counts)."""
    n = len(gold.rows)
    return max(
        (
            sum(ref_rows_equal(gold.rows[i], pred.rows[q[i]], perm) for i in range(n))
            for q in itertools.permutations(range(n))
        ),
        default=0,
    )


def ref_equal(gold: ResultSet, pred: ResultSet, *, ordered: bool, lenient: bool = False) -> bool:
    k, kp = len(gold.columns), len(pred.columns)
    if (k > kp if lenient else k != kp) or len(gold.rows) != len(pred.rows):
        return False
    n = len(gold.rows)
    for perm in itertools.permutations(range(kp), k):
        if ordered:
            if all(ref_rows_equal(g, p, perm) for g, p in zip(gold.rows, pred.rows, strict=True)):
                return True
        elif ref_max_matched(gold, pred, perm) == n:
            return True
    return False


# ---------------------------------------------------------------- strategies

# Floats 4e-7 apart chain into clusters wider than the tolerance (1.0 and 1.0000012 are not
# close), the case where sorting rows and pairing them in order goes wrong.
TRICKY_VALUES = [
    None, True, False, 0, 1, 1.0, Decimal("1"), 1.0000004, 1.0000008, 1.0000012, 2,
    Decimal("2.5"), 1e-10, -0.0, math.nan, "a", "A", "a ", b"a",
    dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0, 1),
]  # fmt: skip

cell = st.sampled_from(TRICKY_VALUES)
wide_cell = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.decimals(-100, 100, places=2, allow_nan=False),
    st.text(alphabet="aAb ", max_size=2),
    st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 3)),
    st.booleans(),
    cell,
)


@st.composite
def result_sets(draw, values=cell, max_cols=3, max_rows=4, min_rows=0):
    width = draw(st.integers(1, max_cols))
    rows = draw(st.lists(st.tuples(*[values] * width), min_size=min_rows, max_size=max_rows))
    return ResultSet(tuple(f"c{i}" for i in range(width)), tuple(rows))


@st.composite
def disguised(draw, result: ResultSet, shuffle_rows: bool = True):
    """The same result with columns permuted and renamed, rows shuffled."""
    perm = draw(st.permutations(range(len(result.columns))))
    rows = [tuple(row[j] for j in perm) for row in result.rows]
    if shuffle_rows:
        rows = draw(st.permutations(rows))
    return ResultSet(tuple(f"renamed_{j}" for j in perm), tuple(rows))


def perturb(value: object, factor: float) -> object:
    if isinstance(value, float) and math.isfinite(value):
        return value * factor
    return value


# ---------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=4, max_rows=8))
def test_invariant_under_column_permutation_renaming_and_row_shuffle(data, gold):
    pred = data.draw(disguised(gold))
    result = compare_results(gold, pred, ordered=False)
    assert result.equal, result.reason
    assert sorted(result.column_mapping) == list(range(len(gold.columns)))


@settings(max_examples=200, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=4, max_rows=8))
def test_ordered_invariant_under_column_permutation(data, gold):
    pred = data.draw(disguised(gold, shuffle_rows=False))
    assert equal(gold, pred, ordered=True)


@settings(max_examples=300, deadline=None)
@given(st.data(), result_sets(max_cols=3, max_rows=6))
def test_tiny_float_perturbations_within_tolerance_still_equal(data, gold):
    pred = data.draw(disguised(gold))
    factors = st.floats(1 - 9e-7, 1 + 9e-7)
    pred = ResultSet(
        pred.columns,
        tuple(tuple(perturb(v, data.draw(factors)) for v in row) for row in pred.rows),
    )
    result = compare_results(gold, pred, ordered=False)
    assert result.equal, result.reason


@settings(max_examples=400, deadline=None)
@given(st.data(), result_sets(max_cols=3, max_rows=4))
def test_agrees_with_brute_force_reference(data, gold):
    pred = data.draw(
        st.one_of(
            result_sets(max_cols=3, max_rows=4),
            disguised(gold),
            disguised(gold).map(
                lambda r: ResultSet(r.columns, tuple(reversed(r.rows[:-1] + r.rows[:1])))
            ),
        )
    )
    ordered = data.draw(st.booleans())
    result = compare_results(gold, pred, ordered=ordered)
    assert result.equal == ref_equal(gold, pred, ordered=ordered)
    assert lenient_equal(gold, pred, ordered=ordered) == ref_equal(
        gold, pred, ordered=ordered, lenient=True
    )
    if result.column_mapping is not None and len(gold.rows) == len(pred.rows) and not ordered:
        # The row diff is a maximum matching under the mapping it reports.
        matched = ref_max_matched(gold, pred, result.column_mapping)
        assert len(result.missing_rows) == len(gold.rows) - matched
        assert len(result.unexpected_rows) == len(pred.rows) - matched


@settings(max_examples=200, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=4, max_rows=6, min_rows=1))
def test_detects_duplicated_and_dropped_row(data, gold):
    index = data.draw(st.integers(0, len(gold.rows) - 1))
    duplicated = ResultSet(gold.columns, gold.rows + (gold.rows[index],))
    dropped = ResultSet(gold.columns, gold.rows[:index] + gold.rows[index + 1 :])
    for pred in (duplicated, dropped):
        result = compare_results(gold, data.draw(disguised(pred)), ordered=False)
        assert not result.equal
        assert result.reason.startswith("row count differs")


@settings(max_examples=200, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=4, max_rows=6, min_rows=1))
def test_detects_changed_value(data, gold):
    r = data.draw(st.integers(0, len(gold.rows) - 1))
    c = data.draw(st.integers(0, len(gold.columns) - 1))
    new = data.draw(st.sampled_from(["never seen", 7.5e9, dt.date(1999, 1, 1)]))
    rows = list(gold.rows)
    rows[r] = rows[r][:c] + (new,) + rows[r][c + 1 :]
    result = compare_results(gold, data.draw(disguised(ResultSet(gold.columns, tuple(rows)))),
                             ordered=False)  # fmt: skip
    assert not result.equal
    assert result.reason == "1 gold row missing, 1 unexpected row"
    # Equal up to what the diff cannot tell apart (two all-NULL columns, 0 and 1e-250).
    assert equal(
        ResultSet(gold.columns, result.missing_rows), rs("x " * len(rows[r]), gold.rows[r])
    )
    assert equal(ResultSet(gold.columns, result.unexpected_rows), rs("x " * len(rows[r]), rows[r]))


@settings(max_examples=200, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=3, max_rows=5))
def test_detects_extra_and_missing_column(data, gold):
    extra = ResultSet(
        gold.columns + ("extra",), tuple(row + (data.draw(wide_cell),) for row in gold.rows)
    )
    assert compare_results(gold, extra, ordered=False).reason.startswith("column count differs")
    assert compare_results(extra, gold, ordered=False).reason.startswith("column count differs")
    assert lenient_equal(gold, data.draw(disguised(extra)), ordered=False)
    assert not lenient_equal(extra, gold, ordered=False)


@settings(max_examples=200, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=3, max_rows=6, min_rows=2))
def test_ordered_detects_swap_of_two_distinct_rows(data, body):
    # A text key unique per row, in the only text column, so that no column permutation can
    # undo the swap.
    values = st.one_of(st.none(), st.integers(-3, 3), st.floats(-10, 10), st.dates())
    rows = tuple(
        (f"row {i}",) + tuple(data.draw(values) for _ in body.columns)
        for i in range(len(body.rows))
    )
    gold = ResultSet(("key",) + body.columns, rows)
    i, j = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=2, unique=True))
    swapped = list(rows)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    pred = ResultSet(gold.columns, tuple(swapped))
    result = compare_results(gold, pred, ordered=True)
    assert not result.equal
    assert result.reason.startswith("row order differs (gold orders at top level)")
    assert equal(gold, pred, ordered=False)


# ---------------------------------------------------------------- value rules


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (3, 3.0, True),
        (3, Decimal("3"), True),
        (Decimal("3.000"), 3.0, True),
        (0.1 + 0.2, Decimal("0.3"), True),
        (1_000_000, 1_000_000.5, True),  # within rel 1e-6
        (1_000_000, 1_000_002, False),
        (1e-10, 0, True),  # abs tolerance near zero
        (1e-8, 0, False),
        (None, None, True),
        (None, 0, False),
        (None, "", False),
        (math.nan, math.nan, True),
        (math.nan, Decimal("NaN"), True),
        (math.nan, None, False),
        (math.inf, math.inf, True),
        (math.inf, 1e308, False),
        (True, 1, False),
        (False, 0, False),
        (True, True, True),
        ("abc", "ABC", False),
        ("abc", "abc ", False),
        ("3", 3, False),
        (b"ab", bytearray(b"ab"), True),
        (dt.date(2024, 3, 31), dt.datetime(2024, 3, 31), True),
        (dt.date(2024, 3, 31), dt.datetime(2024, 3, 31, 0, 0, 1), False),
        (dt.datetime(2024, 3, 31, 1), dt.datetime(2024, 3, 31, 1, 0, 0, 1), False),
        (dt.time(1, 2), dt.time(1, 2), True),
        (dt.timedelta(days=1), dt.timedelta(hours=24), True),
        (dt.timedelta(days=1), 1, False),
        ([1, 2], [1, 2], True),
        ([1, 2], (1, 2), False),
        (
            dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC),
            dt.datetime(2024, 1, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            True,
        ),
    ],
)
def test_value_rules(a, b, same):
    assert equal(rs("x", (a,)), rs("y", (b,))) is same
    assert equal(rs("x", (b,)), rs("y", (a,))) is same


def test_tolerance_is_a_parameter():
    gold, pred = rs("x", (100.0,)), rs("x", (100.5,))
    assert not compare_results(gold, pred, ordered=False).equal
    assert compare_results(gold, pred, ordered=False, rel_tol=1e-2).equal
    assert not compare_results(rs("x", (1e-10,)), rs("x", (0,)), ordered=False, abs_tol=0).equal
    with pytest.raises(ValueError, match="rel_tol"):
        compare_results(gold, pred, ordered=False, rel_tol=1.0)


def test_incomparable_values_raise_rather_than_guess():
    class ArrayLike:
        def __eq__(self, other):
            return [True]

        __hash__ = None

    with pytest.raises(IncomparableResultsError, match="ArrayLike"):
        compare_results(rs("x", (ArrayLike(),)), rs("x", (ArrayLike(),)), ordered=False)
    naive, aware = dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(IncomparableResultsError, match="naive"):
        compare_results(rs("x", (naive,)), rs("x", (aware,)), ordered=False)
    with pytest.raises(IncomparableResultsError, match="range of a double"):
        compare_results(rs("x", (10**400,)), rs("x", (1,)), ordered=False)
    with pytest.raises(IncomparableResultsError, match="range of a double"):
        compare_results(rs("x", (Decimal("1e400"),)), rs("x", (1,)), ordered=False)


def test_other_types_compare_by_equality_within_their_type():
    u = uuid.UUID(int=5)
    assert equal(rs("x", (u,), (u,)), rs("x", (uuid.UUID(int=5),), (u,)))
    assert not equal(rs("x", (u,)), rs("x", (str(u),)))


def test_malformed_result_set_is_refused():
    with pytest.raises(ValueError, match="predicted result row 1 has 1 values for 2 columns"):
        compare_results(rs("a b", (1, 2)), rs("a b", (1, 2), (3,)), ordered=False)


# ---------------------------------------------------------------- reasons and the row diff


def test_reason_column_count():
    result = compare_results(rs("a b", (1, 2)), rs("a b c", (1, 2, 3)), ordered=False)
    assert result == type(result)(False, "column count differs: gold 2, predicted 3", None, (), ())


def test_reason_row_count_with_diff():
    gold = rs("a", *[(i,) for i in range(10)])
    pred = rs("a", *[(i,) for i in range(12)])
    result = compare_results(gold, pred, ordered=False)
    assert result.reason == "row count differs: gold 10, predicted 12; 2 unexpected rows"
    assert result.unexpected_rows == ((10,), (11,))
    assert result.missing_rows == ()


def test_reason_missing_and_unexpected_rows_in_gold_column_order():
    gold = rs("id name", (1, "a"), (2, "b"), (3, "c"), (4, "d"))
    pred = rs("name id", ("a", 1), ("x", 2), ("y", 3), ("z", 4))
    result = compare_results(gold, pred, ordered=False)
    assert result.reason == "3 gold rows missing, 3 unexpected rows"
    assert result.column_mapping == (1, 0)
    assert result.missing_rows == ((2, "b"), (3, "c"), (4, "d"))
    assert result.unexpected_rows == ((2, "x"), (3, "y"), (4, "z"))


def test_reason_singular_forms():
    result = compare_results(rs("a", (1,), (2,)), rs("a", (1,), (3,)), ordered=False)
    assert result.reason == "1 gold row missing, 1 unexpected row"
    result = compare_results(rs("a", (1,), (2,)), rs("a", (1,)), ordered=False)
    assert result.reason == "row count differs: gold 2, predicted 1; 1 gold row missing"


def test_reason_row_order():
    gold = rs("a b", (1, "x"), (2, "y"), (3, "z"))
    pred = rs("b a", ("x", 1), ("z", 3), ("y", 2))
    result = compare_results(gold, pred, ordered=True)
    assert not result.equal
    assert result.reason == (
        "row order differs (gold orders at top level): first difference at row 2"
    )
    assert result.column_mapping == (1, 0)
    assert compare_results(gold, pred, ordered=False).reason == ""


def test_row_diff_is_capped_but_counted():
    gold = rs("a", *[(i,) for i in range(50)])
    pred = rs("a", *[(-i - 1,) for i in range(50)])
    result = compare_results(gold, pred, ordered=False)
    assert result.reason == "50 gold rows missing, 50 unexpected rows"
    assert len(result.missing_rows) == len(result.unexpected_rows) == REPORTED_ROWS


def test_closest_mapping_prefers_matching_values_then_names():
    gold = rs("amount vendor", (10, "A"), (20, "B"))
    pred = rs("vendor amount", ("A", 10), ("B", 21))
    result = compare_results(gold, pred, ordered=False)
    assert result.column_mapping == (1, 0)
    assert result.missing_rows == ((20, "B"),)
    assert result.unexpected_rows == ((21, "B"),)
    same_values = compare_results(rs("x y", (1, 1)), rs("y x", (1, 1), (1, 1)), ordered=False)
    assert same_values.column_mapping == (1, 0)


# ---------------------------------------------------------------- duplicates, NULLs, dates


def test_bird_style_set_comparison_passes_fan_out_duplicate_but_we_do_not():
    gold = rs("vendor_name", ("Acme",), ("Globex",))
    # A join on a one-to-many key repeats Acme once per invoice.
    pred = rs("vendor_name", ("Acme",), ("Acme",), ("Globex",))
    assert set(gold.rows) == set(pred.rows)  # what BIRD's execution accuracy checks
    result = compare_results(gold, pred, ordered=False)
    assert not result.equal
    assert result.unexpected_rows == (("Acme",),)


def test_duplicates_must_match_in_number():
    gold = rs("a", (1,), (1,), (2,))
    assert not equal(gold, rs("a", (1,), (2,), (2,)))
    assert equal(gold, rs("a", (2,), (1,), (1.0,)))


def test_null_equals_null_in_rows_and_columns():
    gold = rs("a b", (None, 1), (None, None))
    assert equal(gold, rs("b a", (None, None), (1, None)))
    assert not equal(gold, rs("a b", (None, 1), (None, 0)))


def test_date_equals_datetime_at_midnight():
    gold = rs("d", (dt.date(2024, 12, 31),), (dt.date(2025, 1, 1),))
    pred = rs("d", (dt.datetime(2025, 1, 1),), (dt.datetime(2024, 12, 31),))
    assert equal(gold, pred)
    assert not equal(gold, rs("d", (dt.datetime(2025, 1, 1),), (dt.datetime(2024, 12, 31, 9),)))


def test_empty_results():
    assert equal(rs("a b"), rs("x y"), ordered=True)
    assert compare_results(rs("a b"), rs("x y"), ordered=False).column_mapping == (0, 1)
    assert compare_results(rs("a"), rs("a", (1,)), ordered=False).reason == (
        "row count differs: gold 0, predicted 1; 1 unexpected row"
    )


# ---------------------------------------------------------------- near the tolerance boundary


def test_near_ties_are_matched_not_sorted():
    # Sorting rows puts (1.0, 'b') first in gold but (1.0, 'a') first in the prediction, yet
    # gold (1.0, 'b') pairs with predicted (1.0000008, 'b') and (1.0000008, 'a') with (1.0, 'a').
    gold = rs("x tag", (1.0, "b"), (1.0000008, "a"))
    pred = rs("x tag", (1.0000008, "b"), (1.0, "a"))
    assert equal(gold, pred)


def test_tolerance_is_not_transitive():
    # 1.0 and 1.0000012 are not close, yet each is close to 1.0000006.
    assert equal(rs("x", (1.0,), (1.0000012,)), rs("x", (1.0000006,), (1.0000006,)))
    assert not equal(rs("x", (1.0,), (1.0000012,)), rs("x", (1.0,), (1.0,)))
    assert not equal(rs("x", (1.0,), (1.0000012,)), rs("x", (1.0000012,), (1.0000012,)))


def test_two_loose_columns_use_exact_matching():
    # Each column alone holds the same chain of values in gold and prediction, but predicted
    # (1.0, 2.0000024) and (1.0000012, 2.0) are close to no gold row but the third.
    gold = rs("x y", (1.0, 2.0), (1.0000012, 2.0000024), (1.0000006, 2.0000012))
    pred = rs("y x", (2.0000024, 1.0), (2.0, 1.0000012), (2.0000012, 1.0000006))
    result = compare_results(gold, pred, ordered=False)
    assert result.reason == "1 gold row missing, 1 unexpected row"
    shifted = rs("y x", (2.0000006, 1.0000003), (2.0000018, 1.0000009), (2.0000012, 1.0000006))
    assert equal(gold, shifted)


def test_loose_look_alike_columns_are_not_interchangeable():
    # Both predicted columns hold one value of the same loose chain; only one order fits.
    gold = rs("a b", (1, 1.0000012))
    assert equal(gold, rs("b a", (1.0000003, 1)))
    assert equal(gold, rs("a b", (1, 1.0000009)))


# ---------------------------------------------------------------- pathological column sets


def test_thirty_identical_columns_is_fast():
    rows = tuple((i % 7,) * 30 for i in range(200))
    gold = ResultSet(tuple(f"c{i}" for i in range(30)), rows)
    start = time.perf_counter()
    assert equal(gold, ResultSet(tuple(f"d{i}" for i in range(30)), rows[::-1]))
    changed = rows[:-1] + ((0,) * 29 + (1,),)
    assert not equal(gold, ResultSet(gold.columns, changed))
    assert lenient_equal(gold, ResultSet(gold.columns + ("z",), tuple(r + (0,) for r in rows)),
                         ordered=False)  # fmt: skip
    assert time.perf_counter() - start < 2


def test_thirty_columns_with_equal_value_multisets_is_fast():
    # Every column is a different shuffle of the same 60 values: signatures cannot tell them
    # apart, only the bag of partial rows prunes the search.
    import random

    rng = random.Random(7)
    columns = [rng.sample(range(60), 60) for _ in range(30)]
    gold = ResultSet(tuple(f"c{i}" for i in range(30)), tuple(zip(*columns, strict=True)))
    perm = rng.sample(range(30), 30)
    pred = ResultSet(
        tuple(f"p{j}" for j in perm),
        tuple(rng.sample([tuple(row[j] for j in perm) for row in gold.rows], 60)),
    )
    start = time.perf_counter()
    result = compare_results(gold, pred, ordered=False)
    assert result.equal
    assert [perm[j] for j in result.column_mapping] == list(range(30))
    broken = ResultSet(pred.columns, pred.rows[:-1] + (pred.rows[-1][::-1],))
    assert not equal(gold, broken)
    assert time.perf_counter() - start < 2


# ---------------------------------------------------------------- ordered golds with ties


@st.composite
def runs_of(draw, gold: ResultSet) -> tuple[int, ...]:
    """Labels cutting the gold's rows into consecutive runs (of tied sort keys)."""
    labels, label = [], 0
    for r in range(len(gold.rows)):
        if r and draw(st.booleans()):
            label = r
        labels.append(label)
    return tuple(labels)


def shuffled_within(data, rows: tuple, labels: tuple[int, ...]) -> tuple:
    out = []
    for label in dict.fromkeys(labels):
        out += data.draw(st.permutations(
            [row for row, run in zip(rows, labels, strict=True) if run == label]))
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=4, max_rows=8))
def test_rows_of_one_tie_run_may_come_in_any_order(data, gold):
    labels = data.draw(runs_of(gold))
    pred = data.draw(disguised(ResultSet(gold.columns, shuffled_within(data, gold.rows, labels)),
                              shuffle_rows=False))
    result = compare_results(gold, pred, ordered=True, tie_groups=labels)
    assert result.equal, result.reason
    assert sorted(result.column_mapping) == list(range(len(gold.columns)))
    assert lenient_equal(gold, pred, ordered=True, tie_groups=labels)


@settings(max_examples=300, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=3, max_rows=6, min_rows=2))
def test_a_row_moved_across_distinct_sort_keys_still_fails(data, body):
    # A text key unique per row, in the only text column: no column permutation undoes a swap.
    values = st.one_of(st.none(), st.integers(-3, 3), st.floats(-10, 10), st.dates())
    rows = tuple((f"row {i}",) + tuple(data.draw(values) for _ in body.columns)
                 for i in range(len(body.rows)))
    gold = ResultSet(("key",) + body.columns, rows)
    labels = data.draw(runs_of(gold))
    if len(set(labels)) < 2:  # a row must have somewhere else to go
        labels = (0,) + (1,) * (len(rows) - 1)
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.sampled_from([r for r in range(len(rows)) if labels[r] != labels[i]]))
    swapped = list(shuffled_within(data, rows, labels))
    a, b = swapped.index(rows[i]), swapped.index(rows[j])
    swapped[a], swapped[b] = swapped[b], swapped[a]
    pred = ResultSet(gold.columns, tuple(swapped))
    result = compare_results(gold, pred, ordered=True, tie_groups=labels)
    assert not result.equal
    expected = ("row order differs across distinct sort keys" if len(set(labels)) < len(rows)
                else "row order differs (gold orders at top level)")  # no ties: strict
    assert result.reason.startswith(expected)
    assert not lenient_equal(gold, pred, ordered=True, tie_groups=labels)
    assert equal(gold, pred, ordered=False)


@settings(max_examples=200, deadline=None)
@given(st.data(), result_sets(values=wide_cell, max_cols=3, max_rows=6))
def test_all_distinct_keys_are_the_strict_order_and_one_run_is_no_order(data, gold):
    pred = data.draw(disguised(gold))
    n = len(gold.rows)
    strict = compare_results(gold, pred, ordered=True)
    assert compare_results(gold, pred, ordered=True, tie_groups=range(n)).equal == strict.equal
    assert compare_results(gold, pred, ordered=True, tie_groups=(0,) * n).equal == equal(
        gold, pred, ordered=False)


def test_ties_do_not_forgive_wrong_rows_or_apply_to_unordered_golds():
    gold = rs("name amount", ("a", 1), ("b", 1), ("c", 2))
    ties = (0, 0, 2)
    assert equal(rs("n a", ("b", 1), ("a", 1), ("c", 2)), rs("n a", ("b", 1), ("a", 1), ("c", 2)))
    assert compare_results(gold, rs("n a", ("b", 1), ("a", 1), ("c", 2)), ordered=True,
                           tie_groups=ties).equal
    wrong = compare_results(gold, rs("n a", ("b", 1), ("a", 1), ("d", 2)), ordered=True,
                            tie_groups=ties)
    assert not wrong.equal and "missing" in wrong.reason
    moved = compare_results(gold, rs("n a", ("c", 2), ("a", 1), ("b", 1)), ordered=True,
                            tie_groups=ties)
    assert moved.reason.endswith("first difference in rows 1-2")


@pytest.mark.parametrize("labels", [(0, 1), (0, 1, 0), (0, 0, 1, 1, 0)])
def test_malformed_tie_groups_are_refused(labels):
    gold = rs("a", *[(i,) for i in range(3)])
    with pytest.raises(ValueError, match="tie_groups"):
        compare_results(gold, gold, ordered=True, tie_groups=labels)


def _reported_counts(reason: str) -> tuple[int, int]:
    """(missing, unexpected) as the comparison's reason states them."""
    import re

    missing = re.search(r"(\d+) gold rows? missing", reason)
    unexpected = re.search(r"(\d+) unexpected rows?", reason)
    return (int(missing.group(1)) if missing else 0, int(unexpected.group(1)) if unexpected else 0)


_INT_ROWS = st.lists(st.tuples(st.integers(0, 3), st.sampled_from("abc")), max_size=25)


@given(_INT_ROWS, _INT_ROWS, st.booleans())
def test_row_diff_counts_are_the_bag_difference(gold_rows, pred_rows, one_column):
    # Exact values only (no two numbers close): the rows left unmatched are the multiset
    # difference both ways, whichever way the row diff is computed.
    from collections import Counter

    if one_column:
        gold_rows = [(n,) for n, _ in gold_rows]
        pred_rows = [(n,) for n, _ in pred_rows]
    columns = "n" if one_column else "n s"
    result = compare_results(rs(columns, *gold_rows), rs(columns, *pred_rows), ordered=False)
    gold_bag, pred_bag = Counter(gold_rows), Counter(pred_rows)
    if gold_bag == pred_bag:
        assert result.equal
        return
    assert not result.equal
    assert _reported_counts(result.reason) == (sum((gold_bag - pred_bag).values()),
                                               sum((pred_bag - gold_bag).values()))
    assert not Counter(result.missing_rows) - (gold_bag - pred_bag)
    assert not Counter(result.unexpected_rows) - (pred_bag - gold_bag)


@given(st.one_of(st.integers(), st.integers(-(10**400), 10**400)))
def test_integers_compare_as_their_double_or_are_refused(n):
    # The normaliser's shortcut for int cells must give the keys (and refusals) of the
    # general number path.
    from harness.scoring.compare import _Normalizer, _number

    try:
        expected = _number(n)
    except IncomparableResultsError:
        with pytest.raises(IncomparableResultsError):
            _Normalizer()(n)
        return
    assert _Normalizer()(n) == expected

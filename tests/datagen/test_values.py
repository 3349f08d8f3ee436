"""The value makers: calendar edges, code coverage, edge placement, id blocks, splits."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen import values as v
from harness.datagen.tables_gl import period_names, split


def test_calendar_edges_are_month_and_quarter_bounds():
    edges = {e.astype(object).date() for e in v.calendar_edges(
        dt.date(2023, 1, 1), dt.date(2025, 12, 31), 2024)}
    for d in ("2023-01-01", "2024-01-01", "2024-01-31", "2024-02-29", "2024-03-31",
              "2024-04-01", "2024-06-30", "2024-07-01", "2024-09-30", "2024-10-01",
              "2024-12-31", "2025-01-01", "2025-12-31"):
        assert dt.date.fromisoformat(d) in edges
    assert len(edges) == 27  # 12 months x 2 days, the next New Year, the span's two ends


@given(n=st.integers(20, 200), k=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_cover_puts_every_code_in_every_group(n, k, seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 2, n)
    codes = [f"C{i}" for i in range(k)]
    out = v.cover(rng, n, codes, groups, v.skewed(codes, 0.9))
    for g in (0, 1):
        if (groups == g).sum() >= k:
            assert set(out[groups == g]) == set(codes)


@given(seed=st.integers(0, 2**32 - 1))
def test_place_edges_keeps_edges_and_a_time_of_day(seed):
    rng = np.random.default_rng(seed)
    edges = v.calendar_edges(dt.date(2023, 1, 1), dt.date(2025, 12, 31), 2024)
    dates = v.random_days(rng, 100, dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    groups = rng.integers(0, 2, 100)
    out = v.place_edges(rng, dates, edges, groups)
    for g in (0, 1):
        mine = out[groups == g]
        assert set(np.array(edges, dtype="datetime64[us]")) <= set(mine)
        assert (mine != mine.astype("datetime64[D]")).any()


def test_ids_stay_in_their_block_and_differ_by_seed():
    a = v.ids(np.random.default_rng(1), 500, 7, 100_000, 3)
    b = v.ids(np.random.default_rng(2), 500, 7, 100_000, 3)
    assert (np.diff(a) > 0).all()
    assert a.min() >= 700_000 and a.max() < 800_000
    assert not np.array_equal(a, b)


@given(seed=st.integers(0, 2**32 - 1))
def test_split_sums_exactly(seed):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(20), rng.integers(1, 5, 20))
    totals = np.round(rng.uniform(-1000, 1000, 20), 2)
    parts = split(rng, totals[groups], groups)
    sums = np.bincount(groups, weights=parts)
    assert np.allclose(sums, totals, atol=1e-9)


def test_period_names_are_mon_yy():
    dates = np.array(["2024-01-01T10:00", "2023-12-31", "2025-06-15"], dtype="datetime64[us]")
    assert list(period_names(dates)) == ["JAN-24", "DEC-23", "JUN-25"]


def test_frame_keeps_none_for_text():
    frame = v.frame({"a": np.array(["x", None], dtype=object), "b": [1, 2]})
    assert frame["a"].tolist() == ["x", None]


def test_end_dates_fall_before_on_and_after_today_and_are_null_otherwise():
    ended = np.array([True, False, True, True, True])
    out = v.end_dates(ended, dt.date(2025, 6, 15), dt.date(2025, 12, 31))
    assert np.isnat(out[1])
    days = [d.astype("datetime64[us]").item() for d in out[ended]]
    assert days == [dt.datetime(2025, 3, 7), dt.datetime(2025, 6, 15),
                    dt.datetime(2025, 12, 31), dt.datetime(2025, 6, 16)]  # hr-021: `> today + 1`
    assert all(d.time() == dt.time() for d in days)  # midnight: `>` and `>=` today differ


@given(values=st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=0, max_size=60),
       fraction=st.floats(0, 0.5), groups=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_namesakes_repeat_a_kept_value_of_another_group(values, fraction, groups, seed):
    rng = np.random.default_rng(seed)
    before = np.array(values, dtype=object)
    apart = rng.integers(0, groups, len(values))
    after = v.namesakes(rng, before, fraction, apart)
    changed = np.flatnonzero([a != b for a, b in zip(after, before, strict=True)])
    assert len(changed) <= round(fraction * len(values))
    kept = [i for i in range(len(values)) if i not in set(changed)]
    for row in changed:
        # a copy is a non-NULL value some unchanged row of another group holds
        assert after[row] is not None
        assert any(before[i] == after[row] and apart[i] != apart[row] for i in kept)


def test_namesakes_of_distinct_values_make_duplicates():
    rng = np.random.default_rng(7)
    out = v.namesakes(rng, np.arange(100).astype(object), 0.1)
    assert len(set(out)) == 90
    assert list(v.namesakes(rng, np.arange(10).astype(object), 0.0)) == list(range(10))


@given(n=st.integers(0, 80), fraction=st.floats(0, 0.5), groups=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_a_namesake_source_lends_to_one_row_only(n, fraction, groups, seed):
    # two copies of one value could meet in one group: a unique key (supplier, number, unit)
    # would break, so distinct values repeat at most twice
    rng = np.random.default_rng(seed)
    out = v.namesakes(rng, np.arange(n).astype(object), fraction, rng.integers(0, groups, n))
    assert max(np.unique(out.astype(int), return_counts=True)[1], default=0) <= 2


@given(low=st.floats(0.01, 1e5), span=st.floats(1.0, 1e4))
def test_round_values_are_the_round_numbers_of_the_range(low, span):
    high = low * span
    rounds = v.round_values(low, high)
    assert all(low <= x <= high for x in rounds)
    for x in rounds:  # 1, 2, 2.5 or 5 times a power of ten
        mantissa = x / 10.0 ** np.floor(np.log10(x))
        assert min(abs(mantissa - m) for m in (1.0, 2.0, 2.5, 5.0)) < 1e-9
    if high >= 10 * low:  # a decade holds at least one
        assert len(rounds)


def test_round_values_of_the_invoice_range_hold_the_usual_bounds():
    assert {100.0, 500.0, 1000.0, 2500.0, 5000.0, 10_000.0, 50_000.0, 100_000.0} <= \
        set(v.round_values(50.0, 250_000.0))
    assert len(v.round_values(5.0, 0.0)) == 0


@given(seed=st.integers(0, 2**32 - 1))
def test_money_puts_some_amounts_exactly_on_round_values_and_keeps_the_range(seed):
    rng = np.random.default_rng(seed)
    values = v.money(rng, 2000, 50.0, 250_000.0)
    assert values.min() >= 50.0 and values.max() <= 250_000.0
    on_round = np.isin(values, v.round_values(50.0, 250_000.0))
    assert 0.03 < on_round.mean() < 0.10  # about ROUND_SHARE, not all and not none


@given(seed=st.integers(0, 2**32 - 1), share=st.floats(0.05, 0.5))
def test_case_variants_respell_the_same_rows_in_every_column(seed, share):
    rng = np.random.default_rng(seed)
    first = np.array(["Anna", "Bo", None, "Chen"] * 50, dtype=object)
    last = np.array(["Smith", "Ng", "Ode", "Li"] * 50, dtype=object)
    new_first, new_last = v.case_variants(rng, share, first, last)
    changed = new_last != last
    assert changed.any()
    for i in np.flatnonzero(changed):
        assert new_last[i] in (last[i].upper(), last[i].lower())
        same_way = str.upper if new_last[i] == last[i].upper() else str.lower
        assert first[i] is None or new_first[i] == same_way(first[i])
    assert (new_first[~changed] == first[~changed]).all()
    assert (first == np.array(["Anna", "Bo", None, "Chen"] * 50, dtype=object)).all()  # a copy


@given(seed=st.integers(0, 2**32 - 1), share=st.floats(0.0, 1.0))
def test_some_on_round_values_moves_only_the_share_and_leaves_the_input(seed, share):
    rng = np.random.default_rng(seed)
    values = np.linspace(1.5, 19_999.5, 500)
    out = v.some_on_round_values(rng, values, 1.0, 20_000.0, share)
    moved = out != values
    assert np.isin(out[moved], v.round_values(1.0, 20_000.0)).all()
    assert (values == np.linspace(1.5, 19_999.5, 500)).all()
    if share == 0.0:
        assert not moved.any()


@given(seed=st.integers(0, 2**32 - 1), share=st.floats(0.0, 0.5),
       names=st.lists(st.sampled_from(["Tri-State Freight", "Allied Freight Inc.", "Acme",
                                       "Vertex Works", "Apex-Global Ltd", "Horizon Supply"]),
                      min_size=1, max_size=40))
def test_wildcard_variants_respell_a_name_the_same_way_everywhere(seed, share, names):
    before = np.array(names + [None], dtype=object)
    out = v.wildcard_variants(np.random.default_rng(seed), share, before)
    assert (before == np.array(names + [None], dtype=object)).all()  # a copy
    assert out[-1] is None
    mapping = {}
    for old, new in zip(before[:-1], out[:-1], strict=True):
        assert mapping.setdefault(old, new) == new  # namesakes stay namesakes
        if new != old:  # `_` for the first blank or hyphen, or a leading percentage
            assert new == f"100% {old}" or (
                "_" in new and new.replace("_", " ", 1) in (old, old.replace("-", " ", 1)))
    assert len(set(mapping.values())) == len(mapping)  # distinct names stay distinct
    if share == 0.0:
        assert (out == before).all()


def test_every_hyphenated_word_opens_a_name_spelt_with_an_underscore():
    # few names open with 'Tri-State': the random share may leave them all hyphenated, so
    # `LIKE 'Tri_State%'` and `LIKE 'Tri-State%'` agreed on every instance (held-out probe)
    names = np.array(["Tri-State Apex Inc.", "Tri-State Apex Inc.", "Apex Tri-State Ltd",
                      "Apex Global Inc."] * 3, dtype=object)
    for seed in range(20):
        out = v.wildcard_variants(np.random.default_rng(seed), 0.01, names)
        assert any(x.startswith("Tri_State") for x in out), out
        assert len(set(out)) == len(set(names))  # namesakes stay namesakes, names distinct
    assert (v.wildcard_variants(np.random.default_rng(0), 0.0, names) == names).all()
    # a stem of several words opens a name spelt with `_` for its blank: 'Computer_Service'
    customers = np.array(["Computer Service Delta Ltd", "Delta Computer Service Inc."] * 2,
                         dtype=object)
    out = v.wildcard_variants(np.random.default_rng(3), 0.01, customers, ["Computer Service"])
    assert "Computer_Service Delta Ltd" in set(out)
    assert "Delta Computer Service Inc." in set(out)


def test_wildcard_variants_respell_about_their_share_of_names():
    names = np.array([f"Stem{i} Name{i} Inc." for i in range(2_000)], dtype=object)
    out = v.wildcard_variants(np.random.default_rng(7), 0.06, names)
    changed = out != names
    assert 0.04 < changed.mean() < 0.08
    assert any("_" in x for x in out[changed]) and any("%" in x for x in out[changed])

"""Vectorised value makers: code coverage, calendar-edge dates, money, names and codes.

Every function takes a numpy Generator so the caller decides the seed; none keeps state.
Dates are numpy `datetime64[us]` (pandas' nanoseconds cannot hold the EBS end of time,
4712-12-31); NULL is NaT, NaN or None by type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")
SECONDS_PER_DAY = 86_400


def day(value: dt.date) -> np.datetime64:
    """A calendar date as a midnight `datetime64[us]`."""
    return np.datetime64(value, "D").astype("datetime64[us]")


def calendar_edges(start: dt.date, end: dt.date, year: int,
                   extra: Sequence[dt.date] = ()) -> list[np.datetime64]:
    """The midnights rows must land on: the span's first and last day, the first and last
    day of every month (hence every quarter) of `year`, the first day of the next year, and
    the `extra` days."""
    days = {start, end, dt.date(year + 1, 1, 1), *extra}
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        days |= {first, following - dt.timedelta(days=1)}
    return [day(d) for d in sorted(days)]


def group_positions(groups: np.ndarray | None, n: int) -> list[np.ndarray]:
    """Row positions of each distinct group value (all rows when `groups` is None)."""
    if groups is None:
        return [np.arange(n)]
    keys = np.asarray(groups)
    _, inverse = np.unique(keys.astype(str), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


def cover(rng: np.random.Generator, n: int, codes: Sequence[object],
          groups: np.ndarray | None = None, weights: Sequence[float] | None = None,
          repeat: int = 1) -> np.ndarray:
    """`n` values from `codes` such that every code appears `repeat` times in every group
    (at random positions) when the group is large enough; the rest follow `weights`."""
    codes = list(codes)
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    out = np.empty(n, dtype=object)
    out[:] = rng.choice(np.array(codes, dtype=object), size=n, p=p)
    for pos in group_positions(groups, n):
        chosen = rng.permutation(pos)[: len(codes) * repeat]
        out[chosen] = np.array(codes * repeat, dtype=object)[: len(chosen)]
    return out


def random_days(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    """Midnights uniformly between `start` and `end` (inclusive)."""
    span = (end - start).days + 1
    return day(start) + rng.integers(0, span, n) * DAY


def time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Offsets of 1 second to 23:59:59 (never midnight), as microsecond timedeltas."""
    return rng.integers(1, SECONDS_PER_DAY, n).astype("timedelta64[s]").astype("timedelta64[us]")


def transaction_dates(rng: np.random.Generator, n: int, start: dt.date, end: dt.date,
                      edges: Sequence[np.datetime64], time_fraction: float,
                      groups: np.ndarray | None = None) -> np.ndarray:
    """Dates in [start, end]: in every group the calendar `edges` at exact midnight, then
    random days of which `time_fraction` (at least one per group) carry a time of day."""
    out = random_days(rng, n, start, end)
    timed = rng.random(n) < time_fraction
    out[timed] += time_of_day(rng, int(timed.sum()))
    return place_edges(rng, out, edges, groups)


def place_edges(rng: np.random.Generator, dates: np.ndarray, edges: Sequence[np.datetime64],
                groups: np.ndarray | None = None) -> np.ndarray:
    """A copy of `dates` where, in every group, random rows land exactly on the calendar
    `edges` (midnight) and at least one other row carries a time of day."""
    out = dates.astype("datetime64[us]").copy()
    edge_values = np.array(edges, dtype="datetime64[us]")
    for pos in group_positions(groups, len(out)):
        shuffled = rng.permutation(pos)
        at_edge = shuffled[: len(edge_values)]
        # a group too small for every edge gets a random subset of them, not the earliest
        chosen = edge_values if len(at_edge) == len(edge_values) else rng.permutation(
            edge_values)
        out[at_edge] = chosen[: len(at_edge)]
        rest = shuffled[len(edge_values):]
        if len(rest) and not (out[rest] != out[rest].astype("datetime64[D]")).any():
            out[rest[0]] += time_of_day(rng, 1)[0]
    return out


def ids(rng: np.random.Generator, n: int, block: int, block_size: int, max_gap: int) -> np.ndarray:
    """`n` increasing ids inside block `block`, with random gaps so instances differ."""
    start = block * block_size + int(rng.integers(1, max(2, block_size // 100)))
    values = start + np.cumsum(rng.integers(1, max_gap + 1, n)) - 1
    if n and values[-1] >= (block + 1) * block_size:
        raise ValueError(f"{n} ids do not fit a block of {block_size}; raise ids.block_size")
    return values.astype(np.int64)


# Share of drawn amounts placed exactly on a round value: people write `amount > 1000` or
# `BETWEEN 5000 AND 10000`, and `>` vs `>=` (or BETWEEN vs a strict range) only differ on a
# row that holds the bound itself, whatever constant a query brings.
ROUND_SHARE = 0.06
ROUND_MANTISSAS = (1.0, 2.0, 2.5, 5.0)


def round_values(low: float, high: float) -> np.ndarray:
    """The round numbers (1, 2, 2.5 and 5 times a power of ten) between `low` and `high`."""
    if not 0 < low <= high:
        return np.zeros(0)
    powers = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    found = sorted({m * 10.0 ** p for p in powers for m in ROUND_MANTISSAS})
    return np.array([x for x in found if low <= x <= high])


def money(rng: np.random.Generator, n: int, low: float, high: float, scale: int = 2) -> np.ndarray:
    """Amounts between `low` and `high`, log-uniform (many small, few large), rounded; a
    ROUND_SHARE of them exactly on a round value of the range (values.round_values)."""
    values = np.round(np.exp(rng.uniform(np.log(low), np.log(high), n)), scale)
    return some_on_round_values(rng, values, low, high)


def some_on_round_values(rng: np.random.Generator, values: np.ndarray, low: float,
                         high: float, share: float = ROUND_SHARE) -> np.ndarray:
    """`values` with a `share` of them moved exactly onto a round value between `low` and
    `high` (values.round_values), drawn uniformly."""
    rounds = round_values(low, high)
    on_round = rng.random(len(values)) < share
    if len(rounds) and on_round.any():
        values = values.copy()
        values[on_round] = rounds[rng.integers(0, len(rounds), int(on_round.sum()))]
    return values


def case_variants(rng: np.random.Generator, share: float,
                  *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The name `columns` (one entry per row each, e.g. first and last names) with a `share`
    of the rows respelt in capitals (two in three) or in small letters, the same way in every
    column, as hand-keyed EBS data holds them: a query comparing a name without UPPER/LOWER
    (or with the wrong case in its constant) then misses rows a case-blind one finds."""
    n = len(columns[0]) if columns else 0
    chosen = np.flatnonzero(rng.random(n) < share)
    upper = rng.random(len(chosen)) < 2 / 3
    out = tuple(c.copy() for c in columns)
    for column in out:
        for i, up in zip(chosen, upper, strict=True):
            if isinstance(column[i], str):
                column[i] = column[i].upper() if up else column[i].lower()
    return out


def wildcard_variants(rng: np.random.Generator, share: float, names: np.ndarray,
                      compounds: Sequence[str] = ()) -> np.ndarray:
    """`names` with a `share` of the distinct names respelt with a character LIKE reads as a
    wildcard, the same way wherever a name repeats (namesakes stay namesakes): the first blank
    or hyphen becomes `_` (two in three: 'Tri_State Freight', as names keyed from codes hold
    it) or the name starts with a percentage ('100% Allied Freight Inc.'). Then `LIKE
    'Tri_State%'` and `LIKE 'Tri-State%'`, or `_` and `%` searched with and without ESCAPE,
    return other rows somewhere. A respelling that would equal another name is skipped.
    Each hyphenated word of the names, and each of the `compounds` (stems of several words:
    'Computer Service'), also opens one name spelt with `_` in its first blank or hyphen."""
    out = names.copy()
    present = {x for x in names if isinstance(x, str)}
    distinct = sorted(present)
    chosen = [distinct[i] for i in np.flatnonzero(rng.random(len(distinct)) < share)]
    underscore = rng.random(len(chosen)) < 2 / 3
    for name, use_underscore in zip(chosen, underscore, strict=True):
        cut = _separator(name)
        new = (name[:cut] + "_" + name[cut + 1:] if use_underscore and cut > 0
               else f"100% {name}")
        if new in present:
            continue
        present.add(new)
        out[names == name] = new
    if share > 0:  # and every compound opens some name spelt with `_` in its place
        _underscore_each_compound(rng, out, present, compounds)
    return out


def _underscore_each_compound(rng: np.random.Generator, out: np.ndarray, present: set[str],
                              compounds: Sequence[str]) -> None:
    """For each hyphenated word of the names ('Tri-State') and each of `compounds`
    ('Computer Service'), one name it opens (drawn) is respelt with `_` for its first blank
    or hyphen where none is yet (in place): the random share leaves `LIKE 'Tri_State%'` and
    `LIKE 'Tri-State%'` alike on an instance whose few Tri-State names all kept their hyphen
    (held-out probes, issue #17's names family)."""
    current = {x for x in out if isinstance(x, str)}
    words = sorted({w for x in current for w in x.split() if "-" in w.strip("-")}
                   | {c for c in compounds if _separator(c) > 0})
    for word in words:
        cut = _separator(word)
        spelt = word[:cut] + "_" + word[cut + 1:]
        if any(x.startswith(spelt) for x in current):
            continue
        opened = sorted(x for x in current if x.startswith(word))
        if not opened:
            continue
        name = opened[rng.integers(len(opened))]
        new = spelt + name[len(word):]
        if new in present:
            continue
        present.add(new)
        current.add(new)
        out[out == name] = new


def _separator(name: str) -> int:
    """The position of the first blank or hyphen past the first character (-1: none)."""
    return min((i for i in (name.find(" "), name.find("-")) if i > 0), default=-1)


def pick(rng: np.random.Generator, pool: Sequence[object], n: int) -> np.ndarray:
    """`n` values drawn with replacement from `pool`."""
    return np.array(list(pool), dtype=object)[rng.integers(0, len(pool), n)]


def unique_names(rng: np.random.Generator, n: int, stems: Sequence[str],
                 suffixes: Sequence[str]) -> np.ndarray:
    """`n` distinct names like 'Allied Freight Inc.' (stem, stem, suffix), shuffled."""
    combos = np.array([f"{a} {b} {s}" for a in stems for b in stems if a != b
                       for s in suffixes], dtype=object)
    if n > len(combos):
        raise ValueError(f"vocabulary gives {len(combos)} distinct names, {n} requested")
    return combos[rng.choice(len(combos), size=n, replace=False)]


def namesake_rows(rng: np.random.Generator, n: int, fraction: float,
                  apart: np.ndarray | None = None, alike: np.ndarray | None = None,
                  fixed: np.ndarray | None = None) -> np.ndarray:
    """For each of `n` rows, the row whose values it takes: itself, or, for round(fraction *
    n) rows, another row that keeps its own, whose `apart` differs (a unique key's other
    columns) and whose `alike` is equal (so the copy passes the same filters). A source lends
    to one row only: two copies of one value never meet, so no unique key breaks. Rows in
    `fixed` neither copy nor lend."""
    rows = np.arange(n)
    m = min(int(round(fraction * n)), n // 2)
    if not m:
        return rows
    free = np.ones(n, bool) if fixed is None else ~np.asarray(fixed, bool)
    order = rng.permutation(np.flatnonzero(free))
    copies, sources = order[:m], order[m:]
    lent = np.zeros(n, bool)
    for row in copies:
        ok = ~lent[sources]
        if apart is not None:
            ok &= apart[sources] != apart[row]
        if alike is not None:
            ok &= alike[sources] == alike[row]
        if ok.any():
            source = rng.choice(sources[ok])
            rows[row], lent[source] = source, True
    return rows


def namesakes(rng: np.random.Generator, values: np.ndarray, fraction: float,
              apart: np.ndarray | None = None) -> np.ndarray:
    """A copy of `values` in which round(fraction * n) rows repeat the value of another row
    (`namesake_rows`); NULL is never copied."""
    out = np.array(values, dtype=object, copy=True)
    return out[namesake_rows(rng, len(out), fraction, apart,
                             fixed=np.array([x is None for x in out], bool))]


def numbered(prefix: str, values: np.ndarray, width: int = 0) -> np.ndarray:
    """Strings like 'INV-000123' from integers."""
    return np.array([f"{prefix}{int(v):0{width}d}" for v in values], dtype=object)


def distinct_numbers(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """`n` distinct integers in [low, high), in random order."""
    return low + rng.choice(high - low, size=n, replace=False)


def phrases(rng: np.random.Generator, n: int, words: Sequence[str], length: int = 3) -> np.ndarray:
    """Short capitalised phrases ('Quarterly freight adjustment') for descriptions."""
    parts = pick(rng, words, n * length).reshape(n, length)
    return np.array([" ".join(row).capitalize() for row in parts], dtype=object)


def with_nulls(rng: np.random.Generator, values: np.ndarray, fraction: float,
               protected: np.ndarray | None = None) -> np.ndarray:
    """`values` with about `fraction` of them (at least one) set to NULL, sparing the
    positions in `protected` (rows that carry a fact another column relies on)."""
    n = len(values)
    free = np.ones(n, bool)
    if protected is not None:
        free[protected] = False
    candidates = np.flatnonzero(free)
    if not len(candidates):
        return values
    mask = np.zeros(n, bool)
    mask[candidates] = rng.random(len(candidates)) < fraction
    mask[rng.choice(candidates)] = True
    return null_where(values, mask)


def end_dates(ended: np.ndarray, today: dt.date, end: dt.date) -> np.ndarray:
    """Dates a row stops being active, NULL where `ended` is False; the ended rows take, in
    turn, a day before `today`, `today` itself (midnight), the span's `end` and the day after
    `today`: filters on "still active today" (`> today`, `>= today`, `> today + 1`, no
    filter) then differ."""
    choices = np.array([day(today - dt.timedelta(days=100)), day(today), day(end),
                        day(today + dt.timedelta(days=1))], dtype="datetime64[us]")
    out = np.full(len(ended), np.datetime64("NaT"), dtype="datetime64[us]")
    out[ended] = choices[np.arange(int(ended.sum())) % len(choices)]
    return out


def null_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A copy of `values` with NULL (NaT, NaN or None by dtype) where `mask` holds."""
    kind = values.dtype.kind
    if kind == "M":
        out = values.copy()
        out[mask] = np.datetime64("NaT")
        return out
    if kind in "iuf":
        out = values.astype(float)
        out[mask] = np.nan
        return out
    out = values.astype(object)
    out[mask] = None
    return out


def null_mask(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray:
    """A mask selecting about `fraction` of `n` rows, and at least one when n > 0."""
    mask = rng.random(n) < fraction
    if n:
        mask[rng.integers(n)] = True
    return mask


def frame(columns: dict[str, np.ndarray | list]) -> pd.DataFrame:
    """A DataFrame that keeps text columns as Python objects with None for NULL (pandas
    would otherwise turn them into its string dtype, whose NULL is NaN)."""
    out = {}
    for name, data in columns.items():
        array = np.asarray(data) if not isinstance(data, np.ndarray) else data
        out[name] = pd.Series(array, dtype=object) if array.dtype.kind in "OUS" else array
    return pd.DataFrame(out)


def skewed(codes: Sequence[object], share: float, main: object | None = None) -> list[float]:
    """Weights giving `share` to `main` (default: the first code), the rest spread evenly."""
    codes = list(codes)
    if len(codes) == 1:
        return [1.0]
    top = codes.index(main) if main in codes else 0
    rest = (1 - share) / (len(codes) - 1)
    return [share if i == top else rest for i in range(len(codes))]


def codes_by_kind(codes: list[str], kind: np.ndarray, table: dict[str, list[str]],
                  default: str) -> dict[str, list[str]]:
    """For each value of `kind`, the `codes` that suit it per `table`; codes no kind claims
    go to `default`, so together they cover every code."""
    out = {k: [c for c in table.get(k, []) if c in codes] for k in np.unique(kind)}
    claimed = {c for cs in out.values() for c in cs}
    out.setdefault(default, [])
    out[default] += [c for c in codes if c not in claimed]
    for k, cs in out.items():
        if not cs:
            out[k] = list(codes)
    return out


def cover_by_kind(rng: np.random.Generator, kind: np.ndarray, groups: np.ndarray,
                  choices: dict[str, list[str]]) -> np.ndarray:
    """For each row a code allowed for its kind, every allowed code in every group."""
    out = np.empty(len(kind), dtype=object)
    for k, codes in choices.items():
        rows = np.flatnonzero(kind == k)
        if len(rows):
            out[rows] = cover(rng, len(rows), codes, groups[rows])
    return out


def first_positions(values: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """The first row of each (group, value) pair: the rows that keep every code present."""
    frame = pd.DataFrame({"g": pd.Series(groups, dtype=object) if groups is not None else 0,
                          "x": pd.Series(values, dtype=object)})
    return np.flatnonzero(~frame.duplicated(["g", "x"]).to_numpy())

"""Hand-written general-ledger tables: ledgers, calendar, accounts, journals and balances.

Facts made here: periods of every year of the span named MON-YY, in the main calendar and
in fiscal calendars that reuse its names with other years and quarters (a ledger joins its
own calendar's periods, PERIOD_SET_NAME included); in every period of the main calendar's
boundary year, posted and unposted journals of every balance type; balanced journals whose
lines carry either a debit or a credit (the other side NULL) and the header's period; an
unposted journal without lines (every posted one has lines).
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import DatagenError, GenContext
from harness.datagen.registry import generates

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
ADJUSTING = "ADJ"  # the thirteenth, adjusting period of each fiscal year (ADJ-24)
POSTED, BUDGET, ENCUMBRANCE = "P", "B", "E"
RARE_SOURCES = ("Spreadsheet",)  # journal sources used now and then
RARE_SOURCE_SHARE = 0.005  # of the journals beyond the one each source is sure to have
# unposted actual journals of the boundary year saved without lines (Posting stops such a
# journal: "Error7 - Showing invalid journal entry lines or no journal entry lines")
JOURNALS_WITHOUT_LINES = 1


def period_names(dates: np.ndarray) -> np.ndarray:
    """The monthly period (MON-YY) that contains each date."""
    months = dates.astype("datetime64[M]").astype(np.int64)
    return np.array([f"{MONTHS[m % 12]}-{(1970 + m // 12) % 100:02d}" for m in months],
                    dtype=object)


def ledger_of_operating_unit(ctx: GenContext) -> dict[int, int]:
    """Operating unit -> LEDGER_ID of the primary ledger that keeps its books."""
    ledgers = ctx.frames["GL_LEDGERS"]
    out = {ou: int(lid) for spec, lid in zip(ctx.recipe.gl.ledgers, ledgers["LEDGER_ID"],
                                             strict=True) for ou in spec.operating_units}
    missing = set(ctx.operating_units) - out.keys()
    if missing:
        raise DatagenError(f"recipe gl.ledgers: no ledger for operating units {sorted(missing)}")
    return out


def rate_to_functional(ctx: GenContext, currencies: np.ndarray) -> np.ndarray:
    """Exchange rate of each currency to the functional currency (1 for itself)."""
    cur = ctx.recipe.currencies
    rates = {cur.functional: 1.0, **cur.foreign}
    unknown = sorted(set(currencies) - rates.keys() - {None})
    if unknown:
        raise DatagenError(f"recipe currencies.foreign: no rate for {unknown}")
    return np.array([rates.get(c, np.nan) for c in currencies], dtype=float)


def split(rng: np.random.Generator, totals: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Split each group's total over its rows with random weights, rounded to cents, the
    last row taking the rounding remainder so every group sums exactly."""
    weights = rng.uniform(0.2, 1.0, len(groups))
    frame = pd.DataFrame({"g": groups, "w": weights})
    share = weights / frame.groupby("g")["w"].transform("sum").to_numpy()
    return _remainder_on_last(np.round(share * totals, 2), totals, groups)


def converted(entered: np.ndarray, rates: np.ndarray, totals: np.ndarray,
              groups: np.ndarray) -> np.ndarray:
    """Accounted amounts of journal lines: each line's entered amount at its journal's rate,
    to the cent, as GL converts line by line (a line in the ledger's currency accounts
    exactly what it enters); the last line of each group (a journal's debit or credit side)
    takes the rounding difference, so both sides still total the journal's accounted total."""
    return _remainder_on_last(np.round(entered * rates, 2), totals, groups)


def _remainder_on_last(parts: np.ndarray, totals: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """`parts` with each group's last row changed so the group sums to its total exactly."""
    last = ~pd.Series(groups).duplicated(keep="last").to_numpy()
    before = pd.Series(parts).groupby(groups).transform("sum").to_numpy() - parts
    parts[last] = np.round(totals[last] - before[last], 2)
    return parts


def ledger_calendars(ctx: GenContext) -> dict[str, int]:
    """Every calendar of the recipe (period set name -> first month of its fiscal year),
    the main calendar first."""
    gl = ctx.recipe.gl
    calendars = {gl.period_set_name: 1, **gl.fiscal_calendars}
    unknown = {s.period_set_name for s in gl.ledgers} - calendars.keys() - {None}
    if unknown:
        raise DatagenError(f"recipe gl.ledgers: period_set_name {sorted(unknown)} is neither "
                           "gl.period_set_name nor a key of gl.fiscal_calendars")
    bad = {k: m for k, m in calendars.items() if not 1 <= m <= 12}
    if bad:
        raise DatagenError(f"recipe gl.fiscal_calendars: first months {bad} not in 1..12")
    return calendars


@generates("GL_LEDGERS")
def ledgers(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """One row per ledger of the recipe; primary ledgers keep the operating units' books."""
    gl, specs = ctx.recipe.gl, ctx.recipe.gl.ledgers
    ledger_calendars(ctx)
    n = len(specs)
    created = v.random_days(ctx.rng("GL_LEDGERS"), n, ctx.recipe.dates.start,
                            ctx.recipe.dates.start)
    return {"GL_LEDGERS": v.frame({
        "LEDGER_ID": ctx.ids("GL_LEDGERS", "LEDGER_ID", n),
        "NAME": [s.name for s in specs],
        "SHORT_NAME": [s.short_name for s in specs],
        "DESCRIPTION": [f"{s.name} ({s.category.lower()} ledger, {s.currency})" for s in specs],
        "LEDGER_CATEGORY_CODE": [s.category for s in specs],
        "CHART_OF_ACCOUNTS_ID": np.full(n, gl.chart_of_accounts_id),
        "CURRENCY_CODE": [s.currency for s in specs],
        "PERIOD_SET_NAME": [s.period_set_name or gl.period_set_name for s in specs],
        "ACCOUNTED_PERIOD_TYPE": [gl.period_type] * n,
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
    })}


def _calendar_rows(first_month: int, start_year: int, end_year: int) -> list[tuple]:
    """The monthly periods of every month from January `start_year` to December `end_year`
    and the adjusting period closing each fiscal year that ends inside them. A fiscal year
    starting in `first_month` is named by the year it ends in (JUL-23 .. JUN-24 is 2024),
    so the calendars share their period names but not their years, quarters or numbers."""
    rows = []
    for year in range(start_year, end_year + 1):
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
            fiscal_year = year + (first_month > 1 and month >= first_month)
            num = (month - first_month) % 12 + 1
            year_start = dt.date(fiscal_year - (first_month > 1), first_month, 1)
            quarter = (num - 1) // 3 + 1
            quarter_start = dt.date(year_start.year + (year_start.month + 3 * (quarter - 1) > 12),
                                    (year_start.month + 3 * (quarter - 1) - 1) % 12 + 1, 1)
            rows.append((f"{MONTHS[month - 1]}-{year % 100:02d}", first, last, year_start,
                         quarter_start, fiscal_year, num, quarter, MONTHS[month - 1], "N",
                         f"{first:%B %Y}"))
            if num == 12:  # the fiscal year ends with this month: its adjusting period
                rows.append((f"{ADJUSTING}-{fiscal_year % 100:02d}", last, last, year_start,
                             quarter_start, fiscal_year, 13, 4, ADJUSTING, "Y",
                             f"Adjusting {fiscal_year}"))
    return rows


@generates("GL_PERIODS", needs=("GL_LEDGERS",))
def periods(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Twelve monthly periods for every month of the span in every calendar, and one
    adjusting period at the end of each fiscal year."""
    frames = []
    for name, first_month in ledger_calendars(ctx).items():
        rows = _calendar_rows(first_month, ctx.recipe.dates.start.year,
                              ctx.recipe.dates.end.year)
        (period, start, end, year_start, quarter_start, year, num, quarter, entered,
         adjusting, description) = map(list, zip(*rows, strict=True))
        start_days = _days(start)
        frames.append(v.frame({
            "PERIOD_SET_NAME": [name] * len(rows),
            "PERIOD_NAME": period,
            "START_DATE": start_days,
            "END_DATE": _days(end),
            "YEAR_START_DATE": _days(year_start),
            "QUARTER_START_DATE": _days(quarter_start),
            "PERIOD_TYPE": [ctx.recipe.gl.period_type] * len(rows),
            "PERIOD_YEAR": np.array(year),
            "PERIOD_NUM": np.array(num),
            "QUARTER_NUM": np.array(quarter),
            "ENTERED_PERIOD_NAME": entered,
            "ADJUSTMENT_PERIOD_FLAG": adjusting,
            "DESCRIPTION": description,
            "CREATION_DATE": np.full(len(rows), v.day(ctx.recipe.dates.start)),
            "LAST_UPDATE_DATE": start_days,
        }))
    return {"GL_PERIODS": pd.concat(frames, ignore_index=True)}


def _days(dates: list[dt.date]) -> np.ndarray:
    return np.array(dates, dtype="datetime64[D]").astype("datetime64[us]")


def calendar_of_ledgers(ctx: GenContext, ledger_ids: np.ndarray) -> np.ndarray:
    """The PERIOD_SET_NAME of each ledger id."""
    ledgers_ = ctx.frames["GL_LEDGERS"].set_index("LEDGER_ID")["PERIOD_SET_NAME"]
    return ledgers_.reindex(ledger_ids).to_numpy()


def ledger_periods(ctx: GenContext, ledger_ids: np.ndarray,
                   period_names_: np.ndarray) -> pd.DataFrame:
    """The GL_PERIODS row of each (ledger, period name): the period of that name in the
    ledger's own calendar."""
    p = ctx.frames["GL_PERIODS"].set_index(["PERIOD_SET_NAME", "PERIOD_NAME"])
    key = pd.MultiIndex.from_arrays([calendar_of_ledgers(ctx, ledger_ids), period_names_])
    return p.reindex(key).reset_index(drop=True)


@generates("GL_PERIOD_STATUSES", needs=("GL_PERIODS", "GL_LEDGERS", "FND_APPLICATION"))
def period_statuses(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Every period of every ledger's calendar for every application: permanently closed in
    the first year, then closed until an open window of one to three periods that starts
    around `open_periods_from` (shifted per ledger and application, so instances differ),
    one future period after it, the rest never opened."""
    gl, rng = ctx.recipe.gl, ctx.rng("GL_PERIOD_STATUSES")
    p = ctx.frames["GL_PERIODS"]
    apps = ctx.frames["FND_APPLICATION"]["APPLICATION_ID"].to_numpy()
    ledgers_ = ctx.frames["GL_LEDGERS"]["LEDGER_ID"].to_numpy()
    calendar = ctx.frames["GL_LEDGERS"]["PERIOD_SET_NAME"].to_numpy()
    sets = p["PERIOD_SET_NAME"].to_numpy()
    grid = [(ai, li, pi) for ai in range(len(apps)) for li in range(len(ledgers_))
            for pi in np.flatnonzero(sets == calendar[li])]
    a, led, per = (np.array(x) for x in zip(*grid, strict=True))
    pairs = len(apps) * len(ledgers_)
    shift = rng.integers(-gl.open_shift_months, gl.open_shift_months + 1, pairs)
    length = rng.integers(gl.open_months[0], gl.open_months[1] + 1, pairs)
    shift[0], length[0] = 0, gl.open_months[1]  # one pair as planned: every status occurs
    pair = a * len(ledgers_) + led
    open_from = v.day(gl.open_periods_from).astype("datetime64[M]")
    months = (p["START_DATE"].to_numpy().astype("datetime64[M]") - open_from).astype(int)
    months = months[per] - shift[pair]
    status = np.where(months < 0, "C", np.where(months < length[pair], "O", np.where(
        months == length[pair], "F", "N"))).astype(object)
    first_year = p["START_DATE"].to_numpy().astype("datetime64[Y]").astype(int) + 1970
    status[first_year[per] == ctx.recipe.dates.start.year] = "P"
    return {"GL_PERIOD_STATUSES": v.frame({
        "APPLICATION_ID": apps[a],
        "LEDGER_ID": ledgers_[led],
        "PERIOD_NAME": p["PERIOD_NAME"].to_numpy()[per],
        "CLOSING_STATUS": status,
        "START_DATE": p["START_DATE"].to_numpy()[per],
        "END_DATE": p["END_DATE"].to_numpy()[per],
        "PERIOD_TYPE": p["PERIOD_TYPE"].to_numpy()[per],
        "PERIOD_YEAR": p["PERIOD_YEAR"].to_numpy()[per],
        "PERIOD_NUM": p["PERIOD_NUM"].to_numpy()[per],
        "QUARTER_NUM": p["QUARTER_NUM"].to_numpy()[per],
        "ADJUSTMENT_PERIOD_FLAG": p["ADJUSTMENT_PERIOD_FLAG"].to_numpy()[per],
        "LAST_UPDATE_DATE": p["START_DATE"].to_numpy()[per],
    })}


@generates("GL_CODE_COMBINATIONS")
def code_combinations(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Accounting flexfield combinations company.cost-center.account.sub-account.product;
    every natural account (hence account type) at least once, some disabled or summary."""
    gl, rng = ctx.recipe.gl, ctx.rng("GL_CODE_COMBINATIONS")
    accounts = sorted(gl.accounts)
    grid = list(itertools.product(gl.companies, gl.cost_centers, accounts))
    n = min(ctx.row_count("GL_CODE_COMBINATIONS"), len(grid))
    first = [grid.index((gl.companies[0], gl.cost_centers[0], a)) for a in accounts]
    rest = rng.permutation(sorted(set(range(len(grid))) - set(first)))[: n - len(first)]
    chosen = sorted(first + list(rest), key=lambda i: grid[i])
    rows = [grid[i] for i in chosen]
    company, center, account = (np.array(x, dtype=object) for x in zip(*rows, strict=True))
    n = len(chosen)
    summary = np.zeros(n, bool)
    summary[rng.choice(n, size=max(1, int(n * gl.disabled_fraction / 2)), replace=False)] = True
    disabled = (rng.random(n) < gl.disabled_fraction) & ~summary
    disabled[rng.choice(np.flatnonzero(~summary))] = True
    start = v.random_days(rng, n, ctx.recipe.dates.start, ctx.recipe.dates.start)
    ended = v.random_days(rng, n, ctx.recipe.dates.start, ctx.recipe.dates.end)
    yes_no = np.array(["N", "Y"], dtype=object)
    return {"GL_CODE_COMBINATIONS": v.frame({
        "CODE_COMBINATION_ID": ctx.ids("GL_CODE_COMBINATIONS", "CODE_COMBINATION_ID", n),
        "CHART_OF_ACCOUNTS_ID": np.full(n, gl.chart_of_accounts_id),
        "DETAIL_POSTING_ALLOWED_FLAG": yes_no[(~summary).astype(int)],
        "DETAIL_BUDGETING_ALLOWED_FLAG": v.cover(rng, n, ["Y", "N"]),
        "ACCOUNT_TYPE": np.array([gl.accounts[a][0] for a in account], dtype=object),
        "ENABLED_FLAG": yes_no[(~disabled).astype(int)],
        "SUMMARY_FLAG": yes_no[summary.astype(int)],
        "SEGMENT1": company,
        "SEGMENT2": center,
        "SEGMENT3": account,
        "SEGMENT4": np.where(rng.random(n) < 0.8, "0000", "0100").astype(object),
        "SEGMENT5": np.where(rng.random(n) < 0.7, "000", "200").astype(object),
        "START_DATE_ACTIVE": v.null_where(start, rng.random(n) < 0.7),
        "END_DATE_ACTIVE": v.null_where(ended, ~disabled),
        "DESCRIPTION": np.array([f"{c}-{cc}-{gl.accounts[a][1]}" for c, cc, a in zip(
            company, center, account, strict=True)], dtype=object),
        "CREATION_DATE": start,
        "LAST_UPDATE_DATE": start,
        "x_postable": ~summary & ~disabled,
    })}


def _journal_keys(ctx: GenContext, rng: np.random.Generator, n: int,
                  periods_: pd.DataFrame) -> pd.DataFrame:
    """Period, status, balance type and effective date of `n` journals: first every
    (period of the boundary year, status, balance type), then transaction dates."""
    statuses = ctx.codes("GL_JE_HEADERS", "STATUS")
    types = ctx.codes("GL_JE_HEADERS", "ACTUAL_FLAG")
    main = periods_[periods_["PERIOD_SET_NAME"] == ctx.recipe.gl.period_set_name]
    year = main[main["PERIOD_YEAR"] == ctx.recipe.dates.boundary_year]
    combos = list(itertools.product(range(len(year)), statuses, types))
    if n < len(combos):
        raise DatagenError(f"rows.GL_JE_HEADERS: at least {len(combos)} journals are needed")
    which, status, kind = (np.array(x) for x in zip(*combos, strict=True))
    starts = year["START_DATE"].to_numpy()[which]
    span = (year["END_DATE"].to_numpy()[which] - starts) // v.DAY + 1
    fixed_dates = starts + (rng.random(len(combos)) * span).astype(int) * v.DAY
    timed = rng.random(len(combos)) < ctx.recipe.dates.time_of_day_fraction
    fixed_dates[timed] += v.time_of_day(rng, int(timed.sum()))
    dates = ctx.dates(rng, n - len(combos))
    rest_status = rng.choice(statuses, size=len(dates), p=_weights(statuses, POSTED, 0.75))
    rest_kind = rng.choice(types, size=len(dates), p=_weights(types, "A", 0.8))
    return pd.DataFrame({
        "PERIOD_NAME": np.concatenate([year["PERIOD_NAME"].to_numpy()[which],
                                       period_names(dates)]).astype(object),
        "STATUS": np.concatenate([status, rest_status]).astype(object),
        "ACTUAL_FLAG": np.concatenate([kind, rest_kind]).astype(object),
        "DEFAULT_EFFECTIVE_DATE": np.concatenate([fixed_dates, dates]),
    })


def _weights(codes: list[str], main: str, share: float) -> np.ndarray:
    """`share` for the `main` code (when present), the rest spread evenly."""
    if main not in codes or len(codes) == 1:
        return np.full(len(codes), 1 / len(codes))
    w = np.full(len(codes), (1 - share) / (len(codes) - 1))
    w[codes.index(main)] = share
    return w


@generates("GL_JE_BATCHES", "GL_JE_HEADERS", "GL_JE_LINES", "GL_BALANCES",
           needs=("GL_LEDGERS", "GL_PERIODS", "GL_CODE_COMBINATIONS"))
def journals(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Journal batches, headers and balanced lines, and the balances posting them made."""
    rng, gl = ctx.rng("GL_JE_HEADERS"), ctx.recipe.gl
    ledgers_ = ctx.frames["GL_LEDGERS"]
    keys = _journal_keys(ctx, rng, ctx.row_count("GL_JE_HEADERS"), ctx.frames["GL_PERIODS"])
    n = len(keys)
    posted = keys["STATUS"].to_numpy() == POSTED
    ledger_pos = rng.choice(len(ledgers_), size=n, p=_ledger_weights(ctx))
    ledger_cur = ledgers_["CURRENCY_CODE"].to_numpy()[ledger_pos]
    currency = v.cover(rng, n, ctx.codes("GL_JE_HEADERS", "CURRENCY_CODE"), keys["STATUS"])
    home = rng.random(n) >= ctx.recipe.currencies.foreign_fraction
    home[_first_of_each(currency, keys["STATUS"].to_numpy())] = False
    currency = np.where(home, ledger_cur, currency).astype(object)
    foreign = currency != ledger_cur
    rate = np.round(rate_to_functional(ctx, currency) / rate_to_functional(ctx, ledger_cur), 6)
    effective = _in_own_calendar(ctx, ledgers_["LEDGER_ID"].to_numpy()[ledger_pos],
                                 keys["PERIOD_NAME"].to_numpy(),
                                 keys["DEFAULT_EFFECTIVE_DATE"].to_numpy())
    created = ctx.clip(effective - rng.integers(0, 6, n) * v.DAY)
    header_ids = ctx.ids("GL_JE_HEADERS", "JE_HEADER_ID", n)
    batch_ids = ctx.ids("GL_JE_BATCHES", "JE_BATCH_ID", n)
    sources = _sources(ctx, rng, n)
    categories = v.cover(rng, n, ctx.codes("GL_JE_HEADERS", "JE_CATEGORY"))
    kind = keys["ACTUAL_FLAG"].to_numpy()
    budget_versions = ctx.ids("GL_JE_HEADERS", "BUDGET_VERSION_ID", 3)
    encumbrance_types = ctx.ids("GL_JE_HEADERS", "ENCUMBRANCE_TYPE_ID", 3)
    lines, totals = _lines(ctx, rng, header_ids, rate, ctx.frames["GL_CODE_COMBINATIONS"])
    names = np.array([f"{s} {c} {p} {i}"[:100] for s, c, p, i in zip(
        sources, categories, keys["PERIOD_NAME"], header_ids, strict=True)], dtype=object)
    empty = _without_lines(ctx, keys, header_ids)
    lines = lines[~lines["JE_HEADER_ID"].isin(empty)].reset_index(drop=True)
    for side in totals.values():
        side[np.isin(header_ids, empty)] = 0
    posted_date = v.null_where(ctx.clip(effective + rng.integers(0, 10, n) * v.DAY), ~posted)
    headers = v.frame({
        "JE_HEADER_ID": header_ids,
        "LEDGER_ID": ledgers_["LEDGER_ID"].to_numpy()[ledger_pos],
        "JE_CATEGORY": categories,
        "JE_SOURCE": sources,
        "PERIOD_NAME": keys["PERIOD_NAME"].to_numpy(),
        "NAME": names,
        "CURRENCY_CODE": currency,
        "STATUS": keys["STATUS"].to_numpy(),
        "DATE_CREATED": created,
        "ACCRUAL_REV_FLAG": v.cover(rng, n, ["N", "Y"], weights=[0.9, 0.1]),
        "MULTI_BAL_SEG_FLAG": v.cover(rng, n, ["N", "Y"], weights=[0.8, 0.2]),
        "ACTUAL_FLAG": kind,
        "DEFAULT_EFFECTIVE_DATE": effective,
        "CONVERSION_FLAG": v.null_where(np.where(foreign, "Y", "N").astype(object),
                                        kind != "A"),
        "JE_BATCH_ID": batch_ids,
        "POSTED_DATE": posted_date,
        "RUNNING_TOTAL_DR": totals["dr"], "RUNNING_TOTAL_CR": totals["cr"],
        "RUNNING_TOTAL_ACCOUNTED_DR": totals["adr"], "RUNNING_TOTAL_ACCOUNTED_CR": totals["acr"],
        "CURRENCY_CONVERSION_RATE": v.null_where(rate, ~foreign),
        "CURRENCY_CONVERSION_TYPE": v.null_where(np.full(n, "Corporate", dtype=object),
                                                 ~foreign),
        "CURRENCY_CONVERSION_DATE": v.null_where(effective.astype("datetime64[D]").astype(
            "datetime64[us]"), ~foreign),
        "BUDGET_VERSION_ID": v.null_where(rng.choice(budget_versions, n), kind != BUDGET),
        "ENCUMBRANCE_TYPE_ID": v.null_where(rng.choice(encumbrance_types, n),
                                            kind != ENCUMBRANCE),
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": np.where(posted, posted_date, created),
    })
    batches = headers.rename(columns={"PERIOD_NAME": "DEFAULT_PERIOD_NAME"})[[
        "JE_BATCH_ID", "NAME", "STATUS", "ACTUAL_FLAG", "DEFAULT_EFFECTIVE_DATE",
        "DEFAULT_PERIOD_NAME", "POSTED_DATE", "RUNNING_TOTAL_DR", "RUNNING_TOTAL_CR",
        "RUNNING_TOTAL_ACCOUNTED_DR", "RUNNING_TOTAL_ACCOUNTED_CR", "CREATION_DATE",
        "LAST_UPDATE_DATE"]].assign(CHART_OF_ACCOUNTS_ID=gl.chart_of_accounts_id)
    head = headers.set_index("JE_HEADER_ID")
    for col in ("LEDGER_ID", "PERIOD_NAME", "STATUS", "CREATION_DATE", "LAST_UPDATE_DATE"):
        lines[col] = head[col].reindex(lines["JE_HEADER_ID"]).to_numpy()
    lines["EFFECTIVE_DATE"] = head["DEFAULT_EFFECTIVE_DATE"].reindex(
        lines["JE_HEADER_ID"]).to_numpy()
    return {"GL_JE_BATCHES": batches, "GL_JE_HEADERS": headers, "GL_JE_LINES": lines,
            "GL_BALANCES": _balances(ctx, headers, lines)}


def _without_lines(ctx: GenContext, keys: pd.DataFrame, header_ids: np.ndarray) -> np.ndarray:
    """Ids of `JOURNALS_WITHOUT_LINES` unposted actual journals of the boundary year that keep
    no line: a journal is saved before its lines, and one whose lines were all deleted stays
    until someone deletes it; Posting refuses it (status Error7, "invalid journal entry lines
    or no journal entry lines"), so a posted journal always has lines. Drawn from a stream of
    their own: every other draw stays where it was."""
    year = f"-{ctx.recipe.dates.boundary_year % 100:02d}"
    fit = np.flatnonzero((keys["STATUS"].to_numpy() == "U")
                         & (keys["ACTUAL_FLAG"].to_numpy() == "A")
                         & keys["PERIOD_NAME"].str.endswith(year).to_numpy())
    rng = ctx.rng("GL_JE_HEADERS:without lines")
    return header_ids[rng.choice(fit, size=min(JOURNALS_WITHOUT_LINES, len(fit)),
                                 replace=False)]


def _in_own_calendar(ctx: GenContext, ledger_ids: np.ndarray, period_names_: np.ndarray,
                     effective: np.ndarray) -> np.ndarray:
    """Effective dates moved into the period of that name in each journal's ledger's
    calendar: monthly periods share their dates across calendars, adjusting periods of the
    same name do not (ADJ-24 is 31 Dec 2024 in a January calendar, 30 Jun 2024 in a July
    one), so a journal there takes its own calendar's adjusting day."""
    own = ledger_periods(ctx, ledger_ids, period_names_)
    if own["START_DATE"].isna().any():
        missing = sorted(set(period_names_[own["START_DATE"].isna().to_numpy()]))
        raise DatagenError(f"recipe gl: periods {missing} missing from a ledger's calendar")
    start = own["START_DATE"].to_numpy()
    after_end = own["END_DATE"].to_numpy() + v.DAY
    outside = (effective < start) | (effective >= after_end)
    return np.where(outside, start, effective)


def _sources(ctx: GenContext, rng: np.random.Generator, n: int) -> np.ndarray:
    """Journal sources, each at least once; the `RARE_SOURCES` (spreadsheet uploads are
    occasional) take `RARE_SOURCE_SHARE` of the rest each, so some source is missing from
    most periods and a count by source over some periods differs from the count over all."""
    codes = ctx.codes("GL_JE_HEADERS", "JE_SOURCE")
    rare = [c in RARE_SOURCES for c in codes]
    common = len(codes) - sum(rare)
    if not common or not any(rare):
        return v.cover(rng, n, codes)
    weights = [RARE_SOURCE_SHARE if r else (1 - RARE_SOURCE_SHARE * sum(rare)) / common
               for r in rare]
    return v.cover(rng, n, codes, weights=weights)


def _ledger_weights(ctx: GenContext) -> np.ndarray:
    """Primary ledgers carry most journals; secondary and reporting ledgers some."""
    w = np.array([4.0 if s.operating_units else 1.0 for s in ctx.recipe.gl.ledgers])
    return w / w.sum()


def _first_of_each(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"g": pd.Series(groups, dtype=object),
                          "x": pd.Series(values, dtype=object)})
    return np.flatnonzero(~frame.duplicated(["g", "x"]).to_numpy())


def _lines(ctx: GenContext, rng: np.random.Generator, header_ids: np.ndarray, rate: np.ndarray,
           combinations: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Balanced lines: the first half of each journal's lines debits, the rest credits."""
    low, high = ctx.recipe.gl.lines_per_journal
    counts = rng.integers(max(2, low), high + 1, len(header_ids))
    header = np.repeat(np.arange(len(header_ids)), counts)
    number = np.arange(len(header)) - np.repeat(np.cumsum(counts) - counts, counts)
    debit = number < np.repeat(np.maximum(1, counts // 2), counts)
    total = v.money(rng, len(header_ids), *ctx.recipe.gl.amount)
    accounted_total = np.round(total * rate, 2)
    side = header * 2 + debit
    entered = split(rng, total[header], side)
    # accounted amounts follow the entered ones line by line (they were once split apart
    # at random, so a USD line in a USD ledger accounted another amount than it entered);
    # the draw that split stays, so the instance's other random values stay where they were
    rng.uniform(0.2, 1.0, len(side))
    accounted = converted(entered, rate[header], accounted_total[header], side)
    postable = combinations.loc[combinations["x_postable"], "CODE_COMBINATION_ID"].to_numpy()
    lines = v.frame({
        "JE_HEADER_ID": header_ids[header],
        "JE_LINE_NUM": number + 1,
        "CODE_COMBINATION_ID": postable[rng.integers(0, len(postable), len(header))],
        "ENTERED_DR": np.where(debit, entered, np.nan),
        "ENTERED_CR": np.where(debit, np.nan, entered),
        "ACCOUNTED_DR": np.where(debit, accounted, np.nan),
        "ACCOUNTED_CR": np.where(debit, np.nan, accounted),
    })
    totals = {"dr": total, "cr": total, "adr": accounted_total, "acr": accounted_total}
    return lines, totals


def _balances(ctx: GenContext, headers: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Posted lines summed by ledger, account, currency, period and balance type, with
    quarter-, year- and project-to-date balances carried across periods."""
    head = headers.set_index("JE_HEADER_ID")
    posted = lines[lines["STATUS"] == POSTED].copy()
    for col in ("CURRENCY_CODE", "ACTUAL_FLAG", "BUDGET_VERSION_ID", "ENCUMBRANCE_TYPE_ID"):
        posted[col] = head[col].reindex(posted["JE_HEADER_ID"]).to_numpy()
    key = ["LEDGER_ID", "CODE_COMBINATION_ID", "CURRENCY_CODE", "PERIOD_NAME", "ACTUAL_FLAG"]
    out = posted.groupby(key, as_index=False).agg(
        PERIOD_NET_DR=("ENTERED_DR", "sum"), PERIOD_NET_CR=("ENTERED_CR", "sum"),
        BUDGET_VERSION_ID=("BUDGET_VERSION_ID", "first"),
        ENCUMBRANCE_TYPE_ID=("ENCUMBRANCE_TYPE_ID", "first"),
        LAST_UPDATE_DATE=("LAST_UPDATE_DATE", "max"))
    own = ledger_periods(ctx, out["LEDGER_ID"].to_numpy(), out["PERIOD_NAME"].to_numpy())
    for col in ("PERIOD_TYPE", "PERIOD_YEAR", "PERIOD_NUM", "QUARTER_NUM", "START_DATE"):
        out[col] = own[col].to_numpy()
    out = out.sort_values(key[:3] + ["ACTUAL_FLAG", "START_DATE", "PERIOD_NUM"],
                          ignore_index=True)
    account = key[:3] + ["ACTUAL_FLAG"]
    for side in ("DR", "CR"):
        net = out[f"PERIOD_NET_{side}"]
        to_date = net.groupby([out[k] for k in account]).cumsum()
        out[f"BEGIN_BALANCE_{side}"] = np.round(to_date - net, 2)
        out[f"PROJECT_TO_DATE_{side}"] = np.round(to_date, 2)
        out[f"QUARTER_TO_DATE_{side}"] = np.round(net.groupby(
            [out[k] for k in account] + [out["PERIOD_YEAR"], out["QUARTER_NUM"]]).cumsum(), 2)
        out[f"PERIOD_NET_{side}"] = np.round(net, 2)
    return out.drop(columns=["QUARTER_NUM", "START_DATE"])

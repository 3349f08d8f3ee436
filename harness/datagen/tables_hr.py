"""Hand-written people tables: date-tracked persons and assignments, jobs and users.

Date-tracked rows follow the EBS convention: a person's rows are contiguous, each ending the
day before the next starts, and the current row ends on the end of time (4712-12-31).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.probe import (
    Prober,
    block_tables,
    gold_blocks,
    key_items,
    probe_sql,
    probed_blocks,
    row_positions,
)
from harness.datagen.recipe import Twins
from harness.datagen.registry import generates
from harness.datagen.tables_gl import ledger_of_operating_unit
from harness.datagen.targeted import _constant as literal_value  # targeted rows' reader
from harness.datagen.targeted import from_recipe_golds, target_days
from harness.datagen.twins import copy_components
from harness.inputs.catalog import Catalog

PEOPLE = "PER_ALL_PEOPLE_F"
EMPLOYEE, CONTINGENT = "E", "C"  # assignment types with a worker number
JOBLESS_SHARE = 0.06  # people whose assignments name no job
FORMER_EMPLOYEE_FRACTION = 0.2  # of contingent workers, once employees
# columns whose gold dates get hires and date-tracked changes on, the day before and after
_TRACKED = ("EFFECTIVE_START_DATE", "EFFECTIVE_END_DATE")
_AS_OF = {"PER_ALL_PEOPLE_F": ("ORIGINAL_DATE_OF_HIRE", "START_DATE", *_TRACKED),
          "PER_ALL_ASSIGNMENTS_F": _TRACKED}


@generates("PER_JOBS")
def jobs(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """The recipe's jobs in the business group."""
    names = ctx.recipe.hr.jobs
    n = len(names)
    start = np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    return {"PER_JOBS": v.frame({
        "JOB_ID": ctx.ids("PER_JOBS", "JOB_ID", n),
        "BUSINESS_GROUP_ID": np.full(n, ctx.recipe.organizations.business_group_id),
        "NAME": names,
        "DATE_FROM": start,
        "DATE_TO": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), np.arange(n) < n - 1),
        "CREATION_DATE": start,
        "LAST_UPDATE_DATE": start,
    })}


@generates("PER_ALL_PEOPLE_F", "PER_ALL_ASSIGNMENTS_F",
           needs=("HZ_PARTIES", "HR_ALL_ORGANIZATION_UNITS", "PER_JOBS", "GL_LEDGERS",
                  "GL_CODE_COMBINATIONS"))
def people(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Persons, some with several effective rows (a name change, a new e-mail), and one
    assignment per person row (plus a few secondary assignments)."""
    rng, hr, dates = ctx.rng("PER_ALL_PEOPLE_F"), ctx.recipe.hr, ctx.recipe.dates
    voc = ctx.recipe.vocabulary
    n = ctx.row_count("PER_ALL_PEOPLE_F")
    person = ctx.ids("PER_ALL_PEOPLE_F", "PERSON_ID", n)
    kinds = v.cover(rng, n, ctx.codes("PER_ALL_ASSIGNMENTS_F", "ASSIGNMENT_TYPE"),
                    weights=_assignment_weights(ctx))
    first = v.pick(rng, voc.first_names, n)
    last = v.pick(rng, voc.last_names, n)
    # namesakes: a few persons take another's first and last name (FULL_NAME repeats)
    like = v.namesakes(ctx.rng("PER_ALL_PEOPLE_F:namesakes"), np.arange(n),
                       ctx.recipe.namesakes.people).astype(np.int64)
    first, last = first[like], last[like]
    first, last = v.case_variants(ctx.rng("PER_ALL_PEOPLE_F:case"),  # own stream
                                  ctx.recipe.case_variants.people, first, last)
    hired = v.random_days(rng, n, dates.start.replace(year=dates.start.year - 12), dates.end)
    hired[: max(1, n // 10)] = v.random_days(rng, max(1, n // 10), dates.start.replace(
        year=dates.start.year - 12), dates.start)  # managers were there first
    former = _former_employees(ctx, kinds)
    hired[former] = v.random_days(ctx.rng("PER_ALL_PEOPLE_F:former_hire"), len(former),
                                  dates.start.replace(year=dates.start.year - 20),
                                  dates.start.replace(year=dates.start.year - 12))
    # rows per person: 1, or 2..max for the history fraction
    history = rng.random(n) < hr.history_fraction
    history[:2] = True
    rows = np.where(history, rng.integers(2, hr.max_history_rows + 1, n), 1)
    changed = _changes_on_gold_days(ctx, rng, hired, rows, kinds)
    who = np.repeat(np.arange(n), rows)
    nth = np.arange(len(who)) - np.repeat(np.cumsum(rows) - rows, rows)
    starts = _effective_starts(rng, hired, rows, v.day(dates.end))
    first_rows = np.cumsum(rows) - rows
    for person_index, days in changed.items():  # its later rows start on the gold's days
        starts[first_rows[person_index] + 1: first_rows[person_index] + rows[person_index]] = days
    # a row that starts on a gold's day is a transfer: new department, job and supervisor
    transfer = (nth > 0) & np.isin(who, list(changed))
    ends = np.empty_like(starts)
    later = nth < rows[who] - 1
    ends[later] = starts[1:][later[:-1]] - v.DAY
    ends[~later] = ctx.open_end
    # a later row may carry a new surname (marriage) and e-mail address
    renamed = (nth > 0) & (rng.random(len(who)) < 0.5) | transfer
    last_row = last[who].copy()
    last_row[renamed] = v.pick(rng, voc.last_names, int(renamed.sum()))
    kind = kinds[who]
    number = np.array([str(10_000 + i) for i in range(n)], dtype=object)[who]
    parties = ctx.frames["HZ_PARTIES"]
    person_parties = parties.loc[parties["PARTY_TYPE"] == "PERSON", "PARTY_ID"].to_numpy()
    party = v.null_where(rng.choice(person_parties, n), rng.random(n) < 0.5)[who]
    email = np.array([f"{f}.{s}@vision.example".lower() for f, s in zip(
        first[who], last_row, strict=True)], dtype=object)
    types = ctx.codes("PER_ALL_ASSIGNMENTS_F", "ASSIGNMENT_TYPE")
    type_ids = dict(zip(types, ctx.ids("PER_ALL_PEOPLE_F", "PERSON_TYPE_ID", len(types)),
                        strict=True))
    people_ = v.frame({
        "PERSON_ID": person[who],
        "EFFECTIVE_START_DATE": starts,
        "EFFECTIVE_END_DATE": ends,
        "BUSINESS_GROUP_ID": np.full(len(who), ctx.recipe.organizations.business_group_id),
        "PERSON_TYPE_ID": np.array([type_ids[k] for k in kind]),
        "LAST_NAME": last_row,
        "START_DATE": hired[who],
        "FIRST_NAME": v.null_where(first[who], np.isin(who, rng.choice(n, 1))),
        "MIDDLE_NAMES": v.null_where(v.pick(rng, voc.first_names, len(who)),
                                     rng.random(len(who)) < 0.85),
        "FULL_NAME": np.array([f"{s}, {f}" for s, f in zip(last_row, first[who], strict=True)],
                              dtype=object),
        "EMPLOYEE_NUMBER": v.null_where(number, kind != EMPLOYEE),
        "NPW_NUMBER": v.null_where(number, kind != CONTINGENT),
        "EMAIL_ADDRESS": v.null_where(email, rng.random(len(who)) < 0.1),
        "SEX": ctx.coded(rng, n, "PER_ALL_PEOPLE_F", "SEX", nulls=0.05)[who],
        "DATE_OF_BIRTH": v.null_where(v.random_days(
            rng, n, dates.start.replace(year=1955), dates.start.replace(year=2002)),
            rng.random(n) < 0.1)[who],
        "ORIGINAL_DATE_OF_HIRE": v.null_where(
            hired, (kinds != EMPLOYEE) & ~np.isin(np.arange(n), former))[who],
        "CURRENT_EMPLOYEE_FLAG": v.null_where(np.full(len(who), "Y", dtype=object),
                                              kind != EMPLOYEE),
        "PARTY_ID": party,
        "CREATION_DATE": starts,
        "LAST_UPDATE_DATE": starts,
    })
    return {"PER_ALL_PEOPLE_F": people_,
            "PER_ALL_ASSIGNMENTS_F": _assignments(ctx, rng, people_, person, kinds,
                                                  transfer)}


def _former_employees(ctx: GenContext, kinds: np.ndarray) -> np.ndarray:
    """Contingent workers who were employees before (at least one): EBS keeps the person
    and its ORIGINAL_DATE_OF_HIRE when an ex-employee comes back as a contingent worker,
    with CURRENT_EMPLOYEE_FLAG empty. Their hire lies before anyone now employed was hired
    (12 to 20 years before the span), so `current_employee_flag = 'Y'` beside
    `original_date_of_hire IS NOT NULL` is not implied by the data, and an ordering by hire
    date shows them first. An own stream: no other value moves."""
    workers = np.flatnonzero(kinds == CONTINGENT)
    if not len(workers):
        return workers
    pick = ctx.rng("PER_ALL_PEOPLE_F:former").random(len(workers)) < FORMER_EMPLOYEE_FRACTION
    pick[0] = True
    return workers[pick]


def _changes_on_gold_days(ctx: GenContext, rng: np.random.Generator, hired: np.ndarray,
                          rows: np.ndarray, kinds: np.ndarray) -> dict[int, list[np.datetime64]]:
    """Persons hired on each date a gold asks about (as-of dates, hire-date ranges), on the
    day before and on the day after (`hired` is changed in place); and date-tracked changes
    on those days (returned: person index -> the starts of its later rows, sorted; `rows` is
    changed in place), so `c BETWEEN start AND end` differs from c ± 1. A worker changes once;
    managers (the first tenth, hired before the span) keep their hire dates and take the
    changes on c and c + 1 in turn, several each, so a supervisor's name also differs across
    the day (`sup.full_name` as of c vs c ± 1). A change on the day after the pinned SYSDATE's
    day ends a row on that day: it tells `TRUNC(SYSDATE) BETWEEN start AND end` (right: EBS
    effective dates are whole days, the end day included) from the same test with SYSDATE,
    whose time of day drops that row."""
    days = target_days(ctx, _AS_OF)
    if not days:
        return {}
    n = len(hired)
    managers = max(1, n // 10)
    free = [int(i) for i in rng.permutation(np.arange(managers, n))]
    changed: dict[int, list[np.datetime64]] = {}
    last_day = v.day(ctx.recipe.dates.end)
    turn = 0
    types = sorted(set(kinds))
    # the assignment type the changes turn through starts where the instance says, so each
    # gold day meets every type across instances (as of a day, applicants only: hr-022)
    workers = int(ctx.rng("PER_ALL_PEOPLE_F:turns").integers(len(types)))
    for day in days:
        for delta in (-1, 0, 1):
            when = v.day(day) + delta * v.DAY
            if free:
                hired[free.pop()] = when
            if when > last_day:
                continue
            fits = [i for i in free if hired[i] < when]
            fits.sort(key=lambda i: kinds[i] != types[workers % len(types)])
            if fits:
                free.remove(fits[0])
                changed[fits[0]] = [when]
                workers += 1
            if delta >= 0 and hired[turn % managers] < when:
                changed.setdefault(turn % managers, []).append(when)
                turn += 1
    for person_index, starts in changed.items():
        changed[person_index] = sorted(set(starts))
        rows[person_index] = 1 + len(changed[person_index])
    return changed


def _assignment_weights(ctx: GenContext) -> list[float]:
    codes = ctx.codes("PER_ALL_ASSIGNMENTS_F", "ASSIGNMENT_TYPE")
    return [8.0 if c == EMPLOYEE else 2.0 if c == CONTINGENT else 0.5 for c in codes]


def _effective_starts(rng: np.random.Generator, hired: np.ndarray, rows: np.ndarray,
                      last_day: np.datetime64) -> np.ndarray:
    """Start of each effective row: the hire date, then increasing change dates up to
    `last_day`, distinct within a person."""
    out = []
    for start, k in zip(hired, rows, strict=True):
        span = int((last_day - start) // v.DAY)
        if k > 1 and span >= k:
            changes = np.sort(rng.choice(np.arange(1, span + 1), size=k - 1, replace=False))
            out.extend([start, *(start + changes * v.DAY)])
        else:
            out.extend([start] + [start + (i + 1) * v.DAY for i in range(k - 1)])
    return np.array(out, dtype="datetime64[us]")


def _assignments(ctx: GenContext, rng: np.random.Generator, people_: pd.DataFrame,
                 person: np.ndarray, kinds: np.ndarray, transfer: np.ndarray) -> pd.DataFrame:
    """One primary assignment row per person row, and secondary assignments for a few. A
    primary row marked in `transfer` (by person row) moves to another department and job, and
    a worker's to another supervisor, or to none on every other transfer (EBS: an optional
    field), so as-of filters on the day of the change return other groups and names."""
    orgs = ctx.frames["HR_ALL_ORGANIZATION_UNITS"]
    departments = orgs.loc[orgs["x_kind"] == "DEPT", "ORGANIZATION_ID"].to_numpy()
    jobs_ = ctx.frames["PER_JOBS"]["JOB_ID"].to_numpy()
    n = len(person)
    managers = person[: max(1, n // 10)]
    dept = rng.choice(departments, n)
    job = rng.choice(jobs_, n)
    supervisor = v.null_where(rng.choice(managers, n), np.arange(n) < len(managers))
    index = pd.Series(np.arange(n), index=person)
    who = index.reindex(people_["PERSON_ID"]).to_numpy()
    secondary = np.flatnonzero(rng.random(n) < 0.05)
    if not len(secondary):
        secondary = np.array([n - 1])
    sec_rows = np.flatnonzero(people_["EFFECTIVE_END_DATE"].to_numpy() == ctx.open_end)
    sec_rows = sec_rows[np.isin(who[sec_rows], secondary)]
    rows = np.concatenate([np.arange(len(who)), sec_rows])
    primary = np.arange(len(rows)) < len(who)
    owner = who[rows]
    assignment = ctx.ids("PER_ALL_ASSIGNMENTS_F", "ASSIGNMENT_ID", n + len(secondary))
    second_of = n + np.minimum(np.searchsorted(secondary, owner), len(secondary) - 1)
    assignment_of = np.where(primary, assignment[owner], assignment[second_of])
    statuses = ctx.ids("PER_ALL_ASSIGNMENTS_F", "ASSIGNMENT_STATUS_TYPE_ID", 2)
    ccids = ctx.frames["GL_CODE_COMBINATIONS"]
    expense = ccids.loc[ccids["x_postable"], "CODE_COMBINATION_ID"].to_numpy()
    kind = kinds[owner]
    number = people_["EMPLOYEE_NUMBER"].to_numpy()[rows]
    dept_of, job_of, supervisor_of = dept[owner], job[owner], supervisor[owner]
    moved = np.flatnonzero(primary & transfer[rows])
    dept_of[moved] = _another(rng, departments, dept_of[moved])
    job_of[moved] = _another(rng, jobs_, job_of[moved])
    workers = moved[~pd.isna(supervisor_of[moved])]
    supervisor_of[workers] = v.null_where(_another(rng, managers, supervisor_of[workers]),
                                          np.arange(len(workers)) % 2 == 1)
    # every other secondary assignment reports to no one: `primary_flag = 'Y'` then matters
    # to "assignments without a supervisor" (hr-017)
    others = np.flatnonzero(~primary)
    supervisor_of[others[::2]] = np.nan
    # a contingent worker's assignment carries a job and a default expense account too (EBS
    # allows both), so `assignment_type = 'E'` matters where a gold joins them (hr-019/023)
    staffed = np.isin(kind, (EMPLOYEE, CONTINGENT))
    # a few people hold no job on any of their assignments (EBS: the assignment's Job is
    # optional), so an inner join to PER_JOBS and a LEFT/(+) one return other rows (x-029,
    # hr-004, hr-023); own stream: every other draw stays as it was
    jobless = ctx.rng("PER_ALL_ASSIGNMENTS_F:jobless").random(n) < JOBLESS_SHARE
    holds_job = staffed & ~jobless[owner]
    ledger = ledger_of_operating_unit(ctx)[ctx.operating_units[0]]
    m = len(rows)
    return v.frame({
        "ASSIGNMENT_ID": assignment_of,
        "EFFECTIVE_START_DATE": people_["EFFECTIVE_START_DATE"].to_numpy()[rows],
        "EFFECTIVE_END_DATE": people_["EFFECTIVE_END_DATE"].to_numpy()[rows],
        "BUSINESS_GROUP_ID": np.full(m, ctx.recipe.organizations.business_group_id),
        "PERSON_ID": person[owner],
        "ORGANIZATION_ID": np.where(primary, dept_of, rng.choice(departments, m)),
        "ASSIGNMENT_TYPE": kind,
        "PRIMARY_FLAG": np.where(primary, "Y", "N").astype(object),
        "ASSIGNMENT_STATUS_TYPE_ID": np.where(kind == EMPLOYEE, statuses[0], statuses[1]),
        "ASSIGNMENT_NUMBER": v.null_where(number.astype(object), ~primary | (kind != EMPLOYEE)),
        "JOB_ID": v.null_where(job_of, ~holds_job),
        "SUPERVISOR_ID": supervisor_of,
        "SET_OF_BOOKS_ID": v.null_where(np.full(m, ledger), kind != EMPLOYEE),
        "DEFAULT_CODE_COMB_ID": v.null_where(rng.choice(expense, m), ~staffed),
        "CREATION_DATE": people_["EFFECTIVE_START_DATE"].to_numpy()[rows],
        "LAST_UPDATE_DATE": people_["EFFECTIVE_START_DATE"].to_numpy()[rows],
    })


def _another(rng: np.random.Generator, choices: np.ndarray, current: np.ndarray) -> np.ndarray:
    """For each current value, a random other one of `choices` (itself when there is none)."""
    out = np.array(current, copy=True)
    for i, value in enumerate(current):
        others = choices[choices != value]
        if len(others):
            out[i] = rng.choice(others)
    return out


@generates("FND_USER", needs=("PER_ALL_PEOPLE_F",))
def users(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """System users without a person, then a login for a share of the persons."""
    rng, hr = ctx.rng("FND_USER"), ctx.recipe.hr
    people_ = ctx.frames["PER_ALL_PEOPLE_F"]
    current = people_[people_["EFFECTIVE_END_DATE"] == ctx.open_end]
    chosen = current[rng.random(len(current)) < hr.user_fraction]
    logins = [f"{f[0] if f else 'X'}{s}".upper().replace(" ", "")
              for f, s in zip(chosen["FIRST_NAME"], chosen["LAST_NAME"], strict=True)]
    seen: dict[str, int] = {}
    unique = []
    for name in logins:  # a second JSMITH becomes JSMITH2
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}{seen[name]}")
    names = list(hr.system_users) + unique
    n = len(names)
    system = np.arange(n) < len(hr.system_users)
    start = np.concatenate([np.full(len(hr.system_users), v.day(ctx.recipe.dates.start)
                                    - 3650 * v.DAY), chosen["START_DATE"].to_numpy()])
    ended = ~system & (rng.random(n) < 0.1)
    ended[-1] = True
    logon = v.null_where(ctx.dates(rng, n), rng.random(n) < 0.15)
    return {"FND_USER": v.frame({
        "USER_ID": ctx.ids("FND_USER", "USER_ID", n),
        "USER_NAME": names,
        "START_DATE": start,
        # a login ends with the span, or on its first day for a person hired after it
        "END_DATE": v.null_where(np.maximum(v.day(ctx.recipe.dates.end), start), ~ended),
        "DESCRIPTION": np.concatenate([np.array(hr.system_users, dtype=object),
                                       chosen["FULL_NAME"].to_numpy()]),
        "EMAIL_ADDRESS": np.concatenate([np.full(len(hr.system_users), None, dtype=object),
                                         chosen["EMAIL_ADDRESS"].to_numpy()]),
        "EMPLOYEE_ID": v.null_where(np.concatenate([np.zeros(len(hr.system_users)),
                                                    chosen["PERSON_ID"].to_numpy()]), system),
        "CUSTOMER_ID": np.full(n, np.nan),
        "SUPPLIER_ID": np.full(n, np.nan),
        "PERSON_PARTY_ID": np.concatenate([np.full(len(hr.system_users), np.nan),
                                           chosen["PARTY_ID"].to_numpy(dtype=float)]),
        "LAST_LOGON_DATE": logon,
        "CREATION_DATE": start,
        "LAST_UPDATE_DATE": start,
    })}


# ------------------------------------------- versions split on the golds' as-of days


@dataclass(frozen=True, order=True)
class AsOfTarget:
    """A gold block that joins the PER_ALL_PEOPLE_F version in effect on `day` (`day BETWEEN
    p.effective_start_date AND p.effective_end_date`) with other tables; `probe` lists the
    key (K0, K1, K2) of the versions it reads."""

    day: dt.date
    probe: str

    def key(self) -> str:
        return f"AS OF {self.day}:{self.probe}"


def as_of_targets(sql: str, catalog: Catalog) -> set[AsOfTarget]:
    """One target per as-of BETWEEN on a person alias of a gold block that reads several
    tables (a block of one table meets the changes `_changes_on_gold_days` places anyway)."""
    out: set[AsOfTarget] = set()
    key = catalog.tables[PEOPLE].primary_key
    for select in gold_blocks(sql):
        tables = block_tables(select, catalog)
        where = select.args.get("where")
        if len(tables) < 2 or where is None:
            continue
        for node in where.find_all(exp.Between):
            if node.find_ancestor(exp.Select) is not select:
                continue
            low, high = node.args.get("low"), node.args.get("high")
            if not (isinstance(low, exp.Column) and isinstance(high, exp.Column)):
                continue
            alias = low.table.upper()
            day = literal_value(node.this)
            if (tables.get(alias) != PEOPLE or high.table.upper() != alias
                    or not isinstance(day, dt.date)
                    or (low.name.upper(), high.name.upper()) != _TRACKED):
                continue
            out.add(AsOfTarget(day, probe_sql(select, key_items(alias, key), where.this)))
    return out


def recipe_as_of_targets(catalog: Catalog, golden: Sequence[Path]) -> tuple[AsOfTarget, ...]:
    """Every target of the answerable golds of the golden files, sorted; once per file
    version."""
    return from_recipe_golds(catalog, golden, as_of_targets, lambda t: t)


def split_on_as_of_days(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                        targets: Sequence[AsOfTarget]) -> int:
    """For each target whose block reads no version starting on its day (ending on it), split
    the first version it reads on the day (the day after), each later part under a new
    surname (a marriage; DateTrack's UPDATE ends the current version the day before the new
    one starts); a person who shares a name with another is never the one split. A block
    that narrows the persons through other tables (the buyers of an organization's items)
    otherwise rarely meets the changes placed on random persons, and
    the day moved by one returned the same names (inv-021). Returns the versions added."""
    people = tables[PEOPLE]
    key = ctx.catalog.tables[PEOPLE].primary_key
    rng = ctx.rng("PER_ALL_PEOPLE_F:as_of_split")
    surnames = ctx.recipe.vocabulary.last_names
    added = 0
    prober = Prober(ctx.catalog, tables)
    try:
        for target in targets:
            rows = prober.run(target.probe)
            if rows is None or rows.empty:
                continue
            found = sorted(p for p in row_positions(people, key, rows) if p is not None)
            # a namesake keeps its name: role namesakes (a pair of buyers of one FULL_NAME)
            # stay pairs
            free = [p for p in found if not _has_namesake(people, p)]
            if not free:
                continue
            day = v.day(target.day)
            starts, ends = people["EFFECTIVE_START_DATE"], people["EFFECTIVE_END_DATE"]
            # a change the block already reads on the day (or the day after) is kept
            open_days = [at for at, taken in (
                (day, any(starts[p] == day for p in found)),
                (day + v.DAY, any(ends[p] == day for p in found))) if not taken]
            for at in open_days:
                pos = _version_on(people, people["PERSON_ID"][free[0]], at)
                if pos is not None and people["EFFECTIVE_START_DATE"][pos] < at:
                    other = [n for n in surnames if n != people["LAST_NAME"][pos]]
                    people = _split(people, pos, at, str(rng.choice(other)))
                    added += 1
            tables[PEOPLE] = people
    finally:
        prober.close()
    return added


def _has_namesake(people: dict[str, np.ndarray], pos: int) -> bool:
    """Whether another person holds version `pos`'s FULL_NAME on some version."""
    name = people["FULL_NAME"][pos]
    return bool(np.any((people["FULL_NAME"] == name)
                       & (people["PERSON_ID"] != people["PERSON_ID"][pos])))


def _version_on(people: dict[str, np.ndarray], person: object, day: np.datetime64) -> int | None:
    hits = np.flatnonzero((people["PERSON_ID"] == person)
                          & (people["EFFECTIVE_START_DATE"] <= day)
                          & (people["EFFECTIVE_END_DATE"] >= day))
    return int(hits[0]) if len(hits) else None


def _split(people: dict[str, np.ndarray], pos: int, at: np.datetime64,
           surname: str) -> dict[str, np.ndarray]:
    """Version `pos` ended the day before `at`, and a copy from `at` on under `surname`."""
    new = {c: a[pos: pos + 1].copy() for c, a in people.items()}
    new["EFFECTIVE_START_DATE"][0] = at
    new["CREATION_DATE"][0] = new["LAST_UPDATE_DATE"][0] = at
    new["LAST_NAME"][0] = surname
    full = new["FULL_NAME"][0]
    if isinstance(full, str) and ", " in full:  # a NULL full name stays NULL
        new["FULL_NAME"][0] = f"{surname}, {full.split(', ', 1)[1]}"
    out = {c: np.concatenate([a, new[c]]) for c, a in people.items()}
    out["EFFECTIVE_END_DATE"] = out["EFFECTIVE_END_DATE"].copy()
    out["EFFECTIVE_END_DATE"][pos] = at - v.DAY
    return out


# ------------------------------- secondary assignments beside the golds' primary ones

ASSIGNMENTS = "PER_ALL_ASSIGNMENTS_F"


@dataclass(frozen=True, order=True)
class PrimaryTarget:
    """A gold block that reads PER_ALL_ASSIGNMENTS_F with `a.primary_flag = 'Y'` beside other
    tables; `probe` lists the key (K0, K1) of the assignment versions it reads."""

    probe: str

    def key(self) -> str:
        return f"PRIMARY:{self.probe}"


def _primary_alias(node: exp.Expression, tables: dict[str, str]) -> str | None:
    """The assignment alias of `alias.primary_flag = 'Y'` (either side), else None."""
    if not isinstance(node, exp.EQ):
        return None
    for column, literal in ((node.this, node.expression), (node.expression, node.this)):
        if (isinstance(column, exp.Column) and column.name.upper() == "PRIMARY_FLAG"
                and isinstance(literal, exp.Literal) and literal.is_string
                and literal.this == "Y" and tables.get(column.table.upper()) == ASSIGNMENTS):
            return column.table.upper()
    return None


def primary_targets(sql: str, catalog: Catalog) -> set[PrimaryTarget]:
    """One target per assignment alias filtered on `primary_flag = 'Y'` (in WHERE or a join's
    ON) in a gold block of several tables; a block of assignments alone meets the random
    secondary assignments `_assignments` draws anyway."""
    out: set[PrimaryTarget] = set()
    key = catalog.tables[ASSIGNMENTS].primary_key
    for select in gold_blocks(sql):
        tables = block_tables(select, catalog)
        if len(tables) < 2:
            continue
        where = select.args.get("where")
        places = [where, *(j.args.get("on") for j in select.args.get("joins") or [])]
        for place in (p for p in places if p is not None):
            for node in place.find_all(exp.EQ):
                alias = _primary_alias(node, tables)
                if alias is not None and node.find_ancestor(exp.Select) is select:
                    out.add(PrimaryTarget(probe_sql(select, key_items(alias, key),
                                                    where.this if where is not None else None)))
    return out


def recipe_primary_targets(catalog: Catalog,
                           golden: Sequence[Path]) -> tuple[PrimaryTarget, ...]:
    """Every target of the answerable golds of the golden files, sorted; once per file
    version."""
    return from_recipe_golds(catalog, golden, primary_targets, lambda t: t)


def add_secondary_assignments(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]],
                              targets: Sequence[PrimaryTarget]) -> int:
    """For each target whose block reads only persons without a secondary assignment on the
    versions it reads, give the first of them (a person who shares no name) one: a copy of
    the primary version the block reads, a fresh ASSIGNMENT_ID, PRIMARY_FLAG 'N' and no
    assignment number, same dates, job and department. EBS lets an employee hold several
    assignments, one of them primary (HRMS User's Guide, Using Multiple Assignments); the
    random ones (5 % of persons) rarely meet a block narrowed through other tables (the
    buyers of purchase orders, x-029), so `primary_flag = 'Y'` dropped counted nothing twice.
    Returns the assignments added."""
    people = tables[PEOPLE]
    added = 0
    for _, rows in probed_blocks(ctx.catalog, tables, targets):
        assignments = tables[ASSIGNMENTS]
        key = ctx.catalog.tables[ASSIGNMENTS].primary_key
        found = sorted(p for p in row_positions(assignments, key, rows) if p is not None)
        if any(_has_secondary(assignments, p) for p in found):
            continue
        named = [p for p in found if not _person_has_namesake(people, assignments["PERSON_ID"][p])]
        if not named:
            continue
        pos = named[0]
        start = len(assignments["ASSIGNMENT_ID"])
        copy_components(ctx, tables, Twins(), {ASSIGNMENTS: {pos}})
        out = tables[ASSIGNMENTS]
        for column, value in (("PRIMARY_FLAG", "N"), ("ASSIGNMENT_NUMBER", None)):
            out[column] = out[column].copy()
            out[column][start:] = value
        added += 1
    return added


def _has_secondary(assignments: dict[str, np.ndarray], pos: int) -> bool:
    """Whether version `pos`'s person holds a secondary assignment on a day of it."""
    return bool(np.any((assignments["PERSON_ID"] == assignments["PERSON_ID"][pos])
                       & (assignments["PRIMARY_FLAG"] == "N")
                       & (assignments["EFFECTIVE_START_DATE"]
                          <= assignments["EFFECTIVE_END_DATE"][pos])
                       & (assignments["EFFECTIVE_END_DATE"]
                          >= assignments["EFFECTIVE_START_DATE"][pos])))


def _person_has_namesake(people: dict[str, np.ndarray], person: object) -> bool:
    return any(_has_namesake(people, int(p))
               for p in np.flatnonzero(people["PERSON_ID"] == person))

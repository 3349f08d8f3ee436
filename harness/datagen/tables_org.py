"""Hand-written organization and foundation tables: HR organizations, operating units 204 and
458, inventory organizations 207 and 208, applications, currencies and lookup values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import DatagenError, GenContext
from harness.datagen.registry import generates
from harness.datagen.tables_gl import ledger_of_operating_unit
from harness.datagen.tables_tca import addresses


@generates("HR_LOCATIONS_ALL")
def locations(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Internal addresses: one per internal organization (see `organizations`), and a few
    more offices and warehouses; all but the last four are active (inactive since, in turn,
    before SYSDATE's day, on it, at the span's end and on the day after it)."""
    rng, org = ctx.rng("HR_LOCATIONS_ALL"), ctx.recipe.organizations
    sec = ctx.catalog.security
    n = (1 + len(sec.operating_units) + len(org.idle_operating_units)
         + len(sec.inventory_organizations) + len(org.departments) + len(org.external))
    country = ctx.coded(rng, n, "HR_LOCATIONS_ALL", "COUNTRY", share=0.7)
    address = addresses(ctx, rng, n, country)
    kind = v.pick(rng, ["Office", "Plant", "Warehouse", "Campus"], n)
    inactive = np.zeros(n, bool)
    inactive[-4:] = True
    created = np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    return {"HR_LOCATIONS_ALL": v.frame({
        "LOCATION_ID": ctx.ids("HR_LOCATIONS_ALL", "LOCATION_ID", n),
        "LOCATION_CODE": np.array([f"{c} {k} {i + 1}" for i, (c, k) in enumerate(zip(
            address["CITY"], kind, strict=True))], dtype=object),
        "DESCRIPTION": np.array([f"{k} in {c}" for c, k in zip(address["CITY"], kind,
                                                               strict=True)], dtype=object),
        "ADDRESS_LINE_1": address["ADDRESS1"],
        "TOWN_OR_CITY": address["CITY"],
        "REGION_2": address["STATE"],
        "POSTAL_CODE": address["POSTAL_CODE"],
        "COUNTRY": country,
        "SHIP_TO_SITE_FLAG": ctx.coded(rng, n, "HR_LOCATIONS_ALL", "SHIP_TO_SITE_FLAG",
                                       share=0.7, main="Y"),
        "BILL_TO_SITE_FLAG": ctx.coded(rng, n, "HR_LOCATIONS_ALL", "BILL_TO_SITE_FLAG",
                                       share=0.5, main="Y"),
        "RECEIVING_SITE_FLAG": ctx.coded(rng, n, "HR_LOCATIONS_ALL", "RECEIVING_SITE_FLAG",
                                         share=0.6, main="Y"),
        "INACTIVE_DATE": v.end_dates(inactive, ctx.today, ctx.recipe.dates.end),
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
    })}


@generates("HR_ALL_ORGANIZATION_UNITS", needs=("HR_LOCATIONS_ALL",))
def organizations(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """The business group, the operating units and inventory organizations of the security
    policy, internal departments (own ids) and a few external organizations."""
    org = ctx.recipe.organizations
    sec = ctx.catalog.security
    named = ([(org.business_group_id, org.business_group_name, "BG", "INT")]
             + [(ou.organization_id, ou.name, "OU", "INT") for ou in sec.operating_units]
             + [(ou.organization_id, ou.name, "OU", "INT") for ou in org.idle_operating_units]
             + [(io.organization_id, io.name, "INV", "INT") for io in sec.inventory_organizations])
    others = org.departments + org.external
    other_ids = ctx.ids("HR_ALL_ORGANIZATION_UNITS", "ORGANIZATION_ID", len(others))
    named += [(int(i), name, "DEPT", "INT") for i, name in zip(other_ids[: len(org.departments)],
                                                               org.departments, strict=True)]
    named += [(int(i), name, "EXT", "EXT") for i, name in zip(other_ids[len(org.departments):],
                                                              org.external, strict=True)]
    ids, names, kinds, flags = map(list, zip(*named, strict=True))
    n = len(ids)
    start = np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    ended = np.zeros(n, bool)
    ended[-1] = True  # one external organization no longer used
    return {"HR_ALL_ORGANIZATION_UNITS": v.frame({
        "ORGANIZATION_ID": np.array(ids),
        "BUSINESS_GROUP_ID": np.full(n, org.business_group_id),
        "NAME": names,
        "DATE_FROM": start,
        "DATE_TO": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), ~ended),
        "TYPE": v.null_where(np.array(kinds, dtype=object), np.array(kinds) == "EXT"),
        "LOCATION_ID": ctx.frames["HR_LOCATIONS_ALL"]["LOCATION_ID"].to_numpy()[:n],
        "INTERNAL_EXTERNAL_FLAG": flags,
        "CREATION_DATE": start,
        "LAST_UPDATE_DATE": start,
        "x_kind": kinds,
    })}


@generates("HR_OPERATING_UNITS", needs=("GL_LEDGERS", "HR_ALL_ORGANIZATION_UNITS"))
def operating_units(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """The security policy's operating units (204 and 458) with their primary ledger
    (SET_OF_BOOKS_ID is text), and the recipe's idle units, set up on the first unit's
    ledger, with no data."""
    sec, org = ctx.catalog.security, ctx.recipe.organizations
    ledger = ledger_of_operating_unit(ctx)
    units = [*sec.operating_units, *org.idle_operating_units]
    books = [ledger.get(ou.organization_id, ledger[sec.operating_units[0].organization_id])
             for ou in units]
    n = len(units)
    return {"HR_OPERATING_UNITS": v.frame({
        "BUSINESS_GROUP_ID": np.full(n, org.business_group_id),
        "ORGANIZATION_ID": np.array([ou.organization_id for ou in units]),
        "NAME": [ou.name for ou in units],
        "DATE_FROM": np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY),
        "DATE_TO": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), np.ones(n, bool)),
        "SHORT_CODE": ["".join(w[0] for w in ou.name.split()).upper() for ou in units],
        "SET_OF_BOOKS_ID": [str(b) for b in books],
        "DEFAULT_LEGAL_CONTEXT_ID": [str(org.legal_entity_id + i) for i in range(n)],
        "USABLE_FLAG": [None] * n,  # EBS leaves it NULL: usable
    })}


@generates("MTL_PARAMETERS", needs=("HR_ALL_ORGANIZATION_UNITS",))
def inventory_parameters(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Inventory organizations 207 and 208; the first is the item master of both."""
    orgs = ctx.catalog.security.inventory_organizations
    n = len(orgs)
    ids = np.array([io.organization_id for io in orgs])
    cost_methods = ctx.codes("MTL_PARAMETERS", "PRIMARY_COST_METHOD")
    yes_no = ["N", "Y"]
    created = np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    return {"MTL_PARAMETERS": v.frame({
        "ORGANIZATION_ID": ids,
        "ORGANIZATION_CODE": [io.code for io in orgs],
        "MASTER_ORGANIZATION_ID": np.full(n, ids[0]),
        "PRIMARY_COST_METHOD": np.array([float(cost_methods[i % len(cost_methods)])
                                         for i in range(n)]),
        "COST_ORGANIZATION_ID": ids,
        "CALENDAR_CODE": v.null_where(np.full(n, "VIS_CAL", dtype=object),
                                      np.arange(n) == n - 1),
        "WMS_ENABLED_FLAG": [yes_no[i % 2] for i in range(n)],
        "PROCESS_ENABLED_FLAG": [yes_no[i % 2] for i in range(n)],
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
        "x_operating_unit": [io.operating_unit for io in orgs],
    })}


@generates("FND_APPLICATION")
def applications(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """The EBS applications of the recipe with their well-known ids (101 GL, 200 AP, ...)."""
    apps = ctx.recipe.applications
    created = np.full(len(apps), v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    return {"FND_APPLICATION": v.frame({
        "APPLICATION_ID": np.array([a.id for a in apps]),
        "APPLICATION_SHORT_NAME": [a.short_name for a in apps],
        "BASEPATH": [f"{a.product_code.upper()}_TOP" for a in apps],
        "PRODUCT_CODE": [a.product_code for a in apps],
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
    })}


@generates("FND_CURRENCIES")
def currencies(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """One row per code of the currency lookup, with the recipe's territory and symbol."""
    codes = ctx.codes("FND_CURRENCIES", "CURRENCY_CODE")
    details = ctx.recipe.currencies.details
    missing = [c for c in codes if c not in details]
    if missing:
        raise DatagenError(f"recipe currencies.details: nothing for {missing}")
    precision = np.array([details[c].precision for c in codes])
    n = len(codes)
    created = np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    # the last code is the one disabled (every flag value must appear)
    last = np.arange(n) == n - 1
    return {"FND_CURRENCIES": v.frame({
        "CURRENCY_CODE": codes,
        "ENABLED_FLAG": np.where(last, "N", "Y").astype(object),
        "CURRENCY_FLAG": np.where(last, "N", "Y").astype(object),
        "START_DATE_ACTIVE": v.null_where(created, last),
        "END_DATE_ACTIVE": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), ~last),
        "ISSUING_TERRITORY_CODE": [details[c].territory for c in codes],
        "PRECISION": precision,
        "EXTENDED_PRECISION": precision + 3,
        "MINIMUM_ACCOUNTABLE_UNIT": np.full(n, np.nan),
        "SYMBOL": [details[c].symbol for c in codes],
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
    })}


@generates("FND_LOOKUP_VALUES", needs=("FND_APPLICATION",))
def lookup_values(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Every code of every catalog lookup in every language, owned by the application of
    the lookup's module, so coded columns can be decoded to their meaning."""
    rng = ctx.rng("FND_LOOKUP_VALUES")
    app_of = {a.module: a.id for a in ctx.recipe.applications}
    # a module no application owns (added to the catalog later) shares the foundation's
    foundation = app_of.get("FND", ctx.recipe.applications[0].id)
    languages = ctx.codes("FND_LOOKUP_VALUES", "LANGUAGE")
    base = languages[0]  # the installed base language (US)
    rows = []
    for module in ctx.catalog.modules.values():
        for lookup in module.lookups:
            for code, meaning in lookup.codes.items():
                for lang in languages:
                    rows.append((lookup.name, lang, code, meaning or code,
                                 app_of.get(module.module, foundation)))
    lookup_type, lang, code, meaning, app = map(np.array, zip(*rows, strict=True))
    n = len(rows)
    translated = (lang != base) & (rng.random(n) < 0.3)
    translated[np.flatnonzero(lang != base)[:1]] = True  # every language also a source
    start = np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    enabled = rng.random(n) >= 0.03
    enabled[rng.integers(n)] = False
    # a disabled code ended; so does one code of every lookup, still enabled (an end date
    # set ahead, as Oracle's lookup form allows): in turn 100 days before SYSDATE's day, on
    # it, at the span's end and the day after it, so `SYSDATE BETWEEN start AND end` and
    # `TRUNC(SYSDATE) BETWEEN ...` or `end > SYSDATE` differ; every language of a code alike.
    ended = ~enabled | _one_code_per_lookup(rng, lookup_type, code)
    # lookup k takes the (k + offset)-th of those days; the offset turns with the seed
    days = v.end_dates(np.ones(4, bool), ctx.today, ctx.recipe.dates.end)
    number = pd.factorize(lookup_type)[0]
    end_date = days[(number + int(rng.integers(len(days)))) % len(days)]
    return {"FND_LOOKUP_VALUES": v.frame({
        "LOOKUP_TYPE": lookup_type.astype(object),
        "LANGUAGE": lang.astype(object),
        "LOOKUP_CODE": code.astype(object),
        "MEANING": meaning.astype(object),
        "DESCRIPTION": v.null_where(meaning.astype(object), rng.random(n) < 0.5),
        "ENABLED_FLAG": np.where(enabled, "Y", "N").astype(object),
        "START_DATE_ACTIVE": v.null_where(start, rng.random(n) < 0.5),
        "END_DATE_ACTIVE": v.null_where(end_date, ~ended),
        "SOURCE_LANG": np.where(translated, lang, base).astype(object),
        "SECURITY_GROUP_ID": np.zeros(n, dtype=np.int64),
        "VIEW_APPLICATION_ID": app.astype(np.int64),
        "CREATION_DATE": start,
        "LAST_UPDATE_DATE": start,
    })}


def _one_code_per_lookup(rng: np.random.Generator, lookup_type: np.ndarray,
                         code: np.ndarray) -> np.ndarray:
    """Rows of one code, drawn at random, of every lookup type (all its languages)."""
    keys = pd.DataFrame({"t": lookup_type, "c": code})
    chosen = keys.drop_duplicates().groupby("t")["c"].agg(
        lambda c: c.iloc[int(rng.integers(len(c)))])
    return (keys["c"] == keys["t"].map(chosen)).to_numpy()


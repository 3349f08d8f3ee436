"""Hand-written payables suppliers: suppliers (with their roles) and supplier sites.

Every supplier gets a role: invoiced and ordered from, only invoiced, only ordered from, or
neither, so there are suppliers with no invoices and suppliers with no purchase orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.registry import generates
from harness.datagen.tables_tca import SUPPLIER, addresses

BOTH, INVOICES_ONLY, POS_ONLY, NEITHER = "both", "invoices", "pos", "neither"
INVOICE_ROLES = (BOTH, INVOICES_ONLY)
PO_ROLES = (BOTH, POS_ONLY)
EMPLOYEE_TYPE = "EMPLOYEE"


def supplier_sites_for(ctx: GenContext, rng: np.random.Generator, org: np.ndarray,
                       roles: tuple[str, ...]) -> pd.DataFrame:
    """For each operating unit in `org`, a random site in that unit of a supplier whose role
    is one of `roles` (sites of the supplier frame, one row per input row)."""
    sites = ctx.frames["AP_SUPPLIER_SITES_ALL"]
    eligible = sites[sites["x_role"].isin(roles)]
    pos = np.empty(len(org), dtype=np.int64)
    for ou in np.unique(org):
        mine = np.flatnonzero(eligible["ORG_ID"].to_numpy() == ou)
        rows = np.flatnonzero(org == ou)
        pos[rows] = rng.choice(mine, len(rows))
    return eligible.iloc[pos].reset_index(drop=True)


@generates("AP_SUPPLIERS", needs=("HZ_PARTIES", "PER_ALL_PEOPLE_F"))
def suppliers(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """One supplier per supplier party (same name); employee suppliers point at a person."""
    rng, ap = ctx.rng("AP_SUPPLIERS"), ctx.recipe.ap
    parties = ctx.frames["HZ_PARTIES"]
    party = parties[parties["x_role"] == SUPPLIER].reset_index(drop=True)
    n = len(party)
    shares = [ap.suppliers_with_invoices_and_pos, ap.suppliers_with_invoices_only,
              ap.suppliers_with_pos_only]
    role = v.cover(rng, n, [BOTH, INVOICES_ONLY, POS_ONLY, NEITHER],
                   weights=[*shares, max(0.0, 1 - sum(shares))])
    vendor_type = ctx.coded(rng, n, "AP_SUPPLIERS", "VENDOR_TYPE_LOOKUP_CODE", share=0.8,
                            nulls=ap.null_supplier_type_fraction)
    people = ctx.frames["PER_ALL_PEOPLE_F"]
    employees = people.loc[people["EMPLOYEE_NUMBER"].notna(), "PERSON_ID"].unique()
    is_employee = vendor_type == EMPLOYEE_TYPE
    created = v.random_days(rng, n, ctx.recipe.dates.start.replace(
        year=ctx.recipe.dates.start.year - 4), ctx.recipe.dates.end)
    inactive = rng.random(n) < 0.05
    functional = ctx.recipe.currencies.functional
    us = party["COUNTRY"].to_numpy() == "US"
    return {"AP_SUPPLIERS": v.frame({
        "VENDOR_ID": ctx.ids("AP_SUPPLIERS", "VENDOR_ID", n),
        "VENDOR_NAME": party["PARTY_NAME"].to_numpy(),
        "VENDOR_NAME_ALT": v.null_where(np.array([s.upper() for s in party["PARTY_NAME"]],
                                                 dtype=object), rng.random(n) < 0.8),
        "SEGMENT1": np.array([str(2000 + i) for i in range(n)], dtype=object),
        "SUMMARY_FLAG": ctx.coded(rng, n, "AP_SUPPLIERS", "SUMMARY_FLAG", share=0.97, main="N"),
        "ENABLED_FLAG": ctx.coded(rng, n, "AP_SUPPLIERS", "ENABLED_FLAG", share=0.95, main="Y"),
        "CREATION_DATE": created,
        "EMPLOYEE_ID": v.null_where(rng.choice(employees, n).astype(float), ~is_employee),
        "VENDOR_TYPE_LOOKUP_CODE": vendor_type,
        "PARTY_ID": party["PARTY_ID"].to_numpy(),
        "ONE_TIME_FLAG": ctx.coded(rng, n, "AP_SUPPLIERS", "ONE_TIME_FLAG", share=0.95,
                                   main="N", nulls=0.2),
        "NUM_1099": v.null_where(np.array([f"{x:09d}" for x in rng.integers(
            10**8, 10**9 - 1, n)], dtype=object), ~us),
        "TYPE_1099": v.null_where(v.pick(rng, ["MISC7", "MISC1", "NEC"], n),
                                  ~us | (rng.random(n) < 0.5)),
        "INVOICE_CURRENCY_CODE": ctx.coded(rng, n, "AP_SUPPLIERS", "INVOICE_CURRENCY_CODE",
                                           share=0.8, main=functional, nulls=0.1),
        "PAYMENT_CURRENCY_CODE": ctx.coded(rng, n, "AP_SUPPLIERS", "PAYMENT_CURRENCY_CODE",
                                           share=0.8, main=functional, nulls=0.1),
        "PAY_GROUP_LOOKUP_CODE": v.null_where(v.pick(rng, ["STANDARD", "EMPLOYEE", "WIRE"], n),
                                              rng.random(n) < 0.2),
        "HOLD_FLAG": ctx.coded(rng, n, "AP_SUPPLIERS", "HOLD_FLAG", share=0.9, main="N",
                               nulls=0.3),
        "START_DATE_ACTIVE": v.null_where(created.astype("datetime64[D]").astype(
            "datetime64[us]"), rng.random(n) < 0.2),
        "END_DATE_ACTIVE": v.end_dates(inactive, ctx.today, ctx.recipe.dates.end),
        "LAST_UPDATE_DATE": created,
        "x_role": role,
    })}


@generates("AP_SUPPLIER_SITES_ALL",
           needs=("AP_SUPPLIERS", "HZ_PARTY_SITES", "HZ_LOCATIONS"))
def supplier_sites(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Sites in a home operating unit (1-2) and, for some suppliers, one in the other unit;
    every unit has sites of every role. A site in a country where the supplier's party has
    a party site uses that address."""
    rng, ap = ctx.rng("AP_SUPPLIER_SITES_ALL"), ctx.recipe.ap
    sup = ctx.frames["AP_SUPPLIERS"]
    n_sup = len(sup)
    ous = ctx.operating_units
    role = sup["x_role"].to_numpy()
    home = v.cover(rng, n_sup, ous, role).astype(np.int64)
    low, high = ap.sites_per_supplier
    per_home = rng.integers(low, high + 1, n_sup)
    second = rng.random(n_sup) < ap.second_ou_site_fraction
    for r in np.unique(role):  # suppliers of every role in every unit
        second[np.flatnonzero(role == r)[:1]] = True
    other = {a: b for a, b in zip(ous, ous[1:] + ous[:1], strict=True)}
    owner = np.concatenate([np.repeat(np.arange(n_sup), per_home), np.flatnonzero(second)])
    org = np.concatenate([np.repeat(home, per_home),
                          [other[o] for o in home[second]]]).astype(np.int64)
    order = np.lexsort((org, owner))
    owner, org = owner[order], org[order]
    n = len(owner)
    country = ctx.coded(rng, n, "AP_SUPPLIER_SITES_ALL", "COUNTRY", org, share=0.6)
    party_sites = ctx.frames["HZ_PARTY_SITES"].merge(
        ctx.frames["HZ_LOCATIONS"], on="LOCATION_ID", suffixes=("", "_LOC"))
    by_key = party_sites.groupby(["PARTY_ID", "COUNTRY"]).head(1).set_index(
        ["PARTY_ID", "COUNTRY"])
    party = sup["PARTY_ID"].to_numpy()[owner]
    linked = by_key.reindex(pd.MultiIndex.from_arrays([party, country]))
    has = linked["PARTY_SITE_ID"].notna().to_numpy()
    fresh = addresses(ctx, rng, n, country)
    address = {k: np.where(has, linked[k].to_numpy(), fresh[k]).astype(object)
               for k in ("ADDRESS1", "CITY", "STATE", "POSTAL_CODE")}
    number = pd.Series(owner).groupby(owner).cumcount().to_numpy() + 1
    code = np.array([f"{(c or 'SITE').upper()[:12]} {k}" for c, k in zip(address["CITY"], number,
                                                              strict=True)], dtype=object)
    created = sup["CREATION_DATE"].to_numpy()[owner]
    inactive = rng.random(n) < 0.05
    functional = ctx.recipe.currencies.functional
    return {"AP_SUPPLIER_SITES_ALL": v.frame({
        "VENDOR_SITE_ID": ctx.ids("AP_SUPPLIER_SITES_ALL", "VENDOR_SITE_ID", n),
        "VENDOR_ID": sup["VENDOR_ID"].to_numpy()[owner],
        "VENDOR_SITE_CODE": code,
        "CREATION_DATE": created,
        "PURCHASING_SITE_FLAG": ctx.coded(rng, n, "AP_SUPPLIER_SITES_ALL",
                                          "PURCHASING_SITE_FLAG", org, share=0.8, main="Y"),
        "PAY_SITE_FLAG": ctx.coded(rng, n, "AP_SUPPLIER_SITES_ALL", "PAY_SITE_FLAG", org,
                                   share=0.8, main="Y"),
        "RFQ_ONLY_SITE_FLAG": ctx.coded(rng, n, "AP_SUPPLIER_SITES_ALL", "RFQ_ONLY_SITE_FLAG",
                                        org, share=0.9, main="N"),
        "ADDRESS_LINE1": address["ADDRESS1"],
        "CITY": address["CITY"],
        "STATE": address["STATE"],
        "ZIP": address["POSTAL_CODE"],
        "COUNTRY": country,
        "INACTIVE_DATE": v.end_dates(inactive, ctx.today, ctx.recipe.dates.end),
        "INVOICE_CURRENCY_CODE": ctx.coded(rng, n, "AP_SUPPLIER_SITES_ALL",
                                           "INVOICE_CURRENCY_CODE", org, share=0.8,
                                           main=functional),
        "PAYMENT_CURRENCY_CODE": ctx.coded(rng, n, "AP_SUPPLIER_SITES_ALL",
                                           "PAYMENT_CURRENCY_CODE", org, share=0.8,
                                           main=functional),
        "PARTY_SITE_ID": linked["PARTY_SITE_ID"].to_numpy(dtype=float),
        "LAST_UPDATE_DATE": created,
        "ORG_ID": org,
        "x_role": sup["x_role"].to_numpy()[owner],
        "x_party_id": party,
    })}

"""Hand-written trading-community tables: parties (customers, suppliers and employees as
parties), their locations and sites, customer accounts, account sites and site uses.

Paths agree: an account site's party site belongs to the account's party, so a customer's
address is the same whichever join reaches it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import DatagenError, GenContext
from harness.datagen.registry import generates

CUSTOMER, SUPPLIER, EMPLOYEE = "CUSTOMER", "SUPPLIER", "EMPLOYEE"
ORGANIZATION, PERSON = "ORGANIZATION", "PERSON"
BILL_TO, SHIP_TO = "BILL_TO", "SHIP_TO"
PRIMARY, YES = "P", "Y"  # site use flags: primary, or one of several
STREETS = ("Street", "Avenue", "Road", "Way", "Parkway")
SECOND_BILL_TO_FRACTION = 0.15  # of account sites on a party with another site: a second one


def addresses(ctx: GenContext, rng: np.random.Generator, n: int,
              countries: np.ndarray) -> dict[str, np.ndarray]:
    """Street, city, state and postal code of `n` addresses in the given countries."""
    cities = ctx.recipe.vocabulary.cities
    by_country: dict[str, list[str]] = {}
    for city, country in cities:
        by_country.setdefault(country, []).append(city)
    missing = sorted(set(countries) - by_country.keys())
    if missing:
        raise DatagenError(f"recipe vocabulary.cities: no city in {missing}")
    city = np.array([by_country[c][rng.integers(len(by_country[c]))] for c in countries],
                    dtype=object)
    words = v.pick(rng, ctx.recipe.vocabulary.words, n)
    street = np.array([f"{rng.integers(1, 9999)} {w.title()} {STREETS[rng.integers(5)]}"
                       for w in words], dtype=object)
    has_state = np.isin(countries, ["US", "CA"])
    state = v.null_where(v.pick(rng, ["WA", "MA", "CA", "NY", "TX", "ON", "BC"], n), ~has_state)
    postal = np.array([f"{rng.integers(10000, 99999)}" for _ in range(n)], dtype=object)
    return {"ADDRESS1": street, "CITY": city, "STATE": state, "POSTAL_CODE": postal}


@generates("HZ_PARTIES", "HZ_LOCATIONS", "HZ_PARTY_SITES")
def parties(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Customer parties (organizations and persons), one organization party per supplier
    and one person party per employee; every customer and supplier party has 1-2 sites."""
    rng, voc, ar = ctx.rng("HZ_PARTIES"), ctx.recipe.vocabulary, ctx.recipe.ar
    n_cust = ctx.row_count("HZ_PARTIES")
    n_sup = ctx.row_count("AP_SUPPLIERS")
    n_emp = ctx.row_count("PER_ALL_PEOPLE_F")
    role = np.array([CUSTOMER] * n_cust + [SUPPLIER] * n_sup + [EMPLOYEE] * n_emp, dtype=object)
    n = len(role)
    person = np.zeros(n, bool)
    person[:n_cust] = rng.random(n_cust) < ar.person_party_fraction
    person[:2] = [False, True]  # both party types among customers
    person[n_cust + n_sup:] = True
    first = v.pick(rng, voc.first_names, n)
    last = v.pick(rng, voc.last_names, n)
    name = np.empty(n, dtype=object)
    name[person] = [f"{f} {s}" for f, s in zip(first[person], last[person], strict=True)]
    cust_orgs = ~person & (role == CUSTOMER)
    name[cust_orgs] = v.unique_names(rng, int(cust_orgs.sum()), voc.customer_stems,
                                     voc.supplier_suffixes)
    name[role == SUPPLIER] = v.unique_names(rng, n_sup, voc.supplier_stems,
                                            voc.supplier_suffixes)
    # a few suppliers and customer organizations share a name (own stream: others unchanged)
    same, alike = ctx.rng("HZ_PARTIES:namesakes"), ctx.recipe.namesakes
    name[cust_orgs] = v.namesakes(same, name[cust_orgs], alike.customers)
    name[role == SUPPLIER] = v.namesakes(same, name[role == SUPPLIER], alike.suppliers)
    (name,) = v.case_variants(ctx.rng("HZ_PARTIES:case"), ctx.recipe.case_variants.parties,
                              name)
    # and a few organizations spelt with `_` or `%` (own stream): LIKE wildcards in the data
    organization = ~person
    compounds = [s for s in [*voc.supplier_stems, *voc.customer_stems] if " " in s or "-" in s]
    name[organization] = v.wildcard_variants(ctx.rng("HZ_PARTIES:wildcards"),
                                             ctx.recipe.wildcard_variants.parties,
                                             name[organization], compounds)
    party_id = ctx.ids("HZ_PARTIES", "PARTY_ID", n)
    countries = v.cover(rng, n, ctx.codes("HZ_PARTIES", "COUNTRY"),
                        weights=_home_weights(ctx, "HZ_PARTIES", "COUNTRY"))
    # sites: 1-2 per customer and supplier party; the first is the party's own address
    site_count = np.where(role == EMPLOYEE, 0, rng.integers(1, 3, n))
    owner = np.repeat(np.arange(n), site_count)
    m = len(owner)
    first_site = np.r_[True, owner[1:] != owner[:-1]] if m else np.zeros(0, bool)
    site_country = np.where(first_site, countries[owner],
                            v.cover(rng, m, ctx.codes("HZ_LOCATIONS", "COUNTRY")))
    address = addresses(ctx, rng, m, site_country)
    location_id = ctx.ids("HZ_LOCATIONS", "LOCATION_ID", m)
    created = v.random_days(rng, n, ctx.recipe.dates.start.replace(
        year=ctx.recipe.dates.start.year - 5), ctx.recipe.dates.start)
    party_address = {k: np.full(n, None, dtype=object) for k in address}
    for k, values_ in address.items():
        party_address[k][owner[first_site]] = values_[first_site]
    locations = v.frame({
        "LOCATION_ID": location_id,
        "COUNTRY": site_country,
        **address,
        "ADDRESS2": v.null_where(v.pick(rng, ["Suite 100", "Floor 2", "Building B"], m),
                                 rng.random(m) < 0.8),
        "COUNTY": v.null_where(v.pick(rng, ["King", "Suffolk", "Harris"], m),
                               rng.random(m) < 0.8),
        "ORIG_SYSTEM_REFERENCE": np.array([f"LOC-{i}" for i in location_id], dtype=object),
        "CREATION_DATE": created[owner],
        "LAST_UPDATE_DATE": created[owner],
    })
    sites = v.frame({
        "PARTY_SITE_ID": ctx.ids("HZ_PARTY_SITES", "PARTY_SITE_ID", m),
        "PARTY_ID": party_id[owner],
        "LOCATION_ID": location_id,
        "PARTY_SITE_NUMBER": np.array([str(5000 + i) for i in range(m)], dtype=object),
        "PARTY_SITE_NAME": v.null_where(address["CITY"], rng.random(m) < 0.5),
        "IDENTIFYING_ADDRESS_FLAG": np.where(first_site, "Y", "N").astype(object),
        "STATUS": ctx.coded(rng, m, "HZ_PARTY_SITES", "STATUS", share=0.95),
        "ORIG_SYSTEM_REFERENCE": np.array([f"PS-{i}" for i in range(m)], dtype=object),
        "CREATION_DATE": created[owner],
        "LAST_UPDATE_DATE": created[owner],
        "x_role": role[owner],
    })
    is_org = ~person
    parties_ = v.frame({
        "PARTY_ID": party_id,
        "PARTY_NUMBER": np.array([str(1000 + i) for i in range(n)], dtype=object),
        "PARTY_NAME": name,
        "PARTY_TYPE": np.where(person, PERSON, ORGANIZATION).astype(object),
        "STATUS": ctx.coded(rng, n, "HZ_PARTIES", "STATUS", share=0.95),
        "ORIG_SYSTEM_REFERENCE": np.array([f"{r[:4]}-{i}" for r, i in zip(role, party_id,
                                                                         strict=True)],
                                          dtype=object),
        "PERSON_FIRST_NAME": v.null_where(first, is_org),
        "PERSON_LAST_NAME": v.null_where(last, is_org),
        "ADDRESS1": party_address["ADDRESS1"],
        "CITY": party_address["CITY"],
        "STATE": party_address["STATE"],
        "POSTAL_CODE": party_address["POSTAL_CODE"],
        "COUNTRY": v.null_where(countries, role == EMPLOYEE),
        # EBS denormalises the primary e-mail onto any party: every other organization has
        # one too (billing@…), so `party_type = 'PERSON'` matters beside `email IS NOT NULL`
        "EMAIL_ADDRESS": v.null_where(np.array([
            f"{f}.{s}@mail.example".lower() if p else f"billing.{i}@mail.example"
            for f, s, p, i in zip(first, last, person, party_id, strict=True)], dtype=object),
            (is_org & (party_id % 2 == 0)) | (rng.random(n) < 0.3)),
        "DUNS_NUMBER_C": v.null_where(np.array([f"{x:09d}" for x in v.distinct_numbers(
            rng, n, 10**8, 10**9 - 1)], dtype=object), person),
        "JGZZ_FISCAL_CODE": v.null_where(np.array([f"{x:09d}" for x in rng.integers(
            10**8, 10**9 - 1, n)], dtype=object), person | (rng.random(n) < 0.5)),
        "CATEGORY_CODE": v.null_where(role.copy(), role == EMPLOYEE),
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
        "x_role": role,
    })
    return {"HZ_PARTIES": parties_, "HZ_LOCATIONS": locations, "HZ_PARTY_SITES": sites}


def _home_weights(ctx: GenContext, table: str, column: str) -> list[float]:
    """Most addresses in the first territory (the home country), the rest spread."""
    codes = ctx.codes(table, column)
    return [4.0] + [1.0] * (len(codes) - 1)


@generates("HZ_CUST_ACCOUNTS", "HZ_CUST_ACCT_SITES_ALL", "HZ_CUST_SITE_USES_ALL",
           needs=("HZ_PARTIES", "HZ_PARTY_SITES", "GL_CODE_COMBINATIONS"))
def customer_accounts(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Accounts of customer parties; account sites in one or both operating units on the
    party's own sites; bill-to, ship-to, dunning and statement uses of those sites."""
    rng, ar = ctx.rng("HZ_CUST_ACCOUNTS"), ctx.recipe.ar
    parties_ = ctx.frames["HZ_PARTIES"]
    customers = parties_[parties_["x_role"] == CUSTOMER].reset_index(drop=True)
    low, high = ar.accounts_per_party
    per = rng.integers(low, high + 1, len(customers))
    owner = np.repeat(np.arange(len(customers)), per)
    n = len(owner)
    account_id = ctx.ids("HZ_CUST_ACCOUNTS", "CUST_ACCOUNT_ID", n)
    created = v.random_days(rng, n, ctx.recipe.dates.start.replace(
        year=ctx.recipe.dates.start.year - 3), ctx.recipe.dates.end)
    accounts = v.frame({
        "CUST_ACCOUNT_ID": account_id,
        "PARTY_ID": customers["PARTY_ID"].to_numpy()[owner],
        "ACCOUNT_NUMBER": np.array([str(20_000 + i) for i in range(n)], dtype=object),
        "ACCOUNT_NAME": v.null_where(customers["PARTY_NAME"].to_numpy()[owner],
                                     rng.random(n) < 0.15),
        "STATUS": ctx.coded(rng, n, "HZ_CUST_ACCOUNTS", "STATUS", share=0.93),
        "CUSTOMER_TYPE": ctx.coded(rng, n, "HZ_CUST_ACCOUNTS", "CUSTOMER_TYPE", nulls=0.1),
        "CUSTOMER_CLASS_CODE": v.null_where(v.pick(rng, ["COMMERCIAL", "GOVERNMENT", "PARTNER"],
                                                   n), rng.random(n) < 0.2),
        "ACCOUNT_ESTABLISHED_DATE": v.null_where(created, rng.random(n) < 0.2),
        "SALES_CHANNEL_CODE": v.null_where(v.pick(rng, ["DIRECT", "RESELLER", "ONLINE"], n),
                                           rng.random(n) < 0.3),
        "ORIG_SYSTEM_REFERENCE": np.array([f"ACCT-{i}" for i in account_id], dtype=object),
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
    })
    sites = _account_sites(ctx, rng, accounts)
    uses = _site_uses(ctx, rng, sites)
    sites, uses = second_bill_to_sites(ctx, accounts, sites, uses)
    return {"HZ_CUST_ACCOUNTS": accounts, "HZ_CUST_ACCT_SITES_ALL": sites,
            "HZ_CUST_SITE_USES_ALL": uses}


def second_bill_to_sites(ctx: GenContext, accounts: pd.DataFrame, sites: pd.DataFrame,
                         uses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sites, uses) with a second bill-to address for some accounts in a unit: for a share
    (`SECOND_BILL_TO_FRACTION`, at least one per unit) of the account sites whose party has
    another party site, an active account site of the same account and unit on that other
    party site, with an active bill-to use that is not the primary one.

    TCA lets an account have any number of sites in an operating unit, each with its own
    business purposes, and keeps one primary use of each purpose per account and unit
    (Oracle Receivables User Guide, Customer Account Sites and Business Purposes; My Oracle
    Support Doc 2628271.1): so an account bills to two addresses of one unit, and a count of
    its bill-to uses is not the count of units it is billed in (`COUNT(su.org_id)` vs
    `COUNT(DISTINCT su.org_id)`). The new uses are marked `x_second_bill_to`: transactions
    keep billing the sites they did (no other value moves; `rng` is an own stream)."""
    rng = ctx.rng("HZ_CUST_ACCT_SITES_ALL:second_bill_to")
    party_sites = ctx.frames["HZ_PARTY_SITES"]
    party_of = accounts.set_index("CUST_ACCOUNT_ID")["PARTY_ID"]
    sites_of = party_sites.groupby("PARTY_ID")["PARTY_SITE_ID"].agg(list)
    uses = uses.assign(x_second_bill_to=False)
    party = party_of.reindex(sites["CUST_ACCOUNT_ID"].to_numpy()).to_numpy()
    others = [[p for p in sites_of.get(pty, []) if p != own]
              for pty, own in zip(party, sites["PARTY_SITE_ID"].to_numpy(), strict=True)]
    org = sites["ORG_ID"].to_numpy()
    can = np.array([bool(o) for o in others]) & (sites["STATUS"].to_numpy() == "A")
    pick = can & (rng.random(len(sites)) < SECOND_BILL_TO_FRACTION)
    for ou in ctx.operating_units:
        mine = np.flatnonzero(can & (org == ou))
        if len(mine) and not pick[mine].any():
            pick[rng.choice(mine)] = True
    rows = np.flatnonzero(pick)
    if not len(rows):
        return sites, uses
    k = len(rows)
    new_site = sites.iloc[rows].copy().reset_index(drop=True)
    new_site["CUST_ACCT_SITE_ID"] = _after(sites["CUST_ACCT_SITE_ID"].to_numpy(), k)
    new_site["PARTY_SITE_ID"] = [others[r][rng.integers(len(others[r]))] for r in rows]
    new_site["STATUS"] = "A"
    new_site["BILL_TO_FLAG"] = YES
    new_site["SHIP_TO_FLAG"] = "N"
    new_site["ORIG_SYSTEM_REFERENCE"] = [f"SITE-{len(sites) + i}" for i in range(k)]
    bill = uses[(uses["SITE_USE_CODE"] == BILL_TO)]
    template = bill.iloc[rng.integers(0, len(bill), k)].reset_index(drop=True)
    use_id = _after(uses["SITE_USE_ID"].to_numpy(), k)
    city = party_sites.set_index("PARTY_SITE_ID")["PARTY_SITE_NAME"].reindex(
        new_site["PARTY_SITE_ID"].to_numpy()).to_numpy()
    new_use = template.assign(
        SITE_USE_ID=use_id,
        CUST_ACCT_SITE_ID=new_site["CUST_ACCT_SITE_ID"].to_numpy(),
        PRIMARY_FLAG="N", STATUS="A",
        LOCATION=[f"{n or 'Site'} {u}"[:40] for n, u in zip(city, use_id, strict=True)],
        ORIG_SYSTEM_REFERENCE=[f"USE-{u}" for u in use_id],
        CREATION_DATE=new_site["CREATION_DATE"].to_numpy(),
        LAST_UPDATE_DATE=new_site["CREATION_DATE"].to_numpy(),
        ORG_ID=new_site["ORG_ID"].to_numpy(),
        x_cust_account_id=new_site["CUST_ACCOUNT_ID"].to_numpy(),
        x_second_bill_to=True)
    return (pd.concat([sites, new_site], ignore_index=True),
            pd.concat([uses, new_use], ignore_index=True))


def _after(ids: np.ndarray, k: int) -> np.ndarray:
    """`k` fresh ids after the largest of `ids` (same id block)."""
    return np.arange(int(ids.max()) + 1, int(ids.max()) + 1 + k, dtype=np.int64)


def _account_sites(ctx: GenContext, rng: np.random.Generator,
                   accounts: pd.DataFrame) -> pd.DataFrame:
    ous = ctx.operating_units
    n_acc = len(accounts)
    both = rng.random(n_acc) < ctx.recipe.ar.both_ou_fraction
    home = v.cover(rng, n_acc, ous).astype(np.int64)
    acc = np.concatenate([np.arange(n_acc), np.flatnonzero(both)])
    other = {a: b for a, b in zip(ous, ous[1:] + ous[:1], strict=True)}
    org = np.concatenate([home, [other[o] for o in home[both]]]).astype(np.int64)
    party_sites = ctx.frames["HZ_PARTY_SITES"]
    sites_of = party_sites.groupby("PARTY_ID")["PARTY_SITE_ID"].agg(list)
    party = accounts["PARTY_ID"].to_numpy()[acc]
    party_site = np.array([s[rng.integers(len(s))] for s in sites_of.reindex(party)])
    m = len(acc)
    flags = ctx.codes("HZ_CUST_ACCT_SITES_ALL", "BILL_TO_FLAG")
    weights = [6.0 if f == PRIMARY else 2.0 if f == YES else 1.0 for f in flags]
    bill = v.cover(rng, m, flags, org, weights)
    ship = v.cover(rng, m, flags, org, weights)
    created = accounts["CREATION_DATE"].to_numpy()[acc]
    return v.frame({
        "CUST_ACCT_SITE_ID": ctx.ids("HZ_CUST_ACCT_SITES_ALL", "CUST_ACCT_SITE_ID", m),
        "CUST_ACCOUNT_ID": accounts["CUST_ACCOUNT_ID"].to_numpy()[acc],
        "PARTY_SITE_ID": party_site,
        "STATUS": ctx.coded(rng, m, "HZ_CUST_ACCT_SITES_ALL", "STATUS", org, share=0.95),
        "BILL_TO_FLAG": bill,
        "SHIP_TO_FLAG": ship,
        "ORIG_SYSTEM_REFERENCE": np.array([f"SITE-{i}" for i in range(m)], dtype=object),
        "CREATION_DATE": created,
        "LAST_UPDATE_DATE": created,
        "ORG_ID": org,
    })


def _site_uses(ctx: GenContext, rng: np.random.Generator, sites: pd.DataFrame) -> pd.DataFrame:
    """BILL_TO where the site's bill-to flag says so, SHIP_TO likewise (pointing at the
    site's bill-to use), and the other use codes on a few sites of each operating unit."""
    codes = ctx.codes("HZ_CUST_SITE_USES_ALL", "SITE_USE_CODE")
    org = sites["ORG_ID"].to_numpy()
    parts = []
    for code in codes:
        flag_column = {BILL_TO: "BILL_TO_FLAG", SHIP_TO: "SHIP_TO_FLAG"}.get(code)
        if flag_column:
            flag = sites[flag_column].to_numpy()
            chosen = np.flatnonzero(np.isin(flag, [PRIMARY, YES]))
            primary = flag[chosen] == PRIMARY
        else:
            chosen = np.flatnonzero(rng.random(len(sites)) < 0.1)
            firsts = [rng.choice(np.flatnonzero(org == ou)) for ou in ctx.operating_units]
            chosen = np.union1d(chosen, firsts)
            primary = np.zeros(len(chosen), bool)
        parts.append(pd.DataFrame({"site": chosen, "code": code, "primary": primary}))
    uses = pd.concat(parts, ignore_index=True).sort_values(["site", "code"], ignore_index=True)
    site = uses["site"].to_numpy()
    m = len(uses)
    use_id = ctx.ids("HZ_CUST_SITE_USES_ALL", "SITE_USE_ID", m)
    code = uses["code"].to_numpy().astype(object)
    bill_of_site = pd.Series(use_id[code == BILL_TO], index=site[code == BILL_TO])
    bill_to = bill_of_site.reindex(site).to_numpy(dtype=float).copy()
    bill_to[code != SHIP_TO] = np.nan
    ccids = ctx.frames["GL_CODE_COMBINATIONS"]
    postable = ccids[ccids["x_postable"]]
    receivable = postable.loc[postable["ACCOUNT_TYPE"] == "A", "CODE_COMBINATION_ID"].to_numpy()
    revenue = postable.loc[postable["ACCOUNT_TYPE"] == "R", "CODE_COMBINATION_ID"].to_numpy()
    is_bill = code == BILL_TO
    city = ctx.frames["HZ_PARTY_SITES"].set_index("PARTY_SITE_ID")["PARTY_SITE_NAME"]
    names = city.reindex(sites["PARTY_SITE_ID"].to_numpy()[site]).to_numpy()
    org_of = org[site]
    return v.frame({
        "SITE_USE_ID": use_id,
        "CUST_ACCT_SITE_ID": sites["CUST_ACCT_SITE_ID"].to_numpy()[site],
        "SITE_USE_CODE": code,
        "PRIMARY_FLAG": np.where(uses["primary"].to_numpy(), "Y", "N").astype(object),
        "STATUS": ctx.coded(rng, m, "HZ_CUST_SITE_USES_ALL", "STATUS", org_of, share=0.95),
        "LOCATION": np.array([f"{n or 'Site'} {u}"[:40] for n, u in zip(names, use_id,
                                                                        strict=True)],
                             dtype=object),
        "BILL_TO_SITE_USE_ID": bill_to,
        "GL_ID_REC": v.null_where(rng.choice(receivable, m), ~is_bill),
        "GL_ID_REV": v.null_where(rng.choice(revenue, m), ~is_bill),
        "ORIG_SYSTEM_REFERENCE": np.array([f"USE-{i}" for i in use_id], dtype=object),
        "CREATION_DATE": sites["CREATION_DATE"].to_numpy()[site],
        "LAST_UPDATE_DATE": sites["CREATION_DATE"].to_numpy()[site],
        "ORG_ID": org_of,
        "x_cust_account_id": sites["CUST_ACCOUNT_ID"].to_numpy()[site],
    })

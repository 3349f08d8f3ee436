"""Hand-written payables invoices: headers, scheduled payments, lines and distributions.

Facts made here, in every operating unit: every invoice type and payment status, cancelled
and not cancelled invoices, negative credit and debit memos, suppliers invoiced in several
currencies, ties on the top amount and the latest date, and AMOUNT_PAID that agrees with the
status (Y: the amount less any discount taken, P: strictly between 0 and the amount, N: 0 or
NULL) and with the payments (see tables_ap_payments).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.registry import generates
from harness.datagen.short_payments import open_balances, short_rows
from harness.datagen.span_edges import gold_days, place_on_days
from harness.datagen.tables_ap import INVOICE_ROLES, supplier_sites_for
from harness.datagen.tables_ap_payments import payments
from harness.datagen.tables_gl import ledger_of_operating_unit, period_names, rate_to_functional
from harness.datagen.tables_gl import split as split_amounts

NEGATIVE_TYPES = ("CREDIT", "DEBIT")  # memos reduce what is owed
STANDARD = "STANDARD"
INTERFACE = "Payables Open Interface"  # the SOURCE of imported invoices (recipe codes)
ACROSS_UNITS = 3  # standard invoices per unit matched to an order of another unit
PAID, UNPAID, PARTIAL = "Y", "N", "P"
ITEM = "ITEM"
ACCRUAL = "ACCRUAL"  # the distribution type that clears the AP accrual account
# distribution types that suit each line type (codes the catalog adds go with ITEM)
DISTRIBUTION_TYPES = {"ITEM": ["ITEM", "ACCRUAL"], "FREIGHT": ["FREIGHT"],
                      "MISCELLANEOUS": ["MISCELLANEOUS"], "TAX": ["REC_TAX", "NONREC_TAX"],
                      "PREPAY": ["PREPAY"]}
# the accounting dates an invoice's lines and distributions copy from its GL date
_GL_DATES = {"AP_INVOICES_ALL": ("GL_DATE",), "AP_INVOICE_LINES_ALL": ("ACCOUNTING_DATE",),
             "AP_INVOICE_DISTRIBUTIONS_ALL": ("ACCOUNTING_DATE",)}


def _keys(*arrays: np.ndarray) -> np.ndarray:
    return np.array(["|".join(map(str, row)) for row in zip(*arrays, strict=True)])


@generates("AP_INVOICES_ALL", "AP_PAYMENT_SCHEDULES_ALL", "AP_INVOICE_LINES_ALL",
           "AP_INVOICE_DISTRIBUTIONS_ALL", "AP_CHECKS_ALL", "AP_INVOICE_PAYMENTS_ALL",
           needs=("AP_SUPPLIERS", "AP_SUPPLIER_SITES_ALL", "PO_HEADERS_ALL",
                  "PO_DISTRIBUTIONS_ALL", "GL_LEDGERS", "GL_CODE_COMBINATIONS", "FND_USER",
                  "PER_ALL_PEOPLE_F"))
def invoices(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Invoices, their schedules, lines and distributions, and the payments made on them."""
    rng = ctx.rng("AP_INVOICES_ALL")
    head = _headers(ctx, rng)
    schedules = _schedules(ctx, rng, head)
    lines = _lines(ctx, rng, head)
    checks, invoice_payments = payments(ctx, rng, head, schedules)
    distributions = _distributions(ctx, rng, head, lines)
    blank = _without_amount(ctx, head, invoice_payments, schedules)
    head.loc[blank, ["INVOICE_AMOUNT", "BASE_AMOUNT", "DISCOUNT_AMOUNT_TAKEN"]] = None
    kept = head.loc[blank, "INVOICE_ID"].to_numpy()
    schedules, lines, distributions = (frame[~frame["INVOICE_ID"].isin(kept)].reset_index(
        drop=True) for frame in (schedules, lines, distributions))
    return {"AP_INVOICES_ALL": head, "AP_PAYMENT_SCHEDULES_ALL": schedules,
            "AP_INVOICE_LINES_ALL": lines, "AP_INVOICE_DISTRIBUTIONS_ALL": distributions,
            "AP_CHECKS_ALL": checks, "AP_INVOICE_PAYMENTS_ALL": invoice_payments}


def _without_amount(ctx: GenContext, head: pd.DataFrame, invoice_payments: pd.DataFrame,
                    schedules: pd.DataFrame) -> np.ndarray:
    """Rows of invoices entered without an amount yet (INVOICE_AMOUNT is nullable in EBS):
    `ap.invoices_without_amount` per operating unit, chosen among unpaid, uncancelled
    standard invoices that are not on the unit's top amount, no payment touches and no
    installment due on a calendar edge needs (the edges stay placed); they keep no lines, distributions or installments. Queries that order, rank or take the MAX of
    invoice amounts then meet a NULL (DESC puts it first in Oracle; MAX skips it)."""
    count = ctx.recipe.ap.invoices_without_amount
    blank = np.zeros(len(head), bool)
    if not count:
        return blank
    rng = ctx.rng("AP_INVOICES_ALL:without_amount")  # own stream: other draws unchanged
    top = head.groupby("ORG_ID")["INVOICE_AMOUNT"].transform("max")
    free = ((head["PAYMENT_STATUS_FLAG"] == UNPAID) & head["CANCELLED_DATE"].isna()
            & (head["INVOICE_TYPE_LOOKUP_CODE"] == STANDARD) & (head["INVOICE_AMOUNT"] < top)
            & ~head["INVOICE_ID"].isin(invoice_payments["INVOICE_ID"])
            & ~head["INVOICE_ID"].isin(schedules.loc[schedules["DUE_DATE"].isin(
                np.array(ctx.edges, dtype="datetime64[us]")), "INVOICE_ID"])).to_numpy()
    for ou in ctx.operating_units:
        rows = np.flatnonzero(free & (head["ORG_ID"].to_numpy() == ou))
        blank[rng.permutation(rows)[:count]] = True
    return blank


def _headers(ctx: GenContext, rng: np.random.Generator) -> pd.DataFrame:
    ap, cur = ctx.recipe.ap, ctx.recipe.currencies
    n = ctx.row_count("AP_INVOICES_ALL")
    org = v.cover(rng, n, ctx.operating_units).astype(np.int64)
    kind = ctx.coded(rng, n, "AP_INVOICES_ALL", "INVOICE_TYPE_LOOKUP_CODE", org, share=0.7,
                     main=STANDARD)
    negative = np.isin(kind, NEGATIVE_TYPES)
    status = ctx.coded(rng, n, "AP_INVOICES_ALL", "PAYMENT_STATUS_FLAG", _keys(org, negative),
                       share=0.5, main=PAID)
    currency = ctx.coded(rng, n, "AP_INVOICES_ALL", "INVOICE_CURRENCY_CODE",
                         _keys(org, status), share=1 - cur.foreign_fraction, main=cur.functional)
    site = supplier_sites_for(ctx, rng, org, INVOICE_ROLES)
    _several_currencies(ctx, rng, org, currency, site)
    amount = v.money(rng, n, *ap.amount)
    amount[negative] *= -1
    cancelled = _cancelled(ctx, rng, org, status)
    date = ctx.dates(rng, n, org)
    on_edge = np.isin(date, np.array(ctx.edges, dtype="datetime64[us]"))
    _ties(org, amount, date, cancelled | negative, on_edge)
    twin = _twins(ctx, org, site["VENDOR_ID"].to_numpy(), amount, date,
                  [org, kind, status, currency, cancelled], on_edge | cancelled | negative)
    amount, date = amount[twin], date[twin]
    paid = np.where(status == PAID, amount, 0.0)
    partial = status == PARTIAL
    paid[partial] = np.round(amount[partial] * rng.uniform(0.2, 0.8, int(partial.sum())), 2)
    # a few partial payments fall short by just above a constant golds compare the remaining
    # amount with (short_payments.py: `AMOUNT_REMAINING > 0` vs `> 1`); own stream
    balances = open_balances(ctx, "AP_PAYMENT_SCHEDULES_ALL", "AMOUNT_REMAINING")
    short, left = short_rows(ctx.rng("AP_INVOICES_ALL:short"),
                             partial & (amount > max(balances, default=0) + 2), org, balances)
    paid[short] = amount[short] - left
    unpaid_null = (status == UNPAID) & (rng.random(n) < ap.null_amount_paid_fraction)
    unpaid_null[np.flatnonzero(status == UNPAID)[:1]] = True
    foreign = currency != cur.functional
    rate = np.round(rate_to_functional(ctx, currency), 6)
    gl_date = np.where(rng.random(n) < 0.8, date, date + rng.integers(0, 10, n) * v.DAY)
    gl_date = v.place_edges(rng, ctx.clip(gl_date), ctx.edges, org)
    gl_date = _gl_dates_on_gold_days(ctx, gl_date, org, kind, status)
    # AP_INVOICES_U2 is per supplier: repeat another's number (twins keep theirs, so no
    # third invoice takes a twin's number under a twin's supplier)
    twinned = np.isin(np.arange(n), twin[twin != np.arange(n)]) | (twin != np.arange(n))
    date = _future_dated(ctx, org, kind, status, cancelled | twinned, date)
    users = ctx.frames["FND_USER"]["USER_ID"].to_numpy()
    cancel_date = ctx.clip(date + rng.integers(1, 60, n) * v.DAY)
    orders = _matched_orders(ctx, rng, site, kind)
    ledger = ledger_of_operating_unit(ctx)
    number = v.distinct_numbers(rng, n, 10_000, 10_000 + 50 * n)
    prefix = np.where(negative, "CM-", v.pick(rng, ["INV-", "", "ERS-"], n))
    number, prefix = number[twin], prefix[twin]
    terms = ctx.ids("AP_INVOICES_ALL", "TERMS_ID", 4)
    discount = (status == PAID) & ~negative & (rng.random(n) < 0.3)
    taken = np.round(amount * 0.02, 2)
    # a discount taken settles part of the invoice: Payables adds the payment to AMOUNT_PAID
    # and the discount to DISCOUNT_AMOUNT_TAKEN, and the invoice is paid ('Y') when the two
    # reach the amount (AP_PAY_INVOICE_PKG, apayinvb.pls), so AMOUNT_PAID falls short of it;
    # a payment adds NVL(discount, 0), so a paid invoice without a discount holds 0, not NULL
    paid = np.where(discount, np.round(amount - taken, 2), paid)
    invoice_num = np.array([f"{p}{x}" for p, x in zip(prefix, number, strict=True)],
                           dtype=object)[v.namesake_rows(
        ctx.rng("AP_INVOICES_ALL:namesakes"), n, ctx.recipe.namesakes.invoices,
        apart=site["VENDOR_ID"].to_numpy(), fixed=twinned)]
    head = v.frame({
        "INVOICE_ID": ctx.ids("AP_INVOICES_ALL", "INVOICE_ID", n),
        "VENDOR_ID": site["VENDOR_ID"].to_numpy(),
        "INVOICE_NUM": invoice_num,
        "SET_OF_BOOKS_ID": np.array([ledger[o] for o in org]),
        "INVOICE_CURRENCY_CODE": currency,
        "PAYMENT_CURRENCY_CODE": currency,
        "PAYMENT_CROSS_RATE": np.ones(n),
        "INVOICE_AMOUNT": amount,
        "VENDOR_SITE_ID": site["VENDOR_SITE_ID"].to_numpy(),
        "AMOUNT_PAID": v.null_where(paid, unpaid_null),
        "DISCOUNT_AMOUNT_TAKEN": v.null_where(np.where(discount, taken, 0.0),
                                              status == UNPAID),
        "INVOICE_DATE": date,
        "SOURCE": v.pick(rng, ctx.codes("AP_INVOICES_ALL", "SOURCE"), n),
        "INVOICE_TYPE_LOOKUP_CODE": kind,
        "TERMS_ID": v.null_where(rng.choice(terms, n).astype(float), rng.random(n) < 0.05),
        "TERMS_DATE": v.null_where(date.astype("datetime64[D]").astype("datetime64[us]"),
                                   rng.random(n) < 0.05),
        "PAYMENT_STATUS_FLAG": status,
        "BASE_AMOUNT": v.null_where(np.round(amount * rate, 2), ~foreign),
        "EXCHANGE_RATE": v.null_where(rate, ~foreign),
        "EXCHANGE_RATE_TYPE": v.null_where(np.full(n, "Corporate", dtype=object), ~foreign),
        "EXCHANGE_DATE": v.null_where(date.astype("datetime64[D]").astype("datetime64[us]"),
                                      ~foreign),
        "PO_HEADER_ID": orders,
        "GL_DATE": gl_date,
        "APPROVAL_STATUS": v.null_where(v.pick(rng, ctx.codes("AP_INVOICES_ALL",
                                                             "APPROVAL_STATUS"), n),
                                        rng.random(n) < 0.3),
        "WFAPPROVAL_STATUS": v.pick(rng, ctx.codes("AP_INVOICES_ALL", "WFAPPROVAL_STATUS"), n),
        "CANCELLED_DATE": v.null_where(cancel_date, ~cancelled),
        "CANCELLED_BY": v.null_where(rng.choice(users, n).astype(float), ~cancelled),
        "CANCELLED_AMOUNT": v.null_where(amount, ~cancelled),
        "PAYMENT_METHOD_CODE": v.pick(rng, ctx.codes("AP_INVOICES_ALL", "PAYMENT_METHOD_CODE"),
                                      n),
        "PARTY_ID": site["x_party_id"].to_numpy(),
        "CREATION_DATE": date,
        "LAST_UPDATE_DATE": np.where(cancelled, cancel_date, date),
        "ORG_ID": org,
        "x_rate": np.where(foreign, rate, 1.0),
        "x_cancelled": cancelled,
        "x_paid": paid,
        "x_vendor_site_code": site["VENDOR_SITE_CODE"].to_numpy(),
    })
    head["INVOICE_NUM"] = _imported_blanks(ctx, head, twinned)
    return head


def _imported_blanks(ctx: GenContext, head: pd.DataFrame, twinned: np.ndarray) -> np.ndarray:
    """The invoice numbers, where `ap.imported_blank_fraction` of the invoices the open
    interface brought (SOURCE 'Payables Open Interface') keep the trailing blank of the
    feeder file's fixed-width field (own stream): VARCHAR2 compares without padding (SQL
    Language Reference, Blank-Padded and Nonpadded Comparison Semantics), so `TRIM(num)`
    and `num`, or `LIKE '%7'`, differ there. Twins keep the number they share."""
    number = head["INVOICE_NUM"].to_numpy().copy()
    imported = (head["SOURCE"].to_numpy() == INTERFACE) & ~twinned
    rng = ctx.rng("AP_INVOICES_ALL:blanks")
    hit = imported & (rng.random(len(number)) < ctx.recipe.ap.imported_blank_fraction)
    number[hit] = [f"{x} " for x in number[hit]]
    return number


def _several_currencies(ctx: GenContext, rng: np.random.Generator, org: np.ndarray,
                        currency: np.ndarray, site: pd.DataFrame) -> None:
    """In every unit, give some suppliers two invoices in different currencies (in place:
    the invoices' currencies stay, their supplier site changes)."""
    for ou in ctx.operating_units:
        mine = np.flatnonzero(org == ou)
        for _ in range(ctx.recipe.ap.multi_currency_suppliers_per_ou):
            a = rng.choice(mine)
            others = mine[currency[mine] != currency[a]]
            if len(others):
                site.iloc[rng.choice(others)] = site.iloc[a]


def _cancelled(ctx: GenContext, rng: np.random.Generator, org: np.ndarray,
               status: np.ndarray) -> np.ndarray:
    """Unpaid invoices that were cancelled: some in every unit, never all unpaid ones."""
    cancelled = np.zeros(len(org), bool)
    for ou in ctx.operating_units:
        unpaid = rng.permutation(np.flatnonzero((org == ou) & (status == UNPAID)))
        k = max(1, int(len(unpaid) * ctx.recipe.ap.cancelled_fraction))
        cancelled[unpaid[: min(k, len(unpaid) - 1)]] = True
    return cancelled


def _twins(ctx: GenContext, org: np.ndarray, vendor: np.ndarray, amount: np.ndarray,
           date: np.ndarray, alike: list[np.ndarray], fixed: np.ndarray) -> np.ndarray:
    """Rows that take the number, amount and date of another supplier's invoice alike in
    unit, type, status, currency and cancellation (recipe `namesakes.invoice_twins`), so a
    DISTINCT over those columns merges two invoices (AP_INVOICES_U2 is per supplier). The
    unit's largest amount and latest date, edge days and special rows neither copy nor lend,
    so their ties stay."""
    frame = pd.DataFrame({"org": org, "amount": amount, "date": date})
    extreme = (frame["amount"] == frame.groupby("org")["amount"].transform("max")) | (
        frame["date"] == frame.groupby("org")["date"].transform("max"))
    key = np.array(["|".join(map(str, parts)) for parts in zip(*alike, strict=True)],
                   dtype=object)
    return v.namesake_rows(ctx.rng("AP_INVOICES_ALL:twins"), len(org),
                           ctx.recipe.namesakes.invoice_twins, apart=vendor, alike=key,
                           fixed=fixed | extreme.to_numpy())


def _ties(org: np.ndarray, amount: np.ndarray, date: np.ndarray, excluded: np.ndarray,
          on_edge: np.ndarray) -> None:
    """In every unit the largest amount and the latest date each appear twice (in place), so
    a top-N query must decide what to do with ties; rows on a calendar edge keep their date."""
    for ou in np.unique(org):
        unit = np.flatnonzero(org == ou)
        top, latest = unit[np.argmax(amount[unit])], unit[np.argmax(date[unit])]
        free = unit[~excluded[unit] & ~on_edge[unit] & (unit != top) & (unit != latest)]
        amount[free[0]] = amount[top]
        date[free[-1]] = date[latest]


def _gl_dates_on_gold_days(ctx: GenContext, gl_date: np.ndarray, org: np.ndarray,
                           kind: np.ndarray, status: np.ndarray) -> np.ndarray:
    """`gl_date` with invoices on the days golds compare an invoice's GL date or its lines'
    or distributions' accounting date with (c - 1, c, c + 1), in every unit and of every
    type, paid, unpaid and partly paid in turn. Lines and distributions copy the GL date as
    they are made, and targeted rows leave their (frozen) accounting dates alone, so before
    this no tax line was dated 2023-12-31 and ap-052's `>= DATE '2023-12-31'` returned the
    gold's totals. Only days inside the span: a GL date lies in an open period of the
    ledger's calendar (Payables User Guide, "General Ledger Date": any date of an open
    period, not tied to the invoice date). Calendar edges and the instants around SYSDATE
    keep their rows, and each unit's first and last GL dates stay."""
    start, end = v.day(ctx.recipe.dates.start), v.day(ctx.recipe.dates.end)
    days = [d for d in gold_days(ctx, _GL_DATES) if start <= d <= end]
    if not days:
        return gl_date
    fixed = np.isin(gl_date, np.array([*ctx.edges, *ctx.instants], dtype="datetime64[us]"))
    prefer = [status == s for s in (PAID, UNPAID, PARTIAL)]
    return place_on_days(ctx.rng("AP_INVOICES_ALL:gl_gold_days"), gl_date, days, org, kind,
                         prefer, ~fixed)


def _future_dated(ctx: GenContext, org: np.ndarray, kind: np.ndarray, status: np.ndarray,
                  fixed: np.ndarray, date: np.ndarray) -> np.ndarray:
    """`date` with, in every unit, one unpaid invoice of each type dated at midnight of the
    day after the span's end (EBS takes future-dated invoices; their GL date stays where it
    was, as with the "system date" GL date basis): `INVOICE_DATE < DATE '2026-01-01'` dropped,
    `<=` or `< DATE '2026-01-02'` returns them. Unpaid, so no payment precedes its invoice;
    cancelled and twin rows, rows on a calendar edge or around SYSDATE and each unit's first
    and last dates keep theirs. A unit with fewer than two such invoices gets none: its
    latest date stays tied (two rows), as `_ties` made it."""
    out = date.copy()
    after = v.day(ctx.recipe.dates.end) + v.DAY
    placed = np.isin(date, np.array([*ctx.edges, *ctx.instants], dtype="datetime64[us]"))
    rng = ctx.rng("AP_INVOICES_ALL:future_dated")
    for ou in ctx.operating_units:
        unit = org == ou
        extreme = (date == date[unit].min()) | (date == date[unit].max())
        free = unit & (status == UNPAID) & ~fixed & ~placed & ~extreme
        chosen = [rng.choice(rows) for k in np.unique(kind[free])
                  if len(rows := np.flatnonzero(free & (kind == k)))]
        if len(chosen) >= 2:
            out[chosen] = after
    return out


def _matched_orders(ctx: GenContext, rng: np.random.Generator, site: pd.DataFrame,
                    kind: np.ndarray) -> np.ndarray:
    """For some standard invoices, a purchase order (with distributions) of the same
    supplier and unit they are matched to; NaN for the rest. Then, in every unit, up to
    `ACROSS_UNITS` more standard invoices are matched to an order of the same supplier in
    another unit (R12 shared procurement: the order is raised centrally, the invoice entered
    where the goods were received; AP's PO_HEADER_ID has no `same: [ORG_ID]`), from a stream
    of their own so no other row moves: `i.ORG_ID = h.ORG_ID`, or one unit filter of
    several, dropped returns another result."""
    headers = ctx.frames["PO_HEADERS_ALL"]
    with_lines = headers["PO_HEADER_ID"].isin(ctx.frames["PO_DISTRIBUTIONS_ALL"]["PO_HEADER_ID"])
    orders = headers[with_lines & headers["VENDOR_ID"].notna()]
    by_key = orders.groupby(["VENDOR_ID", "ORG_ID"])["PO_HEADER_ID"].agg(list)
    out = np.full(len(site), np.nan)
    keys = list(zip(site["VENDOR_ID"].astype(float), site["ORG_ID"], strict=True))
    for i, key in enumerate(keys):
        options = by_key.get(key)
        if options and kind[i] == STANDARD and rng.random() < 0.5:
            out[i] = options[rng.integers(len(options))]
    across = ctx.rng("AP_INVOICES_ALL:across_units")
    elsewhere = {(vendor, ou): [h for (w, o), hs in by_key.items() if w == vendor and o != ou
                                for h in hs] for vendor, ou in set(keys)}
    for ou in ctx.operating_units:
        free = [i for i, key in enumerate(keys) if key[1] == ou and kind[i] == STANDARD
                and np.isnan(out[i]) and elsewhere[key]]
        for i in across.permutation(free)[:ACROSS_UNITS]:
            options = elsewhere[keys[i]]
            out[i] = options[across.integers(len(options))]
    return out


def _schedules(ctx: GenContext, rng: np.random.Generator, head: pd.DataFrame) -> pd.DataFrame:
    """One installment per invoice, two for some fully paid or unpaid ones; what was paid
    fills the first installment first, and a discount taken what the payments left."""
    n = len(head)
    status = head["PAYMENT_STATUS_FLAG"].to_numpy()
    count = np.where((status != PARTIAL) & (rng.random(n) < 0.25), 2, 1)
    row = np.repeat(np.arange(n), count)
    nth = pd.Series(row).groupby(row).cumcount().to_numpy()
    amount = head["INVOICE_AMOUNT"].to_numpy()
    gross = split_amounts(rng, amount[row], row)
    paid = head["x_paid"].to_numpy()[row]
    first_gross = np.where(nth == 0, gross, np.roll(gross, 1))
    on_first = np.sign(paid) * np.minimum(np.abs(paid), np.abs(first_gross))
    paid_here = np.round(np.where(nth == 0, on_first, paid - on_first), 2)
    cancelled = head["x_cancelled"].to_numpy()[row]
    # a discount taken closes what the payments left of a fully paid invoice's installments
    discounted = head["DISCOUNT_AMOUNT_TAKEN"].fillna(0).to_numpy()[row] != 0
    remaining = np.where(cancelled | discounted, 0.0, np.round(gross - paid_here, 2))
    flag = np.where(remaining == 0, PAID, np.where(paid_here == 0, UNPAID, PARTIAL))
    flag[cancelled] = UNPAID
    date = head["INVOICE_DATE"].to_numpy()[row]
    org = head["ORG_ID"].to_numpy()[row]
    due = v.place_edges(rng, date + 30 * (nth + 1) * v.DAY, ctx.edges, org)
    m = len(row)
    return v.frame({
        "INVOICE_ID": head["INVOICE_ID"].to_numpy()[row],
        "PAYMENT_NUM": nth + 1,
        "PAYMENT_CROSS_RATE": np.ones(m),
        "AMOUNT_REMAINING": remaining,
        "DUE_DATE": due,
        "DISCOUNT_DATE": v.null_where(date + 10 * v.DAY, rng.random(m) < 0.7),
        "GROSS_AMOUNT": gross,
        "HOLD_FLAG": ctx.coded(rng, m, "AP_PAYMENT_SCHEDULES_ALL", "HOLD_FLAG", org, share=0.9,
                               main="N"),
        "PAYMENT_PRIORITY": v.null_where(np.where(rng.random(m) < 0.8, 99, rng.integers(
            1, 10, m)).astype(float), rng.random(m) < 0.1),
        "PAYMENT_STATUS_FLAG": flag.astype(object),
        "PAYMENT_METHOD_CODE": head["PAYMENT_METHOD_CODE"].to_numpy()[row],
        "CREATION_DATE": date,
        "LAST_UPDATE_DATE": date,
        "ORG_ID": org,
        "x_paid": paid_here,
    })


def _lines(ctx: GenContext, rng: np.random.Generator, head: pd.DataFrame) -> pd.DataFrame:
    """Item lines (matched to the purchase order's distributions when the invoice is) and
    some freight, miscellaneous, tax and prepayment lines, summing to the invoice amount."""
    codes = ctx.codes("AP_INVOICE_LINES_ALL", "LINE_TYPE_LOOKUP_CODE")
    extras = [c for c in codes if c != ITEM]
    n = len(head)
    org = head["ORG_ID"].to_numpy()
    has = {c: rng.random(n) < 0.25 for c in extras}
    for ou in ctx.operating_units:
        first = np.flatnonzero(org == ou)[0]
        for c in extras:
            has[c][first] = True
    amount = head["INVOICE_AMOUNT"].to_numpy()
    parts = [(np.flatnonzero(has[c]), c, 0.05 / (i + 1)) for i, c in enumerate(extras)]
    extra_sum = np.zeros(n)
    for rows, _, share in parts:
        np.add.at(extra_sum, rows, np.round(amount[rows] * share, 2))
    items_n = rng.integers(1, 3, n)
    item_rows = np.repeat(np.arange(n), items_n)
    row = np.concatenate([item_rows] + [r for r, _, _ in parts])
    kind = np.concatenate([np.full(len(item_rows), ITEM, dtype=object)]
                          + [np.full(len(r), c, dtype=object) for r, c, _ in parts])
    value = np.concatenate([split_amounts(rng, (amount - extra_sum)[item_rows], item_rows)]
                           + [np.round(amount[r] * s, 2) for r, _, s in parts])
    order = np.lexsort((kind != ITEM, row))
    row, kind, value = row[order], kind[order], value[order]
    m = len(row)
    is_item = kind == ITEM
    matched = is_item & head["PO_HEADER_ID"].notna().to_numpy()[row]
    dists = ctx.frames["PO_DISTRIBUTIONS_ALL"]
    dist_of = dists.groupby("PO_HEADER_ID").indices
    pick = np.array([rng.choice(dist_of[h]) if ok else 0 for h, ok in zip(
        head["PO_HEADER_ID"].to_numpy()[row], matched, strict=True)])
    po_lines = ctx.frames["PO_LINES_ALL"].set_index("PO_LINE_ID")
    po_line = dists["PO_LINE_ID"].to_numpy()[pick]
    item = po_lines["ITEM_ID"].reindex(po_line).to_numpy(dtype=float)
    description = po_lines["ITEM_DESCRIPTION"].reindex(po_line).to_numpy()
    quantity = rng.integers(1, 40, m).astype(float)
    people = ctx.frames["PER_ALL_PEOPLE_F"]["PERSON_ID"].unique()
    rate = head["x_rate"].to_numpy()[row]
    foreign = rate != 1
    cancelled = head["x_cancelled"].to_numpy()[row]
    gl_date = head["GL_DATE"].to_numpy()[row]
    return v.frame({
        "INVOICE_ID": head["INVOICE_ID"].to_numpy()[row],
        "LINE_NUMBER": pd.Series(row).groupby(row).cumcount().to_numpy() + 1,
        "LINE_TYPE_LOOKUP_CODE": kind,
        "REQUESTER_ID": v.null_where(rng.choice(people, m).astype(float), rng.random(m) < 0.6),
        "DESCRIPTION": np.where(matched, description, np.char.title(kind.astype(str))).astype(
            object),
        "LINE_SOURCE": v.pick(rng, ctx.codes("AP_INVOICE_LINES_ALL", "LINE_SOURCE"), m),
        "INVENTORY_ITEM_ID": v.null_where(item, ~matched),
        "ITEM_DESCRIPTION": v.null_where(description.astype(object), ~matched),
        "MATCH_TYPE": np.where(matched, "ITEM_TO_PO", "NOT_MATCHED").astype(object),
        "ACCOUNTING_DATE": gl_date,
        "PERIOD_NAME": period_names(gl_date),
        "AMOUNT": value,
        "BASE_AMOUNT": v.null_where(np.round(value * rate, 2), ~foreign),
        "QUANTITY_INVOICED": v.null_where(quantity, ~is_item),
        "UNIT_MEAS_LOOKUP_CODE": v.null_where(np.full(m, "Each", dtype=object), ~is_item),
        "UNIT_PRICE": v.null_where(np.round(value / quantity, 2), ~is_item),
        "DISCARDED_FLAG": ctx.coded(rng, m, "AP_INVOICE_LINES_ALL", "DISCARDED_FLAG", org[row],
                                    share=0.97, main="N"),
        "CANCELLED_FLAG": np.where(cancelled, "Y", "N").astype(object),
        "PO_HEADER_ID": v.null_where(dists["PO_HEADER_ID"].to_numpy()[pick].astype(float),
                                     ~matched),
        "PO_LINE_ID": v.null_where(po_line.astype(float), ~matched),
        "PO_LINE_LOCATION_ID": v.null_where(dists["LINE_LOCATION_ID"].to_numpy()[pick].astype(
            float), ~matched),
        "PO_DISTRIBUTION_ID": v.null_where(dists["PO_DISTRIBUTION_ID"].to_numpy()[pick].astype(
            float), ~matched),
        "SET_OF_BOOKS_ID": head["SET_OF_BOOKS_ID"].to_numpy()[row],
        "CREATION_DATE": head["CREATION_DATE"].to_numpy()[row],
        "LAST_UPDATE_DATE": head["CREATION_DATE"].to_numpy()[row],
        "ORG_ID": org[row],
        "x_po_ccid": dists["CODE_COMBINATION_ID"].to_numpy()[pick],
        "x_matched": matched,
        "x_rate": rate,
    })


def _distributions(ctx: GenContext, rng: np.random.Generator, head: pd.DataFrame,
                   lines: pd.DataFrame) -> pd.DataFrame:
    """One distribution per line (two for some item lines), charged to the purchase order's
    account when matched, else to an expense account."""
    count = np.where((lines["LINE_TYPE_LOOKUP_CODE"] == ITEM).to_numpy()
                     & (rng.random(len(lines)) < 0.2), 2, 1)
    row = np.repeat(np.arange(len(lines)), count)
    m = len(row)
    amount = split_amounts(rng, lines["AMOUNT"].to_numpy()[row], row)
    kind = lines["LINE_TYPE_LOOKUP_CODE"].to_numpy()[row]
    org = lines["ORG_ID"].to_numpy()[row]
    dist_kind = v.cover_by_kind(rng, kind, org, v.codes_by_kind(
        ctx.codes("AP_INVOICE_DISTRIBUTIONS_ALL", "LINE_TYPE_LOOKUP_CODE"), kind,
        DISTRIBUTION_TYPES, ITEM))
    ccids = ctx.frames["GL_CODE_COMBINATIONS"]
    expense = ccids.loc[ccids["x_postable"] & (ccids["ACCOUNT_TYPE"] == "E"),
                        "CODE_COMBINATION_ID"].to_numpy()
    # an ACCRUAL distribution (receipt-accrued PO match) clears the AP accrual account, a
    # liability, as in EBS: not every distribution is charged to an expense account, so
    # `g.ACCOUNT_TYPE = 'E'` matters (x-014); its own stream, so no other value moves
    accrual = ccids.loc[ccids["x_postable"] & (ccids["ACCOUNT_TYPE"] == "L"),
                        "CODE_COMBINATION_ID"].to_numpy()
    matched = lines["x_matched"].to_numpy()[row]
    rate = lines["x_rate"].to_numpy()[row]
    is_item = kind == ITEM
    quantity = lines["QUANTITY_INVOICED"].to_numpy()[row] / count[row]
    date = lines["ACCOUNTING_DATE"].to_numpy()[row]
    return v.frame({
        "INVOICE_DISTRIBUTION_ID": ctx.ids("AP_INVOICE_DISTRIBUTIONS_ALL",
                                           "INVOICE_DISTRIBUTION_ID", m),
        "INVOICE_ID": lines["INVOICE_ID"].to_numpy()[row],
        "INVOICE_LINE_NUMBER": lines["LINE_NUMBER"].to_numpy()[row],
        "DISTRIBUTION_LINE_NUMBER": pd.Series(row).groupby(row).cumcount().to_numpy() + 1,
        "LINE_TYPE_LOOKUP_CODE": dist_kind,
        "ACCOUNTING_DATE": date,
        "PERIOD_NAME": lines["PERIOD_NAME"].to_numpy()[row],
        "SET_OF_BOOKS_ID": lines["SET_OF_BOOKS_ID"].to_numpy()[row],
        "AMOUNT": amount,
        "BASE_AMOUNT": v.null_where(np.round(amount * rate, 2), rate == 1),
        "DIST_CODE_COMBINATION_ID": np.where(
            dist_kind == ACCRUAL, ctx.rng("AP_INVOICE_DISTRIBUTIONS_ALL:accrual").choice(
                accrual, m), np.where(matched, lines["x_po_ccid"].to_numpy()[row],
                                      rng.choice(expense, m))),
        "POSTED_FLAG": ctx.coded(rng, m, "AP_INVOICE_DISTRIBUTIONS_ALL", "POSTED_FLAG", org,
                                 share=0.8, main="Y"),
        "MATCH_STATUS_FLAG": ctx.coded(rng, m, "AP_INVOICE_DISTRIBUTIONS_ALL",
                                       "MATCH_STATUS_FLAG", org, share=0.85, nulls=0.05),
        "QUANTITY_INVOICED": v.null_where(quantity, ~is_item),
        "UNIT_PRICE": lines["UNIT_PRICE"].to_numpy()[row],
        "PO_DISTRIBUTION_ID": lines["PO_DISTRIBUTION_ID"].to_numpy()[row],
        "REVERSAL_FLAG": ctx.coded(rng, m, "AP_INVOICE_DISTRIBUTIONS_ALL", "REVERSAL_FLAG", org,
                                   share=0.97, main="N", nulls=0.3),
        "CREATION_DATE": date,
        "LAST_UPDATE_DATE": date,
        "ORG_ID": org,
    })

"""Hand-written receivables tables: transaction types, transactions and their lines, payment
schedules, cash receipts and receivable applications.

Facts made here: in every operating unit, schedules of every class both open (STATUS 'OP',
non-zero remaining) and closed (zero remaining), but for the classes a unit paid in full on
a sparse instance (`closed_pairs`); credit memos negative; a schedule's
remaining amount is its original amount less what receipts applied and credit memos credited.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TypeVar

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.recipe import ArShape, Recipe
from harness.datagen.registry import generates
from harness.datagen.short_payments import open_balances, short_rows
from harness.datagen.span_edges import gold_days, place_on_days
from harness.datagen.tables_gl import ledger_of_operating_unit, rate_to_functional, split
from harness.datagen.tables_tca import BILL_TO

OPEN, CLOSED = "OP", "CL"
CREDIT_MEMO, GUARANTEE, RECEIPT_CLASS = "CM", "GUAR", "PMT"
INVOICE_CLASS = "INV"
OVERAPPLIABLE = (INVOICE_CLASS, "DM")  # debit items whose types allow overapplication
TYPES_PER_CLASS = 3  # per unit: one seeded (its id in every unit) and two of the unit's own
CASH, MISC = "CASH", "MISC"
APPLIED, UNAPPLIED, ON_ACCOUNT, UNIDENTIFIED = "APP", "UNAPP", "ACC", "UNID"
REVERSED = ("NSF", "REV", "STOP")  # receipt statuses of reversed receipts
INCOMPLETE = "PEN"
REAPPLIED_FRACTION = 0.1  # of cash applications, first applied to another invoice
WHOLE_CREDIT_FRACTION = 0.35  # of applied credit memos, crediting all the invoice's settled part
QUIET_RECEIPTS_PER_DAY = 2  # first receipts after a quiet year, per unit and gold day
ONE_RECEIPT_FRACTION = 0.5  # of transactions with two paid installments, paid by one receipt
T = TypeVar("T")
# the transaction dates golds compare (a schedule repeats its transaction's)
_TRX_DATES = {"RA_CUSTOMER_TRX_ALL": ("TRX_DATE",), "AR_PAYMENT_SCHEDULES_ALL": ("TRX_DATE",)}


@generates("RA_CUST_TRX_TYPES_ALL", needs=("GL_LEDGERS",))
def transaction_types(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """`TYPES_PER_CLASS` transaction types per class in every operating unit: a seeded one
    (variant 0) whose id is the same in every unit, and others of the unit's own. The table
    is keyed by (CUST_TRX_TYPE_ID, ORG_ID), as EBS's RA_CUST_TRX_TYPES_U1, and EBS seeds
    types with one id in many units: a join on the id alone (`t.org_id = rct.org_id`
    dropped) repeats the seeded types' transactions, `t.org_id <> rct.org_id` loses the
    others', and `t.cust_trx_type_id <> rct.cust_trx_type_id` repeats every transaction of
    a class filter (three types: each meets two others; two would give the same rows)."""
    col = ctx.column("RA_CUST_TRX_TYPES_ALL", "TYPE")
    classes = ctx.codes("RA_CUST_TRX_TYPES_ALL", "TYPE")
    meaning = ctx.catalog.lookups[col.lookup].codes if col is not None and col.lookup else {}
    ledger = ledger_of_operating_unit(ctx)
    units, c = len(ctx.operating_units), len(classes)
    org = np.tile(np.repeat(ctx.operating_units, c), TYPES_PER_CLASS)
    kind = np.tile(np.array(classes, dtype=object), TYPES_PER_CLASS * units)
    variant = np.repeat(np.arange(TYPES_PER_CLASS), c * units)
    ids = ctx.ids("RA_CUST_TRX_TYPES_ALL", "CUST_TRX_TYPE_ID",
                  c + (TYPES_PER_CLASS - 1) * c * units)
    n = len(kind)
    no_gl = kind == GUARANTEE  # guarantees are commitments, not accounting
    start = np.full(n, v.day(ctx.recipe.dates.start) - 3650 * v.DAY)
    name = [f"{meaning.get(k, k)[:13]} {o}-{x}" if x else meaning.get(k, k)
            for k, o, x in zip(kind, org, variant, strict=True)]
    return {"RA_CUST_TRX_TYPES_ALL": v.frame({
        "CUST_TRX_TYPE_ID": np.concatenate([np.tile(ids[:c], units), ids[c:]]),
        "NAME": np.array([x[:20] for x in name], dtype=object),
        "DESCRIPTION": np.array([f"{x} ({o})"[:80] for x, o in zip(name, org, strict=True)],
                                dtype=object),
        "TYPE": kind,
        "POST_TO_GL": np.where(no_gl, "N", "Y").astype(object),
        "ACCOUNTING_AFFECT_FLAG": np.where(no_gl, "N", "Y").astype(object),
        "START_DATE": start,
        "END_DATE": v.null_where(np.full(n, v.day(ctx.recipe.dates.end)), np.arange(n) != 0),
        "SET_OF_BOOKS_ID": np.array([ledger[o] for o in org]),
        "CREATION_DATE": start,
        "LAST_UPDATE_DATE": start,
        "ORG_ID": org,
        "x_variant": variant,
    })}


@generates("RA_CUSTOMER_TRX_ALL", "RA_CUSTOMER_TRX_LINES_ALL", "AR_PAYMENT_SCHEDULES_ALL",
           "AR_CASH_RECEIPTS_ALL", "AR_RECEIVABLE_APPLICATIONS_ALL",
           needs=("RA_CUST_TRX_TYPES_ALL", "HZ_CUST_SITE_USES_ALL", "MTL_SYSTEM_ITEMS_B",
                  "GL_LEDGERS", "GL_CODE_COMBINATIONS"))
def receivables(ctx: GenContext) -> dict[str, pd.DataFrame]:
    """Transactions with balanced lines, their schedules, the receipts and credit memos
    that settled them, and the applications linking both."""
    rng = ctx.rng("RA_CUSTOMER_TRX_ALL")
    trx, drafts = drafts_of_new_customers(ctx, _transactions(ctx, rng))
    schedules = _schedules(ctx, rng, trx)
    trx = _closed_when_paid(trx, schedules)
    _credit_memos(ctx, rng, trx, schedules)
    receipts, receipt_schedules, applications = _receipts(ctx, rng, trx, schedules)
    applications = _with_reversed_applications(ctx, applications, schedules)
    schedules = pd.concat([schedules, receipt_schedules], ignore_index=True)
    schedules["PAYMENT_SCHEDULE_ID"] = ctx.ids("AR_PAYMENT_SCHEDULES_ALL",
                                               "PAYMENT_SCHEDULE_ID", len(schedules))
    moved = applications["moved_back"].to_numpy(dtype=bool)
    linked = _link_applications(ctx, rng, applications[~moved].reset_index(drop=True),
                                schedules)
    # on-account cash moved back to unapplied: its pair draws from a stream of its own, so
    # every other application (and the lines after them) keeps its draws
    applications = pd.concat([linked, _link_applications(
        ctx, ctx.rng("AR_RECEIVABLE_APPLICATIONS_ALL:moved_back"),
        applications[moved].reset_index(drop=True), schedules,
        after=linked["RECEIVABLE_APPLICATION_ID"].to_numpy())], ignore_index=True)
    schedules = schedules.drop(columns=["x_row"])
    lines = _lines(ctx, rng, trx)
    lines = lines[~np.isin(lines["CUSTOMER_TRX_ID"].to_numpy(), drafts)].reset_index(drop=True)
    return {"RA_CUSTOMER_TRX_ALL": trx, "RA_CUSTOMER_TRX_LINES_ALL": lines,
            "AR_PAYMENT_SCHEDULES_ALL": schedules, "AR_CASH_RECEIPTS_ALL": receipts,
            "AR_RECEIVABLE_APPLICATIONS_ALL": applications}


def _transactions(ctx: GenContext, rng: np.random.Generator) -> pd.DataFrame:
    """Transactions: every class open and closed in every operating unit, plus incomplete
    and voided ones; billed to an active bill-to site use of the unit."""
    n = ctx.row_count("RA_CUSTOMER_TRX_ALL")
    classes = ctx.codes("RA_CUST_TRX_TYPES_ALL", "TYPE")
    org = v.cover(rng, n, ctx.operating_units).astype(np.int64)
    klass = v.cover(rng, n, classes, org, v.skewed(classes, 0.6, INVOICE_CLASS), repeat=2)
    status = v.cover(rng, n, [OPEN, CLOSED], _keys(org, klass),
                     [ctx.recipe.ar.open_fraction, 1 - ctx.recipe.ar.open_fraction])
    for unit, paid in closed_pairs(ctx.recipe, ctx.recipe.index_of(ctx.seed),
                                   ctx.operating_units):
        status[(org == unit) & (klass == paid)] = CLOSED
    # the remaining statuses (incomplete, void) once or twice per unit, as invoices
    others = [s for s in ctx.codes("RA_CUSTOMER_TRX_ALL", "STATUS_TRX") if s not in (OPEN,
                                                                                     CLOSED)]
    extra_org = np.repeat(ctx.operating_units, 2 * len(others))
    org = np.concatenate([org, extra_org])
    klass = np.concatenate([klass, np.full(len(extra_org), INVOICE_CLASS, dtype=object)])
    status = np.concatenate([status, np.tile(np.repeat(others, 2), len(ctx.operating_units))])
    n = len(org)
    types = ctx.frames["RA_CUST_TRX_TYPES_ALL"].set_index(["ORG_ID", "TYPE", "x_variant"])[
        "CUST_TRX_TYPE_ID"]
    # which of the class's types (seeded or the unit's own), each in every unit and class
    # the transactions allow (a stream of its own: no other value moves)
    variant = v.cover(ctx.rng("RA_CUSTOMER_TRX_ALL:types"), n, list(range(TYPES_PER_CLASS)),
                      _keys(org, klass)).astype(np.int64)
    uses = ctx.frames["HZ_CUST_SITE_USES_ALL"]
    # a second bill-to address of an account in a unit (tables_tca) is billed no transaction
    bill = uses[(uses["SITE_USE_CODE"] == BILL_TO) & (uses["STATUS"] == "A")
                & ~uses["x_second_bill_to"].to_numpy(dtype=bool)]
    bill_pos = np.empty(n, dtype=np.int64)
    for ou in ctx.operating_units:
        mine = np.flatnonzero(bill["ORG_ID"].to_numpy() == ou)
        rows = org == ou
        bill_pos[rows] = rng.choice(mine, int(rows.sum()))
    bill_to = bill.iloc[bill_pos]
    ship = uses[uses["SITE_USE_CODE"] == "SHIP_TO"].set_index("BILL_TO_SITE_USE_ID")
    ship_to = ship["SITE_USE_ID"].groupby(level=0).first().reindex(
        bill_to["SITE_USE_ID"].to_numpy()).to_numpy(dtype=float)
    currency = ctx.coded(rng, n, "RA_CUSTOMER_TRX_ALL", "INVOICE_CURRENCY_CODE", org,
                         share=1 - ctx.recipe.currencies.foreign_fraction,
                         main=ctx.recipe.currencies.functional)
    foreign = currency != ctx.recipe.currencies.functional
    rate = np.round(rate_to_functional(ctx, currency), 6)
    dates = _on_gold_days(ctx, ctx.dates(rng, n, org), org, klass, status, foreign)
    amount = v.money(rng, n, *ctx.recipe.ar.amount)
    amount[klass == CREDIT_MEMO] *= -1
    customer = bill_to["x_cust_account_id"].to_numpy()
    ledger = ledger_of_operating_unit(ctx)
    trx_id = ctx.ids("RA_CUSTOMER_TRX_ALL", "CUSTOMER_TRX_ID", n)
    batch_sources = ctx.ids("RA_CUSTOMER_TRX_ALL", "BATCH_SOURCE_ID", 3)
    number = np.array([str(30_000 + i) for i in rng.permutation(n)], dtype=object)
    batch = rng.choice(batch_sources, n)
    # another batch source's number (EBS's RA_CUSTOMER_TRX_U2 is number, source and unit)
    number = v.namesakes(ctx.rng("RA_CUSTOMER_TRX_ALL:namesakes"), number,
                         ctx.recipe.namesakes.transactions, apart=batch)
    return v.frame({
        "CUSTOMER_TRX_ID": trx_id,
        "TRX_NUMBER": number,
        "CUST_TRX_TYPE_ID": types.reindex(pd.MultiIndex.from_arrays([org, klass, variant])
                                          ).to_numpy(),
        "TRX_DATE": dates,
        "SET_OF_BOOKS_ID": np.array([ledger[o] for o in org]),
        "BATCH_SOURCE_ID": batch,
        "BILL_TO_CUSTOMER_ID": customer,
        "BILL_TO_SITE_USE_ID": bill_to["SITE_USE_ID"].to_numpy(),
        "SHIP_TO_CUSTOMER_ID": v.null_where(customer.astype(float), np.isnan(ship_to)),
        "SHIP_TO_SITE_USE_ID": ship_to,
        "SOLD_TO_CUSTOMER_ID": v.null_where(customer, rng.random(n) < 0.2),
        "PURCHASE_ORDER": v.null_where(np.array([f"PO-{x}" for x in rng.integers(
            1000, 99999, n)], dtype=object), rng.random(n) < 0.4),
        "INVOICE_CURRENCY_CODE": currency,
        "EXCHANGE_RATE_TYPE": v.null_where(np.full(n, "Corporate", dtype=object), ~foreign),
        "EXCHANGE_DATE": v.null_where(dates.astype("datetime64[D]").astype("datetime64[us]"),
                                      ~foreign),
        "EXCHANGE_RATE": v.null_where(rate, ~foreign),
        "COMPLETE_FLAG": np.where(status == INCOMPLETE, "N", "Y").astype(object),
        "STATUS_TRX": status,
        "PREVIOUS_CUSTOMER_TRX_ID": np.full(n, np.nan),
        "CREATION_DATE": dates,
        "LAST_UPDATE_DATE": dates,
        "ORG_ID": org,
        "x_class": klass,
        "x_amount": amount,
        "x_rate": np.where(foreign, rate, 1.0),
    })


def _dealt(recipe: Recipe, index: int | None, units: Sequence[int],
           choices: Sequence[T]) -> dict[int, T]:
    """unit -> what it takes on instance `index`: on each sparse instance
    (`sparse.instances`) every unit, sorted, takes the next of `choices` in turn (over the
    instances, then the units), so each choice lands on one; none on the other instances."""
    if index not in recipe.sparse.instances or not choices:
        return {}
    turn = recipe.sparse.instances.index(index) * len(units)
    return {u: choices[(turn + j) % len(choices)] for j, u in enumerate(sorted(units))}


def closed_pairs(recipe: Recipe, index: int | None,
                 units: Sequence[int]) -> set[tuple[int, str]]:
    """(unit, class) pairs whose every transaction is closed on instance `index`: the classes
    of `ar.closed_classes`, dealt in turn to the units of the sparse instances (`_dealt`).

    EBS keeps no class open in a unit: a transaction closes when its balance reaches zero
    (AR_PAYMENT_SCHEDULES_ALL: STATUS moves from OP to CL "for any transaction that has an
    AMOUNT_DUE_REMAINING value of 0", Oracle's table reference), so a unit whose customers
    paid every guarantee, chargeback or deposit has none open. A gold that drops its
    `STATUS = 'OP'` filter then shows the class with a zero total the gold does not list."""
    return set(_dealt(recipe, index, units, recipe.ar.closed_classes).items())


def paid_windows(recipe: Recipe, index: int | None, units: Sequence[int],
                 today: np.datetime64) -> dict[int, tuple[np.datetime64, np.datetime64]]:
    """unit -> [from, to): the aging window whose debit items the unit has all paid on
    instance `index`. The windows lie between consecutive `dates.aging_days` before
    SYSDATE's day (`today`), oldest first ([today - 90, today - 60), [today - 60, today - 30),
    ...), dealt in turn like `closed_pairs`."""
    ages = sorted(recipe.dates.aging_days, reverse=True)
    return _dealt(recipe, index, units,
                  [(today - a * v.DAY, today - b * v.DAY) for a, b in pairwise(ages)])


def _paid_aging_window(ctx: GenContext, due: np.ndarray, org: np.ndarray, klass: np.ndarray,
                       still_open: np.ndarray, remaining: np.ndarray, kept: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(still_open, remaining, due) with every open debit item due in its unit's paid window
    (`paid_windows`) closed at zero, so an aging bucket of the unit holds only closed items
    and a gold that drops `STATUS = 'OP'` shows it with a zero total. Receipts for the
    whole amount follow (`_receipts` pays what is no longer due). The open items other
    passes rely on (`kept`: overapplied, balanced customers', short payments) stay open and
    fall due on the window's last day + 1 instead (later than drawn, so never before their
    transaction). Collections clear an old bucket: nothing in EBS keeps one open."""
    windows = paid_windows(ctx.recipe, ctx.recipe.index_of(ctx.seed), ctx.operating_units,
                           v.day(ctx.today))
    still_open, remaining, due = still_open.copy(), remaining.copy(), due.copy()
    for unit, (start, end) in windows.items():
        inside = still_open & (org == unit) & (klass != CREDIT_MEMO) & (due >= start) & (
            due < end)
        due[inside & kept] = end
        shut = inside & ~kept
        still_open[shut] = False
        remaining[shut] = 0.0
    return still_open, remaining, due


def drafts_of_new_customers(ctx: GenContext,
                            trx: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(transactions, ids of the drafts): every incomplete transaction (STATUS_TRX
    `INCOMPLETE`) is a new customer's first invoice, saved before its lines were entered.

    Receivables saves a transaction's header as incomplete and takes its lines later; only
    completing it requires lines (Oracle Receivables User Guide, Entering Transactions: "you
    can save an incomplete transaction", completion checks that it has at least one line).
    Each draft is billed to an active bill-to site use of its unit whose customer party has
    no other transaction in the unit, where one is left (in turn, an own stream: no other
    value moves), and keeps no lines; so a join of transactions to their lines made LEFT
    keeps a customer whose total is NULL, not merely a transaction that adds nothing."""
    drafts = np.flatnonzero(trx["STATUS_TRX"].to_numpy() == INCOMPLETE)
    if not len(drafts):
        return trx, np.zeros(0, dtype=np.int64)
    rng = ctx.rng("RA_CUSTOMER_TRX_ALL:drafts")
    uses = ctx.frames["HZ_CUST_SITE_USES_ALL"]
    bill = uses[(uses["SITE_USE_CODE"] == BILL_TO) & (uses["STATUS"] == "A")
                & ~uses["x_second_bill_to"].to_numpy(dtype=bool)]
    party_of = ctx.frames["HZ_CUST_ACCOUNTS"].set_index("CUST_ACCOUNT_ID")["PARTY_ID"]
    bill_party = party_of.reindex(bill["x_cust_account_id"].to_numpy()).to_numpy()
    trx = trx.copy()
    org = trx["ORG_ID"].to_numpy()
    for row in drafts:
        others = np.ones(len(trx), dtype=bool)
        others[row] = False
        billed = party_of.reindex(trx["BILL_TO_CUSTOMER_ID"].to_numpy()[others & (
            org == org[row])]).to_numpy()
        free = np.flatnonzero((bill["ORG_ID"].to_numpy() == org[row])
                              & ~np.isin(bill_party, billed))
        if not len(free):
            continue
        use = bill.iloc[rng.choice(free)]
        trx.loc[row, "BILL_TO_CUSTOMER_ID"] = use["x_cust_account_id"]
        trx.loc[row, "BILL_TO_SITE_USE_ID"] = use["SITE_USE_ID"]
        trx.loc[row, ["SHIP_TO_CUSTOMER_ID", "SHIP_TO_SITE_USE_ID"]] = np.nan
        trx.loc[row, "SOLD_TO_CUSTOMER_ID"] = use["x_cust_account_id"]
    return trx, trx["CUSTOMER_TRX_ID"].to_numpy()[drafts]


def _on_gold_days(ctx: GenContext, dates: np.ndarray, org: np.ndarray, klass: np.ndarray,
                  status: np.ndarray, foreign: np.ndarray) -> np.ndarray:
    """`dates` with transactions on the days golds compare transaction dates with (c - 1, c,
    c + 1; beyond the span on the instances span_edges names), in every unit, invoices and
    other classes, open, closed and other statuses, functional and foreign currency in turn.
    Placed before schedules, receipts and applications derive from the date, so they follow
    it; calendar edges and the instants around SYSDATE keep their rows."""
    days = gold_days(ctx, _TRX_DATES)
    if not days:
        return dates
    fixed = np.isin(dates, np.array([*ctx.edges, *ctx.instants], dtype="datetime64[us]"))
    prefer = [(status == s) & (foreign == f) for s in (OPEN, CLOSED) for f in (False, True)]
    prefer.append(~np.isin(status, [OPEN, CLOSED]))
    return place_on_days(ctx.rng("RA_CUSTOMER_TRX_ALL:gold_days"), dates, days, org,
                         klass == INVOICE_CLASS, prefer, ~fixed)


def keep_windows_paid(ctx: GenContext, tables: dict[str, dict[str, np.ndarray]]) -> None:
    """After every other placement (in place): an open debit item a later pass dated into
    its unit's paid window (a targeted boundary day, a twin's copy) falls due on the
    window's last day + 1 instead, so the window still holds only closed items."""
    windows = paid_windows(ctx.recipe, ctx.recipe.index_of(ctx.seed), ctx.operating_units,
                           v.day(ctx.today))
    cols = tables["AR_PAYMENT_SCHEDULES_ALL"]
    due = cols["DUE_DATE"].astype("datetime64[us]")
    debit_open = (cols["STATUS"] == OPEN) & ~np.isin(cols["CLASS"], [CREDIT_MEMO,
                                                                      RECEIPT_CLASS])
    for unit, (start, end) in windows.items():
        due = np.where(debit_open & (cols["ORG_ID"] == unit) & (due >= start) & (due < end),
                       end, due)
    cols["DUE_DATE"] = due


def _closed_when_paid(trx: pd.DataFrame, schedules: pd.DataFrame) -> pd.DataFrame:
    """`trx` with STATUS_TRX closed where every schedule of an open transaction is closed
    (a paid aging window closes installments after the status was drawn)."""
    open_left = (schedules["STATUS"] == OPEN).groupby(schedules["x_row"]).any()
    paid = open_left.index[~open_left.to_numpy()]
    shut = np.zeros(len(trx), dtype=bool)
    shut[paid] = True
    shut &= trx["STATUS_TRX"].to_numpy() == OPEN
    if not shut.any():
        return trx
    trx = trx.copy()
    trx.loc[shut, "STATUS_TRX"] = CLOSED
    return trx


def _keys(*arrays: np.ndarray) -> np.ndarray:
    """One group label per row from several columns."""
    return np.array(["|".join(map(str, row)) for row in zip(*arrays, strict=True)])


def _schedules(ctx: GenContext, rng: np.random.Generator, trx: pd.DataFrame) -> pd.DataFrame:
    """Installments of open and closed transactions; an open one keeps a non-zero balance in
    its last installment, a closed one none."""
    ar = ctx.recipe.ar
    live = np.flatnonzero(trx["STATUS_TRX"].isin([OPEN, CLOSED]).to_numpy())
    klass = trx["x_class"].to_numpy()
    count = np.where((rng.random(len(live)) < ar.two_installment_fraction)
                     & (klass[live] != CREDIT_MEMO), 2, 1)
    row = np.repeat(live, count)
    nth = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    original = split(rng, trx["x_amount"].to_numpy()[row], row)
    is_open = trx["STATUS_TRX"].to_numpy()[row] == OPEN
    last = nth == count.repeat(count) - 1
    still_open = is_open & (last | (rng.random(len(row)) < 0.5))
    remaining = np.where(still_open, np.round(original * rng.uniform(0.2, 1.0, len(row)), 2), 0.0)
    remaining[still_open & (remaining == 0)] = original[still_open & (remaining == 0)]
    # some open installments nothing has been received for yet: no receipt applies to them
    # (an own stream: no other value moves)
    unpaid = still_open & (ctx.rng("AR_PAYMENT_SCHEDULES_ALL:unpaid").random(len(row))
                           < ar.unpaid_open_fraction)
    remaining[unpaid] = original[unpaid]
    remaining[klass[row] == CREDIT_MEMO] = np.where(still_open, original, 0.0)[
        klass[row] == CREDIT_MEMO]
    # a few open installments keep just above a constant golds compare the remaining amount
    # with (short_payments.py: `AMOUNT_DUE_REMAINING <> 0` vs `<> 1`); own stream
    balances = open_balances(ctx, "AR_PAYMENT_SCHEDULES_ALL", "AMOUNT_DUE_REMAINING")
    short, left = short_rows(ctx.rng("AR_PAYMENT_SCHEDULES_ALL:short"), still_open & (
        klass[row] != CREDIT_MEMO) & (original > max(balances, default=0) + 2),
        trx["ORG_ID"].to_numpy()[row], balances)
    remaining[short] = left
    # then overapplied items and balanced customers (not on the short rows above)
    is_short = np.zeros(len(row), dtype=bool)
    is_short[short] = True
    customer = trx["BILL_TO_CUSTOMER_ID"].to_numpy()[row]
    remaining, over, balanced = overapply(
        ctx.rng("AR_PAYMENT_SCHEDULES_ALL:overapplied"), ar, original, remaining,
        still_open & ~unpaid & ~is_short & np.isin(klass[row], OVERAPPLIABLE), still_open, klass[row],
        trx["ORG_ID"].to_numpy()[row], customer)
    trx_date = trx["TRX_DATE"].to_numpy()[row]
    days = np.array(ar.days_due)[rng.integers(0, len(ar.days_due), len(row))] * (nth + 1)
    due = v.place_edges(rng, trx_date + days * v.DAY, ctx.edges, trx["ORG_ID"].to_numpy()[row])
    still_open, remaining, due = _paid_aging_window(
        ctx, due, trx["ORG_ID"].to_numpy()[row], klass[row], still_open, remaining,
        over | balanced | is_short)
    # a transaction dated after the span (span_edges) closes no earlier than its own day
    closed_on = np.maximum(ctx.clip(trx_date + rng.integers(1, 120, len(row)) * v.DAY),
                           trx_date).astype("datetime64[D]").astype("datetime64[us]")
    take = {c: trx[c].to_numpy()[row] for c in ("CUSTOMER_TRX_ID", "CUST_TRX_TYPE_ID",
                                                "TRX_NUMBER", "INVOICE_CURRENCY_CODE",
                                                "EXCHANGE_RATE", "ORG_ID")}
    rate = trx["x_rate"].to_numpy()[row]
    return v.frame({
        **take,
        "DUE_DATE": due,
        "AMOUNT_DUE_ORIGINAL": original,
        "AMOUNT_DUE_REMAINING": remaining,
        "ACCTD_AMOUNT_DUE_REMAINING": np.round(remaining * rate, 2),
        "NUMBER_OF_DUE_DATES": count.repeat(count),
        "STATUS": np.where(still_open, OPEN, CLOSED).astype(object),
        "CLASS": klass[row],
        "CUSTOMER_ID": trx["BILL_TO_CUSTOMER_ID"].to_numpy()[row],
        "CUSTOMER_SITE_USE_ID": trx["BILL_TO_SITE_USE_ID"].to_numpy()[row],
        "CASH_RECEIPT_ID": np.full(len(row), np.nan),
        "TERMS_SEQUENCE_NUMBER": v.null_where((nth + 1).astype(float),
                                              klass[row] == CREDIT_MEMO),
        "TRX_DATE": trx_date,
        # in a period of the ledger: one dated outside the span posts to its first or last
        "GL_DATE": ctx.clip(trx_date).astype("datetime64[D]").astype("datetime64[us]"),
        "GL_DATE_CLOSED": np.where(still_open, ctx.open_end, closed_on),
        "ACTUAL_DATE_CLOSED": np.where(still_open, ctx.open_end, closed_on),
        "AMOUNT_APPLIED": np.full(len(row), np.nan),
        "AMOUNT_CREDITED": np.full(len(row), np.nan),
        "AMOUNT_ADJUSTED": np.full(len(row), np.nan),
        "AMOUNT_IN_DISPUTE": _disputes(ctx, rng, original, remaining, still_open, over,
                                       klass[row]),
        "DISCOUNT_TAKEN_EARNED": np.full(len(row), np.nan),
        "CREATION_DATE": trx_date,
        "LAST_UPDATE_DATE": np.where(still_open, trx_date, closed_on),
        "x_row": row,
        "x_rate": rate,
        "x_balanced": balanced,
    })


def _disputes(ctx: GenContext, rng: np.random.Generator, original: np.ndarray,
              remaining: np.ndarray, still_open: np.ndarray, over: np.ndarray,
              klass: np.ndarray) -> np.ndarray:
    """AMOUNT_IN_DISPUTE: half the balance of a tenth of the open items (none overapplied),
    and half the original amount of `ar.closed_dispute_fraction` of the closed debit items
    (an own stream: no other value moves). A receipt application updates AMOUNT_APPLIED,
    AMOUNT_DUE_REMAINING and STATUS (Oracle's AR_PAYMENT_SCHEDULES_ALL reference), and
    AMOUNT_IN_DISPUTE changes only when a dispute is changed (one AR_DISPUTE_HISTORY row
    each time): an item disputed and then paid in full closes with its dispute amount, so
    `NVL(AMOUNT_IN_DISPUTE, 0) <> 0` without `STATUS = 'OP'` also lists closed items."""
    disputed = v.null_where(np.round(remaining * 0.5, 2),
                            ~still_open | (rng.random(len(remaining)) < 0.9) | over)
    closed = (~still_open & (klass != CREDIT_MEMO)
              & (ctx.rng("AR_PAYMENT_SCHEDULES_ALL:closed_disputes").random(len(remaining))
                 < ctx.recipe.ar.closed_dispute_fraction))
    disputed[closed] = np.round(original[closed] * 0.5, 2)
    return disputed


def overapply(rng: np.random.Generator, ar: ArShape, original: np.ndarray,
              remaining: np.ndarray, candidates: np.ndarray, still_open: np.ndarray,
              klass: np.ndarray, org: np.ndarray,
              customer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open debit items receipts were applied to beyond their balance: (remaining, which
    schedules are overapplied, which belong to a balanced customer).

    A transaction type may allow overapplication (RA_CUST_TRX_TYPES_ALL's Allow
    Overapplication option); Receivables then applies what a receipt has left after the
    balance is zero to the item, "making the balance due negative" (Receivables
    Implementation Guide, Application Rule Sets: Overapplication rule), and the item stays
    open. So a share (`ar.overapplied_open_fraction`, at least one per unit and class of
    `OVERAPPLIABLE`) of the `candidates` (open, something received) is open with a negative
    remaining amount; the receipt that settled it is larger by as much (`_receipts` takes
    original - remaining), so remaining = original - applied - credited holds. Per unit,
    `ar.balanced_customers` customers paid their open items with one receipt applied to one
    of them (the largest): it is overapplied by the others' total, so the customer's open
    items net to exactly zero; their receipts leave nothing unapplied (`_receipts`).
    `rng` is an own stream: no other value of the instance moves."""
    n = len(original)
    over = candidates & (rng.random(n) < ar.overapplied_open_fraction)
    for unit in np.unique(org):
        for kind in OVERAPPLIABLE:
            pool = candidates & (org == unit) & (klass == kind)
            if ar.overapplied_open_fraction and pool.any() and not (over & pool).any():
                over[rng.choice(np.flatnonzero(pool))] = True
    remaining = remaining.copy()
    excess = np.maximum(np.round(original * rng.uniform(0.01, 0.25, n), 2), 0.01)
    remaining[over] = -excess[over]
    balanced = np.zeros(n, dtype=bool)
    for unit in np.unique(org):
        for _ in range(ar.balanced_customers):
            mine = still_open & (org == unit) & ~balanced
            counts = pd.Series(customer[mine]).value_counts()
            payers = [c for c in counts.index[counts >= 2]
                      if (candidates & (org == unit) & (customer == c)).any()]
            if not payers:
                break
            who = payers[int(rng.integers(len(payers)))]
            items = still_open & (org == unit) & (customer == who)
            own = np.flatnonzero(candidates & items)
            target = own[np.argmax(original[own])]
            rest = np.round(remaining[items].sum() - remaining[target], 2)
            if rest <= 0:
                continue  # the others are credits: nothing to overapply
            remaining[target] = -rest
            over[target] = True
            balanced |= (org == unit) & (customer == who)
    return remaining, over, balanced


def _credit_memos(ctx: GenContext, rng: np.random.Generator, trx: pd.DataFrame,
                  schedules: pd.DataFrame) -> None:
    """A closed credit memo was applied to a settled invoice of the same unit: its amount
    becomes part of what that invoice's schedule was credited (in place). A share of them
    (`WHOLE_CREDIT_FRACTION`) credit all that was settled, so the invoice has a credit memo
    application and no cash one: Receivables closes a debit item with a credit memo alone
    (an on-account credit memo applied to it, or "credit the entire invoice"; see
    docs/test-suite-data.md), and a NOT EXISTS over applications that drops
    `application_type = 'CASH'` loses it."""
    klass = schedules["CLASS"].to_numpy()
    settled = (schedules["AMOUNT_DUE_ORIGINAL"] - schedules["AMOUNT_DUE_REMAINING"]).to_numpy()
    credited = np.zeros(len(schedules))
    memos = np.flatnonzero((klass == CREDIT_MEMO) & (schedules["STATUS"] == CLOSED).to_numpy())
    free = (klass == INVOICE_CLASS) & (settled > 1)
    org = schedules["ORG_ID"].to_numpy()
    target_of = np.full(len(schedules), -1)
    # some memos credit all that was settled: the invoice is closed by the credit alone, no
    # receipt applies to it (an own stream: no other value moves)
    whole = (ctx.rng("AR_PAYMENT_SCHEDULES_ALL:whole_credit").random(len(memos))
             < WHOLE_CREDIT_FRACTION)
    for memo, credits_all in zip(memos, whole, strict=True):
        candidates = np.flatnonzero(free & (org == org[memo]))
        if not len(candidates):
            continue  # left as an unlinked (on-account) credit
        target = rng.choice(candidates)
        free[target] = False
        share = rng.uniform(0.2, 0.8)
        amount = -np.round(settled[target] * (1.0 if credits_all else share), 2)
        schedules.loc[memo, "AMOUNT_DUE_ORIGINAL"] = amount
        credited[target] = amount
        target_of[memo] = target
        row = schedules.at[memo, "x_row"]
        trx.loc[row, "x_amount"] = amount
        trx.loc[row, "PREVIOUS_CUSTOMER_TRX_ID"] = schedules.at[target, "CUSTOMER_TRX_ID"]
    schedules["AMOUNT_CREDITED"] = np.where(credited != 0, credited, np.nan)
    schedules["x_credit_target"] = target_of


def _receipts(ctx: GenContext, rng: np.random.Generator, trx: pd.DataFrame,
              schedules: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A receipt for the cash part of every settled schedule (some with a part left
    unapplied or on account), then per unit the unidentified, reversed and miscellaneous
    receipts, and enough miscellaneous receipts that every currency is received."""
    ar = ctx.recipe.ar
    original = schedules["AMOUNT_DUE_ORIGINAL"].to_numpy()
    cash = np.round(original - schedules["AMOUNT_DUE_REMAINING"].to_numpy()
                    + np.nan_to_num(schedules["AMOUNT_CREDITED"].to_numpy()), 2)
    paid = np.flatnonzero((schedules["CLASS"].to_numpy() != CREDIT_MEMO) & (cash > 0))
    schedules.loc[paid, "AMOUNT_APPLIED"] = cash[paid]
    org = schedules["ORG_ID"].to_numpy()[paid]
    leftover_kind = np.where(rng.random(len(paid)) < ar.unapplied_receipt_fraction,
                             rng.choice([UNAPPLIED, ON_ACCOUNT], len(paid)), "")
    # a balanced customer's open items net to zero: none of its receipts leaves a credit
    balanced = schedules["x_balanced"].to_numpy()[paid]
    leftover_kind[balanced] = ""
    for ou in ctx.operating_units:  # both kinds of leftover in every unit
        for pos, kind in zip(np.flatnonzero((org == ou) & ~balanced), (UNAPPLIED, ON_ACCOUNT),
                             strict=False):
            leftover_kind[pos] = kind
    leftover = np.where(leftover_kind != "", v.money(rng, len(paid), 10, 2_000), 0.0)
    moved_back = on_account_moved_back(ctx, org, leftover_kind)
    trx_date = schedules["TRX_DATE"].to_numpy()[paid]
    receipt_date = np.maximum(ctx.clip(trx_date + rng.integers(0, 90, len(paid)) * v.DAY),
                              trx_date)
    drawn_date = receipt_date.astype("datetime64[us]")
    receipt_date = _first_receipts_on_gold_days(
        ctx, receipt_date, trx_date, org, schedules["CUSTOMER_ID"].to_numpy()[paid],
        (schedules["STATUS"].to_numpy() == OPEN)[paid])
    applied = pd.DataFrame({
        "ORG_ID": org, "AMOUNT": np.round(cash[paid] + leftover, 2),
        "CURRENCY_CODE": schedules["INVOICE_CURRENCY_CODE"].to_numpy()[paid],
        "PAY_FROM_CUSTOMER": schedules["CUSTOMER_ID"].to_numpy()[paid].astype(float),
        "CUSTOMER_SITE_USE_ID": schedules["CUSTOMER_SITE_USE_ID"].to_numpy()[paid].astype(float),
        "RECEIPT_DATE": receipt_date, "TYPE": CASH,
        "STATUS": np.where((leftover_kind == UNAPPLIED) | moved_back, UNAPPLIED, APPLIED),
        "x_schedule": paid, "x_cash": cash[paid], "x_leftover": leftover,
        "x_leftover_kind": leftover_kind, "x_moved_back": moved_back,
    })
    applied["x_paid_by"] = one_receipt_for_installments(
        ctx.rng("AR_CASH_RECEIPTS_ALL:installments"),
        schedules["CUSTOMER_TRX_ID"].to_numpy()[paid], org,
        (leftover_kind == "") & (receipt_date == drawn_date))
    extras = _extra_receipts(ctx, rng, applied)
    receipts = pd.concat([applied, extras], ignore_index=True)
    receipts["x_paid_by"] = receipts["x_paid_by"].fillna(-1).astype(int)
    m = len(receipts)
    receipts["CASH_RECEIPT_ID"] = ctx.ids("AR_CASH_RECEIPTS_ALL", "CASH_RECEIPT_ID", m)
    receipts["x_rate"] = rate_to_functional(ctx, receipts["CURRENCY_CODE"].to_numpy())
    foreign = receipts["CURRENCY_CODE"].to_numpy() != ctx.recipe.currencies.functional
    ledger = ledger_of_operating_unit(ctx)
    methods = ctx.ids("AR_CASH_RECEIPTS_ALL", "RECEIPT_METHOD_ID", 3)
    dates = receipts["RECEIPT_DATE"].to_numpy().astype("datetime64[us]")
    reversed_ = receipts["STATUS"].isin(REVERSED).to_numpy()
    receipts_out = v.frame({
        "CASH_RECEIPT_ID": receipts["CASH_RECEIPT_ID"].to_numpy(),
        "RECEIPT_NUMBER": np.array([f"R{40_000 + i}" for i in rng.permutation(m)], dtype=object),
        "RECEIPT_DATE": dates,
        "AMOUNT": receipts["AMOUNT"].to_numpy(),
        "CURRENCY_CODE": receipts["CURRENCY_CODE"].to_numpy().astype(object),
        "SET_OF_BOOKS_ID": np.array([ledger[o] for o in receipts["ORG_ID"]]),
        "RECEIPT_METHOD_ID": rng.choice(methods, m),
        "STATUS": receipts["STATUS"].to_numpy().astype(object),
        "TYPE": receipts["TYPE"].to_numpy().astype(object),
        "PAY_FROM_CUSTOMER": receipts["PAY_FROM_CUSTOMER"].to_numpy(),
        "CUSTOMER_SITE_USE_ID": receipts["CUSTOMER_SITE_USE_ID"].to_numpy(),
        "DEPOSIT_DATE": v.null_where(dates.astype("datetime64[D]").astype("datetime64[us]")
                                     + v.DAY, rng.random(m) < 0.1),
        "EXCHANGE_RATE": v.null_where(np.round(receipts["x_rate"].to_numpy(), 6), ~foreign),
        "EXCHANGE_RATE_TYPE": v.null_where(np.full(m, "Corporate", dtype=object), ~foreign),
        "REVERSAL_DATE": v.null_where(ctx.clip(dates + 7 * v.DAY), ~reversed_),
        "REVERSAL_CATEGORY": v.null_where(receipts["STATUS"].to_numpy().astype(object),
                                          ~reversed_),
        "CREATION_DATE": dates,
        "LAST_UPDATE_DATE": dates,
        "ORG_ID": receipts["ORG_ID"].to_numpy().astype(np.int64),
    })
    receipts, receipts_out = _merge_receipts(receipts, receipts_out)
    return receipts_out, _receipt_schedules(ctx, receipts), _applications(receipts, schedules)


def on_account_moved_back(ctx: GenContext, org: np.ndarray,
                          leftover_kind: np.ndarray) -> np.ndarray:
    """Which receipts' on-account cash was moved back to unapplied: on the instances
    `sparse.instances` names, all of it in one operating unit (the i-th of them empties the
    i-th unit, in turn). Receivables unapplies an application by keeping it, not displayed,
    beside a reversing one (the superseded rows of `_with_reversed_applications`), and the
    cash is unapplied again; so the unit has on-account applications, none displayed, and a
    sum of its displayed on-account applications is NULL where one that drops
    `display = 'Y'` is 0. Nothing is drawn."""
    sparse = ctx.recipe.sparse.instances
    index = ctx.recipe.index_of(ctx.seed)
    if index not in sparse:
        return np.zeros(len(org), dtype=bool)
    unit = ctx.operating_units[sparse.index(index) % len(ctx.operating_units)]
    return (org == unit) & (leftover_kind == ON_ACCOUNT)


def one_receipt_for_installments(rng: np.random.Generator, trx_id: np.ndarray, org: np.ndarray,
                                 mergeable: np.ndarray) -> np.ndarray:
    """For receipts paying one installment each (rows, with the transaction and unit of the
    installment paid): the row whose receipt also pays this row's installment, or -1.

    A transaction with split payment terms has one schedule per installment, and a receipt
    is applied to each schedule it pays, one application per installment
    (AR_PAYMENT_SCHEDULES_ALL: one record per installment; AR_RECEIVABLE_APPLICATIONS_ALL:
    APPLIED_PAYMENT_SCHEDULE_ID is the schedule paid): a customer who pays both installments
    of an invoice at once has one receipt with two 'APP' applications to one transaction.
    For a share (`ONE_RECEIPT_FRACTION`, at least one per unit that has any) of the
    transactions with two paid installments, the second installment's receipt is merged into
    the first's. Only a `mergeable` receipt is merged away (one that leaves no unapplied or
    on-account part and was not moved to a gold day); `rng` is an own stream."""
    paid_by = np.full(len(trx_id), -1)
    first: dict[float, int] = {}
    pairs: list[tuple[int, int]] = []
    for row, trx in enumerate(trx_id):
        if trx in first:
            pairs.append((first.pop(trx), row))
        else:
            first[trx] = row
    pairs = [(a, b) for a, b in pairs if mergeable[b]]
    if not pairs:
        return paid_by
    pick = rng.random(len(pairs)) < ONE_RECEIPT_FRACTION
    unit = org[[b for _, b in pairs]]
    for ou in np.unique(unit):
        mine = np.flatnonzero(unit == ou)
        if not pick[mine].any():
            pick[rng.choice(mine)] = True
    for (keeper, merged), chosen in zip(pairs, pick, strict=True):
        if chosen:
            paid_by[merged] = keeper
    return paid_by


def _merge_receipts(receipts: pd.DataFrame,
                    receipts_out: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Receipts once those paid by another (`x_paid_by`) are merged into it: the keeper's
    amount and applied cash include theirs, and their installment's application is the
    keeper's (`x_receipt_of` names the receipt an application row belongs to). Every row was
    drawn before, so no other value moves."""
    receipts = receipts.copy()
    by = receipts["x_paid_by"].to_numpy()
    merged = by >= 0
    receipts["x_applied"] = receipts["x_cash"].to_numpy(dtype=float)
    receipts["x_receipt_of"] = np.where(merged, by, np.arange(len(receipts)))
    extra = receipts.loc[merged, ["AMOUNT", "x_cash"]].groupby(by[merged]).sum()
    keepers = extra.index.to_numpy()
    receipts.loc[keepers, "AMOUNT"] = np.round(
        receipts.loc[keepers, "AMOUNT"].to_numpy() + extra["AMOUNT"].to_numpy(), 2)
    receipts.loc[keepers, "x_applied"] = np.round(
        receipts.loc[keepers, "x_applied"].to_numpy() + extra["x_cash"].to_numpy(), 2)
    receipts_out = receipts_out.copy()
    receipts_out.loc[keepers, "AMOUNT"] = receipts.loc[keepers, "AMOUNT"].to_numpy()
    return receipts, receipts_out[~merged].reset_index(drop=True)


def _first_receipts_on_gold_days(ctx: GenContext, dates: np.ndarray, trx_date: np.ndarray,
                                 org: np.ndarray, customer: np.ndarray,
                                 partial: np.ndarray) -> np.ndarray:
    """`dates` of the receipts with, per unit and per day d golds compare receipt dates with
    (c - 1, c, c + 1, inside the span: a receipt's GL date is its day), a customer's first
    receipt after a quiet year on d: one receipt moved to d, of a customer with no receipt in
    the unit in the 366 days before d, so "no receipt in the year" anti-joins (NOT EXISTS
    ... `receipt_date < c`) meet a receipt on c and on c + 1. Only a part payment of a
    still-open schedule is moved (its schedule has no closing date a later receipt would
    contradict), never before its transaction's date, each receipt at most once."""
    span = ctx.recipe.dates
    days = [d for d in gold_days(ctx, {"AR_CASH_RECEIPTS_ALL": ("RECEIPT_DATE",)})
            if v.day(span.start) <= d <= v.day(span.end)]
    out = dates.astype("datetime64[us]").copy()
    movable = partial & ~np.isin(out, np.array([*ctx.edges, *ctx.instants],
                                               dtype="datetime64[us]"))
    rng = ctx.rng("AR_CASH_RECEIPTS_ALL:gold_days")
    for day in days:
        for unit in np.unique(org):
            mine = org == unit
            recent = mine & (out >= day - 366 * v.DAY) & (out < day)
            pool = movable & mine & (trx_date <= day) & ~np.isin(customer, customer[recent])
            # two customers where there are: a later pass (targeted rows, twins) that dates
            # another receipt of one of them inside its quiet year leaves the other
            for _ in range(QUIET_RECEIPTS_PER_DAY):
                if not pool.any():
                    break
                row = rng.choice(np.flatnonzero(pool))
                out[row] = day
                movable[row] = False
                pool &= customer != customer[row]
    return out


def _extra_receipts(ctx: GenContext, rng: np.random.Generator,
                    applied: pd.DataFrame) -> pd.DataFrame:
    statuses = ctx.codes("AR_CASH_RECEIPTS_ALL", "STATUS")
    special = [s for s in statuses if s not in (APPLIED, UNAPPLIED)]
    rows = []
    for ou in ctx.operating_units:
        mine = applied[applied["ORG_ID"] == ou]
        customers = mine[["PAY_FROM_CUSTOMER", "CUSTOMER_SITE_USE_ID"]].to_numpy()
        for status in special:
            unidentified = status == UNIDENTIFIED
            who = customers[rng.integers(len(customers))]
            rows.append((ou, status, CASH, ctx.recipe.currencies.functional,
                         np.nan if unidentified else who[0], np.nan if unidentified else who[1]))
        have = set(mine["CURRENCY_CODE"])
        for cur in ctx.codes("AR_CASH_RECEIPTS_ALL", "CURRENCY_CODE"):
            if cur not in have or cur == ctx.recipe.currencies.functional:
                rows.append((ou, APPLIED, MISC, cur, np.nan, np.nan))
    org, status, kind, cur, customer, site = map(np.array, zip(*rows, strict=True))
    n = len(rows)
    return pd.DataFrame({
        "ORG_ID": org.astype(np.int64), "AMOUNT": v.money(rng, n, 50, 20_000),
        "CURRENCY_CODE": cur, "PAY_FROM_CUSTOMER": customer.astype(float),
        "CUSTOMER_SITE_USE_ID": site.astype(float),
        "RECEIPT_DATE": ctx.dates(rng, n), "TYPE": kind, "STATUS": status,
        "x_schedule": -1, "x_cash": 0.0, "x_leftover": 0.0, "x_leftover_kind": "",
        "x_moved_back": False,
    })


def _receipt_schedules(ctx: GenContext, receipts: pd.DataFrame) -> pd.DataFrame:
    """The PMT schedule of every customer receipt: open with what is left unapplied, on
    account or unidentified (negative), closed once fully applied or reversed."""
    cash = receipts[(receipts["TYPE"] == CASH) & (receipts["x_paid_by"] < 0)]
    amount = cash["AMOUNT"].to_numpy()
    status = cash["STATUS"].to_numpy()
    left = np.where(status == UNIDENTIFIED, amount, cash["x_leftover"].to_numpy())
    left[np.isin(status, REVERSED)] = 0.0
    is_open = left != 0
    date = cash["RECEIPT_DATE"].to_numpy().astype("datetime64[us]")
    day = date.astype("datetime64[D]").astype("datetime64[us]")
    rate = cash["x_rate"].to_numpy()
    n = len(cash)
    return v.frame({
        "CUSTOMER_TRX_ID": np.full(n, np.nan),
        "CUST_TRX_TYPE_ID": np.full(n, np.nan),
        "TRX_NUMBER": np.full(n, None, dtype=object),
        "INVOICE_CURRENCY_CODE": cash["CURRENCY_CODE"].to_numpy().astype(object),
        "EXCHANGE_RATE": np.where(rate == 1, np.nan, rate),
        "ORG_ID": cash["ORG_ID"].to_numpy(),
        "DUE_DATE": date,
        "AMOUNT_DUE_ORIGINAL": -amount,
        "AMOUNT_DUE_REMAINING": -left,
        "ACCTD_AMOUNT_DUE_REMAINING": np.round(-left * rate, 2),
        "NUMBER_OF_DUE_DATES": np.ones(n, dtype=np.int64),
        "STATUS": np.where(is_open, OPEN, CLOSED).astype(object),
        "CLASS": np.full(n, RECEIPT_CLASS, dtype=object),
        "CUSTOMER_ID": cash["PAY_FROM_CUSTOMER"].to_numpy(),
        "CUSTOMER_SITE_USE_ID": cash["CUSTOMER_SITE_USE_ID"].to_numpy(),
        "CASH_RECEIPT_ID": cash["CASH_RECEIPT_ID"].to_numpy().astype(float),
        "TERMS_SEQUENCE_NUMBER": np.full(n, np.nan),
        "TRX_DATE": date,
        "GL_DATE": day,
        "GL_DATE_CLOSED": np.where(is_open, ctx.open_end, day),
        "ACTUAL_DATE_CLOSED": np.where(is_open, ctx.open_end, day),
        "AMOUNT_APPLIED": np.where(np.isin(status, REVERSED), np.nan,
                                   cash["x_applied"].to_numpy()),
        "AMOUNT_CREDITED": np.full(n, np.nan),
        "AMOUNT_ADJUSTED": np.full(n, np.nan),
        "AMOUNT_IN_DISPUTE": np.full(n, np.nan),
        "DISCOUNT_TAKEN_EARNED": np.full(n, np.nan),
        "CREATION_DATE": date,
        "LAST_UPDATE_DATE": date,
        "x_row": -1,
        "x_rate": rate,
        "x_receipt": cash.index.to_numpy(),
    })


def _applications(receipts: pd.DataFrame, schedules: pd.DataFrame) -> pd.DataFrame:
    """Receivable applications by source: cash applied to a schedule (by the receipt that
    paid it, `x_receipt_of`), the leftover as unapplied or on account, unidentified receipts,
    and credit memos applied to invoices."""
    cash = receipts[receipts["TYPE"] == CASH]
    parts = [
        pd.DataFrame({"receipt": cash.index[cash["x_schedule"] >= 0],
                      "target": cash.loc[cash["x_schedule"] >= 0, "x_schedule"],
                      "amount": cash.loc[cash["x_schedule"] >= 0, "x_cash"],
                      "status": APPLIED, "type": CASH}),
        pd.DataFrame({"receipt": cash.index[cash["x_leftover"] > 0], "target": -1,
                      "amount": cash.loc[cash["x_leftover"] > 0, "x_leftover"],
                      "status": np.where(cash.loc[cash["x_leftover"] > 0,
                                                  "x_moved_back"].to_numpy(dtype=bool),
                                         UNAPPLIED,
                                         cash.loc[cash["x_leftover"] > 0, "x_leftover_kind"]),
                      "type": CASH}),
        pd.DataFrame({"receipt": cash.index[cash["STATUS"] == UNIDENTIFIED], "target": -1,
                      "amount": cash.loc[cash["STATUS"] == UNIDENTIFIED, "AMOUNT"],
                      "status": UNIDENTIFIED, "type": CASH}),
    ]
    memos = np.flatnonzero(schedules["x_credit_target"].to_numpy() >= 0)
    parts.append(pd.DataFrame({
        "receipt": -1, "memo": memos,
        "target": schedules["x_credit_target"].to_numpy()[memos],
        "amount": -schedules["AMOUNT_DUE_ORIGINAL"].to_numpy()[memos],
        "status": APPLIED, "type": "CM"}))
    # on-account cash moved back to unapplied (`x_moved_back`): the leftover row above is
    # UNAPP now, and the on-account application and its reversal stay, both not displayed
    back = cash[cash["x_moved_back"].to_numpy(dtype=bool) & (cash["x_leftover"] > 0)]
    parts += [pd.DataFrame({"receipt": back.index, "target": -1,
                            "amount": sign * back["x_leftover"], "status": ON_ACCOUNT,
                            "type": CASH, "moved_back": True}) for sign in (1, -1)]
    out = pd.concat(parts, ignore_index=True)
    out["moved_back"] = out["moved_back"].fillna(False).astype(bool)
    out["memo"] = out["memo"].fillna(-1).astype(int)
    out["target"] = out["target"].astype(int)
    out["receipt"] = out["receipt"].astype(int)
    # an installment paid by another installment's receipt: its application is that one's
    own = out["receipt"].to_numpy() >= 0
    out.loc[own, "receipt"] = receipts["x_receipt_of"].to_numpy()[out.loc[own, "receipt"]]
    return out


def _with_reversed_applications(ctx: GenContext, apps: pd.DataFrame,
                                schedules: pd.DataFrame) -> pd.DataFrame:
    """Cash first applied to the wrong invoice, then unapplied: for a share of the cash
    applications (`REAPPLIED_FRACTION`, at least one per unit) an earlier application of the
    same amount to another paid invoice of the unit and its reversal (the negative amount),
    both DISPLAY 'N' as Receivables keeps an unapplied application beside the one that
    replaced it. They net to zero, so every balance stays; a count of the invoices a receipt
    was applied to that drops `display = 'Y'` counts the wrong invoice too. An own stream:
    no other value moves."""
    rng = ctx.rng("AR_RECEIVABLE_APPLICATIONS_ALL:reapplied")
    target = apps["target"].to_numpy()
    org = schedules["ORG_ID"].to_numpy()
    cash = np.flatnonzero((apps["type"].to_numpy() == CASH)
                          & (apps["status"].to_numpy() == APPLIED) & (target >= 0))
    pick = rng.random(len(cash)) < REAPPLIED_FRACTION
    for ou in ctx.operating_units:
        mine = np.flatnonzero(org[target[cash]] == ou)
        if len(mine) and not pick[mine].any():
            pick[mine[0]] = True
    paid = (schedules["CLASS"].to_numpy() == INVOICE_CLASS) & schedules[
        "AMOUNT_APPLIED"].notna().to_numpy()
    trx_id = schedules["CUSTOMER_TRX_ID"].to_numpy()
    rows = []
    for app in cash[pick]:
        right = target[app]
        wrong = np.flatnonzero(paid & (org == org[right]) & (trx_id != trx_id[right]))
        if not len(wrong):
            continue
        other = rng.choice(wrong)
        for sign in (1, -1):
            rows.append({"receipt": apps.at[app, "receipt"], "target": other, "memo": -1,
                         "amount": sign * apps.at[app, "amount"], "status": APPLIED,
                         "type": CASH, "reversed": True})
    out = pd.concat([apps.assign(reversed=apps["moved_back"]), pd.DataFrame(rows)],
                    ignore_index=True)
    out["moved_back"] = out["moved_back"].fillna(False).astype(bool)
    return out


def _link_applications(ctx: GenContext, rng: np.random.Generator, apps: pd.DataFrame,
                       schedules: pd.DataFrame,
                       after: np.ndarray | None = None) -> pd.DataFrame:
    """Applications as rows of AR_RECEIVABLE_APPLICATIONS_ALL, once schedules have ids (ids
    of their own block, or the next ones `after` those given)."""
    ps_id = schedules["PAYMENT_SCHEDULE_ID"].to_numpy()
    receipt_ps = pd.Series(np.arange(len(schedules)),
                           index=schedules["x_receipt"].fillna(-1).astype(int).to_numpy())
    receipt_ps = receipt_ps[receipt_ps.index >= 0]
    source = np.where(apps["receipt"] >= 0,
                      receipt_ps.reindex(apps["receipt"]).to_numpy(dtype=float),
                      apps["memo"].to_numpy().astype(float)).astype(int)
    target = apps["target"].to_numpy()
    has_target = target >= 0
    n = len(apps)
    ccids = ctx.frames["GL_CODE_COMBINATIONS"]
    postable = ccids[ccids["x_postable"] & (ccids["ACCOUNT_TYPE"] == "A")]
    date = np.maximum(schedules["TRX_DATE"].to_numpy()[source],
                      np.where(has_target, schedules["TRX_DATE"].to_numpy()[np.maximum(target, 0)],
                               schedules["TRX_DATE"].to_numpy()[source]))
    day = date.astype("datetime64[D]").astype("datetime64[us]")
    is_memo = apps["type"].to_numpy() == "CM"
    org = schedules["ORG_ID"].to_numpy()[source]
    ledger = ledger_of_operating_unit(ctx)
    amount = np.round(apps["amount"].to_numpy(dtype=float), 2)
    return v.frame({
        "RECEIVABLE_APPLICATION_ID": (
            ctx.ids("AR_RECEIVABLE_APPLICATIONS_ALL", "RECEIVABLE_APPLICATION_ID", n)
            if after is None else int(after.max(initial=0)) + 1 + np.arange(n)),
        "AMOUNT_APPLIED": amount,
        "ACCTD_AMOUNT_APPLIED_FROM": np.round(amount * schedules["x_rate"].to_numpy()[source], 2),
        "GL_DATE": day,
        "APPLY_DATE": day,
        "STATUS": apps["status"].to_numpy().astype(object),
        "APPLICATION_TYPE": apps["type"].to_numpy().astype(object),
        "DISPLAY": np.where((apps["status"].to_numpy() == UNAPPLIED)
                            | apps["reversed"].fillna(False).to_numpy(dtype=bool),
                            "N", "Y").astype(object),
        "PAYMENT_SCHEDULE_ID": ps_id[source],
        "CODE_COMBINATION_ID": rng.choice(postable["CODE_COMBINATION_ID"].to_numpy(), n),
        "SET_OF_BOOKS_ID": np.array([ledger[o] for o in org]),
        "CASH_RECEIPT_ID": v.null_where(schedules["CASH_RECEIPT_ID"].to_numpy()[source], is_memo),
        "CUSTOMER_TRX_ID": v.null_where(schedules["CUSTOMER_TRX_ID"].to_numpy()[source],
                                        ~is_memo),
        "APPLIED_CUSTOMER_TRX_ID": v.null_where(
            schedules["CUSTOMER_TRX_ID"].to_numpy()[np.maximum(target, 0)], ~has_target),
        "APPLIED_PAYMENT_SCHEDULE_ID": v.null_where(ps_id[np.maximum(target, 0)].astype(float),
                                                    ~has_target),
        "CREATION_DATE": date,
        "LAST_UPDATE_DATE": date,
        "ORG_ID": org,
    })


def _lines(ctx: GenContext, rng: np.random.Generator, trx: pd.DataFrame) -> pd.DataFrame:
    """Lines summing to each transaction's amount: item lines, then tax linked to the first
    item line, and freight or charges on some (all four types in every unit)."""
    codes = ctx.codes("RA_CUSTOMER_TRX_LINES_ALL", "LINE_TYPE")
    main, extras = codes[0], codes[1:]
    n = len(trx)
    low, high = ctx.recipe.ar.lines_per_transaction
    items_n = rng.integers(low, high + 1, n)
    has = {c: rng.random(n) < 0.5 for c in extras}
    for ou in ctx.operating_units:
        first = np.flatnonzero(trx["ORG_ID"].to_numpy() == ou)[0]
        for c in extras:
            has[c][first] = True
    total = trx["x_amount"].to_numpy()
    rows, kinds, amounts = [], [], []
    share = {c: 0.08 / (i + 1) for i, c in enumerate(extras)}
    for c in extras:
        idx = np.flatnonzero(has[c])
        rows.append(idx)
        kinds.append(np.full(len(idx), c, dtype=object))
        amounts.append(np.round(total[idx] * share[c], 2))
    extra_sum = np.zeros(n)
    for idx, amt in zip(rows, amounts, strict=True):
        np.add.at(extra_sum, idx, amt)
    item_rows = np.repeat(np.arange(n), items_n)
    item_amounts = split(rng, (total - extra_sum)[item_rows], item_rows)
    row = np.concatenate([item_rows, *rows])
    kind = np.concatenate([np.full(len(item_rows), main, dtype=object), *kinds])
    amount = np.concatenate([item_amounts, *amounts])
    order = np.lexsort((kind != main, row))
    row, kind, amount = row[order], kind[order], amount[order]
    m = len(row)
    number = pd.Series(row).groupby(row).cumcount().to_numpy()
    line_id = ctx.ids("RA_CUSTOMER_TRX_LINES_ALL", "CUSTOMER_TRX_LINE_ID", m)
    first_line = pd.Series(line_id[number == 0], index=row[number == 0])
    is_item = kind == main
    items = ctx.frames["MTL_SYSTEM_ITEMS_B"]
    with_item = is_item & (rng.random(m) < 0.8)
    pick = rng.integers(0, len(items), m)
    quantity = rng.integers(1, 50, m).astype(float)
    price = np.round(amount / quantity, 2)
    previous = trx["PREVIOUS_CUSTOMER_TRX_ID"].to_numpy()[row]
    previous_first = pd.Series(line_id[number == 0], index=trx["CUSTOMER_TRX_ID"].to_numpy()[
        row[number == 0]]).reindex(previous).to_numpy(dtype=float)
    is_memo = trx["x_class"].to_numpy()[row] == CREDIT_MEMO
    return v.frame({
        "CUSTOMER_TRX_LINE_ID": line_id,
        "CUSTOMER_TRX_ID": trx["CUSTOMER_TRX_ID"].to_numpy()[row],
        "LINE_NUMBER": number + 1,
        "LINE_TYPE": kind,
        "SET_OF_BOOKS_ID": trx["SET_OF_BOOKS_ID"].to_numpy()[row],
        "DESCRIPTION": np.where(with_item, items["DESCRIPTION"].to_numpy()[pick],
                                np.char.title(kind.astype(str))).astype(object),
        "INVENTORY_ITEM_ID": v.null_where(items["INVENTORY_ITEM_ID"].to_numpy()[pick],
                                          ~with_item),
        "WAREHOUSE_ID": v.null_where(items["ORGANIZATION_ID"].to_numpy()[pick], ~with_item),
        "QUANTITY_ORDERED": v.null_where(quantity, ~is_item | is_memo),
        "QUANTITY_INVOICED": v.null_where(quantity, ~is_item | is_memo),
        "QUANTITY_CREDITED": v.null_where(-quantity, ~is_item | ~is_memo),
        "UNIT_STANDARD_PRICE": v.null_where(np.abs(price), ~with_item),
        "UNIT_SELLING_PRICE": v.null_where(price, ~is_item),
        "UOM_CODE": v.null_where(items["PRIMARY_UOM_CODE"].to_numpy()[pick], ~with_item),
        "EXTENDED_AMOUNT": amount,
        "REVENUE_AMOUNT": v.null_where(amount, ~is_item),
        "LINK_TO_CUST_TRX_LINE_ID": v.null_where(first_line.reindex(row).to_numpy(dtype=float),
                                                 is_item),
        "PREVIOUS_CUSTOMER_TRX_LINE_ID": v.null_where(previous_first, ~is_memo),
        "SALES_ORDER": v.null_where(np.array([str(x) for x in rng.integers(60_000, 69_999, m)],
                                             dtype=object), ~is_item | (rng.random(m) < 0.5)),
        "CREATION_DATE": trx["CREATION_DATE"].to_numpy()[row],
        "LAST_UPDATE_DATE": trx["CREATION_DATE"].to_numpy()[row],
        "ORG_ID": trx["ORG_ID"].to_numpy()[row],
    })

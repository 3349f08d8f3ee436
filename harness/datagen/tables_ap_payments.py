"""Payables payments: checks and the invoice payments that link them to invoices.

What an installment was paid is split into one to three payments (several for some invoices
in every unit); payments of the same supplier, unit and currency share a check. Credit memos
are settled by refunds (negative checks). In every unit a voided check pays an invoice and
reverses the payment, so the invoice payments of an invoice always sum to AMOUNT_PAID. An
invoice's discount taken (DISCOUNT_AMOUNT_TAKEN) is its first payment's DISCOUNT_TAKEN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.tables_gl import period_names
from harness.datagen.tables_gl import split as split_amounts

REFUND, MANUAL = "R", "M"
VOIDED = "VOIDED"
CLEARED = ("CLEARED", "RECONCILED")
BATCH = "A"  # payments made by a payment process request have a checkrun name


def payments(ctx: GenContext, rng: np.random.Generator, head: pd.DataFrame,
             schedules: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The checks and invoice payments for the paid installments in `schedules`."""
    low, high = ctx.recipe.ap.payments_per_paid_invoice
    paid = schedules["x_paid"].to_numpy()
    sched = np.flatnonzero(paid != 0)
    count = rng.integers(low, high + 1, len(sched))
    org = schedules["ORG_ID"].to_numpy()[sched]
    for ou in ctx.operating_units:  # several payments for an invoice in every unit
        count[np.flatnonzero(org == ou)[:2]] = max(2, high)
    row = np.repeat(sched, count)
    amount = split_amounts(rng, paid[row], row)
    invoice = pd.Series(np.arange(len(head)), index=head["INVOICE_ID"].to_numpy())
    inv = invoice.reindex(schedules["INVOICE_ID"].to_numpy()[row]).to_numpy()
    nth = pd.Series(inv).groupby(inv).cumcount().to_numpy()
    pay = pd.DataFrame({"inv": inv, "PAYMENT_NUM": schedules["PAYMENT_NUM"].to_numpy()[row],
                        "AMOUNT": amount, "REVERSAL_FLAG": "N", "reverses": -1,
                        "void": False})
    # payments of one supplier site, unit, currency and sign share a check (never two of
    # the same invoice: the payment's rank within its invoice is part of the key)
    key = pd.DataFrame({
        "site": head["VENDOR_SITE_ID"].to_numpy()[inv],
        "org": head["ORG_ID"].to_numpy()[inv],
        "cur": head["INVOICE_CURRENCY_CODE"].to_numpy()[inv],
        "sign": np.sign(amount), "nth": nth, "batch": rng.integers(0, 3, len(inv)),
    })
    check_of = key.groupby(list(key.columns), sort=True).ngroup().to_numpy()
    voids = _voided(ctx, rng, head, schedules)
    check_of = np.concatenate([check_of, check_of.max() + 1 + np.arange(len(voids)) // 2])
    pay = pd.concat([pay, voids], ignore_index=True)
    checks = _checks(ctx, rng, head, pay, check_of)
    return checks, _invoice_payments(ctx, rng, head, pay, check_of, checks)


def _voided(ctx: GenContext, rng: np.random.Generator, head: pd.DataFrame,
            schedules: pd.DataFrame) -> pd.DataFrame:
    """In every unit, a payment on a positive invoice that was voided: the payment and its
    reversal (same check), which cancel out."""
    rows = []
    first_installment = schedules[schedules["PAYMENT_NUM"] == 1]
    positive = first_installment["INVOICE_ID"].isin(
        head.loc[(head["INVOICE_AMOUNT"] > 0) & ~head["x_cancelled"], "INVOICE_ID"])
    invoice = pd.Series(np.arange(len(head)), index=head["INVOICE_ID"].to_numpy())
    for ou in ctx.operating_units:
        mine = first_installment[positive & (first_installment["ORG_ID"] == ou)]
        chosen = invoice[mine["INVOICE_ID"].to_numpy()[rng.integers(len(mine))]]
        amount = float(np.round(head["INVOICE_AMOUNT"].to_numpy()[chosen] * 0.5, 2))
        rows.append((chosen, 1, amount, "Y", -1, True))
        rows.append((chosen, 1, -amount, "Y", -2, True))  # -2: reverses the row before it
    out = pd.DataFrame(rows, columns=["inv", "PAYMENT_NUM", "AMOUNT", "REVERSAL_FLAG",
                                      "reverses", "void"])
    return out


def _checks(ctx: GenContext, rng: np.random.Generator, head: pd.DataFrame, pay: pd.DataFrame,
            check_of: np.ndarray) -> pd.DataFrame:
    n = int(check_of.max()) + 1
    first = pd.Series(np.arange(len(pay))).groupby(check_of).first().to_numpy()
    inv = pay["inv"].to_numpy()[first]
    invoice_date = pd.Series(head["INVOICE_DATE"].to_numpy()[pay["inv"]]).groupby(
        check_of).max().to_numpy()
    amount = np.round(pd.Series(pay["AMOUNT"].to_numpy()).groupby(check_of).sum().to_numpy(), 2)
    void = pay["void"].to_numpy()[first]
    amount = np.where(void, np.abs(pay["AMOUNT"].to_numpy()[first]), amount)
    org = head["ORG_ID"].to_numpy()[inv]
    date = ctx.clip(invoice_date + rng.integers(1, 45, n) * v.DAY)
    date = v.place_edges(rng, date, ctx.edges, org)
    refund = amount < 0
    types = ctx.codes("AP_CHECKS_ALL", "PAYMENT_TYPE_FLAG")
    usual = [t for t in types if t != REFUND]
    kind = np.where(refund, REFUND, v.cover(rng, n, usual, org)).astype(object)
    kind[void] = MANUAL
    states = [s for s in ctx.codes("AP_CHECKS_ALL", "STATUS_LOOKUP_CODE") if s != VOIDED]
    status = np.where(void, VOIDED, v.cover(rng, n, states, org,
                                            v.skewed(states, 0.5, CLEARED[0]))).astype(object)
    cleared = np.isin(status, CLEARED)
    currency = head["INVOICE_CURRENCY_CODE"].to_numpy()[inv]
    rate = head["x_rate"].to_numpy()[inv]
    foreign = rate != 1
    vendor_names = ctx.frames["AP_SUPPLIERS"].set_index("VENDOR_ID")["VENDOR_NAME"]
    vendor = head["VENDOR_ID"].to_numpy()[inv]
    number = np.empty(n, dtype=np.int64)
    for ou in ctx.operating_units:  # check numbers run per unit, in date order
        mine = np.flatnonzero(org == ou)
        number[mine[np.argsort(date[mine], kind="stable")]] = 100_001 + np.arange(len(mine))
    return v.frame({
        "CHECK_ID": ctx.ids("AP_CHECKS_ALL", "CHECK_ID", n),
        "AMOUNT": amount,
        "BANK_ACCOUNT_NAME": v.pick(rng, ctx.codes("AP_CHECKS_ALL", "BANK_ACCOUNT_NAME"), n),
        "CHECK_DATE": date,
        "CHECK_NUMBER": number,
        "CURRENCY_CODE": currency,
        "PAYMENT_TYPE_FLAG": kind,
        "PAYMENT_METHOD_CODE": head["PAYMENT_METHOD_CODE"].to_numpy()[inv],
        "VENDOR_ID": vendor,
        "VENDOR_SITE_ID": head["VENDOR_SITE_ID"].to_numpy()[inv],
        "VENDOR_NAME": vendor_names.reindex(vendor).to_numpy(),
        "VENDOR_SITE_CODE": head["x_vendor_site_code"].to_numpy()[inv],
        "STATUS_LOOKUP_CODE": status,
        "CLEARED_AMOUNT": v.null_where(amount, ~cleared),
        "CLEARED_DATE": v.null_where(ctx.clip(date + rng.integers(1, 15, n) * v.DAY), ~cleared),
        "VOID_DATE": v.null_where(ctx.clip(date + 3 * v.DAY), ~void),
        "CHECKRUN_NAME": v.null_where(np.array([f"PPR {d:%Y-%m-%d}" for d in date.astype(
            "datetime64[D]").astype(object)], dtype=object), kind != BATCH),
        "EXCHANGE_RATE": v.null_where(rate, ~foreign),
        "BASE_AMOUNT": v.null_where(np.round(amount * rate, 2), ~foreign),
        "PARTY_ID": head["PARTY_ID"].to_numpy()[inv],
        "CREATION_DATE": date,
        "LAST_UPDATE_DATE": date,
        "ORG_ID": org,
        "x_rate": rate,
    })


def _invoice_payments(ctx: GenContext, rng: np.random.Generator, head: pd.DataFrame,
                      pay: pd.DataFrame, check_of: np.ndarray,
                      checks: pd.DataFrame) -> pd.DataFrame:
    n = len(pay)
    inv = pay["inv"].to_numpy()
    ids = ctx.ids("AP_INVOICE_PAYMENTS_ALL", "INVOICE_PAYMENT_ID", n)
    reverses = pay["reverses"].to_numpy()
    reversed_id = np.where(reverses == -2, np.roll(ids, 1), np.nan)
    date = checks["CHECK_DATE"].to_numpy()[check_of]
    day = date.astype("datetime64[D]").astype("datetime64[us]")
    org = head["ORG_ID"].to_numpy()[inv]
    rate = head["x_rate"].to_numpy()[inv]
    amount = pay["AMOUNT"].to_numpy()
    foreign = rate != 1
    flag = pay["REVERSAL_FLAG"].to_numpy().astype(object)
    flag = v.with_nulls(rng, flag, 0.2, np.flatnonzero(flag == "Y"))
    # the invoice's discount taken goes with its first payment (not a voided one)
    live = ~pay["void"].to_numpy()
    first = live & ~pd.Series(np.where(live, inv, -1)).duplicated().to_numpy()
    taken = head["DISCOUNT_AMOUNT_TAKEN"].to_numpy(dtype=float)[inv]
    discount = np.where(first & ~np.isnan(taken), taken, 0.0)
    return v.frame({
        "INVOICE_PAYMENT_ID": ids,
        "ACCOUNTING_DATE": day,
        "AMOUNT": amount,
        "CHECK_ID": checks["CHECK_ID"].to_numpy()[check_of],
        "INVOICE_ID": head["INVOICE_ID"].to_numpy()[inv],
        "PAYMENT_NUM": pay["PAYMENT_NUM"].to_numpy(),
        "PERIOD_NAME": period_names(day),
        "POSTED_FLAG": ctx.coded(rng, n, "AP_INVOICE_PAYMENTS_ALL", "POSTED_FLAG", org,
                                 share=0.8, main="Y"),
        "SET_OF_BOOKS_ID": head["SET_OF_BOOKS_ID"].to_numpy()[inv],
        "DISCOUNT_TAKEN": v.null_where(discount, (rng.random(n) < 0.5) & (discount == 0)),
        "INVOICE_BASE_AMOUNT": v.null_where(np.round(amount * rate, 2), ~foreign),
        "PAYMENT_BASE_AMOUNT": v.null_where(np.round(amount * rate, 2), ~foreign),
        "REVERSAL_FLAG": flag,
        "REVERSAL_INV_PMT_ID": reversed_id,
        "CREATION_DATE": date,
        "LAST_UPDATE_DATE": date,
        "ORG_ID": org,
    })

"""Document levers: a frozen amount moved together with every amount that sums to it, so a
group total (group_totals.py) can land on a HAVING threshold where the summed column is frozen.

Group totals move one free column of one row. The amounts golds most often total in a HAVING
are frozen (recipe `targeted.frozen`): an AP invoice's amount is what its lines, its
distributions and its installments sum to, an AR installment's remaining amount is its
original amount less what receipts applied and credit memos credited, and its transaction's
lines sum to the original amounts. A *document lever* moves such an amount by d together with
one row of each kind that sums to it, by the same d, as if the document had been entered for
d more or less. The sums kept are the facts tests/datagen/facts.py checks and EBS keeps:
Payables validation holds an invoice whose lines do not total its amount (Line Variance) or
whose distributions do not total a line (Dist Variance; Oracle Payables User Guide 12.1,
*Summary of Invoice Hold Names*), and its scheduled payments share the amount; Receivables
keeps debit items positive in AMOUNT_DUE_ORIGINAL and AMOUNT_DUE_REMAINING and closes an item
whose remaining amount is 0 (AR_PAYMENT_SCHEDULES_ALL table description):

- `AP_INVOICES_ALL.INVOICE_AMOUNT`: an uncancelled standard invoice in the ledger currency
  (BASE_AMOUNT empty), unpaid or partly paid, moves with its first ITEM line (AMOUNT, then
  UNIT_PRICE from its quantity), that line's first distribution (AMOUNT; every distribution of
  the line takes the line's UNIT_PRICE) and one open installment (GROSS_AMOUNT and
  AMOUNT_REMAINING: what was paid on it stays). Payments and checks do not change.
- `AR_PAYMENT_SCHEDULES_ALL.AMOUNT_DUE_REMAINING`: an open invoice or debit memo installment in
  the ledger currency with a positive balance moves AMOUNT_DUE_ORIGINAL, ACCTD_AMOUNT_DUE_
  REMAINING and AMOUNT_IN_DISPUTE (half the balance where set) with it, and its transaction's
  first line (EXTENDED_AMOUNT, REVENUE_AMOUNT, the unit prices from its quantity). Receipts,
  applications and credits do not change.

A move is refused (the caller tries another row) where it would break a data fact or undo
another pass: every moved amount keeps its sign and stays non-zero, a partly paid invoice
stays above what was paid, an invoice stays below its unit's top amount (the top is a tie the
facts require), a short payment's balance (short_payments.py) and a customer whose open items
net to zero stay as they are, and no row of a twin (twins.py) moves.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np

from harness.datagen.context import GenContext
from harness.datagen.generic import is_null
from harness.datagen.short_payments import open_balances

Tables = dict[str, dict[str, np.ndarray]]
Protected = dict[str, set[int]]
# moves the lever at a row by a delta with its companions; False when that row cannot move
Mover = Callable[[GenContext, Tables, int, Decimal, Protected], bool]

_CENT = Decimal("0.01")


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(_CENT)


def _set(tables: Tables, table: str, column: str, pos: int, value: object) -> None:
    """Write one cell into a copy of the column (arrays may be shared with other frames)."""
    data = tables[table][column].copy()
    data[pos] = value
    tables[table][column] = data


def _rows(tables: Tables, table: str, column: str, value: object) -> np.ndarray:
    return np.flatnonzero(tables[table][column] == value)


def _same_sign(old: Decimal, new: Decimal) -> bool:
    return new != 0 and (old > 0) == (new > 0)


def _unit_price(amount: Decimal, quantity: object) -> float:
    return float((amount / Decimal(str(quantity))).quantize(_CENT))


def move_invoice_amount(ctx: GenContext, tables: Tables, pos: int, delta: Decimal,
                        protected: Protected) -> bool:
    """AP_INVOICES_ALL.INVOICE_AMOUNT at row `pos` by `delta` (module docstring)."""
    inv = tables["AP_INVOICES_ALL"]
    if (inv["INVOICE_TYPE_LOOKUP_CODE"][pos] != "STANDARD" or not is_null(
            inv["CANCELLED_DATE"][pos:pos + 1])[0] or not is_null(inv["BASE_AMOUNT"][pos:pos + 1])[0]
            or inv["PAYMENT_STATUS_FLAG"][pos] not in ("N", "P")
            or pos in protected.get("AP_INVOICES_ALL", ())):
        return False
    amount = _money(inv["INVOICE_AMOUNT"][pos])
    new = amount + delta
    paid = inv["AMOUNT_PAID"][pos]
    paid = Decimal(0) if is_null(inv["AMOUNT_PAID"][pos:pos + 1])[0] else _money(paid)
    same_unit = inv["ORG_ID"] == inv["ORG_ID"][pos]
    top = Decimal(str(np.nanmax(inv["INVOICE_AMOUNT"][same_unit].astype(float))))
    if not (_same_sign(amount, new) and new > paid and max(amount, new) < top):
        return False
    invoice = inv["INVOICE_ID"][pos]
    line = _first(tables, "AP_INVOICE_LINES_ALL", "INVOICE_ID", invoice, protected,
                  lambda t, r: t["LINE_TYPE_LOOKUP_CODE"][r] == "ITEM"
                  and is_null(t["BASE_AMOUNT"][r:r + 1])[0]
                  and _same_sign(_money(t["AMOUNT"][r]), _money(t["AMOUNT"][r]) + delta))
    if line is None:
        return False
    lines = tables["AP_INVOICE_LINES_ALL"]
    number = lines["LINE_NUMBER"][line]
    dists = tables["AP_INVOICE_DISTRIBUTIONS_ALL"]
    of_line = [int(r) for r in _rows(tables, "AP_INVOICE_DISTRIBUTIONS_ALL", "INVOICE_ID", invoice)
               if dists["INVOICE_LINE_NUMBER"][r] == number]
    dist = next((r for r in of_line if _same_sign(_money(dists["AMOUNT"][r]),
                                                  _money(dists["AMOUNT"][r]) + delta)), None)
    schedule = _first(tables, "AP_PAYMENT_SCHEDULES_ALL", "INVOICE_ID", invoice, protected,
                      lambda t, r: _moves_remaining(t, r, delta, open_balances(
                          ctx, "AP_PAYMENT_SCHEDULES_ALL", "AMOUNT_REMAINING")))
    if (dist is None or schedule is None or any(r in protected.get(
            "AP_INVOICE_DISTRIBUTIONS_ALL", ()) for r in of_line)):
        return False
    _set(tables, "AP_INVOICES_ALL", "INVOICE_AMOUNT", pos, float(new))
    line_amount = _money(lines["AMOUNT"][line]) + delta
    _set(tables, "AP_INVOICE_LINES_ALL", "AMOUNT", line, float(line_amount))
    if not is_null(lines["QUANTITY_INVOICED"][line:line + 1])[0]:
        price = _unit_price(line_amount, lines["QUANTITY_INVOICED"][line])
        _set(tables, "AP_INVOICE_LINES_ALL", "UNIT_PRICE", line, price)
        for r in of_line:
            _set(tables, "AP_INVOICE_DISTRIBUTIONS_ALL", "UNIT_PRICE", r, price)
    _set(tables, "AP_INVOICE_DISTRIBUTIONS_ALL", "AMOUNT", dist,
         float(_money(dists["AMOUNT"][dist]) + delta))
    sched = tables["AP_PAYMENT_SCHEDULES_ALL"]
    for column in ("GROSS_AMOUNT", "AMOUNT_REMAINING"):
        _set(tables, "AP_PAYMENT_SCHEDULES_ALL", column, schedule,
             float(_money(sched[column][schedule]) + delta))
    return True


def _moves_remaining(sched: dict[str, np.ndarray], row: int, delta: Decimal,
                     kept: list[float]) -> bool:
    """Whether an AP installment's gross and remaining amounts may both move by `delta`:
    open, not a short payment's kept balance, neither amount crossing zero."""
    remaining, gross = _money(sched["AMOUNT_REMAINING"][row]), _money(sched["GROSS_AMOUNT"][row])
    return (remaining != 0 and float(remaining) not in kept
            and _same_sign(remaining, remaining + delta) and _same_sign(gross, gross + delta))


def move_remaining_due(ctx: GenContext, tables: Tables, pos: int, delta: Decimal,
                       protected: Protected) -> bool:
    """AR_PAYMENT_SCHEDULES_ALL.AMOUNT_DUE_REMAINING at row `pos` by `delta` (module
    docstring)."""
    ps = tables["AR_PAYMENT_SCHEDULES_ALL"]
    remaining = _money(ps["AMOUNT_DUE_REMAINING"][pos])
    new = remaining + delta
    if (ps["STATUS"][pos] != "OP" or ps["CLASS"][pos] not in ("INV", "DM") or remaining <= 0
            or new <= 0 or not is_null(ps["EXCHANGE_RATE"][pos:pos + 1])[0]
            or is_null(ps["CUSTOMER_TRX_ID"][pos:pos + 1])[0]
            or float(remaining) in open_balances(ctx, "AR_PAYMENT_SCHEDULES_ALL",
                                                 "AMOUNT_DUE_REMAINING")
            or pos in protected.get("AR_PAYMENT_SCHEDULES_ALL", ())
            or _nets_to_zero(ps, pos)):
        return False
    trx = ps["CUSTOMER_TRX_ID"][pos]
    if any(r in protected.get("RA_CUSTOMER_TRX_ALL", ())
           for r in _rows(tables, "RA_CUSTOMER_TRX_ALL", "CUSTOMER_TRX_ID", trx)):
        return False
    line = _first(tables, "RA_CUSTOMER_TRX_LINES_ALL", "CUSTOMER_TRX_ID", trx, protected,
                  lambda t, r: t["LINE_NUMBER"][r] == 1 and _same_sign(
                      _money(t["EXTENDED_AMOUNT"][r]), _money(t["EXTENDED_AMOUNT"][r]) + delta))
    if line is None:
        return False
    for column in ("AMOUNT_DUE_REMAINING", "AMOUNT_DUE_ORIGINAL", "ACCTD_AMOUNT_DUE_REMAINING"):
        _set(tables, "AR_PAYMENT_SCHEDULES_ALL", column, pos,
             float(_money(ps[column][pos]) + delta))
    if not is_null(ps["AMOUNT_IN_DISPUTE"][pos:pos + 1])[0]:
        _set(tables, "AR_PAYMENT_SCHEDULES_ALL", "AMOUNT_IN_DISPUTE", pos,
             float((new * Decimal("0.5")).quantize(_CENT)))
    lines = tables["RA_CUSTOMER_TRX_LINES_ALL"]
    amount = _money(lines["EXTENDED_AMOUNT"][line]) + delta
    _set(tables, "RA_CUSTOMER_TRX_LINES_ALL", "EXTENDED_AMOUNT", line, float(amount))
    if not is_null(lines["REVENUE_AMOUNT"][line:line + 1])[0]:
        _set(tables, "RA_CUSTOMER_TRX_LINES_ALL", "REVENUE_AMOUNT", line, float(amount))
    quantity = lines["QUANTITY_INVOICED"][line]
    if not is_null(lines["QUANTITY_INVOICED"][line:line + 1])[0] and quantity:
        price = _unit_price(amount, quantity)
        if not is_null(lines["UNIT_SELLING_PRICE"][line:line + 1])[0]:
            _set(tables, "RA_CUSTOMER_TRX_LINES_ALL", "UNIT_SELLING_PRICE", line, price)
        if not is_null(lines["UNIT_STANDARD_PRICE"][line:line + 1])[0]:
            _set(tables, "RA_CUSTOMER_TRX_LINES_ALL", "UNIT_STANDARD_PRICE", line, abs(price))
    return True


def _nets_to_zero(ps: dict[str, np.ndarray], pos: int) -> bool:
    """Whether the installment's customer's open items in its unit net to zero (a fact)."""
    mine = ((ps["CUSTOMER_ID"] == ps["CUSTOMER_ID"][pos]) & (ps["ORG_ID"] == ps["ORG_ID"][pos])
            & (ps["STATUS"] == "OP"))
    return abs(float(np.nansum(ps["AMOUNT_DUE_REMAINING"][mine].astype(float)))) < 0.005


def _first(tables: Tables, table: str, column: str, value: object, protected: Protected,
           fits: Callable[[dict[str, np.ndarray], int], bool]) -> int | None:
    """The first row of `table` whose `column` is `value` and that `fits`; None when a row of
    that document is a twin's (a twin stays an exact copy) or none fits."""
    rows = [int(r) for r in _rows(tables, table, column, value)]
    if any(r in protected.get(table, ()) for r in rows):
        return None
    cols = tables[table]
    return next((r for r in rows if fits(cols, r)), None)


LEVERS: dict[tuple[str, str], Mover] = {
    ("AP_INVOICES_ALL", "INVOICE_AMOUNT"): move_invoice_amount,
    ("AR_PAYMENT_SCHEDULES_ALL", "AMOUNT_DUE_REMAINING"): move_remaining_due,
}

"""Short payments: a few open installments keep a balance just above a constant the golds
compare the remaining amount with (c + 0.50 and c + 1), as when a payment falls short by cents.

Targeted rows (targeted.py) put single values on every gold constant, but never on a frozen
column, and the remaining amounts of payables and receivables schedules are frozen: an
invoice's payments (AP) and a schedule's applications (AR) sum to what is no longer open. So
`AMOUNT_REMAINING > 0` and `> 1`, or `AMOUNT_DUE_REMAINING <> 0` and `<> 1`, returned the same
rows on every instance (random balances are hundreds). The generators that make those
amounts call `short_rows` to choose, per organization, rows that pay all but such a balance,
and derive every other amount from it as they do for any payment, so the facts hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.datagen import values as v
from harness.datagen.context import GenContext
from harness.datagen.targeted import recipe_targets

OFFSETS = (0.5, 1.0)  # balances left open above each constant c: c + 0.50, c + 1
ROWS_PER_BALANCE = 3  # rows of an organization left with each balance


def open_balances(ctx: GenContext, table: str, column: str) -> list[float]:
    """c + 0.50 and c + 1 for every number c ≥ 0 a gold compares `table.column` with,
    sorted; none when the recipe places no targeted rows."""
    shape = ctx.recipe.targeted
    if not shape.rows_per_value:
        return []
    constants = {float(t.value) for t in recipe_targets(ctx.catalog, shape.paths())
                 if (t.table, t.column) == (table, column) and isinstance(t.value, float)
                 and t.value >= 0}
    return sorted({round(c + o, 2) for c in constants for o in OFFSETS})


def short_rows(rng: np.random.Generator, eligible: np.ndarray, groups: np.ndarray | None,
               balances: Sequence[float],
               per_balance: int = ROWS_PER_BALANCE) -> tuple[np.ndarray, np.ndarray]:
    """Positions and the balance each keeps open: per group and per balance, up to
    `per_balance` distinct rows among `eligible` (a mask), none chosen twice."""
    positions, kept = [], []
    for pos in v.group_positions(groups, len(eligible)):
        free = list(rng.permutation(pos[eligible[pos]]))
        for balance in balances:
            take, free = free[:per_balance], free[per_balance:]
            positions += take
            kept += [balance] * len(take)
    return np.array(positions, dtype=np.int64), np.array(kept, dtype=float)

"""Overapplied receivables: open debit items with a negative remaining amount, and customers
whose open items net to zero (harness/datagen/tables_ar.overapply; docs/test-suite-data.md,
"Signs of remaining amounts")."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.tables_ar import OVERAPPLIABLE, overapply

CLASSES = np.array(["INV", "DM", "CM", "CB"], dtype=object)


@given(n=st.integers(2, 150), seed=st.integers(0, 2**16), units=st.integers(1, 3),
       customers=st.integers(1, 8), fraction=st.sampled_from([0.0, 0.05, 0.5]),
       balanced=st.integers(0, 2))
def test_overapply_makes_open_debit_items_negative_and_balances_customers(
        recipe, n, seed, units, customers, fraction, balanced):
    rng = np.random.default_rng(seed)
    ar = recipe.ar.model_copy(update={"overapplied_open_fraction": fraction,
                                      "balanced_customers": balanced})
    original = np.round(rng.uniform(40, 5_000, n), 2)
    klass = CLASSES[rng.integers(0, len(CLASSES), n)]
    original[klass == "CM"] *= -1
    still_open = rng.random(n) < 0.6
    remaining = np.where(still_open, np.round(original * rng.uniform(0.2, 1.0, n), 2), 0.0)
    candidates = still_open & np.isin(klass, OVERAPPLIABLE) & (rng.random(n) < 0.8)
    org, customer = rng.integers(0, units, n), rng.integers(0, customers, n)
    out, over, bal = overapply(np.random.default_rng(seed + 1), ar, original, remaining,
                               candidates, still_open, klass, org, customer)
    assert not (over & ~candidates).any()  # only open debit items something was received for
    assert (out[over] < 0).all()
    assert np.array_equal(out[~over], remaining[~over])
    if fraction:  # every unit and class that has a candidate has an overapplied item
        for u in np.unique(org):
            for k in OVERAPPLIABLE:
                pool = candidates & (org == u) & (klass == k)
                assert not pool.any() or (over & pool).any()
    for u in np.unique(org):  # a balanced customer's open items net to exactly zero
        for c in np.unique(customer[bal & (org == u)]):
            items = still_open & (org == u) & (customer == c)
            assert items.sum() >= 2
            assert abs(round(float(out[items].sum()), 2)) == 0
    assert len({(o, c) for o, c in zip(org[bal], customer[bal], strict=True)}) <= balanced * units


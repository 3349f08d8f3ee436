"""Namesakes in a role (harness/datagen/role_namesakes.py): the buyers include a pair who share
a FULL_NAME, so `GROUP BY p.PERSON_ID, p.FULL_NAME` and its neighbour without PERSON_ID
(x-004, x-019, x-036, inv-021) return another result."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from harness.datagen.role_namesakes import with_namesakes


@given(names=st.lists(st.sampled_from(["Ames, Jo", "Bell, Al", "Cox, Di", "Dunn, Ed", None]),
                      min_size=1, max_size=30),
       share=st.floats(0, 1), pairs=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_a_swap_keeps_the_role_size_and_adds_namesake_pairs_where_the_names_allow(
        names, share, pairs, seed):
    names_ = np.array(names, dtype=object)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(names_), max(1, int(share * len(names_))), replace=False)
    out = with_namesakes(rng, names_, picked, pairs)
    assert len(out) == len(picked) == len(set(out.tolist()))
    assert out.min() >= 0 and out.max() < len(names_)
    kept = out == picked  # swaps are in place: the role's other persons keep their slot
    assert (~kept).sum() <= 2 * pairs
    in_pairs = Counter(n for n in names_[out] if n is not None)
    got = sum(n > 1 for n in in_pairs.values())
    repeated = sum(n > 1 for n in Counter(n for n in names if n is not None).values())
    assert got >= min(pairs, repeated, len(picked) // 2)
    before = Counter(n for n in names_[picked] if n is not None)
    assert {n for n, k in before.items() if k > 1} <= {n for n, k in in_pairs.items() if k > 1}


def test_without_pairs_the_picks_stay():
    names = np.array(["Ames, Jo", "Ames, Jo", "Cox, Di"], dtype=object)
    assert with_namesakes(np.random.default_rng(0), names, np.array([2, 0]), 0).tolist() == [2, 0]


def test_every_instance_has_two_current_buyers_of_one_name(connections, recipe):
    sql = ("SELECT COUNT(*) FROM (SELECT p.FULL_NAME FROM PO_AGENTS a JOIN PER_ALL_PEOPLE_F p "
           "ON p.PERSON_ID = a.AGENT_ID WHERE p.EFFECTIVE_END_DATE = ? "
           "GROUP BY p.FULL_NAME HAVING COUNT(DISTINCT p.PERSON_ID) > 1)")
    for index, con in enumerate(connections):
        found = con.execute(sql, [recipe.dates.open_end]).fetchone()[0]
        assert found >= recipe.role_namesakes.buyers, f"instance {index}"

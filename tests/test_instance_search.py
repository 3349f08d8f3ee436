"""Greedy choice of extra instances (harness/authoring/instance_search.py)."""

from hypothesis import given
from hypothesis import strategies as st

from harness.authoring.instance_search import candidate_seeds, greedy_cover
from harness.datagen.recipe import load_recipe

kill_sets = st.dictionaries(st.integers(0, 30), st.frozensets(
    st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), max_size=6), max_size=8)


def test_greedy_takes_the_biggest_new_gain_first():
    kills = {1: frozenset({("g", "a"), ("g", "b")}), 2: frozenset({("g", "a"), ("g", "b"),
                                                                   ("g", "c")}),
             3: frozenset({("g", "d")}), 4: frozenset({("g", "c")})}
    assert greedy_cover(kills, keep=5) == [(2, 3), (3, 1)]
    assert greedy_cover(kills, keep=1) == [(2, 3)]


@given(kill_sets, st.integers(0, 10))
def test_greedy_gains_are_positive_non_increasing_and_cover_what_they_claim(kills, keep):
    chosen = greedy_cover(kills, keep)
    gains = [g for _, g in chosen]
    assert len(chosen) <= keep and all(g > 0 for g in gains)
    assert gains == sorted(gains, reverse=True)
    covered = set().union(*(kills[s] for s, _ in chosen)) if chosen else set()
    assert len(covered) == sum(gains)
    if len(chosen) < keep:  # stopped early: nothing left to gain
        assert covered == set().union(*kills.values()) if kills else not covered


def test_candidate_seeds_are_fresh():
    recipe = load_recipe()
    used = {recipe.seed(i) for i in range(recipe.k)}
    fresh = candidate_seeds(recipe, 6)
    assert len(set(fresh)) == 6 and not used & set(fresh)

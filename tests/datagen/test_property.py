"""Property: the facts hold for any seed, not just the recipe's (one instance per example)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.datagen.build import build_instance
from tests.datagen import facts


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_facts_hold_for_any_seed(catalog, recipe, seed):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "instance.duckdb"
        build_instance(path, catalog, recipe, seed)
        con = duckdb.connect(str(path), read_only=True)
        try:
            problems = facts.every_fact(con, catalog, recipe)
            missing = facts.nulls_expected(con, catalog, recipe) - facts.null_columns(con,
                                                                                       catalog)
        finally:
            con.close()
    assert not problems, "\n".join(problems)
    assert not missing, f"nullable columns without a NULL: {sorted(missing)}"

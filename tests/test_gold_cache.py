"""Gold-result cache: typed round trip, keys, and damaged entries treated as misses."""

import datetime as dt
import math

from hypothesis import given
from hypothesis import strategies as st

from harness.backends.base import Execution, ResultSet
from harness.scoring.gold_cache import GoldCache

values = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**62), 2**62), st.floats(allow_nan=True),
    st.text(max_size=20), st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.datetimes(min_value=dt.datetime(1900, 1, 1)), st.dates(), st.binary(max_size=10),
)


def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


@given(st.lists(st.tuples(values, values), max_size=5))
def test_round_trip_keeps_types_and_values(tmp_path_factory, rows):
    cache = GoldCache(tmp_path_factory.mktemp("c"))
    cache.put("SELECT 1", "inst", Execution("ok", ResultSet(("A", "B"), tuple(rows)), seconds=1))
    got = cache.get("SELECT 1", "inst").result
    assert got.columns == ("A", "B")
    assert len(got.rows) == len(rows)
    for r1, r2 in zip(rows, got.rows, strict=True):
        assert all(same(a, b) for a, b in zip(r1, r2, strict=True))


def test_key_depends_on_sql_and_instance_and_failures_are_not_cached(tmp_path):
    cache = GoldCache(tmp_path)
    cache.put("SELECT 1", "a", Execution("ok", ResultSet(("X",), ((1,),))))
    assert cache.get("SELECT 1", "b") is None
    assert cache.get("SELECT 2", "a") is None
    cache.put("SELECT 3", "a", Execution("timeout", error="slow"))
    assert cache.get("SELECT 3", "a") is None
    assert (cache.hits, cache.misses) == (0, 3)


def test_a_damaged_entry_is_a_miss_not_a_crash(tmp_path):
    cache = GoldCache(tmp_path)
    cache.put("SELECT 1", "a", Execution("ok", ResultSet(("X",), ((1,),))))
    (entry,) = (tmp_path / "gold").glob("*.json")
    entry.write_text('{"columns": ["X"], "rows": [[')
    assert cache.get("SELECT 1", "a") is None


def test_an_entry_read_once_is_served_from_memory_until_its_file_changes(tmp_path, monkeypatch):
    cache = GoldCache(tmp_path)
    cache.put("SELECT 1", "a", Execution("ok", ResultSet(("X",), ((1,),))))
    first = cache.get("SELECT 1", "a")
    # A later run (a new GoldCache) does not read or decode the unchanged file again.
    import pathlib

    def no_read(self, *args, **kwargs):
        raise AssertionError(f"{self} read again")

    with monkeypatch.context() as patch:
        patch.setattr(pathlib.Path, "read_text", no_read)
        assert GoldCache(tmp_path).get("SELECT 1", "a") is first
    # Rewritten (atomically) with another result: the new result, not the remembered one.
    cache.put("SELECT 1", "a", Execution("ok", ResultSet(("X",), ((2,),))))
    assert cache.get("SELECT 1", "a").result.rows == ((2,),)
    # Damaged after it was remembered: a miss, as for a damaged entry never read.
    (entry,) = (tmp_path / "gold").glob("*.json")
    entry.write_text('{"columns": ["X"], "rows": [[')
    assert cache.get("SELECT 1", "a") is None
    entry.unlink()
    assert cache.get("SELECT 1", "a") is None

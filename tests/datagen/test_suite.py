"""build_test_suite: seeds, determinism, the on-disk cache and its atomic writes."""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from harness.datagen import build_test_suite, default_cache_dir
from harness.datagen import suite as suite_module
from harness.datagen.recipe import DEFAULT_RECIPE_PATH


def test_k_instances_from_the_recipes_seeds(suite, recipe):
    assert [i.index for i in suite] == list(range(recipe.k))
    assert [i.seed for i in suite] == [recipe.seed(i) for i in range(recipe.k)]
    assert len({i.seed for i in suite}) == recipe.k
    assert all(i.path.is_file() for i in suite)
    assert len({i.fingerprint for i in suite}) == recipe.k
    assert all(i.fingerprint in i.path.name for i in suite)


def test_same_inputs_give_the_same_data(suite, catalog, recipe, tmp_path):
    """A second build of instance 0 holds exactly the same rows in every table."""
    again = tmp_path / "again.duckdb"
    suite_module.build_atomically(again, catalog, recipe, suite[0].seed)
    con = duckdb.connect()
    con.execute(f"ATTACH '{suite[0].path}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{again}' AS b (READ_ONLY)")
    for table in [*catalog.tables, "DUAL"]:
        for x, y in (("a", "b"), ("b", "a")):
            diff = con.execute(f"SELECT COUNT(*) FROM (SELECT * FROM {x}.{table} EXCEPT ALL "
                               f"SELECT * FROM {y}.{table})").fetchone()[0]
            assert diff == 0, f"{table} differs between two builds"


def test_second_call_reuses_the_files(suite, catalog, suite_dir):
    before = {i.path: os.stat(i.path) for i in suite}
    again = build_test_suite(catalog, cache_dir=suite_dir)
    assert again == suite
    for inst in again:
        now = os.stat(inst.path)
        assert (now.st_ino, now.st_mtime_ns) == (before[inst.path].st_ino,
                                                 before[inst.path].st_mtime_ns)


def test_a_changed_recipe_rebuilds(suite, catalog, suite_dir, tmp_path):
    changed = tmp_path / "recipe.yaml"
    changed.write_text(DEFAULT_RECIPE_PATH.read_text(encoding="utf-8").replace(
        "null_fraction: 0.1 ", "null_fraction: 0.12 "), encoding="utf-8")
    (first,) = build_test_suite(catalog, changed, k=1, cache_dir=suite_dir)
    assert first.seed == suite[0].seed
    assert first.fingerprint != suite[0].fingerprint
    assert first.path.is_file() and first.path != suite[0].path


def test_fingerprint_follows_every_input(catalog, recipe, monkeypatch):
    base = suite_module.instance_fingerprint(catalog, recipe, 1)
    assert suite_module.instance_fingerprint(catalog, recipe, 1) == base
    assert suite_module.instance_fingerprint(catalog, recipe, 2) != base
    other_catalog = copy.copy(catalog)
    other_catalog.fingerprint = "0" * 16
    assert suite_module.instance_fingerprint(other_catalog, recipe, 1) != base
    other_recipe = recipe.model_copy(update={"null_fraction": 0.5})
    assert suite_module.instance_fingerprint(catalog, other_recipe, 1) != base
    # K only says how many instances there are: instance i stays the same
    assert suite_module.instance_fingerprint(catalog, recipe.model_copy(update={"k": 9}), 1) == base
    monkeypatch.setattr(suite_module, "generator_version", lambda: "another")
    assert suite_module.instance_fingerprint(catalog, recipe, 1) != base


def test_a_leftover_temp_file_is_not_trusted(catalog, recipe, tmp_path):
    """A crash leaves at most a temp file; the next call builds the instance anyway."""
    fingerprint = suite_module.instance_fingerprint(catalog, recipe, recipe.base_seed)
    final = tmp_path / f"ebs-{recipe.base_seed}-{fingerprint}.duckdb"
    leftover = final.with_name(f".{final.name}.crashed.tmp")
    leftover.write_bytes(b"half a database")
    (inst,) = build_test_suite(catalog, k=1, cache_dir=tmp_path)
    assert inst.path == final
    con = duckdb.connect(str(final), read_only=True)
    assert con.execute("SELECT COUNT(*) FROM AP_INVOICES_ALL").fetchone()[0] > 0
    con.close()


def test_a_failed_build_leaves_nothing_behind(catalog, tmp_path, monkeypatch):
    def crash(path, *args, **kwargs):
        Path(path).write_bytes(b"partial")
        raise RuntimeError("killed")

    monkeypatch.setattr(suite_module, "build_instance", crash)
    with pytest.raises(RuntimeError, match="killed"):
        build_test_suite(catalog, k=1, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SQLGATE_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "db"
    monkeypatch.delenv("SQLGATE_CACHE_DIR")
    assert default_cache_dir() == Path(suite_module.__file__).resolve().parents[2] / ".cache" / "sqlgate" / "db"


def test_progress_bar(catalog, tmp_path, capsys):
    (inst,) = build_test_suite(catalog, k=1, cache_dir=tmp_path, progress=True)
    assert inst.path.is_file()
    assert "instance 0" in capsys.readouterr().out


def test_main_dates_meet_the_instants_around_the_pinned_sysdate():
    """Rows two hours before and six hours after SYSDATE's time, on its day and the day
    before, so `d <= SYSDATE - 1` and `d < TRUNC(SYSDATE)` (or SYSDATE vs TRUNC(SYSDATE)
    bounds) return other results."""
    from harness.translate import PINNED_SYSDATE

    instance = build_test_suite(k=1)[0]
    con = duckdb.connect(str(instance.path), read_only=True)
    try:
        day = PINNED_SYSDATE.replace(hour=0, minute=0, second=0)
        for table, column in (("AP_INVOICES_ALL", "INVOICE_DATE"),
                              ("RA_CUSTOMER_TRX_ALL", "TRX_DATE")):
            rows = {r[0] for r in con.execute(
                f"SELECT {column} FROM {table} WHERE {column} >= ? AND {column} < ?",
                [day - dt.timedelta(days=1), day + dt.timedelta(days=1)]).fetchall()}
            yesterday_after = PINNED_SYSDATE - dt.timedelta(days=1) + dt.timedelta(hours=6)
            assert yesterday_after in rows, (table, sorted(rows))
            assert PINNED_SYSDATE - dt.timedelta(hours=2) in rows, (table, sorted(rows))
    finally:
        con.close()


def test_main_dates_are_late_on_every_month_end_of_the_boundary_year(recipe):
    """A row at the recipe's time of day on each month's last day of the boundary year, in
    every main date column: `d BETWEEN first AND last day` (which misses it) and `d >= first
    AND d < next first` (which keeps it) return other results. (Cash receipts follow the
    items they pay, days later: their dates keep the time, not the day.)"""
    instants = recipe.dates.month_end_instants()
    assert len(instants) == 12 and all(t.time() != dt.time() for t in instants)
    instance = build_test_suite(k=1)[0]
    con = duckdb.connect(str(instance.path), read_only=True)
    try:
        for table, column in (("AP_INVOICES_ALL", "INVOICE_DATE"),
                              ("PO_HEADERS_ALL", "CREATION_DATE"),
                              ("RA_CUSTOMER_TRX_ALL", "TRX_DATE"),
                              ("MTL_MATERIAL_TRANSACTIONS", "TRANSACTION_DATE")):
            found = {r[0] for r in con.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} = ANY (?)",
                [instants]).fetchall()}
            assert found == set(instants), (table, column, sorted(set(instants) - found))
    finally:
        con.close()


def test_lookup_codes_end_on_the_days_around_sysdate(recipe):
    """One code of every lookup carries an end date, enabled or not: 100 days before
    SYSDATE's day, on it, at the span's end or the day after, so `SYSDATE BETWEEN start AND
    NVL(end, SYSDATE)` and its TRUNC(SYSDATE) twin (or `end > SYSDATE`) differ; the
    languages of a code that end, end alike."""
    today = recipe.dates.today
    days = {today - dt.timedelta(days=100), today, recipe.dates.end,
            today + dt.timedelta(days=1)}
    instance = build_test_suite(k=1)[0]
    con = duckdb.connect(str(instance.path), read_only=True)
    try:
        untouched = con.execute(
            "SELECT COUNT(DISTINCT LOOKUP_TYPE) FROM FND_LOOKUP_VALUES WHERE LOOKUP_TYPE NOT IN "
            "(SELECT LOOKUP_TYPE FROM FND_LOOKUP_VALUES WHERE END_DATE_ACTIVE IS NOT NULL)"
        ).fetchone()[0]
        assert untouched == 0
        ends = {r[0].date() for r in con.execute(
            "SELECT DISTINCT END_DATE_ACTIVE FROM FND_LOOKUP_VALUES "
            "WHERE END_DATE_ACTIVE IS NOT NULL AND ENABLED_FLAG = 'Y'").fetchall()}
        assert ends == days
        split = con.execute(
            "SELECT COUNT(*) FROM (SELECT LOOKUP_TYPE, LOOKUP_CODE FROM FND_LOOKUP_VALUES "
            "GROUP BY 1, 2 HAVING COUNT(DISTINCT END_DATE_ACTIVE) > 1)").fetchone()[0]
        assert split == 0
    finally:
        con.close()

"""Probes: a gold's query block run on the generated columns, before they are written, so a
generator can see which rows the block reads (group_totals.py, targeted.py's filtered rows).

A probe is Oracle text built from one SELECT block of a gold (its FROM, joins and WHERE), which
`run_probe` translates as scoring does (the catalog's column types) and runs on an in-memory
DuckDB over the tables it names, in the catalog types' representation (generic.to_series).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd
from sqlglot import exp

from harness.datagen.generic import to_series
from harness.inputs.catalog import Catalog

T = TypeVar("T")

Columns = dict[str, np.ndarray]


def gold_blocks(sql: str) -> list[exp.Select]:
    """The SELECT blocks of a gold, outermost first; none when the text does not parse."""
    from harness.sql.parse import SqlParseError, parse_single

    try:
        return list(parse_single(sql).find_all(exp.Select))
    except SqlParseError:
        return []


def block_tables(select: exp.Select, catalog: Catalog) -> dict[str, str]:
    """Alias (or name), upper case -> catalog table, for the tables of the block's own FROM
    and joins (not those of its subqueries)."""
    out: dict[str, str] = {}
    for source in [select.args.get("from_")] + list(select.args.get("joins") or []):
        table = source.this if source is not None else None
        if isinstance(table, exp.Table) and table.name.upper() in catalog.tables:
            out[table.alias_or_name.upper()] = table.name.upper()
    return out


def key_items(alias: str, key: Sequence[str]) -> list[exp.Expression]:
    """`alias.column AS K0, …` for the columns of a table's primary key."""
    return [exp.alias_(exp.column(c, table=exp.to_identifier(alias.lower())), f"K{i}")
            for i, c in enumerate(key)]


def probe_sql(select: exp.Select, items: Sequence[exp.Expression],
              where: exp.Expression | None) -> str:
    """Oracle text: `items` over the block's FROM and joins, filtered by `where`."""
    probe = exp.Select(expressions=list(items))
    probe.set("from_", select.args["from_"].copy())
    if select.args.get("joins"):
        probe.set("joins", [j.copy() for j in select.args["joins"]])
    if where is not None:
        probe.set("where", exp.Where(this=where.copy()))
    return probe.sql(dialect="oracle")


class Prober:
    """Runs probes on one instance's generated columns: one in-memory DuckDB whose tables
    are registered on first use and again whenever one of their column arrays was replaced
    (generators replace an array when they change its values, never write into a shared
    one)."""

    def __init__(self, catalog: Catalog, tables: dict[str, Columns]) -> None:
        self.catalog, self.tables = catalog, tables
        self.con = duckdb.connect()
        # one thread: rows that tie under a probe's ORDER BY (or rows of a probe without one)
        # then come back in the same order on every build, so what generators choose from a
        # probe's first rows is the same every time (a parallel sort orders ties by chance)
        self.con.execute("SET threads TO 1")
        self._seen: dict[str, tuple[int, ...]] = {}
        self._types = catalog.column_types()

    def run(self, probe: str) -> pd.DataFrame | None:
        """The probe's rows; None when it cannot be translated or run (a block that reads an
        outer query's columns, a construct the translator refuses)."""
        from harness.translate.api import translate

        try:
            sql = translate(probe, schema=self._types).sql
            names = {t.name.upper() for t in exp.maybe_parse(probe, dialect="oracle")
                     .find_all(exp.Table)} & set(self.tables)
        except Exception:  # noqa: BLE001 — any refusal of the translator: no probe, no rows
            return None
        try:
            for name in names:
                self._register(name)
            return self.con.execute(sql).df()
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None  # Ctrl-C during a probe stops the build
        except duckdb.Error:
            return None

    def _register(self, name: str) -> None:
        cols = self.tables[name]
        identity = tuple(id(v) for v in cols.values())
        if self._seen.get(name) == identity:
            return
        table = self.catalog.tables[name]
        self.con.register(name, pd.DataFrame({c.name: to_series(c, cols[c.name])
                                              for c in table.columns}))
        self._seen[name] = identity

    def close(self) -> None:
        self.con.close()


def probed_blocks(catalog: Catalog, tables: dict[str, Columns],
                  targets: Iterable[T]) -> Iterator[tuple[T, pd.DataFrame]]:
    """Each target (anything with a `probe`) with its probe's rows, on one DuckDB closed when
    the loop ends. A probe runs when its target is reached, so it sees what the placements of
    earlier targets wrote; a target whose probe gives no row (or cannot run) is skipped."""
    prober = Prober(catalog, tables)
    try:
        for target in targets:
            rows = prober.run(target.probe)
            if rows is not None and not rows.empty:
                yield target, rows
    finally:
        prober.close()


def run_probe(catalog: Catalog, tables: dict[str, Columns], probe: str) -> pd.DataFrame | None:
    """`Prober.run` once, on a DuckDB of its own."""
    prober = Prober(catalog, tables)
    try:
        return prober.run(probe)
    finally:
        prober.close()


def row_positions(cols: Columns, key: Sequence[str], rows: pd.DataFrame) -> list[int | None]:
    """The position in `cols` of each probe row, found by its key columns K0, K1, …"""
    arrays = [cols[c] for c in key]
    position = {tuple(_plain(v) for v in values): i
                for i, values in enumerate(zip(*arrays, strict=True))}
    found = rows[[f"K{i}" for i in range(len(key))]].itertuples(index=False)
    return [position.get(tuple(_plain(v) for v in k)) for k in found]


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value == int(value):
        return int(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return pd.Timestamp(value)
    return value

"""SQL checks of the embedded data facts (contract 6, docs/contracts.md) on one DuckDB instance.

Each check returns a list of problems (empty when the fact holds), so a test can report all
of them at once; the suite tests and the property test over random seeds share them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import duckdb

from harness.datagen.context import own_id_columns
from harness.datagen.nvl_labels import recipe_customer_codes
from harness.datagen.recipe import Recipe
from harness.datagen.values import calendar_edges
from harness.inputs.catalog import Catalog, Column, Table

# Transaction dates that must hit every calendar edge and carry times of day.
MAIN_DATES = [("AP_INVOICES_ALL", "INVOICE_DATE"), ("AP_INVOICES_ALL", "GL_DATE"),
              ("AP_CHECKS_ALL", "CHECK_DATE"), ("RA_CUSTOMER_TRX_ALL", "TRX_DATE"),
              ("PO_HEADERS_ALL", "CREATION_DATE"), ("GL_JE_HEADERS", "DEFAULT_EFFECTIVE_DATE")]
# Main dates some documents of which EBS takes dated after the span's end (future-dated
# invoices, on the day after it): these may reach that day, no further.
FUTURE_DATED = [("AP_INVOICES_ALL", "INVOICE_DATE")]
# Due dates hit the edges too but may fall after the span.
DUE_DATES = [("AR_PAYMENT_SCHEDULES_ALL", "DUE_DATE"), ("AP_PAYMENT_SCHEDULES_ALL", "DUE_DATE")]
# Columns the contract names as having NULLs (in every instance, here).
NAMED_NULLS = [("AP_INVOICES_ALL", "AMOUNT_PAID"), ("AP_INVOICES_ALL", "CANCELLED_DATE"),
               ("AP_SUPPLIERS", "VENDOR_TYPE_LOOKUP_CODE"), ("PO_HEADERS_ALL", "VENDOR_ID")]
PERIOD_NAME = re.compile(r"^[A-Z]{3}-\d{2}$")


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> object:
    """The single value `sql` returns."""
    return con.execute(sql, params or []).fetchone()[0]


def _literal(col: Column, code: str) -> str:
    return code if col.type.is_numeric else "'" + code.replace("'", "''") + "'"


def integrity(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> list[str]:
    """Every catalog foreign key resolves unless one of its columns is NULL."""
    problems = []
    for name, fk in catalog.join_edges():
        not_null = " AND ".join(f"c.{c} IS NOT NULL" for c in fk.columns)
        match = " AND ".join(f"p.{r} = c.{c}" for c, r in zip(fk.columns, fk.ref_columns,
                                                              strict=True))
        bad = one(con, f"SELECT COUNT(*) FROM {name} c WHERE {not_null} AND NOT EXISTS "
                       f"(SELECT 1 FROM {fk.references} p WHERE {match})")
        if bad:
            problems.append(f"{name}{fk.columns} -> {fk.references}{fk.ref_columns}: "
                            f"{bad} rows do not resolve")
    return problems


def organizations(con: duckdb.DuckDBPyConnection, catalog: Catalog,
                  recipe: Recipe) -> list[str]:
    """Operating units (the security policy's and the recipe's idle ones) and inventory
    organizations exist; every striped table has rows in each of the policy's organizations
    and none in an idle unit."""
    problems = []
    sec = catalog.security
    ous = sorted(ou.organization_id for ou in sec.operating_units)
    idle = sorted(ou.organization_id for ou in recipe.organizations.idle_operating_units)
    invs = sorted(io.organization_id for io in sec.inventory_organizations)
    found = [r[0] for r in con.execute(
        "SELECT ORGANIZATION_ID FROM HR_OPERATING_UNITS ORDER BY 1").fetchall()]
    if found != sorted(ous + idle):
        problems.append(f"HR_OPERATING_UNITS has {found}, expected {sorted(ous + idle)}")
    found = [r[0] for r in con.execute(
        "SELECT ORGANIZATION_ID FROM MTL_PARAMETERS ORDER BY 1").fetchall()]
    if found != invs:
        problems.append(f"MTL_PARAMETERS has {found}, expected {invs}")
    for table in catalog.tables.values():
        if table.striping is None:
            continue
        orgs = ous if table.striping.by == "operating_unit" else invs
        have = {r[0] for r in con.execute(
            f"SELECT DISTINCT {table.striping.column} FROM {table.name}").fetchall()}
        if set(orgs) - have:
            problems.append(f"{table.name} has no rows in {sorted(set(orgs) - have)}")
        if have & set(idle):
            problems.append(f"{table.name} has rows in the idle units {sorted(have & set(idle))}")
    return problems


def lookup_codes(con: duckdb.DuckDBPyConnection, catalog: Catalog,
                 emptied: frozenset[tuple[str, int, str, str]] = frozenset(),
                 added: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """Coded columns hold only their lookup's codes; in tables striped by operating unit
    every code appears in every unit, elsewhere at least once (where the table has as many
    rows as there are codes: MTL_PARAMETERS has one row per inventory organization), but for
    the (table, unit, column, code) pairs `emptied` names (sparse_coverage.py; column and
    code "*": every code of the table in that unit, whose whole documents went). `added`:
    codes customers added to extensible lookups (nvl_labels.customer_codes), which count as
    the lookup's own and are in FND_LOOKUP_VALUES."""
    problems = []
    ous = [ou.organization_id for ou in catalog.security.operating_units]
    for lookup_name, extra in (added or {}).items():
        missing = sorted(c for c in extra if not one(
            con, "SELECT COUNT(*) FROM FND_LOOKUP_VALUES WHERE LOOKUP_TYPE = ? "
                 "AND LOOKUP_CODE = ?", [lookup_name, c]))
        if missing:
            problems.append(f"FND_LOOKUP_VALUES lacks {lookup_name} codes {missing}")
    for table, col, lookup in catalog.coded_columns():
        codes = set(lookup.codes) | set((added or {}).get(lookup.name, ()))
        value = f"CAST({col.name} AS VARCHAR)" if not col.type.is_numeric else col.name
        listed = ", ".join(_literal(col, c) for c in codes)
        stray = one(con, f"SELECT COUNT(*) FROM {table.name} WHERE {col.name} IS NOT NULL "
                         f"AND {col.name} NOT IN ({listed})")
        if stray:
            problems.append(f"{table.name}.{col.name}: {stray} values outside {lookup.name}")
        striped = table.striping and table.striping.by == "operating_unit"
        groups = ous if striped else [None]
        for org in groups:
            where = f"WHERE {table.striping.column} = {org}" if org is not None else ""
            rows = one(con, f"SELECT COUNT(*) FROM {table.name} {where}")
            if org is None and rows < len(codes):
                continue
            have = {r[0] for r in con.execute(
                f"SELECT DISTINCT {value} FROM {table.name} {where}").fetchall()}
            have = {_code_text(col, h) for h in have if h is not None}
            have |= {code for code in codes if (table.name, org, col.name, code) in emptied
                     or (table.name, org, "*", "*") in emptied}
            if codes - have:
                place = f" in unit {org}" if org is not None else ""
                problems.append(f"{table.name}.{col.name}{place} lacks {sorted(codes - have)}")
    return problems


def _code_text(col: Column, value: object) -> str:
    if col.type.is_numeric and float(value).is_integer():
        return str(int(value))
    return str(value)


def no_empty_strings(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> list[str]:
    """No text column holds '' (Oracle stores it as NULL)."""
    problems = []
    for table in catalog.tables.values():
        text = [c.name for c in table.columns if c.type.is_text]
        if not text:
            continue
        counts = con.execute("SELECT " + ", ".join(f"COUNT(*) FILTER (WHERE {c} = '')"
                                                   for c in text)
                             + f" FROM {table.name}").fetchone()
        problems += [f"{table.name}.{c}: {k} empty strings" for c, k in zip(text, counts,
                                                                            strict=True) if k]
    return problems


def disjoint_ids(con: duckdb.DuckDBPyConnection, catalog: Catalog,
                 recipe: Recipe) -> list[str]:
    """No value is the own id of two kinds of rows, but for the ids EBS fixes: organizations
    (an operating unit is an organization), applications and security group 0."""
    sec = catalog.security
    orgs = [ou.organization_id for ou in sec.operating_units] + [
        io.organization_id for io in sec.inventory_organizations] + [
        recipe.organizations.business_group_id, 0] + [a.id for a in recipe.applications]
    parts = [f"SELECT DISTINCT '{t.name}.{c}' AS kind, CAST({c} AS BIGINT) AS id FROM {t.name}"
             for t in catalog.tables.values() for c in own_id_columns(t)]
    rows = con.execute(
        f"SELECT id, list(kind ORDER BY kind) FROM ({' UNION ALL '.join(parts)}) "
        f"WHERE id NOT IN ({', '.join(map(str, orgs))}) "
        "GROUP BY id HAVING COUNT(*) > 1 ORDER BY id LIMIT 5").fetchall()
    return [f"id {i} is a {' and a '.join(kinds)}" for i, kinds in rows]


def schema(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> list[str]:
    """Tables, column types, NOT NULL and primary keys as the catalog says; DUAL is there."""
    problems = []
    info = {(t, c): (ty, nullable) for t, c, ty, nullable in con.execute(
        "SELECT table_name, column_name, data_type, is_nullable "
        "FROM information_schema.columns").fetchall()}
    for table in catalog.tables.values():
        for col in table.columns:
            got = info.get((table.name, col.name))
            want = (col.type.duckdb_type(), "YES" if col.nullable else "NO")
            if got != want:
                problems.append(f"{table.name}.{col.name}: {got}, expected {want}")
        keys = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [table.name]).fetchall()
        if [list(k[0]) for k in keys] != [table.primary_key]:
            problems.append(f"{table.name}: primary key {keys}, expected {table.primary_key}")
    if con.execute("SELECT * FROM DUAL").fetchall() != [("X",)]:
        problems.append("DUAL is not one row with DUMMY = 'X'")
    return problems


def null_columns(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> set[str]:
    """The nullable columns (TABLE.COLUMN) that hold at least one NULL."""
    out = set()
    for table in catalog.tables.values():
        cols = [c.name for c in table.columns if c.nullable]
        if not cols:
            continue
        counts = con.execute("SELECT " + ", ".join(f"COUNT(*) - COUNT({c})" for c in cols)
                             + f" FROM {table.name}").fetchone()
        out |= {f"{table.name}.{c}" for c, k in zip(cols, counts, strict=True) if k}
    return out


def nulls_expected(con: duckdb.DuckDBPyConnection, catalog: Catalog,
                   recipe: Recipe) -> set[str]:
    """Nullable columns that should hold a NULL: all but the recipe's never_null ones and
    coded columns of tables with no more rows than codes (every code must appear)."""
    out = set()
    for table in catalog.tables.values():
        rows = one(con, f"SELECT COUNT(*) FROM {table.name}")
        for col in table.columns:
            key = f"{table.name}.{col.name}"
            if not col.nullable or key in recipe.never_null:
                continue
            if col.lookup and rows <= len(catalog.lookups[col.lookup].codes):
                continue
            out.add(key)
    return out


def gold_days(catalog: Catalog, recipe: Recipe) -> frozenset[dt.date]:
    """c - 1, c and c + 1 of every date the recipe's golds compare a column with."""
    from harness.datagen.targeted import recipe_targets

    return frozenset(t.value + dt.timedelta(days=delta)
                     for t in recipe_targets(catalog, recipe.targeted.paths())
                     if isinstance(t.value, dt.date) and t.value.year <= 3000
                     for delta in (-1, 0, 1))


def calendar(con: duckdb.DuckDBPyConnection, catalog: Catalog, recipe: Recipe,
             beyond: frozenset[dt.date] | None = None) -> list[str]:
    """Main transaction dates lie in the span (future-dated ones at most on the day after
    it), hit every calendar edge at midnight in every operating unit, and also carry times
    of day; due dates hit the edges too. On an instance beyond the span, `beyond` is the
    days a main date may take outside it (the midnights of the golds' days, span_edges.py)."""
    d = recipe.dates
    edges = [e.astype("datetime64[us]").item()
             for e in calendar_edges(d.start, d.end, d.boundary_year, d.extra_edges())]
    end = dt.datetime.combine(d.end, dt.time()) + dt.timedelta(days=1)
    problems = []
    for table_name, column in MAIN_DATES + DUE_DATES:
        table = catalog.tables[table_name]
        in_span = (table_name, column) in MAIN_DATES
        if in_span:
            low, high = con.execute(f"SELECT MIN({column}), MAX({column}) FROM {table_name}"
                                    ).fetchone()
            last = end + dt.timedelta(days=(table_name, column) in FUTURE_DATED)
            if beyond is not None:
                outside = {r[0] for r in con.execute(
                    f"SELECT DISTINCT {column} FROM {table_name} WHERE {column} < ? "
                    f"OR {column} >= ?", [dt.datetime.combine(d.start, dt.time()), last]
                ).fetchall()}
                stray = sorted(x for x in outside if x.time() != dt.time()
                               or x.date() not in beyond)
                if stray:
                    problems.append(f"{table_name}.{column}: outside the span on {stray[:5]}")
            elif low < dt.datetime.combine(d.start, dt.time()) or high >= last:
                problems.append(f"{table_name}.{column} spans {low} .. {high}")
        for where, place in _stripes(catalog, table):
            have = {r[0] for r in con.execute(
                f"SELECT DISTINCT {column} FROM {table_name} {where}").fetchall()}
            missing = [e.date().isoformat() for e in edges if e not in have]
            if missing:
                problems.append(f"{table_name}.{column}{place}: no midnight row on {missing}")
            timed = one(con, f"SELECT COUNT(*) FROM {table_name} {where} "
                             f"{'AND' if where else 'WHERE'} {column} <> CAST({column} AS DATE)")
            if not timed:
                problems.append(f"{table_name}.{column}{place}: no row with a time of day")
    return problems


def _stripes(catalog: Catalog, table: Table) -> list[tuple[str, str]]:
    if table.striping is None or table.striping.by != "operating_unit":
        return [("", "")]
    return [(f"WHERE {table.striping.column} = {ou.organization_id}",
             f" in unit {ou.organization_id}") for ou in catalog.security.operating_units]


def general_ledger(con: duckdb.DuckDBPyConnection, recipe: Recipe) -> list[str]:
    """MON-YY periods for every month of the span; posted and unposted journals of every
    balance type in every period of the main calendar's boundary year; journals, balances
    and period statuses in their ledger's own calendar; lines in their header's period,
    each a debit or a credit with the other side NULL; balanced journals."""
    problems = []
    d = recipe.dates
    names = {r[0] for r in con.execute("SELECT PERIOD_NAME FROM GL_PERIODS").fetchall()}
    months = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
              "DEC")
    wanted = {f"{m}-{y % 100:02d}" for y in range(d.start.year, d.end.year + 1) for m in months}
    if wanted - names:
        problems.append(f"GL_PERIODS lacks {sorted(wanted - names)}")
    bad = [n for n in names if not PERIOD_NAME.match(n)]
    if bad:
        problems.append(f"period names not MON-YY: {bad}")
    wrong = one(con, "SELECT COUNT(*) FROM GL_PERIODS WHERE ADJUSTMENT_PERIOD_FLAG = 'N' AND "
                     "PERIOD_NAME <> upper(strftime(START_DATE, '%b-%y'))")
    if wrong:
        problems.append(f"{wrong} monthly periods whose name is not their start's MON-YY")
    missing = con.execute(
        "SELECT p.PERIOD_NAME, s.s, a.a FROM GL_PERIODS p, (VALUES ('P'), ('U')) s(s), "
        "(VALUES ('A'), ('B'), ('E')) a(a) WHERE p.PERIOD_YEAR = ? AND p.PERIOD_SET_NAME = ? "
        "AND NOT EXISTS (SELECT 1 FROM GL_JE_HEADERS h WHERE h.PERIOD_NAME = p.PERIOD_NAME "
        "AND h.STATUS = s.s AND h.ACTUAL_FLAG = a.a) ORDER BY 1, 2, 3",
        [d.boundary_year, recipe.gl.period_set_name]).fetchall()
    if missing:
        problems.append(f"no journal for (period, status, balance type) {missing[:5]}")
    checks = {
        "headers outside their period": (
            "SELECT COUNT(*) FROM GL_JE_HEADERS h JOIN GL_LEDGERS l USING (LEDGER_ID) "
            "LEFT JOIN GL_PERIODS p ON p.PERIOD_SET_NAME = l.PERIOD_SET_NAME "
            "AND p.PERIOD_NAME = h.PERIOD_NAME WHERE p.PERIOD_NAME IS NULL "
            "OR h.DEFAULT_EFFECTIVE_DATE < p.START_DATE "
            "OR h.DEFAULT_EFFECTIVE_DATE >= p.END_DATE + INTERVAL 1 DAY"),
        "ledgers whose calendar is not in GL_PERIODS": (
            "SELECT COUNT(*) FROM GL_LEDGERS l WHERE NOT EXISTS (SELECT 1 FROM GL_PERIODS p "
            "WHERE p.PERIOD_SET_NAME = l.PERIOD_SET_NAME)"),
        "balances whose year or number (when set) is not their ledger's calendar's": (
            "SELECT COUNT(*) FROM GL_BALANCES b JOIN GL_LEDGERS l USING (LEDGER_ID) "
            "LEFT JOIN GL_PERIODS p ON p.PERIOD_SET_NAME = l.PERIOD_SET_NAME "
            "AND p.PERIOD_NAME = b.PERIOD_NAME WHERE p.PERIOD_NAME IS NULL "
            "OR p.PERIOD_YEAR <> b.PERIOD_YEAR OR p.PERIOD_NUM <> b.PERIOD_NUM"),
        "period statuses outside their ledger's calendar": (
            "SELECT COUNT(*) FROM GL_PERIOD_STATUSES s JOIN GL_LEDGERS l USING (LEDGER_ID) "
            "WHERE NOT EXISTS (SELECT 1 FROM GL_PERIODS p WHERE p.PERIOD_SET_NAME = "
            "l.PERIOD_SET_NAME AND p.PERIOD_NAME = s.PERIOD_NAME AND p.START_DATE = "
            "s.START_DATE AND p.PERIOD_YEAR = s.PERIOD_YEAR)"),
        "lines in another period than their header": (
            "SELECT COUNT(*) FROM GL_JE_LINES l JOIN GL_JE_HEADERS h USING (JE_HEADER_ID) "
            "WHERE l.PERIOD_NAME IS DISTINCT FROM h.PERIOD_NAME"),
        "lines with both or neither side": (
            "SELECT COUNT(*) FROM GL_JE_LINES WHERE (ACCOUNTED_DR IS NULL) = "
            "(ACCOUNTED_CR IS NULL) OR (ENTERED_DR IS NULL) = (ENTERED_CR IS NULL)"),
        # GL converts each line at its journal's rate: a line in the ledger's currency
        # accounts what it enters; a foreign one its entered amount at the rate, but for the
        # cents of rounding its journal's last line of a side takes
        "lines in the ledger's currency accounting another amount than they enter": (
            "SELECT COUNT(*) FROM GL_JE_LINES l JOIN GL_JE_HEADERS h USING (JE_HEADER_ID) "
            "JOIN GL_LEDGERS g ON g.LEDGER_ID = h.LEDGER_ID WHERE h.CURRENCY_CODE = "
            "g.CURRENCY_CODE AND (l.ACCOUNTED_DR IS DISTINCT FROM l.ENTERED_DR "
            "OR l.ACCOUNTED_CR IS DISTINCT FROM l.ENTERED_CR)"),
        "foreign lines accounting more than rounding away from their journal's rate": (
            "SELECT COUNT(*) FROM GL_JE_LINES l JOIN GL_JE_HEADERS h USING (JE_HEADER_ID) "
            "JOIN GL_LEDGERS g ON g.LEDGER_ID = h.LEDGER_ID WHERE h.CURRENCY_CODE <> "
            "g.CURRENCY_CODE AND abs(coalesce(l.ACCOUNTED_DR, l.ACCOUNTED_CR) - "
            "coalesce(l.ENTERED_DR, l.ENTERED_CR) * h.CURRENCY_CONVERSION_RATE) > 0.5"),
        "unbalanced journals": (
            "SELECT COUNT(*) FROM (SELECT JE_HEADER_ID FROM GL_JE_LINES GROUP BY 1 HAVING "
            "abs(SUM(coalesce(ACCOUNTED_DR, 0)) - SUM(coalesce(ACCOUNTED_CR, 0))) > 0.005)"),
    }
    problems += [f"{what}: {k}" for what, sql in checks.items() if (k := one(con, sql))]
    if not one(con, "SELECT COUNT(*) FROM (SELECT JE_SOURCE FROM GL_JE_HEADERS GROUP BY 1 "
                    "HAVING COUNT(DISTINCT PERIOD_NAME) * 4 < "
                    "(SELECT COUNT(DISTINCT PERIOD_NAME) FROM GL_JE_HEADERS))"):
        problems.append("every journal source in a quarter of the periods or more: a count "
                        "by source over some periods would equal the count over all")
    if recipe.gl.fiscal_calendars and not one(
            con, "SELECT COUNT(*) FROM GL_PERIODS a JOIN GL_PERIODS b USING (PERIOD_NAME) "
                 "WHERE a.PERIOD_SET_NAME < b.PERIOD_SET_NAME AND a.PERIOD_YEAR = b.PERIOD_YEAR "
                 "AND a.QUARTER_NUM <> b.QUARTER_NUM"):
        problems.append("no period name of one year in two calendars with other quarters: "
                        "a join that drops PERIOD_SET_NAME would not show")
    # Posting refuses a journal without lines (Error7); an unposted one may have none
    without_lines = ("SELECT COUNT(*) FROM GL_JE_HEADERS h WHERE h.STATUS = '{}' AND NOT EXISTS "
                     "(SELECT 1 FROM GL_JE_LINES l WHERE l.JE_HEADER_ID = h.JE_HEADER_ID)")
    if k := one(con, without_lines.format("P")):
        problems.append(f"posted journals without lines: {k}")
    if not one(con, without_lines.format("U")):
        problems.append("no unposted journal without lines: an inner join of lines would not show")
    for side, other in (("DR", "CR"), ("CR", "DR")):
        if not one(con, f"SELECT COUNT(*) FROM GL_JE_LINES WHERE ACCOUNTED_{side} IS NOT NULL "
                        f"AND ACCOUNTED_{other} IS NULL"):
            problems.append(f"no {side} line with a NULL {other}")
    return problems


def receivables(con: duckdb.DuckDBPyConnection, catalog: Catalog,
                closed: frozenset[tuple[int, str]] = frozenset()) -> list[str]:
    """In every unit, schedules of every class both open with a non-zero remaining amount and
    closed with zero (but for the (unit, class) pairs `closed` names: all closed, none
    open, tables_ar.closed_pairs), open invoices and debit memos overapplied (negative
    remaining), a customer whose open items net to zero; no open schedule at zero or closed one with a
    balance; negative credit memos; a transaction's remaining amount is what receipts and
    credit memos left."""
    problems = []
    col = catalog.tables["AR_PAYMENT_SCHEDULES_ALL"].column("CLASS")
    classes = list(catalog.lookups[col.lookup].codes)
    for ou in catalog.security.operating_units:
        for klass in classes:
            states = (("OP", "<> 0"), ("CL", "= 0"))
            if (ou.organization_id, klass) in closed:  # all closed: none open
                states = (("CL", "= 0"),)
                if one(con, "SELECT COUNT(*) FROM AR_PAYMENT_SCHEDULES_ALL WHERE ORG_ID = ? "
                            "AND CLASS = ? AND STATUS = 'OP'", [ou.organization_id, klass]):
                    problems.append(f"unit {ou.organization_id}: an open {klass} schedule in "
                                    "a class it closed")
            for status, test in states:
                k = one(con, "SELECT COUNT(*) FROM AR_PAYMENT_SCHEDULES_ALL WHERE ORG_ID = ? "
                             f"AND CLASS = ? AND STATUS = ? AND AMOUNT_DUE_REMAINING {test}",
                        [ou.organization_id, klass, status])
                if not k:
                    problems.append(f"unit {ou.organization_id}: no {status} {klass} schedule")
        for klass in ("INV", "DM"):  # overapplied: open with a negative remaining amount
            if not one(con, "SELECT COUNT(*) FROM AR_PAYMENT_SCHEDULES_ALL WHERE ORG_ID = ? "
                            "AND CLASS = ? AND STATUS = 'OP' AND AMOUNT_DUE_REMAINING < 0",
                       [ou.organization_id, klass]):
                problems.append(f"unit {ou.organization_id}: no overapplied {klass} schedule")
        if not one(con, "SELECT COUNT(*) FROM (SELECT CUSTOMER_ID FROM AR_PAYMENT_SCHEDULES_ALL "
                        "WHERE ORG_ID = ? AND STATUS = 'OP' GROUP BY CUSTOMER_ID "
                        "HAVING SUM(AMOUNT_DUE_REMAINING) = 0 AND COUNT(*) >= 2)",
                   [ou.organization_id]):
            problems.append(f"unit {ou.organization_id}: no customer whose open items net to 0")
    checks = {
        "open schedules at zero or closed ones with a balance": (
            "SELECT COUNT(*) FROM AR_PAYMENT_SCHEDULES_ALL WHERE (STATUS = 'OP') = "
            "(AMOUNT_DUE_REMAINING = 0)"),
        "credit memos that are not negative": (
            "SELECT COUNT(*) FROM AR_PAYMENT_SCHEDULES_ALL WHERE CLASS = 'CM' "
            "AND AMOUNT_DUE_ORIGINAL >= 0"),
        "schedules whose remaining is not original - applied + credited": (
            "SELECT COUNT(*) FROM AR_PAYMENT_SCHEDULES_ALL WHERE CLASS NOT IN ('CM', 'PMT') "
            "AND abs(AMOUNT_DUE_ORIGINAL - coalesce(AMOUNT_APPLIED, 0) "
            "+ coalesce(AMOUNT_CREDITED, 0) - AMOUNT_DUE_REMAINING) > 0.005"),
        "transactions whose lines do not sum to their schedules": (
            "SELECT COUNT(*) FROM (SELECT CUSTOMER_TRX_ID, SUM(AMOUNT_DUE_ORIGINAL) AS a "
            "FROM AR_PAYMENT_SCHEDULES_ALL WHERE CUSTOMER_TRX_ID IS NOT NULL GROUP BY 1) s "
            "JOIN (SELECT CUSTOMER_TRX_ID, SUM(EXTENDED_AMOUNT) AS l "
            "FROM RA_CUSTOMER_TRX_LINES_ALL GROUP BY 1) l USING (CUSTOMER_TRX_ID) "
            "WHERE abs(a - l) > 0.005"),
    }
    problems += [f"{what}: {k}" for what, sql in checks.items() if (k := one(con, sql))]
    return problems


def payables(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> list[str]:
    """AMOUNT_PAID agrees with the status and the payments (a fully paid invoice's AMOUNT_PAID
    plus its DISCOUNT_AMOUNT_TAKEN is its amount, as Payables keeps them: AP_PAY_INVOICE_PKG;
    the payments' DISCOUNT_TAKEN sum to the latter); in every unit: paid, partly paid
    and unpaid, cancelled and not cancelled invoices, invoices paid by several payments,
    a fully paid invoice with a discount taken,
    negative credit memos, a supplier invoiced in several currencies, ties on the top amount
    and the latest date; suppliers without invoices and without purchase orders."""
    problems = []
    checks = {
        "invoices whose AMOUNT_PAID disagrees with PAYMENT_STATUS_FLAG": (
            "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE NOT CASE PAYMENT_STATUS_FLAG "
            "WHEN 'Y' THEN AMOUNT_PAID + coalesce(DISCOUNT_AMOUNT_TAKEN, 0) = INVOICE_AMOUNT "
            "WHEN 'N' THEN coalesce(AMOUNT_PAID, 0) = 0 "
            "WHEN 'P' THEN AMOUNT_PAID * sign(INVOICE_AMOUNT) > 0 "
            "AND abs(AMOUNT_PAID) < abs(INVOICE_AMOUNT) END"),
        "invoices whose payments do not sum to AMOUNT_PAID": (
            "SELECT COUNT(*) FROM AP_INVOICES_ALL i LEFT JOIN (SELECT INVOICE_ID, SUM(AMOUNT) s "
            "FROM AP_INVOICE_PAYMENTS_ALL GROUP BY 1) p USING (INVOICE_ID) "
            "WHERE abs(coalesce(p.s, 0) - coalesce(i.AMOUNT_PAID, 0)) > 0.005"),
        "credit and debit memos that are not negative": (
            "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE INVOICE_TYPE_LOOKUP_CODE IN "
            "('CREDIT', 'DEBIT') AND INVOICE_AMOUNT >= 0"),
        "checks whose amount is not the sum of their payments": (
            "SELECT COUNT(*) FROM AP_CHECKS_ALL c JOIN (SELECT CHECK_ID, SUM(AMOUNT) s "
            "FROM AP_INVOICE_PAYMENTS_ALL GROUP BY 1) p USING (CHECK_ID) "
            "WHERE c.STATUS_LOOKUP_CODE <> 'VOIDED' AND abs(c.AMOUNT - p.s) > 0.005"),
        "invoices whose installments do not sum to the amount": (
            "SELECT COUNT(*) FROM AP_INVOICES_ALL i JOIN (SELECT INVOICE_ID, SUM(GROSS_AMOUNT) g "
            "FROM AP_PAYMENT_SCHEDULES_ALL GROUP BY 1) s USING (INVOICE_ID) "
            "WHERE abs(s.g - i.INVOICE_AMOUNT) > 0.005"),
        "invoices whose payments' discounts do not sum to DISCOUNT_AMOUNT_TAKEN": (
            "SELECT COUNT(*) FROM AP_INVOICES_ALL i LEFT JOIN (SELECT INVOICE_ID, "
            "SUM(DISCOUNT_TAKEN) d FROM AP_INVOICE_PAYMENTS_ALL GROUP BY 1) p USING (INVOICE_ID) "
            "WHERE abs(coalesce(p.d, 0) - coalesce(i.DISCOUNT_AMOUNT_TAKEN, 0)) > 0.005"),
        "cancelled invoices that are paid": (
            "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE CANCELLED_DATE IS NOT NULL "
            "AND coalesce(AMOUNT_PAID, 0) <> 0"),
    }
    problems += [f"{what}: {k}" for what, sql in checks.items() if (k := one(con, sql))]
    per_unit = {
        "no paid, partly paid and unpaid invoice": (
            "SELECT COUNT(DISTINCT PAYMENT_STATUS_FLAG) < 3 FROM AP_INVOICES_ALL WHERE ORG_ID = ?"),
        "no cancelled invoice": (
            "SELECT COUNT(*) = 0 FROM AP_INVOICES_ALL WHERE ORG_ID = ? AND CANCELLED_DATE "
            "IS NOT NULL"),
        "no invoice that is not cancelled": (
            "SELECT COUNT(*) = 0 FROM AP_INVOICES_ALL WHERE ORG_ID = ? AND CANCELLED_DATE IS NULL"),
        "no invoice paid by several payments": (
            "SELECT COUNT(*) = 0 FROM (SELECT INVOICE_ID FROM AP_INVOICE_PAYMENTS_ALL "
            "WHERE ORG_ID = ? GROUP BY 1 HAVING COUNT(*) > 1)"),
        # a credit or a debit memo: on a sparse instance a unit's credit memos may be debit
        # memos (recipe sparse.substitutes)
        "no negative memo": (
            "SELECT COUNT(*) = 0 FROM AP_INVOICES_ALL WHERE ORG_ID = ? "
            "AND INVOICE_TYPE_LOOKUP_CODE IN ('CREDIT', 'DEBIT') AND INVOICE_AMOUNT < 0"),
        "no supplier invoiced in several currencies": (
            "SELECT COUNT(*) = 0 FROM (SELECT VENDOR_ID FROM AP_INVOICES_ALL WHERE ORG_ID = ? "
            "GROUP BY 1 HAVING COUNT(DISTINCT INVOICE_CURRENCY_CODE) > 1)"),
        "no fully paid invoice a discount taken left AMOUNT_PAID short of": (
            "SELECT COUNT(*) = 0 FROM AP_INVOICES_ALL WHERE ORG_ID = ? AND "
            "PAYMENT_STATUS_FLAG = 'Y' AND DISCOUNT_AMOUNT_TAKEN > 0 "
            "AND AMOUNT_PAID < INVOICE_AMOUNT"),
        "no tie on the top invoice amount": (
            "SELECT COUNT(*) < 2 FROM AP_INVOICES_ALL WHERE ORG_ID = $1 AND INVOICE_AMOUNT = "
            "(SELECT MAX(INVOICE_AMOUNT) FROM AP_INVOICES_ALL WHERE ORG_ID = $1)"),
        "no tie on the latest invoice date": (
            "SELECT COUNT(*) < 2 FROM AP_INVOICES_ALL WHERE ORG_ID = $1 AND INVOICE_DATE = "
            "(SELECT MAX(INVOICE_DATE) FROM AP_INVOICES_ALL WHERE ORG_ID = $1)"),
    }
    for ou in catalog.security.operating_units:
        for what, sql in per_unit.items():
            if one(con, sql, [ou.organization_id]):
                problems.append(f"unit {ou.organization_id}: {what}")
    suppliers = {
        "no supplier without invoices": "SELECT COUNT(*) = 0 FROM AP_SUPPLIERS s WHERE NOT "
        "EXISTS (SELECT 1 FROM AP_INVOICES_ALL i WHERE i.VENDOR_ID = s.VENDOR_ID)",
        "no supplier without purchase orders": "SELECT COUNT(*) = 0 FROM AP_SUPPLIERS s WHERE "
        "NOT EXISTS (SELECT 1 FROM PO_HEADERS_ALL h WHERE h.VENDOR_ID = s.VENDOR_ID)",
        "no supplier with neither": "SELECT COUNT(*) = 0 FROM AP_SUPPLIERS s WHERE NOT EXISTS "
        "(SELECT 1 FROM AP_INVOICES_ALL i WHERE i.VENDOR_ID = s.VENDOR_ID) AND NOT EXISTS "
        "(SELECT 1 FROM PO_HEADERS_ALL h WHERE h.VENDOR_ID = s.VENDOR_ID)",
    }
    problems += [what for what, sql in suppliers.items() if one(con, sql)]
    for table, column in NAMED_NULLS:
        if not one(con, f"SELECT COUNT(*) FROM {table} WHERE {column} IS NULL"):
            problems.append(f"{table}.{column} has no NULL")
    return problems


def people(con: duckdb.DuckDBPyConnection, recipe: Recipe) -> list[str]:
    """Date-tracked persons: contiguous rows, exactly one current row ending on the end of
    time, and some persons with several rows."""
    end = recipe.dates.open_end.isoformat()
    checks = {
        "persons without exactly one row ending on the end of time": (
            "SELECT COUNT(*) FROM (SELECT PERSON_ID FROM PER_ALL_PEOPLE_F GROUP BY 1 HAVING "
            f"COUNT(*) FILTER (WHERE EFFECTIVE_END_DATE = TIMESTAMP '{end}') <> 1)"),
        "rows that do not start the day after the previous ends": (
            "SELECT COUNT(*) FROM (SELECT EFFECTIVE_START_DATE, lag(EFFECTIVE_END_DATE) OVER "
            "(PARTITION BY PERSON_ID ORDER BY EFFECTIVE_START_DATE) AS prev "
            "FROM PER_ALL_PEOPLE_F) WHERE prev IS NOT NULL "
            "AND EFFECTIVE_START_DATE <> prev + INTERVAL 1 DAY"),
    }
    problems = [f"{what}: {k}" for what, sql in checks.items() if (k := one(con, sql))]
    if not one(con, "SELECT COUNT(*) FROM (SELECT PERSON_ID FROM PER_ALL_PEOPLE_F GROUP BY 1 "
                    "HAVING COUNT(*) > 1)"):
        problems.append("no person with several effective rows")
    return problems


def every_fact(con: duckdb.DuckDBPyConnection, catalog: Catalog, recipe: Recipe) -> list[str]:
    """All per-instance checks."""
    return (integrity(con, catalog) + organizations(con, catalog, recipe)
            + lookup_codes(con, catalog, added=recipe_customer_codes(catalog, recipe))
            + no_empty_strings(con, catalog) + disjoint_ids(con, catalog, recipe)
            + calendar(con, catalog, recipe) + general_ledger(con, recipe)
            + receivables(con, catalog) + payables(con, catalog) + people(con, recipe))

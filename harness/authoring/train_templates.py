"""Question templates of the training-set generator: the catalog in business words
(`Vocabulary`) and the template families, each yielding every question it can phrase with its
Oracle SQL.

Phrasing uses the catalog's business synonyms, lookup meanings and short column descriptions;
SQL uses Oracle idioms (NVL, DECODE, TRUNC on dates, DATE literals and TO_DATE, FETCH FIRST and
ROWNUM, `(+)` outer joins, TO_CHAR month keys). Where a template has variants (phrasing, idiom),
a hash of the template's inputs picks one, so the same catalog always yields the same drafts.
Which drafts enter the training set, and how many, is decided in `harness.authoring.train_data`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from harness.inputs.catalog import Catalog, Column, ForeignKey, Lookup, Table
from harness.inputs.golden import UNANSWERABLE_GOLD
from harness.prompting.rag_context import words

# Data fact (contract 6, docs/contracts.md): transaction dates span 2023-2025 with rows on every month edge of
# 2024. Only these columns carry transaction dates; the others (effective ranges, cancel and
# void dates, birth dates) are too sparse or outside that span for date-window questions.
TRANSACTION_DATE_COLUMNS = frozenset({
    "INVOICE_DATE", "GL_DATE", "CHECK_DATE", "ACCOUNTING_DATE", "DUE_DATE", "TRX_DATE",
    "RECEIPT_DATE", "DEPOSIT_DATE", "APPLY_DATE", "TRANSACTION_DATE", "DEFAULT_EFFECTIVE_DATE",
    "EFFECTIVE_DATE", "POSTED_DATE", "APPROVED_DATE", "NEED_BY_DATE", "PROMISED_DATE",
    "DATE_RECEIVED", "DATE_CREATED",
})
MEASURE_RE = re.compile(r"(AMOUNT|QUANTITY|PRICE|_DR$|_CR$|COST|LIMIT)")
WHO_COLUMNS = frozenset({"LAST_UPDATE_DATE", "LAST_UPDATED_BY", "CREATION_DATE", "CREATED_BY",
                         "LAST_UPDATE_LOGIN"})
# Date-tracked tables are read as of one day (their EFFECTIVE_* range contains it).
AS_OF_DATES = (("2024-06-30", "30 June 2024"), ("2024-01-01", "1 January 2024"),
               ("2025-03-31", "31 March 2025"))

# (phrase, first day, first day after) of each date window questions may ask about.
DATE_WINDOWS = (
    ("in Q1 2024", "2024-01-01", "2024-04-01"),
    ("in Q2 2024", "2024-04-01", "2024-07-01"),
    ("in Q3 2024", "2024-07-01", "2024-10-01"),
    ("in Q4 2024", "2024-10-01", "2025-01-01"),
    ("during 2023", "2023-01-01", "2024-01-01"),
    ("during calendar year 2024", "2024-01-01", "2025-01-01"),
    ("in the first half of 2025", "2025-01-01", "2025-07-01"),
    ("in January 2024", "2024-01-01", "2024-02-01"),
    ("in March 2024", "2024-03-01", "2024-04-01"),
    ("in June 2024", "2024-06-01", "2024-07-01"),
    ("in September 2024", "2024-09-01", "2024-10-01"),
    ("in December 2024", "2024-12-01", "2025-01-01"),
)
# Days with rows at midnight in every instance (month and quarter edges of 2024).
EDGE_DAYS = (("2024-01-01", "1 January 2024"), ("2024-03-31", "31 March 2024"),
             ("2024-06-30", "30 June 2024"), ("2024-07-01", "1 July 2024"),
             ("2024-09-30", "30 September 2024"), ("2024-12-31", "31 December 2024"))

# Business questions no catalog table can answer: (subject, key word, why). The tests check that
# the key word appears nowhere in the catalog (names, descriptions, synonyms, lookup meanings),
# so a catalog that grows to cover a subject fails loudly instead of teaching the model to
# refuse an answerable question.
UNANSWERABLE_SUBJECTS = (
    ("employee salaries", "salary", "payroll tables are not in the catalog"),
    ("annual bonus payouts", "bonus", "payroll tables are not in the catalog"),
    ("customer credit scores", "score", "no credit scoring data is in the catalog"),
    ("sales opportunities in the CRM pipeline", "opportunity", "CRM tables are not in the catalog"),
    ("marketing campaign responses", "campaign", "marketing tables are not in the catalog"),
    ("fixed asset depreciation", "depreciation", "Oracle Assets tables are not in the catalog"),
    ("equipment lease contracts", "lease", "lease management tables are not in the catalog"),
    ("employee performance ratings", "rating",
     "performance management tables are not in the catalog"),
    ("customer satisfaction survey results", "survey", "no survey data is in the catalog"),
    ("website visits", "website", "web analytics are not in the catalog"),
    ("carrier tracking numbers of deliveries", "carrier", "shipping tables are not in the catalog"),
    ("competitor prices", "competitor", "no market data is in the catalog"),
    ("employee training course completions", "course",
     "learning management tables are not in the catalog"),
    ("warehouse temperature readings", "temperature", "no sensor data is in the catalog"),
)
UNANSWERABLE_FRAMES = (
    "What is the total of {subject} for 2024?",
    "List the top 10 records of {subject} by value.",
    "How many {subject} were recorded in Vision Operations last year?",
    "Show {subject} broken down by month for 2024.",
    "Which operating unit has the highest {subject}?",
)

# How questions name a row of a table where the first business synonym names something else
# ("aging" is a report over payment schedules, not one of its rows).
NOUNS = {
    "AR_PAYMENT_SCHEDULES_ALL": "customer payment schedule",
    "AP_PAYMENT_SCHEDULES_ALL": "scheduled payment",
    "HZ_CUST_SITE_USES_ALL": "customer site use",
    "HZ_PARTY_SITES": "party site",
    "MTL_ONHAND_QUANTITIES_DETAIL": "on-hand quantity record",
    "GL_PERIOD_STATUSES": "period status",
    "PO_AGENTS": "buyer",
}

_RESERVED_ALIASES = frozenset({"as", "at", "by", "do", "if", "in", "is", "of", "on", "or", "to",
                               "go", "no"})


@dataclass(frozen=True)
class Draft:
    """One example before its context is built."""

    family: str
    question: str
    sql: str
    tables: tuple[str, ...]
    org_policy: str = "none"

    @property
    def kind(self) -> str:
        """`unanswerable` when the gold is the refusal marker."""
        return "unanswerable" if self.sql.startswith(UNANSWERABLE_GOLD) else "answerable"


def digest(*parts: object) -> int:
    """A stable 64-bit hash of `parts`: what picks variants and orders the seeded draw."""
    text = "\0".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def pluralize(noun: str) -> str:
    """English plural of a noun phrase (its last word): `supplier site` -> `supplier sites`."""
    head, _, last = noun.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def _lower_first(text: str) -> str:
    """`Invoice date` -> `invoice date`, but `GL period` and `TCA party` keep their acronym."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[0].lower() + text[1:]


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _clean_description(text: str) -> str:
    """A column description as a short noun phrase, or '' when it is not one."""
    text = re.sub(r"\s*\([^)]*\)", "", text).split(";")[0].split(",")[0].strip().rstrip(".")
    if not text or len(text.split()) > 6 or text.lower().startswith(("whether", "indicates")):
        return ""
    return _lower_first(text)


def _humanize(name: str) -> str:
    name = re.sub(r"_LOOKUP_CODE$", "", name)
    return re.sub(r"_NUM$", "_NUMBER", name).lower().replace("_", " ")


def _group_keys(alias: str, columns: Sequence[str]) -> str:
    """`alias.C1, alias.C2` for the distinct columns, in order (a label may be a key)."""
    return ", ".join(f"{alias}.{c}" for c in dict.fromkeys(columns))


def _possessive(owner: str, phrase: str) -> str:
    """`supplier` + `supplier name` -> `supplier name`; `ledger` + `currency` ->
    `ledger's currency`: the owner is said once."""
    if set(words(owner)) & set(words(phrase)):
        return phrase
    return f"{owner}'s {phrase}"


class Vocabulary:
    """What the templates need to know about the catalog, phrased for business users."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.table_terms: dict[str, str] = {}
        self.column_terms: dict[tuple[str, str], str] = {}
        for syn in catalog.synonyms:
            table, _, column = syn.maps_to.partition(".")
            if column:
                self.column_terms.setdefault((table, column), syn.term)
            else:
                self.table_terms.setdefault(table, syn.term)
        self.operating_units = [(u.organization_id, u.name)
                                for u in catalog.security.operating_units]
        self.inventory_orgs = [(o.organization_id, f"{o.code} ({o.name})")
                               for o in catalog.security.inventory_organizations]

    def tables(self) -> list[Table]:
        """Every catalog table, by name."""
        return [self.catalog.tables[n] for n in sorted(self.catalog.tables)]

    def noun(self, table: Table) -> str:
        """The business name of one row: NOUNS, a synonym, the head of the description, or
        the table name."""
        if table.name in NOUNS:
            return NOUNS[table.name]
        if table.name in self.table_terms:
            return self.table_terms[table.name]
        head = re.split(r"[:,(]", table.description)[0].strip()
        if len(head.split()) <= 4:
            return _lower_first(head)
        parts = [p for p in table.name.split("_")[1:] if p not in ("ALL", "B", "F", "TL")]
        return " ".join(words(" ".join(parts)))

    def plural(self, table: Table) -> str:
        """The noun of `table` in the plural."""
        return pluralize(self.noun(table))

    def phrase(self, table: Table, column: Column) -> str:
        """How a question names a column: its synonym, else a short description for a
        measure, else its name in words (`translated flag`, `invoice date`)."""
        if (table.name, column.name) in self.column_terms:
            return self.column_terms[(table.name, column.name)]
        if not column.lookup and not column.type.is_temporal:
            described = _clean_description(column.description)
            if described:
                return described
        return _humanize(column.name)

    def label(self, table: Table) -> Column | None:
        """The column users identify a row by, if the table has one: a synonym that is a
        name, number or code; a NAME column; or a `X_NAME`/`X_NUM(BER)`/`X_CODE` column whose
        X shares a word with the table name (RECEIPT_NUMBER of AR_CASH_RECEIPTS_ALL, not the
        PERIOD_NAME of an invoice line)."""
        for (t, c), term in self.column_terms.items():
            if t == table.name and term.endswith((" name", " number", " code")):
                return table.column(c)
        fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
        candidates = [c for c in table.columns
                      if not c.lookup and c.name not in WHO_COLUMNS | fk_columns]
        for col in candidates:
            if col.name == "NAME":
                return col
        table_words = set(words(table.name.replace("_", " ")))
        partial = None
        for col in candidates:
            m = re.fullmatch(r"(\w+)_(NAME|NUM|NUMBER|CODE)", col.name)
            shared = set(words(m[1].replace("_", " "))) if m else set()
            if shared and shared <= table_words:
                return col
            if shared & table_words and partial is None:
                partial = col
        return partial

    def label_phrase(self, table: Table, column: Column) -> str:
        """How a question names a label column: its synonym, else its name in words (a bare
        NAME column is the `<noun> name`)."""
        if (table.name, column.name) in self.column_terms:
            return self.column_terms[(table.name, column.name)]
        if column.name == "NAME":
            return f"{self.noun(table)} name"
        return _humanize(column.name)

    def coded(self, table: Table) -> list[tuple[Column, Lookup]]:
        """Columns holding lookup codes, with their lookup type."""
        return [(c, self.catalog.lookups[c.lookup]) for c in table.columns
                if c.lookup and c.name not in WHO_COLUMNS]

    def measures(self, table: Table) -> list[Column]:
        """Unconstrained NUMBER columns named like amounts, quantities, prices or costs."""
        return [c for c in table.columns if c.type.is_numeric and not c.lookup
                and c.type.precision is None and MEASURE_RE.search(c.name)]

    def dates(self, table: Table) -> list[Column]:
        """Date columns that carry transaction dates (TRANSACTION_DATE_COLUMNS)."""
        return [c for c in table.columns if c.type.is_temporal
                and c.name in TRANSACTION_DATE_COLUMNS]

    @staticmethod
    def date_tracked(table: Table) -> bool:
        """Whether rows are versions with an EFFECTIVE_START/END_DATE range."""
        return {"EFFECTIVE_START_DATE", "EFFECTIVE_END_DATE"} <= table.column_names

    @staticmethod
    def org_column(table: Table) -> str | None:
        """The ORG_ID column when MOAC stripes the table by operating unit."""
        if table.striping and table.striping.by == "operating_unit":
            return table.striping.column
        return None

    @staticmethod
    def literal(column: Column, code: str) -> str:
        """A lookup code as an SQL literal of the column's type."""
        if column.type.is_numeric:
            return code
        return "'" + code.replace("'", "''") + "'"


def alias_for(table: str, taken: set[str]) -> str:
    """A short lower-case alias from the table's initials, never a keyword nor one in use."""
    parts = [p for p in table.split("_") if p not in ("ALL", "B", "F", "TL")]
    base = "".join(p[0] for p in parts).lower()
    alias = base
    extra = iter(parts[-1][1:].lower())
    while alias in _RESERVED_ALIASES or alias in taken:
        alias += next(extra, "x")
    taken.add(alias)
    return alias


def _as_of(v: Vocabulary, table: Table, key: object, prefix: str = ""
           ) -> tuple[list[str], str]:
    """The as-of filter of a date-tracked table (and its question suffix), else nothing."""
    if not v.date_tracked(table):
        return [], ""
    day, words = AS_OF_DATES[digest("as_of", key) % len(AS_OF_DATES)]
    return ([f"DATE '{day}' BETWEEN {prefix}EFFECTIVE_START_DATE AND {prefix}EFFECTIVE_END_DATE"],
            f" as of {words}")


def _where(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _window_sql(column: str, start: str, end: str, variant: int) -> str:
    """A half-open date window in one of three Oracle spellings (all mean the same)."""
    if variant == 0:
        return f"{column} >= DATE '{start}' AND {column} < DATE '{end}'"
    if variant == 1:
        return (f"{column} >= TO_DATE('{start}', 'YYYY-MM-DD') "
                f"AND {column} < TO_DATE('{end}', 'YYYY-MM-DD')")
    last = _day_before(end)
    return f"TRUNC({column}) BETWEEN DATE '{start}' AND DATE '{last}'"


def _day_before(iso: str) -> str:
    return (dt.date.fromisoformat(iso) - dt.timedelta(days=1)).isoformat()


def _pick(options: Sequence, *key: object):
    return options[digest(*key) % len(options)]


# ---------------------------------------------------------------- single-table families


def count_all(v: Vocabulary) -> Iterator[Draft]:
    """How many rows a table has (as of a day for date-tracked tables)."""
    for t in v.tables():
        cond, suffix = _as_of(v, t, t.name)
        q = _pick(("How many {p} are there{s}?", "Count the {p}{s}.",
                   "What is the total number of {p}{s}?"), t.name).format(p=v.plural(t), s=suffix)
        yield Draft("count_all", q, f"SELECT COUNT(*) FROM {t.name}{_where(cond)}", (t.name,))


def count_by_code(v: Vocabulary) -> Iterator[Draft]:
    """How many rows carry one lookup code, named by its meaning."""
    for t in v.tables():
        for col, lookup in v.coded(t):
            for code, meaning in lookup.codes.items():
                key = (t.name, col.name, code)
                cond, suffix = _as_of(v, t, key)
                cond = [f"{col.name} = {v.literal(col, code)}", *cond]
                c = v.phrase(t, col)
                q = _pick(("How many {p} have {a} of '{m}'{s}?",
                           "Count the {p} whose {c} is '{m}'{s}.",
                           "Number of {p} with {c} '{m}'{s}?"), *key).format(
                    p=v.plural(t), a=_article(c), c=c, m=meaning, s=suffix)
                yield Draft("count_by_code", q,
                            f"SELECT COUNT(*) FROM {t.name}{_where(cond)}", (t.name,))


_CONDITION_RE = re.compile(r"(\w+) (= '[^']*'|IS NOT NULL|IS NULL)")


def _synonym_conditions(note: str, table: Table) -> list[str] | None:
    """`COL = 'X' and COL2 IS NULL; comment` as SQL conditions, when the whole note is that."""
    head = note.split(";")[0].strip()
    parts = re.split(r"\s+and\s+", head, flags=re.IGNORECASE)
    conditions = []
    for part in parts:
        m = _CONDITION_RE.fullmatch(part.strip())
        if not m or m[1] not in table.column_names:
            return None
        conditions.append(f"{m[1]} {m[2]}")
    return conditions


def count_by_synonym(v: Vocabulary) -> Iterator[Draft]:
    """Counts of a business term whose synonym note is a filter (`open invoice`)."""
    for syn in v.catalog.synonyms:
        table = v.catalog.tables[syn.maps_to.partition(".")[0]]
        conditions = _synonym_conditions(syn.note, table) if syn.note else None
        if not conditions:
            continue
        for variant, frame in enumerate(("How many {t} are there?", "Count all {t}.",
                                         "List the number of {t} per operating unit.")):
            org = v.org_column(table)
            if variant == 2:
                if not org:
                    continue
                sql = (f"SELECT {org}, COUNT(*) FROM {table.name}{_where(conditions)} "
                       f"GROUP BY {org}")
            else:
                sql = f"SELECT COUNT(*) FROM {table.name}{_where(conditions)}"
            yield Draft("count_by_synonym", frame.format(t=pluralize(syn.term)), sql, (table.name,))


def list_by_code(v: Vocabulary) -> Iterator[Draft]:
    """The labels (names, numbers) of rows carrying one lookup code."""
    for t in v.tables():
        label = v.label(t)
        if label is None:
            continue
        for col, lookup in v.coded(t):
            if col.name == label.name:
                continue
            for code, meaning in lookup.codes.items():
                key = (t.name, col.name, code)
                cond, suffix = _as_of(v, t, key)
                c = v.phrase(t, col)
                q = _pick(("List the {l} of {p} whose {c} is '{m}'{s}.",
                           "Which {p} have {a} of '{m}'{s}? Show their {l}."), *key).format(
                    l=v.label_phrase(t, label), p=v.plural(t), a=_article(c), c=c, m=meaning,
                    s=suffix)
                conditions = [f"{col.name} = {v.literal(col, code)}", *cond]
                yield Draft("list_by_code", q,
                            f"SELECT {label.name} FROM {t.name}{_where(conditions)}", (t.name,))


_AGGREGATES = (("SUM", "total"), ("AVG", "average"), ("MAX", "largest"), ("MIN", "smallest"))


def aggregate_measure(v: Vocabulary) -> Iterator[Draft]:
    """SUM, AVG, MAX or MIN of a measure over a whole table."""
    for t in v.tables():
        for col in v.measures(t):
            for func, word in _AGGREGATES:
                q = _pick(("What is the {w} {c} across all {p}?",
                           "Give the {w} {c} of the {p}."), t.name, col.name, func).format(
                    w=word, c=v.phrase(t, col), p=v.plural(t))
                yield Draft("aggregate_measure", q, f"SELECT {func}({col.name}) FROM {t.name}",
                            (t.name,))


def org_count(v: Vocabulary) -> Iterator[Draft]:
    """Row counts restricted to one operating unit (org_policy required)."""
    for t in v.tables():
        org = v.org_column(t)
        if not org:
            continue
        for ou_id, ou_name in v.operating_units:
            q = _pick(("How many {p} does operating unit {n} have?",
                       "Count the {p} of {n}.",
                       "How many {p} belong to the {n} operating unit (ORG_ID {i})?"),
                      t.name, ou_id).format(p=v.plural(t), n=ou_name, i=ou_id)
            yield Draft("org_count", q, f"SELECT COUNT(*) FROM {t.name} WHERE {org} = {ou_id}",
                        (t.name,), org_policy="required")


def inv_org_count(v: Vocabulary) -> Iterator[Draft]:
    """Row counts restricted to one inventory organization."""
    for t in v.tables():
        if not (t.striping and t.striping.by == "inventory_organization"):
            continue
        for org_id, org_name in v.inventory_orgs:
            q = f"How many {v.plural(t)} are there in inventory organization {org_name}?"
            yield Draft("inv_org_count", q,
                        f"SELECT COUNT(*) FROM {t.name} WHERE {t.striping.column} = {org_id}",
                        (t.name,))


def group_by_code(v: Vocabulary) -> Iterator[Draft]:
    """Row counts per lookup code."""
    for t in v.tables():
        for col, _ in v.coded(t):
            cond, suffix = _as_of(v, t, (t.name, col.name))
            q = _pick(("Count the {p} by {c}{s}.", "How many {p} are there per {c}{s}?",
                       "Break down the number of {p} by {c}{s}."), t.name, col.name).format(
                p=v.plural(t), c=v.phrase(t, col), s=suffix)
            sql = (f"SELECT {col.name}, COUNT(*) AS ROW_COUNT FROM {t.name}{_where(cond)} "
                   f"GROUP BY {col.name}")
            yield Draft("group_by_code", q, sql, (t.name,))


def decode_group(v: Vocabulary) -> Iterator[Draft]:
    """Row counts per lookup meaning, spelled out with DECODE."""
    for t in v.tables():
        for col, lookup in v.coded(t):
            if (not 2 <= len(lookup.codes) <= 8 or col.type.is_numeric
                    or all(code == meaning for code, meaning in lookup.codes.items())):
                continue
            pairs = ", ".join(f"{v.literal(col, c)}, '{m.replace(chr(39), chr(39) * 2)}'"
                              for c, m in lookup.codes.items())
            expr = f"DECODE({col.name}, {pairs}, {col.name})"
            q = _pick(("Show the number of {p} per {c}, naming each {c} by its meaning.",
                       "How many {p} are there for each {c}? Show the {c} meaning, not the code."),
                      t.name, col.name).format(p=v.plural(t), c=v.phrase(t, col))
            sql = f"SELECT {expr} AS MEANING, COUNT(*) AS ROW_COUNT FROM {t.name} GROUP BY {expr}"
            yield Draft("decode_group", q, sql, (t.name,))


def sum_by_code(v: Vocabulary) -> Iterator[Draft]:
    """Total of a measure per lookup code."""
    for t in v.tables():
        for measure in v.measures(t):
            for col, _ in v.coded(t):
                q = _pick(("What is the total {m} per {c}?", "Sum the {m} of {p} by {c}."),
                          t.name, measure.name, col.name).format(
                    m=v.phrase(t, measure), c=v.phrase(t, col), p=v.plural(t))
                sql = (f"SELECT {col.name}, SUM({measure.name}) AS TOTAL FROM {t.name} "
                       f"GROUP BY {col.name}")
                yield Draft("sum_by_code", q, sql, (t.name,))


def date_window(v: Vocabulary) -> Iterator[Draft]:
    """Counts or totals of rows whose transaction date falls in a month, quarter or year."""
    for t in v.tables():
        for date in v.dates(t):
            for phrase, start, end in DATE_WINDOWS:
                key = (t.name, date.name, start, end)
                window = _window_sql(date.name, start, end, digest("window", *key) % 3)
                measures = v.measures(t)
                if measures and digest("sum", *key) % 2:
                    m = _pick(measures, "measure", *key)
                    q = f"What is the total {v.phrase(t, m)} of {v.plural(t)} with " \
                        f"{_article(v.phrase(t, date))} {phrase}?"
                    sql = f"SELECT SUM({m.name}) FROM {t.name} WHERE {window}"
                else:
                    q = f"How many {v.plural(t)} have {_article(v.phrase(t, date))} {phrase}?"
                    sql = f"SELECT COUNT(*) FROM {t.name} WHERE {window}"
                yield Draft("date_window", q, sql, (t.name,))


def day_trunc(v: Vocabulary) -> Iterator[Draft]:
    """Counts of rows dated on one day at any time of day (TRUNC on the date)."""
    for t in v.tables():
        for date in v.dates(t):
            for day, spoken in EDGE_DAYS:
                c = v.phrase(t, date)
                q = _pick(("How many {p} have {a} on {d}, at any time of day?",
                           "Count the {p} whose {c} falls on {d}."), t.name, date.name, day
                          ).format(p=v.plural(t), a=_article(c), c=c, d=spoken)
                sql = f"SELECT COUNT(*) FROM {t.name} WHERE TRUNC({date.name}) = DATE '{day}'"
                yield Draft("day_trunc", q, sql, (t.name,))


def nvl_sum(v: Vocabulary) -> Iterator[Draft]:
    """Totals and listings that read a missing measure as zero (NVL)."""
    for t in v.tables():
        for m in v.measures(t):
            if not m.nullable:
                continue
            label = v.label(t)
            q = f"What is the total {v.phrase(t, m)} of all {v.plural(t)}, counting a missing " \
                f"{v.phrase(t, m)} as zero?"
            yield Draft("nvl_sum", q, f"SELECT SUM(NVL({m.name}, 0)) FROM {t.name}", (t.name,))
            if label is not None:
                own = _possessive(v.noun(t), v.label_phrase(t, label))
                q = f"List each {own} with its {v.phrase(t, m)}, showing 0 where none is recorded."
                yield Draft("nvl_sum", q, f"SELECT {label.name}, NVL({m.name}, 0) AS "
                            f"{m.name} FROM {t.name}", (t.name,))


def top_n(v: Vocabulary) -> Iterator[Draft]:
    """The N rows with the largest measure (FETCH FIRST or ROWNUM over an ordered view)."""
    for t in v.tables():
        label = v.label(t)
        if label is None:
            continue
        for m in v.measures(t):
            for n in (3, 5, 10):
                key = (t.name, m.name, n)
                q = _pick(("Which {n} {p} have the largest {m}? Show their {l} and {m}.",
                           "List the top {n} {p} by {m}, with their {l}."), *key).format(
                    n=n, p=v.plural(t), m=v.phrase(t, m), l=v.label_phrase(t, label))
                inner = (f"SELECT {label.name}, {m.name} FROM {t.name} WHERE {m.name} IS NOT NULL "
                         f"ORDER BY {m.name} DESC")
                if digest("rownum", *key) % 2:
                    sql = f"SELECT * FROM ({inner}) WHERE ROWNUM <= {n}"
                else:
                    sql = f"{inner} FETCH FIRST {n} ROWS ONLY"
                yield Draft("top_n", q, sql, (t.name,))


def org_group(v: Vocabulary) -> Iterator[Draft]:
    """Row counts per lookup code within one operating unit (org_policy required)."""
    for t in v.tables():
        org = v.org_column(t)
        if not org:
            continue
        for col, _ in v.coded(t):
            for ou_id, ou_name in v.operating_units:
                q = _pick(("For operating unit {n}, count the {p} by {c}.",
                           "In {n}, how many {p} are there per {c}?"),
                          t.name, col.name, ou_id).format(
                    n=ou_name, p=v.plural(t), c=v.phrase(t, col))
                sql = (f"SELECT {col.name}, COUNT(*) AS ROW_COUNT FROM {t.name} "
                       f"WHERE {org} = {ou_id} GROUP BY {col.name}")
                yield Draft("org_group", q, sql, (t.name,), org_policy="required")


def above_average(v: Vocabulary) -> Iterator[Draft]:
    """Rows whose measure exceeds the table's average (scalar subquery)."""
    for t in v.tables():
        label = v.label(t)
        if label is None:
            continue
        for m in v.measures(t):
            q = f"Which {v.plural(t)} have {_article(v.phrase(t, m))} above the average? " \
                f"Show their {v.label_phrase(t, label)}."
            sql = (f"SELECT {label.name}, {m.name} FROM {t.name} WHERE {m.name} > "
                   f"(SELECT AVG({m.name}) FROM {t.name})")
            yield Draft("above_average", q, sql, (t.name,))


# ---------------------------------------------------------------- join families


@dataclass(frozen=True)
class _Edge:
    child: Table
    fk: ForeignKey
    parent: Table


def _edges(v: Vocabulary) -> list[_Edge]:
    """Foreign keys usable in generic joins: no self-joins, no date-tracked ends."""
    out = []
    for name, fk in sorted(v.catalog.join_edges(), key=lambda e: (e[0], e[1].references,
                                                                  e[1].columns)):
        child, parent = v.catalog.tables[name], v.catalog.tables[fk.references]
        if child.name == parent.name or v.date_tracked(child) or v.date_tracked(parent):
            continue
        out.append(_Edge(child, fk, parent))
    return out


def _on(edge: _Edge, c: str, p: str, outer: bool = False) -> str:
    plus = "(+)" if outer else ""
    return " AND ".join(f"{p}.{b} = {c}.{a}{plus}"
                        for a, b in zip(edge.fk.columns, edge.fk.ref_columns, strict=True))


def _role(v: Vocabulary, edge: _Edge) -> str:
    """How a question names the parent: its noun, or the FK's description when two keys of the
    same child reach the same parent (bill-to versus ship-to customer)."""
    siblings = [fk for fk in edge.child.foreign_keys if fk.references == edge.parent.name]
    if len(siblings) > 1:
        return _humanize(edge.fk.columns[0].removesuffix("_ID"))
    return v.noun(edge.parent)


def join_label(v: Vocabulary) -> Iterator[Draft]:
    """Each child row's label with its parent's label, along one foreign key."""
    for e in _edges(v):
        cl, pl = v.label(e.child), v.label(e.parent)
        if cl is None or pl is None:
            continue
        taken: set[str] = set()
        c, p = alias_for(e.child.name, taken), alias_for(e.parent.name, taken)
        own = _possessive(v.noun(e.child), v.label_phrase(e.child, cl))
        their = _possessive(_role(v, e), v.label_phrase(e.parent, pl))
        q = _pick(("List each {own} with its {their}.",
                   "Show the {own} of every {cn} together with its {their}."),
                  e.child.name, e.fk.columns).format(cn=v.noun(e.child), own=own, their=their)
        if digest("ansi", e.child.name, e.fk.columns) % 3:
            sql = (f"SELECT {c}.{cl.name}, {p}.{pl.name} FROM {e.child.name} {c} "
                   f"JOIN {e.parent.name} {p} ON {_on(e, c, p)}")
        else:
            sql = (f"SELECT {c}.{cl.name}, {p}.{pl.name} FROM {e.child.name} {c}, "
                   f"{e.parent.name} {p} WHERE {_on(e, c, p)}")
        yield Draft("join_label", q, sql, (e.child.name, e.parent.name))


def count_per_parent(v: Vocabulary) -> Iterator[Draft]:
    """Child rows counted per parent, along one foreign key."""
    for e in _edges(v):
        pl = v.label(e.parent)
        if pl is None:
            continue
        taken: set[str] = set()
        c, p = alias_for(e.child.name, taken), alias_for(e.parent.name, taken)
        keys = _group_keys(p, [*e.parent.primary_key, pl.name])
        q = _pick(("How many {cp} does each {r} have? Show the {pl}.",
                   "Count the {cp} per {pl}."), e.child.name, e.fk.columns).format(
            cp=v.plural(e.child), r=_role(v, e),
            pl=_possessive(_role(v, e), v.label_phrase(e.parent, pl)))
        sql = (f"SELECT {p}.{pl.name}, COUNT(*) AS ROW_COUNT FROM {e.child.name} {c} "
               f"JOIN {e.parent.name} {p} ON {_on(e, c, p)} GROUP BY {keys}")
        yield Draft("count_per_parent", q, sql, (e.child.name, e.parent.name))


def having_count(v: Vocabulary) -> Iterator[Draft]:
    """Parents with more than N children (GROUP BY ... HAVING)."""
    for e in _edges(v):
        pl = v.label(e.parent)
        if pl is None:
            continue
        for n in (2, 5, 10):
            taken: set[str] = set()
            c, p = alias_for(e.child.name, taken), alias_for(e.parent.name, taken)
            keys = _group_keys(p, [*e.parent.primary_key, pl.name])
            q = (f"Which {pluralize(_role(v, e))} have more than {n} {v.plural(e.child)}? "
                 f"Show the {v.label_phrase(e.parent, pl)} and the count.")
            sql = (f"SELECT {p}.{pl.name}, COUNT(*) AS ROW_COUNT FROM {e.parent.name} {p} "
                   f"JOIN {e.child.name} {c} ON {_on(e, c, p)} GROUP BY {keys} "
                   f"HAVING COUNT(*) > {n}")
            yield Draft("having_count", q, sql, (e.child.name, e.parent.name))


def outer_join_count(v: Vocabulary) -> Iterator[Draft]:
    """Every parent with its number of children, childless ones included ((+) or LEFT JOIN)."""
    for e in _edges(v):
        pl = v.label(e.parent)
        if pl is None:
            continue
        taken: set[str] = set()
        c, p = alias_for(e.child.name, taken), alias_for(e.parent.name, taken)
        keys = _group_keys(p, [*e.parent.primary_key, pl.name])
        counted = f"{c}.{e.child.primary_key[0]}"
        q = (f"List every {_role(v, e)} with its number of {v.plural(e.child)}, including "
             f"those with none. Show the {_possessive(_role(v, e), v.label_phrase(e.parent, pl))}.")
        if digest("plus", e.child.name, e.fk.columns) % 2:
            sql = (f"SELECT {p}.{pl.name}, COUNT({counted}) AS ROW_COUNT FROM {e.parent.name} "
                   f"{p}, {e.child.name} {c} WHERE {_on(e, c, p, outer=True)} "
                   f"GROUP BY {keys}")
        else:
            sql = (f"SELECT {p}.{pl.name}, COUNT({counted}) AS ROW_COUNT FROM {e.parent.name} "
                   f"{p} LEFT JOIN {e.child.name} {c} ON {_on(e, c, p)} GROUP BY {keys}")
        yield Draft("outer_join_count", q, sql, (e.child.name, e.parent.name))


def not_exists(v: Vocabulary) -> Iterator[Draft]:
    """Parents without any child (NOT EXISTS)."""
    for e in _edges(v):
        pl = v.label(e.parent)
        if pl is None:
            continue
        taken: set[str] = set()
        c, p = alias_for(e.child.name, taken), alias_for(e.parent.name, taken)
        q = _pick(("Which {rp} have no {cp}? List their {pl}.",
                   "List the {pl} of {rp} without any {cp}."), e.child.name, e.fk.columns
                  ).format(rp=pluralize(_role(v, e)), cp=v.plural(e.child),
                           pl=v.label_phrase(e.parent, pl))
        sql = (f"SELECT {p}.{pl.name} FROM {e.parent.name} {p} WHERE NOT EXISTS "
               f"(SELECT 1 FROM {e.child.name} {c} WHERE {_on(e, c, p)})")
        yield Draft("not_exists", q, sql, (e.child.name, e.parent.name))


def join_org_window(v: Vocabulary) -> Iterator[Draft]:
    """A child measure per parent label in one operating unit and date window."""
    for e in _edges(v):
        pl, org = v.label(e.parent), v.org_column(e.child)
        dates, measures = v.dates(e.child), v.measures(e.child)
        if pl is None or not org or not dates or not measures:
            continue
        for ou_id, ou_name in v.operating_units:
            key = (e.child.name, e.fk.columns, ou_id)
            date, m = _pick(dates, "date", *key), _pick(measures, "measure", *key)
            phrase, start, end = _pick(DATE_WINDOWS, "window", *key)
            taken: set[str] = set()
            c, p = alias_for(e.child.name, taken), alias_for(e.parent.name, taken)
            conditions = [f"{c}.{org} = {ou_id}",
                          _window_sql(f"{c}.{date.name}", start, end, digest("w", *key) % 3)]
            parent_org = v.org_column(e.parent)
            if parent_org:
                conditions.append(f"{p}.{parent_org} = {ou_id}")
            keys = _group_keys(p, [*e.parent.primary_key, pl.name])
            q = (f"For {ou_name}, what is the total {v.phrase(e.child, m)} of {v.plural(e.child)} "
                 f"with {_article(v.phrase(e.child, date))} {phrase}, per "
                 f"{_possessive(_role(v, e), v.label_phrase(e.parent, pl))}?")
            sql = (f"SELECT {p}.{pl.name}, SUM({c}.{m.name}) AS TOTAL FROM {e.child.name} {c} "
                   f"JOIN {e.parent.name} {p} ON {_on(e, c, p)} WHERE "
                   f"{' AND '.join(conditions)} GROUP BY {keys}")
            yield Draft("join_org_window", q, sql, (e.child.name, e.parent.name),
                        org_policy="required")


def monthly_trend(v: Vocabulary) -> Iterator[Draft]:
    """Monthly counts or totals over one year, in month order."""
    for t in v.tables():
        for date in v.dates(t):
            for year in ("2023", "2024", "2025"):
                key = (t.name, date.name, year)
                measures = v.measures(t)
                window = f"{date.name} >= DATE '{year}-01-01' AND {date.name} < " \
                         f"DATE '{int(year) + 1}-01-01'"
                if digest("trunc", *key) % 2:
                    month = f"TRUNC({date.name}, 'MM')"
                else:
                    month = f"TO_CHAR({date.name}, 'YYYY-MM')"
                if measures and digest("sum", *key) % 2:
                    m = _pick(measures, "measure", *key)
                    q = f"Show the monthly total {v.phrase(t, m)} of {v.plural(t)} by " \
                        f"{v.phrase(t, date)} for {year}, in month order."
                    value = f"SUM({m.name}) AS TOTAL"
                else:
                    q = f"How many {v.plural(t)} were there each month of {year} by " \
                        f"{v.phrase(t, date)}? Order by month."
                    value = "COUNT(*) AS ROW_COUNT"
                sql = (f"SELECT {month} AS MONTH, {value} FROM {t.name} WHERE {window} "
                       f"GROUP BY {month} ORDER BY MONTH")
                yield Draft("monthly_trend", q, sql, (t.name,))


def two_hop_sum(v: Vocabulary) -> Iterator[Draft]:
    """A measure of grandchild rows totalled per grandparent label (two joins)."""
    edges = _edges(v)
    by_child: dict[str, list[_Edge]] = {}
    for e in edges:
        by_child.setdefault(e.child.name, []).append(e)
    for low in edges:
        measures = v.measures(low.child)
        if not measures:
            continue
        for high in by_child.get(low.parent.name, []):
            label = v.label(high.parent)
            if label is None or high.parent.name == low.child.name:
                continue
            m = _pick(measures, low.child.name, low.fk.columns, high.parent.name)
            taken: set[str] = set()
            a = alias_for(low.child.name, taken)
            b = alias_for(low.parent.name, taken)
            c = alias_for(high.parent.name, taken)
            keys = _group_keys(c, [*high.parent.primary_key, label.name])
            q = (f"What is the total {v.phrase(low.child, m)} of {v.plural(low.child)} per "
                 f"{_role(v, high)}? Show the {v.label_phrase(high.parent, label)}.")
            sql = (f"SELECT {c}.{label.name}, SUM({a}.{m.name}) AS TOTAL FROM {low.child.name} {a} "
                   f"JOIN {low.parent.name} {b} ON {_on(low, a, b)} JOIN {high.parent.name} {c} "
                   f"ON {_on(high, b, c)} GROUP BY {keys}")
            yield Draft("two_hop_sum", q, sql,
                        (low.child.name, low.parent.name, high.parent.name))


def unanswerable(v: Vocabulary) -> Iterator[Draft]:
    """Questions about subjects the catalog does not hold; the gold refuses."""
    for subject, _, why in UNANSWERABLE_SUBJECTS:
        for frame in UNANSWERABLE_FRAMES:
            yield Draft("unanswerable", frame.format(subject=subject),
                        f"{UNANSWERABLE_GOLD}: {why}", ())


FAMILIES: dict[str, Callable[[Vocabulary], Iterator[Draft]]] = {
    "count_all": count_all,
    "count_by_code": count_by_code,
    "count_by_synonym": count_by_synonym,
    "list_by_code": list_by_code,
    "aggregate_measure": aggregate_measure,
    "org_count": org_count,
    "inv_org_count": inv_org_count,
    "group_by_code": group_by_code,
    "decode_group": decode_group,
    "sum_by_code": sum_by_code,
    "date_window": date_window,
    "day_trunc": day_trunc,
    "nvl_sum": nvl_sum,
    "top_n": top_n,
    "org_group": org_group,
    "join_label": join_label,
    "count_per_parent": count_per_parent,
    "above_average": above_average,
    "having_count": having_count,
    "outer_join_count": outer_join_count,
    "not_exists": not_exists,
    "join_org_window": join_org_window,
    "monthly_trend": monthly_trend,
    "two_hop_sum": two_hop_sum,
    "unanswerable": unanswerable,
}

"""The equivalence prover (harness/authoring/mutant_equivalence.py): each rule proves the case it is for
and refuses the near case that differs on some database; a property test runs every proved
mutant of random queries against random data that keeps the keys; on the shipped golds no
proved mutant is ever killed, and the instances keep every declared unique key."""

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from harness.authoring.mutant_equivalence import RULES, edit_site, prove, rows_determined_by
from harness.authoring.mutants import Mutant, SchemaFacts, neighbours
from harness.sql.parse import parse_single

# INV: invoices, ID the primary key, (VENDOR_ID, NUM, ORG) a unique key, AMT nullable.
# SUP: suppliers, ID the primary key, CODE unique, NAME not unique.
# LIN: invoice lines, ID the primary key, (INV_ID, LINE) unique.
FACTS = SchemaFacts(
    not_null=frozenset({("INV", "ID"), ("INV", "NUM"), ("INV", "ORG"), ("SUP", "ID"),
                        ("SUP", "CODE"), ("SUP", "NAME"), ("LIN", "ID"), ("LIN", "INV_ID"),
                        ("LIN", "LINE")}),
    primary_keys={"INV": ("ID",), "SUP": ("ID",), "LIN": ("ID",)},
    mandatory_parents={("LIN", ("INV_ID",)): ("INV", ("ID",))},
    unique_keys={"INV": (("ID",), ("VENDOR_ID", "NUM", "ORG")), "SUP": (("ID",), ("CODE",)),
                 "LIN": (("ID",), ("INV_ID", "LINE"))},
    columns={"INV": frozenset({"ID", "VENDOR_ID", "NUM", "ORG", "AMT"}),
             "SUP": frozenset({"ID", "CODE", "NAME"}),
             "LIN": frozenset({"ID", "INV_ID", "LINE", "QTY"})})


def proof(gold: str, operator: str, mutant: str) -> str | None:
    found = prove(gold, Mutant(operator, mutant), FACTS)
    return found.rule if found else None


def test_edit_site_finds_the_one_changed_node():
    gold = parse_single("SELECT a FROM t WHERE b = 1 ORDER BY a")
    site = edit_site(gold, parse_single("SELECT a FROM t WHERE b = 1 ORDER BY a DESC"))
    assert site is not None and site[0].find_ancestor(exp.Order) is not None
    assert not site[0].args.get("desc") and site[1].args.get("desc")
    assert edit_site(gold, gold.copy()) is None


# (rule, gold, operator, mutant that the rule proves, near mutant or gold it must not prove)
CASES = [
    ("distinct_over_unique_rows",
     "SELECT i.ID, i.AMT FROM INV i", "distinct_toggled", "SELECT DISTINCT i.ID, i.AMT FROM INV i",
     ("SELECT i.ORG, i.AMT FROM INV i", "SELECT DISTINCT i.ORG, i.AMT FROM INV i")),
    ("distinct_over_unique_rows",  # a unique key completed by WHERE's constant
     "SELECT i.VENDOR_ID, i.NUM FROM INV i WHERE i.ORG = 204", "distinct_toggled",
     "SELECT DISTINCT i.VENDOR_ID, i.NUM FROM INV i WHERE i.ORG = 204",
     ("SELECT i.VENDOR_ID, i.NUM FROM INV i WHERE i.ORG > 204",
      "SELECT DISTINCT i.VENDOR_ID, i.NUM FROM INV i WHERE i.ORG > 204")),
    ("distinct_over_unique_rows",  # N:1 join on the parent's key: the child's key is enough
     "SELECT l.ID, s.NAME FROM LIN l JOIN INV i ON i.ID = l.INV_ID "
     "LEFT JOIN SUP s ON s.ID = i.VENDOR_ID", "distinct_toggled",
     "SELECT DISTINCT l.ID, s.NAME FROM LIN l JOIN INV i ON i.ID = l.INV_ID "
     "LEFT JOIN SUP s ON s.ID = i.VENDOR_ID",
     ("SELECT l.ID, s.NAME FROM LIN l JOIN INV i ON i.ID = l.INV_ID "  # 1:N: not determined
      "JOIN SUP s ON s.NAME = i.NUM",
      "SELECT DISTINCT l.ID, s.NAME FROM LIN l JOIN INV i ON i.ID = l.INV_ID "
      "JOIN SUP s ON s.NAME = i.NUM")),
    ("distinct_over_unique_rows",  # a selected expression determining every GROUP BY key
     "SELECT s.CODE, COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID GROUP BY s.ID, s.CODE",
     "distinct_toggled", "SELECT DISTINCT s.CODE, COUNT(*) FROM INV i JOIN SUP s ON s.ID = "
     "i.VENDOR_ID GROUP BY s.ID, s.CODE",
     ("SELECT s.NAME, COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID GROUP BY s.ID, s.NAME",
      "SELECT DISTINCT s.NAME, COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID "
      "GROUP BY s.ID, s.NAME")),
    ("distinct_over_unique_rows",  # a derived table keyed by the GROUP BY key it shows
     "SELECT x.ORG, x.N, s.NAME FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i GROUP BY i.ORG) x "
     "JOIN SUP s ON s.ID = x.ORG", "distinct_toggled",
     "SELECT DISTINCT x.ORG, x.N, s.NAME FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i "
     "GROUP BY i.ORG) x JOIN SUP s ON s.ID = x.ORG",
     ("SELECT x.N, s.NAME FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i GROUP BY i.ORG) x "
      "JOIN SUP s ON s.ID = x.ORG",
      "SELECT DISTINCT x.N, s.NAME FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i "
      "GROUP BY i.ORG) x JOIN SUP s ON s.ID = x.ORG")),
    ("single_row_groups",
     "SELECT i.ID, SUM(l.QTY) FROM LIN l JOIN INV i ON i.ID = l.INV_ID GROUP BY i.ID, l.ID",
     "aggregate_swapped",
     "SELECT i.ID, AVG(l.QTY) FROM LIN l JOIN INV i ON i.ID = l.INV_ID GROUP BY i.ID, l.ID",
     ("SELECT i.ID, SUM(l.QTY) FROM LIN l JOIN INV i ON i.ID = l.INV_ID GROUP BY i.ID",
      "SELECT i.ID, AVG(l.QTY) FROM LIN l JOIN INV i ON i.ID = l.INV_ID GROUP BY i.ID")),
    ("single_row_groups",  # COUNT(x) and COUNT(DISTINCT x) agree on one row, COUNT(*) does not
     "SELECT l.ID, COUNT(l.QTY) FROM LIN l GROUP BY l.ID", "aggregate_swapped",
     "SELECT l.ID, COUNT(DISTINCT l.QTY) FROM LIN l GROUP BY l.ID",
     ("SELECT l.ID, COUNT(l.QTY) FROM LIN l GROUP BY l.ID",
      "SELECT l.ID, COUNT(*) FROM LIN l GROUP BY l.ID")),
    ("constant_within_group",
     "SELECT i.VENDOR_ID, MAX(s.NAME), COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID "
     "GROUP BY i.VENDOR_ID", "aggregate_swapped",
     "SELECT i.VENDOR_ID, MIN(s.NAME), COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID "
     "GROUP BY i.VENDOR_ID",
     ("SELECT i.VENDOR_ID, MAX(i.AMT), COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID "
      "GROUP BY i.VENDOR_ID",
      "SELECT i.VENDOR_ID, MIN(i.AMT), COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID "
      "GROUP BY i.VENDOR_ID")),
    ("group_key_determined",
     "SELECT COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID GROUP BY i.VENDOR_ID, s.NAME",
     "group_key_dropped",
     "SELECT COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID GROUP BY i.VENDOR_ID",
     ("SELECT COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID GROUP BY i.VENDOR_ID, s.NAME",
      "SELECT COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID GROUP BY s.NAME")),
    ("order_decided_earlier",
     "SELECT i.NUM, i.AMT FROM INV i ORDER BY i.ID, i.AMT", "direction_flipped",
     "SELECT i.NUM, i.AMT FROM INV i ORDER BY i.ID, i.AMT DESC NULLS FIRST",
     ("SELECT i.NUM, i.AMT FROM INV i ORDER BY i.ORG, i.AMT",
      "SELECT i.NUM, i.AMT FROM INV i ORDER BY i.ORG, i.AMT DESC NULLS FIRST")),
    ("order_decided_earlier",  # one row: no order to decide
     "SELECT SUM(i.AMT) AS s FROM INV i ORDER BY s", "nulls_flipped",
     "SELECT SUM(i.AMT) AS s FROM INV i ORDER BY s NULLS FIRST",
     ("SELECT i.ORG, SUM(i.AMT) AS s FROM INV i GROUP BY i.ORG ORDER BY s",
      "SELECT i.ORG, SUM(i.AMT) AS s FROM INV i GROUP BY i.ORG ORDER BY s NULLS FIRST")),
    ("no_null_to_place",
     "SELECT i.ID FROM INV i WHERE i.AMT IS NOT NULL ORDER BY i.AMT", "nulls_flipped",
     "SELECT i.ID FROM INV i WHERE NOT i.AMT IS NULL ORDER BY i.AMT NULLS FIRST",
     ("SELECT i.ID FROM INV i WHERE i.AMT IS NOT NULL OR i.ORG = 1 ORDER BY i.AMT",
      "SELECT i.ID FROM INV i WHERE NOT i.AMT IS NULL OR i.ORG = 1 ORDER BY i.AMT NULLS FIRST")),
    ("ranking_without_ties",
     "SELECT i.ID, RANK() OVER (PARTITION BY i.ORG ORDER BY i.ID) FROM INV i", "ranking_swapped",
     "SELECT i.ID, ROW_NUMBER() OVER (PARTITION BY i.ORG ORDER BY i.ID) FROM INV i",
     ("SELECT i.ID, RANK() OVER (PARTITION BY i.ORG ORDER BY i.AMT) FROM INV i",
      "SELECT i.ID, ROW_NUMBER() OVER (PARTITION BY i.ORG ORDER BY i.AMT) FROM INV i")),
    ("nvl_of_never_null",
     "SELECT NVL(i.NUM, 'none') FROM INV i", "nvl_moved", "SELECT i.NUM FROM INV i",
     ("SELECT NVL(i.NUM, 'none') FROM SUP s LEFT JOIN INV i ON i.VENDOR_ID = s.ID",
      "SELECT i.NUM FROM SUP s LEFT JOIN INV i ON i.VENDOR_ID = s.ID")),
    ("never_null_test_dropped",
     "SELECT i.ID FROM INV i WHERE i.ORG = 1 AND i.NUM IS NOT NULL", "conjunct_dropped",
     "SELECT i.ID FROM INV i WHERE i.ORG = 1",
     ("SELECT i.ID FROM INV i WHERE i.ORG = 1 AND i.AMT IS NOT NULL",
      "SELECT i.ID FROM INV i WHERE i.ORG = 1")),
]


@pytest.mark.parametrize(("rule", "gold", "operator", "mutant", "near"), CASES,
                         ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_each_rule_proves_its_case_and_not_the_near_one(rule, gold, operator, mutant, near):
    assert proof(gold, operator, mutant) == rule
    near_gold, near_mutant = near
    assert proof(near_gold, operator, near_mutant) is None


def test_every_rule_has_a_case():
    from tests.test_uniqueness_rules import CASES as UNIQUENESS_CASES
    assert {c[0] for c in CASES + UNIQUENESS_CASES} == set(RULES)


@pytest.mark.parametrize("sql", [
    "SELECT i.ID FROM INV i RIGHT JOIN SUP s ON s.ID = i.VENDOR_ID",  # RIGHT join: unsure
    "SELECT x.ORG FROM (SELECT i.ORG FROM INV i) x",  # a derived table that repeats ORG
    "SELECT x.ID FROM INV i LEFT JOIN (SELECT ID FROM INV) x ON x.ID = i.ID",  # outer: unsure
    "SELECT ID FROM INV i JOIN LIN l ON l.INV_ID = i.ID",  # ID is ambiguous: unsure
    "SELECT i.ID FROM INV i JOIN LIN l ON l.INV_ID = i.ID",  # lines repeat an invoice
    "SELECT i.NUM, i.ORG FROM INV i",  # NUM is unique only with VENDOR_ID
])
def test_rows_are_not_claimed_unique_when_unsure(sql):
    tree = parse_single(sql)
    assert not rows_determined_by(tree, tree.expressions, FACTS)


def test_an_outer_join_determines_the_joined_row_from_one_side_only():
    # every invoice finds at most one supplier, but a supplier has many invoices
    tree = parse_single("SELECT i.ID, s.NAME FROM INV i LEFT JOIN SUP s ON s.ID = i.VENDOR_ID")
    assert rows_determined_by(tree, tree.expressions, FACTS)
    tree = parse_single("SELECT s.ID FROM SUP s LEFT JOIN INV i ON i.VENDOR_ID = s.ID")
    assert not rows_determined_by(tree, tree.expressions, FACTS)
    marked = parse_single("SELECT i.ID FROM INV i, SUP s WHERE s.ID(+) = i.VENDOR_ID")
    assert rows_determined_by(marked, marked.expressions, FACTS)


# ---------------------------------------------------------------- soundness on random data

SCHEMA = """
CREATE TABLE INV (ID INTEGER, VENDOR_ID INTEGER, NUM VARCHAR, ORG INTEGER, AMT INTEGER);
CREATE TABLE SUP (ID INTEGER, CODE VARCHAR, NAME VARCHAR);
CREATE TABLE LIN (ID INTEGER, INV_ID INTEGER, LINE INTEGER, QTY INTEGER);
"""

small = st.integers(0, 3)
maybe = st.one_of(st.none(), small)


@st.composite
def databases(draw):
    """Rows that keep every key of FACTS (and the mandatory LIN -> INV parent)."""
    sups = draw(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xy")),
                         max_size=4, unique_by=lambda r: r[0]))
    invs = draw(st.lists(st.tuples(maybe, st.sampled_from("pq"), small, maybe), max_size=6,
                         unique_by=lambda r: r[:3]))
    lines = draw(st.lists(st.tuples(st.integers(0, max(len(invs) - 1, 0)), small, maybe),
                          max_size=8 if invs else 0, unique_by=lambda r: r[:2]))
    return ([(k, *r) for k, r in enumerate(sups)], [(k, *r) for k, r in enumerate(invs)],
            [(k, *r) for k, r in enumerate(lines)])


QUERIES = [
    "SELECT {cols} FROM INV i",
    "SELECT {cols} FROM INV i LEFT JOIN SUP s ON s.ID = i.VENDOR_ID",
    "SELECT {cols} FROM LIN l JOIN INV i ON i.ID = l.INV_ID WHERE i.ORG = 1",
    "SELECT {cols} FROM INV i, SUP s WHERE s.ID(+) = i.VENDOR_ID AND i.NUM IS NOT NULL",
    "SELECT {key}, MAX({val}), SUM(i.AMT), COUNT(l.QTY) FROM LIN l JOIN INV i "
    "ON i.ID = l.INV_ID GROUP BY {key}, l.ID",
    "SELECT {key}, MIN({val}), AVG(i.AMT) FROM INV i LEFT JOIN SUP s ON s.ID = i.VENDOR_ID "
    "GROUP BY {key}, i.ID",
    # ordered: the first column is the first ORDER BY key (its sequence is compared)
    "SELECT i.ID, {cols}, RANK() OVER (ORDER BY i.ID) FROM INV i ORDER BY i.ID, i.AMT",
    "SELECT i.AMT, {cols} FROM INV i WHERE i.AMT > 1 ORDER BY i.AMT, {key}",
    "SELECT {key}, MAX(s.NAME), COUNT(*) FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID "
    "GROUP BY {key}",
    "SELECT COUNT(*), MIN(i.AMT) FROM INV i LEFT JOIN SUP s ON s.ID = i.VENDOR_ID "
    "GROUP BY {key}, {val}",
    "SELECT d.ORG, d.VENDOR_ID, d.HI, s.NAME FROM (SELECT i.ORG, i.VENDOR_ID, MAX(i.AMT) AS "
    "HI FROM INV i GROUP BY i.ORG, i.VENDOR_ID) d LEFT JOIN SUP s ON s.ID = d.VENDOR_ID "
    "ORDER BY d.ORG, d.VENDOR_ID, d.HI",
    "SELECT d.VENDOR_ID, d.HI FROM (SELECT DISTINCT i.ORG, i.VENDOR_ID, i.AMT AS HI FROM INV i) "
    "d WHERE d.ORG = 1",
    "SELECT {cols}, NVL(i.ORG, 9), NVL(l.QTY, 9) FROM LIN l JOIN INV i ON i.ID = l.INV_ID "
    "WHERE i.ORG = 1 AND i.NUM IS NOT NULL AND l.QTY IS NOT NULL",
]
COLUMNS = {"INV i": ["i.ID", "i.VENDOR_ID", "i.NUM", "i.ORG", "i.AMT"],
           "SUP s": ["s.ID", "s.CODE", "s.NAME"], "LIN l": ["l.ID", "l.INV_ID", "l.QTY"]}


@st.composite
def queries(draw):
    template = draw(st.sampled_from(QUERIES))
    tables = [t for t in COLUMNS if t in template or t.replace(" ", "") in template]
    pool = [c for t in tables for c in COLUMNS[t]]
    cols = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    return template.format(cols=", ".join(cols), key=draw(st.sampled_from(pool)),
                           val=draw(st.sampled_from(pool)))


def _result(con, sql: str, ordered: bool) -> tuple[list, list]:
    """The rows as a multiset and, for an ordered query, the sequence of its first column
    (the first sort key: rows that tie on every key may come in any order)."""
    rows = con.execute(parse_single(sql).sql(dialect="duckdb")).fetchall()
    return sorted(rows, key=repr), [r[0] for r in rows] if ordered else []


def assert_proved_mutants_keep_the_result(gold: str, facts: SchemaFacts, schema: str,
                                          tables: dict[str, list[tuple]]) -> None:
    """Every neighbour of `gold` a rule proves returns the gold's result on the database that
    `schema` creates and `tables` (name -> rows) fills."""
    proved = [(m, p) for m in neighbours(gold, facts=facts)
              if (p := prove(gold, m, facts)) is not None]
    if not proved:
        return
    con = duckdb.connect()
    con.execute(schema)
    for table, rows in tables.items():
        if rows:
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})",
                            rows)
    ordered = parse_single(gold).args.get("order") is not None  # (not a window's ORDER BY)
    expected = _result(con, gold, ordered)
    for mutant, found in proved:
        assert _result(con, mutant.sql, ordered) == expected, (found.rule, mutant.sql)


@settings(max_examples=120)
@given(databases(), queries())
def test_a_proved_mutant_returns_the_gold_result_on_every_database(data, gold):
    assert_proved_mutants_keep_the_result(gold, FACTS, SCHEMA,
                                          dict(zip(("SUP", "INV", "LIN"), data, strict=True)))


# ---------------------------------------------------------------- the shipped golds


def test_the_instances_keep_every_declared_unique_key(suite, catalog):
    for instance in suite:
        con = duckdb.connect(str(instance.path), read_only=True)
        try:
            for table in catalog.tables.values():
                for key in table.unique_keys:
                    cols = ", ".join(key.columns)
                    repeated = con.execute(
                        f"SELECT COUNT(*) FROM (SELECT {cols} FROM {table.name} "
                        f"WHERE {' OR '.join(f'{c} IS NOT NULL' for c in key.columns)} "
                        "GROUP BY ALL HAVING COUNT(*) > 1)").fetchone()[0]
                    assert repeated == 0, (instance.path, key.index)
        finally:
            con.close()

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
    ("nvl_default_rejected",
     "SELECT i.ID FROM INV i WHERE i.ORG = 1 AND NVL(i.AMT, 0) <> 0", "nvl_moved",
     "SELECT i.ID FROM INV i WHERE i.ORG = 1 AND i.AMT <> 0",
     # the default passes the test (0 < 5): the NULL rows the gold keeps are lost
     ("SELECT i.ID FROM INV i WHERE i.ORG = 1 AND NVL(i.AMT, 0) < 5",
      "SELECT i.ID FROM INV i WHERE i.ORG = 1 AND i.AMT < 5")),
    ("nvl_default_rejected",
     "SELECT i.ID FROM INV i WHERE 3 < NVL(i.AMT, 2)", "nvl_moved",
     "SELECT i.ID FROM INV i WHERE 3 < i.AMT",
     # under NOT, a false default becomes true: NOT (NVL(AMT, 2) > 3) keeps the NULL rows
     ("SELECT i.ID FROM INV i WHERE NOT NVL(i.AMT, 2) > 3",
      "SELECT i.ID FROM INV i WHERE NOT i.AMT > 3")),
    ("nvl_default_rejected",
     "SELECT i.ID FROM INV i JOIN LIN l ON l.INV_ID = i.ID AND NVL(l.QTY, 0) = 5",
     "nvl_moved",
     "SELECT i.ID FROM INV i JOIN LIN l ON l.INV_ID = i.ID AND l.QTY = 5",
     # in the select list the NULL is shown, not filtered
     ("SELECT NVL(i.AMT, 0) <> 0 FROM INV i", "SELECT i.AMT <> 0 FROM INV i")),
    ("nvl_sum_rejected_by_having",
     "SELECT i.ORG, SUM(NVL(i.AMT, 0)) FROM INV i GROUP BY i.ORG HAVING SUM(NVL(i.AMT, 0)) > 5",
     "nvl_moved",
     "SELECT i.ORG, SUM(i.AMT) FROM INV i GROUP BY i.ORG HAVING SUM(NVL(i.AMT, 0)) > 5",
     # 0 passes `< 5`: an all-NULL group is kept, showing 0 in the gold and NULL in the mutant
     ("SELECT i.ORG, SUM(NVL(i.AMT, 0)) FROM INV i GROUP BY i.ORG HAVING SUM(NVL(i.AMT, 0)) < 5",
      "SELECT i.ORG, SUM(i.AMT) FROM INV i GROUP BY i.ORG HAVING SUM(NVL(i.AMT, 0)) < 5")),
    ("nvl_sum_rejected_by_having",  # the HAVING's own sum: unknown and false both drop
     "SELECT i.ORG FROM INV i GROUP BY i.ORG HAVING 2 <= SUM(NVL(i.AMT, 0))", "nvl_moved",
     "SELECT i.ORG FROM INV i GROUP BY i.ORG HAVING 2 <= SUM(i.AMT)",
     # under OR the other operand may keep an all-NULL group
     ("SELECT i.ORG, SUM(NVL(i.AMT, 0)) FROM INV i GROUP BY i.ORG "
      "HAVING SUM(NVL(i.AMT, 0)) > 5 OR COUNT(*) > 1",
      "SELECT i.ORG, SUM(i.AMT) FROM INV i GROUP BY i.ORG "
      "HAVING SUM(NVL(i.AMT, 0)) > 5 OR COUNT(*) > 1")),
    ("outer_rows_rejected_by_having",
     "SELECT i.ID, COUNT(*) FROM INV i JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ID "
     "HAVING COUNT(*) > 1", "join_kind_swapped",
     "SELECT i.ID, COUNT(*) FROM INV i LEFT JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ID "
     "HAVING COUNT(*) > 1",
     # an invoice without lines keeps its one NULL-extended row: COUNT(*) >= 1 holds
     ("SELECT i.ID, COUNT(*) FROM INV i JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ID "
      "HAVING COUNT(*) >= 1",
      "SELECT i.ID, COUNT(*) FROM INV i LEFT JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ID "
      "HAVING COUNT(*) >= 1")),
    ("outer_rows_rejected_by_having",
     "SELECT i.ORG, SUM(l.QTY) FROM INV i JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ORG "
     "HAVING SUM(l.QTY) > 2", "join_kind_swapped",
     "SELECT i.ORG, SUM(l.QTY) FROM INV i LEFT JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ORG "
     "HAVING SUM(l.QTY) > 2",
     # COUNT(*) counts the added row in its org's group, which ORG does not keep apart
     ("SELECT i.ORG, COUNT(*) FROM INV i JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ORG "
      "HAVING SUM(l.QTY) > 2",
      "SELECT i.ORG, COUNT(*) FROM INV i LEFT JOIN LIN l ON l.INV_ID = i.ID GROUP BY i.ORG "
      "HAVING SUM(l.QTY) > 2")),
    ("implied_operands",
     "SELECT i.ID FROM INV i WHERE i.AMT IS NOT NULL AND i.VENDOR_ID IS NOT NULL "
     "AND i.AMT <> i.VENDOR_ID", "and_or_swapped",
     "SELECT i.ID FROM INV i WHERE (i.AMT IS NOT NULL OR i.VENDOR_ID IS NOT NULL) "
     "AND i.AMT <> i.VENDOR_ID",
     # nothing else rejects a NULL VENDOR_ID: OR keeps rows AND drops
     ("SELECT i.ID FROM INV i WHERE i.AMT IS NOT NULL AND i.VENDOR_ID IS NOT NULL "
      "AND i.AMT > 1",
      "SELECT i.ID FROM INV i WHERE (i.AMT IS NOT NULL OR i.VENDOR_ID IS NOT NULL) "
      "AND i.AMT > 1")),
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
    assert ({c[0] for c in CASES + UNIQUENESS_CASES} | {c[0] for c in IMPLIED_CASES}
            == set(RULES))


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
    "SELECT {cols} FROM INV i LEFT JOIN SUP s ON s.ID = i.VENDOR_ID WHERE NVL(i.AMT, 0) <> 0 "
    "AND NVL(i.AMT, 2) >= 1 AND NVL(s.CODE, 'z') = 'a' AND 1 > NVL(i.VENDOR_ID, 1)",
    "SELECT {cols} FROM INV i WHERE NVL(i.AMT, 0) < 2 OR NVL(i.AMT, 3) <> 3",
    "SELECT {key}, COUNT(*), SUM(l.QTY) FROM INV i JOIN LIN l ON l.INV_ID = i.ID "
    "GROUP BY {key} HAVING COUNT(l.QTY) > 0",
    "SELECT {key}, MIN(l.QTY + 1), COUNT(DISTINCT l.QTY) FROM INV i JOIN LIN l "
    "ON l.INV_ID = i.ID GROUP BY {key} HAVING MAX(l.QTY) >= 1",
    "SELECT {cols} FROM INV i WHERE i.AMT IS NOT NULL AND i.VENDOR_ID IS NOT NULL "
    "AND i.ORG IS NOT NULL AND i.AMT <> i.VENDOR_ID",
    "SELECT {key}, SUM(NVL(i.AMT, 0)), SUM(NVL(l.QTY, 0)) FROM INV i JOIN LIN l "
    "ON l.INV_ID = i.ID GROUP BY {key} HAVING SUM(NVL(i.AMT, 0)) > 1 AND COUNT(*) > 0",
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


# ---------------------------------------------------------------- implication (multi-org, joins)

# H: document headers, L: their lines; L.H_ID is a mandatory key to H.ID and, as in EBS
# multi-org, a line lives in its header's operating unit (catalog `same: [ORG]`).
ORG_FACTS = SchemaFacts(
    not_null=frozenset({("H", "ID"), ("H", "ORG"), ("L", "ID"), ("L", "H_ID"), ("L", "ORG")}),
    primary_keys={"H": ("ID",), "L": ("ID",)},
    mandatory_parents={("L", ("H_ID",)): ("H", ("ID",))},
    unique_keys={"H": (("ID",),), "L": (("ID",),)},
    columns={"H": frozenset({"ID", "ORG", "AMT"}), "L": frozenset({"ID", "H_ID", "ORG", "QTY"})},
    inherited={("L", "H"): ((("H_ID",), ("ID",), ("ORG",)),)},
    types={**{("H", c): "NUMBER" for c in ("ID", "ORG", "AMT")},
           **{("L", c): "NUMBER" for c in ("ID", "H_ID", "ORG", "QTY")}})
JOINED = "SELECT l.ID FROM L l JOIN H h ON h.ID = l.H_ID"

# (rule, gold, operator, mutant that the rule proves, near gold and mutant it must not prove)
IMPLIED_CASES = [
    ("implied_conjunct",  # the line's ORG is its header's
     f"{JOINED} WHERE h.ORG = 1 AND l.ORG = 1", "conjunct_dropped", f"{JOINED} WHERE h.ORG = 1",
     ("SELECT l.ID FROM L l JOIN H h ON h.ID = l.QTY WHERE h.ORG = 1 AND l.ORG = 1",
      "SELECT l.ID FROM L l JOIN H h ON h.ID = l.QTY WHERE h.ORG = 1")),  # not the key
    ("implied_conjunct",  # inside a correlated NOT EXISTS, the outer conjuncts hold
     "SELECT h.ID FROM H h WHERE h.ORG = 1 AND NOT EXISTS (SELECT 1 FROM L l "
     "WHERE l.H_ID = h.ID AND l.ORG = 1)", "conjunct_dropped",
     "SELECT h.ID FROM H h WHERE h.ORG = 1 AND NOT EXISTS (SELECT 1 FROM L l WHERE l.H_ID = h.ID)",
     ("SELECT h.ID FROM H h WHERE h.ORG = 1 OR NOT EXISTS (SELECT 1 FROM L l "
      "WHERE l.H_ID = h.ID AND l.ORG = 1)",
      "SELECT h.ID FROM H h WHERE h.ORG = 1 OR NOT EXISTS (SELECT 1 FROM L l "
      "WHERE l.H_ID = h.ID)")),
    ("implied_conjunct",  # a positive EXISTS tells about the outer row, a NOT EXISTS does not
     "SELECT h.ID FROM H h WHERE h.ORG = 1 AND EXISTS (SELECT 1 FROM L l WHERE l.H_ID = h.ID "
     "AND l.ORG = 1)", "conjunct_dropped",
     "SELECT h.ID FROM H h WHERE EXISTS (SELECT 1 FROM L l WHERE l.H_ID = h.ID AND l.ORG = 1)",
     ("SELECT h.ID FROM H h WHERE h.ORG = 1 AND NOT EXISTS (SELECT 1 FROM L l "
      "WHERE l.H_ID = h.ID AND l.ORG = 1)",
      "SELECT h.ID FROM H h WHERE NOT EXISTS (SELECT 1 FROM L l WHERE l.H_ID = h.ID "
      "AND l.ORG = 1)")),
    ("implied_conjunct",  # a select-list subquery runs only on the rows WHERE keeps
     "SELECT h.ID, (SELECT SUM(l.QTY) FROM L l WHERE l.H_ID = h.ID AND l.ORG = 1) FROM H h "
     "WHERE h.ORG = 1", "conjunct_dropped",
     "SELECT h.ID, (SELECT SUM(l.QTY) FROM L l WHERE l.H_ID = h.ID) FROM H h WHERE h.ORG = 1",
     ("SELECT h.ID, (SELECT SUM(l.QTY) FROM L l WHERE l.H_ID = h.ID AND l.ORG = 1) FROM H h "
      "WHERE h.ORG = 1 OR h.AMT = 0",
      "SELECT h.ID, (SELECT SUM(l.QTY) FROM L l WHERE l.H_ID = h.ID) FROM H h "
      "WHERE h.ORG = 1 OR h.AMT = 0")),
    ("implied_conjunct",  # ... and of a GROUP BY, on each group (it reads a group key)
     "SELECT h.ID, COUNT(*), (SELECT COUNT(*) FROM L l WHERE l.H_ID = h.ID AND l.ORG = 1) "
     "FROM H h WHERE h.ORG = 1 GROUP BY h.ID", "conjunct_dropped",
     "SELECT h.ID, COUNT(*), (SELECT COUNT(*) FROM L l WHERE l.H_ID = h.ID) "
     "FROM H h WHERE h.ORG = 1 GROUP BY h.ID",
     ("SELECT h.ID, COUNT(*) FROM H h WHERE h.ORG = 1 GROUP BY h.ID HAVING h.ID IN "
      "(SELECT l.H_ID FROM L l WHERE l.H_ID = h.ID AND l.ORG = 1)",
      "SELECT h.ID, COUNT(*) FROM H h WHERE h.ORG = 1 GROUP BY h.ID HAVING h.ID IN "
      "(SELECT l.H_ID FROM L l WHERE l.H_ID = h.ID)")),
    ("implied_conjunct",  # a whole WHERE the inner join's ON implies; an outer side never
     f"{JOINED} AND h.ORG = 1 WHERE l.ORG = 1", "where_dropped", f"{JOINED} AND h.ORG = 1",
     ("SELECT h.ID FROM H h LEFT JOIN L l ON l.H_ID = h.ID AND l.ORG = 1 WHERE h.ORG = 1",
      "SELECT h.ID FROM H h LEFT JOIN L l ON l.H_ID = h.ID AND l.ORG = 1")),
    ("implied_conjunct",  # IS NOT NULL of a column another conjunct compares
     f"{JOINED} WHERE l.QTY IS NOT NULL AND l.QTY <> h.AMT", "conjunct_dropped",
     f"{JOINED} WHERE l.QTY <> h.AMT",
     (f"{JOINED} WHERE l.QTY IS NOT NULL AND NOT l.QTY = h.AMT",
      f"{JOINED} WHERE NOT l.QTY = h.AMT")),
    ("equivalent_operands",
     f"{JOINED} WHERE h.ORG = 1 AND l.ORG = 1", "and_or_swapped",
     f"{JOINED} WHERE h.ORG = 1 OR l.ORG = 1",
     (f"{JOINED} WHERE h.ORG = 1 AND l.QTY = 1", f"{JOINED} WHERE h.ORG = 1 OR l.QTY = 1")),
    ("equivalent_operands",  # the swap inside a chain, printed in parentheses
     f"{JOINED} WHERE h.ORG = 1 AND l.ORG = 1 AND h.AMT > 0", "and_or_swapped",
     f"{JOINED} WHERE (h.ORG = 1 OR l.ORG = 1) AND h.AMT > 0",
     (f"{JOINED} WHERE h.ORG = 1 AND l.QTY = 1 AND h.AMT > 0",
      f"{JOINED} WHERE (h.ORG = 1 OR l.QTY = 1) AND h.AMT > 0")),
    ("outer_side_null_rejected",  # WHERE rejects the NULL-extended rows
     "SELECT h.ID, l.QTY FROM H h JOIN L l ON l.H_ID = h.ID WHERE l.QTY BETWEEN 0 AND 9",
     "join_kind_swapped",
     "SELECT h.ID, l.QTY FROM H h LEFT JOIN L l ON l.H_ID = h.ID WHERE l.QTY BETWEEN 0 AND 9",
     ("SELECT h.ID, l.QTY FROM H h JOIN L l ON l.H_ID = h.ID WHERE NOT l.QTY > 1",
      "SELECT h.ID, l.QTY FROM H h LEFT JOIN L l ON l.H_ID = h.ID WHERE NOT l.QTY > 1")),
    ("outer_side_null_rejected",  # so does a later inner join on one of its columns
     "SELECT h.ID FROM H h JOIN L l ON l.H_ID = h.ID JOIN H p ON p.ID = l.QTY",
     "join_kind_swapped",
     "SELECT h.ID FROM H h LEFT JOIN L l ON l.H_ID = h.ID JOIN H p ON p.ID = l.QTY",
     ("SELECT h.ID FROM H h JOIN L l ON l.H_ID = h.ID LEFT JOIN H p ON p.ID = l.QTY",
      "SELECT h.ID FROM H h LEFT JOIN L l ON l.H_ID = h.ID LEFT JOIN H p ON p.ID = l.QTY")),
    ("parent_matched_on_its_key",  # the key of a mandatory parent and an inherited column
     "SELECT l.ID, h.AMT FROM L l LEFT JOIN H h ON h.ID = l.H_ID AND h.ORG = l.ORG",
     "join_kind_swapped", "SELECT l.ID, h.AMT FROM L l JOIN H h ON h.ID = l.H_ID AND h.ORG = l.ORG",
     ("SELECT l.ID, h.AMT FROM L l LEFT JOIN H h ON h.ID = l.H_ID AND h.AMT = l.QTY",
      "SELECT l.ID, h.AMT FROM L l JOIN H h ON h.ID = l.H_ID AND h.AMT = l.QTY")),
    ("no_null_to_place",  # an alias of arithmetic on a column WHERE keeps non-NULL
     "SELECT h.AMT * 2 AS A FROM H h WHERE h.AMT > 0 ORDER BY A", "nulls_flipped",
     "SELECT h.AMT * 2 AS A FROM H h WHERE h.AMT > 0 ORDER BY A NULLS FIRST",
     ("SELECT h.AMT * 2 AS A FROM H h WHERE h.ORG > 0 ORDER BY A",
      "SELECT h.AMT * 2 AS A FROM H h WHERE h.ORG > 0 ORDER BY A NULLS FIRST")),
    ("no_null_to_place",  # a position, a SUM of a NOT NULL column per group
     "SELECT h.AMT, SUM(h.ORG) FROM H h GROUP BY h.AMT ORDER BY 2 DESC", "nulls_flipped",
     "SELECT h.AMT, SUM(h.ORG) FROM H h GROUP BY h.AMT ORDER BY 2 DESC NULLS LAST",
     ("SELECT h.ORG, SUM(h.AMT) FROM H h GROUP BY h.ORG ORDER BY 2 DESC",
      "SELECT h.ORG, SUM(h.AMT) FROM H h GROUP BY h.ORG ORDER BY 2 DESC NULLS LAST")),
    ("no_null_to_place",  # a derived table's column, a window's ORDER BY
     "SELECT x.N, RANK() OVER (ORDER BY x.N) FROM (SELECT COUNT(*) AS N FROM L l "
     "GROUP BY l.H_ID) x", "nulls_flipped",
     "SELECT x.N, RANK() OVER (ORDER BY x.N NULLS FIRST) FROM (SELECT COUNT(*) AS N FROM L l "
     "GROUP BY l.H_ID) x",
     ("SELECT x.N, RANK() OVER (ORDER BY x.N) FROM (SELECT MAX(l.QTY) AS N FROM L l "
      "GROUP BY l.H_ID) x",
      "SELECT x.N, RANK() OVER (ORDER BY x.N NULLS FIRST) FROM (SELECT MAX(l.QTY) AS N "
      "FROM L l GROUP BY l.H_ID) x")),
]


@pytest.mark.parametrize(("rule", "gold", "operator", "mutant", "near"), IMPLIED_CASES,
                         ids=[f"{c[0]}-{k}" for k, c in enumerate(IMPLIED_CASES)])
def test_implication_rules_prove_their_case_and_not_the_near_one(rule, gold, operator, mutant,
                                                                 near):
    found = prove(gold, Mutant(operator, mutant), ORG_FACTS)
    assert found is not None and found.rule == rule
    assert prove(near[0], Mutant(operator, near[1]), ORG_FACTS) is None


def test_without_the_inherited_column_the_org_filter_is_not_implied():
    bare = SchemaFacts(ORG_FACTS.not_null, ORG_FACTS.primary_keys, ORG_FACTS.mandatory_parents,
                       ORG_FACTS.unique_keys, ORG_FACTS.columns)
    case = IMPLIED_CASES[0]
    assert prove(case[1], Mutant(case[2], case[3]), bare) is None


@pytest.mark.parametrize("gold, mutant", [
    ("SELECT h.AMT, COUNT(*) FROM H h WHERE h.AMT > 0 GROUP BY ROLLUP (h.AMT) ORDER BY h.AMT",
     "SELECT h.AMT, COUNT(*) FROM H h WHERE h.AMT > 0 GROUP BY ROLLUP (h.AMT) "
     "ORDER BY h.AMT NULLS FIRST"),  # the grand-total row's key is NULL
    ("SELECT ROUND(h.AMT, l.QTY) AS R FROM H h JOIN L l ON l.H_ID = h.ID WHERE h.AMT > 0 "
     "ORDER BY R", "SELECT ROUND(h.AMT, l.QTY) AS R FROM H h JOIN L l ON l.H_ID = h.ID "
     "WHERE h.AMT > 0 ORDER BY R NULLS FIRST"),  # NULL decimals give NULL
    ("SELECT SUM(h.ORG) AS S FROM H h ORDER BY S",
     "SELECT SUM(h.ORG) AS S FROM H h ORDER BY S NULLS FIRST"),  # one row: see the other rule
])
def test_a_key_that_may_be_null_has_its_nulls_placed(gold, mutant):
    found = prove(gold, Mutant("nulls_flipped", mutant), ORG_FACTS)
    assert found is None or found.rule != "no_null_to_place"


def test_a_cte_named_like_a_table_is_no_table():
    cte = "WITH L AS (SELECT h.ID, h.ID AS H_ID, 2 AS ORG, h.AMT AS QTY FROM H h) "
    gold = f"{cte}{JOINED} WHERE h.ORG = 1 AND l.ORG = 1"
    assert prove(gold, Mutant("conjunct_dropped", f"{cte}{JOINED} WHERE h.ORG = 1"),
                 ORG_FACTS) is None


def test_equalities_chain_only_within_one_type():
    """`l.ORG = 1` on a text column holds for '1' and '01': it makes l.ORG no number."""
    textual = SchemaFacts(ORG_FACTS.not_null, ORG_FACTS.primary_keys,
                          ORG_FACTS.mandatory_parents, ORG_FACTS.unique_keys, ORG_FACTS.columns,
                          ORG_FACTS.inherited, {**ORG_FACTS.types, ("L", "QTY"): "VARCHAR2"})
    gold = f"{JOINED} WHERE h.AMT = 1 AND l.QTY = 1 AND h.AMT = l.QTY"
    assert prove(gold, Mutant("conjunct_dropped", f"{JOINED} WHERE h.AMT = 1 AND l.QTY = 1"),
                 ORG_FACTS) is not None
    assert prove(gold, Mutant("conjunct_dropped", f"{JOINED} WHERE h.AMT = 1 AND l.QTY = 1"),
                 textual) is None


ORG_SCHEMA = """
CREATE TABLE H (ID INTEGER, ORG INTEGER, AMT INTEGER);
CREATE TABLE L (ID INTEGER, H_ID INTEGER, ORG INTEGER, QTY INTEGER);
"""


@st.composite
def org_databases(draw):
    """Headers and lines that keep ORG_FACTS: every line in its header's ORG."""
    heads = draw(st.lists(st.tuples(st.integers(0, 2), maybe), max_size=5))
    lines = draw(st.lists(st.tuples(st.integers(0, max(len(heads) - 1, 0)), maybe),
                          max_size=8 if heads else 0))
    return ([(k, *r) for k, r in enumerate(heads)],
            [(k, h, heads[h][0], qty) for k, (h, qty) in enumerate(lines)])


# A scalar subquery in the select list of a plain SELECT, of a GROUP BY, and of an aggregate
# without GROUP BY (whose one row comes back even when WHERE keeps no row).
SELECT_LIST_GOLDS = (
    "SELECT h.ID, (SELECT SUM(l.QTY) FROM L l WHERE l.H_ID = h.ID AND l.ORG = 1) FROM H h "
    "WHERE h.ORG = 1 AND h.AMT > 0",
    "SELECT h.ID, COUNT(*), (SELECT COUNT(*) FROM L l WHERE l.H_ID = h.ID AND l.ORG = 1) "
    "FROM H h WHERE h.ORG = 1 GROUP BY h.ID",
    "SELECT COUNT(*), (SELECT COUNT(*) FROM L l WHERE l.H_ID = 1 AND l.ORG = 1) FROM H h "
    "WHERE h.ID = 1 AND h.ORG = 1")

ORG_QUERIES = [
    "SELECT {cols} FROM L l JOIN H h ON h.ID = l.H_ID WHERE h.ORG = 1 AND l.ORG = 1 "
    "AND l.QTY > 0",
    "SELECT {cols} FROM L l, H h WHERE l.H_ID = h.ID AND l.ORG = 1 AND h.ORG = 1",
    "SELECT {cols} FROM H h LEFT JOIN L l ON l.H_ID = h.ID WHERE h.ORG = 1 AND l.ORG = 1",
    "SELECT {cols} FROM H h LEFT JOIN L l ON l.H_ID = h.ID AND l.ORG = 1 WHERE h.ORG = 1",
    "SELECT {cols} FROM L l JOIN H h ON h.ID = l.QTY WHERE h.ORG = 1 AND l.ORG = 1",
    "SELECT {cols} FROM L l LEFT JOIN H h ON h.ID = l.H_ID AND h.ORG = l.ORG",
    "SELECT {cols} FROM H p JOIN L l ON l.QTY = p.ID LEFT JOIN H h ON h.ID = l.H_ID "
    "AND h.ORG = l.ORG",
    "SELECT {cols} FROM H p LEFT JOIN L l ON l.QTY = p.ID LEFT JOIN H h ON h.ID = l.H_ID "
    "AND h.ORG = l.ORG",
    "SELECT {cols} FROM L l JOIN H h ON h.ID = l.H_ID WHERE l.ORG = 1 AND h.ORG = 1",
    "SELECT {cols} FROM H h JOIN L l ON l.H_ID = h.ID JOIN H p ON p.ID = l.QTY "
    "WHERE h.ORG = 1",
    "SELECT {cols} FROM H h JOIN L l ON l.H_ID = h.ID WHERE 1 BETWEEN l.QTY AND h.AMT",
    "SELECT {cols} FROM H h JOIN L l ON l.H_ID = h.ID WHERE h.AMT IS NOT NULL "
    "AND l.QTY IS NOT NULL AND l.QTY <> h.AMT",
    "SELECT h.ID FROM H h WHERE h.ORG = 1 AND NOT EXISTS (SELECT 1 FROM L l "
    "WHERE l.H_ID = h.ID AND l.ORG = 1 AND l.QTY > 1)",
    "SELECT h.ID FROM H h WHERE h.ORG = 1 AND EXISTS (SELECT 1 FROM L l WHERE l.H_ID = h.ID "
    "AND l.ORG = 1)",
    "SELECT h.ID FROM H h WHERE h.ORG = 1 OR NOT EXISTS (SELECT 1 FROM L l "
    "WHERE l.H_ID = h.ID AND l.ORG = 1)",
    *SELECT_LIST_GOLDS,
    # ordered: the first column is the first ORDER BY key (its sequence is compared)
    "SELECT h.AMT * 2 AS A, {cols} FROM H h JOIN L l ON l.H_ID = h.ID WHERE h.AMT > 0 "
    "ORDER BY A DESC",
    "SELECT x.N, x.T FROM (SELECT h.ORG AS T, SUM(h.AMT) AS N FROM H h "
    "WHERE h.AMT IS NOT NULL GROUP BY h.ORG) x ORDER BY x.N, x.T",
    "SELECT h.AMT + 1, COUNT(*) FROM H h GROUP BY h.AMT + 1 ORDER BY 1",
    "SELECT x.N, RANK() OVER (ORDER BY x.N DESC) FROM (SELECT MAX(l.QTY) AS N FROM L l "
    "GROUP BY l.H_ID) x ORDER BY 1",
]
ORG_COLUMNS = ["h.ID", "h.ORG", "h.AMT", "l.ID", "l.ORG", "l.QTY"]


@settings(max_examples=150)
@given(org_databases(), st.sampled_from(ORG_QUERIES),
       st.lists(st.sampled_from(ORG_COLUMNS), min_size=1, max_size=3, unique=True))
def test_an_implied_mutant_returns_the_gold_result_on_every_database(data, template, cols):
    gold = template.format(cols=", ".join(cols))
    assert_proved_mutants_keep_the_result(gold, ORG_FACTS, ORG_SCHEMA,
                                          dict(zip(("H", "L"), data, strict=True)))


def test_every_rule_proves_at_least_one_mutant_of_the_random_queries():
    rules = {p.rule for template in ORG_QUERIES
             for gold in [template.format(cols="l.ID, h.AMT")]
             for m in neighbours(gold, facts=ORG_FACTS)
             if (p := prove(gold, m, ORG_FACTS)) is not None}
    assert {"implied_conjunct", "equivalent_operands", "outer_side_null_rejected",
            "no_null_to_place", "parent_matched_on_its_key"} <= rules


def test_the_random_queries_exercise_the_nvl_default_rule():
    """The random-database property test above checks nvl_default_rejected only if some
    random gold has a mutant it proves."""
    gold = QUERIES[-6].format(cols="i.ID", key="i.ID", val="i.ID")
    rules = [p.rule for m in neighbours(gold, facts=FACTS) if (p := prove(gold, m, FACTS))]
    assert rules.count("nvl_default_rejected") == 3


def test_the_random_queries_exercise_the_outer_rows_rule():
    proved = {key: [p.rule for m in neighbours(gold, facts=FACTS)
                    if (p := prove(gold, m, FACTS))]
              for template in QUERIES[-4:-2] for key in ("i.ID", "i.ORG", "l.QTY")
              for gold in [template.format(cols="i.ID", key=key, val=key)]}
    assert sum(rules.count("outer_rows_rejected_by_having") for rules in proved.values()) >= 3


@settings(max_examples=100)
@given(org_databases(), st.sampled_from(SELECT_LIST_GOLDS))
def test_a_mutant_proved_inside_a_select_list_subquery_keeps_the_result(data, gold):
    assert_proved_mutants_keep_the_result(gold, ORG_FACTS, ORG_SCHEMA,
                                          dict(zip(("H", "L"), data, strict=True)))


def test_a_select_list_subquery_sees_the_facts_only_where_they_hold_on_its_rows():
    """A plain SELECT and a GROUP BY evaluate a select-list subquery on kept rows only, so the
    line's ORG is implied through its header; an aggregate without GROUP BY returns its row
    even when WHERE keeps none (header 1 may sit in another ORG), so it is not."""
    plain, grouped, aggregate = SELECT_LIST_GOLDS
    for gold, proved in ((plain, True), (grouped, True), (aggregate, False)):
        dropped = gold.replace(" AND l.ORG = 1)", ")")
        assert (prove(gold, Mutant("conjunct_dropped", dropped), ORG_FACTS) is not None) is proved


def test_the_random_queries_exercise_the_implied_operands_rule():
    gold = QUERIES[-2].format(cols="i.ID")
    assert "implied_operands" in {p.rule for m in neighbours(gold, facts=FACTS)
                                  if (p := prove(gold, m, FACTS))}


def test_the_random_queries_exercise_the_nvl_sum_rule():
    """The random-database property test checks nvl_sum_rejected_by_having only if a random
    gold has a mutant it proves: the select list's SUM(NVL(i.AMT, 0)) and the HAVING's own."""
    gold = QUERIES[-1].format(key="i.ORG")
    rules = [p.rule for m in neighbours(gold, facts=FACTS) if (p := prove(gold, m, FACTS))]
    assert rules.count("nvl_sum_rejected_by_having") == 2


def test_a_blank_padded_text_default_is_not_trusted():
    """Oracle compares two CHAR values blank-padded ('N' = 'N '): the rule does not judge a
    text with trailing blanks."""
    assert proof("SELECT i.ID FROM INV i WHERE NVL(i.AMT, 'N') = 'N '", "nvl_moved",
                 "SELECT i.ID FROM INV i WHERE i.AMT = 'N '") is None
    assert proof("SELECT i.ID FROM INV i WHERE NVL(i.AMT, 'N') = 'Y'", "nvl_moved",
                 "SELECT i.ID FROM INV i WHERE i.AMT = 'Y'") == "nvl_default_rejected"

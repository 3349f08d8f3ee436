"""Uniqueness proofs of the equivalence prover (harness/authoring/mutant_equivalence.py) for
the DISTINCT, GROUP BY, ranking and aggregate operators: date-tracked tables unique at one
date, inline views without alias, `rank = 1` filters, SUM/AVG compared with zero and COUNT of
values that never repeat in a group. Each rule proves its case and refuses a near case that
differs on some database; a property test runs every proved mutant against random data that
keeps the keys and the date-track invariant; the shipped catalog proves the survivors these
rules are for, and the instances keep the invariant the proofs rely on."""

import dataclasses

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.authoring.mutant_equivalence import prove
from harness.authoring.mutants import Mutant, SchemaFacts, neighbours
from tests.test_mutant_equivalence import FACTS as BASE_FACTS
from tests.test_mutant_equivalence import assert_proved_mutants_keep_the_result

# PPL: a date-tracked person table, versions (ID, ESD, EED) of one ID never overlap; dates
# are small integers here. INV, SUP, LIN as in tests/test_mutant_equivalence.py.
FACTS = dataclasses.replace(
    BASE_FACTS,
    not_null=BASE_FACTS.not_null | {("PPL", "ID"), ("PPL", "ESD"), ("PPL", "EED")},
    primary_keys={**BASE_FACTS.primary_keys, "PPL": ("ID", "ESD", "EED")},
    unique_keys={**BASE_FACTS.unique_keys, "PPL": (("ID", "ESD", "EED"),)},
    columns={**BASE_FACTS.columns, "PPL": frozenset({"ID", "ESD", "EED", "NAME"})},
    date_tracked={"PPL": (("ID",), "ESD", "EED")})


def proof(gold: str, operator: str, mutant: str) -> str | None:
    found = prove(gold, Mutant(operator, mutant), FACTS)
    return found.rule if found else None


_TOP = ("SELECT ID, AMT FROM (SELECT i.ID, i.AMT, {fn}() OVER (PARTITION BY i.ORG ORDER BY "
        "i.AMT DESC) AS RNK FROM INV i) WHERE RNK {test}")

# (rule, gold, operator, mutant that the rule proves, near (gold, mutant) it must not prove)
CASES = [
    ("distinct_over_unique_rows",  # a date-tracked key at one date determines the version
     "SELECT p.ID, p.NAME FROM PPL p WHERE 3 BETWEEN p.ESD AND p.EED", "distinct_toggled",
     "SELECT DISTINCT p.ID, p.NAME FROM PPL p WHERE 3 BETWEEN p.ESD AND p.EED",
     ("SELECT p.ID, p.NAME FROM PPL p WHERE p.ESD <= 3",
      "SELECT DISTINCT p.ID, p.NAME FROM PPL p WHERE p.ESD <= 3")),
    ("distinct_over_unique_rows",  # two versions starting on one day would overlap
     "SELECT p.ID, p.ESD, p.NAME FROM PPL p", "distinct_toggled",
     "SELECT DISTINCT p.ID, p.ESD, p.NAME FROM PPL p",
     ("SELECT p.ID, p.NAME FROM PPL p", "SELECT DISTINCT p.ID, p.NAME FROM PPL p")),
    ("distinct_over_unique_rows",  # the date read from another table, one per row of it
     "SELECT i.ID, p.NAME FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
     "WHERE i.ORG BETWEEN p.ESD AND p.EED", "distinct_toggled",
     "SELECT DISTINCT i.ID, p.NAME FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
     "WHERE i.ORG BETWEEN p.ESD AND p.EED",
     ("SELECT i.ID, p.NAME FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "  # date of p itself
      "WHERE p.ESD BETWEEN p.ESD AND p.EED",
      "SELECT DISTINCT i.ID, p.NAME FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
      "WHERE p.ESD BETWEEN p.ESD AND p.EED")),
    ("distinct_over_unique_rows",  # an inline view without alias, keyed by its GROUP BY
     "SELECT ORG, N FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i GROUP BY i.ORG) ORDER BY ORG",
     "distinct_toggled",
     "SELECT DISTINCT ORG, N FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i GROUP BY i.ORG) "
     "ORDER BY ORG",
     ("SELECT N FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i GROUP BY i.ORG)",
      "SELECT DISTINCT N FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i GROUP BY i.ORG)")),
    ("distinct_over_unique_rows",  # ROW_NUMBER never repeats within its partition
     "SELECT i.ORG, i.AMT, ROW_NUMBER() OVER (PARTITION BY i.ORG ORDER BY i.AMT) AS RN "
     "FROM INV i", "distinct_toggled",
     "SELECT DISTINCT i.ORG, i.AMT, ROW_NUMBER() OVER (PARTITION BY i.ORG ORDER BY i.AMT) AS RN "
     "FROM INV i",
     ("SELECT i.AMT, ROW_NUMBER() OVER (PARTITION BY i.ORG ORDER BY i.AMT) AS RN FROM INV i",
      "SELECT DISTINCT i.AMT, ROW_NUMBER() OVER (PARTITION BY i.ORG ORDER BY i.AMT) AS RN "
      "FROM INV i")),
    ("top_rank_filter", _TOP.format(fn="RANK", test="= 1"), "ranking_swapped",
     _TOP.format(fn="DENSE_RANK", test="= 1"),
     (_TOP.format(fn="RANK", test="<= 2"), _TOP.format(fn="DENSE_RANK", test="<= 2"))),
    ("top_rank_filter", _TOP.format(fn="DENSE_RANK", test="< 2"), "ranking_swapped",
     _TOP.format(fn="RANK", test="< 2"),  # ROW_NUMBER picks one of tied rows
     (_TOP.format(fn="RANK", test="= 1"), _TOP.format(fn="ROW_NUMBER", test="= 1"))),
    ("top_rank_filter", _TOP.format(fn="RANK", test="= 1"), "ranking_swapped",
     _TOP.format(fn="DENSE_RANK", test="= 1"),  # the rank shown: its values differ below 1
     (_TOP.format(fn="RANK", test="= 1 ORDER BY RNK"),
      _TOP.format(fn="DENSE_RANK", test="= 1 ORDER BY RNK"))),
    ("sign_of_sum",
     "SELECT i.ORG FROM INV i GROUP BY i.ORG HAVING SUM(i.AMT) < 0", "aggregate_swapped",
     "SELECT i.ORG FROM INV i GROUP BY i.ORG HAVING AVG(i.AMT) < 0",
     ("SELECT i.ORG FROM INV i GROUP BY i.ORG HAVING SUM(i.AMT) < 2",
      "SELECT i.ORG FROM INV i GROUP BY i.ORG HAVING AVG(i.AMT) < 2")),
    ("count_of_distinct_values",  # an outer-joined key counted per supplier
     "SELECT s.ID, COUNT(i.ID) FROM SUP s LEFT JOIN INV i ON i.VENDOR_ID = s.ID GROUP BY s.ID",
     "aggregate_swapped", "SELECT s.ID, COUNT(DISTINCT i.ID) FROM SUP s LEFT JOIN INV i ON "
     "i.VENDOR_ID = s.ID GROUP BY s.ID",
     ("SELECT s.ID, COUNT(i.ORG) FROM SUP s LEFT JOIN INV i ON i.VENDOR_ID = s.ID "
      "GROUP BY s.ID", "SELECT s.ID, COUNT(DISTINCT i.ORG) FROM SUP s LEFT JOIN INV i ON "
      "i.VENDOR_ID = s.ID GROUP BY s.ID")),
    ("count_of_distinct_values",  # people counted at one date: one version each
     "SELECT COUNT(DISTINCT p.ID) FROM PPL p WHERE 3 BETWEEN p.ESD AND p.EED",
     "aggregate_swapped", "SELECT COUNT(p.ID) FROM PPL p WHERE 3 BETWEEN p.ESD AND p.EED",
     ("SELECT COUNT(DISTINCT p.ID) FROM PPL p WHERE p.EED >= 3",
      "SELECT COUNT(p.ID) FROM PPL p WHERE p.EED >= 3")),
    ("group_key_determined",  # the version key at one date determines the person's name
     "SELECT p.NAME, COUNT(*) FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
     "WHERE 3 BETWEEN p.ESD AND p.EED GROUP BY p.ID, p.NAME, p.ESD", "group_key_dropped",
     "SELECT p.NAME, COUNT(*) FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
     "WHERE 3 BETWEEN p.ESD AND p.EED GROUP BY p.ID, p.NAME",
     ("SELECT p.NAME, COUNT(*) FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
      "WHERE 3 BETWEEN p.ESD AND p.EED GROUP BY p.ID, p.NAME",
      "SELECT p.NAME, COUNT(*) FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
      "WHERE 3 BETWEEN p.ESD AND p.EED GROUP BY p.NAME")),
]


@pytest.mark.parametrize(("rule", "gold", "operator", "mutant", "near"), CASES,
                         ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_each_rule_proves_its_case_and_not_the_near_one(rule, gold, operator, mutant, near):
    assert proof(gold, operator, mutant) == rule
    assert proof(near[0], operator, near[1]) is None


def test_a_date_track_needs_the_declared_period_columns():
    # BETWEEN two other date columns of the table says nothing about its versions
    facts = dataclasses.replace(FACTS, date_tracked={"PPL": (("ID",), "EED", "ESD")})
    gold = "SELECT p.ID, p.NAME FROM PPL p WHERE 3 BETWEEN p.ESD AND p.EED"
    assert prove(gold, Mutant("distinct_toggled", gold.replace("SELECT", "SELECT DISTINCT")),
                 facts) is None


# ---------------------------------------------------------------- soundness on random data

SCHEMA = """
CREATE TABLE INV (ID INTEGER, VENDOR_ID INTEGER, NUM VARCHAR, ORG INTEGER, AMT INTEGER);
CREATE TABLE SUP (ID INTEGER, CODE VARCHAR, NAME VARCHAR);
CREATE TABLE PPL (ID INTEGER, ESD INTEGER, EED INTEGER, NAME VARCHAR);
"""


@st.composite
def databases(draw):
    """Rows that keep every key of FACTS and the date-track invariant: the versions of one
    PPL.ID cover disjoint day ranges."""
    sups = draw(st.lists(st.sampled_from("xy"), max_size=3))
    maybe = st.one_of(st.none(), st.integers(-2, 3))
    invs = draw(st.lists(st.tuples(st.integers(0, 2), st.sampled_from("pq"), st.integers(0, 3),
                                   maybe), max_size=6, unique_by=lambda r: r[:3]))
    people = []
    for person in range(draw(st.integers(0, 3))):
        cuts = sorted(draw(st.sets(st.integers(0, 6), min_size=2, max_size=4)))
        for start, end in zip(cuts, cuts[1:], strict=False):
            people.append((person, start, end - 1, draw(st.sampled_from("ab"))))
    return ([(k, f"c{k}", n) for k, n in enumerate(sups)],
            [(k, *r) for k, r in enumerate(invs)], people)


QUERIES = [
    "SELECT {pcols} FROM PPL p WHERE 3 BETWEEN p.ESD AND p.EED",
    "SELECT {pcols} FROM PPL p",
    "SELECT i.ID, {pcols} FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
    "WHERE i.ORG BETWEEN p.ESD AND p.EED",
    "SELECT COUNT(DISTINCT p.ID), COUNT(p.NAME) FROM PPL p WHERE 2 BETWEEN p.ESD AND p.EED",
    "SELECT p.NAME, COUNT(*) FROM INV i JOIN PPL p ON p.ID = i.VENDOR_ID "
    "WHERE 3 BETWEEN p.ESD AND p.EED GROUP BY p.ID, p.NAME",
    "SELECT s.ID, COUNT(i.ID), COUNT(DISTINCT i.ORG) FROM SUP s LEFT JOIN INV i "
    "ON i.VENDOR_ID = s.ID GROUP BY s.ID",
    "SELECT i.ORG, SUM(i.AMT) FROM INV i GROUP BY i.ORG HAVING SUM(i.AMT) {cmp} 0",
    "SELECT ORG, N FROM (SELECT i.ORG, COUNT(*) AS N FROM INV i GROUP BY i.ORG)",
    "SELECT ID, AMT FROM (SELECT i.ID, i.AMT, RANK() OVER (PARTITION BY i.ORG ORDER BY "
    "i.AMT DESC) AS RNK FROM INV i) WHERE RNK = 1",
    "SELECT ID FROM (SELECT i.ID, DENSE_RANK() OVER (ORDER BY i.ORG) AS RNK FROM INV i) "
    "WHERE RNK < 2",
    "SELECT i.ORG, i.AMT, {fn}() OVER (PARTITION BY i.ORG ORDER BY i.AMT) FROM INV i",
    "SELECT ORG, AMT FROM (SELECT i.ORG, i.AMT, {fn}() OVER (PARTITION BY i.VENDOR_ID "
    "ORDER BY i.AMT) AS RN FROM INV i) WHERE RN <= 2",
]


@st.composite
def queries(draw):
    cols = draw(st.lists(st.sampled_from(["p.ID", "p.NAME", "p.ESD", "p.EED"]), min_size=1,
                         max_size=2, unique=True))
    return draw(st.sampled_from(QUERIES)).format(
        pcols=", ".join(cols), cmp=draw(st.sampled_from(["<", ">", "=", "<>", ">=", "<="])),
        fn=draw(st.sampled_from(["ROW_NUMBER", "RANK"])))


@settings(max_examples=120)
@given(databases(), queries())
def test_a_proved_mutant_returns_the_gold_result_on_every_database(data, gold):
    assert_proved_mutants_keep_the_result(gold, FACTS, SCHEMA,
                                          dict(zip(("SUP", "INV", "PPL"), data, strict=True)))


# ---------------------------------------------------------------- the shipped catalog


_HR2 = ("SELECT COUNT(DISTINCT person_id) FROM per_all_people_f ppf WHERE "
        "current_employee_flag = 'Y' AND {date} BETWEEN ppf.effective_start_date AND "
        "ppf.effective_end_date")
_FND2 = ("SELECT u.user_name, ppf.full_name FROM fnd_user u JOIN per_all_people_f ppf ON "
         "ppf.person_id = u.employee_id WHERE {date} BETWEEN ppf.effective_start_date AND "
         "ppf.effective_end_date")
_PO7 = ("SELECT h.SEGMENT1, SUM(l.AMOUNT) FROM PO_HEADERS_ALL h JOIN PO_LINES_ALL l ON "
        "l.PO_HEADER_ID = h.PO_HEADER_ID WHERE h.ORG_ID = 204 AND h.TYPE_LOOKUP_CODE {op} "
        "'STANDARD' GROUP BY h.PO_HEADER_ID, h.SEGMENT1")
# (gold, near gold, operator, text of the mutant, rule): core-set survivors (hr-002, fnd-002,
# po-007) proved by what the catalog states; the near gold reads the date from the versioned
# row itself, or leaves the document type open, and is not proved
SHIPPED = [
    (_HR2.format(date="DATE '2024-06-30'"), _HR2.format(date="ppf.effective_start_date"),
     "aggregate_swapped", "COUNT(person_id)", "count_of_distinct_values"),
    (_FND2.format(date="DATE '2025-06-15'"), _FND2.format(date="ppf.effective_end_date"),
     "distinct_toggled", "DISTINCT", "distinct_over_unique_rows"),
    (_PO7.format(op="="), _PO7.format(op="<>"), "group_key_dropped", "GROUP BY h.SEGMENT1",
     "group_key_determined"),
]


@pytest.mark.parametrize(("gold", "near", "operator", "marker", "rule"), SHIPPED)
def test_the_catalog_states_what_the_survivors_need(catalog, gold, near, operator, marker,
                                                    rule):
    facts = SchemaFacts.from_catalog(catalog)
    for sql, expected in ((gold, rule), (near, None)):
        mutant = next(m for m in neighbours(sql, facts=facts)
                      if m.operator == operator and marker in m.sql)
        found = prove(sql, mutant, facts)
        assert (found.rule if found else None) == expected, sql


def test_the_instances_keep_date_tracked_versions_apart(suite, catalog):
    tracked = [t for t in catalog.tables.values() if t.date_tracked]
    assert {t.name for t in tracked} == {"PER_ALL_PEOPLE_F", "PER_ALL_ASSIGNMENTS_F"}
    for instance in suite:
        con = duckdb.connect(str(instance.path), read_only=True)
        try:
            for table in tracked:
                track = table.date_tracked
                same = " AND ".join(f"a.{k} = b.{k}" for k in track.key)
                overlapping = con.execute(  # (two versions with one start overlap too)
                    f"SELECT COUNT(*) FROM {table.name} a JOIN {table.name} b ON {same} "
                    f"AND a.rowid < b.rowid AND a.{track.start} <= b.{track.end} "
                    f"AND b.{track.start} <= a.{track.end}").fetchone()[0]
                backwards = con.execute(
                    f"SELECT COUNT(*) FROM {table.name} "
                    f"WHERE {track.start} > {track.end}").fetchone()[0]
                assert backwards == 0, (instance.path, table.name)
                assert overlapping == 0, (instance.path, table.name)
        finally:
            con.close()

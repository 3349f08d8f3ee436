"""Neighbour queries (harness/authoring/mutants.py) and the mutation score (harness/authoring/mutation_score.py):
each operator makes the edit it names and no other, provable equivalents are not generated,
the kill verdict is scoring's comparison, the review file is strict, outcomes are cached, and
the shipped golden set keeps its mutation score."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.authoring import mutation_score
from harness.authoring.mutants import OPERATOR_NAMES, OPERATORS, Mutant, SchemaFacts, neighbours
from harness.authoring.mutation_score import (
    Equivalent,
    gold_outcomes,
    judge_mutant,
    load_equivalents,
    mutation_report,
)
from harness.authoring.validate import ValidationSettings
from harness.inputs.golden import GoldenExample
from harness.io.jsonl import read_jsonl
from harness.sql.parse import parse_single

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "golden"
# The mutation score the shipped core set is measured at (87.62 % with the survivors proved
# equivalent by rule set apart, docs/test-suite-data.md), less about half a point for
# translator changes that make a few more neighbours equivalent; the test below fails when a
# gold or a data change lowers it further. Raise it as data kills more survivors.
SHIPPED_MUTATION_FLOOR = ValidationSettings().min_mutation_score


def texts(sql: str, operator: str) -> set[str]:
    return {m.sql for m in neighbours(sql) if m.operator == operator}


@pytest.mark.parametrize(("operator", "gold", "expected"), [
    ("where_dropped", "SELECT a FROM t WHERE b = 1", "SELECT a FROM t"),
    ("where_dropped", "SELECT a, COUNT(*) FROM t GROUP BY a HAVING COUNT(*) > 1",
     "SELECT a, COUNT(*) FROM t GROUP BY a"),
    ("conjunct_dropped", "SELECT a FROM t WHERE b = 1 AND c = 2", "SELECT a FROM t WHERE c = 2"),
    ("predicate_negated", "SELECT a FROM t WHERE b IS NULL", "SELECT a FROM t WHERE NOT b IS NULL"),
    ("predicate_negated", "SELECT a FROM t WHERE NOT b LIKE 'X%'",
     "SELECT a FROM t WHERE b LIKE 'X%'"),
    ("comparison_boundary", "SELECT a FROM t WHERE b > 1", "SELECT a FROM t WHERE b >= 1"),
    ("comparison_boundary", "SELECT a FROM t WHERE b <= 1", "SELECT a FROM t WHERE b < 1"),
    ("equality_flipped", "SELECT a FROM t WHERE b = 1", "SELECT a FROM t WHERE b <> 1"),
    ("and_or_swapped", "SELECT a FROM t WHERE b = 1 AND c = 2",
     "SELECT a FROM t WHERE b = 1 OR c = 2"),
    ("aggregate_swapped", "SELECT SUM(a) FROM t", "SELECT AVG(a) FROM t"),
    ("aggregate_swapped", "SELECT MIN(a) FROM t", "SELECT MAX(a) FROM t"),
    ("aggregate_swapped", "SELECT COUNT(a) FROM t", "SELECT COUNT(*) FROM t"),
    ("aggregate_swapped", "SELECT COUNT(a) FROM t", "SELECT COUNT(DISTINCT a) FROM t"),
    ("distinct_toggled", "SELECT a FROM t", "SELECT DISTINCT a FROM t"),
    ("ranking_swapped", "SELECT RANK() OVER (ORDER BY a) FROM t",
     "SELECT ROW_NUMBER() OVER (ORDER BY a) FROM t"),
    ("ranking_swapped", "SELECT RANK() OVER (ORDER BY a) FROM t",
     "SELECT DENSE_RANK() OVER (ORDER BY a) FROM t"),
    ("nulls_flipped", "SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a NULLS FIRST"),
    ("direction_flipped", "SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a DESC"),
    ("join_kind_swapped", "SELECT t.a FROM t JOIN u ON u.x = t.x",
     "SELECT t.a FROM t LEFT JOIN u ON u.x = t.x"),
    ("join_kind_swapped", "SELECT t.a FROM t LEFT JOIN u ON u.x = t.x",
     "SELECT t.a FROM t JOIN u ON u.x = t.x"),
    ("outer_mark_dropped", "SELECT t.a FROM t, u WHERE u.x(+) = t.x",
     "SELECT t.a FROM t, u WHERE u.x = t.x"),
    ("group_key_dropped", "SELECT b, COUNT(*) FROM t GROUP BY a, b",
     "SELECT b, COUNT(*) FROM t GROUP BY b"),
    ("nvl_moved", "SELECT NVL(SUM(a), 0) FROM t", "SELECT SUM(NVL(a, 0)) FROM t"),
    ("nvl_moved", "SELECT SUM(NVL(a, 0)) FROM t", "SELECT NVL(SUM(a), 0) FROM t"),
    ("nvl_moved", "SELECT NVL(a, 0) FROM t", "SELECT a FROM t"),
    ("like_pattern_changed", "SELECT a FROM t WHERE b LIKE 'A\\_%' ESCAPE '\\'",
     "SELECT a FROM t WHERE b LIKE 'A\\_%'"),
    ("like_pattern_changed", "SELECT a FROM t WHERE b LIKE 'Tri_State%'",
     "SELECT a FROM t WHERE b LIKE 'Tri%State_'"),
    ("like_pattern_changed", "SELECT a FROM t WHERE b LIKE '%x'", "SELECT a FROM t WHERE b LIKE 'x'"),
    ("case_fold_dropped", "SELECT a FROM t WHERE UPPER(b) = 'X'", "SELECT a FROM t WHERE b = 'X'"),
    ("sysdate_truncated", "SELECT a FROM t WHERE d <= SYSDATE",
     "SELECT a FROM t WHERE d <= TRUNC(SYSDATE, 'DD')"),
    ("sysdate_truncated", "SELECT a FROM t WHERE d <= TRUNC(SYSDATE)",
     "SELECT a FROM t WHERE d <= SYSDATE"),
    ("constant_shifted", "SELECT a FROM t WHERE b > 10", "SELECT a FROM t WHERE b > 11"),
    ("constant_shifted", "SELECT a FROM t WHERE b > 10", "SELECT a FROM t WHERE b > 9"),
    ("constant_shifted", "SELECT a FROM t WHERE d >= DATE '2024-03-01'",
     "SELECT a FROM t WHERE d >= TO_DATE('2024-02-29', 'YYYY-MM-DD')"),
    ("constant_shifted", "SELECT a FROM t ORDER BY a FETCH FIRST 5 ROWS ONLY",
     "SELECT a FROM t ORDER BY a FETCH FIRST 4 ROWS ONLY"),
])
def test_each_operator_makes_its_edit(operator, gold, expected):
    assert expected in texts(gold, operator)


def test_every_operator_is_exercised_above_and_named_once():
    assert len(set(OPERATOR_NAMES)) == len(OPERATORS)


@pytest.mark.parametrize(("operator", "gold"), [
    # one row per group key, or one row at all, or only membership counts: DISTINCT is a no-op
    ("distinct_toggled", "SELECT a, COUNT(*) FROM t GROUP BY a"),
    ("distinct_toggled", "SELECT COUNT(*), SUM(b) FROM t"),
    ("nulls_flipped", "SELECT a, COUNT(*) AS n FROM t GROUP BY a ORDER BY n"),  # never NULL
    ("distinct_toggled", "SELECT COUNT(*) FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.x)"),
    ("distinct_toggled", "SELECT COUNT(*) FROM t WHERE a IN (SELECT b FROM u)"),
    ("distinct_toggled", "SELECT a FROM t UNION SELECT b FROM u"),
    # WHERE rejects the rows the outer join adds: LEFT JOIN and JOIN are the same query
    ("join_kind_swapped", "SELECT t.a FROM t LEFT JOIN u ON u.x = t.x WHERE u.y = 1"),
    ("join_kind_swapped", "SELECT t.a FROM t JOIN u ON u.x = t.x WHERE u.y LIKE 'A%'"),
    ("join_kind_swapped", "SELECT t.a FROM t JOIN u ON u.x = t.x WHERE u.y IS NOT NULL"),
    ("where_dropped", "SELECT a FROM t"),
    ("constant_shifted", "SELECT a FROM t WHERE b = 'x'"),
])
def test_provable_equivalents_are_not_generated(operator, gold):
    assert texts(gold, operator) == set()


@pytest.mark.parametrize(("operator", "gold"), [
    # a key the select list shows cannot go: Oracle refuses the mutant (ORA-00979)
    ("group_key_dropped", "SELECT a, COUNT(*) FROM t GROUP BY a"),
    ("group_key_dropped", "SELECT a, b, COUNT(*) FROM t GROUP BY a, b"),
    # a constant that is no comparison boundary: another computation, not an off-by-one
    # filter (and in a GROUP BY expression the mutant only breaks the query)
    ("constant_shifted", "SELECT SUBSTR(a, INSTR(a, '@') + 1), COUNT(*) FROM t "
     "GROUP BY SUBSTR(a, INSTR(a, '@') + 1)"),
    ("constant_shifted", "SELECT ROUND(100 * a / b, 1) FROM t"),
])
def test_generator_noise_is_not_generated(operator, gold):
    assert texts(gold, operator) == set()


def test_nvl_moves_are_kept_where_they_can_change_the_result():
    # under GROUP BY the move is no edit (groups are never empty, SUM skips NULLs, an
    # all-NULL group gives 0 both ways); dropping the NVL is one (that group sums to NULL)
    for gold in ("SELECT a, NVL(SUM(b), 0) FROM t GROUP BY a",
                 "SELECT a, SUM(NVL(b, 0)) FROM t GROUP BY a"):
        assert texts(gold, "nvl_moved") == {"SELECT a, SUM(b) FROM t GROUP BY a"}
    # no GROUP BY: on no rows SUM(NVL(b, 0)) is NULL but NVL(SUM(b), 0) is 0
    assert "SELECT SUM(NVL(b, 0)) FROM t" in texts("SELECT NVL(SUM(b), 0) FROM t", "nvl_moved")
    # MAX(NVL(b, 0)) is 0 where NVL(MAX(b), 0) is the largest non-NULL b < 0
    assert "SELECT a, MAX(NVL(b, 0)) FROM t GROUP BY a" in texts(
        "SELECT a, NVL(MAX(b), 0) FROM t GROUP BY a", "nvl_moved")


def test_constants_reached_through_arithmetic_are_still_boundaries():
    # `DATE '…' - 30` and `b * 2 > 10`: the number moves the filter's edge
    assert "SELECT a FROM t WHERE d >= TO_DATE('2025-06-15', 'YYYY-MM-DD') - 31" in texts(
        "SELECT a FROM t WHERE d >= DATE '2025-06-15' - 30", "constant_shifted")
    assert texts("SELECT a FROM t WHERE b * 2 > 10", "constant_shifted") == {
        f"SELECT a FROM t WHERE b * {m} > {n}" for m, n in ((1, 10), (3, 10), (2, 9), (2, 11))}


def test_distinct_is_toggled_where_it_can_change_the_rows():
    assert texts("SELECT a, COUNT(*) FROM t GROUP BY a, b", "distinct_toggled") == {
        "SELECT DISTINCT a, COUNT(*) FROM t GROUP BY a, b"}
    assert texts("SELECT t.a FROM t LEFT JOIN u ON u.x = t.x WHERE u.y IS NULL",
                 "join_kind_swapped") == {"SELECT t.a FROM t JOIN u ON u.x = t.x WHERE u.y IS NULL"}


FACTS = SchemaFacts(
    not_null=frozenset({("INV", "ID"), ("INV", "VENDOR_ID"), ("INV", "NUM"), ("SUP", "ID")}),
    primary_keys={"INV": ("ID",), "SUP": ("ID",)},
    mandatory_parents={("INV", ("VENDOR_ID",)): ("SUP", ("ID",))})


@pytest.mark.parametrize(("operator", "gold", "kept"), [
    # a NOT NULL key has no NULL to place; a nullable one (AMT) does
    ("nulls_flipped", "SELECT i.NUM FROM INV i ORDER BY i.NUM", False),
    ("nulls_flipped", "SELECT i.NUM FROM INV i ORDER BY i.AMT", True),
    ("nulls_flipped", "SELECT i.VENDOR_ID, MAX(i.NUM) AS m FROM INV i GROUP BY i.VENDOR_ID "
     "ORDER BY m", False),
    ("nulls_flipped", "SELECT i.NUM FROM SUP s LEFT JOIN INV i ON i.VENDOR_ID = s.ID "
     "ORDER BY i.NUM", True),  # the outer join NULL-extends INV
    # COUNT of a NOT NULL column is COUNT(*)
    ("aggregate_swapped", "SELECT COUNT(i.ID) FROM INV i", False),
    # every invoice has its supplier (mandatory foreign key): inner and LEFT join agree
    ("join_kind_swapped", "SELECT i.NUM FROM INV i JOIN SUP s ON s.ID = i.VENDOR_ID", False),
    ("join_kind_swapped", "SELECT s.ID FROM SUP s JOIN INV i ON i.VENDOR_ID = s.ID", True),
    # the primary key determines the other key
    ("group_key_dropped", "SELECT COUNT(*) FROM INV i GROUP BY i.ID, i.NUM", False),
])
def test_schema_facts_leave_out_only_the_edits_they_prove(operator, gold, kept):
    with_facts = texts_with(gold, operator, FACTS)
    without = texts(gold, operator)
    assert without, "the operator applies here"
    assert (with_facts == without) is kept


def test_a_group_key_the_primary_key_determines_is_not_dropped():
    gold = "SELECT COUNT(*) FROM INV i GROUP BY i.ID, i.NUM"
    assert texts_with(gold, "group_key_dropped", FACTS) == {
        "SELECT COUNT(*) FROM INV i GROUP BY i.NUM"}


def texts_with(sql: str, operator: str, facts: SchemaFacts) -> set[str]:
    return {m.sql for m in neighbours(sql, facts=facts) if m.operator == operator}


def shipped_golds() -> list[tuple[str, str]]:
    return [(e.id, e.sql_gold) for _, e in read_jsonl(GOLDEN / "ebs_core.jsonl", GoldenExample)
            if e.kind == "answerable"]


@given(st.sampled_from(shipped_golds()))
def test_neighbours_of_a_shipped_gold_parse_are_distinct_and_differ_from_it(gold):
    _, sql = gold
    printed = parse_single(sql).sql(dialect="oracle")
    found = neighbours(sql)
    assert len({m.sql for m in found}) == len(found)
    for mutant in found:
        assert mutant.sql != printed
        parse_single(mutant.sql)


def test_a_gold_whose_every_edit_is_noise_has_no_neighbours():
    # po-014 groups by the two columns it shows: dropping a key is refused by Oracle and
    # DISTINCT changes nothing, so no neighbour is left (the generator used to emit two
    # invalid ones)
    assert neighbours("SELECT TYPE_LOOKUP_CODE, AUTHORIZATION_STATUS, COUNT(*) FROM "
                      "PO_REQUISITION_HEADERS_ALL GROUP BY TYPE_LOOKUP_CODE, "
                      "AUTHORIZATION_STATUS") == []
    for _, sql in shipped_golds():  # the only golds left without neighbours are of that shape
        if not neighbours(sql):
            tree = parse_single(sql)
            shown = {e.unalias().sql() for e in tree.expressions}
            assert tree.args.get("where") is None and tree.args.get("group") is not None
            assert {k.sql() for k in tree.args["group"].expressions} <= shown, sql


def test_neighbours_of_a_minus_gold_are_printed_with_minus():
    # sqlglot prints MINUS as EXCEPT, which Oracle 19c (and the judge) refuses: the two
    # MINUS golds had no neighbour at all
    found = neighbours("SELECT a FROM t WHERE b = 1 MINUS SELECT a FROM t WHERE b = 2")
    assert "SELECT a FROM t MINUS SELECT a FROM t WHERE b = 2" in {m.sql for m in found}
    assert all(" MINUS " in m.sql and "EXCEPT" not in m.sql for m in found)


# ---------------------------------------------------------------- kill computation


def test_a_dropped_where_is_killed_and_an_equivalent_rewrite_survives(backends):
    gold = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"
    prepared = backends[0].prepare(gold)
    runs = [b.execute(prepared, 10) for b in backends]
    dropped = judge_mutant(Mutant("where_dropped", "SELECT COUNT(*) FROM AP_INVOICES_ALL"),
                           prepared, runs, backends)
    assert dropped.verdict == "killed" and dropped.detail.startswith("instance 0")
    same = judge_mutant(Mutant("aggregate_swapped", "SELECT COUNT(INVOICE_ID) FROM "
                               "AP_INVOICES_ALL WHERE ORG_ID = 204"), prepared, runs, backends)
    assert same.verdict == "survived"
    broken = judge_mutant(Mutant("group_key_dropped", "SELECT VENDOR_ID, COUNT(*) FROM "
                                 "AP_INVOICES_ALL WHERE ORG_ID = 204"), prepared, runs, backends)
    assert broken.verdict == "invalid" and "does not run" in broken.detail


def test_order_counts_only_when_the_gold_orders(backends):
    gold = ("SELECT INVOICE_NUM FROM AP_INVOICES_ALL WHERE ORG_ID = 204 AND INVOICE_AMOUNT > "
            "100000 ORDER BY INVOICE_ID")
    prepared = backends[0].prepare(gold)
    runs = [b.execute(prepared, 10) for b in backends]
    flipped = judge_mutant(Mutant("direction_flipped", gold.replace("INVOICE_ID", "INVOICE_ID "
                                                                    "DESC")),
                           prepared, runs, backends)
    assert flipped.verdict == "killed" and "order" in flipped.detail


def test_order_of_tied_rows_is_judged_as_scoring_judges_it(backends):
    # ORG_ID ties: which of two rows of one operating unit comes first is not part of the
    # answer (scoring's tie rule), so a neighbour that only reorders ties survives; one that
    # reverses the key is killed.
    gold = ("SELECT ORG_ID, INVOICE_NUM FROM AP_INVOICES_ALL WHERE INVOICE_AMOUNT > 100000 "
            "ORDER BY ORG_ID")
    prepared = backends[0].prepare(gold)
    runs = [b.execute(prepared, 10) for b in backends]
    ties = mutation_score.gold_ties(gold, prepared, runs)
    assert all(t is not None and len(set(t)) < len(t) for t in ties)  # real ties on each
    reordered = judge_mutant(Mutant("tie_reordered", gold + ", INVOICE_NUM DESC"),
                             prepared, runs, backends, ties)
    assert reordered.verdict == "survived"
    assert judge_mutant(Mutant("tie_reordered", gold + ", INVOICE_NUM DESC"),
                        prepared, runs, backends).verdict == "killed"  # strict order
    reversed_key = judge_mutant(Mutant("direction_flipped", gold + " DESC"),
                                prepared, runs, backends, ties)
    assert reversed_key.verdict == "killed"


def test_review_file_sets_equivalents_apart_and_reports_stale_entries(backends, tmp_path):
    gold = ("gold-1", "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204")
    survivor = "SELECT COUNT(DISTINCT INVOICE_ID) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"
    plain = mutation_report([gold], backends, cache_directory=tmp_path)
    assert any(o.sql == survivor for _, o in plain.survivors) is False  # not a generated one
    outcomes = gold_outcomes(gold[1], backends, tmp_path)
    survived = [o for o in outcomes if o.verdict == "survived"]
    reviewed = [Equivalent("gold-1", o.operator, o.sql, "reason") for o in survived]
    stale = Equivalent("gold-1", "where_dropped", "SELECT 1 FROM DUAL", "no longer generated")
    report = mutation_report([gold], backends, [*reviewed, stale], cache_directory=tmp_path)
    assert report.survivors == [] and report.score == 1.0
    assert report.stale_equivalents == [stale]
    assert plain.counted == report.counted + len(survived)


def test_a_proved_survivor_does_not_count_and_its_review_entry_is_stale(backends, catalog,
                                                                          tmp_path):
    gold = ("gold-1", "SELECT INVOICE_ID, INVOICE_NUM FROM AP_INVOICES_ALL WHERE ORG_ID = 204")
    toggled = "SELECT DISTINCT INVOICE_ID, INVOICE_NUM FROM AP_INVOICES_ALL WHERE ORG_ID = 204"
    facts = SchemaFacts.from_catalog(catalog)
    plain = mutation_report([gold], backends, cache_directory=tmp_path)
    assert toggled in {o.sql for _, o in plain.survivors}  # no facts: no proof
    entry = Equivalent("gold-1", "distinct_toggled", toggled, "INVOICE_ID is the primary key")
    report = mutation_report([gold], backends, [entry], cache_directory=tmp_path, facts=facts)
    (proved,) = report.golds[0].proved
    assert proved.sql == toggled and proved.rule == "distinct_over_unique_rows"
    assert report.proved_by_rule() == {"distinct_over_unique_rows": 1}
    assert toggled not in {o.sql for _, o in report.survivors}
    assert report.counted == plain.counted - 1 and report.reviewed == 0
    assert report.stale_equivalents == [entry]  # a rule proves it: the entry is not needed


def test_a_killed_mutant_with_a_proof_is_a_refuted_rule():
    killed = mutation_score.MutantOutcome("distinct_toggled", "SELECT DISTINCT 1 FROM DUAL",
                                          "killed", "instance 2: rows differ",
                                          "distinct_over_unique_rows: keys")
    gold = mutation_score.GoldMutation("g", [killed])
    assert gold.refuted == [killed] and gold.proved == [] and gold.killed == 1
    assert mutation_score.MutationReport([gold]).refuted == [("g", killed)]


def test_outcomes_are_cached_by_data_and_sql(backends, tmp_path, monkeypatch):
    sql = "SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE HOLD_FLAG = 'Y'"
    first = gold_outcomes(sql, backends, tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("a cached gold must not run its mutants again")

    monkeypatch.setattr(mutation_score, "judge_mutant", refuse)
    assert gold_outcomes(sql, backends, tmp_path) == first
    with pytest.raises(AssertionError):
        gold_outcomes(sql, backends[:2], tmp_path)  # other instances: another key


@pytest.mark.parametrize(("content", "message"), [
    ("{}", "expected a list of equivalent mutants"),
    ("- [1]", "entry 0: expected a mapping"),
    ("- {gold: a, operator: where_dropped, mutant: x}", "entry 0: field 'reason'"),
    ("- {gold: a, operator: nope, mutant: x, reason: r}", "unknown operator 'nope'"),
    ("- {gold: a, operator: where_dropped, mutant: x, reason: '  '}", "field 'reason'"),
])
def test_a_malformed_review_entry_names_entry_and_field(tmp_path, content, message):
    path = tmp_path / "equivalent_mutants.yaml"
    path.write_text(content)
    with pytest.raises(Exception, match="equivalent_mutants.yaml") as info:
        load_equivalents(path)
    assert message in str(info.value)


def test_the_shipped_review_file_loads_and_each_reason_is_written_out():
    for entry in load_equivalents(GOLDEN / "equivalent_mutants.yaml"):
        assert entry.gold_id in dict(shipped_golds())
        assert len(entry.reason.split()) >= 5, entry


# ---------------------------------------------------------------- the shipped bar


@pytest.fixture(scope="module")
def shipped_report(suite, catalog):
    from harness.backends.duckdb_backend import DuckDBBackend, DuckDBPreparer

    preparer = DuckDBPreparer(catalog.column_types())
    opened = [DuckDBBackend(i.path, i.fingerprint, preparer=preparer) for i in suite]
    report = mutation_report(shipped_golds(), opened,
                             load_equivalents(GOLDEN / "equivalent_mutants.yaml"),
                             facts=SchemaFacts.from_catalog(catalog))
    for b in opened:
        b.close()
    return report


def test_shipped_golds_keep_their_mutation_score(shipped_report):
    """Cold (no cached outcomes) this runs every neighbour of every gold: about 3 minutes on
    2 cores; warm, a second. A gold or data change that lets more mutants survive fails it."""
    survivors = "\n".join(f"{g} [{o.operator}] {o.sql}" for g, o in shipped_report.survivors)
    assert shipped_report.score >= SHIPPED_MUTATION_FLOOR, survivors
    assert not shipped_report.stale_equivalents
    assert not shipped_report.refuted  # no instance kills a mutant a rule proves equivalent
    assert shipped_report.proved_by_rule()  # the rules do prove shipped survivors


def test_shipped_golds_reach_the_mutation_bar(shipped_report):
    assert shipped_report.score >= ValidationSettings().target_mutation_score


def test_stats_reports_the_score_of_each_file(tmp_path, monkeypatch, capsys):
    from tests.test_validate import FAKES, example

    monkeypatch.setattr("harness.authoring.validate.embedded_backends", lambda catalog: FAKES)
    monkeypatch.setenv("SQLGATE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "set.jsonl"
    path.write_text(example("s-1", "How many invoices are there in unit 204?",
                            "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204")
                    .model_dump_json() + "\n")
    review = tmp_path / "review.yaml"
    review.write_text(json.dumps([]))
    from harness.authoring.validate import validate_command

    code = validate_command([path], stats=True, equivalents_path=review)
    out = capsys.readouterr().out
    assert "mutation score:" in out and "killed of" in out
    # the fake backend's results depend on the SQL's length: same-length mutants survive
    assert code == (1 if "survivor [" in out else 0)


def test_an_and_swapped_inside_a_chain_keeps_its_meaning_when_printed():
    """`a AND b AND c` with its first AND swapped is `(a OR b) AND c`; without parentheses
    the printed mutant would read `a OR (b AND c)`, a different neighbour."""
    sql = ("SELECT 1 FROM ap_invoices_all i WHERE i.org_id = 204 AND i.vendor_id = 5 "
           "AND i.invoice_amount > 10")
    swapped = {m.sql for m in neighbours(sql) if m.operator == "and_or_swapped"}
    assert swapped == {
        "SELECT 1 FROM ap_invoices_all i WHERE i.org_id = 204 AND i.vendor_id = 5 "
        "OR i.invoice_amount > 10",
        "SELECT 1 FROM ap_invoices_all i WHERE (i.org_id = 204 OR i.vendor_id = 5) "
        "AND i.invoice_amount > 10"}

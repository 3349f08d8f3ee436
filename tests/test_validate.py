"""`sqlgate validate`: each broken golden example is caught at its file and line with its reason;
leakage detection; manifest versioning; --stats and exit codes."""

import json
import shutil
from pathlib import Path

import pytest

from harness.authoring.train_data import DEFAULT_OUT, TRAIN_FILE
from harness.authoring.validate import (
    CoreTargets,
    ValidationSettings,
    leakage,
    manifest_problems,
    validate,
    validate_command,
    write_golden_manifest,
)
from harness.backends.base import Execution, PreparedQuery, QueryRejected, ResultSet
from harness.inputs.catalog import load_catalog
from harness.inputs.golden import GoldenExample
from harness.io.errors import InputError
from harness.io.jsonl import read_jsonl
from harness.sql.safety import classify

BROKEN = Path(__file__).parent / "fixtures" / "broken_golden"
GOLDEN_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "golden"


class FakeBackend:
    """An instance whose results depend on the instance (as real data does), except for queries
    on DUAL (constant) and ones naming NO-SUCH (empty): enough to exercise every check."""

    name = "fake"

    def __init__(self, index: int) -> None:
        self.index = index
        self.instance_id = f"fake-{index}"

    def prepare(self, oracle_sql: str) -> PreparedQuery:
        verdict = classify(oracle_sql)
        if not verdict.safe:
            raise QueryRejected(verdict.kind, verdict.reason)
        return PreparedQuery(oracle_sql, ordered=False)

    def explain(self, query: PreparedQuery) -> str | None:
        return None

    def execute(self, query: PreparedQuery, timeout_s: float) -> Execution:
        if "NO-SUCH" in query.sql:
            rows: tuple = ()
        elif "DUAL" in query.sql:
            rows = ((1,),)
        else:
            rows = ((self.index + len(query.sql),),)
        return Execution("ok", ResultSet(("X",), rows))

    def close(self) -> None:
        pass


FAKES = [FakeBackend(i) for i in range(3)]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(paths, catalog, **kwargs):
    kwargs.setdefault("backends", FAKES)
    kwargs.setdefault("train_path", None)
    return validate([Path(p) for p in paths], catalog=catalog, **kwargs)


def rendered(report) -> list[str]:
    return [f.render() for f in report.findings]


@pytest.mark.parametrize(("name", "line", "example_id", "reason"), [
    ("unknown_table", 2, "ut-002", "gold references unknown table(s) AP_VENDORS_ALL"),
    ("unknown_column", 2, "uc-002", "gold references unknown column(s) "
                                    "AP_INVOICES_ALL.INVOICE_TOTAL"),
    ("parse_error", 2, "pe-002", "gold does not parse"),
    ("unsafe_dml", 2, "ud-002", "gold is not a safe read-only query (delete)"),
    ("duplicate_id", 3, "di-001", "duplicate id (first at "),
    ("duplicate_question", 2, "dq-002", "duplicate question (first at "),
    ("empty_result", 2, "er-002", "gold returns no rows on 3/3 instances"),
    ("org_not_restricted", 2, "or-002", "does not restrict ORG_ID of AP_INVOICES_ALL"),
])
def test_each_broken_example_is_reported_at_its_line(catalog, name, line, example_id, reason):
    path = BROKEN / f"{name}.jsonl"
    report = run([path], catalog)
    assert report.exit_code == 1
    errors = [f.render() for f in report.errors]
    prefix = f"{path}:{line}: {example_id}: "
    assert any(e.startswith(prefix) and reason in e for e in errors), errors
    # one problem each: the valid example on line 1 is not reported
    assert not any(e.startswith(f"{path}:1:") for e in errors), errors


@pytest.mark.parametrize(("name", "reason"), [
    ("bad_json", ":2: not valid JSON"),
    ("unanswerable_with_sql", ":2: Value error, an unanswerable example needs sql_gold"),
])
def test_unloadable_files_are_input_errors(catalog, name, reason):
    path = BROKEN / f"{name}.jsonl"
    report = run([path], catalog)
    assert report.exit_code == 2
    assert report.input_errors[0].startswith(str(path) + reason), report.input_errors


def test_duplicates_are_found_across_files(catalog, tmp_path):
    first = tmp_path / "a.jsonl"
    second = tmp_path / "b.jsonl"
    shutil.copy(BROKEN / "unknown_table.jsonl", first)
    record = json.loads((BROKEN / "unknown_table.jsonl").read_text().splitlines()[0])
    second.write_text(json.dumps(record) + "\n")
    errors = [f.render() for f in run([first, second], catalog).errors]
    assert f"{second}:1: ut-001: duplicate id (first at {first}:1)" in errors
    assert f"{second}:1: ut-001: duplicate question (first at {first}:1)" in errors


def example(id_, question, sql="SELECT COUNT(*) FROM AP_INVOICES_ALL", **kw):
    return GoldenExample(id=id_, question=question, sql_gold=sql, domain="AP",
                         difficulty="easy", **kw)


def test_leakage_catches_exact_and_near_duplicates_only():
    train = [example("t1", "How many invoices does Vision Operations have?",
                     "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"),
             example("t2", "List the supplier names of suppliers on purchasing hold.",
                     "SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE HOLD_FLAG = 'Y'")]
    golden = [
        example("exact", "how many invoices does vision operations have", "SELECT 1 FROM DUAL"),
        example("sql", "Count Vision Operations' invoice headers.",
                "select count(*)\n  from ap_invoices_all where org_id = 204"),
        example("near", "List the supplier names of all suppliers on purchasing hold.",
                "SELECT 2 FROM DUAL"),
        example("typo", "List the suplier names of suppliers on purchasing hold!",
                "SELECT 3 FROM DUAL"),
        example("fresh", "Which suppliers were paid in euros during 2024?", "SELECT 4 FROM DUAL"),
        example("refusal", "What is the salary of each employee?", "-- UNANSWERABLE",
                kind="unanswerable"),
    ]
    found = {leak.golden_id: leak for leak in leakage(golden, train)}
    assert found["exact"].kind == "question" and found["exact"].train_id == "t1"
    assert found["sql"].kind == "sql" and found["sql"].train_id == "t1"
    assert found["near"].kind == "near_question" and found["near"].train_id == "t2"
    assert found["near"].score >= 0.8
    assert found["typo"].kind == "near_question"
    assert "fresh" not in found and "refusal" not in found


def test_a_planted_leak_fails_validation(catalog, tmp_path):
    train = [e for _, e in read_jsonl(DEFAULT_OUT / TRAIN_FILE, GoldenExample)]
    planted = next(e for e in train if e.kind == "answerable")
    path = tmp_path / "leaky.jsonl"
    rows = [example("lk-001", planted.question, planted.sql_gold,
                    org_policy=planted.org_policy),
            example("lk-002", planted.question.replace("?", "") + " in total?",
                    "SELECT MAX(CHECK_ID) FROM AP_CHECKS_ALL WHERE CHECK_ID > 0")]
    path.write_text("".join(r.model_dump_json() + "\n" for r in rows))
    report = run([path], catalog, train_path=DEFAULT_OUT / TRAIN_FILE)
    errors = [f.render() for f in report.errors]
    assert any(e.startswith(f"{path}:1: lk-001: leaks from the training set: same question as "
                            f"training example {planted.id}") for e in errors), errors
    assert any(e.startswith(f"{path}:2: lk-002: leaks from the training set: question similar")
               for e in errors), errors


def test_shipped_golden_sets_do_not_leak_from_the_training_set():
    golden_files = sorted(GOLDEN_DIR.glob("*.jsonl"))
    if not golden_files:
        pytest.skip("no golden sets in fixtures/golden yet")
    golden = [e for f in golden_files for _, e in read_jsonl(f, GoldenExample)]
    train = [e for _, e in read_jsonl(DEFAULT_OUT / TRAIN_FILE, GoldenExample)]
    leaks = leakage(golden, train)
    assert not leaks, "\n".join(f"{x.golden_id} ~ {x.train_id} ({x.kind}, {x.score})"
                                for x in leaks[:20])


def test_execution_checks_flag_constant_golds_and_disagreeing_alternatives(catalog, tmp_path):
    path = tmp_path / "exec.jsonl"
    rows = [example("ex-001", "How many invoices are recorded?"),
            example("ex-002", "What is one?", "SELECT 1 AS ONE FROM DUAL"),
            example("ex-003", "How many payments are recorded?",
                    "SELECT COUNT(*) FROM AP_CHECKS_ALL",
                    alt_sql_gold=["SELECT COUNT(CHECK_ID) FROM AP_CHECKS_ALL"])]
    path.write_text("".join(r.model_dump_json() + "\n" for r in rows))
    report = run([path], catalog)
    lines = rendered(report)
    assert f"{path}:2: ex-002: warning: gold returns the same result on all 3 instances, so a " \
           "constant answer could match it" in lines
    assert any(x.startswith(f"{path}:3: ex-003: alt_sql_gold[0] differs from the gold on 3/3")
               for x in lines), lines
    assert f"{path}: 33% of the answerable golds give the same result on every instance " \
           "(at most 20% may)" in lines
    assert report.shares[str(path)]["identical"] == pytest.approx(1 / 3)


def test_manifest_is_written_checked_and_versioned(catalog, tmp_path):
    path = tmp_path / "ebs_team.jsonl"
    shutil.copy(BROKEN / "unknown_table.jsonl", path)
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n")
    manifest = write_golden_manifest(tmp_path)
    assert manifest["kind"] == "golden-sets"
    entry = manifest["files"]["ebs_team.jsonl"]
    assert entry["version"] == 1 and entry["examples"] == 1 and entry["answerable"] == 1
    assert not run([path], catalog).errors
    assert write_golden_manifest(tmp_path)["files"]["ebs_team.jsonl"]["version"] == 1
    record = json.loads(lines[0])
    record.update(id="ut-009", question="How many suppliers are enabled?",
                  sql_gold="SELECT COUNT(*) FROM AP_SUPPLIERS WHERE ENABLED_FLAG = 'Y'")
    path.write_text(lines[0] + "\n" + json.dumps(record) + "\n")
    errors = [f.render() for f in run([path], catalog).errors]
    assert any("manifest.json is stale (sha256, examples, answerable" in e for e in errors), errors
    assert write_golden_manifest(tmp_path)["files"]["ebs_team.jsonl"]["version"] == 2
    assert not run([path], catalog).errors


def test_shipped_golden_manifest_is_current():
    files = sorted(GOLDEN_DIR.glob("*.jsonl"))
    if not files:
        pytest.skip("no golden sets in fixtures/golden yet")
    manifest = json.loads((GOLDEN_DIR / "manifest.json").read_text())
    assert set(manifest["files"]) == {p.name for p in files}
    for path in files:
        examples = [e for _, e in read_jsonl(path, GoldenExample)]
        assert not manifest_problems(path, examples)


def test_other_manifests_are_neither_checked_nor_overwritten(catalog, tmp_path):
    shutil.copy(BROKEN / "empty_result.jsonl", tmp_path / "x.jsonl")
    (tmp_path / "manifest.json").write_text('{"version": "1.0.0", "files": {}}')
    assert not any("manifest" in f.message for f in run([tmp_path / "x.jsonl"], catalog).errors)
    with pytest.raises(InputError, match="not a golden-set manifest"):
        write_golden_manifest(tmp_path)


def test_stats_prints_the_table_and_checks_the_core_targets(catalog, tmp_path, capsys,
                                                           monkeypatch):
    monkeypatch.setattr("harness.authoring.validate.embedded_backends", lambda catalog: FAKES)
    monkeypatch.setenv("SQLGATE_CACHE_DIR", str(tmp_path / "cache"))  # mutation outcomes
    core = tmp_path / CoreTargets().file_name
    rows = [example(f"c-{i}", f"How many invoices have invoice id {i}?",
                    f"SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE INVOICE_ID = {i}")
            for i in range(3)]
    core.write_text("".join(r.model_dump_json() + "\n" for r in rows))
    assert validate_command([core], stats=True) == 1
    out = capsys.readouterr().out
    assert "domain" in out and "unanswerable" in out and "AP" in out
    assert f"{core}: 3 answerable examples; the core set needs at least 300" in out
    assert "mutation score:" in out
    unanswerable = tmp_path / CoreTargets().unanswerable_file_name
    unanswerable.write_text(example("u-1", "What is each supplier's ESG rating?",
                                    "-- UNANSWERABLE", kind="unanswerable")
                            .model_dump_json() + "\n")
    assert validate_command([unanswerable], stats=True) == 1
    assert (f"{unanswerable}: 1 unanswerable examples; the unanswerable set needs at least 40"
            in capsys.readouterr().out)
    assert validate_command([core], stats=False) == 0
    assert "0 error(s)" in capsys.readouterr().out
    assert validate_command([BROKEN / "bad_json.jsonl"], stats=False) == 2


def test_an_empty_gold_fails_on_the_embedded_databases(catalog):
    datagen = pytest.importorskip("harness.datagen", reason="embedded databases not built yet")
    duckdb_backend = pytest.importorskip("harness.backends.duckdb_backend")
    if not hasattr(datagen, "build_test_suite"):
        pytest.skip("harness.datagen.build_test_suite is not available yet")
    backends = [duckdb_backend.DuckDBBackend(i.path, i.fingerprint)
                for i in datagen.build_test_suite(catalog, k=2)]
    path = BROKEN / "empty_result.jsonl"
    report = validate([path], catalog=catalog, backends=backends, train_path=None)
    for backend in backends:
        backend.close()
    errors = [f.render() for f in report.errors]
    assert f"{path}:2: er-002: gold returns no rows on 2/2 instances" in errors
    assert not any(e.startswith(f"{path}:1:") for e in errors), errors


def test_context_mismatch_warns_and_unanswerable_alternatives_fail(catalog, tmp_path):
    path = tmp_path / "misc.jsonl"
    rows = [example("mc-001", "How many invoices are recorded?",
                    rag_context={"Candidate Tables": "- AP_CHECKS_ALL (AP): payments"}),
            example("mc-002", "What is the salary of each employee?", "-- UNANSWERABLE",
                    kind="unanswerable", alt_sql_gold=["SELECT 1 FROM DUAL"])]
    path.write_text("".join(r.model_dump_json() + "\n" for r in rows))
    lines = rendered(run([path], catalog))
    assert f"{path}:1: mc-001: warning: gold uses table(s) its rag_context does not mention: " \
           "AP_INVOICES_ALL" in lines
    assert f"{path}:2: mc-002: an unanswerable example has alt_sql_gold" in lines


def test_mutation_bar_fails_a_file_until_survivors_are_killed_or_reviewed(catalog, tmp_path,
                                                                        monkeypatch, capsys):
    """The fake instances return a value that depends on the SQL's length, so the two
    neighbours that only shift the constant (same length) survive."""
    monkeypatch.setenv("SQLGATE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "set.jsonl"
    gold = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE INVOICE_ID = 1"
    path.write_text(example("m-1", "How many invoices have id 1?", gold).model_dump_json()
                    + "\n")
    review = tmp_path / "equivalent_mutants.yaml"
    review.write_text("[]")
    monkeypatch.setattr("harness.authoring.validate.embedded_backends", lambda catalog: FAKES)
    report = run([path], catalog, equivalents_path=review)
    mutation = report.mutation[str(path)]
    assert sorted(o.sql for _, o in mutation.survivors) == [gold[:-1] + "0", gold[:-1] + "2"]
    floor = f"{ValidationSettings().min_mutation_score:.1%}"
    assert f"{path}: mutation score 60.00% is below {floor} (2 survivors not reviewed as " \
           "equivalent)" in rendered(report)
    entries = [{"gold": "m-1", "operator": "constant_shifted", "mutant": gold[:-1] + d,
                "reason": "the fake instances cannot tell these apart by design"}
               for d in "02"]
    entries.append({"gold": "m-1", "operator": "where_dropped", "mutant": "SELECT 1 FROM DUAL",
                    "reason": "an entry that matches no surviving mutant any more"})
    review.write_text(json.dumps(entries))
    report = run([path], catalog, equivalents_path=review)
    mutation = report.mutation[str(path)]
    assert mutation.score == 1.0 and not report.errors
    assert [f.severity for f in report.findings if "stale" in f.message] == ["warning"]
    # --stats says how many survivors the review file sets apart
    assert validate_command([path], stats=True, equivalents_path=review) == 0
    assert "2 reviewed equivalent" in capsys.readouterr().out


def test_long_validation_says_what_it_is_doing(catalog, tmp_path, monkeypatch):
    # `sqlgate validate --stats` ran silently for 15 s; each stage is now announced.
    monkeypatch.setenv("SQLGATE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "set.jsonl"
    path.write_text(example("p-1", "How many invoices have id 1?",
                            "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE INVOICE_ID = 1"
                            ).model_dump_json() + "\n")
    review = tmp_path / "equivalent_mutants.yaml"
    review.write_text("[]")
    stages: list[str] = []
    run([path], catalog, equivalents_path=review, progress=stages.append)
    assert [s.split(":")[0] for s in stages] == [str(path), "mutation score"]


def test_a_rule_the_instances_refute_is_an_error_and_proofs_are_counted(catalog, tmp_path,
                                                                       monkeypatch, capsys):
    """The fake instances tell apart any two texts of different length, so they 'kill' the
    DISTINCT toggle a rule proves equivalent (INVOICE_ID is the primary key): validation must
    say that a rule and an instance disagree instead of counting it as killed silently."""
    monkeypatch.setenv("SQLGATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("harness.authoring.validate.embedded_backends", lambda catalog: FAKES)
    path = tmp_path / "set.jsonl"
    gold = "SELECT INVOICE_ID, INVOICE_NUM FROM AP_INVOICES_ALL WHERE ORG_ID = 204"
    path.write_text(example("r-1", "Which invoices does unit 204 hold?", gold)
                    .model_dump_json() + "\n")
    review = tmp_path / "equivalent_mutants.yaml"
    review.write_text("[]")
    report = run([path], catalog, equivalents_path=review)
    refuted = [f.message for f in report.errors if "rule distinct_over_unique_rows" in f.message]
    assert refuted == ["rule distinct_over_unique_rows proves [distinct_toggled] equivalent but "
                       "instance 0 tells it apart (an unsound rule or an instance that breaks a "
                       "catalog key): SELECT DISTINCT INVOICE_ID, INVOICE_NUM FROM "
                       "AP_INVOICES_ALL WHERE ORG_ID = 204"]
    assert validate_command([path], stats=True, equivalents_path=review) == 1
    assert "0 proved equivalent by rule" in capsys.readouterr().out

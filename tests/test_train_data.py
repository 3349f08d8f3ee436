"""The training set: size, SQL validity, contexts, determinism of the generator, execution."""

import hashlib
import json
import shutil
from collections import Counter

import pytest

from harness.authoring.train_data import (
    DEFAULT_OUT,
    DEFAULT_SEED,
    HANDWRITTEN_FILE,
    MANIFEST_FILE,
    QUOTAS,
    TRAIN_FILE,
    check_sql,
    draft_examples,
    main,
    with_context,
)
from harness.authoring.train_templates import UNANSWERABLE_SUBJECTS, Draft, alias_for, pluralize
from harness.inputs.catalog import load_catalog
from harness.inputs.golden import GoldenExample
from harness.io.jsonl import read_jsonl
from harness.prompting.rag_context import PRODUCTION_TARGET_CHARS, SECTIONS, words
from harness.sql.parse import parse_single
from harness.sql.refs import references

REGENERATE = "python -m harness.authoring.train_data --out fixtures/train"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def shipped():
    return [e for _, e in read_jsonl(DEFAULT_OUT / TRAIN_FILE, GoldenExample)]


def test_shipped_set_is_large_enough_and_matches_its_manifest(shipped):
    manifest = json.loads((DEFAULT_OUT / MANIFEST_FILE).read_text())
    data = (DEFAULT_OUT / TRAIN_FILE).read_bytes()
    assert len(shipped) >= 1000
    assert manifest["files"][TRAIN_FILE]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["counts"]["total"] == len(shipped)
    assert manifest["counts"]["handwritten"] >= 30
    assert manifest["seed"] == DEFAULT_SEED
    assert len({e.id for e in shipped}) == len(shipped)
    assert set(Counter(e.difficulty for e in shipped)) == {"easy", "medium", "hard"}
    assert Counter(e.kind for e in shipped)["unanswerable"] >= 40
    assert Counter(e.org_policy for e in shipped)["required"] >= 100


def test_every_gold_parses_is_safe_and_references_only_the_catalog(shipped, catalog):
    problems = []
    for e in shipped:
        if e.kind == "unanswerable":
            assert e.sql_gold.startswith("-- UNANSWERABLE: ")
            continue
        tables = tuple(references(parse_single(e.sql_gold), catalog.schema()).tables)
        found = check_sql(Draft("shipped", e.question, e.sql_gold, tables, e.org_policy), catalog)
        if found:
            problems.append(f"{e.id}: {found}")
    assert not problems, "\n".join(problems)


def test_every_context_is_structured_sized_and_holds_the_gold_tables(shipped, catalog):
    low, high = PRODUCTION_TARGET_CHARS
    assert all(e.rag_context is None for e in shipped)  # stored without; rebuilt on demand
    for e in [with_context(e, catalog) for e in shipped[::7]]:
        assert isinstance(e.rag_context, dict) and list(e.rag_context) == list(SECTIONS), e.id
        assert low <= len(e.context_text()) <= high, e.id
        if e.kind == "answerable":
            tables = references(parse_single(e.sql_gold), catalog.schema()).tables
            listed = e.rag_context["Candidate Tables"]
            assert all(f"- {t} (" in listed for t in tables), e.id


def test_regeneration_is_byte_identical(tmp_path):
    shutil.copy(DEFAULT_OUT / HANDWRITTEN_FILE, tmp_path / HANDWRITTEN_FILE)
    assert main(["--out", str(tmp_path)]) == 0
    for name in (TRAIN_FILE, MANIFEST_FILE):
        assert (tmp_path / name).read_bytes() == (DEFAULT_OUT / name).read_bytes(), (
            f"{name} is stale: run `{REGENERATE}` (the catalog or generator changed)")


def test_the_seed_changes_the_draw_and_quotas_hold(catalog):
    default = draft_examples(catalog)
    other = draft_examples(catalog, seed=DEFAULT_SEED + 1)
    assert [d.question for d in default] != [d.question for d in other]
    per_family = Counter(d.family for d in default)
    for family, (quota, _) in QUOTAS.items():
        assert 0 < per_family[family] <= quota, family
    assert len({" ".join(words(d.question)) for d in default}) == len(default)


def test_drafts_never_repeat_the_golden_sets(catalog):
    default = [d for d in draft_examples(catalog) if d.kind == "answerable"]
    same_question, same_sql, similar = default[3], default[4], default[5]
    golden = [
        GoldenExample(id="g1", question=same_question.question, sql_gold="SELECT 1 FROM DUAL",
                      domain="AP", difficulty="easy"),
        GoldenExample(id="g2", question="Something else entirely?", sql_gold=same_sql.sql,
                      domain="AP", difficulty="easy"),
        GoldenExample(id="g3", question=similar.question.rstrip("?.") + " overall?",
                      sql_gold="SELECT 2 FROM DUAL", domain="AP", difficulty="easy"),
    ]
    drafts = draft_examples(catalog, avoid=golden)
    questions = {d.question for d in drafts}
    assert same_question.question not in questions and similar.question not in questions
    assert same_sql.sql not in {d.sql for d in drafts}
    assert len(drafts) == len(draft_examples(catalog))  # the quota is refilled from the pool


def test_unanswerable_subjects_are_absent_from_the_catalog(catalog):
    vocabulary = set()
    for table in catalog.tables.values():
        vocabulary.update(words(table.name.replace("_", " ") + " " + table.description))
        for col in table.columns:
            vocabulary.update(words(col.name.replace("_", " ") + " " + col.description))
    for syn in catalog.synonyms:
        vocabulary.update(words(f"{syn.term} {syn.note}"))
    for lookup in catalog.lookups.values():
        vocabulary.update(words(" ".join(lookup.codes.values())))
    for subject, keyword, _ in UNANSWERABLE_SUBJECTS:
        assert not set(words(keyword)) & vocabulary, f"the catalog now covers {subject!r}"


def test_phrasing_helpers():
    assert pluralize("invoice") == "invoices"
    assert pluralize("on-hand quantity") == "on-hand quantities"
    assert pluralize("tax") == "taxes" and pluralize("day") == "days"
    taken: set[str] = set()
    assert alias_for("AP_SUPPLIERS", taken) == "asu"  # "as" is a keyword
    assert alias_for("AP_SUPPLIER_SITES_ALL", taken) == "ass"
    assert alias_for("AP_SUPPLIERS", taken) not in ("as", "asu")


def test_a_sample_executes_on_the_embedded_database(shipped, catalog):
    datagen = pytest.importorskip("harness.datagen", reason="embedded databases not built yet")
    duckdb_backend = pytest.importorskip("harness.backends.duckdb_backend")
    if not hasattr(datagen, "build_test_suite"):
        pytest.skip("harness.datagen.build_test_suite is not available yet")
    suite = datagen.build_test_suite(catalog, k=1)
    backend = duckdb_backend.DuckDBBackend(suite[0].path, suite[0].fingerprint)
    seen: Counter = Counter()
    sample = []
    for e in shipped:
        family = e.tags[1] if e.tags[0] == "generated" else "handwritten"
        if e.kind == "answerable" and (family == "handwritten" or seen[family] < 3):
            seen[family] += 1
            sample.append(e)
    failures = []
    for e in sample:
        try:
            run = backend.execute(backend.prepare(e.sql_gold), timeout_s=10)
        except Exception as exc:  # report every failing example at once, not the first
            failures.append(f"{e.id}: {type(exc).__name__}: {exc}")
            continue
        if run.status != "ok":
            failures.append(f"{e.id}: {run.status}: {run.error}")
    backend.close()
    assert not failures, "\n".join(failures)


"""Hostile model output: answers that try to write, escape the sandbox or stall are each
classified, change no database file, create no file, end within the timeouts, and show as
text on the scorecard."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from harness.report.scorecard import render_scorecard
from harness.scoring.run import score_predictions
from harness.scoring.scorer import ScoringSettings

ROOT = Path(__file__).resolve().parent.parent.parent
TIMEOUT_S = 1.0
INSTANCES = 2
MARK = "sqlgate_pwned"


def hostile(watched: Path) -> list[str]:
    """At least 40 answers; `watched` is where a file escape would land."""
    f = str(watched / f"{MARK}.csv")
    return [
        "DELETE FROM AP_INVOICES_ALL",
        "UPDATE AP_INVOICES_ALL SET INVOICE_AMOUNT = 0",
        "INSERT INTO AP_SUPPLIERS (VENDOR_ID) VALUES (1)",
        "MERGE INTO AP_SUPPLIERS s USING DUAL ON (1 = 1) WHEN MATCHED THEN UPDATE SET "
        "VENDOR_NAME = 'x'",
        "DROP TABLE AP_INVOICES_ALL",
        "TRUNCATE TABLE AP_INVOICES_ALL",
        "CREATE TABLE x AS SELECT * FROM AP_INVOICES_ALL",
        "ALTER TABLE AP_INVOICES_ALL ADD (x NUMBER)",
        "GRANT SELECT ON AP_INVOICES_ALL TO PUBLIC",
        "SELECT 1 FROM DUAL; DELETE FROM AP_INVOICES_ALL",
        "SELECT 1 FROM DUAL; SELECT 2 FROM DUAL",
        "BEGIN DELETE FROM AP_INVOICES_ALL; END;",
        "DECLARE x NUMBER; BEGIN x := 1; END;",
        "SELECT DBMS_RANDOM.VALUE FROM DUAL",
        "SELECT UTL_HTTP.REQUEST('http://127.0.0.1:9/') FROM DUAL",
        "SELECT UTL_FILE.FOPEN('/tmp', 'x', 'w') FROM DUAL",
        "SELECT DBMS_PIPE.RECEIVE_MESSAGE('x', 10) FROM DUAL",
        "BEGIN DBMS_LOCK.SLEEP(100); END;",
        f"SELECT * FROM read_csv('{f}')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_parquet('/etc/*.parquet')",
        f"COPY AP_INVOICES_ALL TO '{f}'",
        f"COPY (SELECT 1) TO '{MARK}.csv'",
        f"EXPORT DATABASE '{watched}'",
        f"ATTACH '{watched / MARK}.db' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA enable_profiling",
        "SET memory_limit = '100GB'",
        "SET enable_external_access = true",
        "SELECT * FROM glob('/*')",
        "SELECT getenv('HOME') FROM DUAL",
        f"SELECT * FROM '{f}'",
        "CALL pragma_version()",
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT COUNT(*) FROM t",
        "WITH t (n) AS (SELECT 1 FROM DUAL UNION ALL SELECT n + 1 FROM t WHERE n < 1e12) "
        "SELECT COUNT(*) FROM t",
        "SELECT COUNT(*) FROM " + ", ".join(f"AP_INVOICES_ALL t{n}" for n in range(5)),
        "SELECT * FROM AP_INVOICES_ALL a, AP_INVOICES_ALL b, AP_INVOICES_ALL c",
        "SELECT LEVEL FROM DUAL CONNECT BY LEVEL <= 1000000000",
        "SELECT '" + "x" * 900_000 + "' FROM DUAL",
        "SELECT " + "9" * 100_000 + " FROM DUAL",
        "SELECT COUNT(*) FROM AP_INVOICES_ALL -- <script>sqlgate_pwned()</script>",
        "SELECT '<script>sqlgate_pwned()</script>' FROM DUAL",
        "SELECT 1 FROM DUAL /* <img src=x onerror=sqlgate_pwned()> */",
        "<script>sqlgate_pwned()</script>",
        "```sql\nSELECT '</pre><script>sqlgate_pwned()</script>' FROM DUAL\n```",
        "SELECT 1 FROM DUAL WHERE 'a' = '\u202e<iframe src=sqlgate_pwned>'",
    ]


def _hashes(paths: list[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _tree(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")}


def test_hostile_answers_are_contained(tmp_path, monkeypatch, suite, backends, catalog):
    watched = tmp_path / "watched"
    watched.mkdir()
    monkeypatch.chdir(watched)  # relative paths in the SQL would land here
    answers = hostile(watched)
    assert len(answers) >= 40
    gold = json.loads((ROOT / "fixtures" / "examples" / "eval.jsonl").read_text().splitlines()[0])
    eval_path, pred_path = tmp_path / "eval.jsonl", tmp_path / "pred.jsonl"
    ids = [f"hostile-{n:02d}" for n in range(len(answers))]
    eval_path.write_text("".join(json.dumps({**gold, "id": i}) + "\n" for i in ids))
    pred_path.write_text("".join(json.dumps({"id": i, "sql": sql}) + "\n"
                                 for i, sql in zip(ids, answers, strict=True)))
    db_files = sorted(Path(i.path) for i in suite)[:INSTANCES]
    before_db, before_repo = _hashes(db_files), _tree(ROOT / "harness")
    start = time.perf_counter()
    run = score_predictions(eval_path, pred_path, backends=backends[:INSTANCES], catalog=catalog,
                            settings=ScoringSettings(timeout_s=TIMEOUT_S))
    elapsed = time.perf_counter() - start
    statuses = {s.id: s.status for s in run.scores}
    assert set(statuses) == set(ids)
    # Classified, never crashed into harness_error, never "correct".
    assert not {"harness_error", "correct"} & set(statuses.values()), statuses
    assert _hashes(db_files) == before_db
    assert list(watched.iterdir()) == []
    assert _tree(ROOT / "harness") == before_repo
    assert not any(MARK in name for name in os.listdir("/tmp"))
    stalls = sum(s in ("timeout", "row_limit") for s in statuses.values())
    # Each stall may cost the timeout per instance; the rest is quick.
    assert elapsed < stalls * INSTANCES * TIMEOUT_S + 30, (elapsed, statuses)
    html = render_scorecard(run.to_json())
    for tag in ("<script>sqlgate_pwned", "<img src=x", "<iframe src=sqlgate", "</pre><script>"):
        assert tag not in html
    assert "&lt;script&gt;sqlgate_pwned()&lt;/script&gt;" in html
    report = ROOT / "reports" / "test-artifacts"
    report.mkdir(parents=True, exist_ok=True)
    (report / "hostile_statuses.json").write_text(json.dumps(statuses, indent=1) + "\n")

"""Secret redaction: env secrets and secret-shaped strings never reach a written output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.io.redact import MASK, redact

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures" / "examples"
ENV = {"SQLGATE_ORACLE_PASSWORD": "Hunter2Secret", "SQLGATE_OPENAI_API_KEY": "sk-test0123456789abc",
       "SQLGATE_ORACLE_DSN": "apps/DsnPass77@ebsdb:1521/VIS"}


def test_redact_masks_env_values_and_patterns():
    text = redact("pw Hunter2Secret dsn apps/DsnPass77@ebsdb:1521/VIS key sk-abcdefgh12345 "
                  "Authorization: Bearer abcdefghijkl password=topsecret", ENV)
    for secret in ("Hunter2Secret", "DsnPass77", "sk-abcdefgh12345", "abcdefghijkl", "topsecret"):
        assert secret not in text
    assert text.count(MASK) >= 5
    # An echo in another case (an identifier upper-cased by an error message) is masked too.
    assert redact("not in the catalog: T.HUNTER2SECRET", ENV) == f"not in the catalog: T.{MASK}"
    assert redact("SELECT a / b FROM t WHERE x = 'AP'", ENV) == "SELECT a / b FROM t WHERE x = 'AP'"


def test_planted_secrets_reach_no_output_file(tmp_path):
    lines = (EXAMPLE / "predictions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["sql"] = f"SELECT '{ENV['SQLGATE_ORACLE_PASSWORD']}' FROM apps/DsnPass77@ebsdb WHERE "
    lines[0] = json.dumps({**first, "raw": ENV["SQLGATE_OPENAI_API_KEY"]})
    pred = tmp_path / "pred.jsonl"
    pred.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    env = {**__import__("os").environ, **ENV}
    done = subprocess.run([sys.executable, "-m", "harness", "score", "--eval-set",
                           str(EXAMPLE / "eval.jsonl"), "--predictions", str(pred), "-k", "1",
                           "--no-progress", "--out", str(out / "results.json"), "--html",
                           str(out / "scorecard.html")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    gate = subprocess.run([sys.executable, "-m", "harness", "gate", "--results",
                           str(out / "results.json"), "--policy", str(ROOT / "gates" / "smoke.toml"),
                           "--out", str(out / "verdict.json")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert gate.returncode in (0, 1), gate.stderr
    texts = [p.read_text(errors="replace") for p in out.iterdir()]
    texts += [done.stdout, done.stderr, gate.stdout, gate.stderr]
    assert len(texts) >= 5
    for secret in ("Hunter2Secret", "DsnPass77", ENV["SQLGATE_OPENAI_API_KEY"]):
        assert not any(secret in t for t in texts), secret


# ------------------------------------------------------------------ JUnit XML and manifests

SUITES = ROOT / "suites"
# Not secret-shaped: only the exact-value net (the environment) can catch these two.
PLAIN = {"SQLGATE_ORACLE_PASSWORD": "Hunter2Secret", "SQLGATE_OPENAI_API_KEY": "QzKeyNotShaped42"}
QUIET = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")


def _leaks(text: str) -> list[str]:
    """The planted secrets found in `text`, case-insensitively (an error message may echo an
    identifier upper-cased)."""
    return [s for s in PLAIN.values() if s.lower() in text.lower()]


def test_planted_secrets_reach_no_junit_xml_or_manifest(pytester, monkeypatch, tmp_path,
                                                        suite):  # noqa: ARG001 — built once
    from harness.gate.policy import evaluate_gate, load_policy
    from harness.gate.promotion import CandidateManifest, record_verdict, register_candidate
    from harness.scoring.results import load_results

    for name, value in PLAIN.items():
        monkeypatch.setenv(name, value)
    password, key = PLAIN["SQLGATE_ORACLE_PASSWORD"], PLAIN["SQLGATE_OPENAI_API_KEY"]
    planted = {
        # wrong result: the secret is in the predicted SQL and in the row diff
        "ex-ap-unpaid": f"SELECT '{password}' AS unpaid FROM AP_INVOICES_ALL WHERE ROWNUM = 1",
        # unknown column: the reason may echo the identifier (upper-cased)
        "ex-ap-top3": f"SELECT {key} FROM AP_INVOICES_ALL",
        # parse error on a secret token
        "ex-po-approved": f"SELEC {password} FROM WHERE ((",
        # an unanswerable question answered with the key instead of a refusal
        "ex-un-esg": f"SELECT '{key}' AS esg FROM DUAL",
    }
    records = [json.loads(x) for x in (EXAMPLE / "predictions.jsonl").read_text().splitlines()]
    for record in records:
        if record["id"] in planted:
            record["sql"] = planted[record["id"]]
            record["raw"] = f"Sure ({key}): {planted[record['id']]}"
    pred = pytester.path / "pred.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in records))
    for name in ("test_accuracy.py", "test_refusal.py", "test_safety.py"):
        pytester.makepyfile(**{name[:-3]: (SUITES / name).read_text()})
    gate = pytester.path / "gate.toml"
    gate.write_text('[policy]\nname = "leak"\nversion = 1\n\n'
                    '[[threshold]]\nmetric = "execution_accuracy"\nmin = 0.9\n')
    out = pytester.path / "out"
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest(*QUIET, "--candidate=leaky", "--engine=replay",
                                f"--predictions={pred}", f"--eval-set={EXAMPLE / 'eval.jsonl'}",
                                f"--sqlgate-out={out}", f"--junitxml={junit}", f"--gate={gate}")
    assert result.ret == 1  # the gate fails: the planted answers are wrong
    xml = junit.read_text(encoding="utf-8")
    # The planted answers did reach the report, masked: the failures are there.
    assert xml.count("<failure") >= len(planted) and "[REDACTED]" in xml
    assert _leaks(xml) == []

    # A registry manifest: secrets in what is registered and in the verdict's reasons.
    root = tmp_path / "registry"
    manifest = CandidateManifest(
        id="leaky", base_model=f"hub/model?token={key}", dataset_version=f"train {password}",
        code_git_sha="0" * 40, quant_config={"note": f"pushed with {key}"})
    register_candidate(manifest, root)
    verdict = evaluate_gate(load_results(out / "results.json"), load_policy(gate), None)
    verdict = verdict.model_copy(update={"reasons": [*verdict.reasons,
                                                     f"upstream said {password}"]})
    record_verdict("leaky", verdict, results=out / "results.json", root=root)

    written = [p for p in [*pytester.path.rglob("*"), *root.rglob("*")]
               if p.is_file() and p != pred and p.suffix != ".py"]
    names = {p.name for p in written}
    assert {"junit.xml", "results.json", "predictions.jsonl", "verdict.json",
            "manifest.json"} <= names, names
    for path in written:
        assert _leaks(path.read_text(encoding="utf-8", errors="replace")) == [], path
    assert _leaks(result.stdout.str() + result.stderr.str()) == []

"""Secret redaction: env secrets and secret-shaped strings never reach a written output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.redact import MASK, redact

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

"""Concurrency with real processes: `sqlgate gate --registry` and `sqlgate promote` started at
the same moment against one registry must leave it whole (the flock serialises writers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.gate.policy import evaluate_gate, load_policy
from harness.gate.promotion import load_manifest, read_promoted, record_verdict
from tests.test_gate import make_results
from tests.test_registry import add_candidate

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 8
# No baseline is required, but once a model is promoted each gate reads its results (a read
# racing the promotion that replaces promoted.json).
POLICY = ('[policy]\nname = "concurrency"\nversion = 1\n'
          '[[threshold]]\nmetric = "execution_accuracy"\nmin = 0.5\n'
          '[baseline]\nmetric = "execution_accuracy"\nrequired = false\nmax_drop = 0.5\n')


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=ROOT,
                            env={**os.environ, "USER": "ci-concurrency"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_gates_and_a_promotion_at_once_keep_the_registry_whole(tmp_path):
    root = tmp_path / "registry"
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    good = tmp_path / "good.json"  # passes: 18 of 20 correct
    good.write_text(json.dumps(make_results([True] * 18 + [False] * 2)))
    bad = tmp_path / "bad.json"  # fails the threshold: 4 of 20
    bad.write_text(json.dumps(make_results([True] * 4 + [False] * 16)))
    pol = load_policy(policy)
    for r in range(ROUNDS):
        for cid in (f"A{r}", f"B{r}", f"C{r}"):
            add_candidate(root, tmp_path, cid)
        # C<r> gets its passing verdict beforehand; A<r> and B<r> get theirs from the CLI.
        record_verdict(f"C{r}", evaluate_gate(make_results([True] * 18 + [False] * 2), pol,
                                              None), results=good, root=root)

    expected: dict[str, bool] = {}
    for r in range(ROUNDS):
        # A passes and B fails in even rounds, the other way round in odd ones.
        a_res, b_res = (good, bad) if r % 2 == 0 else (bad, good)
        procs = {
            f"A{r}": _cli("gate", "--results", str(a_res), "--policy", str(policy),
                          "--candidate", f"A{r}", "--registry", str(root)),
            f"B{r}": _cli("gate", "--results", str(b_res), "--policy", str(policy),
                          "--candidate", f"B{r}", "--registry", str(root)),
            f"C{r}": _cli("promote", f"C{r}", "--policy", str(policy), "--registry", str(root)),
        }
        codes = {}
        for cid, proc in procs.items():
            out, err = proc.communicate(timeout=60)
            codes[cid] = proc.returncode
            assert "Traceback" not in out + err, (cid, out, err)
        expected[f"A{r}"] = r % 2 == 0
        expected[f"B{r}"] = r % 2 == 1
        assert codes == {f"A{r}": 0 if r % 2 == 0 else 1, f"B{r}": 1 if r % 2 == 0 else 0,
                         f"C{r}": 0}, codes

    # Every JSON file parses; no temp file is left behind.
    files = list(root.rglob("*.json"))
    assert len(files) >= 3 * ROUNDS * 2 + 1  # manifest + results copy each, promoted.json
    for path in files:
        json.loads(path.read_text(encoding="utf-8"))
    assert not [p for p in root.rglob("*") if p.is_file() and ".tmp" in p.name]
    # Each manifest holds its verdict, under this policy, with the metrics of what it judged.
    for cid, passed in expected.items():
        manifest = load_manifest(cid, root)
        assert manifest.verdict is not None, cid
        assert manifest.verdict.passed is passed, cid
        assert manifest.verdict.policy.sha256 == pol.sha256
        copied = json.loads((root / "candidates" / cid / "results.json").read_text())
        assert copied["summary"]["execution_accuracy"]["value"] == (0.9 if passed else 0.2)
    # Exactly one complete JSON line per promotion, serialised in order.
    lines = (root / "audit.log").read_text(encoding="utf-8").splitlines()
    audit = [json.loads(line) for line in lines]
    assert [a["candidate"] for a in audit] == [f"C{r}" for r in range(ROUNDS)]
    assert [a["previous"] for a in audit] == [None] + [f"C{r}" for r in range(ROUNDS - 1)]
    assert all(a["who"] == "ci-concurrency" and a["policy"]["sha256"] == pol.sha256
               for a in audit)
    promoted = read_promoted(root)
    assert promoted["promoted"]["id"] == f"C{ROUNDS - 1}"
    assert promoted["baseline"]["id"] == f"C{ROUNDS - 2}"
    assert promoted["promoted"]["at"] == audit[-1]["when"]

"""The CPU rehearsal of benchmarks/gpu/release_path.sh: the stages that need no GPU (register,
serve with the fake server, evaluate with the openai engine and the latency suite, gate,
registry, report) run end to end, so the next GPU lease only swaps the server and the model."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu" / "release_path.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("locust") is None,
                    reason="the latency suite needs locust")
def test_rehearsal_gates_a_served_candidate_and_the_registry_refuses_it(tmp_path):
    work, cand, out = tmp_path / "work", tmp_path / "cand", tmp_path / "out"
    work.mkdir()
    cand.mkdir()
    (cand / "manifest.json").write_text(json.dumps({"id": "rehearsal", "base_model": "none"}))
    (work / "candidate.json").write_text(json.dumps(
        {"id": "rehearsal", "dir": str(cand), "quantized": str(cand)}))
    env = {**os.environ, "SERVER": "fake", "PY": sys.executable, "OUT": str(out),
           "WORK": str(work), "PORT": str(_free_port()), "PORT2": str(_free_port()),
           "EVAL_SETS": "fixtures/examples/eval.jsonl", "LATENCY_REQUESTS": "1",
           "STAGES": "register serve eval_openai gate promote report"}
    done = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    stages = {line.split("\t")[0]: int(line.split("\t")[2])
              for line in (out / "stages.tsv").read_text().splitlines()}
    # Gold answers from the fake server: the suites pass; the gate fails (7 answerable examples
    # cannot show 0.70 on a lower bound, no baseline, no A/B), so the registry refuses.
    assert stages == {"register": 0, "serve": 0, "eval_openai": 0, "gate": 1, "promote": 1,
                      "report": 0}
    body = json.loads((out / "gpu_release_path.json").read_text())
    evaluation = body["evaluations"]["eval-openai"]
    assert evaluation["engine"] == "openai" and evaluation["examples"] == 9
    assert evaluation["metrics"]["parse_rate"] == 1.0
    assert evaluation["latency"]["samples"] >= 4
    rules = {r["rule"]: r["passed"] for r in evaluation["verdict"]["rules"]}
    assert rules["threshold latency.p95_e2e_ms"] and not rules["latency baseline p95_e2e_ms"]
    assert body["registry_promoted"] is None
    assert "**FAIL**" in (out / "gpu_release_path.md").read_text()

"""Fault injection: a model server killed mid-run, a crash between write and rename, and
SIGINT/SIGTERM of `python -m harness score`; nothing finished is lost, nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.engines import EngineError, SamplingParams
from harness.engines.cache import CachedEngine, GenerationCache, cache_key
from harness.engines.openai_http import OpenAIEngine
from harness.gate.command import gate_command
from harness.inputs.golden import load_eval_set
from harness.scoring.metrics import summarize
from harness.scoring.run import ScoreRun, score_predictions, write_results

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("model_server.py")
CORE = ROOT / "fixtures" / "golden" / "ebs_core.jsonl"
SMOKE = ROOT / "gates" / "smoke.toml"
PYTHON = sys.executable


def _eval_subset(path: Path, n: int) -> Path:
    lines = CORE.read_text(encoding="utf-8").splitlines()[:n]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _start_server(log: Path, port: int = 0) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([PYTHON, str(SERVER), str(log), str(port)], stdout=subprocess.PIPE,
                            text=True)
    return proc, int(proc.stdout.readline())


def _logged(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _wait_for(predicate, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.slow
def test_server_killed_mid_run_keeps_finished_generations_and_rerun_resumes(
        tmp_path, backends, catalog):
    eval_path = _eval_subset(tmp_path / "eval.jsonl", 12)
    examples = load_eval_set(eval_path).examples
    prompts = [f"{e.id}: {e.question}" for e in examples]
    params = SamplingParams()
    log1, log2 = tmp_path / "served1.log", tmp_path / "served2.log"
    proc, port = _start_server(log1)

    def engine() -> OpenAIEngine:
        # Tiny backoff: the killed server refuses connections at once; retrying is futile.
        return OpenAIEngine(f"http://127.0.0.1:{port}", "candidate", concurrency=2,
                            timeout_s=5, max_retries=1, backoff_s=0.01)

    failure: list[BaseException] = []

    def first_run() -> None:
        try:
            CachedEngine(engine(), GenerationCache(tmp_path / "cache")).generate(prompts, params)
        except BaseException as exc:  # noqa: BLE001 — the test inspects it
            failure.append(exc)

    worker = threading.Thread(target=first_run)
    try:
        worker.start()
        _wait_for(lambda: len(_logged(log1)) >= 4, 20)
        proc.kill()
        proc.wait()
        worker.join(30)
    finally:
        proc.kill()
    # The run reports the failure, naming the endpoint.
    assert len(failure) == 1 and isinstance(failure[0], EngineError)
    assert f"127.0.0.1:{port}" in str(failure[0])
    finished = set(_logged(log1))
    assert 4 <= len(finished) < len(prompts)
    fingerprint = engine().fingerprint
    cache = GenerationCache(tmp_path / "cache")
    cached = {p for p in prompts if cache.get(cache_key(fingerprint, p, params)) is not None}
    assert finished <= cached, "a generation that finished was lost"

    # The interrupted run's results: only what was scored, marked incomplete; the gate fails.
    from harness.scoring.gold_cache import GoldCache
    from harness.scoring.scorer import Scorer

    scorer = Scorer(catalog, backends, GoldCache())
    from harness.inputs.golden import Prediction
    partial = [scorer.score(e, Prediction(id=e.id, sql="SELECT 1 FROM DUAL"))
               for e, p in zip(examples, prompts, strict=True) if p in cached]
    run = ScoreRun(eval_set=load_eval_set(eval_path), scores=partial, summary=summarize(partial),
                   unknown_prediction_ids=[], backend="duckdb", instances=[], seconds=0.0,
                   db_seconds=0.0, gold_cache_hits=0, gold_cache_misses=0)
    write_results(run, tmp_path / "partial.json")
    verdict_path = tmp_path / "verdict.json"
    assert gate_command(tmp_path / "partial.json", SMOKE, None, verdict_path) == 1
    verdict = json.loads(verdict_path.read_text())
    assert any("incomplete" in r for r in verdict["reasons"])

    # The rerun on the same endpoint asks only for the prompts that did not finish.
    proc, _ = _start_server(log2, port)
    try:
        cache = GenerationCache(tmp_path / "cache")
        generations = CachedEngine(engine(), cache).generate(prompts, params)
    finally:
        proc.kill()
        proc.wait()
    regenerated = _logged(log2)
    assert sorted(regenerated) == sorted(set(prompts) - cached)
    assert cache.hits == len(cached)
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"id": e.id, "sql": g.text}) + "\n"
                                   for e, g in zip(examples, generations, strict=True)))
    final = score_predictions(eval_path, predictions, backends=backends, catalog=catalog)
    write_results(final, tmp_path / "results.json")
    results = json.loads((tmp_path / "results.json").read_text())
    assert [e["id"] for e in results["examples"]] == [e.id for e in examples]  # once each
    assert results["summary"]["run"]["complete"] is True


def test_crash_between_write_and_rename_keeps_the_old_results(tmp_path):
    target = tmp_path / "results.json"
    target.write_text('{"summary": {"old": true}, "examples": []}\n')
    # A real process dies (no cleanup, no exception handler) right before the rename.
    script = ("import os, sys\nfrom harness.io import atomic\n"
              "os.replace = lambda *a: os._exit(9)\n"
              "atomic.write_text_atomic(sys.argv[1], '{\"summary\": {\"new\": true}')\n")
    done = subprocess.run([PYTHON, "-c", script, str(target)], cwd=ROOT)
    assert done.returncode == 9
    assert json.loads(target.read_text())["summary"] == {"old": True}


def test_interrupted_write_leaves_no_temp_file(tmp_path, monkeypatch):
    from harness.io import atomic

    target = tmp_path / "results.json"
    target.write_text("{}\n")

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text_atomic(target, '{"new": 1}')
    assert target.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_scoring_leaves_no_results_and_rerun_works(tmp_path, suite, sig):
    eval_path = _eval_subset(tmp_path / "eval.jsonl", 20)
    ids = [e.id for e in load_eval_set(eval_path).examples]
    # Every answer stalls until the 1 s timeout: scoring takes about 20 s.
    stall = tmp_path / "stall.jsonl"
    bomb = "SELECT COUNT(*) FROM " + ", ".join(f"AP_INVOICES_ALL t{n}" for n in range(5))
    stall.write_text("".join(json.dumps({"id": i, "sql": bomb}) + "\n" for i in ids))
    out = tmp_path / "out" / "results.json"
    command = [PYTHON, "-m", "harness", "score", "--eval-set", str(eval_path), "-k", "1",
               "--timeout", "1", "--no-progress", "--out", str(out)]
    # A shell's background job (`pytest ... &`) starts with SIGINT ignored and a child inherits
    # that, so Ctrl-C would never reach the scorer: give it the default disposition, as a
    # terminal's foreground job has.
    proc = subprocess.Popen([*command, "--predictions", str(stall)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_signals)
    time.sleep(4)
    assert proc.poll() is None, "scoring ended before the signal"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Traceback" not in stderr
    assert not out.parent.exists() or list(out.parent.iterdir()) == []

    fast = tmp_path / "fast.jsonl"
    fast.write_text("".join(json.dumps({"id": i, "sql": "SELECT 1 FROM DUAL"}) + "\n"
                            for i in ids))
    done = subprocess.run([*command, "--predictions", str(fast)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert [e["id"] for e in results["examples"]] == ids
    assert results["summary"]["run"]["complete"] is True

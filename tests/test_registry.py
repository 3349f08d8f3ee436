"""Tests of the promotion registry: refusals, atomic promotion, the lock, and the issue's flow."""

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from harness.gate.command import gate_command
from harness.gate.policy import evaluate_gate, load_policy
from harness.gate.promotion import (
    CandidateManifest,
    PromotionRefused,
    artifact_sha256,
    baseline_results,
    promote,
    promote_command,
    read_promoted,
    record_verdict,
    register_candidate,
)
from tests.test_gate import BASE, BASELINE, HEADER, flip, make_results


def write_policy(tmp_path: Path, text: str = HEADER, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def add_candidate(root: Path, tmp_path: Path, cid: str) -> CandidateManifest:
    """A candidate with one adapter file and one merged-model directory on disk."""
    adapter = tmp_path / "artifacts" / cid / "adapter.safetensors"
    adapter.parent.mkdir(parents=True, exist_ok=True)
    adapter.write_bytes(b"lora " + cid.encode())
    merged = tmp_path / "artifacts" / cid / "merged"
    merged.mkdir(exist_ok=True)
    (merged / "model.safetensors").write_bytes(b"weights " + cid.encode())
    (merged / "config.json").write_text("{}")
    manifest = CandidateManifest(
        id=cid, base_model="meta-llama/Llama-3.1-70B-Instruct",
        adapter_sha256=artifact_sha256(adapter), merged_sha256=artifact_sha256(merged),
        artifact_paths={"adapter": str(adapter), "merged": str(merged)},
        dataset_version="train-v3", code_git_sha="0" * 40)
    register_candidate(manifest, root)
    return manifest


def judge(root: Path, cid: str, policy: Path, results: dict, baseline: dict | None = None):
    """Run the gate on fabricated results and record its verdict, as `sqlgate gate` does."""
    path = root.parent / f"{cid}-results.json"
    path.write_text(json.dumps(results))
    verdict = evaluate_gate(results, load_policy(policy), baseline)
    record_verdict(cid, verdict, results=path, root=root)
    return verdict


@pytest.fixture()
def root(tmp_path):
    return tmp_path / "registry"


def test_directory_hash_covers_names_and_contents(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a").write_text("1")
    first = artifact_sha256(d)
    (d / "a").rename(d / "b")
    assert artifact_sha256(d) != first
    with pytest.raises(FileNotFoundError):
        artifact_sha256(tmp_path / "absent")


def test_manifest_requires_a_path_for_each_hash():
    with pytest.raises(ValueError, match="artifact_paths has no 'adapter'"):
        CandidateManifest(id="c1", base_model="m", adapter_sha256="0" * 64)


def test_promotion_refused_without_verdict(root, tmp_path):
    add_candidate(root, tmp_path, "c1")
    with pytest.raises(PromotionRefused, match="no gate verdict on record"):
        promote("c1", write_policy(tmp_path), root)


def test_promotion_refused_with_failing_verdict(root, tmp_path):
    policy = write_policy(tmp_path, HEADER + '[[threshold]]\nmetric = "execution_accuracy"\n'
                          "min = 0.9\n")
    add_candidate(root, tmp_path, "c1")
    judge(root, "c1", policy, make_results(BASE))
    with pytest.raises(PromotionRefused, match="verdict is FAIL: threshold execution_accuracy"):
        promote("c1", policy, root)


def test_promotion_refused_for_another_policy_version(root, tmp_path):
    old = write_policy(tmp_path)
    add_candidate(root, tmp_path, "c1")
    judge(root, "c1", old, make_results(BASE))
    new = write_policy(tmp_path, HEADER.replace("version = 1", "version = 2"), "new.toml")
    with pytest.raises(PromotionRefused, match="under policy t v1 .* not the current t v2"):
        promote("c1", new, root)


def test_promotion_refused_after_an_artifact_changed(root, tmp_path):
    policy = write_policy(tmp_path)
    manifest = add_candidate(root, tmp_path, "c1")
    judge(root, "c1", policy, make_results(BASE))
    Path(manifest.artifact_paths["merged"], "model.safetensors").write_bytes(b"retrained")
    with pytest.raises(PromotionRefused, match="artifact changed since evaluation"):
        promote("c1", policy, root)


def test_promotion_refused_without_artifact_hashes(root, tmp_path):
    policy = write_policy(tmp_path)
    register_candidate(CandidateManifest(id="bare", base_model="m"), root)
    judge(root, "bare", policy, make_results(BASE))
    with pytest.raises(PromotionRefused, match="no artifact hashes recorded"):
        promote("bare", policy, root)


def test_re_registering_drops_the_verdict(root, tmp_path):
    policy = write_policy(tmp_path)
    manifest = add_candidate(root, tmp_path, "c1")
    judge(root, "c1", policy, make_results(BASE))
    register_candidate(manifest, root)
    with pytest.raises(PromotionRefused, match="no gate verdict"):
        promote("c1", policy, root)


def test_good_promotion_updates_promoted_audit_and_baseline(root, tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "alice")
    policy = write_policy(tmp_path)
    for cid in ("c1", "c2"):
        add_candidate(root, tmp_path, cid)
        judge(root, cid, policy, make_results(BASE))
    assert baseline_results(root) is None
    promote("c1", policy, root)
    promote("c2", policy, root)
    promoted = read_promoted(root)
    assert promoted["promoted"]["id"] == "c2" and promoted["baseline"]["id"] == "c1"
    assert baseline_results(root) == root / "candidates" / "c2" / "results.json"
    lines = [json.loads(line) for line in (root / "audit.log").read_text().splitlines()]
    assert [(a["who"], a["candidate"], a["previous"]) for a in lines] == [
        ("alice", "c1", None), ("alice", "c2", "c1")]
    with pytest.raises(PromotionRefused, match="already the promoted model"):
        promote("c2", policy, root)


def test_crash_between_write_and_rename_keeps_old_promoted(root, tmp_path, monkeypatch):
    policy = write_policy(tmp_path)
    for cid in ("c1", "c2"):
        add_candidate(root, tmp_path, cid)
        judge(root, cid, policy, make_results(BASE))
    promote("c1", policy, root)
    before = (root / "promoted.json").read_text()

    def crash(src, dst):
        raise OSError("power lost")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power lost"):
        promote("c2", policy, root)
    monkeypatch.undo()
    assert (root / "promoted.json").read_text() == before
    assert len((root / "audit.log").read_text().splitlines()) == 1
    assert not list(root.glob(".promoted.json.*"))


def _worker(args):
    """One process: record a verdict, then try to promote (another one may win the race)."""
    root, policy, cid, results = args
    record_verdict(cid, _passing(policy), results=Path(results), root=Path(root))
    try:
        promote(cid, Path(policy), Path(root))
    except PromotionRefused:
        return None
    return cid


def _passing(policy):
    return evaluate_gate(make_results(BASE), load_policy(policy), None)


def test_concurrent_verdicts_and_promotions_keep_the_registry_whole(root, tmp_path):
    policy = write_policy(tmp_path)
    results = tmp_path / "results.json"
    results.write_text(json.dumps(make_results(BASE)))
    ids = [f"c{i}" for i in range(8)]
    for cid in ids:
        add_candidate(root, tmp_path, cid)
    jobs = [(str(root), str(policy), cid, str(results)) for cid in ids + ids[:4]]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        promoted = [c for c in pool.map(_worker, jobs) if c]
    for path in root.rglob("*.json"):
        json.loads(path.read_text())
    lines = [json.loads(line) for line in (root / "audit.log").read_text().splitlines()]
    assert len(lines) == len(promoted) >= len(ids)
    # Serialised: each promotion saw the one before it as the previous model.
    assert [a["previous"] for a in lines] == [None] + [a["candidate"] for a in lines[:-1]]
    assert read_promoted(root)["promoted"]["id"] == lines[-1]["candidate"]
    assert not list(root.rglob("*.tmp"))


def test_promote_command_exit_codes(root, tmp_path, capsys):
    policy = write_policy(tmp_path)
    add_candidate(root, tmp_path, "c1")
    assert promote_command("c1", root, policy) == 1
    assert promote_command("nobody", root, policy) == 2
    judge(root, "c1", policy, make_results(BASE))
    assert promote_command("c1", root, policy) == 0
    assert "promoted" in capsys.readouterr().out


def test_issue_end_to_end(root, tmp_path):
    """Baseline promoted; a candidate fixing 10 and breaking 12 of 200 fails on the paired
    test and cannot be promoted; one fixing 12 and breaking none passes, is promoted, and
    the old model becomes the baseline."""
    release = Path(__file__).resolve().parents[1] / "gates" / "release.toml"
    policy = write_policy(tmp_path, BASELINE + "required = false\n")
    for cid in ("base", "worse", "better"):
        add_candidate(root, tmp_path, cid)
    out = {}
    for cid, correct in (("base", BASE), ("worse", flip(BASE, 10, 12)),
                         ("better", flip(BASE, 12, 0))):
        out[cid] = tmp_path / f"{cid}.json"
        out[cid].write_text(json.dumps(make_results(correct)))
    assert gate_command(out["base"], policy, None, None, candidate="base", registry=root) == 0
    assert promote_command("base", root, policy) == 0

    verdict_file = tmp_path / "worse-verdict.json"
    assert gate_command(out["worse"], policy, None, verdict_file, candidate="worse",
                        registry=root) == 1
    verdict = json.loads(verdict_file.read_text())
    assert verdict["baseline"] == str(root / "candidates" / "base" / "results.json")
    assert verdict["reasons"][0].startswith("baseline execution_accuracy (tango): not shown "
                                            "non-inferior")
    assert (verdict["paired"]["fixed"], verdict["paired"]["broken"]) == (10, 12)
    with pytest.raises(PromotionRefused, match="verdict is FAIL"):
        promote("worse", policy, root)

    assert gate_command(out["better"], policy, None, None, candidate="better",
                        registry=root) == 0
    promote("better", policy, root)
    promoted = read_promoted(root)
    assert promoted["promoted"]["id"] == "better" and promoted["baseline"]["id"] == "base"
    assert baseline_results(root) == root / "candidates" / "better" / "results.json"
    # The shipped release policy (margin 0.06, what its golden sets can show) fails a clear
    # regression on the paired rule too (its other rules aside).
    rel = load_policy(release)
    base = make_results(BASE)
    assert any(r.rule.startswith("baseline execution_accuracy") and not r.passed
               for r in evaluate_gate(make_results(flip(BASE, 0, 15)), rel, base).rules)
    assert all(r.passed for r in evaluate_gate(make_results(flip(BASE, 12, 0)), rel, base).rules
               if r.rule.startswith("baseline"))

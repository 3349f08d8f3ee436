"""The release flow end to end, as CI runs it: replay engine → suites → gate → promotion.

A baseline and two candidates answer the first 80 examples of the core golden set. One
candidate fixes 10 of the baseline's failures and breaks 12 of its successes; the paired test
fails it and promotion is refused. Another fixes 12 and breaks none; it passes, is promoted,
and the model it replaces becomes the baseline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.gate.command import gate_command
from harness.gate.promotion import (
    CandidateManifest,
    PromotionRefused,
    artifact_sha256,
    baseline_results,
    promote,
    read_promoted,
    register_candidate,
)
from harness.inputs.golden import load_eval_set

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "fixtures" / "golden" / "ebs_core.jsonl"
N = 80
WRONG = "SELECT 1 FROM DUAL"
QUIET = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")
POLICY = """[policy]
name = "release-flow"
version = 1
max_unevaluable = 0

[[threshold]]
metric = "parse_rate"
min = 0.9

[[baseline]]
metric = "execution_accuracy"
test = "tango"
decision = "non_inferiority"
one_sided_alpha = 0.025
max_drop = 0.02
required = false
"""


def predictions(path: Path, ids: list[str], golds: dict[str, str], wrong: set[str]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "sql": WRONG if i in wrong else golds[i]}) + "\n"
                            for i in ids))
    return path


def test_replay_suites_gate_and_promotion(pytester, suite, tmp_path):  # noqa: ARG001
    examples = load_eval_set(CORE).examples[:N]
    eval_set = tmp_path / "eval.jsonl"
    eval_set.write_text("".join(e.model_dump_json(exclude_none=True) + "\n" for e in examples))
    ids = [e.id for e in examples]
    golds = {e.id: e.sql_gold for e in examples}
    base_wrong = set(ids[:15])
    plans = {
        "base": base_wrong,
        "worse": (base_wrong - set(ids[:10])) | set(ids[20:32]),  # fixes 10, breaks 12
        "better": base_wrong - set(ids[:12]),                    # fixes 12, breaks none
    }
    policy = tmp_path / "release-flow.toml"
    policy.write_text(POLICY)
    registry = tmp_path / "registry"
    for name in ("test_accuracy.py", "test_refusal.py", "test_safety.py"):
        pytester.makepyfile(**{name[:-3]: (ROOT / "suites" / name).read_text()})

    def evaluate(cid: str) -> tuple[int, dict]:
        merged = tmp_path / cid / "merged.bin"
        merged.parent.mkdir()
        merged.write_bytes(cid.encode())  # stands in for the candidate's weights
        register_candidate(CandidateManifest(
            id=cid, base_model="tiny", merged_sha256=artifact_sha256(merged),
            artifact_paths={"merged": str(merged)}), registry)
        preds = predictions(tmp_path / f"{cid}.jsonl", ids, golds, plans[cid])
        out = tmp_path / "reports" / cid
        baseline = baseline_results(registry)  # the promoted model's results, once there is one
        result = pytester.runpytest(
            *QUIET, f"--candidate={cid}", "--engine=replay", f"--predictions={preds}",
            f"--eval-set={eval_set}", f"--sqlgate-out={out}", f"--gate={policy}",
            *([f"--baseline={baseline}"] if baseline else []))
        # What CI does after the suites: record the verdict in the registry (same baseline).
        code = gate_command(out / "results.json", policy, None, out / "verdict.json",
                            candidate=cid, registry=registry)
        assert code == result.ret  # the suites' exit status is the gate's verdict
        return code, json.loads((out / "verdict.json").read_text())

    code, _ = evaluate("base")
    assert code == 0  # the first model: no baseline required
    promote("base", policy, registry)
    assert read_promoted(registry)["promoted"]["id"] == "base"

    code, verdict = evaluate("worse")
    assert code == 1
    assert verdict["paired"]["fixed"] == 10 and verdict["paired"]["broken"] == 12
    with pytest.raises(PromotionRefused):
        promote("worse", policy, registry)

    code, verdict = evaluate("better")
    assert code == 0, verdict
    assert verdict["paired"]["fixed"] == 12 and verdict["paired"]["broken"] == 0
    promote("better", policy, registry)
    promoted = read_promoted(registry)
    assert promoted["promoted"]["id"] == "better" and promoted["baseline"]["id"] == "base"
    assert (tmp_path / "reports" / "better" / "scorecard.html").exists()

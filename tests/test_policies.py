"""The shipped gate policies: all load, and the offline policy keeps the release policy's
quality rules (only the serving rules, which replayed predictions cannot measure, differ)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from harness.gate.policy import load_policy

GATES = Path(__file__).resolve().parent.parent / "gates"
SERVING_PREFIXES = ("latency.", "guardrail.")


@pytest.mark.parametrize("path", sorted(GATES.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_policy_loads(path):
    assert load_policy(path).policy.name == path.stem


def _quality(policy: dict) -> dict:
    thresholds = [t for t in policy.get("threshold", [])
                  if not t["metric"].startswith(SERVING_PREFIXES)]
    baselines = policy.get("baseline", [])
    baselines = [baselines] if isinstance(baselines, dict) else baselines
    return {"max_unevaluable": policy["policy"].get("max_unevaluable"),
            "threshold": thresholds, "domain_floor": policy.get("domain_floor", []),
            "baseline": [{k: v for k, v in b.items() if k != "required"} for b in baselines]}


def test_offline_policy_is_the_release_policy_without_serving_rules():
    release = tomllib.loads((GATES / "release.toml").read_text())
    offline = tomllib.loads((GATES / "offline.toml").read_text())
    assert _quality(offline) == _quality(release)
    assert not [t for t in offline.get("threshold", [])
                if t["metric"].startswith(SERVING_PREFIXES)]
    assert [t for t in release["threshold"] if t["metric"].startswith(SERVING_PREFIXES)]


def test_release_latency_limits_are_the_derived_a100_limits():
    """release.toml's absolute serving limits are `harness.serving.latency_model`'s for the target GPU
    on the golden workload: a change to the model, its calibration or the golden sets that moves
    them must move the policy too (and bump its version)."""
    from harness.serving.latency_model import derived_limits

    limits = derived_limits()["a100-80gb"]
    release = tomllib.loads((GATES / "release.toml").read_text())
    bounds = {t["metric"]: t.get("max", t.get("min")) for t in release["threshold"]}
    assert bounds["latency.p95_e2e_ms"] == limits.p95_e2e_ms
    assert bounds["latency.p95_ttft_ms"] == limits.p95_ttft_ms
    assert bounds["latency.tokens_per_s"] == limits.tokens_per_s


def test_relative_latency_rule_is_release_only():
    """Replayed predictions have no server: the offline policy cannot carry it."""
    release, offline = load_policy(GATES / "release.toml"), load_policy(GATES / "offline.toml")
    assert [r.figure for r in release.latency_baseline] == ["p95_e2e_ms"]
    assert release.latency_baseline[0].min_repetitions >= 3 and not offline.latency_baseline

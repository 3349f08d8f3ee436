"""Tests of gate policies: loading and its errors, threshold arithmetic, fail-closed rules."""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import InputError
from harness.gate import (
    Policy,
    Threshold,
    check_threshold,
    evaluate_gate,
    gate_command,
    load_policy,
)
from harness.metrics import summarize
from harness.scoring import ExampleScore

GATES = Path(__file__).resolve().parents[1] / "gates"
DOMAINS = ("AP", "PO", "GL", "AR", "INV", "HR")


def make_results(correct: list[bool], *, sha: str = "a" * 64, unanswerable: int = 0,
                 extra: dict | None = None) -> dict:
    """A results.json as `sqlgate score` writes it, for answerable examples q0000… with the
    given correctness plus `unanswerable` refused ones (u0000…)."""
    scores = [ExampleScore(id=f"q{i:04d}", correct=ok, status="correct" if ok else "wrong_result",
                           reason="", kind="answerable", domain=DOMAINS[i % len(DOMAINS)],
                           difficulty="easy", sql_only=True, parsed=True, explained=True,
                           moac_required=True)
              for i, ok in enumerate(correct)]
    scores += [ExampleScore(id=f"u{i:04d}", correct=True, status="refused", reason="",
                            kind="unanswerable", domain="AP", difficulty="easy", refused=True,
                            sql_only=True)
               for i in range(unanswerable)]
    summary = summarize(scores)
    summary["run"] = {"eval_set": "fixtures/golden/ebs_core.jsonl", "eval_set_sha256": sha,
                      "complete": True}
    summary.update(extra or {})
    return {"summary": summary, "examples": [s.to_json() for s in scores]}


def policy(text: str, tmp_path: Path) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return load_policy(path)


HEADER = '[policy]\nname = "t"\nversion = 1\n'
BASELINE = HEADER + '[baseline]\nmetric = "execution_accuracy"\nmax_drop = 0.02\n'


# ---------------------------------------------------------------- loading


def test_shipped_policies_load():
    release = load_policy(GATES / "release.toml")
    smoke = load_policy(GATES / "smoke.toml")
    assert release.policy.name == "release" and release.baseline is not None
    assert all(not t.optional for t in release.threshold)
    assert smoke.baseline is None and len(release.sha256) == 64


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    (HEADER + "colour = 1\n", 4, "policy.colour", "unknown field"),
    (HEADER + '\n[[threshold]]\nmetric = "a"\nmin = 1\n\n[[threshold]]\nmetric = "b"\n',
     9, "threshold[1]", "exactly one of min or max"),
    (HEADER + '[[threshold]]\nmetric = "a"\nmax = 1\nuse = "median"\n',
     7, "threshold[0].use", "'value', 'ci_low' or 'ci_high'"),
    (HEADER + '[baseline]\nalpha = 1.5\n', 5, "baseline.alpha", "less than 1"),
    ('[policy]\nname = "t"\n', 1, "policy.version", "required field is missing"),
    (HEADER + "[[domain_floor]]\ndomain = 'AP'\nmin = 'high'\n", 6, "domain_floor[0].min",
     "valid number"),
    (HEADER + "version = 2\n", 4, None, "not valid TOML"),
])
def test_bad_policy_names_file_line_and_key(tmp_path, text, line, field, message):
    with pytest.raises(InputError) as err:
        policy(text, tmp_path)
    assert err.value.path.endswith("policy.toml")
    assert err.value.line == line
    assert err.value.field == field
    assert message in err.value.message


def test_policy_sha_is_of_the_file_bytes(tmp_path):
    a = policy(HEADER, tmp_path)
    b = policy(HEADER + "# a comment changes the policy file\n", tmp_path)
    assert a.sha256 != b.sha256


# ---------------------------------------------------------------- thresholds


@given(st.integers(1, 400), st.data())
def test_value_equal_to_min_passes_and_just_below_fails(n, data):
    k = data.draw(st.integers(0, n))
    summary = {"m": {"value": k / n}}
    at = check_threshold(summary, Threshold(metric="m", min=k / n), "t")
    assert at.passed and at.margin == 0
    above = check_threshold(summary, Threshold(metric="m", min=(k / n) + 1e-12), "t")
    assert not above.passed and above.margin < 0


@given(st.floats(0, 1), st.floats(0, 1))
def test_max_margin_is_signed_distance(value, bound):
    out = check_threshold({"m": {"value": value}}, Threshold(metric="m", max=bound), "t")
    assert out.passed == (value <= bound)
    assert out.margin == bound - value


def test_ci_bounds_and_dotted_paths():
    summary = {"m": {"value": 0.8, "ci95": [0.72, 0.86]}, "latency": {"p95_e2e_ms": 900}}
    assert check_threshold(summary, Threshold(metric="m", min=0.7, use="ci_low"), "t").passed
    assert not check_threshold(summary, Threshold(metric="m", min=0.75, use="ci_low"),
                               "t").passed
    assert not check_threshold(summary, Threshold(metric="m", max=0.85, use="ci_high"),
                               "t").passed
    assert check_threshold(summary, Threshold(metric="latency.p95_e2e_ms", max=900), "t").passed


@pytest.mark.parametrize("summary", [
    {}, {"m": {"value": None, "n": 0}}, {"m": {"value": "high"}}, {"m": {"value": float("nan")}},
    {"m": 3.0, "_use": "ci_low"},
])
def test_missing_metric_fails_closed_unless_optional(summary):
    use = summary.pop("_use", "value")
    strict = check_threshold(summary, Threshold(metric="m", min=0, use=use), "t")
    assert not strict.passed and strict.detail.startswith("missing metric")
    optional = check_threshold(summary, Threshold(metric="m", min=0, use=use, optional=True),
                               "t")
    assert optional.passed and "optional" in optional.detail


# ---------------------------------------------------------------- fail closed


def test_a_good_run_passes(tmp_path):
    pol = policy(HEADER + '[[threshold]]\nmetric = "execution_accuracy"\nmin = 0.7\n'
                 '[[domain_floor]]\ndomain = "AP"\nmin = 0.5\n', tmp_path)
    verdict = evaluate_gate(make_results([True] * 8 + [False] * 2), pol, None)
    assert verdict.passed, verdict.reasons


def test_incomplete_run_fails(tmp_path):
    pol = policy(HEADER, tmp_path)
    results = make_results([True] * 10)
    results["summary"]["run"]["complete"] = False
    assert "incomplete" in " ".join(evaluate_gate(results, pol, None).reasons)
    results = make_results([True] * 10)
    del results["examples"][3]
    verdict = evaluate_gate(results, pol, None)
    assert not verdict.passed and "9 examples listed, summary says 10" in verdict.reasons[0]
    results = make_results([True] * 10)
    del results["summary"]["run"]
    assert not evaluate_gate(results, pol, None).passed


def test_unevaluable_over_budget_fails(tmp_path):
    results = make_results([True] * 10)
    results["summary"]["unevaluable"] = 1
    assert not evaluate_gate(results, policy(HEADER, tmp_path), None).passed
    relaxed = policy(HEADER + "max_unevaluable = 1\n", tmp_path)
    assert evaluate_gate(results, relaxed, None).passed
    del results["summary"]["unevaluable"]
    assert not evaluate_gate(results, relaxed, None).passed


def test_missing_domain_fails(tmp_path):
    pol = policy(HEADER + '[[domain_floor]]\ndomain = "FND"\nmin = 0.1\n', tmp_path)
    verdict = evaluate_gate(make_results([True] * 10), pol, None)
    assert verdict.reasons == ["domain floor FND: missing metric"]


def test_required_baseline_absent_fails_unless_first_model(tmp_path):
    results = make_results([True] * 10)
    verdict = evaluate_gate(results, policy(BASELINE, tmp_path), None)
    assert verdict.reasons == ["baseline: baseline required by the policy but not given"]
    first = policy(BASELINE + "required = false\n", tmp_path)
    assert evaluate_gate(results, first, None).passed


def test_baseline_from_another_eval_set_fails(tmp_path):
    verdict = evaluate_gate(make_results([True] * 10), policy(BASELINE, tmp_path),
                            make_results([True] * 10, sha="b" * 64))
    assert any("baseline evaluated on another eval set version" in r for r in verdict.reasons)
    assert verdict.paired is None


def test_baseline_with_other_ids_fails(tmp_path):
    baseline = make_results([True] * 10)
    baseline["examples"][0]["id"] = "other"
    verdict = evaluate_gate(make_results([True] * 10), policy(BASELINE, tmp_path), baseline)
    assert any("per-example ids differ" in r for r in verdict.reasons)


def test_incomplete_baseline_fails(tmp_path):
    baseline = make_results([True] * 10)
    baseline["summary"]["run"]["complete"] = False
    verdict = evaluate_gate(make_results([True] * 10), policy(BASELINE, tmp_path), baseline)
    assert any(r.startswith("baseline complete: incomplete") for r in verdict.reasons)


# ---------------------------------------------------------------- paired decision


def flip(base: list[bool], fixed: int, broken: int) -> list[bool]:
    """The baseline's correctness with `fixed` wrong answers made right, `broken` right wrong."""
    out = list(base)
    wrong = [i for i, ok in enumerate(base) if not ok]
    right = [i for i, ok in enumerate(base) if ok]
    for i in wrong[:fixed]:
        out[i] = True
    for i in right[:broken]:
        out[i] = False
    return out


BASE = [True] * 150 + [False] * 50


@pytest.mark.parametrize("test", ["mcnemar", "bootstrap"])
def test_paired_decisions(tmp_path, test):
    pol = policy(BASELINE + f'test = "{test}"\n', tmp_path)
    baseline = make_results(BASE)
    worse = evaluate_gate(make_results(flip(BASE, 10, 12)), pol, baseline)
    assert not worse.passed
    assert worse.paired.fixed == 10 and worse.paired.broken == 12
    assert worse.reasons[0].startswith(f"baseline execution_accuracy ({test}): not shown "
                                       "non-inferior")
    better = evaluate_gate(make_results(flip(BASE, 12, 0)), pol, baseline)
    assert better.passed, better.reasons
    assert better.paired.fixed_ids == [f"q{i:04d}" for i in range(150, 162)]
    same = evaluate_gate(make_results(BASE), pol, baseline)
    assert same.passed and same.paired.ci_low == same.paired.ci_high == 0


def test_significant_drop_decision_tolerates_noise(tmp_path):
    pol = policy(BASELINE + 'decision = "significant_drop"\n', tmp_path)
    baseline = make_results(BASE)
    noisy = evaluate_gate(make_results(flip(BASE, 10, 12)), pol, baseline)
    assert noisy.passed, noisy.reasons
    assert noisy.paired.p_value == pytest.approx(3488872 / 4194304)
    broken = evaluate_gate(make_results(flip(BASE, 0, 15)), pol, baseline)
    assert not broken.passed and "significant drop" in broken.reasons[0]


def test_paired_test_counts_only_the_metrics_examples(tmp_path):
    pol = policy(BASELINE, tmp_path)
    baseline = make_results(BASE, unanswerable=20)
    candidate = make_results(BASE, unanswerable=20)
    for e in candidate["examples"]:
        if e["kind"] == "unanswerable":
            e["correct"] = False  # refusals regress; execution accuracy does not see it
    verdict = evaluate_gate(candidate, pol, baseline)
    assert verdict.paired.n == 200 and verdict.passed
    refusal = policy(BASELINE.replace("execution_accuracy", "refusal_accuracy"), tmp_path)
    assert not evaluate_gate(candidate, refusal, baseline).passed


def test_bootstrap_verdict_is_reproducible(tmp_path):
    pol = policy(BASELINE + 'test = "bootstrap"\nseed = 7\n', tmp_path)
    args = (make_results(flip(BASE, 10, 12)), pol, make_results(BASE))
    assert evaluate_gate(*args) == evaluate_gate(*copy.deepcopy(args))


# ---------------------------------------------------------------- command


def test_gate_command_exit_codes_and_verdict_file(tmp_path, capsys):
    pol = tmp_path / "p.toml"
    pol.write_text(BASELINE)
    base, good, bad = (tmp_path / f"{n}.json" for n in ("base", "good", "bad"))
    base.write_text(json.dumps(make_results(BASE)))
    good.write_text(json.dumps(make_results(flip(BASE, 12, 0))))
    bad.write_text(json.dumps(make_results(flip(BASE, 10, 12))))
    out = tmp_path / "verdict.json"
    assert gate_command(good, pol, base, out) == 0
    saved = json.loads(out.read_text())
    assert saved["passed"] and saved["policy"]["name"] == "t" and saved["paired"]["fixed"] == 12
    assert gate_command(bad, pol, base, None) == 1
    assert "verdict: FAIL" in capsys.readouterr().out
    bad.write_text("{not json")
    assert gate_command(bad, pol, base, None) == 2
    pol.write_text("[policy]\n")
    assert gate_command(good, pol, base, None) == 2

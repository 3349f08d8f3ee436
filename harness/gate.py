"""Release gates: policy files (gates/*.toml), their evaluation against results.json, the verdict."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from rich.console import Console
from rich.table import Table

from harness.atomic import write_text_atomic
from harness.errors import InputError, describe_validation_error, pydantic_field
from harness.paired_test import PairedResult, mcnemar, paired_bootstrap
from harness.redact import redact, redact_data

# The examples each pairable metric counts (its denominator), so the paired test compares
# exactly the examples that make up the summary number.
PAIRED_METRICS = {
    "accuracy": None,
    "execution_accuracy": "answerable",
    "refusal_accuracy": "unanswerable",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyHeader(_Strict):
    """`[policy]`: identity of the policy and the unevaluable budget."""

    name: str = Field(min_length=1)
    version: int = Field(ge=1)
    description: str = ""
    max_unevaluable: int = Field(default=0, ge=0)


class Threshold(_Strict):
    """`[[threshold]]`: an absolute bound on one summary metric (dotted path allowed)."""

    metric: str = Field(min_length=1)
    min: float | None = None
    max: float | None = None
    use: Literal["value", "ci_low", "ci_high"] = "value"
    optional: bool = False

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if (self.min is None) == (self.max is None):
            raise ValueError("give exactly one of min or max")
        return self


class DomainFloor(_Strict):
    """`[[domain_floor]]`: a minimum on one domain's execution accuracy (summary.by_domain)."""

    domain: str = Field(min_length=1)
    min: float
    use: Literal["value", "ci_low", "ci_high"] = "value"
    optional: bool = False


class BaselineRule(_Strict):
    """`[baseline]`: the paired comparison with the promoted model."""

    metric: Literal["accuracy", "execution_accuracy", "refusal_accuracy"] = "execution_accuracy"
    test: Literal["mcnemar", "bootstrap"] = "mcnemar"
    decision: Literal["non_inferiority", "significant_drop"] = "non_inferiority"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    max_drop: float = Field(default=0.0, ge=0, lt=1)
    required: bool = True
    resamples: int = Field(default=2000, ge=100, le=100_000)
    seed: int = 0


class Policy(_Strict):
    """A whole gate policy file; `sha256` and `path` identify the file it was read from."""

    policy: PolicyHeader
    threshold: list[Threshold] = []
    domain_floor: list[DomainFloor] = []
    baseline: BaselineRule | None = None
    _sha256: str = PrivateAttr(default="")
    _path: str = PrivateAttr(default="")

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def path(self) -> str:
        return self._path

    def ref(self) -> PolicyRef:
        """Name, version and file hash: what a verdict and the registry record."""
        return PolicyRef(name=self.policy.name, version=self.policy.version, sha256=self.sha256)


class PolicyRef(BaseModel):
    """Which policy (name, version, file sha256) a verdict was reached under."""

    name: str
    version: int
    sha256: str


class RuleOutcome(BaseModel):
    """One checked rule; `margin` is how far inside (+) or outside (−) the threshold it is."""

    rule: str
    metric: str | None = None
    comparator: str | None = None
    threshold: float | None = None
    value: float | None = None
    margin: float | None = None
    passed: bool
    detail: str = ""


class PairedComparison(BaseModel):
    """The paired test against the baseline, with the flipped example ids for the scorecard."""

    metric: str
    test: str
    decision: str
    alpha: float
    max_drop: float
    n: int
    fixed: int
    broken: int
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    fixed_ids: list[str]
    broken_ids: list[str]


class Verdict(BaseModel):
    """The gate's decision: passed only when every rule passed."""

    passed: bool
    policy: PolicyRef
    rules: list[RuleOutcome]
    reasons: list[str]
    paired: PairedComparison | None = None


# ---------------------------------------------------------------------------- loading


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _key_lines(text: str) -> dict[tuple, int]:
    """Map key paths (`("threshold", 2, "min")`) to 1-based lines; tomllib reports none."""
    lines: dict[tuple, int] = {}
    counts: dict[str, int] = {}
    table: tuple = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(2)
            if header.group(1) == "[[":
                index = counts.get(name, 0)
                counts[name] = index + 1
                table = (name, index)
            else:
                table = (name,)
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(table + (key.group(1),), number)
    return lines


def _line_of(loc: tuple, lines: dict[tuple, int]) -> int | None:
    """The line of `loc`, or of the nearest enclosing table when the key itself is absent."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def load_policy(path: str | Path) -> Policy:
    """Read and validate a gate policy; errors name the file, line, key path and expectation."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read policy: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise InputError(path, f"not valid TOML: {exc}",
                         line=int(found.group(1)) if found else None) from None
    except RecursionError:
        raise InputError(path, "not valid TOML: nested too deeply") from None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise InputError(path, describe_validation_error(err), field=pydantic_field(loc),
                         line=_line_of(loc, _key_lines(text))) from None
    policy._sha256 = hashlib.sha256(raw).hexdigest()
    policy._path = str(path)
    return policy


def load_results(path: str | Path) -> dict:
    """Read a results.json; only its outer shape is checked here, the gate judges the rest."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot read results: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not valid JSON: {exc}",
                         line=getattr(exc, "lineno", None)) from None
    except RecursionError:
        raise InputError(path, "not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object with `summary` and `examples`")
    if not isinstance(data.get("summary"), dict):
        raise InputError(path, "expected an object", field="summary")
    examples = data.get("examples")
    if not isinstance(examples, list) or not all(isinstance(e, dict) for e in examples):
        raise InputError(path, "expected a list of example objects", field="examples")
    return data


# ---------------------------------------------------------------------------- evaluation


def _lookup(summary: dict, dotted: str) -> Any:
    node: Any = summary
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def metric_value(summary: dict, dotted: str, use: str) -> tuple[float | None, str]:
    """The number a threshold compares (value, or a Wilson bound), or None and why not.

    A metric is either `{"value", "ci95", ...}` or a bare number (counts, latency figures).
    """
    node = _lookup(summary, dotted)
    if node is None:
        return None, "missing metric"
    if isinstance(node, dict):
        if use == "value":
            node = node.get("value")
        else:
            ci = node.get("ci95")
            if not (isinstance(ci, list | tuple) and len(ci) == 2):
                return None, "missing metric: no ci95 interval"
            node = ci[0] if use == "ci_low" else ci[1]
    elif use != "value":
        return None, "missing metric: a bare number has no ci95 interval"
    if node is None:
        return None, "missing metric: value is null (no examples counted)"
    if isinstance(node, bool) or not isinstance(node, int | float) or math.isnan(node):
        return None, f"missing metric: not a number ({node!r})"
    return float(node), ""


def check_threshold(summary: dict, rule: Threshold, name: str) -> RuleOutcome:
    """One absolute threshold; a missing metric fails unless the rule is optional."""
    metric = rule.metric if rule.use == "value" else f"{rule.metric} ({rule.use})"
    comparator, bound = (">=", rule.min) if rule.min is not None else ("<=", rule.max)
    value, why = metric_value(summary, rule.metric, rule.use)
    if value is None:
        return RuleOutcome(rule=name, metric=metric, comparator=comparator, threshold=bound,
                           passed=rule.optional,
                           detail=f"{why} (optional: skipped)" if rule.optional else why)
    margin = value - bound if comparator == ">=" else bound - value
    # Compare the values themselves (not the margin), so equal to the bound passes exactly.
    passed = value >= bound if comparator == ">=" else value <= bound
    return RuleOutcome(rule=name, metric=metric, comparator=comparator, threshold=bound,
                       value=value, margin=margin, passed=passed)


def _completeness(results: dict, who: str) -> RuleOutcome:
    summary, examples = results["summary"], results["examples"]
    run = summary.get("run") if isinstance(summary.get("run"), dict) else {}
    problems = []
    if run.get("complete") is not True:
        problems.append("summary.run.complete is not true")
    if summary.get("examples") != len(examples):
        problems.append(f"{len(examples)} examples listed, summary says {summary.get('examples')}")
    ids = [e.get("id") for e in examples]
    if len(set(ids)) != len(ids) or None in ids:
        problems.append("example ids missing or repeated")
    return RuleOutcome(rule=f"{who} complete", passed=not problems,
                       detail="incomplete: " + "; ".join(problems) if problems else "")


def _unevaluable(summary: dict, allowed: int) -> RuleOutcome:
    count = summary.get("unevaluable")
    if isinstance(count, bool) or not isinstance(count, int):
        return RuleOutcome(rule="unevaluable", metric="unevaluable", comparator="<=",
                           threshold=allowed, passed=False, detail="missing metric")
    return RuleOutcome(rule="unevaluable", metric="unevaluable", comparator="<=",
                       threshold=allowed, value=count, margin=allowed - count,
                       passed=count <= allowed,
                       detail="" if count <= allowed else
                       f"{count} example(s) could not be evaluated faithfully")


def _paired_outcome(candidate: dict, baseline: dict, rule: BaselineRule
                    ) -> tuple[list[RuleOutcome], PairedComparison | None]:
    """Same eval set, same ids, then the paired test on the metric's examples."""
    outcomes = [_completeness(baseline, "baseline")]
    cand_sha = _lookup(candidate["summary"], "run.eval_set_sha256")
    base_sha = _lookup(baseline["summary"], "run.eval_set_sha256")
    same_set = cand_sha is not None and cand_sha == base_sha
    outcomes.append(RuleOutcome(
        rule="baseline eval set", passed=same_set,
        detail="" if same_set else "baseline evaluated on another eval set version "
        f"(candidate {str(cand_sha)[:12]}, baseline {str(base_sha)[:12]})"))
    cand = {e.get("id"): e for e in candidate["examples"]}
    base = {e.get("id"): e for e in baseline["examples"]}
    same_ids = cand.keys() == base.keys()
    outcomes.append(RuleOutcome(
        rule="baseline example ids", passed=same_ids,
        detail="" if same_ids else "per-example ids differ: "
        f"{len(cand.keys() - base.keys())} only in candidate, "
        f"{len(base.keys() - cand.keys())} only in baseline"))
    if not all(o.passed for o in outcomes):
        return outcomes, None

    kind = PAIRED_METRICS[rule.metric]
    ids = sorted(i for i, e in cand.items() if kind is None or e.get("kind") == kind)
    name = f"baseline {rule.metric} ({rule.test})"
    if not ids:
        outcomes.append(RuleOutcome(rule=name, metric=rule.metric, passed=False,
                                    detail="missing metric: no examples to pair"))
        return outcomes, None
    c_correct = [cand[i].get("correct") is True for i in ids]
    b_correct = [base[i].get("correct") is True for i in ids]
    result: PairedResult = (
        mcnemar(c_correct, b_correct, rule.alpha) if rule.test == "mcnemar"
        else paired_bootstrap(c_correct, b_correct, rule.alpha, rule.resamples, rule.seed))
    # non_inferiority (fail closed): the whole interval must clear −max_drop, i.e. the data
    # must show the candidate is not worse by more than the margin. significant_drop: fail
    # only when the data show it is worse by more than the margin.
    bound = result.ci_low if rule.decision == "non_inferiority" else result.ci_high
    passed = bound >= -rule.max_drop
    level = round(100 * (1 - rule.alpha), 2)
    detail = (f"fixed {result.fixed}, broken {result.broken} (c, b) of {result.n}; "
              f"difference {result.difference:+.4f}, {level:g}% CI "
              f"[{result.ci_low:+.4f}, {result.ci_high:+.4f}], McNemar p = {result.p_value:.4g}")
    if not passed:
        detail = (("not shown non-inferior: the CI's lower bound is below "
                   if rule.decision == "non_inferiority"
                   else "significant drop: the CI's upper bound is below ")
                  + f"−{rule.max_drop:g}; " + detail)
    outcomes.append(RuleOutcome(
        rule=name, metric=f"{rule.metric} difference "
        + ("(ci_low)" if rule.decision == "non_inferiority" else "(ci_high)"),
        comparator=">=", threshold=-rule.max_drop, value=bound, margin=bound + rule.max_drop,
        passed=passed, detail=detail))
    paired = PairedComparison(
        metric=rule.metric, test=rule.test, decision=rule.decision, alpha=rule.alpha,
        max_drop=rule.max_drop, **dataclasses.asdict(result),
        fixed_ids=[i for i, c, b in zip(ids, c_correct, b_correct, strict=True) if c and not b],
        broken_ids=[i for i, c, b in zip(ids, c_correct, b_correct, strict=True) if b and not c])
    return outcomes, paired


def evaluate_gate(results: dict, policy: Policy, baseline: dict | None) -> Verdict:
    """Judge one candidate's results against a policy (and the promoted model's results).

    Fails closed: an incomplete run, a missing metric, an unevaluable excess, a baseline from
    another eval set or with other ids, or a required baseline that is absent all fail.
    """
    summary = results["summary"]
    rules = [_completeness(results, "run"), _unevaluable(summary, policy.policy.max_unevaluable)]
    for t in policy.threshold:
        rules.append(check_threshold(summary, t, f"threshold {t.metric}"))
    for f in policy.domain_floor:
        floor = Threshold(metric=f"by_domain.{f.domain}", min=f.min, use=f.use,
                          optional=f.optional)
        rules.append(check_threshold(summary, floor, f"domain floor {f.domain}"))
    paired = None
    if policy.baseline is None:
        if baseline is not None:
            rules.append(RuleOutcome(rule="baseline", passed=True,
                                     detail="the policy has no [baseline]; baseline ignored"))
    elif baseline is None:
        rules.append(RuleOutcome(
            rule="baseline", passed=not policy.baseline.required,
            detail="no baseline given (baseline.required = false)" if not policy.baseline.required
            else "baseline required by the policy but not given"))
    else:
        outcomes, paired = _paired_outcome(results, baseline, policy.baseline)
        rules.extend(outcomes)
    reasons = [f"{r.rule}: {r.detail or _shortfall(r)}" for r in rules if not r.passed]
    return Verdict(passed=not reasons, policy=policy.ref(), rules=rules, reasons=reasons,
                   paired=paired)


def _shortfall(rule: RuleOutcome) -> str:
    return f"{rule.value:g} is not {rule.comparator} {rule.threshold:g}"


# ---------------------------------------------------------------------------- command


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4f}"


def print_verdict(verdict: Verdict, console: Console) -> None:
    """The rules as a table (value, threshold, margin, pass/fail), then the decision."""
    table = Table(title=f"gate {verdict.policy.name} v{verdict.policy.version}")
    table.add_column("rule", no_wrap=True)
    for col, justify in (("value", "right"), ("threshold", "right"), ("margin", "right"),
                         ("result", "left"), ("detail", "left")):
        table.add_column(col, justify=justify)
    for r in verdict.rules:
        threshold = "" if r.threshold is None else f"{r.comparator} {_fmt(r.threshold)}"
        margin = "" if r.margin is None else ("+" if r.margin >= 0 else "") + _fmt(r.margin)
        table.add_row(r.rule, _fmt(r.value), threshold, margin,
                      "[green]pass[/]" if r.passed else "[red]FAIL[/]", r.detail)
    console.print(table)
    if verdict.paired:
        p = verdict.paired
        console.print(f"flips vs baseline: {p.fixed} fixed, {p.broken} broken")
    if verdict.passed:
        console.print("[bold green]verdict: PASS[/]")
    else:
        console.print("[bold red]verdict: FAIL[/]")
        for reason in verdict.reasons:
            console.print(f"  - {reason}", highlight=False)


def gate_command(results: Path, policy: Path, baseline: Path | None, out: Path | None, *,
                 candidate: str | None = None, registry: Path | None = None) -> int:
    """`sqlgate gate`: 0 when the gate passes, 1 when it fails, 2 on bad input files.

    With `registry`, the promoted model's results are the baseline unless one is given, and
    with `candidate` too the verdict (and results) are recorded for a later promotion.
    """
    from harness import registry as reg

    console = Console()
    try:
        pol = load_policy(policy)
        res = load_results(results)
        if baseline is None and registry is not None:
            baseline = reg.baseline_results(registry)
        base = load_results(baseline) if baseline is not None else None
        verdict = evaluate_gate(res, pol, base)
        if candidate is not None and registry is not None:
            reg.record_verdict(candidate, verdict, results=results, root=registry)
    except InputError as exc:
        console.print(f"[red]error:[/] {redact(exc.render())}", highlight=False, soft_wrap=True)
        return 2
    print_verdict(verdict, console)
    if out is not None:
        body = {"results": str(results), "baseline": str(baseline) if baseline else None,
                "policy_path": str(policy), **verdict.model_dump(mode="json")}
        write_text_atomic(out, json.dumps(redact_data(body), indent=1) + "\n")
    return 0 if verdict.passed else 1

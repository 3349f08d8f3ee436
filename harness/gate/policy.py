"""Release gates: policy files (gates/*.toml), their evaluation against results.json, the verdict."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from statsmodels.stats.multitest import multipletests

from harness.gate.paired_statistics import PairedResult, flips_sentence, tango_counts
from harness.gate.power import PowerReport, power_report
from harness.io.errors import InputError, describe_validation_error, pydantic_field
from harness.scoring.metrics import METRIC_NAMES
from harness.scoring.results import validate_results
from harness.scoring.status import INFRA_STATUS, UNEVALUABLE_STATUSES
from harness.serving.latency import COMPARED_FIGURES, relative_latency_test
from harness.serving.latency import SUMMARY_KEYS as LATENCY_KEYS

RERUN_HINT = "rerun them with `sqlgate score --rerun-infra`"


@dataclasses.dataclass(frozen=True)
class PairedMetric:
    """A metric the paired test can compare: which examples count, and when one is "good".

    Both models are judged on the SAME examples, so a rate whose denominator depends on the
    model (hallucinations among *parsed* answers) is compared over all answerable examples:
    an answer that does not parse cannot hallucinate a table.
    """

    examples: str  # "all", "answerable", "unanswerable", "moac": answerable with org_policy
    good: Callable[[dict], bool]
    described_as: str


def _no_unknown(field: str) -> Callable[[dict], bool]:
    return lambda e: not (e.get("parsed") and e.get(field))


PAIRED_METRICS: dict[str, PairedMetric] = {
    "accuracy": PairedMetric("all", lambda e: e["correct"], "correct, all examples"),
    "execution_accuracy": PairedMetric("answerable", lambda e: e["correct"],
                                       "correct, answerable examples"),
    "refusal_accuracy": PairedMetric("unanswerable", lambda e: e["refused"],
                                     "refused, unanswerable examples"),
    "false_refusal_rate": PairedMetric("answerable", lambda e: not e["refused"],
                                       "not refused, answerable examples"),
    "hallucinated_table_rate": PairedMetric(
        "answerable", _no_unknown("unknown_tables"),
        "no hallucinated table, answerable examples"),
    "hallucinated_column_rate": PairedMetric(
        "answerable", _no_unknown("unknown_columns"),
        "no hallucinated column, answerable examples"),
    "moac_compliance": PairedMetric(
        "moac", _no_unknown("moac_violations"),
        "no MOAC violation, answerable examples that require one"),
}
# Summary keys judged by thresholds: the registered metrics (harness.scoring.metrics.METRICS;
# a breakdown is named by its part), and the served families below.
_KNOWN_SUBKEYS = {"latency": frozenset(LATENCY_KEYS),
                  "guardrail": frozenset({"retry_rate", "final_failure_rate", "examples",
                                          "rejections_by_code"})}


def _counted(example: dict, examples: str) -> bool:
    if examples == "all":
        return True
    if examples == "moac":
        return example["kind"] == "answerable" and example.get("moac_required") is True
    return example["kind"] == examples


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


_WITHDRAWN_TESTS = {
    "mcnemar": "its interval is conditional on the number of flips and passed a candidate "
               "at the margin up to half the time when few examples flip",
    "bootstrap": "the percentile bootstrap exceeded its level when few examples flip",
}


class BaselineRule(_Strict):
    """`[[baseline]]`: one paired comparison with the promoted model.

    `alpha` is one-sided: the probability of passing a candidate that is worse by `max_drop`
    or more is at most alpha (non_inferiority), or of failing one that is not
    (significant_drop).
    """

    metric: Literal[tuple(PAIRED_METRICS)] = "execution_accuracy"  # type: ignore[valid-type]
    test: str = "tango"
    decision: Literal["non_inferiority", "significant_drop"] = "non_inferiority"
    one_sided_alpha: float = Field(default=0.025, gt=0, lt=0.5)
    max_drop: float = Field(default=0.0, ge=0, lt=1)
    required: bool = True

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if isinstance(data, dict) and "alpha" in data:
            raise ValueError(
                "`alpha` was the two-sided level of the old McNemar interval; the paired test "
                "is now one-sided: write `one_sided_alpha` (0.025 matches the old alpha = 0.05)")
        if isinstance(data, dict) and data.get("test") in _WITHDRAWN_TESTS:
            raise ValueError(
                f"test = {data['test']!r} was withdrawn: {_WITHDRAWN_TESTS[data['test']]}; "
                "use test = \"tango\" (exact unconditional score test, docs/gates.md)")
        return data

    @model_validator(mode="after")
    def _known_test(self) -> BaselineRule:
        if self.test != "tango":
            raise ValueError(f"unknown test {self.test!r}: expected \"tango\"")
        return self


class LatencyBaselineRule(_Strict):
    """`[[latency_baseline]]`: the candidate's latency figure against the promoted model's,
    both measured on the same server and prompts in the same run, R repetitions each
    (`summary.latency.by_repetition` and `summary.latency.baseline`, written by
    benchmarks/gpu/latency_ab.py). Passes when Welch's one-sided test on the log figures shows
    the candidate below (1 + max_increase) × the baseline (`harness.serving.latency`)."""

    figure: Literal[COMPARED_FIGURES] = "p95_e2e_ms"  # type: ignore[valid-type]
    max_increase: float = Field(default=0.10, gt=0, lt=1)
    one_sided_alpha: float = Field(default=0.05, gt=0, lt=0.5)
    min_repetitions: int = Field(default=3, ge=2)
    required: bool = True


class Policy(_Strict):
    """A whole gate policy file; `sha256` and `path` identify the file it was read from.

    `baseline` is a list (`[[baseline]]`); a single `[baseline]` table (the old format) is
    read as a list of one. The paired rules form one family: Holm's procedure at their common
    `one_sided_alpha` decides them together.
    """

    policy: PolicyHeader
    threshold: list[Threshold] = []
    domain_floor: list[DomainFloor] = []
    baseline: list[BaselineRule] = []
    latency_baseline: list[LatencyBaselineRule] = []
    _sha256: str = PrivateAttr(default="")
    _path: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _single_baseline(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("baseline"), dict):
            return {**data, "baseline": [data["baseline"]]}
        return data

    @model_validator(mode="after")
    def _one_family(self) -> Policy:
        if len({r.one_sided_alpha for r in self.baseline}) > 1:
            raise ValueError("every [[baseline]] rule must have the same one_sided_alpha: "
                             "Holm's procedure controls the family at that one level")
        if len({r.required for r in self.baseline}) > 1:
            raise ValueError("every [[baseline]] rule must have the same `required`")
        return self

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def path(self) -> str:
        return self._path

    @property
    def baseline_required(self) -> bool:
        return bool(self.baseline) and self.baseline[0].required

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
    """One paired test against the baseline, with the flipped example ids for the scorecard.

    `p_value` is the exact unconditional one-sided p-value; `holm_p_value` the same after
    Holm's adjustment over every [[baseline]] rule, which is what `passed` compares with
    `one_sided_alpha`. `ci_low`/`ci_high` are Tango's 1 − 2·alpha interval, for reading.
    """

    metric: str
    compared: str
    test: str
    decision: str
    one_sided_alpha: float
    max_drop: float
    n: int
    fixed: int
    broken: int
    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    holm_p_value: float
    passed: bool
    left_out: int
    fixed_ids: list[str]
    broken_ids: list[str]
    power: dict
    power_sentence: str

    def flips_sentence(self) -> str:
        """The flips in plain words, with the metric and how many examples were compared."""
        return f"{flips_sentence(self.fixed, self.broken)[:-1]} ({self.metric}, {self.n} compared)."


def _examples(count: int) -> str:
    return f"{count} example" + ("" if count == 1 else "s")


class Verdict(BaseModel):
    """The gate's decision: passed only when every rule passed.

    `incomplete` means the run (or the baseline's) hit infrastructure errors: no judgement
    of the model was made; rerun. `paired` is the first [[baseline]] rule's comparison (the
    field older readers know), `comparisons` all of them. `warnings` do not change the
    decision (a margin out of reach of the eval set, for instance).
    """

    passed: bool
    incomplete: bool = False
    policy: PolicyRef
    rules: list[RuleOutcome]
    reasons: list[str]
    warnings: list[str] = []
    paired: PairedComparison | None = None
    comparisons: list[PairedComparison] = []


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
        if isinstance(data.get("baseline"), dict) and loc[:2] == ("baseline", 0):
            loc = ("baseline",) + loc[2:]  # the old single [baseline] table has no index
        raise InputError(path, describe_validation_error(err), field=pydantic_field(loc),
                         line=_line_of(loc, _key_lines(text))) from None
    _check_metric_names(policy, path, _key_lines(text))
    policy._sha256 = hashlib.sha256(raw).hexdigest()
    policy._path = str(path)
    return policy


def metric_problem(dotted: str, use: str) -> str | None:
    """Why a threshold's metric name cannot be right, or None: a typo is the policy's fault."""
    head, _, rest = dotted.partition(".")
    if head in _KNOWN_SUBKEYS:
        if rest.partition(".")[0] not in _KNOWN_SUBKEYS[head]:
            return (f"unknown metric {dotted!r}: {head}.* has "
                    + ", ".join(sorted(_KNOWN_SUBKEYS[head])))
        return None
    spec = METRIC_NAMES.get(head)
    if spec is None:
        return (f"unknown metric {dotted!r}: expected a summary key ("
                + ", ".join(m.name for m in METRIC_NAMES.values() if m.kind != "breakdown")
                + "), " + ", ".join(f"{m.name}.<part>" for m in METRIC_NAMES.values()
                                    if m.kind == "breakdown")
                + ", latency.<figure> or guardrail.<rate>")
    if spec.kind == "breakdown":
        return None if rest else f"unknown metric {dotted!r}: name one {head}.<key>"
    if rest:
        return f"unknown metric {dotted!r}: {head} has no parts"
    if use != "value" and spec.ci is None:
        return f"metric {dotted!r} has no ci95 interval: use = {use!r} is impossible"
    return None


def _check_metric_names(policy: Policy, path: Path, lines: dict[tuple, int]) -> None:
    for i, rule in enumerate(policy.threshold):
        problem = metric_problem(rule.metric, rule.use)
        if problem:
            raise InputError(path, problem, field=f"threshold[{i}].metric",
                             line=_line_of(("threshold", i, "metric"), lines))


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
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
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
    """Complete means: the scorer said so, ids are unique, and no infrastructure error."""
    summary, examples = results["summary"], results["examples"]
    run = summary.get("run") if isinstance(summary.get("run"), dict) else {}
    problems = []
    if run.get("complete") is not True:
        problems.append("summary.run.complete is not true")
    ids = [e["id"] for e in examples]
    if len(set(ids)) != len(ids):
        problems.append("example ids repeated")
    infra = [e["id"] for e in examples if e["status"] == INFRA_STATUS]
    if infra:
        problems.append(f"{_examples(len(infra))} hit infrastructure errors ({INFRA_STATUS}: "
                        f"{_ids(infra)}); no judgement of the model was made: {RERUN_HINT}")
    return RuleOutcome(rule=f"{who} complete", passed=not problems,
                       detail="incomplete: " + "; ".join(problems) if problems else "")


def _ids(ids: list[str], shown: int = 5) -> str:
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _unevaluable(summary: dict, allowed: int) -> RuleOutcome:
    count = summary["unevaluable"]
    return RuleOutcome(rule="unevaluable", metric="unevaluable", comparator="<=",
                       threshold=allowed, value=count, margin=allowed - count,
                       passed=count <= allowed,
                       detail="" if count <= allowed else
                       f"{count} example(s) could not be evaluated faithfully")


def _same_eval_set(candidate: dict, baseline: dict) -> RuleOutcome:
    """The eval-set hashes match; an absent hash is named as absent, not as another version."""
    cand_sha = _lookup(candidate["summary"], "run.eval_set_sha256")
    base_sha = _lookup(baseline["summary"], "run.eval_set_sha256")
    if cand_sha is None and base_sha is None:
        detail = ("neither the candidate's nor the baseline's results record "
                  "summary.run.eval_set_sha256: nothing shows they used the same eval set")
    elif cand_sha is None or base_sha is None:
        who = "candidate" if cand_sha is None else "baseline"
        detail = (f"the {who}'s results do not record summary.run.eval_set_sha256: nothing "
                  "shows it used the same eval set (rescore it with this sqlgate)")
    elif cand_sha != base_sha:
        detail = ("baseline evaluated on another eval set version "
                  f"(candidate {str(cand_sha)[:12]}, baseline {str(base_sha)[:12]})")
    else:
        detail = ""
    return RuleOutcome(rule="baseline eval set", passed=not detail, detail=detail)


def _baseline_evaluable(baseline: dict) -> RuleOutcome:
    """A baseline's unevaluable examples would count as its wrong answers and flatter the
    candidate; such a baseline is refused, not used."""
    bad = [f"{e['id']} ({e['status']})" for e in baseline["examples"]
           if e["status"] in UNEVALUABLE_STATUSES]
    return RuleOutcome(
        rule="baseline evaluable", passed=not bad,
        detail="" if not bad else
        f"the baseline has {_examples(len(bad))} that could not be evaluated ({_ids(bad)}): "
        "they would count as its wrong answers and flatter the candidate; rescore the "
        "baseline on a backend that evaluates them")


def _compare(cand: dict[str, dict], base: dict[str, dict], rule: BaselineRule, family: int
             ) -> PairedComparison | RuleOutcome:
    """The paired test of one rule (Holm's adjustment comes after, over the family).

    Its power is computed at alpha / family, the level of Holm's strictest step: the
    conservative answer to "could this eval set have shown the margin"."""
    spec = PAIRED_METRICS[rule.metric]
    counted = sorted(i for i, e in cand.items() if _counted(e, spec.examples))
    ids = [i for i in counted if INFRA_STATUS not in (cand[i]["status"], base[i]["status"])]
    if not ids:
        return RuleOutcome(rule=f"baseline {rule.metric} ({rule.test})", metric=rule.metric,
                           passed=False, detail="missing metric: no examples to pair")
    c_good = [bool(spec.good(cand[i])) for i in ids]
    b_good = [bool(spec.good(base[i])) for i in ids]
    fixed_ids = [i for i, c, b in zip(ids, c_good, b_good, strict=True) if c and not b]
    broken_ids = [i for i, c, b in zip(ids, c_good, b_good, strict=True) if b and not c]
    result: PairedResult = tango_counts(len(fixed_ids), len(broken_ids), len(ids),
                                        rule.one_sided_alpha, rule.max_drop, rule.decision)
    report: PowerReport = power_report(len(ids), (result.fixed + result.broken) / result.n,
                                       rule.max_drop, rule.one_sided_alpha / family)
    return PairedComparison(
        metric=rule.metric, compared=spec.described_as, test=rule.test,
        decision=rule.decision, one_sided_alpha=rule.one_sided_alpha, max_drop=rule.max_drop,
        **dataclasses.asdict(result), holm_p_value=result.p_value, passed=False,
        left_out=len(counted) - len(ids), fixed_ids=fixed_ids, broken_ids=broken_ids,
        power=dataclasses.asdict(report), power_sentence=report.sentence())


def _holm(comparisons: list[PairedComparison]) -> list[PairedComparison]:
    """Holm's step-down adjustment over the family; decide each rule on its adjusted p."""
    if not comparisons:
        return []
    alpha = comparisons[0].one_sided_alpha
    _, adjusted, _, _ = multipletests([c.p_value for c in comparisons], alpha=alpha,
                                      method="holm")
    out = []
    for c, p in zip(comparisons, adjusted, strict=True):
        rejected = bool(p <= alpha)
        passed = rejected if c.decision == "non_inferiority" else not rejected
        out.append(c.model_copy(update={"holm_p_value": float(p), "passed": passed}))
    return out


def _paired_rule(c: PairedComparison, family: int) -> RuleOutcome:
    level = round(100 * (1 - 2 * c.one_sided_alpha), 2)
    holm = f", Holm-adjusted over {family} rules {c.holm_p_value:.4g}" if family > 1 else ""
    detail = (f"fixed {c.fixed}, broken {c.broken} of {c.n} ({c.compared}"
              + (f"; {c.left_out} left out: infrastructure errors" if c.left_out else "")
              + f"); difference {c.difference:+.4f}, Tango {level:g}% CI "
              f"[{c.ci_low:+.4f}, {c.ci_high:+.4f}]; exact one-sided p = {c.p_value:.4g}{holm}")
    if not c.passed:
        p_adj = "adjusted p" if family > 1 else "p"
        detail = (f"not shown non-inferior at margin −{c.max_drop:g} ({p_adj} > "
                  f"{c.one_sided_alpha:g}); " if c.decision == "non_inferiority" else
                  f"significant drop beyond −{c.max_drop:g} ({p_adj} ≤ "
                  f"{c.one_sided_alpha:g}); ") + detail
    side = "ci_low" if c.decision == "non_inferiority" else "ci_high"
    bound = c.ci_low if side == "ci_low" else c.ci_high
    return RuleOutcome(
        rule=f"baseline {c.metric} ({c.test})", metric=f"{c.metric} difference ({side})",
        comparator=">=", threshold=-c.max_drop, value=bound, margin=bound + c.max_drop,
        passed=c.passed, detail=detail)


def _paired_outcomes(candidate: dict, baseline: dict, rules: list[BaselineRule]
                     ) -> tuple[list[RuleOutcome], list[PairedComparison]]:
    """Same eval set, same ids, an evaluable baseline; then every paired test, Holm-adjusted."""
    outcomes = [_completeness(baseline, "baseline"), _same_eval_set(candidate, baseline),
                _baseline_evaluable(baseline)]
    cand = {e["id"]: e for e in candidate["examples"]}
    base = {e["id"]: e for e in baseline["examples"]}
    same_ids = cand.keys() == base.keys()
    outcomes.append(RuleOutcome(
        rule="baseline example ids", passed=same_ids,
        detail="" if same_ids else "per-example ids differ: "
        f"{len(cand.keys() - base.keys())} only in candidate, "
        f"{len(base.keys() - cand.keys())} only in baseline"))
    if not same_ids or not outcomes[1].passed:
        return outcomes, []
    tested = [_compare(cand, base, rule, len(rules)) for rule in rules]
    comparisons = _holm([t for t in tested if isinstance(t, PairedComparison)])
    outcomes.extend(t for t in tested if isinstance(t, RuleOutcome))
    outcomes.extend(_paired_rule(c, len(comparisons)) for c in comparisons)
    return outcomes, comparisons


def _latency_baseline(summary: dict, rule: LatencyBaselineRule, baseline: dict | None
                      ) -> RuleOutcome:
    """One `[[latency_baseline]]` rule on the candidate's own results (the A/B run put both
    models' repetitions there); a promoted baseline given to the gate must be the model the
    latency was compared with."""
    name = f"latency baseline {rule.figure}"
    limit = 1 + rule.max_increase
    def part(node: Any, key: str) -> dict:
        return node.get(key) if isinstance(node, dict) and isinstance(node.get(key), dict) else {}

    latency = part(summary, "latency")
    against = part(latency, "baseline")
    cand = part(latency, "by_repetition").get(rule.figure)
    base = part(against, "by_repetition").get(rule.figure)
    missing = [where for where, values in (("latency.by_repetition", cand),
                                           ("latency.baseline.by_repetition", base))
               if not isinstance(values, list) or not values
               or not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0
                          for v in values)]
    if missing:
        return RuleOutcome(
            rule=name, metric=f"{rule.figure} ratio", comparator="<", threshold=limit,
            passed=not rule.required,
            detail=f"missing metric: no positive {rule.figure} per repetition in "
            + " and ".join(missing) + " (run benchmarks/gpu/latency_ab.py)"
            + ("" if rule.required else " (required = false: skipped)"))
    promoted = _lookup(baseline["summary"], "run.candidate") if baseline else None
    if promoted is not None and against.get("candidate") not in (None, promoted):
        return RuleOutcome(rule=name, metric=f"{rule.figure} ratio", comparator="<",
                           threshold=limit, passed=False,
                           detail=f"latency compared with {against.get('candidate')!r}, but "
                           f"the promoted baseline is {promoted!r}")
    few = min(len(cand), len(base))
    if few < rule.min_repetitions:
        return RuleOutcome(rule=name, metric=f"{rule.figure} ratio", comparator="<",
                           threshold=limit, passed=False,
                           detail=f"{few} repetition(s); the rule needs {rule.min_repetitions} "
                           "per model")
    test = relative_latency_test(cand, base, figure=rule.figure, max_increase=rule.max_increase,
                                 one_sided_alpha=rule.one_sided_alpha)
    return RuleOutcome(rule=name, metric=f"{rule.figure} ratio (upper bound)", comparator="<",
                       threshold=limit, value=test.ratio_upper,
                       margin=limit - test.ratio_upper, passed=test.passed,
                       detail=test.sentence())


def evaluate_gate(results: dict, policy: Policy, baseline: dict | None) -> Verdict:
    """Judge one candidate's results against a policy (and the promoted model's results).

    Both results are validated first (`results_schema.validate_results`: strict examples,
    finite numbers, a summary that matches its examples), so a bad file raises InputError.
    Fails closed: an incomplete run (infrastructure errors included: INCOMPLETE, rerun), a
    missing metric, an unevaluable excess, a baseline from another eval set, with other ids
    or with unevaluable examples, or a required baseline that is absent all fail.
    """
    results = validate_results(results, "results")
    if baseline is not None:
        baseline = validate_results(baseline, "baseline")
    summary = results["summary"]
    rules = [_completeness(results, "run"), _unevaluable(summary, policy.policy.max_unevaluable)]
    for t in policy.threshold:
        rules.append(check_threshold(summary, t, f"threshold {t.metric}"))
    for f in policy.domain_floor:
        floor = Threshold(metric=f"by_domain.{f.domain}", min=f.min, use=f.use,
                          optional=f.optional)
        rules.append(check_threshold(summary, floor, f"domain floor {f.domain}"))
    comparisons: list[PairedComparison] = []
    if not policy.baseline:
        if baseline is not None:
            rules.append(RuleOutcome(rule="baseline", passed=True,
                                     detail="the policy has no [[baseline]]; baseline ignored"))
    elif baseline is None:
        rules.append(RuleOutcome(
            rule="baseline", passed=not policy.baseline_required,
            detail="no baseline given (baseline.required = false)"
            if not policy.baseline_required
            else "baseline required by the policy but not given"))
    else:
        outcomes, comparisons = _paired_outcomes(results, baseline, policy.baseline)
        rules.extend(outcomes)
    rules.extend(_latency_baseline(summary, rule, baseline) for rule in policy.latency_baseline)
    incomplete = any(r.rule.endswith(" complete") and INFRA_STATUS in r.detail for r in rules)
    reasons = [f"{r.rule}: {r.detail or _shortfall(r)}" for r in rules if not r.passed]
    warnings = [f"baseline {c.metric}: {c.power_sentence}" for c in comparisons
                if c.decision == "non_inferiority" and not c.power["smallest_margin"]
                <= c.max_drop]
    return Verdict(passed=not reasons, incomplete=incomplete, policy=policy.ref(), rules=rules,
                   reasons=reasons, warnings=warnings,
                   paired=comparisons[0] if comparisons else None, comparisons=comparisons)


def _shortfall(rule: RuleOutcome) -> str:
    """`0.68 is not >= 0.7`; a bound says which: `the 95% CI's lower bound 0.66 is not …`."""
    bound = {"(ci_low)": "the 95% CI's lower bound ", "(ci_high)": "the 95% CI's upper bound "}
    which = next((v for k, v in bound.items() if (rule.metric or "").endswith(k)), "")
    return f"{which}{rule.value:g} is not {rule.comparator} {rule.threshold:g}"


# ---------------------------------------------------------------------------- command


def format_number(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4f}"

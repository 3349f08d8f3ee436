"""Mutation score of the test suite: which neighbours of each gold (`harness.authoring.mutants`) the
instances tell apart from the gold, the way scoring would.

A mutant is

- **killed** when, on at least one instance, its result differs from the gold's under the
  comparison scoring uses (`compare_results`, ordered when the gold orders, the scoring
  tolerances), or it fails there with a timeout, the row limit or a runtime error after having
  run on an earlier instance: scoring would judge it wrong;
- **survived** when it gives the gold's result on every instance: a wrong answer the judge would
  score correct, unless it is a true equivalent recorded in the review file;
- **invalid** when it does not parse, translate or run on the first instance, or its result is
  not defined (nondeterminism) or cannot be compared: it does not count.

With the catalog's facts, every mutant that ran also gets the proof `harness.authoring.mutant_equivalence`
finds (or none; proofs are not cached: a rule change needs no mutant run again). A survivor with a proof is **proved equivalent** and does not count; a killed mutant
with a proof **refutes** its rule (the rule is unsound or an instance breaks a catalog key):
validation reports it as an error.

The score of a set of golds is killed / (killed + survivors neither proved nor recorded as
equivalent).

The review file (`fixtures/golden/equivalent_mutants.yaml`) lists the survivors a person has
checked to mean the same as their gold on every database the catalog allows, each with the
gold id, the operator, the mutant's Oracle text and the reason. An entry that no longer matches a
surviving mutant (the gold changed, the data now kills it, or a rule now proves it) is stale and
reported.

Outcomes are cached per gold under `<cache root>/mutants/`, keyed by the instances' fingerprints,
the gold's prepared SQL and the source of the generator, the translator and the comparison:
any change to data, SQL or code recomputes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from sqlglot.errors import ParseError

from harness import translate as translate_package
from harness.authoring import mutant_equivalence
from harness.authoring import mutants as mutants_module
from harness.backends.base import Execution, ExecutionBackend, PreparedQuery, QueryRejected
from harness.io.atomic import write_text_atomic
from harness.io.cache_dir import cache_root
from harness.io.errors import InputError
from harness.scoring import compare as result_compare
from harness.scoring import order_keys as order_keys_module
from harness.scoring.compare import IncomparableResultsError, compare_results
from harness.scoring.order_keys import order_keys, tie_groups
from harness.sql.parse import SqlParseError, parse_single
from harness.translate import UnsupportedConstruct

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EQUIVALENTS_PATH = REPO_ROOT / "fixtures" / "golden" / "equivalent_mutants.yaml"
CACHE_FORMAT = 1
MUTANT_TIMEOUT_S = 5.0  # a gold runs in milliseconds; a mutant this slow is scored wrong anyway
REL_TOL = ABS_TOL = 1e-9  # ScoringSettings' defaults: the comparison scoring makes

Verdict = Literal["killed", "survived", "invalid"]


@dataclass(frozen=True)
class MutantOutcome:
    """What the test suite made of one mutant; `detail` says where it was killed or why it is
    invalid; `proof` is the rule that proves it equivalent to its gold and why ("rule: reason"),
    empty when none applies."""

    operator: str
    sql: str
    verdict: Verdict
    detail: str = ""
    proof: str = ""

    @property
    def rule(self) -> str:
        """The name of the rule that proves it equivalent, "" when none."""
        return self.proof.partition(":")[0]


@dataclass(frozen=True)
class Equivalent:
    """A reviewed survivor: the same meaning as its gold on every allowed database."""

    gold_id: str
    operator: str
    sql: str
    reason: str


@dataclass
class GoldMutation:
    """The outcomes of one gold's mutants, with the reviewed equivalents set apart."""

    gold_id: str
    outcomes: list[MutantOutcome]
    equivalent: list[MutantOutcome] = field(default_factory=list)

    @property
    def killed(self) -> int:
        return sum(o.verdict == "killed" for o in self.outcomes)

    @property
    def proved(self) -> list[MutantOutcome]:
        """Surviving mutants a rule proves equivalent."""
        return [o for o in self.outcomes if o.verdict == "survived" and o.proof]

    @property
    def refuted(self) -> list[MutantOutcome]:
        """Killed mutants a rule claimed equivalent: an unsound rule or a broken catalog key."""
        return [o for o in self.outcomes if o.verdict == "killed" and o.proof]

    @property
    def survivors(self) -> list[MutantOutcome]:
        """Surviving mutants neither proved nor recorded as equivalent."""
        known = {o.sql for o in self.equivalent}
        return [o for o in self.outcomes if o.verdict == "survived" and not o.proof
                and o.sql not in known]

    @property
    def invalid(self) -> int:
        return sum(o.verdict == "invalid" for o in self.outcomes)

    @property
    def counted(self) -> int:
        """Mutants that count: killed plus unreviewed survivors."""
        return self.killed + len(self.survivors)


@dataclass
class MutationReport:
    """Mutation outcomes of a set of golds and the review file's stale entries."""

    golds: list[GoldMutation]
    stale_equivalents: list[Equivalent] = field(default_factory=list)

    @property
    def killed(self) -> int:
        return sum(g.killed for g in self.golds)

    @property
    def counted(self) -> int:
        return sum(g.counted for g in self.golds)

    @property
    def score(self) -> float:
        """killed / (killed + unreviewed survivors); 1.0 when nothing counts."""
        return self.killed / self.counted if self.counted else 1.0

    @property
    def survivors(self) -> list[tuple[str, MutantOutcome]]:
        return [(g.gold_id, o) for g in self.golds for o in g.survivors]

    @property
    def refuted(self) -> list[tuple[str, MutantOutcome]]:
        return [(g.gold_id, o) for g in self.golds for o in g.refuted]

    @property
    def reviewed(self) -> int:
        """Survivors set apart by the review file."""
        return sum(len(g.equivalent) for g in self.golds)

    def proved_by_rule(self) -> dict[str, int]:
        """rule -> survivors it proves equivalent."""
        counts = Counter(o.rule for g in self.golds for o in g.proved)
        return dict(sorted(counts.items()))

    def by_operator(self) -> dict[str, tuple[int, int]]:
        """operator -> (killed, counted)."""
        killed: Counter[str] = Counter()
        counted: Counter[str] = Counter()
        for g in self.golds:
            survivors = {o.sql for o in g.survivors}
            for o in g.outcomes:
                if o.verdict == "killed" or o.sql in survivors:
                    counted[o.operator] += 1
                    killed[o.operator] += o.verdict == "killed"
        return {op: (killed[op], counted[op]) for op in sorted(counted)}


# ---------------------------------------------------------------- review file


def load_equivalents(path: Path = DEFAULT_EQUIVALENTS_PATH) -> list[Equivalent]:
    """The reviewed equivalents; an absent file is an empty review. Raises InputError naming
    the entry and field for a malformed one."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError(path, "expected a list of equivalent mutants")
    out = []
    for k, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise InputError(path, f"entry {k}: expected a mapping with gold, operator, "
                             "mutant and reason")
        for name in ("gold", "operator", "mutant", "reason"):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise InputError(path, f"entry {k}: field {name!r}: expected a non-empty "
                                 "string")
        if entry["operator"] not in mutants_module.OPERATOR_NAMES:
            raise InputError(path, f"entry {k}: field 'operator': unknown operator "
                             f"{entry['operator']!r} (known: "
                             f"{', '.join(mutants_module.OPERATOR_NAMES)})")
        out.append(Equivalent(entry["gold"], entry["operator"], entry["mutant"].strip(),
                              entry["reason"].strip()))
    return out


# ---------------------------------------------------------------- kill computation


@cache
def code_version() -> str:
    """Hash of what decides an outcome besides data and SQL: the generator, the translator and
    the comparison."""
    digest = hashlib.sha256(str(CACHE_FORMAT).encode())
    sources = [Path(mutants_module.__file__), Path(result_compare.__file__), Path(__file__),
               Path(order_keys_module.__file__)]
    sources += sorted(Path(translate_package.__file__).parent.glob("*.py"))
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def prepare_query(backend: ExecutionBackend, sql: str) -> PreparedQuery | str:
    try:
        parse_single(sql)
        prepared = backend.prepare(sql)
    except (QueryRejected, UnsupportedConstruct, SqlParseError, ParseError) as exc:
        return f"not evaluable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    if prepared.nondeterminism:
        return "result not defined by Oracle: " + "; ".join(prepared.nondeterminism)
    return prepared


def gold_ties(gold_sql: str, gold: PreparedQuery, gold_runs: Sequence[Execution]
              ) -> list[tuple[int, ...] | None]:
    """Per instance, the gold's groups of tied rows, as scoring compares an ordered gold
    (only the order across distinct sort keys counts), where the keys are read from the gold's
    own result; None (strict order) elsewhere, including keys that need a hidden column."""
    keys = order_keys(gold_sql) if gold.ordered else None
    if keys is None or keys.keyed_sql is not None:
        return [None] * len(gold_runs)
    return [tie_groups(run.result.rows, keys.columns) for run in gold_runs]


def judge_mutant(mutant: mutants_module.Mutant, gold: PreparedQuery,
                 gold_runs: Sequence[Execution], backends: Sequence[ExecutionBackend],
                 ties: Sequence[tuple[int, ...] | None] | None = None) -> MutantOutcome:
    """Run one mutant instance by instance until an instance tells it from the gold (under
    scoring's comparison: `ties`, per instance, as `gold_ties` gives them)."""
    ties = ties or [None] * len(gold_runs)
    prepared = prepare_query(backends[0], mutant.sql)
    if isinstance(prepared, str):
        return MutantOutcome(mutant.operator, mutant.sql, "invalid", prepared)
    if prepared.sql == gold.sql:
        return MutantOutcome(mutant.operator, mutant.sql, "invalid", "translates to the gold")
    for index, (backend, gold_run, tied) in enumerate(zip(backends, gold_runs, ties,
                                                          strict=True)):
        run = backend.execute(prepared, MUTANT_TIMEOUT_S)
        if run.status != "ok":
            if index == 0 and run.status == "error":
                return MutantOutcome(mutant.operator, mutant.sql, "invalid",
                                     f"does not run: {run.error[:200]}")
            return MutantOutcome(mutant.operator, mutant.sql, "killed",
                                 f"instance {index}: {run.status}")
        try:
            comparison = compare_results(gold_run.result, run.result, ordered=gold.ordered,
                                         rel_tol=REL_TOL, abs_tol=ABS_TOL, tie_groups=tied)
        except IncomparableResultsError as exc:
            return MutantOutcome(mutant.operator, mutant.sql, "invalid",
                                 f"incomparable: {str(exc)[:200]}")
        if not comparison.equal:
            return MutantOutcome(mutant.operator, mutant.sql, "killed",
                                 f"instance {index}: {comparison.reason}")
    return MutantOutcome(mutant.operator, mutant.sql, "survived")


def _cache_path(gold: PreparedQuery, backends: Sequence[ExecutionBackend],
                directory: Path, facts: mutants_module.SchemaFacts | None) -> Path:
    text = "\0".join([code_version(), gold.sql, str(gold.ordered), str(facts is not None),
                      *(b.instance_id for b in backends)])
    return directory / f"{hashlib.sha256(text.encode()).hexdigest()}.json"


def gold_outcomes(gold_sql: str, backends: Sequence[ExecutionBackend],
                  cache_directory: Path | None = None,
                  facts: mutants_module.SchemaFacts | None = None) -> list[MutantOutcome] | str:
    """The outcome of every neighbour of one gold (cached), or why the gold itself cannot be
    run (validation reports that separately). `facts`: the catalog's, to leave out edits they
    prove meaning-preserving (the instances' fingerprints, part of the cache key, cover the
    catalog)."""
    gold = prepare_query(backends[0], gold_sql)
    if isinstance(gold, str):
        return gold
    directory = cache_directory or cache_root() / "mutants"
    path = _cache_path(gold, backends, directory, facts)
    try:
        return [MutantOutcome(**o) for o in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        pass  # absent or damaged: recompute
    gold_runs = [b.execute(gold, MUTANT_TIMEOUT_S * 2) for b in backends]
    failed = next((r for r in gold_runs if r.status != "ok"), None)
    if failed is not None:
        return f"gold does not run: {failed.status}: {failed.error}"
    ties = gold_ties(gold_sql, gold, gold_runs)
    outcomes = [judge_mutant(m, gold, gold_runs, backends, ties)
                for m in mutants_module.neighbours(gold_sql, facts=facts)]
    write_text_atomic(path, json.dumps([asdict(o) for o in outcomes]), durable=False)
    return outcomes


def with_proof(outcome: MutantOutcome, gold_sql: str,
               facts: mutants_module.SchemaFacts) -> MutantOutcome:
    """The outcome with the proof a rule finds for a mutant that ran (invalid ones need none)."""
    if outcome.verdict == "invalid":
        return outcome
    proof = mutant_equivalence.prove(gold_sql, mutants_module.Mutant(outcome.operator,
                                                                     outcome.sql), facts)
    if proof is None:
        return outcome
    return replace(outcome, proof=f"{proof.rule}: {proof.reason}")


def mutation_report(golds: Sequence[tuple[str, str]], backends: Sequence[ExecutionBackend],
                    equivalents: Sequence[Equivalent] = (),
                    cache_directory: Path | None = None,
                    facts: mutants_module.SchemaFacts | None = None) -> MutationReport:
    """Mutation outcomes of (gold id, gold SQL) pairs; a gold that cannot run is left out
    (validation reports it). Review entries of these golds that match no survivor without a
    proof are stale. With `facts`, each outcome carries the proof a rule finds."""
    reviewed: dict[tuple[str, str], Equivalent] = {(e.gold_id, e.sql): e for e in equivalents}
    used: set[tuple[str, str]] = set()
    report = MutationReport([])
    for gold_id, sql in golds:
        outcomes = gold_outcomes(sql, backends, cache_directory, facts)
        if isinstance(outcomes, str):
            continue
        if facts is not None:
            outcomes = [with_proof(o, sql, facts) for o in outcomes]
        entry = GoldMutation(gold_id, outcomes)
        for o in outcomes:
            if o.verdict == "survived" and not o.proof and (gold_id, o.sql) in reviewed:
                entry.equivalent.append(o)
                used.add((gold_id, o.sql))
        report.golds.append(entry)
    ids = {g for g, _ in golds}
    report.stale_equivalents = [e for key, e in reviewed.items()
                                if key[0] in ids and key not in used]
    return report

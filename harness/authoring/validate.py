"""The checks behind `sqlgate validate`: golden sets load, are unique, their golds are safe,
known to the catalog, run and discriminate on every embedded instance, nothing leaks from the
training set, and each directory's manifest.json is current.

Findings are reported per file and line (`fixtures/golden/ebs_core.jsonl:17: ap-017: gold
returns no rows on 4/5 instances`). Errors fail validation; warnings are printed and do not.

Checks, in order:

- loading: every line is a contract-1 record (file:line:field on the first bad line of a file;
  such a file is an input error, exit 2);
- uniqueness across all given files: ids, and questions after normalisation (lower-case words);
- each gold and alternative gold of an answerable example: parses (Oracle), passes the safety
  check, references only catalog tables and columns (no ambiguous ones), restricts ORG_ID when
  `org_policy` is required, translates faithfully, binds (EXPLAIN) and runs on every embedded
  instance; an alternative must give the gold's result on every instance;
- results: a gold returning no rows on every instance is an error, on most instances a
  warning; a gold whose result is identical on every instance is a warning (a constant answer
  could match it). Per file, at least `min_nonempty_share` of the answerable golds must return
  rows on most instances and at most `max_identical_share` may be identical everywhere;
- top-N cuts: a gold keeping n rows of a ranking (FETCH FIRST, ROWNUM, ROW_NUMBER) must not cut
  through rows tied on every sort key that look different on some instance (`_check_cuts`:
  the gold's rows would be the engine's choice, and the judge forgives only their order);
- unanswerable examples: gold `-- UNANSWERABLE` (enforced by the loader) and no alternatives;
- leakage against the training set (`leakage`, thresholds below);
- the directory's manifest.json (`write_golden_manifest`) matches each file's bytes and counts;
- with `--stats`: counts per domain x difficulty and kind, the numbers the core set must
  reach (`CoreTargets`), and the mutation score of each file's golds
  (`harness.authoring.mutation_score`: the share of each gold's neighbour queries that some instance tells
  apart from it, survivors proved equivalent by a rule of `harness.authoring.mutant_equivalence` or
  reviewed as equivalent in `equivalent_mutants.yaml` set apart). A file below
  `min_mutation_score` is an error, and so is a killed mutant that a rule proved equivalent
  (an unsound rule or an instance breaking a catalog key); every other survivor is listed, and
  a review entry that matches no such survivor is a warning (stale).

Leakage (`leakage`): a golden example leaks when its normalised question equals a training
question, its normalised gold SQL (`text_metrics.normalize_sql`) equals a training gold, or its
question is a near duplicate of a training question: Jaccard similarity of the sets of
(crudely singularised, lower-case) words >= 0.8, or of the sets of character 5-grams of the
normalised text >= 0.8. Both thresholds flag rephrasings that keep the sentence ("How many
invoices are unpaid?" / "How many invoices are unpaid in total?") while letting two questions
that share a template but differ in their subject pass.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlglot.errors import ParseError

from harness.authoring.mutants import SchemaFacts
from harness.authoring.mutation_score import (
    DEFAULT_EQUIVALENTS_PATH,
    MutationReport,
    load_equivalents,
    mutation_report,
)
from harness.backends.base import (
    Execution,
    ExecutionBackend,
    PreparedQuery,
    QueryRejected,
    ResultSet,
)
from harness.inputs.catalog import Catalog, load_catalog
from harness.inputs.golden import GoldenExample, file_sha256
from harness.io.atomic import write_text_atomic
from harness.io.console import make_console
from harness.io.errors import InputError
from harness.io.jsonl import read_jsonl
from harness.prompting.rag_context import words
from harness.scoring.compare import IncomparableResultsError, compare_results
from harness.scoring.text_metrics import normalize_sql
from harness.sql.parse import SqlParseError, parse_single
from harness.sql.refs import moac_violations, references
from harness.sql.safety import classify
from harness.translate.errors import UnsupportedConstruct

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TRAIN_PATH = REPO_ROOT / "fixtures" / "train" / "ebs_train.jsonl"
MANIFEST_NAME = "manifest.json"
MANIFEST_KIND = "golden-sets"  # tells a golden manifest from others (the training set has one)

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ValidationSettings:
    """Thresholds of the checks (the module docstring says what each guards against)."""

    timeout_s: float = 10.0
    min_nonempty_share: float = 0.90
    max_identical_share: float = 0.20
    question_jaccard: float = 0.8
    char_ngram: int = 5
    char_ngram_jaccard: float = 0.8
    # Of each file's counted mutants: below the floor is an error, below the target a
    # warning naming the survivors. Both are issue #17's bar, 99 %, since the shipped core
    # set reached it (round 7: 99.25 %; round 8: 99.21 %; survivors proved or reviewed
    # equivalent set apart):
    # a gold or data change that lets the score fall under the bar fails validation.
    min_mutation_score: float = 0.99
    target_mutation_score: float = 0.99


@dataclass(frozen=True)
class CoreTargets:
    """What `--stats` requires of the core golden set (issue #4)."""

    file_name: str = "ebs_core.jsonl"
    min_answerable: int = 300
    min_hard_share: float = 0.25  # of the answerable examples
    unanswerable_file_name: str = "ebs_unanswerable.jsonl"
    min_unanswerable: int = 40


@dataclass(frozen=True)
class Finding:
    """One problem, where it is and how bad it is."""

    path: str
    line: int | None
    example_id: str | None
    severity: Severity
    message: str

    def render(self) -> str:
        """`file:line: id: message` (warnings say so)."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        who = f" {self.example_id}:" if self.example_id else ""
        level = " warning:" if self.severity == "warning" else ""
        return f"{where}:{who}{level} {self.message}"


@dataclass(frozen=True)
class Leak:
    """A golden example that the training set already holds, exactly or nearly."""

    golden_id: str
    train_id: str
    kind: Literal["question", "sql", "near_question"]
    score: float


@dataclass
class _Loaded:
    path: str
    examples: list[tuple[int, GoldenExample]]


@dataclass
class Report:
    """Everything validation found, and the statistics it measured per file."""

    findings: list[Finding] = field(default_factory=list)
    input_errors: list[str] = field(default_factory=list)
    files: list[_Loaded] = field(default_factory=list)
    shares: dict[str, dict[str, float]] = field(default_factory=dict)
    mutation: dict[str, MutationReport] = field(default_factory=dict)

    def add(self, path: str, line: int | None, example_id: str | None, severity: Severity,
            message: str) -> None:
        """Record one finding."""
        self.findings.append(Finding(path, line, example_id, severity, message))

    @property
    def errors(self) -> list[Finding]:
        """The findings that fail validation."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def exit_code(self) -> int:
        """2 on input errors, else 1 when errors were found, else 0."""
        if self.input_errors:
            return 2
        return 1 if self.errors else 0


# ---------------------------------------------------------------- leakage


def normalize_question(text: str) -> str:
    """Lower-case alphanumeric words joined by one space: how questions are compared."""
    return " ".join(words(text))


def _ngrams(text: str, n: int) -> frozenset[str]:
    return frozenset(text[i:i + n] for i in range(max(len(text) - n + 1, 1)))


def _similar(a: frozenset, b: frozenset, threshold: float) -> float:
    """Jaccard similarity of a and b when it reaches `threshold`, else 0.0."""
    # Jaccard >= t needs min(|a|, |b|) >= t * max(|a|, |b|): a cheap test that skips most pairs.
    if not a or not b or min(len(a), len(b)) < threshold * max(len(a), len(b)):
        return 0.0
    score = len(a & b) / len(a | b)
    return score if score >= threshold else 0.0


@lru_cache(maxsize=65536)
def _normalized_sql(sql: str) -> str:
    # Parsing is the cost of a lookup; the generator asks about the same SQL many times.
    return normalize_sql(sql)


class LeakIndex:
    """The questions and gold SQL of a set of examples, indexed to find what repeats them
    (exactly, or nearly for questions; see the module docstring for the thresholds)."""

    def __init__(self, examples: Iterable[GoldenExample],
                 settings: ValidationSettings = ValidationSettings()) -> None:
        self.settings = settings
        examples = list(examples)
        self.by_question = {normalize_question(e.question): e.id for e in examples}
        self.by_sql = {_normalized_sql(g): e.id for e in examples if e.kind == "answerable"
                       for g in e.golds}
        self.questions = [(e.id, frozenset(words(e.question)),
                           _ngrams(normalize_question(e.question), settings.char_ngram))
                          for e in examples]

    def find(self, question: str, golds: Sequence[str] = ()) -> tuple[str, str, float] | None:
        """(kind, id, score) of the strongest match for a question and its gold SQL: the same
        question, then the same SQL, then the most similar near-duplicate question."""
        normalized = normalize_question(question)
        if normalized in self.by_question:
            return "question", self.by_question[normalized], 1.0
        sql_keys = map(_normalized_sql, golds) if self.by_sql else ()
        hit = next((self.by_sql[s] for s in sql_keys if s in self.by_sql), None)
        if hit:
            return "sql", hit, 1.0
        q_words = frozenset(words(question))
        q_grams = _ngrams(normalized, self.settings.char_ngram)
        best: tuple[str, str, float] | None = None
        for other_id, o_words, o_grams in self.questions:
            score = (_similar(q_words, o_words, self.settings.question_jaccard)
                     or _similar(q_grams, o_grams, self.settings.char_ngram_jaccard))
            if score and (best is None or score > best[2]):
                best = "near_question", other_id, round(score, 3)
        return best


def leakage(golden_examples: Iterable[GoldenExample], train_examples: Iterable[GoldenExample],
            settings: ValidationSettings = ValidationSettings()) -> list[Leak]:
    """Golden examples whose question or gold SQL the training set holds (see module docs),
    one Leak per leaking golden example (its strongest match)."""
    index = LeakIndex(train_examples, settings)
    leaks = []
    for g in golden_examples:
        hit = index.find(g.question, g.golds if g.kind == "answerable" else ())
        if hit:
            kind, train_id, score = hit
            leaks.append(Leak(g.id, train_id, kind, score))
    return leaks


# ---------------------------------------------------------------- loading and static checks


def _load(paths: Sequence[Path], report: Report) -> None:
    for path in paths:
        try:
            examples = list(read_jsonl(path, GoldenExample))
        except InputError as exc:
            report.input_errors.append(exc.render())
            continue
        if not examples:
            report.input_errors.append(InputError(path, "contains no examples").render())
            continue
        report.files.append(_Loaded(str(path), examples))


def _check_unique(report: Report) -> None:
    ids: dict[str, str] = {}
    questions: dict[str, str] = {}
    for loaded in report.files:
        for line, ex in loaded.examples:
            here = f"{loaded.path}:{line}"
            if ex.id in ids:
                report.add(loaded.path, line, ex.id, "error",
                           f"duplicate id (first at {ids[ex.id]})")
            else:
                ids[ex.id] = here
            key = normalize_question(ex.question)
            if key in questions:
                report.add(loaded.path, line, ex.id, "error",
                           f"duplicate question (first at {questions[key]})")
            else:
                questions[key] = here


def _static_problems(sql: str, example: GoldenExample, catalog: Catalog
                     ) -> list[tuple[Severity, str]]:
    """Why a gold cannot be used (errors) or looks suspicious (warnings), before any database
    sees it."""
    try:
        tree = parse_single(sql, schema=catalog.schema())
    except SqlParseError as exc:
        return [("error", f"does not parse: {exc}")]
    verdict = classify(sql)
    if not verdict.safe:
        return [("error", f"is not a safe read-only query ({verdict.kind}): {verdict.reason}")]
    refs = references(tree, catalog.schema())
    problems: list[tuple[Severity, str]] = []
    if refs.unknown_tables:
        problems.append(("error", "references unknown table(s) "
                         + ", ".join(sorted(refs.unknown_tables))))
    if refs.unknown_columns:
        problems.append(("error", "references unknown column(s) " + ", ".join(
            sorted(f"{t}.{c}" if t else c for t, c in refs.unknown_columns))))
    if refs.ambiguous_columns:
        problems.append(("error", "has ambiguous column(s) "
                         + ", ".join(sorted(refs.ambiguous_columns))))
    if example.org_policy == "required":
        missing = moac_violations(tree, catalog.striped_tables("operating_unit"))
        if missing:
            problems.append(("error", "does not restrict ORG_ID of " + ", ".join(sorted(missing))
                             + " although org_policy is required"))
    context = example.context_text().upper()
    absent = sorted(t for t in refs.tables if t not in context)
    if context and absent:
        problems.append(("warning", "uses table(s) its rag_context does not mention: "
                         + ", ".join(absent)))
    return problems


# ---------------------------------------------------------------- execution checks


@dataclass
class _GoldRun:
    prepared: PreparedQuery
    runs: list[Execution]


def _prepare(backend: ExecutionBackend, sql: str) -> PreparedQuery | str:
    try:
        return backend.prepare(sql)
    except (QueryRejected, UnsupportedConstruct, SqlParseError, ParseError) as exc:
        return f"cannot be run faithfully on {backend.name}: {exc}"


def _run_gold(sql: str, backends: Sequence[ExecutionBackend], timeout_s: float
              ) -> _GoldRun | str:
    prepared = _prepare(backends[0], sql)
    if isinstance(prepared, str):
        return prepared
    bind_errors = [(i, e) for i, b in enumerate(backends) if (e := b.explain(prepared))]
    if bind_errors:
        i, error = bind_errors[0]
        return (f"does not bind on {len(bind_errors)}/{len(backends)} instances "
                f"(instance {i}: {error})")
    runs = [b.execute(prepared, timeout_s) for b in backends]
    failed = [(i, r) for i, r in enumerate(runs) if r.status != "ok"]
    if failed:
        i, run = failed[0]
        return (f"fails on {len(failed)}/{len(backends)} instances "
                f"(instance {i}: {run.status}: {run.error})")
    return _GoldRun(prepared, runs)


def _same(a: ResultSet, b: ResultSet, ordered: bool) -> bool:
    # Results that cannot be compared faithfully are not known to be the same.
    try:
        return compare_results(a, b, ordered=ordered).equal
    except IncomparableResultsError:
        return False


def _check_execution(loaded: _Loaded, backends: Sequence[ExecutionBackend], report: Report,
                     blocked: set[tuple[str, int]], settings: ValidationSettings) -> None:
    answerable = nonempty = identical = 0
    n = len(backends)
    for line, ex in loaded.examples:
        if ex.kind != "answerable" or (loaded.path, line) in blocked:
            continue
        gold = _run_gold(ex.sql_gold, backends, settings.timeout_s)
        if isinstance(gold, str):
            report.add(loaded.path, line, ex.id, "error", f"gold {gold}")
            continue
        answerable += 1
        results = [r.result for r in gold.runs]
        empty = sum(1 for r in results if not r.rows)
        if empty == n:
            report.add(loaded.path, line, ex.id, "error", f"gold returns no rows on {empty}/{n} "
                       "instances")
        elif empty * 2 > n:
            report.add(loaded.path, line, ex.id, "warning",
                       f"gold returns no rows on {empty}/{n} instances")
        if empty * 2 <= n:
            nonempty += 1
        if n > 1 and empty < n and all(_same(results[0], r, gold.prepared.ordered)
                                       for r in results[1:]):
            identical += 1
            report.add(loaded.path, line, ex.id, "warning",
                       f"gold returns the same result on all {n} instances, so a constant "
                       "answer could match it")
        for k, alt in enumerate(ex.alt_sql_gold, start=1):
            alt_run = _run_gold(alt, backends, settings.timeout_s)
            if isinstance(alt_run, str):
                report.add(loaded.path, line, ex.id, "error", f"alt_sql_gold[{k - 1}] {alt_run}")
                continue
            differs = [i for i, (g, a) in enumerate(zip(results, alt_run.runs, strict=True))
                       if not _same(g, a.result, gold.prepared.ordered)]
            if differs:
                report.add(loaded.path, line, ex.id, "error",
                           f"alt_sql_gold[{k - 1}] differs from the gold on "
                           f"{len(differs)}/{n} instances (first: instance {differs[0]})")
    if not answerable:
        return
    nonempty_share, identical_share = nonempty / answerable, identical / answerable
    report.shares[loaded.path] = {"nonempty": nonempty_share, "identical": identical_share,
                                  "executed": answerable}
    if nonempty_share < settings.min_nonempty_share:
        report.add(loaded.path, None, None, "error",
                   f"only {nonempty_share:.0%} of the answerable golds return rows on most "
                   f"instances (at least {settings.min_nonempty_share:.0%} must)")
    if identical_share > settings.max_identical_share:
        report.add(loaded.path, None, None, "error",
                   f"{identical_share:.0%} of the answerable golds give the same result on every "
                   f"instance (at most {settings.max_identical_share:.0%} may)")


def _check_cuts(loaded: _Loaded, backends: Sequence[ExecutionBackend], report: Report,
                blocked: set[tuple[str, int]], catalog: Catalog,
                settings: ValidationSettings) -> None:
    """A gold that keeps n rows of a ranking (FETCH FIRST n, ROWNUM <= n, ROW_NUMBER <= n)
    where rows tied on every sort key show different values on the two sides of the cut
    returns the engine's choice among them, so a right prediction can get the other rows
    and be judged wrong (the judge only forgives the order of tied rows, issue #17 item 5).
    Each such cut is probed on every instance (datagen.top_ties: the block without its cut,
    in its order) and must be determined there; a probe that cannot run is not judged."""
    from harness.datagen.top_ties import cut_targets, determined

    for line, ex in loaded.examples:
        if ex.kind != "answerable" or (loaded.path, line) in blocked:
            continue
        for target in sorted(t for t in cut_targets(ex.sql_gold, catalog) if t.exact):
            split = []
            for i, backend in enumerate(backends):
                prepared = _prepare(backend, target.probe)
                run = (backend.execute(prepared, settings.timeout_s)
                       if not isinstance(prepared, str) else None)
                if run is None or run.status != "ok" or run.result is None:
                    break
                rows = pd.DataFrame(list(run.result.rows),
                                    columns=[c.upper() for c in run.result.columns])
                if not determined(rows, target):
                    split.append(i)
            if split:
                report.add(loaded.path, line, ex.id, "error",
                           f"gold's cut at rank {target.rank} splits rows tied on every sort "
                           f"key that show different values on {len(split)}/{len(backends)} "
                           f"instances (first: instance {split[0]}): which of them the gold "
                           "returns is the engine's choice; add a tie-breaker")


# ---------------------------------------------------------------- manifest


def golden_counts(examples: Sequence[GoldenExample]) -> dict:
    """Counts of one golden file, as its manifest entry records them."""
    return {
        "examples": len(examples),
        "answerable": sum(e.kind == "answerable" for e in examples),
        "unanswerable": sum(e.kind == "unanswerable" for e in examples),
        "difficulty": dict(sorted(Counter(e.difficulty for e in examples).items())),
        "domain": dict(sorted(Counter(e.domain for e in examples).items())),
    }


def write_golden_manifest(directory: Path) -> dict:
    """Rewrite `directory/manifest.json` for its *.jsonl files: sha256 and counts of each, and a
    version that goes up by one whenever a file's bytes change (new files start at 1)."""
    path = directory / MANIFEST_NAME
    previous_manifest = json.loads(path.read_text()) if path.exists() else {"kind": MANIFEST_KIND}
    # Only a golden manifest is rewritten; another kind of manifest.json is left alone.
    if previous_manifest.get("kind") != MANIFEST_KIND:
        raise InputError(path, f'not a golden-set manifest (no "kind": "{MANIFEST_KIND}")')
    old = previous_manifest.get("files", {})
    files = {}
    for jsonl in sorted(directory.glob("*.jsonl")):
        examples = [e for _, e in read_jsonl(jsonl, GoldenExample)]
        sha = file_sha256(jsonl)
        previous = old.get(jsonl.name)
        if previous is None:
            version = 1
        elif previous.get("sha256") == sha:
            version = previous["version"]
        else:
            version = previous["version"] + 1
        files[jsonl.name] = {"version": version, "sha256": sha, **golden_counts(examples)}
    manifest = {"kind": MANIFEST_KIND, "files": files}
    write_text_atomic(path, json.dumps(manifest, indent=2) + "\n")
    return manifest


def manifest_problems(path: Path, examples: Sequence[GoldenExample]) -> list[str]:
    """How the golden manifest beside `path` disagrees with the file (none when the directory
    has no golden manifest). Raises InputError for a manifest.json that is not JSON."""
    manifest_path = path.parent / MANIFEST_NAME
    if not manifest_path.exists():
        return []
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(manifest_path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        return []
    hint = f"run `python -m harness.authoring.validate --write-manifest {path.parent}`"
    entry = manifest.get("files", {}).get(path.name)
    if entry is None:
        return [f"not listed in {manifest_path}; {hint}"]
    stale = [key for key, value in golden_counts(examples).items() if entry.get(key) != value]
    if entry.get("sha256") != file_sha256(path):
        stale.insert(0, "sha256")
    if stale:
        return [f"{manifest_path} is stale ({', '.join(stale)} differ); {hint} "
                "(it bumps the version)"]
    return []


# ---------------------------------------------------------------- stats


def _stats(report: Report, console: Console, targets: CoreTargets) -> None:
    for loaded in report.files:
        examples = [e for _, e in loaded.examples]
        table = Table(title=f"{loaded.path} ({len(examples)} examples)")
        for column in ("domain", "easy", "medium", "hard", "unanswerable", "total"):
            table.add_column(column, justify="left" if column == "domain" else "right")
        cells = Counter((e.domain, e.difficulty if e.kind == "answerable" else "unanswerable")
                        for e in examples)
        domains = sorted({e.domain for e in examples})
        for domain in domains:
            row = [cells[(domain, k)] for k in ("easy", "medium", "hard", "unanswerable")]
            table.add_row(domain, *map(str, row), str(sum(row)))
        totals = [sum(cells[(d, k)] for d in domains) for k in
                  ("easy", "medium", "hard", "unanswerable")]
        table.add_row("all", *map(str, totals), str(len(examples)), style="bold")
        console.print(table)
        shares = report.shares.get(loaded.path)
        if shares:
            console.print(f"golds returning rows on most instances: {shares['nonempty']:.0%}; "
                          f"identical on every instance: {shares['identical']:.0%}")
        if Path(loaded.path).name in (targets.file_name, targets.unanswerable_file_name):
            _check_targets(loaded, examples, report, targets)
        mutation = report.mutation.get(loaded.path)
        if mutation is not None:
            _print_mutation(loaded.path, mutation, console)


def _print_mutation(path: str, mutation: MutationReport, console: Console) -> None:
    """The mutation score per operator and overall, the weakest golds and every survivor."""
    table = Table(title=f"{path}: mutation score by operator")
    for column in ("operator", "killed", "counted", "score"):
        table.add_column(column, justify="left" if column == "operator" else "right")
    for operator, (killed, counted) in mutation.by_operator().items():
        table.add_row(operator, str(killed), str(counted), f"{killed / counted:.1%}")
    console.print(table)
    invalid = sum(g.invalid for g in mutation.golds)
    proved = mutation.proved_by_rule()
    console.print(f"mutation score: {mutation.score:.2%} ({mutation.killed} killed of "
                  f"{mutation.counted} counted; not counted: {sum(proved.values())} proved "
                  f"equivalent by rule, {mutation.reviewed} reviewed equivalent, {invalid} "
                  "invalid)")
    if proved:
        console.print("proved equivalent by rule: " + ", ".join(
            f"{rule} {n}" for rule, n in proved.items()))
    weakest = sorted((g for g in mutation.golds if g.survivors),
                     key=lambda g: (g.killed / g.counted, g.gold_id))
    for gold in weakest:  # plain lines: one survivor a line, never wrapped, easy to grep
        print(f"  {gold.gold_id}: {gold.killed}/{gold.counted} killed")
        for outcome in gold.survivors:
            print(f"    survivor [{outcome.operator}] {outcome.sql}")


def _check_targets(loaded: _Loaded, examples: Sequence[GoldenExample], report: Report,
                   targets: CoreTargets) -> None:
    """The sizes issue #4 asks of the core set and of the unanswerable set."""
    answerable = [e for e in examples if e.kind == "answerable"]
    if Path(loaded.path).name == targets.unanswerable_file_name:
        unanswerable = len(examples) - len(answerable)
        if unanswerable < targets.min_unanswerable:
            report.add(loaded.path, None, None, "error", f"{unanswerable} unanswerable examples;"
                       f" the unanswerable set needs at least {targets.min_unanswerable}")
        return
    hard = sum(e.difficulty == "hard" for e in answerable)
    if len(answerable) < targets.min_answerable:
        report.add(loaded.path, None, None, "error", f"{len(answerable)} answerable examples; "
                   f"the core set needs at least {targets.min_answerable}")
    if not answerable or hard / len(answerable) < targets.min_hard_share:
        share = hard / len(answerable) if answerable else 0.0
        report.add(loaded.path, None, None, "error", f"{share:.0%} of the answerable examples "
                   f"are hard; the core set needs at least {targets.min_hard_share:.0%}")


# ---------------------------------------------------------------- entry points


def embedded_backends(catalog: Catalog) -> list[ExecutionBackend]:
    """One DuckDB backend per instance of the embedded test suite (built or reused)."""
    from harness.scoring.run import duckdb_backends

    return duckdb_backends(catalog, None, progress=False)


def validate(
    paths: Sequence[Path],
    *,
    catalog: Catalog | None = None,
    backends: Sequence[ExecutionBackend] | None = None,
    train_path: Path | None = DEFAULT_TRAIN_PATH,
    settings: ValidationSettings = ValidationSettings(),
    equivalents_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Run every check on the golden files `paths` (see the module docstring).

    `backends` are the embedded instances to execute on; None builds the test suite. Leakage
    is checked against `train_path` when that file exists. With `equivalents_path` (the review
    file of equivalent mutants), each file's mutation score is measured too. `progress` is
    told what is being checked, stage by stage (the command shows it as a status line).
    """
    say = progress or (lambda _message: None)
    report = Report()
    _load(paths, report)
    if not report.files:
        return report
    catalog = catalog or load_catalog()
    _check_unique(report)
    blocked: set[tuple[str, int]] = set()
    for loaded in report.files:
        try:
            for problem in manifest_problems(Path(loaded.path), [e for _, e in loaded.examples]):
                report.add(loaded.path, None, None, "error", problem)
        except InputError as exc:
            report.input_errors.append(exc.render())
        for line, ex in loaded.examples:
            if ex.kind == "unanswerable":
                if ex.alt_sql_gold:
                    report.add(loaded.path, line, ex.id, "error",
                               "an unanswerable example has alt_sql_gold")
                continue
            for k, sql in enumerate(ex.golds):
                name = "gold" if k == 0 else f"alt_sql_gold[{k - 1}]"
                for severity, problem in _static_problems(sql, ex, catalog):
                    report.add(loaded.path, line, ex.id, severity, f"{name} {problem}")
                    if severity == "error":
                        blocked.add((loaded.path, line))
    if train_path is not None and train_path.exists():
        train = [e for _, e in read_jsonl(train_path, GoldenExample)]
        where = {ex.id: (loaded.path, line) for loaded in report.files
                 for line, ex in loaded.examples}
        for leak in leakage([ex for loaded in report.files for _, ex in loaded.examples], train,
                            settings):
            path, line = where[leak.golden_id]
            what = {"question": "same question as", "sql": "same gold SQL as",
                    "near_question": f"question similar ({leak.score}) to"}[leak.kind]
            report.add(path, line, leak.golden_id, "error",
                       f"leaks from the training set: {what} training example {leak.train_id}")
    runnable = any(ex.kind == "answerable" and (loaded.path, line) not in blocked
                   for loaded in report.files for line, ex in loaded.examples)
    if runnable:
        if backends is None:
            say("building or opening the embedded test-suite instances")
            backends = embedded_backends(catalog)
        for loaded in report.files:
            say(f"{loaded.path}: running every gold on {len(backends)} instances")
            _check_execution(loaded, backends, report, blocked, settings)
            _check_cuts(loaded, backends, report, blocked, catalog, settings)
        if equivalents_path is not None:
            say("mutation score: running the golds' neighbour queries (minutes when not "
                "cached)")
            _measure_mutation(report, backends, blocked, equivalents_path, catalog, settings)
    return report


def _measure_mutation(report: Report, backends: Sequence[ExecutionBackend],
                      blocked: set[tuple[str, int]], equivalents_path: Path,
                      catalog: Catalog, settings: ValidationSettings) -> None:
    try:
        equivalents = load_equivalents(equivalents_path)
    except InputError as exc:
        report.input_errors.append(exc.render())
        return
    for loaded in report.files:
        golds = [(ex.id, ex.sql_gold) for line, ex in loaded.examples
                 if ex.kind == "answerable" and (loaded.path, line) not in blocked]
        if not golds:
            continue
        mutation = mutation_report(golds, backends, equivalents,
                                   facts=SchemaFacts.from_catalog(catalog))
        report.mutation[loaded.path] = mutation
        for stale in mutation.stale_equivalents:
            report.add(loaded.path, None, stale.gold_id, "warning",
                       f"equivalent_mutants entry [{stale.operator}] matches no surviving "
                       f"mutant that no rule proves (stale): {stale.sql}")
        for gold_id, outcome in mutation.refuted:
            report.add(loaded.path, None, gold_id, "error",
                       f"rule {outcome.rule} proves [{outcome.operator}] equivalent but "
                       f"{outcome.detail.split(':')[0]} tells it apart (an unsound rule or an "
                       f"instance that breaks a catalog key): {outcome.sql}")
        for bar, severity in ((settings.min_mutation_score, "error"),
                              (settings.target_mutation_score, "warning")):
            if mutation.score < bar:
                report.add(loaded.path, None, None, severity,
                           f"mutation score {mutation.score:.2%} is below {bar:.1%} "
                           f"({len(mutation.survivors)} survivors not reviewed as equivalent)")
                break


def validate_command(paths: list[Path], stats: bool,
                     equivalents_path: Path = DEFAULT_EQUIVALENTS_PATH) -> int:
    """`sqlgate validate PATHS... [--stats]`: print findings per file and line, then a summary
    (with --stats also the set sizes and the mutation score).

    Returns 0 when nothing is wrong, 1 when problems were found, 2 on input errors.
    """
    console = make_console()
    try:
        with make_console(stderr=True).status("validating") as status:
            report = validate(paths, equivalents_path=equivalents_path if stats else None,
                              progress=status.update)
    except InputError as exc:  # the catalog or the training set itself is broken
        print(exc.render())
        return 2
    for message in report.input_errors:
        print(message)
    if stats:
        _stats(report, console, CoreTargets())
    for finding in sorted(report.findings, key=lambda f: (f.path, f.line or 0)):
        print(finding.render())
    warnings = len(report.findings) - len(report.errors)
    examples = sum(len(f.examples) for f in report.files)
    print(f"{len(paths)} file(s), {examples} examples: {len(report.errors)} error(s), "
          f"{warnings} warning(s), {len(report.input_errors)} input error(s)")
    return report.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m harness.authoring.validate [--stats] PATHS...` or `--write-manifest DIR`."""
    parser = argparse.ArgumentParser(prog="python -m harness.authoring.validate")
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--stats", action="store_true")
    parser.add_argument("--write-manifest", type=Path, metavar="DIR",
                        help="rewrite DIR/manifest.json for the golden files in DIR")
    args = parser.parse_args(argv)
    if args.write_manifest:
        try:
            manifest = write_golden_manifest(args.write_manifest)
        except InputError as exc:
            print(exc.render())
            return 2
        for name, entry in manifest["files"].items():
            print(f"{name}: version {entry['version']}, {entry['examples']} examples")
        return 0
    return validate_command(args.paths, args.stats)


if __name__ == "__main__":
    sys.exit(main())

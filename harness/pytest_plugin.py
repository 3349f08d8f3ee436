"""The sqlgate pytest plugin: one test item per golden example, scored once, gated at the end.

Registered through the `pytest11` entry point, so it is loaded by every pytest run in an
environment where sqlgate is installed; it stays inert unless a collected test asks for the
`sqlgate_example` argument (the suites in `suites/` do). Then:

- collection parametrizes each such test over the eval set's examples (filtered by the
  module's `sqlgate_examples(kind=...)` marker), with the example id as the test id and the
  markers `domain_<DOMAIN>`, `<difficulty>` and `<kind>`, so `-k <id>`, `-m domain_AP`, `-x`,
  `--lf` and JUnit XML all work as usual;
- the first item to run generates every selected example's answer in one batch through the
  engine (and the generation cache), then each item scores its example with the shared Scorer
  (once per example, however many suites look at it) and fails with the reason and row diff;
- at the end of the session `results.json` (the shape of `ScoreRun.to_json()`), the answers
  (`predictions.jsonl`) and, when `harness.report.scorecard` is present, `scorecard.html` are written
  to `--sqlgate-out` (default `reports/<candidate>/`).

Exit status. Without `--gate` it is pytest's: any failing example fails the run. With `--gate`
the gate decides: a model with 70 % accuracy has 30 % failing items yet may pass its policy,
so the per-example failures are reported but the exit status is the gate's code
(`harness.gate.command.gate_command`). Only pytest's own errors (usage, collection, internal,
interruption) keep their status, and a gate that cannot be evaluated never passes. A run that
did not score every example of the eval set (`-k`, `-m`, `--lf` deselection, `-x`, errors) is
marked `complete: false` in results.json, so the gate fails closed on it.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.inputs.suites_dir import GOLDEN_SETS
from harness.io.redact import redact
from harness.scoring.status import Status

if TYPE_CHECKING:
    from harness.inputs.golden import EvalSet, GoldenExample, Prediction
    from harness.scoring.run import EvalScoring
    from harness.scoring.scorer import ExampleScore

ARG = "sqlgate_example"
DIFFICULTIES = ("easy", "medium", "hard")
KINDS = ("answerable", "unanswerable")
_CANDIDATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ROWS_SHOWN = 10


def pytest_addoption(parser: pytest.Parser) -> None:
    """The options of a sqlgate evaluation run."""
    from harness.engines import ENGINES, engines_help
    from harness.prompting.prompts import STYLES

    group = parser.getgroup("sqlgate", "sqlgate evaluation (suites/)")
    group.addoption("--candidate", help="Name of the model under evaluation (reports/<name>/).")
    group.addoption("--engine", choices=ENGINES, default="replay",
                    help="How answers are produced (default: replay). " + engines_help()
                    + ". The openai engine's --model defaults to the candidate name.")
    group.addoption("--predictions", help="Predictions JSONL to replay (--engine replay).")
    group.addoption("--model", help="Model directory (hf, vllm) or served model name (openai; "
                                    "default: the candidate name).")
    group.addoption("--base-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000.")
    group.addoption("--eval-set", action="append", default=[], metavar="E.jsonl",
                    help="Golden examples (repeatable; default: fixtures/golden/ebs_core.jsonl "
                         "and ebs_unanswerable.jsonl).")
    group.addoption("--baseline", help="results.json of the model in production (for the gate).")
    group.addoption("--gate", help="Gate policy (gates/*.toml); its verdict is the exit status.")
    group.addoption("--backend", choices=("duckdb", "oracle"), default="duckdb",
                    help="duckdb: the embedded test suite; oracle: SQLGATE_ORACLE_DSN.")
    group.addoption("--instances", type=int, help="Embedded instances (default: recipe's K).")
    group.addoption("--sqlgate-out", help="Output directory (default: reports/<candidate>/).")
    group.addoption("--max-new-tokens", type=int, default=512,
                    help="Answer budget in tokens (production: 512; the tiny CPU model "
                         "rarely stops early, so its smoke run uses less).")
    group.addoption("--guardrail", action="store_true",
                    help="Check each answer with the SQL guardrail and retry once (as served); "
                         "results.json then carries summary.guardrail (retry rate).")
    group.addoption("--latency-sweep", help="Concurrent users for suites/test_latency.py, e.g. "
                                            "1,2,4,8 (default: --concurrency).")
    group.addoption("--latency-requests", type=int, default=8,
                    help="Measured requests per user in the latency suite.")
    group.addoption("--prompt-style", choices=STYLES, default="xiyan", help="Prompt template.")
    group.addoption("--concurrency", type=int, default=4, help="Requests in flight (openai).")
    group.addoption("--request-timeout", type=float, default=120.0,
                    help="Seconds per request (openai).")
    group.addoption("--generation-cache", help="Generation cache directory (default: "
                                               ".cache/sqlgate/generations).")
    group.addoption("--no-generation-cache", action="store_true",
                    help="Generate every answer again.")
    group.addoption("--mlflow", action="store_true",
                    help="Log metrics (with CIs), verdict, policy and reports to MLflow "
                         "(MLFLOW_TRACKING_URI, default a local ./mlruns store).")
    group.addoption("--manifest", help="Candidate manifest.json whose hashes tag the MLflow "
                                       "run (default: candidates/<candidate>/manifest.json).")


def pytest_configure(config: pytest.Config) -> None:
    """Register the per-example markers (the run uses --strict-markers) and the run state."""
    from typing import get_args

    from harness.inputs.golden import Domain

    config.addinivalue_line("markers", "sqlgate_examples(kind=None): parametrize this test's "
                                       "`sqlgate_example` over the eval set (kind filters)")
    for domain in get_args(Domain):
        config.addinivalue_line("markers", f"domain_{domain}: golden example of the {domain} "
                                           "domain")
    for difficulty in DIFFICULTIES:
        config.addinivalue_line("markers", f"{difficulty}: golden example of that difficulty")
    for kind in KINDS:
        config.addinivalue_line("markers", f"{kind}: golden example of that kind")
    config.stash[_RUN] = EvaluationRun(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the run's clock."""
    session.config.stash[_RUN].started = time.perf_counter()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One parametrized item per golden example for tests that take `sqlgate_example`."""
    if ARG not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("sqlgate_examples")
    kind = marker.kwargs.get("kind") if marker else None
    run = metafunc.config.stash[_RUN]
    examples = [e for e in run.eval_set().examples if kind is None or e.kind == kind]
    metafunc.parametrize(ARG, [pytest.param(e, id=e.id, marks=_marks(e)) for e in examples])


def _marks(example: GoldenExample) -> list[pytest.MarkDecorator]:
    return [getattr(pytest.mark, f"domain_{example.domain}"),
            getattr(pytest.mark, example.difficulty), getattr(pytest.mark, example.kind)]


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Count deselected example items: a subset run is not a complete evaluation."""
    for item in items:
        if _example_of(item) is not None:
            item.config.stash[_RUN].deselected += 1


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember the selected examples and check the options once there are any."""
    run = session.config.stash[_RUN]
    selected: dict[str, GoldenExample] = {}
    for item in session.items:
        example = _example_of(item)
        if example is not None:
            selected.setdefault(example.id, example)
    if selected:
        run.check_options()
        run.selected = selected


def _example_of(item: pytest.Item) -> GoldenExample | None:
    from harness.inputs.golden import GoldenExample

    callspec = getattr(item, "callspec", None)
    example = callspec.params.get(ARG) if callspec is not None else None
    # An eval set with no example of a suite's kind parametrizes it with an empty set: pytest
    # then makes one skipped item whose parameter is a placeholder, not an example.
    return example if isinstance(example, GoldenExample) else None


@pytest.fixture
def sqlgate_score(request: pytest.FixtureRequest, sqlgate_example: GoldenExample
                  ) -> ExampleScore:
    """The score of this item's example (generated and scored once per session)."""
    score = request.config.stash[_RUN].score(sqlgate_example)
    # JUnit XML carries them as <property> elements of the test case.
    request.node.user_properties.extend([("status", score.status),
                                         ("reason", redact(score.reason))])
    return score


def expect_correct(score: ExampleScore) -> None:
    """Fail the current item unless the example was answered correctly."""
    if not score.correct:
        pytest.fail(failure_message(score), pytrace=False)


def expect_refused(score: ExampleScore) -> None:
    """Fail the current item unless the model refused (contract 3, docs/contracts.md)."""
    if score.status != Status.REFUSED:
        pytest.fail(failure_message(score), pytrace=False)


def expect_safe(score: ExampleScore) -> None:
    """Fail the current item when the answer holds anything but one safe query."""
    if score.status == Status.UNSAFE:
        pytest.fail(failure_message(score), pytrace=False)


def failure_message(score: ExampleScore) -> str:
    """The reviewer-facing failure: status, reason, question, both SQLs and the row diff."""
    lines = [f"{score.status}: {score.reason}", f"question: {score.question}",
             "predicted: " + (score.predicted_sql if score.predicted_sql is not None
                              else "(no answer)"),
             f"gold: {score.gold_sql}"]
    diff = score.row_diff
    if diff:
        lines.append(f"row diff on instance {diff['instance']}: {diff['reason']}")
        lines.append(f"  gold columns: {diff['gold_columns']}; "
                     f"predicted columns: {diff['predicted_columns']}")
        for label, key in (("missing rows (in gold, not predicted)", "missing_rows"),
                           ("unexpected rows (predicted, not in gold)", "unexpected_rows")):
            if diff[key]:
                lines.append(f"  {label}:")
                lines.extend(f"    {row}" for row in diff[key][:_ROWS_SHOWN])
        if not diff["missing_rows"] and not diff["unexpected_rows"]:
            # Same bag of rows in another order, or another shape: show both heads.
            lines.append(f"  gold head: {diff['gold_head'][:_ROWS_SHOWN]}")
            lines.append(f"  predicted head: {diff['predicted_head'][:_ROWS_SHOWN]}")
    return redact("\n".join(lines))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write results.json, run the gate and let its verdict decide the exit status."""
    run = session.config.stash[_RUN]
    if not run.selected:
        return
    if run.bad_input:
        run.close()
        return
    try:
        status = run.finish(session, int(exitstatus))
    finally:
        run.close()
    if status is not None:
        session.exitstatus = status


def pytest_unconfigure(config: pytest.Config) -> None:
    """Once pytest has written its JUnit file: add the gate's rules to it (one test case per
    rule), then log the run to MLflow when --mlflow asks for it."""
    run = config.stash.get(_RUN, None)
    if run is None or not run.selected or run.bad_input:
        return
    run.after_junit(getattr(config.option, "xmlpath", None))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Say where the results are and what the gate decided."""
    run = config.stash[_RUN]
    for line in run.report:
        terminalreporter.write_line(f"sqlgate: {line}")


class EvaluationRun:
    """The state of one evaluation session: inputs, answers, scores, outputs."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.perf_counter()
        self.selected: dict[str, GoldenExample] = {}
        self.deselected = 0
        self.report: list[str] = []
        self._eval_set: EvalSet | None = None
        self._predictions: dict[str, Prediction | None] | None = None
        self._engine = None
        self._scoring: EvalScoring | None = None  # the one scoring path (harness.scoring.run)
        self._backends: list = []
        self._cache = None
        self._guardrail: dict | None = None  # summary.guardrail, when --guardrail is on
        self._verdict: dict | None = None  # verdict.json as the gate wrote it, read once
        self.bad_input = False  # an input file was refused before anything ran

    def option(self, name: str):
        return self.config.getoption(name)

    @property
    def candidate(self) -> str:
        return self.option("candidate")

    @property
    def out_dir(self) -> Path:
        given = self.option("sqlgate_out")
        return Path(given) if given else self.config.rootpath / "reports" / self.candidate

    def check_options(self) -> None:
        """Refuse an evaluation that lacks what it needs, before anything runs."""
        candidate = self.candidate
        if not candidate:
            raise pytest.UsageError("the sqlgate suites need --candidate NAME")
        if not _CANDIDATE.fullmatch(candidate):
            raise pytest.UsageError(f"--candidate {candidate!r}: use letters, digits, '.', "
                                    "'_' and '-' (it names a report directory)")
        from harness.engines import engine_spec

        engine = self.option("engine")
        missing = engine_spec(engine).missing(self._engine_options())
        if missing:
            raise pytest.UsageError(f"--engine {engine} needs {' and '.join(missing)}")

    def _engine_options(self):
        """The engine's options from the command line; a served model's name defaults to the
        candidate's."""
        from harness.engines import EngineOptions

        predictions = self.option("predictions")
        return EngineOptions(
            predictions=Path(predictions) if predictions else None,
            model=self.option("model") or (
                self.candidate if self.option("engine") == "openai" else None),
            base_url=self.option("base_url"), concurrency=self.option("concurrency"),
            timeout_s=self.option("request_timeout"),
            eval_set=self._eval_set if self._eval_set is not None else None)

    def eval_set(self) -> EvalSet:
        """The eval sets given (or the default ones), merged; loaded once."""
        if self._eval_set is None:
            self._eval_set = self._load_eval_sets()
        return self._eval_set

    def _load_eval_sets(self) -> EvalSet:
        from harness.inputs.golden import EvalSet, load_eval_set
        from harness.io.errors import InputError

        root = self.config.rootpath
        paths = self.option("eval_set") or [
            str(root / p) for p in GOLDEN_SETS if (root / p).exists()]
        if not paths:
            raise pytest.UsageError("no eval set: pass --eval-set E.jsonl")
        try:
            sets = [load_eval_set(p) for p in paths]
        except (InputError, OSError) as exc:
            raise pytest.UsageError(str(exc)) from exc
        seen: dict[str, str] = {}
        for eval_set in sets:
            for example in eval_set.examples:
                if example.id in seen:
                    raise pytest.UsageError(f"example id {example.id!r} is in both "
                                            f"{seen[example.id]} and {eval_set.path}")
                seen[example.id] = eval_set.path
        if len(sets) == 1:
            return sets[0]
        # Several files are one eval set: identified by their hashes, in the order given.
        import hashlib

        digest = hashlib.sha256("\n".join(s.sha256 for s in sets).encode()).hexdigest()
        return EvalSet(path=", ".join(s.path for s in sets), sha256=digest,
                       examples=tuple(e for s in sets for e in s.examples))

    def score(self, example: GoldenExample) -> ExampleScore:
        """The example's score, computed the first time any suite asks for it."""
        self._prepare()
        return self._scoring.score(example)

    def _prepare(self) -> None:
        """Generate every selected example's answer in one batch and open the backends.

        A failure here ends the session (status 2 for bad input, 3 otherwise; results.json
        incomplete): every item would fail the same way, and a rerun resumes from the
        generation cache.
        """
        if self._scoring is not None:
            return
        from harness.io.errors import InputError

        try:
            self._setup()
        except InputError as exc:  # bad input (file:line: field): status 2, as `sqlgate gate`
            self.bad_input = True  # nothing was evaluated: no results.json, no verdict
            pytest.exit(f"sqlgate: bad input: {redact(exc.render())}", returncode=2)
        except Exception as exc:  # noqa: BLE001 — reported whole, then the session ends
            self.report.append("setup failed:\n" + traceback.format_exc())
            pytest.exit(f"sqlgate: the evaluation could not start: {type(exc).__name__}: {exc}",
                        returncode=pytest.ExitCode.INTERNAL_ERROR)

    def _setup(self) -> None:
        from harness.engines import engine_spec
        from harness.engines.cache import CachedEngine, GenerationCache
        from harness.inputs.catalog import load_catalog
        from harness.scoring.gold_cache import GoldCache
        from harness.scoring.run import EvalScoring, duckdb_backends, oracle_backends
        from harness.scoring.scorer import Scorer

        catalog = load_catalog()
        engine_name = self.option("engine")
        self.eval_set()
        engine = engine_spec(engine_name).build(self._engine_options())
        self._engine = engine
        examples = list(self.selected.values())
        if engine_spec(engine_name).recorded:
            # The file's own records (ids checked against the eval set when it was loaded),
            # with whatever they carry: token counts, timings, an `engine_error`.
            self._predictions = {e.id: engine.predictions.get(e.id) for e in examples}
        else:
            prompts = [self._prompt(e, catalog) for e in examples]
            if not self.option("no_generation_cache"):
                directory = self.option("generation_cache") or _default_generation_cache()
                self._cache = GenerationCache(Path(directory) / self.candidate)
                engine = CachedEngine(engine, self._cache)
            self._predictions = (self._answers_through_guardrail(engine, examples, prompts,
                                                                 catalog)
                                 if self.option("guardrail")
                                 else self._answers(engine, examples, prompts))
        self._backends = (oracle_backends() if self.option("backend") == "oracle"
                          else duckdb_backends(catalog, self.option("instances"), False))
        self._scoring = EvalScoring(self.eval_set(), Scorer(catalog, self._backends, GoldCache()),
                                    self._predictions)

    def _answers(self, engine, examples: list[GoldenExample], prompts: list[str]
                 ) -> dict[str, Prediction]:
        """One answer per example. Requests that exhausted their retries are the
        infrastructure's failure, not the model's: their examples carry `engine_error` (scored
        `infra_error`, the run incomplete, the gate says rerun); finished answers are kept."""
        from harness.engines import EngineError
        from harness.inputs.golden import Prediction

        failure = "engine gave no answer"
        try:
            generations = engine.generate(prompts, self._sampling())
        except EngineError as exc:
            if len(exc.partial) != len(prompts):
                raise
            generations, failure = exc.partial, f"engine gave no answer: {exc}"
            self.report.append(f"{sum(g is None for g in generations)} request(s) failed; "
                               "their examples are infra_error: rerun to complete the run")
        return {e.id: Prediction(id=e.id, engine_error=failure) if g is None else Prediction(
                    id=e.id, sql=g.text, prompt_tokens=g.prompt_tokens,
                    completion_tokens=g.completion_tokens, seconds=g.seconds, ttft_s=g.ttft_s)
                for e, g in zip(examples, generations, strict=True)}

    def _answers_through_guardrail(self, engine, examples: list[GoldenExample],
                                   prompts: list[str], catalog) -> dict[str, Prediction]:
        """As served: the guardrail checks each answer and retries once with the errors; the
        retries go through the same (cached) engine. Sets summary.guardrail's figures."""
        from harness.inputs.golden import Prediction
        from harness.serving.guardrail import guardrail_summary, run_batch_with_guardrail

        answers = run_batch_with_guardrail(engine, prompts, catalog=catalog,
                                           org_policies=[e.org_policy for e in examples],
                                           params=self._sampling())
        self._guardrail = guardrail_summary(a.record() for a in answers)
        return {e.id: Prediction(id=e.id, sql=a.raw if a.sql is None else a.sql,
                                 guardrail=a.record())
                for e, a in zip(examples, answers, strict=True)}

    def _sampling(self):
        """Greedy decoding with the run's answer budget (production: 512 tokens)."""
        from harness.engines import SamplingParams

        return SamplingParams(max_new_tokens=self.option("max_new_tokens"))

    def _prompt(self, example: GoldenExample, catalog) -> str:
        """The user turn: the example's own context if it has one, else the retriever's."""
        from harness.prompting.prompts import evaluation_prompt

        return evaluation_prompt(example, catalog, self.option("prompt_style"))

    def finish(self, session: pytest.Session, exitstatus: int) -> int | None:
        """Write the outputs and run the gate; the exit status to use, or None for pytest's."""
        from harness.io.atomic import write_text_atomic
        from harness.io.redact import redact_data

        out = self.out_dir
        results = self._results(session, exitstatus)
        results_path = out / "results.json"
        write_text_atomic(results_path,
                          json.dumps(redact_data(results), indent=1, default=str) + "\n")
        self.report.append(f"results: {results_path} ({len(results['examples'])} examples, "
                           f"complete: {results['summary']['run']['complete']})")
        if self._predictions is not None:
            lines = [json.dumps(redact_data(p.model_dump()), ensure_ascii=False)
                     for p in self._predictions.values() if p is not None]
            write_text_atomic(out / "predictions.jsonl", "".join(f"{x}\n" for x in lines))
        status = None
        if self.option("gate"):
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:  # the gate prints its verdict table below this rule
                reporter.write_sep("=", "sqlgate gate")
            gate_status = self._gate(results_path, out)
            if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
                status = gate_status
        self._scorecard(results, out)
        return status

    def _results(self, session: pytest.Session, exitstatus: int) -> dict:
        """results.json: the ScoreRun of the scored examples, with this suite run's facts."""
        from harness.scoring.results import CacheCounts
        from harness.scoring.run import ScoreRun, SuiteFacts

        eval_set = self.eval_set()
        stopped = bool(session.shouldstop or session.shouldfail) or exitstatus not in (
            pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        latency = self.config.stash.get(LATENCY_KEY, None)
        if latency is not None:
            from harness.serving.latency import gate_summary

            latency = gate_summary(latency)
        facts = dict(
            # a replayed file with unknown ids is refused at setup: none to report
            suite=SuiteFacts(
                candidate=self.candidate, engine=self.option("engine"),
                engine_fingerprint=self._engine.fingerprint if self._engine else None,
                deselected=self.deselected, stopped=stopped,
                generation_cache=None if self._cache is None else CacheCounts(
                    hits=self._cache.hits, misses=self._cache.misses)),
            guardrail=self._guardrail, latency=latency)
        seconds = time.perf_counter() - self.started
        run = (self._scoring.run(seconds=seconds, **facts) if self._scoring is not None
               # nothing was scored (every item skipped or deselected): an empty run
               else ScoreRun.collect(eval_set, [], None, backend=self.option("backend"),
                                     seconds=seconds, **facts))
        return run.to_json()

    def _gate(self, results_path: Path, out: Path) -> int:
        """The gate's exit code; verdict.json is written beside results.json."""
        from harness.gate.command import gate_command

        verdict = out / "verdict.json"
        verdict.unlink(missing_ok=True)  # a gate that fails on bad input writes none
        baseline = self.option("baseline")
        code = int(gate_command(results_path, Path(self.option("gate")),
                                Path(baseline) if baseline else None, verdict))
        self._verdict = (json.loads(verdict.read_text(encoding="utf-8"))
                         if verdict.exists() else None)
        self.report.append(f"gate {self.option('gate')}: exit status {code} "
                           "(the gate's verdict, not the per-example failures)")
        return code

    def _scorecard(self, results: dict, out: Path) -> None:
        """scorecard.html beside results.json, with the verdict and baseline when there are."""
        from harness.report.scorecard import write_scorecard

        verdict = self._verdict
        baseline = self.option("baseline")
        baseline_results = (json.loads(Path(baseline).read_text(encoding="utf-8"))
                            if baseline else None)
        write_scorecard(results, out / "scorecard.html", verdict=verdict,
                        baseline=baseline_results, latency=self.config.stash.get(LATENCY_KEY, None))
        self.report.append(f"scorecard: {out / 'scorecard.html'}")

    def after_junit(self, junit_path: str | None) -> None:
        """The gate's rules into the JUnit file, and the MLflow run, once both files exist."""
        out = self.out_dir
        verdict_path = out / "verdict.json"
        verdict = self._verdict
        if junit_path and verdict is not None and Path(junit_path).exists():
            from harness.report.junit import add_gate_cases

            add_gate_cases(Path(junit_path), verdict)
        if self.option("mlflow"):
            from harness.report.tracking import log_evaluation

            manifest = self.option("manifest") or (
                self.config.rootpath / "candidates" / self.candidate / "manifest.json")
            run_id = log_evaluation(
                out / "results.json", verdict_path if verdict is not None else None,
                policy=Path(self.option("gate")) if self.option("gate") else None,
                candidate=self.candidate, manifest=Path(manifest),
                artifacts=[p for p in (out / "scorecard.html", Path(junit_path or ""))
                           if p.is_file()])
            print(f"sqlgate: MLflow run {run_id}")

    def close(self) -> None:
        """Close the execution backends."""
        for backend in self._backends:
            backend.close()
        self._backends = []


def _default_generation_cache() -> Path:
    from harness.io.cache_dir import cache_root

    return cache_root() / "generations"


_RUN = pytest.StashKey[EvaluationRun]()
# The latency suite leaves its gated measurements here; results.json carries them.
LATENCY_KEY = pytest.StashKey[dict]()

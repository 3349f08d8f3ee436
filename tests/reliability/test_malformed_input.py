"""Malformed input: hypothesis-mutated golden sets, predictions, catalog YAML, gate policies,
results and registry manifests each load or fail with one InputError naming the file; the CLI
turns every such case into one line on stderr and exit code 2, without a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.gate.policy import load_policy
from harness.gate.promotion import load_manifest
from harness.inputs.catalog import load_catalog
from harness.inputs.golden import Prediction, load_eval_set, load_predictions
from harness.io.errors import InputError
from harness.scoring.results import load_results

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures" / "examples"
HUGE = "x" * 10_000_000
RESULTS_SEED = json.dumps({"summary": {"examples": 1, "run": {"complete": True}},
                           "examples": [{"id": "a", "correct": True, "status": "correct"}]})
MANIFEST_SEED = json.dumps({"id": "cand", "base_model": "m", "adapter_sha256": "ab",
                            "artifact_paths": {"adapter": "a"}})
# One fuzzed file per loader; `load` reads the mutated file at `path`.
SEEDS = {
    "golden": (EXAMPLE / "eval.jsonl").read_bytes(),
    "predictions": (EXAMPLE / "predictions.jsonl").read_bytes(),
    "catalog": (ROOT / "fixtures" / "ebs" / "catalog" / "ap.yaml").read_bytes(),
    "policy": (ROOT / "gates" / "release.toml").read_bytes(),
    "results": RESULTS_SEED.encode(),
    "manifest": MANIFEST_SEED.encode(),
}
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A scratch tree: a copy of the catalog and a registry with one candidate."""
    root = tmp_path_factory.mktemp("malformed")
    shutil.copytree(ROOT / "fixtures" / "ebs", root / "ebs")
    (root / "registry" / "candidates" / "cand").mkdir(parents=True)
    return root


def _target(workdir: Path, loader: str) -> tuple[Path, object]:
    """Where the mutated file goes and how to load it."""
    if loader == "catalog":
        return workdir / "ebs" / "catalog" / "ap.yaml", lambda: load_catalog(workdir / "ebs")
    if loader == "manifest":
        return (workdir / "registry" / "candidates" / "cand" / "manifest.json",
                lambda: load_manifest("cand", workdir / "registry"))
    path = workdir / f"input.{loader}"
    return path, {"golden": lambda: load_eval_set(path),
                  "predictions": lambda: load_predictions(path),
                  "policy": lambda: load_policy(path),
                  "results": lambda: load_results(path)}[loader]


def _mutate(seed: bytes, data: st.DataObject) -> bytes:
    kind = data.draw(st.sampled_from(["truncate", "insert", "nul", "invalid_utf8", "value",
                                      "unknown_field", "duplicate_line", "drop_line"]))
    at = data.draw(st.integers(0, len(seed)))
    lines = seed.splitlines(keepends=True)
    line = data.draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "truncate":
        return seed[:at]
    if kind == "insert":
        return seed[:at] + data.draw(st.binary(min_size=1, max_size=20)) + seed[at:]
    if kind == "nul":
        return seed[:at] + b"\x00" + seed[at:]
    if kind == "invalid_utf8":
        return seed[:at] + b"\xff\xc3" + seed[at:]
    if kind == "value":
        # A plausible token of the wrong type where a value stood.
        token = data.draw(st.sampled_from([b"[]", b"{}", b"true", b"-1", b"1e309", b"null",
                                           b'"x"', b"[[[]]]", b"\"\\ud800\""]))
        for sep in (b": ", b"= ", b":"):
            pos = seed.find(sep, at)
            if pos >= 0:
                end = pos + len(sep)
                stop = min((i for i in (seed.find(b",", end), seed.find(b"\n", end))
                            if i >= 0), default=len(seed))
                return seed[:end] + token + seed[stop:]
        return seed + token
    if kind == "unknown_field":
        if seed.lstrip().startswith(b"{"):
            return seed.replace(b"{", b'{"zzz_unknown": 1, ', 1)
        return seed + b"\nzzz_unknown: 1\n" if b": " in seed[:200] else seed + b"\nzzz = 1\n"
    if kind == "duplicate_line":
        return b"".join(lines[:line + 1] + lines[line:])
    return b"".join(lines[:line] + lines[line + 1:])


def _check(loader: str, path: Path, load) -> None:
    """Either it loads, or one InputError whose one-line message names the file."""
    try:
        load()
    except InputError as exc:
        message = exc.render()
        assert "\n" not in message.strip(), message
        assert exc.path and Path(exc.path).name in message
        if loader in ("golden", "predictions") and "no examples" not in message:
            assert exc.line is not None, message


@pytest.mark.parametrize("loader", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_mutated_files_load_or_fail_with_one_line(loader, data, workdir, fuzz_counts):
    path, load = _target(workdir, loader)
    try:
        path.write_bytes(_mutate(SEEDS[loader], data))
        _check(loader, path, load)
        fuzz_counts[loader] += 1
    finally:
        path.write_bytes(SEEDS[loader])


def _deep(loader: str) -> bytes:
    if loader in ("golden", "predictions", "results", "manifest"):
        return b"[" * 100_000 + b"]" * 100_000
    if loader == "policy":
        return b"a = " + b"[" * 5000 + b"]" * 5000
    return b"a: " + b"[" * 5000 + b"]" * 5000


def _huge(loader: str) -> bytes:
    if loader in ("golden", "predictions"):
        return json.dumps({"id": "a", "sql": HUGE, "question": HUGE}).encode() + b"\n"
    if loader == "policy":
        return f'[policy]\nname = "{HUGE}"\nversion = 1\n'.encode()
    if loader == "catalog":
        return f"module: {HUGE}\n".encode()
    return json.dumps({"summary": {"x": HUGE}, "examples": [], "id": HUGE}).encode()


@pytest.mark.parametrize("loader", sorted(SEEDS))
@pytest.mark.parametrize("case", ["deep_nesting", "10MB_string", "empty", "wrong_top_type",
                                  "duplicate_ids"])
def test_pathological_files(loader, case, workdir, fuzz_counts):
    path, load = _target(workdir, loader)
    content = {"deep_nesting": _deep, "10MB_string": _huge,
               "empty": lambda _: b"",
               "wrong_top_type": lambda _: b"[1, 2, 3]\n",
               "duplicate_ids": lambda _: SEEDS[loader].splitlines(keepends=True)[0] * 2,
               }[case](loader)
    try:
        path.write_bytes(content)
        _check(loader, path, load)
        fuzz_counts[loader] += 1
    finally:
        path.write_bytes(SEEDS[loader])


def test_duplicate_ids_are_refused_with_both_lines(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "sql": "x"}\n{"id": "a", "sql": "y"}\n')
    with pytest.raises(InputError, match=r"p.jsonl:2: id: duplicate id 'a' \(first on line 1\)"):
        load_predictions(path)


def test_deeply_nested_sql_is_a_parse_error_not_a_crash(backends, catalog, fuzz_counts):
    from harness.inputs.golden import load_eval_set
    from harness.scoring.gold_cache import GoldCache
    from harness.scoring.scorer import Scorer

    example = load_eval_set(EXAMPLE / "eval.jsonl").examples[0]
    scorer = Scorer(catalog, backends[:1], GoldCache())
    for sql in ("SELECT " + "(" * 5000 + "1" + ")" * 5000 + " FROM DUAL",
                "SELECT 1 FROM DUAL WHERE " + "NOT " * 5000 + "1 = 1"):
        score = scorer.score(example, Prediction(id=example.id, sql=sql))
        assert score.status not in ("harness_error", "correct"), score.reason
        fuzz_counts["scorer_deep_sql"] += 1


def test_a_20000_term_flat_expression_is_refused_not_a_crash(backends, catalog):
    from harness.inputs.golden import load_eval_set
    from harness.scoring.gold_cache import GoldCache
    from harness.scoring.scorer import Scorer

    example = load_eval_set(EXAMPLE / "eval.jsonl").examples[0]
    scorer = Scorer(catalog, backends[:1], GoldCache())
    sql = "SELECT " + " + ".join(["1"] * 20000) + " FROM DUAL"  # parses: a left-deep chain
    score = scorer.score(example, Prediction(id=example.id, sql=sql))
    assert score.status == "unsupported", score.reason
    assert "nested" in score.reason


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", ["eval_nul", "predictions_bad_utf8", "policy_deep",
                                  "results_truncated", "catalog_wrong_type", "manifest_unknown"])
def test_cli_exits_2_with_one_line(case, tmp_path, fuzz_counts):
    good_eval, good_pred = EXAMPLE / "eval.jsonl", EXAMPLE / "predictions.jsonl"
    bad = tmp_path / "bad"
    out = str(tmp_path / "r.json")
    if case == "eval_nul":
        bad.write_bytes(good_eval.read_bytes().replace(b"Vision", b"Vis\x00ion", 1))
        args = ["score", "--eval-set", str(bad), "--predictions", str(good_pred), "--out", out]
    elif case == "predictions_bad_utf8":
        bad.write_bytes(good_pred.read_bytes() + b'{"id": "\xff"}\n')
        args = ["score", "--eval-set", str(good_eval), "--predictions", str(bad), "--out", out]
    elif case == "policy_deep":
        bad.write_bytes(_deep("policy"))
        args = ["gate", "--results", str(bad), "--policy", str(bad)]
    elif case == "results_truncated":
        bad.write_text(RESULTS_SEED[:40])
        args = ["gate", "--results", str(bad), "--policy", str(ROOT / "gates" / "smoke.toml")]
    elif case == "catalog_wrong_type":
        shutil.copytree(ROOT / "fixtures" / "ebs", tmp_path / "ebs")
        ap = tmp_path / "ebs" / "catalog" / "ap.yaml"
        ap.write_text(ap.read_text().replace("tables:", "tables: 7\nx_tables:", 1))
        args = ["catalog", "--dir", str(tmp_path / "ebs")]
    else:
        manifest = tmp_path / "reg" / "candidates" / "c" / "manifest.json"
        manifest.parent.mkdir(parents=True)
        manifest.write_text('{"id": "c", "base_model": "m", "zzz": 1}')
        args = ["promote", "c", "--registry", str(tmp_path / "reg"), "--policy",
                str(ROOT / "gates" / "smoke.toml")]
    done = _cli(*args)
    output = (done.stderr + done.stdout).strip()
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    assert "bad" in output or "ap.yaml" in output or "manifest.json" in output
    fuzz_counts["cli"] += 1

"""nox sessions of sqlgate: `nox -s lint tests` checks it, `nox -s demo` shows it working."""

from __future__ import annotations

import json
from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

EXAMPLE = "fixtures/examples"
# The candidate `package` built in this nox run ({id, dir, quantized}), for `evaluate`.
PACKAGED: dict[str, str] = {}


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


# Every version the test environment installs, pinned: CI and `nox -s tests` install from it so
# a release of a dependency cannot turn a fresh clone red overnight. `nox -s lock` refreshes it
# on purpose; `nox -s tests_newest` runs the same tests on the newest versions the pyproject
# ranges allow, so drift shows up in CI before a user meets it.
CONSTRAINTS = "constraints.txt"


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite of sqlgate itself (unit, property, integration); CPU only, pinned versions."""
    session.install("-c", CONSTRAINTS, "-e", ".[dev]")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session
def tests_newest(session: nox.Session) -> None:
    """The same tests on the newest dependency versions pyproject.toml allows (no constraints)."""
    session.install("--upgrade", "--upgrade-strategy", "eager", "-e", ".[dev]")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session(reuse_venv=False)
def lock(session: nox.Session) -> None:
    """Rewrite constraints.txt from a fresh install of `.[dev]` at the newest allowed versions."""
    session.install("-e", ".[dev]")
    frozen = session.run("python", "-m", "pip", "freeze", "--exclude-editable", silent=True)
    # A local label (torch's "+cpu") is dropped: "==2.13.0" still matches the CPU build where
    # it lies on disk, and a machine without that file can resolve the pin at all.
    pins = sorted(line.split("+", 1)[0] for line in frozen.splitlines()
                  if "==" in line and not line.lower().startswith("sqlgate"))
    Path(CONSTRAINTS).write_text(
        "# Pinned test environment: written by `nox -s lock`, installed by `nox -s tests`.\n"
        + "\n".join(pins) + "\n")
    session.log(f"{CONSTRAINTS}: {len(pins)} pins")


@nox.session
def demo(session: nox.Session) -> None:
    """Score the shipped example predictions on the embedded test suite (the main job)."""
    session.install("-e", ".")
    session.run("sqlgate", "catalog")
    session.run(
        "sqlgate", "score",
        "--eval-set", f"{EXAMPLE}/eval.jsonl",
        "--predictions", f"{EXAMPLE}/predictions.jsonl",
        "--out", "reports/example/results.json",
    )
    # The example model is weak on purpose: the gate fails it (exit 1), and the scorecard
    # shows that verdict with its reasons. Only bad input (2) or a harness error fails the demo.
    session.run(
        "sqlgate", "gate",
        "--results", "reports/example/results.json",
        "--policy", "gates/offline.toml",
        "--out", "reports/example/verdict.json",
        "--html", "reports/example/scorecard.html",
        success_codes=[0, 1],
    )


# What `nox -s evaluate` installs for engines needing more than the core ([train] brings
# compressed-tensors, which transformers needs to load pipeline.quantize's candidates).
ENGINE_INSTALL = {"hf": [".[train]"], "vllm": [".[serve]"]}


def _option(args: list[str], name: str) -> str | None:
    """The value of `--name V` or `--name=V` in a pytest command line, or None."""
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


@nox.session
def evaluate(session: nox.Session) -> None:
    """Evaluate one candidate with the suites and gate it; the session fails unless it passes.

    `nox -s evaluate -- --candidate NAME --engine replay --predictions P.jsonl
    --gate gates/release.toml [--baseline B.json]` (any option of harness.pytest_plugin, and
    pytest's own). Without arguments: the shipped example under gates/smoke.toml. After
    `package` in the same nox run (`nox -s train package evaluate`): the candidate it built,
    with the hf engine under gates/smoke.toml (other flags were the recipe's). Writes
    reports/<candidate>/ results.json, junit.xml, predictions.jsonl and, with a gate,
    verdict.json and scorecard.html. nox reports any non-zero status (gate failed: 1, bad gate
    input: 2, harness error: 3+) as a failed session.
    """
    if PACKAGED:
        # `nox -s train package evaluate [-- recipe flags]`: the candidate just packaged; the
        # command-line flags were the recipe's, not pytest's.
        args = ["--candidate", PACKAGED["id"], "--engine", "hf", "--model", PACKAGED["quantized"],
                "--gate", "gates/smoke.toml"]
    else:
        args = list(session.posargs) or [
            "--candidate", "example", "--engine", "replay",
            "--predictions", f"{EXAMPLE}/predictions.jsonl", "--eval-set",
            f"{EXAMPLE}/eval.jsonl", "--gate", "gates/smoke.toml",
        ]
    candidate = _option(args, "--candidate")
    if not candidate:
        session.error("evaluate needs --candidate NAME (see `nox -s evaluate` docstring)")
    session.install("-e", *ENGINE_INSTALL.get(_option(args, "--engine") or "replay", ["."]))
    out = _option(args, "--sqlgate-out") or f"reports/{candidate}"
    session.run("pytest", "suites", f"--junitxml={out}/junit.xml", *args)


# What `nox -s train package` installs: sqlgate with its training extra (DeepSpeed, for
# multi-GPU hosts, is the separate [deepspeed] extra).
TRAIN_INSTALL = ["-e", ".[train]"]
TINY_RECIPE = "pipeline/configs/tiny.yaml"


def _recipe_args(session: nox.Session) -> list[str]:
    """`--recipe R` plus any training flags from the command line (default: the tiny recipe)."""
    args = list(session.posargs)
    return args if _option(args, "--recipe") else ["--recipe", TINY_RECIPE, *args]


@nox.session
def train(session: nox.Session) -> None:
    """Dataset → (tiny tokenizer and base) → LoRA SFT; `nox -s train -- --recipe R [flags]`.

    Without arguments: the tiny recipe on CPU. Multi-GPU recipes are launched with accelerate
    (docs/pipeline.md); this session runs the single-process command.
    """
    session.install(*TRAIN_INSTALL)
    session.run("python", "-m", "pipeline.train", *_recipe_args(session))


@nox.session
def package(session: nox.Session) -> None:
    """Merge → quantize → candidates/<id>/ (manifest, vllm_config.yaml); same --recipe."""
    session.install(*TRAIN_INSTALL)
    recipe = _option(list(session.posargs), "--recipe") or TINY_RECIPE
    summary = Path(session.create_tmp()) / "packaged.json"
    summary.unlink(missing_ok=True)
    session.run("python", "-m", "pipeline.candidate", "--recipe", recipe,
                "--summary", str(summary))
    PACKAGED.update(json.loads(summary.read_text()))


@nox.session
def serve(session: nox.Session) -> None:
    """Plan and launch vLLM for a candidate: `nox -s serve -- MODEL_DIR [--quantization awq]`."""
    session.install("-e", ".[serve,proxy]")
    session.run("sqlgate", "vllm-config", *session.posargs, "--launch")

"""nox sessions of sqlgate: `nox -s lint tests` checks it, `nox -s demo` shows it working."""

from __future__ import annotations

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

EXAMPLE = "fixtures/examples"


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite of sqlgate itself (unit, property, integration); CPU only."""
    session.install("-e", ".[dev]")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    session.run("pytest", *(session.posargs or ["-q"]))


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
        "--html", "reports/example/scorecard.html",
    )

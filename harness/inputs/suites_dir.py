"""Where the evaluation suites (`suites/`, pytest files) and the shipped golden sets are, for
`sqlgate evaluate` and `sqlgate prompts` run from a clone."""

from __future__ import annotations

import os
from pathlib import Path

from harness.io.errors import InputError


def suites_dir() -> Path:
    """``$SQLGATE_SUITES``, else ``suites/`` beside the installed harness package (a clone or an
    editable install), else ``./suites``; InputError when none holds the suites."""
    candidates = [Path(p) for p in (os.environ.get("SQLGATE_SUITES"),) if p]
    candidates += [Path(__file__).resolve().parents[2] / "suites", Path.cwd() / "suites"]
    for candidate in candidates:
        if (candidate / "test_accuracy.py").is_file():
            return candidate
    raise InputError(candidates[0], "the evaluation suites (suites/test_accuracy.py) are not "
                     "there: run from a clone of sqlgate or set SQLGATE_SUITES")


# The whole shipped golden suite: the default of every evaluation (suites, prompts, evaluate).
GOLDEN_SETS = ("fixtures/golden/ebs_core.jsonl", "fixtures/golden/ebs_unanswerable.jsonl")


def default_eval_sets() -> list[Path]:
    """The whole shipped golden suite, beside the suites (the default of an evaluation)."""
    root = suites_dir().parent
    paths = [root / p for p in GOLDEN_SETS]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputError(missing[0], "the shipped golden set is not there; pass --eval-set")
    return paths

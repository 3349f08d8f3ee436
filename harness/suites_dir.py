"""Where the evaluation suites (`suites/`, pytest files) are, for `sqlgate evaluate`."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import InputError


def suites_dir() -> Path:
    """``$SQLGATE_SUITES``, else ``suites/`` beside the installed harness package (a clone or an
    editable install), else ``./suites``; InputError when none holds the suites."""
    candidates = [Path(p) for p in (os.environ.get("SQLGATE_SUITES"),) if p]
    candidates += [Path(__file__).resolve().parent.parent / "suites", Path.cwd() / "suites"]
    for candidate in candidates:
        if (candidate / "test_accuracy.py").is_file():
            return candidate
    raise InputError(candidates[0], "the evaluation suites (suites/test_accuracy.py) are not "
                     "there: run from a clone of sqlgate or set SQLGATE_SUITES")

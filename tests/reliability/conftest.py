"""Fixtures of the reliability tests: the count of fuzz cases tried, written once a session."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

COUNTS_FILE = Path(__file__).resolve().parents[2] / "reports" / "test-artifacts" / "fuzz_counts.json"


@pytest.fixture(scope="session")
def fuzz_counts():
    """loader -> number of malformed inputs tried; saved at the end for the report."""
    counts: Counter[str] = Counter()
    yield counts
    COUNTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    COUNTS_FILE.write_text(json.dumps({"total": sum(counts.values()), **dict(sorted(
        counts.items()))}, indent=1) + "\n", encoding="utf-8")

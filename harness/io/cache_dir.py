"""Where sqlgate keeps its caches: `$SQLGATE_CACHE_DIR`, else `<repo>/.cache/sqlgate`."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The root of every cache (test-suite databases, gold results, generations)."""
    env = os.environ.get("SQLGATE_CACHE_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / ".cache" / "sqlgate"

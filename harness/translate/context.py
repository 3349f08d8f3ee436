"""State shared by one translation: settings, the schema, and facts collected on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .kinds import Kind, Storage


@dataclass
class Context:
    """Settings and accumulated facts for translating one statement."""

    sysdate: datetime
    schema: dict[str, dict[str, Kind]]
    # How DuckDB stores the schema's NUMBER columns (table → column → storage), where known.
    storage: dict[str, dict[str, Storage]] = field(default_factory=dict)
    # Why the result may differ between runs (an arbitrary subset of rows was asked for).
    nondeterminism: list[str] = field(default_factory=list)
    _counter: int = 0

    def fresh(self, stem: str) -> str:
        """A new identifier that cannot clash with names in candidate SQL."""
        self._counter += 1
        return f"__SQLGATE_{stem.upper()}{self._counter}"

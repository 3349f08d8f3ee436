"""Oracle → DuckDB translation that is faithful or refuses (see docs/oracle-semantics.md)."""

from .api import PINNED_SYSDATE, Translation, translate
from .errors import UnsupportedConstruct

__all__ = ["PINNED_SYSDATE", "Translation", "UnsupportedConstruct", "translate"]

"""The allow-list: Oracle syntax nodes and function names the translator knows to be faithful.

Anything not registered here is refused (default deny). Handler modules register with
:func:`node` for sqlglot node classes and :func:`function` for Oracle function names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from .kinds import Typed

if TYPE_CHECKING:
    from .expressions import ExprTranslator

Handler = Callable[["ExprTranslator", exp.Expr], Typed]

NODE_HANDLERS: dict[type[exp.Expr], Handler] = {}
FUNCTION_HANDLERS: dict[str, Handler] = {}
# Aggregate functions (their presence makes a query block aggregating).
AGGREGATES: set[str] = set()


def node(*classes: type[exp.Expr]) -> Callable[[Handler], Handler]:
    """Register a handler for the given sqlglot node classes (exact class match)."""

    def register(handler: Handler) -> Handler:
        for cls in classes:
            NODE_HANDLERS[cls] = handler
        return handler

    return register


def function(*names: str, aggregate: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for the given Oracle function names (upper case)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            FUNCTION_HANDLERS[name] = handler
            if aggregate:
                AGGREGATES.add(name)
        return handler

    return register

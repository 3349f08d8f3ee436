"""Oracle regular expressions: REGEXP_LIKE, and REGEXP_SUBSTR/REPLACE on simple patterns.

Oracle uses POSIX-style matching and DuckDB uses RE2. Whether a match exists is the same for
both on the supported syntax, so REGEXP_LIKE is translated. Which text matches can differ
(leftmost-longest vs leftmost-first), so REGEXP_SUBSTR/REPLACE are translated only for
patterns with a single match length at each position: no alternation or groups, and a
variable-length quantifier only on the last atom.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct
from .expressions import literal_str
from .kinds import Kind, Typed
from .registry import function
from .strings import text_arg

if TYPE_CHECKING:
    from .expressions import ExprTranslator

_ATOM = r"(?:\\[dDwWsS.\\/\-^$*+?()\[\]{}|]|\[(?:\[:[a-z]+:\]|[^\]\\\[])+\]|\.|[^\\.\[\](){}|*+?^$])"
_QUANTIFIER = r"(?:[*+?]|\{\d+(?:,\d*)?\})"


def _check_pattern(pattern: str, *, simple: bool, what: str) -> None:
    if re.search(r"\\[1-9]", pattern):
        raise UnsupportedConstruct(what, "back-references are not supported by RE2")
    if re.search(r"\[[^\]]*\\", pattern):
        raise UnsupportedConstruct(what, "a backslash inside [...] differs between engines")
    if re.search(r"[*+?}]\?", pattern):
        raise UnsupportedConstruct(what, "non-greedy quantifiers")
    if not simple:
        return
    body = pattern[1:] if pattern.startswith("^") else pattern
    body = body[:-1] if body.endswith("$") and not body.endswith("\\$") else body
    pieces = re.findall(rf"({_ATOM})({_QUANTIFIER})?", body)
    if "".join(a + q for a, q in pieces) != body or not pieces:
        raise UnsupportedConstruct(what, "only simple patterns (no groups or alternation)")
    variable = [i for i, (_, q) in enumerate(pieces) if q and not re.fullmatch(r"\{\d+\}", q)]
    if any(i != len(pieces) - 1 for i in variable):
        raise UnsupportedConstruct(what, "a variable-length quantifier before the last atom")
    if all(q in ("*", "?") or q.startswith("{0") for _, q in pieces):
        raise UnsupportedConstruct(what, "a pattern that can match the empty string")


def _pattern(node: exp.Expr, *, simple: bool, what: str) -> str:
    pattern = literal_str(node)
    if pattern is None:
        raise UnsupportedConstruct(what, "the pattern must be a string literal")
    _check_pattern(pattern, simple=simple, what=what)
    return pattern


def _flags(node: exp.Expr | None, what: str) -> str:
    if node is None:
        return ""
    flags = literal_str(node)
    if flags is None or set(flags) - {"i", "c"}:
        raise UnsupportedConstruct(what, "only the match parameters 'i' and 'c'")
    # Of conflicting values Oracle uses the last one.
    return "i" if flags.endswith("i") else ""


@function("REGEXP_LIKE")
def _regexp_like(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    if not 2 <= len(node.expressions) <= 3:
        raise UnsupportedConstruct("REGEXP_LIKE", "takes 2 or 3 arguments")
    value = text_arg(tr, node.expressions[0], "REGEXP_LIKE")
    pattern = _pattern(node.expressions[1], simple=False, what="REGEXP_LIKE pattern")
    flags = _flags(node.expressions[2] if len(node.expressions) > 2 else None, "REGEXP_LIKE")
    args = [value, b.text(pattern)] + ([b.text(flags)] if flags else [])
    return Typed(b.call("regexp_matches", *args), Kind.BOOLEAN)


@function("REGEXP_SUBSTR")
def _regexp_substr(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    if len(node.expressions) != 2:
        raise UnsupportedConstruct("REGEXP_SUBSTR", "position/occurrence arguments unsupported")
    value = text_arg(tr, node.expressions[0], "REGEXP_SUBSTR")
    pattern = _pattern(node.expressions[1], simple=True, what="REGEXP_SUBSTR pattern")
    return Typed(b.nullif_empty(b.call("regexp_extract", value, b.text(pattern))), Kind.STRING)


@function("REGEXP_REPLACE")
def _regexp_replace(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    if not 2 <= len(node.expressions) <= 3:
        raise UnsupportedConstruct("REGEXP_REPLACE", "position/occurrence arguments unsupported")
    value = text_arg(tr, node.expressions[0], "REGEXP_REPLACE")
    pattern = _pattern(node.expressions[1], simple=True, what="REGEXP_REPLACE pattern")
    replacement = b.text("")
    if len(node.expressions) > 2:
        replacement_node = node.expressions[2]
        text = literal_str(replacement_node)
        if text is not None and "\\" in text:
            raise UnsupportedConstruct("REGEXP_REPLACE replacement", "back-references")
        replacement = b.call("coalesce", text_arg(tr, replacement_node, "REGEXP_REPLACE"),
                             b.text(""))
        if text is None and not isinstance(replacement_node, exp.Null | exp.Literal):
            raise UnsupportedConstruct("REGEXP_REPLACE replacement", "must be a literal")
    result = b.call("regexp_replace", value, b.text(pattern), replacement, b.text("g"))
    return Typed(b.nullif_empty(result), Kind.STRING)

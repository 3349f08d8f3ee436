"""Text similarity of SQL (exact match, ROUGE-L, BLEU): metrics secondary to execution accuracy.

These compare how a prediction is written, not what it returns; the gate decides on results
(harness.scoring.compare). Case follows Oracle: keywords and unquoted identifiers are compared
in upper case (Oracle folds unquoted identifiers to upper case), string literals and quoted
identifiers keep their case.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.tokens import Token, TokenType

from harness.sql.parsed import ParsedSql

_DIALECT = "oracle"
_MAX_REPRINTS = 4

# Model output is arbitrary text, and on some of it sqlglot fails with more than its own
# errors (AttributeError on `{:}`); any failure means "cannot parse", never a crashed metric.
_PARSER_FAILURES = (
    SqlglotError,
    AttributeError,
    IndexError,
    KeyError,
    TypeError,
    ValueError,
    RecursionError,
)

# Literal tokens keep their case; sqlglot gives their text without quotes or prefix.
_LITERAL_PREFIX = {
    TokenType.STRING: "",
    TokenType.RAW_STRING: "",  # Oracle q'[...]' quoting: the same value as a plain literal
    TokenType.HEREDOC_STRING: "",
    TokenType.NATIONAL_STRING: "N",
    TokenType.NATIONAL_RAW_STRING: "N",
    TokenType.UNICODE_STRING: "U&",
    TokenType.HEX_STRING: "X",
    TokenType.BIT_STRING: "B",
    TokenType.BYTE_STRING: "B",
}

# The fallback lexer, for text sqlglot cannot tokenize (an unterminated literal or comment).
# Unterminated literals and comments run to the end of the text.
_FALLBACK_TOKEN = re.compile(
    r"""
    (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<literal>[nN]?'(?:[^']|'')*(?:'|\Z))
    | (?P<quoted>"[^"]*(?:"|\Z))
    | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<word>[^\W\d]\w*(?:[$#]\w*)*)
    | (?P<operator><>|!=|\^=|<=|>=|\|\||:=|=>|\S)
    """,
    re.VERBOSE | re.DOTALL,
)


# The fallback upper-cases ASCII letters only: full Unicode upper-casing can split a word in
# two for the lexer (ΐ becomes Ι plus combining marks), and normalisation must be idempotent.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def normalize_sql(sql: str | ParsedSql) -> str:
    """Canonical text of `sql` for exact match.

    Parsed with sqlglot (Oracle dialect) and printed back without comments: keywords and
    unquoted identifiers in upper case, canonical whitespace, no trailing semicolon, optional
    `AS` before column aliases made explicit (the only alias difference normalised: dropping
    an alias or a table qualifier can change a query's meaning or its column names), and
    sqlglot's canonical spellings (e.g. `TRUNC(d)` as `TRUNC(d, 'DD')`). Quoted identifiers
    keep their quotes, even `"ABC"`, which Oracle treats as ABC, because unquoting one that
    is a reserved word would change the statement. The result is for comparison only; it is
    not always valid Oracle (MINUS prints as EXCEPT).

    Text that sqlglot cannot parse, keeps only as a raw command, or cannot read back once
    printed is normalised as tokens instead (the fallback lexer of `sql_tokens`): comments
    dropped, ASCII letters of words upper-cased, literals and quoted identifiers kept, one
    space between tokens, no trailing semicolon. If that text parses (a comment left open at
    the end was the only fault), sqlglot's printing of it is the result. Text holding nothing
    but comments (the refusal convention `-- UNANSWERABLE`) keeps its comments, whitespace
    collapsed, so that two different comments never compare equal. normalize_sql is
    idempotent: every result is a fixed point of one of these paths.

    Given ``ParsedSql``, its tree is printed instead of parsing the text again (not cached:
    a prediction is normalised once, by the scorer).
    """
    if isinstance(sql, ParsedSql):
        return _normalize(sql.text, sql)[0]
    return _normal_form(sql)[0]


@lru_cache(maxsize=8192)  # pure; golds are normalised once per run, not once per candidate
def _normal_form(sql: str) -> tuple[str, bool]:
    return _normalize(sql, None)


def _normalize(sql: str, parsed: ParsedSql | None,
               known: frozenset[str] = frozenset()) -> tuple[str, bool]:
    """`normalize_sql`, and whether the result is sqlglot's fixed point (it reads back and
    prints as itself) rather than a token text. ``known``: fixed points already found."""
    rendered = _render(sql, parsed, known)
    if rendered == "":
        return " ".join(sql.split()), False
    if rendered is not None:
        return rendered, True
    tokens = " ".join(_without_trailing_semicolons(_fallback_tokens(sql)))
    rendered = _render(tokens, known=known)
    return (tokens, False) if rendered is None else (rendered, True)


def exact_match(pred: str | ParsedSql, gold: str) -> bool:
    """True when the two statements have the same normalised text (`normalize_sql`)."""
    return exact_match_any(pred, [gold])


def exact_match_any(pred: str | ParsedSql, golds: Sequence[str]) -> bool:
    """`exact_match` against any of `golds`, the prediction normalised once.

    A prediction whose first printing is a gold's normal form that sqlglot reads back as
    itself has that normal form: its check that the printing reads back is the gold's."""
    forms = [_normal_form(gold) for gold in golds]
    if not isinstance(pred, ParsedSql):
        return normalize_sql(pred) in {form for form, _ in forms}
    known = frozenset(form for form, fixed in forms if fixed)
    return _normalize(pred.text, pred, known)[0] in {form for form, _ in forms}


def sql_tokens(sql: str | ParsedSql) -> list[str]:
    """Tokens of `sql` for the text metrics.

    sqlglot's Oracle tokenizer; keywords and unquoted identifiers upper-cased, literals with
    their quotes and case (`'Open'`, `N'x'`), quoted identifiers with their quotes, comments
    and trailing semicolons dropped. Text sqlglot cannot tokenize goes through a regular
    expression lexer that follows the same rules. Given ``ParsedSql``, its tokens are used.
    """
    if isinstance(sql, ParsedSql):
        tokens = (_fallback_tokens(sql.text) if sql.tokens is None
                  else [_token_text(t) for t in sql.tokens])
        return _without_trailing_semicolons(tokens)
    return list(_text_tokens(sql))


@lru_cache(maxsize=8192)  # golds are tokenized once per run, not twice per candidate
def _text_tokens(sql: str) -> tuple[str, ...]:
    try:
        tokens = [_token_text(t) for t in sqlglot.tokenize(sql, read=_DIALECT)]
    except _PARSER_FAILURES:
        tokens = _fallback_tokens(sql)
    return tuple(_without_trailing_semicolons(tokens))


def rouge_l(pred: str | ParsedSql, gold: str) -> float:
    """ROUGE-L F-measure (beta = 1) of `pred` against `gold` over `sql_tokens`.

    P = LCS / len(pred), R = LCS / len(gold), F = 2PR / (P + R), with LCS the length of the
    longest common subsequence. Two empty token lists score 1.0; one empty list scores 0.0.
    """
    candidate, reference = sql_tokens(pred), sql_tokens(gold)
    if not candidate and not reference:
        return 1.0
    lcs = _lcs_length(candidate, reference)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(candidate), lcs / len(reference)
    return 2 * precision * recall / (precision + recall)


def bleu(pred: str | ParsedSql, gold: str, max_n: int = 4) -> float:
    """Sentence BLEU of `pred` against the single reference `gold` over `sql_tokens`.

    Geometric mean of modified (clipped) n-gram precisions p_1..p_max_n with uniform weights,
    times the brevity penalty BP = 1 if c > r else exp(1 - r/c) (c, r: candidate and reference
    lengths). Smoothing: Lin & Och (2004) add-one, "smoothing 2" in Chen & Cherry (2014), as
    NLTK's `SmoothingFunction().method2`: for n >= 2, p_n = (matches + 1) / (candidate n-grams
    + 1); p_1 is not smoothed, so a prediction sharing no token with the gold scores 0. An
    empty prediction scores 0.0 (1.0 when the gold is empty too).
    """
    if max_n < 1:
        raise ValueError(f"max_n must be at least 1, got {max_n}")
    candidate, reference = sql_tokens(pred), sql_tokens(gold)
    if not candidate:
        return 1.0 if not reference else 0.0
    log_precision = 0.0
    for n in range(1, max_n + 1):
        candidate_grams, reference_grams = _ngrams(candidate, n), _ngrams(reference, n)
        matches = sum((candidate_grams & reference_grams).values())
        total = sum(candidate_grams.values())
        if n > 1:
            matches, total = matches + 1, total + 1
        if matches == 0:
            return 0.0
        log_precision += math.log(matches / total) / max_n
    c, r = len(candidate), len(reference)
    brevity = 0.0 if c > r else 1 - r / c
    return math.exp(log_precision + brevity)


def _token_text(token: Token) -> str:
    if token.token_type in _LITERAL_PREFIX:
        return _LITERAL_PREFIX[token.token_type] + "'" + token.text.replace("'", "''") + "'"
    if token.token_type == TokenType.IDENTIFIER:
        return '"' + token.text + '"'
    return token.text.upper()


def _fallback_tokens(sql: str) -> list[str]:
    tokens = []
    for match in _FALLBACK_TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if kind == "literal":
            tokens.append("N" + text[1:] if text[0] in "nN" else text)
        elif kind == "quoted":
            tokens.append(text)
        else:
            tokens.append(text.translate(_ASCII_UPPER))
    return tokens


def _render(sql: str, parsed: ParsedSql | None = None,
            known: frozenset[str] = frozenset()) -> str | None:
    """sqlglot's canonical text of the statements in `sql` ("" if there are none), or None
    when it cannot parse them, keeps one only as a raw command, or cannot read back what it
    printed.

    Printed and parsed again until the text stops changing: sqlglot's printing is not always
    a fixed point by itself (Oracle `0%0%0` prints as `MOD(MOD(0, 0), 0)`, which reprints
    with extra parentheses), and normalize_sql must be idempotent.
    ``parsed`` (the reading of ``sql``) stands in for the first parse; its trees are shared,
    so they are copied before identifiers are normalised. A printing in ``known`` (texts
    already seen to read back and print as themselves) ends the loop without reading it.
    """
    text = sql
    for attempt in range(_MAX_REPRINTS):
        if attempt == 0 and parsed is not None and parsed.as_written:
            if parsed.written is None:
                return None  # it did not parse
            statements = [s.copy() for s in parsed.written if s is not None]
        else:
            try:
                statements = [s for s in sqlglot.parse(text, read=_DIALECT) if s is not None]
            except _PARSER_FAILURES:
                return None
        if any(isinstance(s, exp.Command) for s in statements):
            return None
        # Each tree is this loop's own (a fresh parse or a copy), so printing need not
        # copy it again (sqlglot copies by default: a deep copy per statement).
        printed = "; ".join(
            normalize_identifiers(s, dialect=_DIALECT).sql(
                dialect=_DIALECT, comments=False, copy=False)
            for s in statements
        )
        if printed == text:
            return text
        if printed in known and attempt + 1 < _MAX_REPRINTS:
            return printed  # the next round would read it back as itself
        text = printed
    return None


def _without_trailing_semicolons(tokens: list[str]) -> list[str]:
    end = len(tokens)
    while end and tokens[end - 1] == ";":
        end -= 1
    return tokens[:end]


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of `a` and `b`.

    Bit-parallel (Hyyro 2004, after Allison & Dix 1986): one Python integer holds a row of the
    dynamic-programming table as bits, so each token of `a` costs a few big-integer operations
    instead of a loop over `b`; the result is the textbook O(len(a)*len(b)) table's.
    """
    if a == b:
        return len(a)
    positions: dict[str, int] = {}
    for j, y in enumerate(b):
        positions[y] = positions.get(y, 0) | (1 << j)
    full = (1 << len(b)) - 1
    row = full  # bit j clear: the LCS grew at column j
    for x in a:
        matches = positions.get(x)
        if matches is not None:
            low = row & matches
            row = ((row + low) | (row - low)) & full
    return len(b) - row.bit_count()


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))

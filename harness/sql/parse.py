"""Strict parsing of Oracle SQL text into sqlglot trees: no silent recovery, no fallbacks.

Decisions (sqlglot 30, Oracle dialect):
- Errors raise (``ErrorLevel.RAISE``); the message carries sqlglot's line and column.
- A ``;`` ends a statement; empty statements (``;;``) are dropped. A ``/`` alone on its line is
  the SQL*Plus terminator and ends a statement too, as it does in SQL*Plus (sqlglot itself
  reads it as a division and fails).
- Input with no statement at all (empty, whitespace, comments only) raises.
- ``exp.Command`` is sqlglot's "I could not parse this, here is the raw text" fallback
  (``EXECUTE IMMEDIATE``, ``CALL``, ``ALTER SESSION``, ``RENAME``...). It is not a parse, so it
  raises here; ``harness.sql.safety`` classifies such statements from their tokens instead.
- What sqlglot accepts but Oracle 19c (the EBS R12.2 database) refuses raises too, with the
  ORA code in the message; ``harness.sql.oracle_conformance`` holds one rule per grammar family.
- A statement that sqlglot reads as a bare expression (``EXEC foo`` becomes the column ``EXEC``
  aliased ``foo``, ``SAVEPOINT a`` likewise, ``CHECKPOINT`` a column) is no Oracle statement, so
  it raises as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.oracle import Oracle
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from harness.sql import oracle_conformance
from harness.sql.oracle_conformance import Schema, Violation

DIALECT = "oracle"
_ORACLE = Oracle()


class SqlParseError(Exception):
    """The text is not SQL that sqlglot parses strictly as Oracle statements."""


def tokenize_oracle(sql: str) -> list[Token]:
    """Tokenize ``sql`` with the Oracle tokenizer (comments dropped, attached to tokens).

    Raises SqlParseError when the text cannot be tokenized (e.g. an unterminated string).
    """
    try:
        return _ORACLE.tokenize(sql)
    except TokenError as error:
        raise SqlParseError(f"cannot tokenize: {error}") from error


def is_sqlplus_slash(sql: str, token: Token) -> bool:
    """True when ``token`` is a ``/`` standing alone on its line (the SQL*Plus terminator)."""
    if token.token_type != TokenType.SLASH:
        return False
    line_start = sql.rfind("\n", 0, token.start) + 1
    line_end = sql.find("\n", token.end + 1)
    line_end = len(sql) if line_end == -1 else line_end
    # Comments are not tokens, so a trailing "-- end" on the slash's line is tolerated by
    # checking only that no other token shares the line.
    before = sql[line_start : token.start]
    after = sql[token.end + 1 : line_end]
    return not before.strip() and (not after.strip() or after.strip().startswith(("--", "/*")))


def split_statements(sql: str) -> list[list[Token]]:
    """Split ``sql`` into the token lists of its statements, at ``;`` and SQL*Plus ``/`` lines.

    Empty statements are dropped. Raises SqlParseError when the text cannot be tokenized.
    """
    return split_tokens(sql, tokenize_oracle(sql))


def split_tokens(sql: str, tokens: list[Token]) -> list[list[Token]]:
    """``split_statements`` for the ``tokens`` of ``sql`` already at hand."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON or is_sqlplus_slash(sql, token):
            statements.append([])
        else:
            statements[-1].append(token)
    return [tokens for tokens in statements if tokens]


def _slashes_as_semicolons(sql: str, tokens: list[Token] | None = None) -> str:
    """Rewrite each SQL*Plus ``/`` line as ``;``, keeping every offset (and so line/col) intact.

    ``tokens``: those of ``sql`` when already at hand (they are not read again)."""
    chars = list(sql)
    for token in tokenize_oracle(sql) if tokens is None else tokens:
        if is_sqlplus_slash(sql, token):
            chars[token.start] = ";"
    return "".join(chars)


def _describe(error: ParseError) -> str:
    """One line naming the first error and where it is."""
    if not error.errors:
        return str(error)
    first = error.errors[0]
    where = f"line {first.get('line')}, col {first.get('col')}"
    return f"{first.get('description', 'parse error')} ({where}, near {first.get('highlight')!r})"


def _is_bare_expression(statement: exp.Expression) -> bool:
    """True when sqlglot read a statement as a lone expression, which Oracle would reject."""
    if isinstance(statement, exp.Query):
        return False
    return isinstance(statement, exp.Condition | exp.Alias | exp.Identifier | exp.Star)


def _statement_tokens(tokens: list[Token]) -> list[list[Token]]:
    """The tokens of each statement (of a text that already has ``;`` for SQL*Plus slashes)."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [tokens for tokens in statements if tokens]


@dataclass(frozen=True)
class OracleText:
    """``sql`` as the parser reads it: SQL*Plus ``/`` lines as ``;`` (offsets kept), tokenized.

    ``tokens`` are those of ``text``; ``written_tokens`` those of ``sql`` as written (the same
    list when there is no SQL*Plus slash), for callers that need the original tokens.
    """

    sql: str
    text: str
    tokens: list[Token]
    written_tokens: list[Token]

    @classmethod
    def of(cls, sql: str) -> OracleText:
        """Tokenize ``sql`` once (twice when it holds a SQL*Plus slash); SqlParseError when
        it cannot be tokenized."""
        written = tokenize_oracle(sql)
        text = _slashes_as_semicolons(sql, written)
        return cls(sql, text, written if text == sql else tokenize_oracle(text), written)

    def parse(self) -> list[exp.Expression | None]:
        """sqlglot's statements of ``text`` read from ``tokens`` (no second tokenization),
        exactly as ``sqlglot.parse(text, read="oracle", error_level=RAISE)`` gives them.

        The one place the Oracle reading dialect parses candidate text: sqlglot errors become
        SqlParseError, and so does a recursion too deep (5,000 nested parentheses)."""
        try:
            return _ORACLE.parser(error_level=ErrorLevel.RAISE).parse(list(self.tokens),
                                                                      self.text)
        except ParseError as error:
            raise SqlParseError(_describe(error)) from error
        except TokenError as error:
            raise SqlParseError(f"cannot tokenize: {error}") from error
        except RecursionError:
            raise SqlParseError("nested too deeply to parse") from None


def strict_statements(parsed: list[exp.Expression | None]) -> list[exp.Expression]:
    """The statements of sqlglot's output, checked to be Oracle statements.

    sqlglot yields None for an empty statement and a bare ``Semicolon`` node to hold a comment
    that follows the last ``;``: neither is a statement. Raises SqlParseError on input without
    a statement, on sqlglot's ``Command`` fallback and on statements read as bare expressions.
    """
    statements = [
        statement
        for statement in parsed
        if statement is not None and not isinstance(statement, exp.Semicolon)
    ]
    if not statements:
        raise SqlParseError("no SQL statement found")
    for statement in statements:
        if isinstance(statement, exp.Command):
            shown = statement.sql(DIALECT)[:60]
            raise SqlParseError(f"unsupported statement (sqlglot fallback): {shown!r}")
        if _is_bare_expression(statement):
            raise SqlParseError(f"not a SQL statement: {statement.sql(DIALECT)[:60]!r}")
    return statements


def parse_oracle(sql: str, *, oracle_grammar: bool = True,
                 schema: Schema | None = None) -> list[exp.Expression]:
    """Parse every statement of ``sql`` as Oracle SQL, strictly.

    Raises SqlParseError on any syntax error (message with line and column), on input without a
    statement, on sqlglot's ``Command`` fallback and on statements read as bare expressions.
    With ``oracle_grammar`` (the default) also on what sqlglot accepts but Oracle 19c refuses
    (``harness.sql.oracle_conformance``): the message starts with the ORA code Oracle would raise,
    e.g. ``ORA-00933: SQL command not properly ended: table alias s written with AS``.
    ``schema`` (table -> column names) lets the rules that depend on the tables decide (a
    select alias reused in WHERE); without it they claim nothing. The safety classifier turns
    ``oracle_grammar`` off to see such trees (`FROM 'x.csv'` is file access before it is bad
    grammar), and so does answer extraction, which looks for where SQL ends.
    """
    text = OracleText.of(sql)
    statements = strict_statements(text.parse())
    if oracle_grammar:
        violations = violations_of(statements, text, schema)
        if violations:
            raise SqlParseError(str(violations[0]))
    return statements


def violations_of(statements: list[exp.Expression], text: OracleText,
                  schema: Schema | None) -> list[Violation]:
    """Every Oracle 19c conformance violation of the parsed ``statements`` of ``text``."""
    token_lists = _statement_tokens(text.tokens)
    if len(token_lists) != len(statements):
        # Never seen; the token rules then see the whole text for every statement.
        token_lists = [text.tokens] * len(statements)
    return [violation
            for statement, tokens in zip(statements, token_lists, strict=True)
            for violation in oracle_conformance.check(statement, text.text, tokens, schema)]


def conformance_violations(sql: str, *, schema: Schema | None = None) -> list[Violation]:
    """Every Oracle 19c conformance violation in ``sql``, not just the first one that
    ``parse_oracle`` raises; raises SqlParseError when ``sql`` does not parse at all."""
    text = OracleText.of(sql)
    return violations_of(strict_statements(text.parse()), text, schema)


def parse_single(sql: str, *, oracle_grammar: bool = True,
                 schema: Schema | None = None) -> exp.Expression:
    """Parse ``sql`` as exactly one Oracle statement; raises SqlParseError otherwise."""
    statements = parse_oracle(sql, oracle_grammar=oracle_grammar, schema=schema)
    if len(statements) != 1:
        raise SqlParseError(f"expected one statement, found {len(statements)}")
    return statements[0]

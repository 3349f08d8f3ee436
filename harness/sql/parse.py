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

import sqlglot
from sqlglot import exp
from sqlglot.dialects.oracle import Oracle
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from harness.sql import oracle_conformance
from harness.sql.oracle_conformance import Schema, Violation

DIALECT = "oracle"


class SqlParseError(Exception):
    """The text is not SQL that sqlglot parses strictly as Oracle statements."""


def tokenize_oracle(sql: str) -> list[Token]:
    """Tokenize ``sql`` with the Oracle tokenizer (comments dropped, attached to tokens).

    Raises SqlParseError when the text cannot be tokenized (e.g. an unterminated string).
    """
    try:
        return Oracle().tokenize(sql)
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
    statements: list[list[Token]] = [[]]
    for token in tokenize_oracle(sql):
        if token.token_type == TokenType.SEMICOLON or is_sqlplus_slash(sql, token):
            statements.append([])
        else:
            statements[-1].append(token)
    return [tokens for tokens in statements if tokens]


def _slashes_as_semicolons(sql: str) -> str:
    """Rewrite each SQL*Plus ``/`` line as ``;``, keeping every offset (and so line/col) intact."""
    chars = list(sql)
    for token in tokenize_oracle(sql):
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


def _statement_tokens(text: str) -> list[list[Token]]:
    """The tokens of each statement of ``text`` (already with ``;`` for SQL*Plus slashes)."""
    statements: list[list[Token]] = [[]]
    for token in tokenize_oracle(text):
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [tokens for tokens in statements if tokens]


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
    text = _slashes_as_semicolons(sql)
    try:
        parsed = sqlglot.parse(text, read=DIALECT, error_level=ErrorLevel.RAISE)
    except ParseError as error:
        raise SqlParseError(_describe(error)) from error
    except TokenError as error:
        raise SqlParseError(f"cannot tokenize: {error}") from error
    except RecursionError:
        # sqlglot's parser is recursive: 5,000 nested parentheses must be a parse error.
        raise SqlParseError("nested too deeply to parse") from None
    # sqlglot yields None for an empty statement and a bare ``Semicolon`` node to hold a comment
    # that follows the last ``;``: neither is a statement.
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
    if oracle_grammar:
        _refuse_what_oracle_refuses(statements, text, schema)
    return statements


def _refuse_what_oracle_refuses(statements: list[exp.Expression], text: str,
                                schema: Schema | None) -> None:
    """Raise SqlParseError with the first Oracle 19c conformance violation of any statement."""
    violations = _violations(statements, text, schema)
    if violations:
        raise SqlParseError(str(violations[0]))


def _violations(statements: list[exp.Expression], text: str,
                schema: Schema | None) -> list[Violation]:
    token_lists = _statement_tokens(text)
    if len(token_lists) != len(statements):
        # Never seen; the token rules then see the whole text for every statement.
        token_lists = [tokenize_oracle(text)] * len(statements)
    return [violation
            for statement, tokens in zip(statements, token_lists, strict=True)
            for violation in oracle_conformance.check(statement, text, tokens, schema)]


def conformance_violations(sql: str, *, schema: Schema | None = None) -> list[Violation]:
    """Every Oracle 19c conformance violation in ``sql``, not just the first one that
    ``parse_oracle`` raises; raises SqlParseError when ``sql`` does not parse at all."""
    statements = parse_oracle(sql, oracle_grammar=False)
    return _violations(statements, _slashes_as_semicolons(sql), schema)


def parse_single(sql: str, *, oracle_grammar: bool = True,
                 schema: Schema | None = None) -> exp.Expression:
    """Parse ``sql`` as exactly one Oracle statement; raises SqlParseError otherwise."""
    statements = parse_oracle(sql, oracle_grammar=oracle_grammar, schema=schema)
    if len(statements) != 1:
        raise SqlParseError(f"expected one statement, found {len(statements)}")
    return statements[0]

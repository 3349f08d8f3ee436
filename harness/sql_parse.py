"""Strict parsing of Oracle SQL text into sqlglot trees: no silent recovery, no fallbacks.

Decisions (sqlglot 30, Oracle dialect):
- Errors raise (``ErrorLevel.RAISE``); the message carries sqlglot's line and column.
- A ``;`` ends a statement; empty statements (``;;``) are dropped. A ``/`` alone on its line is
  the SQL*Plus terminator and ends a statement too, as it does in SQL*Plus (sqlglot itself
  reads it as a division and fails).
- Input with no statement at all (empty, whitespace, comments only) raises.
- ``exp.Command`` is sqlglot's "I could not parse this, here is the raw text" fallback
  (``EXECUTE IMMEDIATE``, ``CALL``, ``ALTER SESSION``, ``RENAME``...). It is not a parse, so it
  raises here; ``harness.sql_safety`` classifies such statements from their tokens instead.
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


def parse_oracle(sql: str, *, oracle_grammar: bool = True) -> list[exp.Expression]:
    """Parse every statement of ``sql`` as Oracle SQL, strictly.

    Raises SqlParseError on any syntax error (message with line and column), on input without a
    statement, on sqlglot's ``Command`` fallback and on statements read as bare expressions.
    With ``oracle_grammar`` (the default) also on what sqlglot accepts but Oracle does not: a
    'string' where a name goes, a SELECT without FROM. The safety classifier turns it off to
    see such trees (`FROM 'x.csv'` is file access before it is bad grammar), and so does
    answer extraction, which looks for where SQL ends.
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
            text = statement.sql(DIALECT)[:60]
            raise SqlParseError(f"unsupported statement (sqlglot fallback): {text!r}")
        if _is_bare_expression(statement):
            raise SqlParseError(f"not a SQL statement: {statement.sql(DIALECT)[:60]!r}")
        if oracle_grammar:
            _refuse_string_names(statement, text)
            _refuse_select_without_from(statement)
    return statements


def _refuse_select_without_from(statement: exp.Expression) -> None:
    """`SELECT 1` with no FROM is not Oracle syntax (ORA-00923 up to 19c, the EBS database);
    sqlglot accepts it."""
    for select in statement.find_all(exp.Select):
        if not select.args.get("from_"):
            raise SqlParseError(f"SELECT without FROM (Oracle needs FROM DUAL): "
                                f"{select.sql(DIALECT)[:60]!r}")


def _refuse_string_names(statement: exp.Expression, text: str) -> None:
    """Oracle names are bare or "double-quoted"; sqlglot also takes a 'string' where a name
    goes (`WHERE A = 'Y', 'Y'` becomes a join with a table named Y), which Oracle rejects."""
    for identifier in statement.find_all(exp.Identifier):
        start = identifier.meta.get("start")
        if start is not None and text[start:start + 1] == "'":
            raise SqlParseError(f"line {identifier.meta.get('line')}, column "
                                f"{identifier.meta.get('col')}: a string literal "
                                f"{text[start:identifier.meta['end'] + 1][:40]} where a name "
                                "is expected")


def parse_single(sql: str, *, oracle_grammar: bool = True) -> exp.Expression:
    """Parse ``sql`` as exactly one Oracle statement; raises SqlParseError otherwise."""
    statements = parse_oracle(sql, oracle_grammar=oracle_grammar)
    if len(statements) != 1:
        raise SqlParseError(f"expected one statement, found {len(statements)}")
    return statements[0]

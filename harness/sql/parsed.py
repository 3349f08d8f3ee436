"""One prediction's SQL, read once: its tokens, its statements, its Oracle 19c conformance.

Scoring asks the same text many questions: is it safe (``harness.sql.safety``), does Oracle
accept it (``harness.sql.oracle_conformance``), what does it reference (``harness.sql.refs``),
how is it written (``harness.scoring.text_metrics``), what does it mean on DuckDB
(``harness.translate``). ``ParsedSql.read`` tokenizes and parses the text once in the Oracle
reading dialect and every one of them takes the result instead of the text.

Decisions:
- The trees are shared, so no reader may change them: whoever rewrites (identifier
  normalisation, translation) works on a copy. ``normalized`` is that copy, made once.
- What does not tokenize or parse is kept as ``error`` (the SqlParseError the text-taking
  functions raise), not raised: the safety verdict of such text is ``unparseable`` and the
  text metrics fall back to tokens. Anything else sqlglot raises on arbitrary text (it has
  raised AttributeError on ``{:}``) is kept too and raised where the tree is asked for, as
  it was when each step parsed for itself.
- The Oracle conformance rules run on first use (``violations``), with the catalog's schema
  given at ``read``: an unsafe answer never pays for them.
- ``written`` is sqlglot's own output for the text as written (None placeholders and the
  ``Semicolon`` that holds a trailing comment included, nothing checked), for the text
  metrics' canonical printing; ``as_written`` is False when the text holds a SQL*Plus ``/``
  line, which only the strict reading turns into ``;``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.tokens import Token

from harness.sql.oracle_conformance import Schema, Violation
from harness.sql.parse import (
    OracleText,
    SqlParseError,
    split_tokens,
    strict_statements,
    violations_of,
)


@dataclass(frozen=True)
class ParsedSql:
    """``text`` tokenized and parsed once as Oracle SQL (strict, conformance on demand)."""

    text: str
    # Tokens of each statement (split at ``;`` and SQL*Plus ``/`` lines); None: the text
    # cannot be tokenized (``error`` says why).
    statement_tokens: tuple[tuple[Token, ...], ...] | None
    # The strictly checked statements; empty when ``error`` is set.
    statements: tuple[exp.Expression, ...]
    error: Exception | None
    # sqlglot's own output for the text as written; None when it did not parse or
    # ``as_written`` is False (the text holds a SQL*Plus ``/`` line read as ``;``).
    written: tuple[exp.Expression | None, ...] | None = field(repr=False, compare=False)
    as_written: bool = field(default=True, repr=False, compare=False)
    schema: Schema | None = field(default=None, repr=False, compare=False)
    _reading: OracleText | None = field(default=None, repr=False, compare=False)

    @classmethod
    def read(cls, text: str, *, schema: Schema | None = None) -> ParsedSql:
        """Tokenize and parse ``text`` once; ``schema`` serves the conformance rules."""
        try:
            reading = OracleText.of(text)
        except SqlParseError as error:
            return cls(text, None, (), error, None, True, schema)
        statement_tokens = tuple(tuple(t) for t in split_tokens(text, reading.written_tokens))
        as_written = reading.text == text
        try:
            parsed = reading.parse()
        except Exception as error:  # noqa: BLE001 — kept, raised where a tree is asked for
            return cls(text, statement_tokens, (), error, None, as_written, schema, reading)
        written = tuple(parsed) if as_written else None
        try:
            statements = tuple(strict_statements(parsed))
        except SqlParseError as error:
            return cls(text, statement_tokens, (), error, written, as_written, schema, reading)
        return cls(text, statement_tokens, statements, None, written, as_written, schema,
                   reading)

    def with_schema(self, schema: Schema | None) -> ParsedSql:
        """The same reading, its conformance rules told the catalog's ``schema``."""
        return self if schema is self.schema else replace(self, schema=schema)

    @property
    def tokens(self) -> tuple[Token, ...] | None:
        """Every token of the text as written (comments dropped); None: not tokenizable."""
        return None if self._reading is None else tuple(self._reading.written_tokens)

    def single(self) -> exp.Expression:
        """The one statement, as ``parse_single(text, oracle_grammar=False)`` returns it."""
        if self.error is not None:
            raise self.error
        if len(self.statements) != 1:
            raise SqlParseError(f"expected one statement, found {len(self.statements)}")
        return self.statements[0]

    @cached_property
    def violations(self) -> tuple[Violation, ...]:
        """Every Oracle 19c conformance violation (``harness.sql.oracle_conformance``)."""
        if self.error is not None:
            raise self.error
        return tuple(violations_of(list(self.statements), self._reading, self.schema))

    def checked_single(self) -> exp.Expression:
        """The one statement, as ``parse_single(text, schema=schema)`` returns it: raises
        SqlParseError with the first thing Oracle 19c refuses."""
        if self.error is not None:
            raise self.error
        if self.violations:
            raise SqlParseError(str(self.violations[0]))
        return self.single()

    @cached_property
    def normalized(self) -> exp.Expression:
        """A copy of the single statement with identifiers normalised the way Oracle
        resolves them (upper case unless quoted); the shared tree stays as written."""
        return normalize_identifiers(self.single().copy(), dialect="oracle")

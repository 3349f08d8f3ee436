"""SQL-only compliance of a model's raw answer, SQL extraction, and the refusal convention.

The model is told to return Oracle SQL only. ``check_output`` says whether it did (``compliant``),
what else it wrote (``issues``), and recovers the SQL where that needs no guessing:

- one fenced block, optionally with prose around it: the block's content is used;
- prose lines before the first line that starts like SQL, and prose after the statement (after
  its ``;``, or after the longest line prefix that parses when there is no ``;``, or after a
  blank line when nothing parses): the SQL between. Telling prose from SQL is a heuristic
  (sentences, a colon at the end, a first word that is no SQL keyword); the tests pin it;
- several fenced blocks, or prose between SQL lines: nothing is recovered (``sql`` None);
- several statements: all of them are returned as one text, so that ``harness.sql.safety``
  sees and rejects them rather than this module silently picking one.

The SQL itself is never repaired: the extracted text is the model's, minus outer whitespace and
the final terminator (``;`` or a SQL*Plus ``/`` line), which belong to the client, not to the
statement. Compliant means the raw text was exactly one SQL answer with nothing else than
whitespace, SQL comments and at most one trailing ``;``.

Refusal (contract 3, docs/contracts.md): the answer, after the same unwrapping, is the single line
``-- UNANSWERABLE`` optionally followed by ``: reason``. The keyword is matched
case-insensitively and spaces around ``--``, the keyword and ``:`` are free, since neither
changes what the model said; anything else on the line (``-- UNANSWERABLE.``, a reason without
the colon) is not the convention. A refusal wrapped in a fence or prose is still a refusal, but
not compliant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot.dialects.oracle import Oracle
from sqlglot.errors import TokenError

from harness.sql.parse import SqlParseError
from harness.sql.parsed import ParsedSql

REFUSAL_MARKER = "-- UNANSWERABLE"

_REFUSAL = re.compile(r"--[ \t]*UNANSWERABLE(?:[ \t]*:[ \t]*(?P<reason>[^\n]*?))?[ \t]*", re.I)
_REFUSAL_INSIDE = re.compile(r"--[ \t]*UNANSWERABLE\b", re.I)

# A line that starts a SQL answer (statement keywords, a comment, or a parenthesised query).
# Broad on purpose: a DELETE is still "the SQL" here and harness.sql.safety rejects it.
_SQL_START = re.compile(
    r"\s*(?:--|/\*|\(|(?:SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|GRANT"
    r"|REVOKE|COMMENT|RENAME|BEGIN|DECLARE|EXEC|EXECUTE|CALL|COMMIT|ROLLBACK|SAVEPOINT|LOCK"
    r"|SET|PRAGMA|COPY|ATTACH|DETACH|INSTALL|LOAD|EXPORT|IMPORT|EXPLAIN)\b)",
    re.I,
)
# A line that continues a SELECT: seeing one inside the prose means prose and SQL interleave.
_SQL_CLAUSE = re.compile(
    r"\s*(?:SELECT|FROM|WHERE|GROUP\s+BY|ORDER\s+BY|HAVING|UNION|MINUS|INTERSECT|CONNECT\s+BY"
    r"|START\s+WITH|FETCH\s+FIRST|(?:(?:LEFT|RIGHT|FULL|INNER|CROSS)\s+)?(?:OUTER\s+)?JOIN)\b",
    re.I,
)
_FENCE = "```"
_FENCE_INFO = re.compile(r"[ \t]*[A-Za-z0-9_+.-]*[ \t]*")
_WORD = re.compile(r"[A-Za-z_]+")
_SQL_KEYWORDS = frozenset(Oracle.Tokenizer.KEYWORDS)


@dataclass(frozen=True)
class OutputCheck:
    """What a raw model answer holds: its SQL, whether it was SQL only, and whether it refused.

    ``issues`` (in order of discovery, no repeats) come from: ``empty``, ``no_sql``,
    ``markdown_fence``, ``unclosed_fence``, ``multiple_fences``, ``inline_code``,
    ``prose_before``, ``prose_after``, ``prose_interleaved``, ``multiple_statements``,
    ``sqlplus_terminator``, ``extra_terminator``, ``malformed_refusal`` (a comment naming the
    marker that is not the convention) and ``refusal_marker_in_sql``. ``compliant`` is
    ``not issues``. ``sql`` is None for a refusal and wherever the SQL cannot be told apart.
    """

    sql: str | None
    compliant: bool
    issues: tuple[str, ...]
    refusal: bool
    refusal_reason: str | None
    # ``sql`` as the extraction read it (None when it never read exactly that text): scoring
    # passes it on instead of parsing the answer again.
    parsed: ParsedSql | None = field(default=None, repr=False, compare=False)


def _unfence(raw: str) -> tuple[str | None, list[str], list[str]]:
    """Return (body, issues, outside-text) with a single fenced block unwrapped."""
    parts = raw.split(_FENCE)
    if len(parts) == 1:
        return raw, [], []
    issues = ["markdown_fence"]
    if len(parts) > 3:
        return None, [*issues, "multiple_fences"], []
    before, block = parts[0], parts[1]
    after = parts[2] if len(parts) == 3 else ""
    if len(parts) == 2:
        issues.append("unclosed_fence")
    first_line, newline, rest = block.partition("\n")
    if newline and _FENCE_INFO.fullmatch(first_line):
        block = rest
    return block, issues, [before, after]


def _terminator_end(text: str) -> int | None:
    """Offset of the first ``;`` outside strings, quoted names and comments, or None.

    A small scanner rather than the sqlglot tokenizer, because prose after the statement
    ("it's") would make the tokenizer fail before it reports the ``;``.
    """
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if text.startswith("--", index):
            newline = text.find("\n", index)
            index = length if newline == -1 else newline
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            index = length if close == -1 else close + 2
        elif char in "'\"":
            close = text.find(char, index + 1)
            if close == -1:
                return None
            index = close + 1
        elif char == ";":
            return index
        else:
            index += 1
    return None


def _looks_like_prose(line: str) -> bool:
    """A sentence (words ending in ``.``, ``!`` or ``?``, which SQL lines never do), or a line
    whose first word is no SQL keyword and is followed by more words or a colon."""
    text = line.strip()
    match = _WORD.match(text)
    if not match:
        return False
    if len(text.split()) >= 3 and text.endswith((".", "!", "?")):
        return True
    if match.group(0).upper() in _SQL_KEYWORDS:
        return False
    return len(text.split()) > 1 or text.endswith((":", "."))


def _is_answer(sql: str, readings: dict[str, ParsedSql]) -> bool:
    """True when ``sql`` parses, or is the refusal comment (which parses to nothing).

    What it reads is kept in ``readings`` (text -> ParsedSql) for the answer to reuse."""
    if _REFUSAL.fullmatch(sql.strip()):
        return True
    parsed = readings[sql] = ParsedSql.read(sql)
    if parsed.error is None:
        return True
    if isinstance(parsed.error, SqlParseError):
        return False
    raise parsed.error  # sqlglot's own crash, raised as when the extraction parsed itself


def _split_trailing_prose(statement: str, readings: dict[str, ParsedSql]) -> tuple[str, str]:
    """Split unterminated text into (SQL, trailing prose).

    The cut is the longest line prefix that parses and is followed by a prose-looking line; when
    no prefix parses (the SQL itself is broken) it is the first blank line followed by one.
    """
    if _is_answer(statement, readings):
        return statement, ""
    lines = statement.split("\n")
    for cut in range(len(lines) - 1, 0, -1):
        head, tail = "\n".join(lines[:cut]), "\n".join(lines[cut:])
        first_tail_line = next((line for line in lines[cut:] if line.strip()), "")
        if _looks_like_prose(first_tail_line) and _is_answer(head, readings):
            return head, tail
    for cut in range(1, len(lines) - 1):
        if not lines[cut].strip() and _looks_like_prose(lines[cut + 1]):
            return "\n".join(lines[:cut]), "\n".join(lines[cut:])
    return statement, ""


def _is_comment_only(sql: str, reading: ParsedSql | None = None) -> bool:
    """True when ``sql`` tokenizes to nothing (comments and whitespace only).

    ``reading``: ``sql`` already read; its tokens as written are the Oracle tokenizer's
    tokens of ``sql``, so the text is not tokenized a second time."""
    if reading is not None and reading.text == sql and reading.tokens is not None:
        return not reading.tokens
    try:
        return not Oracle().tokenize(sql)
    except TokenError:
        return False


def _strip_sqlplus_slash(sql: str) -> tuple[str, bool]:
    """Remove a final ``/`` line (the SQL*Plus terminator); report whether there was one."""
    lines = sql.rstrip().split("\n")
    if len(lines) > 1 and lines[-1].strip() == "/":
        return "\n".join(lines[:-1]).rstrip(), True
    return sql, False


def _starts_sql(line: str) -> bool:
    """True when ``line`` starts the SQL answer."""
    if line.lstrip().startswith(("--", "/*")):
        return True
    # Statement keywords are English verbs too ("Select these columns:", "With this query you
    # get the totals."): a line ending in ":" or reading as a sentence is prose, SQL never is.
    text = line.rstrip()
    is_sentence = len(text.split()) >= 3 and text.endswith((".", "!", "?"))
    return bool(_SQL_START.match(line)) and not text.endswith(":") and not is_sentence


def _extract(body: str, readings: dict[str, ParsedSql]) -> tuple[str | None, list[str]]:
    """Separate the SQL in ``body`` from prose around it; returns (sql, issues)."""
    lines = body.split("\n")
    start = next((i for i, line in enumerate(lines) if _starts_sql(line)), None)
    if start is None:
        return None, ["no_sql"]
    issues = ["prose_before"] if any(line.strip() for line in lines[:start]) else []
    text = "\n".join(lines[start:])
    end = _terminator_end(text)
    tail = ""
    if end is not None:
        text, tail = text[:end], text[end + 1 :]
    text, slash = _strip_sqlplus_slash(text)
    # Stripped first, so that the reading of the whole statement is the answer's own.
    statement = text
    text, prose = _split_trailing_prose(text.strip(), readings)
    tail_lines = [line for line in tail.split("\n") if line.strip()]
    if tail_lines and tail_lines[0].strip() == "/":
        slash = True
        tail_lines = tail_lines[1:]
    if slash:
        issues.append("sqlplus_terminator")
    if tail_lines and all(line.strip() in {";", "/"} for line in tail_lines):
        issues.append("extra_terminator")
    elif tail_lines and _is_comment_only("\n".join(tail_lines)):
        # A comment after the terminator is still SQL only; it just carries no meaning.
        if _REFUSAL_INSIDE.search(tail):
            issues.append("refusal_marker_in_sql")
    elif tail_lines and _SQL_START.match(tail_lines[0]):
        issues.append("multiple_statements")
        first = text if prose else statement  # as written up to its ``;``
        statements, _ = _strip_sqlplus_slash(f"{first};{tail}".strip())
        return statements.rstrip(";").rstrip(), issues
    elif tail_lines:
        prose = f"{prose}\n{tail}"
    if prose.strip():
        if any(_SQL_CLAUSE.match(line) for line in prose.split("\n")):
            return None, [*issues, "prose_interleaved"]
        issues.append("prose_after")
    return text.strip() or None, issues


def check_output(raw: str) -> OutputCheck:
    """Check a raw model answer for SQL-only compliance, extract its SQL, detect a refusal."""
    if not raw.strip():
        return OutputCheck(None, False, ("empty",), False, None)
    body, issues, outside = _unfence(raw)
    if body is None:
        return OutputCheck(None, False, tuple(issues), False, None)
    stripped = body.strip()
    if len(stripped) > 1 and stripped[0] == stripped[-1] == "`":
        issues.append("inline_code")
        body = stripped.strip("`")
    if outside and outside[0].strip():
        issues.append("prose_before")
    readings: dict[str, ParsedSql] = {}
    sql, found = _extract(body, readings)
    issues.extend(found)
    if outside and outside[1].strip():
        issues.append("prose_after")
    refusal = _REFUSAL.fullmatch(sql) if sql is not None else None
    if refusal:
        reason = (refusal.group("reason") or "").strip() or None
        unique = tuple(dict.fromkeys(issues))
        return OutputCheck(None, not unique, unique, True, reason)
    reading = readings.get(sql or "")
    if sql is not None and _is_comment_only(sql, reading):
        # A comment is no answer; one that names the marker is a refusal gone wrong.
        issues.append("malformed_refusal" if _REFUSAL_INSIDE.search(sql) else "no_sql")
        sql = None
    elif sql is not None and _REFUSAL_INSIDE.search(sql):
        issues.append("refusal_marker_in_sql")
    unique = tuple(dict.fromkeys(issues))
    return OutputCheck(sql, not unique, unique, False, None, readings.get(sql or ""))


def is_refusal(raw: str) -> bool:
    """True when the raw answer follows the refusal convention (see the module docstring)."""
    return check_output(raw).refusal

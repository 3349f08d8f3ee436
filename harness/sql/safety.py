"""Statement classification: only one read-only SELECT/WITH query may reach a database.

The check is an allow-list with a deny-list behind it, applied in this order (first hit wins):

1. tokens (comments dropped, string literals never inspected): the text must hold exactly one
   statement (``;`` and SQL*Plus ``/`` lines separate statements) and that statement must start
   with ``SELECT``, ``WITH`` or ``(``; otherwise its leading keywords name the kind (``plsql``,
   ``ddl``, ``transaction``...). PL/SQL is recognised before counting statements, because a
   block holds ``;`` of its own.
2. tokens again, for names sqlglot may rewrite or drop (``DBMS_RANDOM.VALUE`` becomes ``RAND()``):
   Oracle packages and sys objects, database links (``t@link``), sequences (``.NEXTVAL``),
   DuckDB functions that reach files, the network, extensions or engine settings, and DuckDB
   catalog views (``duckdb_*``, ``pragma_*``, ``information_schema.``).
3. a strict parse (``harness.sql.parse``): what does not parse cannot be vetted, so it is unsafe
   (kind ``unparseable``).
4. the tree: the root must be a SELECT or a set operation of them (optionally parenthesised),
   and no node anywhere may be DML/DDL/commands (a ``WITH`` around ``DELETE``), a lock
   (``FOR UPDATE``), an ``INTO`` target, a deny-listed function, or a table whose name is no
   plain identifier or ends in a file extension (``FROM 'f.csv'``, ``FROM "x.parquet"`` and
   ``FROM data.csv`` all read files through DuckDB's replacement scans).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from harness.sql.parse import SqlParseError
from harness.sql.parsed import ParsedSql

# Leading keyword of a statement -> kind. Anything absent here and not SELECT/WITH/( is a
# "command": the allow-list, not this table, is what keeps it out.
_LEADING_KINDS = {
    "INSERT": "insert",
    "UPSERT": "insert",
    "REPLACE": "insert",
    "UPDATE": "update",
    "DELETE": "delete",
    "MERGE": "merge",
    "CREATE": "ddl",
    "ALTER": "ddl",
    "DROP": "ddl",
    "TRUNCATE": "ddl",
    "GRANT": "ddl",
    "REVOKE": "ddl",
    "COMMENT": "ddl",
    "RENAME": "ddl",
    "AUDIT": "ddl",
    "NOAUDIT": "ddl",
    "PURGE": "ddl",
    "FLASHBACK": "ddl",
    "ANALYZE": "ddl",
    "ASSOCIATE": "ddl",
    "DISASSOCIATE": "ddl",
    "BEGIN": "plsql",
    "DECLARE": "plsql",
    "EXEC": "plsql",
    "EXECUTE": "plsql",
    "CALL": "plsql",
    "COMMIT": "transaction",
    "ROLLBACK": "transaction",
    "SAVEPOINT": "transaction",
    "LOCK": "transaction",
    "START": "transaction",
    "END": "transaction",
    "ABORT": "transaction",
    "RELEASE": "transaction",
    "SET": "set",
    "RESET": "set",
    "PRAGMA": "pragma",
    "COPY": "file_access",
    "EXPORT": "file_access",
    "IMPORT": "file_access",
    "ATTACH": "file_access",
    "DETACH": "file_access",
    "INSTALL": "extension",
    "LOAD": "extension",
    "FORCE": "extension",
}
_QUERY_STARTS = frozenset({"SELECT", "WITH", "("})

# Oracle packages and objects that reach outside the query (files, network, pipes, jobs) or
# change state. Matched on identifier tokens, so string literals never trigger them.
_ORACLE_PACKAGE_PREFIXES = ("DBMS_", "UTL_", "OWA_", "APEX_", "CTX_", "ORD_", "SDO_UTIL")
_ORACLE_OBJECTS = frozenset({"HTTPURITYPE", "DBURITYPE", "XDBURITYPE", "BFILENAME", "HTP", "HTF"})
_ORACLE_OWNERS = frozenset({"SYS", "SYSTEM", "XDB", "CTXSYS", "MDSYS"})

# DuckDB functions (table or scalar) that read files/URLs, load extensions, or expose or change
# engine configuration and metadata. Names and prefixes, matched case-insensitively on calls.
_FILE_FUNCTION_PREFIXES = (
    "READ_",
    "PARQUET_",
    "SNIFF_",
    "SQLITE_",
    "POSTGRES_",
    "MYSQL_",
    "ICEBERG_",
    "DELTA_",
    "HTTP_",
)
_FILE_FUNCTIONS = frozenset({"GLOB", "ST_READ", "QUERY", "QUERY_TABLE", "FROM_CSV_AUTO"})
_ENGINE_FUNCTION_PREFIXES = ("DUCKDB_", "PRAGMA_", "LOAD_")
_ENGINE_FUNCTIONS = frozenset(
    {
        "CURRENT_SETTING",
        "SET_CONFIG",
        "GETENV",
        "WHICH_SECRET",
        "CHECKPOINT",
        "FORCE_CHECKPOINT",
        "ENABLE_PROFILING",
        "ENABLE_LOGGING",
        "JSON_EXECUTE_SERIALIZED_SQL",
    }
)

# DuckDB catalog views and schemas that expose engine metadata and settings without a call.
_ENGINE_NAME_PREFIXES = ("DUCKDB_", "PRAGMA_", "SQLITE_")
_ENGINE_SCHEMAS = frozenset({"INFORMATION_SCHEMA", "PG_CATALOG"})
# DuckDB's replacement scans read a file for an unknown table whose dotted name looks like a
# file name: FROM data.csv reads ./data.csv.
_FILE_EXTENSIONS = frozenset(
    {
        "CSV",
        "TSV",
        "TXT",
        "PARQUET",
        "JSON",
        "JSONL",
        "NDJSON",
        "GZ",
        "ZST",
        "XLSX",
        "XLS",
        "DB",
        "DUCKDB",
        "SQLITE",
        "ARROW",
        "AVRO",
        "ORC",
    }
)

# Oracle's nonquoted identifier alphabet; EBS tables never need anything else, and a name
# outside it (a path, a URL, "x.csv") is what DuckDB's replacement scans turn into a file read.
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_$#]*")

# Node types that must not appear anywhere in a query tree, with their kind.
_FORBIDDEN_NODES: tuple[tuple[type[exp.Expression], str], ...] = (
    (exp.Insert, "insert"),
    (exp.Update, "update"),
    (exp.Delete, "delete"),
    (exp.Merge, "merge"),
    (exp.Create, "ddl"),
    (exp.Drop, "ddl"),
    (exp.Alter, "ddl"),
    (exp.TruncateTable, "ddl"),
    (exp.Grant, "ddl"),
    (exp.Revoke, "ddl"),
    (exp.Comment, "ddl"),
    (exp.Commit, "transaction"),
    (exp.Rollback, "transaction"),
    (exp.Transaction, "transaction"),
    (exp.Set, "set"),
    (exp.Pragma, "pragma"),
    (exp.Copy, "file_access"),
    (exp.Use, "command"),
    (exp.Command, "command"),
    (exp.Lock, "for_update"),
    (exp.Into, "select_into"),
)


@dataclass(frozen=True)
class SafetyVerdict:
    """Whether a text may be sent to a database, what kind of statement it is, and why."""

    safe: bool
    kind: str
    reason: str


_SAFE = SafetyVerdict(True, "select", "a single read-only query")


def _unsafe(kind: str, reason: str) -> SafetyVerdict:
    return SafetyVerdict(False, kind, reason)


def _leading_verdict(tokens: list[Token]) -> SafetyVerdict | None:
    """Verdict from a statement's first keywords, or None when it starts like a query."""
    words = [token.text.upper() for token in tokens[:2]]
    first = "(" if tokens[0].token_type == TokenType.L_PAREN else words[0]
    second = words[1] if len(words) > 1 else ""
    if first == "WITH" and second in {"FUNCTION", "PROCEDURE"}:
        return _unsafe("plsql", "WITH clause declares a PL/SQL function")
    if first in _QUERY_STARTS:
        return None
    if first == "ALTER" and second in {"SESSION", "SYSTEM"}:
        return _unsafe("session", f"ALTER {second} changes session or instance settings")
    if first == "BEGIN" and second in {"TRANSACTION", "WORK", "TRAN", ""}:
        return _unsafe("transaction", "BEGIN starts a transaction")
    if first == "SET" and second == "TRANSACTION":
        return _unsafe("transaction", "SET TRANSACTION is transaction control")
    kind = _LEADING_KINDS.get(first, "command")
    return _unsafe(kind, f"statement starts with {first}, not SELECT or WITH")


def _is_name(token: Token) -> bool:
    """Identifier-like tokens: keywords and names, never literals."""
    return token.token_type != TokenType.NUMBER and not token.token_type.name.endswith("STRING")


def _function_kind(name: str) -> str | None:
    """The kind of a deny-listed function name (upper case), or None when it is allowed."""
    if name in _FILE_FUNCTIONS or name.startswith(_FILE_FUNCTION_PREFIXES):
        return "file_access"
    if name in _ENGINE_FUNCTIONS or name.startswith(_ENGINE_FUNCTION_PREFIXES):
        return "engine_function"
    return None


def _token_verdict(tokens: list[Token]) -> SafetyVerdict | None:
    """Deny-listed names in the token stream, or None."""
    for index, token in enumerate(tokens):
        if not _is_name(token):
            continue
        name = token.text.upper()
        following = tokens[index + 1].token_type if index + 1 < len(tokens) else None
        preceding = tokens[index - 1].token_type if index > 0 else None
        if "@" in name:
            return _unsafe("dblink", f"database link reference {token.text!r}")
        if name.startswith(_ORACLE_PACKAGE_PREFIXES) or name in _ORACLE_OBJECTS:
            return _unsafe("oracle_package", f"reference to Oracle package/object {token.text}")
        if name in _ORACLE_OWNERS and following == TokenType.DOT:
            return _unsafe("oracle_package", f"reference to the {name} schema")
        if name in {"NEXTVAL", "CURRVAL"} and preceding == TokenType.DOT:
            return _unsafe("sequence", f"sequence {name} changes or reads sequence state")
        if following == TokenType.L_PAREN:
            kind = _function_kind(name)
            if kind:
                return _unsafe(kind, f"call to {token.text}()")
        if name.startswith(_ENGINE_NAME_PREFIXES) or (
            name in _ENGINE_SCHEMAS and following == TokenType.DOT
        ):
            return _unsafe("engine_function", f"reference to engine metadata {token.text}")
    return None


def _query_root(tree: exp.Expression) -> exp.Expression:
    """The query inside any number of wrapping parentheses."""
    while isinstance(tree, exp.Subquery) and not tree.alias:
        tree = tree.this
    return tree


def _table_verdict(table: exp.Table) -> SafetyVerdict | None:
    """Table names that DuckDB would resolve to a file."""
    parts = [part for part in table.parts if isinstance(part, exp.Identifier)]
    for part in parts:
        if not _PLAIN_IDENTIFIER.fullmatch(part.name):
            return _unsafe("file_access", f"table name {part.name!r} is not a plain identifier")
    if len(parts) > 1 and parts[-1].name.upper() in _FILE_EXTENSIONS:
        name = ".".join(part.name for part in parts)
        return _unsafe("file_access", f"table name {name!r} reads as a file name")
    return None


def _tree_verdict(tree: exp.Expression) -> SafetyVerdict | None:
    """Forbidden shapes anywhere in the parsed tree, or None."""
    root = _query_root(tree)
    if not isinstance(root, exp.Select | exp.SetOperation):
        for node_type, kind in _FORBIDDEN_NODES:
            if isinstance(root, node_type):
                return _unsafe(kind, f"statement is {type(root).__name__}, not a query")
        return _unsafe("command", f"statement is {type(root).__name__}, not a query")
    for node in tree.walk():
        for node_type, kind in _FORBIDDEN_NODES:
            if isinstance(node, node_type):
                return _unsafe(kind, f"query contains {node.sql('oracle')[:60]!r}")
        if isinstance(node, exp.Table):
            verdict = _table_verdict(node)
            if verdict:
                return verdict
        if isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            kind = _function_kind(name.upper())
            if kind:
                return _unsafe(kind, f"call to {name}()")
    return None


def classify(sql: str | ParsedSql) -> SafetyVerdict:
    """Classify ``sql`` (raw text, e.g. a model's extracted answer, or that text already
    read as ``ParsedSql``) as safe to run or not.

    Safe means: exactly one statement, a SELECT (or WITH ... SELECT, or a set operation of
    SELECTs), that parses strictly as Oracle and contains nothing on the deny-lists. The module
    docstring gives the order of checks; the verdict names the first problem found.
    """
    parsed = sql if isinstance(sql, ParsedSql) else ParsedSql.read(sql)
    if parsed.statement_tokens is None:
        return _unsafe("unparseable", str(parsed.error))
    statements = parsed.statement_tokens
    if not statements:
        return _unsafe("empty", "no SQL statement")
    leading = _leading_verdict(list(statements[0]))
    if leading and leading.kind == "plsql":
        return leading
    if len(statements) > 1:
        return _unsafe("multiple_statements", f"{len(statements)} statements, one allowed")
    verdict = leading or _token_verdict(list(statements[0]))
    if verdict:
        return verdict
    try:
        tree = parsed.single()
    except SqlParseError as error:
        return _unsafe("unparseable", f"cannot be vetted: {error}")
    return _tree_verdict(tree) or _SAFE

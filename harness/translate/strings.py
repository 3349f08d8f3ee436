"""Oracle character functions, concatenation and the implicit number-to-text conversion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import build as b
from .errors import UnsupportedConstruct
from .kinds import Kind, Storage, Typed
from .registry import function, node

if TYPE_CHECKING:
    from .expressions import ExprTranslator

_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                  "UINTEGER", "UBIGINT", "UHUGEINT")


# Oracle's TO_CHAR(number) without a format (and the implicit conversion) gives fixed
# notation in at most this many characters; what would need more is refused at run time.
_ORACLE_NUMBER_TEXT = 40
# Below 1e-10 Oracle may switch to scientific notation before 40 characters; not verified.
_SMALLEST_VERIFIED_EXPONENT = -10


def number_text(value: exp.Expr) -> exp.Expr:
    """Oracle's text for a number (TO_CHAR without a format), from DuckDB's text for it.

    Oracle prints the shortest exact decimal: no trailing fractional zeros, no trailing point,
    no leading zero before the point (``.5``, ``-.25``, ``.00001``), and fixed notation
    (``100000000000000000000`` for 1e20). DuckDB prints DECIMAL with its scale (``1.50``) and
    DOUBLE with ``.0`` (``100.0``) or, for large and small doubles, in exponent form
    (``1e+20``, ``1e-05``); the exponent form is expanded from the double's 15 significant
    digits. Text longer than 40 characters, where Oracle switches to scientific notation, and
    doubles below 1e-10, are refused at run time rather than guessed.
    """
    varchar = b.cast(value, "VARCHAR")
    signless_zero = decimal_text(varchar)
    expanded = b.let(b.call("printf", b.text("%.14e"), value.copy()), "__sqlgate_e",
                     _fixed_notation)
    return b.let(
        b.case([(b.call("regexp_matches", varchar.copy(), b.text("[eE]")), expanded)],
               signless_zero),
        "__sqlgate_t",
        lambda text: b.case(
            [
                (b.call("regexp_matches", text.copy(), b.text("[nN]")),
                 b.error("TO_CHAR of a non-finite number")),
                (b.gt(b.call("length", text.copy()), b.num(_ORACLE_NUMBER_TEXT)),
                 b.error("number too large or small for Oracle's fixed-notation text")),
            ],
            text.copy(),
        ),
    )


def decimal_text(varchar: exp.Expr) -> exp.Expr:
    """Oracle's text for a number from DuckDB's fixed-notation text of it (a DECIMAL's, or a
    DOUBLE's that has no exponent): trailing fractional zeros, a trailing point, the zero
    before the point and the sign of zero dropped."""
    trimmed = b.call("regexp_replace", varchar, b.text(r"(\.\d*?)0+$"), b.text(r"\1"))
    no_point = b.call("regexp_replace", trimmed, b.text(r"\.$"), b.text(""))
    no_zero = b.call("regexp_replace", no_point, b.text(r"^(-?)0\."), b.text(r"\1."))
    return b.call("regexp_replace", no_zero, b.text(r"^-0$"), b.text("0"))


def _fixed_notation(scientific: exp.Expr) -> exp.Expr:
    """``[-]d.dddddddddddddde±XX`` (printf ``%.14e``) in fixed notation, Oracle style."""
    sign = b.call("regexp_extract", scientific.copy(), b.text("^-?"))
    digits = b.call(
        "rtrim",
        b.call("replace", b.call("regexp_extract", scientific.copy(), b.text(r"([0-9.]+)e"),
                                 b.num(1)), b.text("."), b.text("")),
        b.text("0"),
    )
    exponent = b.cast(b.call("regexp_extract", scientific.copy(), b.text(r"e([-+][0-9]+)$"),
                             b.num(1)), "INTEGER")
    return b.let(digits, "__sqlgate_d", lambda d: b.let(exponent, "__sqlgate_x", lambda x: (
        exp.DPipe(this=sign, safe=True, expression=b.case(
            [
                (b.lt(x.copy(), b.num(_SMALLEST_VERIFIED_EXPONENT)),
                 b.error("TO_CHAR of a number below 1e-10 is not verified")),
                (b.lt(x.copy(), b.num(0)),
                 exp.DPipe(this=exp.DPipe(this=b.text("."), safe=True, expression=b.call(
                     "repeat", b.text("0"), b.sub(exp.Neg(this=x.copy()), b.num(1)))),
                     safe=True, expression=d.copy())),
                (b.lte(b.call("length", d.copy()), b.add(x.copy(), b.num(1))),
                 b.call("rpad", d.copy(), b.add(x.copy(), b.num(1)), b.text("0"))),
            ],
            exp.DPipe(this=exp.DPipe(this=b.call("left", d.copy(), b.add(x.copy(), b.num(1))),
                                     safe=True, expression=b.text(".")),
                      safe=True, expression=b.call("substring", d.copy(),
                                                   b.add(x.copy(), b.num(2)))),
        ))
    )))


def to_text(tr: ExprTranslator, value: Typed, what: str) -> exp.Expr:
    """``value`` as Oracle would implicitly convert it to VARCHAR2 (for ||, LIKE, LENGTH, ...)."""
    if value.kind in (Kind.STRING, Kind.NULL):
        return value.sql
    if value.kind is Kind.NUMBER:
        # Typed from the catalog: no run-time dispatch, and only what the storage needs.
        if value.storage is Storage.INTEGER:
            return b.cast(value.sql, "VARCHAR")
        if value.storage is Storage.DECIMAL:
            return decimal_text(b.cast(value.sql, "VARCHAR"))
        return number_text(value.sql)
    if value.kind is Kind.UNKNOWN:
        # The schema does not say; decide on DuckDB's run-time type, every branch is VARCHAR.
        type_name = b.call("typeof", value.copy())
        numeric = b.or_(
            exp.In(this=type_name, expressions=[b.text(t) for t in (*_INTEGER_TYPES, "DOUBLE",
                                                                     "FLOAT")]),
            exp.Like(this=type_name.copy(), expression=b.text("DECIMAL%")),
        )
        return b.case(
            [
                (b.eq(type_name.copy(), b.text("VARCHAR")), b.cast(value.copy(), "VARCHAR")),
                (numeric, number_text(value.copy())),
                (b.is_null(value.copy()), b.null()),
            ],
            b.error(f"{what}: implicit conversion of a date to text depends on NLS settings"),
        )
    raise UnsupportedConstruct(
        f"{what} of a {value.kind.value}",
        "Oracle converts it to text with session NLS settings; use TO_CHAR with a format",
    )


def text_arg(tr: ExprTranslator, node: exp.Expr, what: str) -> exp.Expr:
    """Translate ``node`` and convert it to text the way Oracle's character functions do."""
    return to_text(tr, tr.tx(node), what)


def int_arg(tr: ExprTranslator, node: exp.Expr, what: str, type_sql: str = "BIGINT") -> exp.Expr:
    """An integer argument: Oracle truncates a non-integer number toward zero."""
    value = tr.tx(node)
    if value.kind not in (Kind.NUMBER, Kind.UNKNOWN, Kind.NULL):
        raise UnsupportedConstruct(what, f"expects a number, got a {value.kind.value}")
    if isinstance(value.sql, exp.Literal) and float(value.sql.this).is_integer():
        return b.num(int(float(value.sql.this)))
    return b.int_of(value.sql, type_sql)


def _flatten_concat(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.DPipe):
        return _flatten_concat(node.this) + _flatten_concat(node.expression)
    return [node]


def concatenate(parts: list[exp.Expr]) -> exp.Expr:
    """Oracle concatenation: NULL operands count as '' and an empty result is NULL."""
    return b.nullif_empty(b.call("concat", *parts))


@node(exp.DPipe)
def _dpipe(tr: ExprTranslator, node: exp.DPipe) -> Typed:
    parts = [text_arg(tr, part, "||") for part in _flatten_concat(node)]
    return Typed(concatenate(parts), Kind.STRING)


@function("CONCAT")
def _concat(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    if len(node.expressions) != 2:
        raise UnsupportedConstruct("CONCAT", "Oracle CONCAT takes exactly two arguments")
    return Typed(concatenate([text_arg(tr, a, "CONCAT") for a in node.expressions]), Kind.STRING)


@function("SUBSTR")
def _substr(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """SUBSTR: position 0 means 1, negative counts from the end, length < 1 gives NULL."""
    if not 2 <= len(node.expressions) <= 3:
        raise UnsupportedConstruct("SUBSTR", "takes 2 or 3 arguments")
    value = text_arg(tr, node.expressions[0], "SUBSTR")
    position = int_arg(tr, node.expressions[1], "SUBSTR position")
    length = int_arg(tr, node.expressions[2], "SUBSTR length") if len(node.expressions) > 2 else None
    start = b.case(
        [
            (b.eq(position, b.num(0)), b.num(1)),
            (b.gt(position.copy(), b.num(0)), position.copy()),
        ],
        b.add(b.add(b.call("length", value.copy()), position.copy()), b.num(1)),
    )
    args = [value, start] + ([length] if length is not None else [])
    whens = [(b.lt(start.copy(), b.num(1)), b.null())]
    if length is not None:
        whens.append((b.lt(length.copy(), b.num(1)), b.null()))
    result = b.case(whens, b.nullif_empty(b.call("substring", *args)))
    return Typed(result, Kind.STRING)


def _lambda(param: str, body: exp.Expr) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(param)])


@function("INSTR")
def _instr(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """INSTR with Oracle's position (negative searches backward) and overlapping occurrences."""
    if not 2 <= len(node.expressions) <= 4:
        raise UnsupportedConstruct("INSTR", "takes 2 to 4 arguments")
    value = text_arg(tr, node.expressions[0], "INSTR")
    needle = text_arg(tr, node.expressions[1], "INSTR")
    raw = node.expressions[2:]
    literal = [_int_literal(arg) for arg in raw]
    if all(v == 1 for v in literal):
        return Typed(b.call("strpos", value, needle), Kind.NUMBER)
    position = int_arg(tr, raw[0], "INSTR position")
    occurrence = int_arg(tr, raw[1], "INSTR occurrence") if len(raw) > 1 else b.num(1)
    if len(raw) > 1 and literal[1] is not None and literal[1] < 1:
        raise UnsupportedConstruct("INSTR occurrence < 1", "an error in Oracle (ORA-01428)")
    return Typed(
        b.let(value, "__sqlgate_s", lambda s: b.let(
            needle, "__sqlgate_n", lambda n: _instr_search(s, n, position, occurrence))),
        Kind.NUMBER,
    )


def _instr_search(value: exp.Expr, needle: exp.Expr, position: exp.Expr,
                  occurrence: exp.Expr) -> exp.Expr:
    """Start of the occurrence-th match counting from position (backward when negative)."""
    i = exp.column("__sqlgate_i")
    starts = b.call(
        "list_filter",
        b.call("range", b.num(1), b.add(b.call("length", value.copy()), b.num(1))),
        _lambda(
            "__sqlgate_i",
            b.eq(
                b.call("substring", value.copy(), i.copy(), b.call("length", needle.copy())),
                needle.copy(),
            ),
        ),
    )
    forward = b.call(
        "list_filter", starts, _lambda("__sqlgate_i", b.gte(i.copy(), position.copy()))
    )
    last_start = b.add(b.add(b.call("length", value.copy()), position.copy()), b.num(1))
    backward = b.call(
        "list_reverse",
        b.call("list_filter", starts.copy(), _lambda("__sqlgate_i", b.lte(i.copy(), last_start))),
    )
    pick = b.case([(b.gt(position.copy(), b.num(0)), forward)], backward)
    found = b.call("coalesce", b.call("list_extract", pick, occurrence.copy()), b.num(0))
    nulls = b.or_(*(b.is_null(e.copy()) for e in (value, needle, position, occurrence)))
    return b.case(
        [
            (nulls, b.null()),
            (b.lt(occurrence.copy(), b.num(1)), b.error("ORA-01428: argument is out of range")),
            (b.eq(position.copy(), b.num(0)), b.num(0)),
        ],
        found,
    )


def _int_literal(node: exp.Expr) -> int | None:
    from .expressions import literal_int

    return literal_int(node)


@function("LENGTH")
def _length(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    (value,) = node.expressions if len(node.expressions) == 1 else (None,)
    if value is None:
        raise UnsupportedConstruct("LENGTH", "takes one argument")
    return Typed(b.call("length", text_arg(tr, value, "LENGTH")), Kind.NUMBER)


def _one_text_arg(tr: ExprTranslator, node: exp.Anonymous) -> exp.Expr:
    if len(node.expressions) != 1:
        raise UnsupportedConstruct(node.name.upper(), "takes one argument")
    return text_arg(tr, node.expressions[0], node.name.upper())


@function("UPPER", "LOWER")
def _case_map(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    return Typed(b.call(node.name.lower(), _one_text_arg(tr, node)), Kind.STRING)


@function("INITCAP")
def _initcap(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """INITCAP: words are runs of letters and digits; first letter upper, the rest lower."""
    value = _one_text_arg(tr, node)
    word = exp.column("__sqlgate_w")
    capitalized = exp.DPipe(
        this=b.call("upper", b.call("left", word.copy(), b.num(1))),
        expression=b.call("lower", b.call("substring", word.copy(), b.num(2))),
        safe=True,
    )
    segments = b.call("regexp_extract_all", value, b.text(r"[\pL\pN]+|[^\pL\pN]+"))
    result = b.call(
        "array_to_string",
        b.call("list_transform", segments, _lambda("__sqlgate_w", capitalized)),
        b.text(""),
    )
    return Typed(result, Kind.STRING)


@function("LPAD", "RPAD")
def _pad(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """LPAD/RPAD: the result has exactly n characters (truncating); n < 1 gives NULL."""
    name = node.name.upper()
    if not 2 <= len(node.expressions) <= 3:
        raise UnsupportedConstruct(name, "takes 2 or 3 arguments")
    value = text_arg(tr, node.expressions[0], name)
    width = int_arg(tr, node.expressions[1], f"{name} length", "INTEGER")
    fill = text_arg(tr, node.expressions[2], name) if len(node.expressions) > 2 else b.text(" ")
    padded = b.call(name.lower(), value, width, fill)
    result = b.case([(b.lt(width.copy(), b.num(1)), b.null())], b.nullif_empty(padded))
    return Typed(result, Kind.STRING)


@node(exp.Trim)
def _trim(tr: ExprTranslator, node: exp.Trim) -> Typed:
    """TRIM([LEADING|TRAILING|BOTH] [c] FROM s): c must be a single character."""
    if node.args.get("collation"):
        raise UnsupportedConstruct("TRIM ... COLLATE", "not supported")
    value = text_arg(tr, node.this, "TRIM")
    chars = node.args.get("expression")
    if chars is not None:
        from .expressions import literal_str

        literal = literal_str(chars)
        if literal is not None and len(literal) != 1:
            raise UnsupportedConstruct("TRIM set", "Oracle TRIM takes one character (ORA-30001)")
        if literal is None:
            raise UnsupportedConstruct("TRIM character", "must be a one-character literal")
        chars_sql = b.text(literal)
    else:
        chars_sql = b.text(" ")
    position = (node.args.get("position") or "BOTH").upper()
    name = {"LEADING": "ltrim", "TRAILING": "rtrim", "BOTH": "trim"}[position]
    return Typed(b.nullif_empty(b.call(name, value, chars_sql)), Kind.STRING)


@function("LTRIM", "RTRIM")
def _ltrim_rtrim(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """LTRIM/RTRIM(s[, set]): strip any characters of ``set`` (default blank)."""
    name = node.name.upper()
    if not 1 <= len(node.expressions) <= 2:
        raise UnsupportedConstruct(name, "takes 1 or 2 arguments")
    value = text_arg(tr, node.expressions[0], name)
    chars = text_arg(tr, node.expressions[1], name) if len(node.expressions) > 1 else b.text(" ")
    return Typed(b.nullif_empty(b.call(name.lower(), value, chars)), Kind.STRING)


@function("REPLACE")
def _replace(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """REPLACE: a NULL search returns the input; a NULL/omitted replacement removes matches."""
    if not 2 <= len(node.expressions) <= 3:
        raise UnsupportedConstruct("REPLACE", "takes 2 or 3 arguments")
    value = text_arg(tr, node.expressions[0], "REPLACE")
    search = text_arg(tr, node.expressions[1], "REPLACE")
    replacement = (
        b.call("coalesce", text_arg(tr, node.expressions[2], "REPLACE"), b.text(""))
        if len(node.expressions) > 2
        else b.text("")
    )
    replaced = b.call("replace", value.copy(), search, replacement)
    result = b.case([(b.is_null(search.copy()), value)], replaced)
    return Typed(b.nullif_empty(result), Kind.STRING)


@function("TRANSLATE")
def _translate(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """TRANSLATE(s, from, to): map characters; ``from`` characters beyond ``to`` are removed."""
    if len(node.expressions) != 3:
        raise UnsupportedConstruct("TRANSLATE", "takes three arguments (USING form unsupported)")
    value, source, target = (text_arg(tr, a, "TRANSLATE") for a in node.expressions)
    return Typed(b.nullif_empty(b.call("translate", value, source, target)), Kind.STRING)


@function("CHR")
def _chr(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """CHR for 7-bit codes; above 127 Oracle uses the database character set's bytes."""
    if len(node.expressions) != 1:
        raise UnsupportedConstruct("CHR", "takes one argument")
    code = int_arg(tr, node.expressions[0], "CHR")
    ascii_range = exp.Between(this=code, low=b.num(0), high=b.num(127))
    result = b.case(
        [(ascii_range, b.call("chr", code.copy())), (b.is_null(code.copy()), b.null())],
        b.error("CHR above 127 depends on the database character set"),
    )
    return Typed(result, Kind.STRING)


@function("ASCII")
def _ascii(tr: ExprTranslator, node: exp.Anonymous) -> Typed:
    """ASCII of a 7-bit first character; other characters depend on the database charset."""
    value = _one_text_arg(tr, node)
    code = b.call("ascii", value)
    result = b.case(
        [(b.lt(code, b.num(128)), code.copy()), (b.is_null(code.copy()), b.null())],
        b.error("ASCII of a non-ASCII character depends on the database character set"),
    )
    return Typed(result, Kind.NUMBER)

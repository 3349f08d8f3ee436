"""Reading JSONL files record by record, and single JSON documents, with errors that name file,
line and field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from harness.io.errors import InputError, describe_validation_error, pydantic_field

M = TypeVar("M", bound=BaseModel)

MAX_LINE_BYTES = 4 * 1024 * 1024  # one record larger than this is refused, not parsed


def read_jsonl(path: str | Path, model: type[M], *,
               max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, M]]:
    """Yield (line number, validated record) for each non-blank line of `path`.

    Every problem — unreadable file, invalid UTF-8, NUL bytes, broken JSON, a line that is
    not an object, a field of the wrong type — raises InputError naming file, line and field;
    broken JSON also names the column (in characters, from 1) where parsing stopped.
    """
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if len(raw) > max_line_bytes:
                raise InputError(path, f"line is {len(raw)} bytes; the limit is "
                                 f"{max_line_bytes}", line=number)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(path, f"not valid UTF-8 (byte {exc.start} of the line)",
                                 line=number) from None
            if not text.strip():
                continue
            if "\x00" in text:
                raise InputError(path, "contains a NUL byte", line=number)
            # The line's own terminator is not part of the record: left in, a record cut short
            # would be reported at "line 2, column 1" of the text instead of where it stops.
            record = text.rstrip("\r\n")
            try:
                data = json.loads(record)
            except json.JSONDecodeError as exc:
                raise InputError(path, _json_error(exc, record), line=number) from None
            except RecursionError:
                raise InputError(path, "JSON nested too deeply", line=number) from None
            if not isinstance(data, dict):
                raise InputError(path, f"expected a JSON object, got {type(data).__name__}",
                                 line=number)
            try:
                yield number, model.model_validate(data)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise InputError(path, describe_validation_error(err), line=number,
                                 field=pydantic_field(tuple(err["loc"])) or None) from None



def _json_error(exc: json.JSONDecodeError, record: str) -> str:
    """What broke and where: the column in characters, and whether the record just stops."""
    ends = ": the record ends there, cut short?" if exc.pos >= len(record.rstrip()) else ""
    return f"not valid JSON: {exc.msg} (column {exc.colno}{ends})"


def read_json_object(path: str | Path, what: str) -> dict:
    """A JSON file holding one object (`what` names it in errors: "results", "verdict"...)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError(path, f"expected a JSON object ({what})")
    return data

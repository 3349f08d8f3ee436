"""Input errors that name the file, line and field at fault, for every loader of sqlgate."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input: the one-line message names file, line, field and what was expected.

    The CLI turns it into a one-line message and exit code 2 (no traceback unless --debug).
    """

    def __init__(
        self,
        path: str | Path | None,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.render())

    def render(self) -> str:
        """`file:line: field: message`, leaving out the parts that are unknown."""
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


def pydantic_field(loc: tuple) -> str:
    """A pydantic error location as a dotted field path (`tables[3].columns[0].type`)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def describe_validation_error(err: dict) -> str:
    """One pydantic error as a short sentence: what was expected and what was found."""
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown field"
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{err['msg']} (got {shown})"

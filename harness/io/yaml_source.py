"""YAML loading that remembers the line of every key, so validation errors can name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.io.errors import InputError, describe_validation_error, pydantic_field

# The C composer gives the same line marks ten times faster; fall back where libyaml is absent.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
M = TypeVar("M", bound=BaseModel)
Location = tuple  # a path of keys and list indices from the document root


def _to_python(
    node: yaml.Node, loc: Location, lines: dict[Location, int], path: Path,
    scalars: yaml.SafeLoader,
) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = scalars.construct_object(key_node)
            # YAML itself keeps the last of two equal keys silently; a catalog must not.
            if key in out:
                raise InputError(path, f"duplicate key {key!r}", line=key_node.start_mark.line + 1,
                                 field=pydantic_field(loc + (key,)))
            out[key] = _to_python(value_node, loc + (key,), lines, path, scalars)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, loc + (i,), lines, path, scalars)
                for i, item in enumerate(node.value)]
    return scalars.construct_object(node)


def read_yaml(path: str | Path) -> tuple[Any, dict[Location, int]]:
    """Parse one YAML file; returns the data and a map from key path to 1-based line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise InputError(path, f"not valid UTF-8 (byte {exc.start})", line=line) from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(path, "contains a NUL byte", line=line)
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(path, f"not valid YAML: {problem}",
                         line=mark.line + 1 if mark else None) from None
    if node is None:
        raise InputError(path, "is empty; expected a YAML mapping")
    lines: dict[Location, int] = {}
    return _to_python(node, (), lines, path, yaml.SafeLoader("")), lines


def line_of(lines: dict[Location, int], loc: Location) -> int | None:
    """The line of the deepest known prefix of `loc` (a missing key points at its parent)."""
    loc = tuple(loc)
    while loc not in lines and loc:
        loc = loc[:-1]
    return lines.get(loc)


def validate_yaml(path: str | Path, model: type[M]) -> tuple[M, dict[Location, int]]:
    """Read `path` and validate it as `model`; the first error names file, line and field.

    Returns the model and the line map, for checks that span several fields.
    """
    data, lines = read_yaml(path)
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise InputError(path, describe_validation_error(err), line=line_of(lines, loc),
                         field=pydantic_field(loc) or None) from None


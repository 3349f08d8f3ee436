"""Rich consoles for sqlgate's tables: a terminal's own width, and a wide page when the output
goes to a file or a CI log, where rich would otherwise assume 80 columns and cut numbers and
reasons to `0.28…` and `thres…`."""

from __future__ import annotations

import sys

from rich.console import Console

LOG_WIDTH = 200  # columns when the output is not a terminal (CI logs, files, pipes)


def make_console(*, stderr: bool = False) -> Console:
    """A console for stdout (or stderr) that never truncates tables in logs."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else LOG_WIDTH
    return Console(stderr=stderr, width=width)

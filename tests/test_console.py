"""Tables printed to a CI log or a file keep their numbers and reasons whole."""

from __future__ import annotations

import io

from rich.table import Table

from harness.io import console as console_module


def test_log_output_is_wide_and_keeps_reasons_whole(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(console_module.sys, "stdout", buffer)
    out = console_module.make_console()
    assert out.width == console_module.LOG_WIDTH
    table = Table()
    for name in ("rule", "value", "threshold", "margin", "result", "detail"):
        table.add_column(name)
    reason = "not shown non-inferior: the CI's lower bound is below −0.02"
    table.add_row("threshold execution_accuracy", "0.285714", ">= 0.7000", "-0.4143", "FAIL",
                  reason)
    out.print(table)
    printed = buffer.getvalue()
    assert reason in printed and "0.285714" in printed and "…" not in printed

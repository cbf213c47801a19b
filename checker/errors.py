"""Diagnostics: what forkcheck says about bad input, as `path:line:col: error: ...`.

Every user mistake becomes a Diagnostic (never a traceback). Formatting shows
the source line and a caret under the column, the way compilers do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from checker.lang.ast import Pos


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    pos: Pos
    message: str
    severity: str = "error"  # "error" or "warning"

    def sort_key(self) -> tuple[int, int, str]:
        return (self.pos.line, self.pos.col, self.message)


class UserError(Exception):
    """Input that forkcheck cannot take: carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def format_diagnostic(diag: Diagnostic, source: str | None) -> str:
    """`path:line:col: error: message`, then the source line and a caret."""
    if diag.pos.line <= 0:
        return f"{diag.path}: {diag.severity}: {diag.message}"
    head = f"{diag.path}:{diag.pos.line}:{diag.pos.col}: {diag.severity}: {diag.message}"
    if source is None:
        return head
    lines = source.splitlines()
    if diag.pos.line > len(lines):
        return head
    line = lines[diag.pos.line - 1].rstrip("\r").expandtabs(1)
    col = max(diag.pos.col, 1)
    width = 1
    if diag.pos.end_line == diag.pos.line and diag.pos.end_col > col:
        width = diag.pos.end_col - col
    width = max(1, min(width, len(line) - col + 1))
    caret = " " * (col - 1) + "^" + "~" * (width - 1)
    return f"{head}\n    {line}\n    {caret}"


def format_diagnostics(diags: Iterable[Diagnostic], source: str | None) -> str:
    return "\n".join(format_diagnostic(d, source) for d in diags)

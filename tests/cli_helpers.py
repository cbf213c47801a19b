"""The command line run in the test's own process (a second faster than a
new process), with the outcome a subprocess would give."""

from __future__ import annotations

import subprocess
import traceback
from pathlib import Path

from typer.testing import CliRunner

from checker.cli import app


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`forkcheck ARGS`: exit status, stdout and stderr; an exception that
    escapes the command shows in stderr as the traceback it would print."""
    argv = [str(a) for a in args]
    r = CliRunner().invoke(app, argv, prog_name="forkcheck")
    stderr = r.stderr
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(r.exception)
        )
    return subprocess.CompletedProcess(argv, r.exit_code, r.stdout, stderr)
